"""Proposed flow-content changes, as unified diffs for a person to review (never applied).

Two changes fix the logging findings: insert a Set logging behavior (Enabled) block as
the flow's new StartAction, and turn a Disabled block into Enabled. The diff is
computed on the content pretty-printed with sorted keys, so it shows only the change.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

ENABLE_ACTION_ID = "connectguard-enable-flow-logging"


def _pretty(doc: Any) -> list[str]:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False).splitlines(keepends=True)


def enable_logging_at_start(content: str) -> tuple[dict[str, Any], str] | None:
    """New content with an Enabled logging block first, and the diff; None if content is unusable."""
    try:
        doc = json.loads(content)
    except json.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("Actions"), list) or not doc.get("StartAction"):
        return None
    ident = ENABLE_ACTION_ID
    taken = {a.get("Identifier") for a in doc["Actions"] if isinstance(a, dict)}
    n = 2
    while ident in taken:
        ident, n = f"{ENABLE_ACTION_ID}-{n}", n + 1
    first = {
        "Identifier": ident,
        "Type": "UpdateFlowLoggingBehavior",
        "Parameters": {"FlowLoggingBehavior": "Enabled"},
        "Transitions": {"NextAction": doc["StartAction"]},
    }
    # A shallow copy: the old actions are shared, unchanged.
    new = {**doc, "Actions": [first, *doc["Actions"]], "StartAction": ident}
    return new, diff(doc, new)


def enable_disabled_blocks(content: str, action_ids: list[str] | None = None) -> tuple[dict[str, Any], str] | None:
    """New content with Disabled logging blocks (all, or those in ``action_ids``) set to Enabled."""
    try:
        doc = json.loads(content)
    except json.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("Actions"), list):
        return None
    actions = []
    changed = False
    for action in doc["Actions"]:
        if (isinstance(action, dict) and action.get("Type") == "UpdateFlowLoggingBehavior"
                and isinstance(action.get("Parameters"), dict)
                and action["Parameters"].get("FlowLoggingBehavior") == "Disabled"
                and (action_ids is None or action.get("Identifier") in action_ids)):
            action = {**action, "Parameters": {**action["Parameters"], "FlowLoggingBehavior": "Enabled"}}
            changed = True
        actions.append(action)
    new = {**doc, "Actions": actions}
    return (new, diff(doc, new)) if changed else None


def diff(old: Any, new: Any, name: str = "flow-content.json") -> str:
    return "".join(difflib.unified_diff(_pretty(old), _pretty(new), f"a/{name}", f"b/{name}"))
