"""Small, hand-built snapshots for pure check tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectguard.audit.engine import run_audit
from connectguard.audit.registry import select_checks
from connectguard.config import parse_config
from connectguard.inventory.model import (
    CollectionError,
    Instance,
    RegionInventory,
    SecurityProfile,
    Snapshot,
    User,
)

ACCOUNT = "111122223333"
REGION = "us-east-1"
COLLECTED = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone.utc)
IID = "inst-1"
INSTANCE_ARN = f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{IID}"


def profile(pid: str, perms: list[str] | None, **kw: Any) -> SecurityProfile:
    return SecurityProfile(id=pid, arn=f"{INSTANCE_ARN}/security-profile/{pid}", name=kw.pop("name", pid),
                           permissions=perms, **kw)


def user(uid: str, *profile_ids: str) -> User:
    return User(id=uid, arn=f"{INSTANCE_ARN}/agent/{uid}", username=uid, security_profile_ids=list(profile_ids))


def instance(**kw: Any) -> Instance:
    defaults: dict[str, Any] = {"id": IID, "arn": INSTANCE_ARN, "alias": "acme", "identity_management_type": "SAML",
                                "security_profiles": [], "users": [], "approved_origins": [],
                                "authentication_profiles": []}
    defaults.update(kw)
    return Instance(**defaults)


def snapshot(*instances: Instance, errors: list[CollectionError] | None = None, **kw: Any) -> Snapshot:
    region_kw = {k: kw.pop(k) for k in ("directories",) if k in kw}
    return Snapshot(tool_version="0.1.0", collected_at=COLLECTED, account_id=ACCOUNT,
                    regions=[RegionInventory(region=REGION, instances=list(instances), **region_kw)],
                    errors=errors or [], **kw)


def denied(operation: str, hides: str, **kw: Any) -> CollectionError:
    return CollectionError(service=kw.pop("service", "connect"), operation=operation, hides=hides,
                           code="AccessDeniedException", message="not authorized", region=kw.pop("region", REGION),
                           http_status=403, **kw)


def audit(snap: Snapshot, check: str, config: dict | None = None):
    return run_audit(snap, parse_config(config or {}), select_checks([check])).findings


def by_resource(findings) -> dict:
    return {f.resource.rsplit("/", 1)[-1]: f for f in findings}
