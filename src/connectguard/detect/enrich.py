"""Local-only severity adjustments the rules' SQL cannot express.

* ``connect_user_created_or_reprofiled``: with a snapshot, high when an assigned security
  profile is admin-equivalent (:func:`connectguard.connect_permissions.is_admin_equivalent`),
  low otherwise; a profile the snapshot did not see is said so in the notes.
* ``connect_lambda_associated``: high when the function is in another account than the event.

Exported rules (Sigma files, Athena SQL, EventBridge) keep their base severity.
"""

from __future__ import annotations

import json
from typing import Any

from connectguard.connect_permissions import is_admin_equivalent
from connectguard.conventions import Severity
from connectguard.detect.engine import Alert

USER_RULE = "connect_user_created_or_reprofiled"
LAMBDA_RULE = "connect_lambda_associated"


def _params(alert: Alert) -> dict[str, Any]:
    try:
        value = json.loads(alert.request_parameters or "null")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def profile_index(snapshot: Any) -> dict[tuple[str, str], Any]:
    """(instance id, profile id) -> SecurityProfile, over every instance the snapshot holds."""
    index: dict[tuple[str, str], Any] = {}
    for _region, instance in snapshot.instances():
        for profile in instance.security_profiles or []:
            index[(instance.id, profile.id)] = profile
    return index


def enrich(alert: Alert, profiles: dict[tuple[str, str], Any] | None) -> Alert:
    if alert.rule_name == USER_RULE and profiles is not None:
        params = _params(alert)
        instance = str(params.get("InstanceId", ""))
        ids = params.get("SecurityProfileIds") or []
        admin, unseen = [], []
        for pid in ids if isinstance(ids, list) else []:
            profile = profiles.get((instance, str(pid)))
            if profile is None or profile.permissions is None:
                unseen.append(str(pid))
            elif is_admin_equivalent(profile.permissions):
                admin.append(profile.name)
        if admin:
            alert.severity = Severity.HIGH
            alert.notes.append(f"assigned admin-equivalent security profile(s): {', '.join(sorted(admin))}")
        if unseen:
            alert.notes.append(
                f"security profile(s) {', '.join(unseen)} not in the snapshot (or their permissions were not "
                "collected): could not tell whether they are admin-equivalent"
            )
    elif alert.rule_name == LAMBDA_RULE:
        arn = str(_params(alert).get("FunctionArn", ""))
        parts = arn.split(":")
        if len(parts) > 4 and alert.account and parts[4] and parts[4] != alert.account:
            alert.severity = Severity.HIGH
            alert.notes.append(f"function is in another account ({parts[4]}): it receives this instance's contact data")
    return alert
