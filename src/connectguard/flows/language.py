"""Parse flow-language content (``DescribeContactFlow`` ``Content``) into actions and transitions.

The format (Version "2019-10-30")::

    {"Version": "2019-10-30", "StartAction": "<id>", "Metadata": {...},
     "Actions": [{"Identifier": "...", "Type": "...", "Parameters": {...},
                  "Transitions": {"NextAction": "<id>",
                                  "Conditions": [{"NextAction": "<id>", "Condition": {...}}],
                                  "Errors": [{"NextAction": "<id>", "ErrorType": "NoMatchingError"}]}}]}

Parsing never raises: whatever is wrong is listed in :attr:`ParsedFlow.problems`, and
a flow whose structure cannot be followed at all (not JSON, no Actions list, no
usable StartAction) is :attr:`ParsedFlow.malformed`. Action types this module does not
know are kept as they are; analyses treat them as opaque steps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SUPPORTED_VERSION = "2019-10-30"

# Action types the analyses give a meaning to (everything else is opaque but kept).
SET_LOGGING = "UpdateFlowLoggingBehavior"
INVOKE_LAMBDA = "InvokeLambdaFunction"
TRANSFER_TO_FLOW = "TransferToFlow"
INVOKE_MODULE = "InvokeFlowModule"
DISCONNECT = "DisconnectParticipant"
END_FLOW = "EndFlowExecution"
COMPARE = "Compare"
# Actions that hand the contact to a queue (the fraud screen must come before them).
QUEUE_TRANSFERS = frozenset({"TransferContactToQueue", "DequeueContactAndTransferToQueue"})
# Actions that hand the contact to someone else, leaving the flow.
TRANSFERS = QUEUE_TRANSFERS | {"TransferParticipantToThirdParty", "TransferContactToAgent"}


@dataclass(frozen=True)
class Transition:
    target: str  # Identifier of the next action
    kind: str  # "next" | "condition" | "error"
    label: str = ""  # the condition (operator and operands) or the error type


@dataclass
class Action:
    id: str
    type: str
    parameters: dict[str, Any] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)

    def param(self, name: str) -> Any:
        return self.parameters.get(name)


@dataclass
class ParsedFlow:
    start: str | None
    actions: dict[str, Action]
    version: str | None = None
    problems: list[str] = field(default_factory=list)
    malformed: bool = False  # the content cannot be followed at all

    @property
    def action_types(self) -> set[str]:
        return {a.type for a in self.actions.values()}


def _malformed(reason: str) -> ParsedFlow:
    return ParsedFlow(start=None, actions={}, problems=[reason], malformed=True)


def parse_content(content: str | dict[str, Any] | None) -> ParsedFlow:
    """Parse ``content`` (the JSON string Connect returns, or an already-decoded dict)."""
    if content is None:
        return _malformed("no content")
    if isinstance(content, str):
        try:
            doc = json.loads(content)
        except (json.JSONDecodeError, RecursionError) as exc:
            return _malformed(f"content is not valid JSON: {exc}")
    else:
        doc = content
    if not isinstance(doc, dict):
        return _malformed(f"content is a JSON {type(doc).__name__}, not an object")
    problems: list[str] = []
    version = doc.get("Version")
    if version != SUPPORTED_VERSION:
        problems.append(f"unsupported Version {version!r} (expected {SUPPORTED_VERSION!r})")
    raw_actions = doc.get("Actions")
    if not isinstance(raw_actions, list):
        return _malformed("content has no Actions list")
    actions: dict[str, Action] = {}
    for index, raw in enumerate(raw_actions):
        if not isinstance(raw, dict):
            problems.append(f"Actions[{index}] is not an object")
            continue
        ident = raw.get("Identifier")
        if not isinstance(ident, str) or not ident:
            problems.append(f"Actions[{index}] has no Identifier")
            continue
        if ident in actions:
            problems.append(f"duplicate action Identifier {ident!r}")
            continue
        kind = raw.get("Type")
        params = raw.get("Parameters")
        actions[ident] = Action(
            id=ident,
            type=kind if isinstance(kind, str) else "<missing Type>",
            parameters=params if isinstance(params, dict) else {},
            transitions=_transitions(ident, raw.get("Transitions"), problems),
        )
    start = doc.get("StartAction")
    parsed = ParsedFlow(start=start if isinstance(start, str) else None, actions=actions, version=version,
                        problems=problems)
    if parsed.start is None:
        parsed.problems.append("content has no StartAction")
        parsed.malformed = True
    elif parsed.start not in actions:
        parsed.problems.append(f"StartAction {parsed.start!r} is not an action of this flow")
        parsed.malformed = True
    for action in actions.values():
        for t in action.transitions:
            if t.target not in actions:
                parsed.problems.append(f"action {action.id!r} goes to unknown action {t.target!r}")
    return parsed


def _transitions(ident: str, raw: Any, problems: list[str]) -> list[Transition]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        problems.append(f"action {ident!r}: Transitions is not an object")
        return []
    out: list[Transition] = []
    nxt = raw.get("NextAction")
    if isinstance(nxt, str) and nxt:
        out.append(Transition(nxt, "next"))
    for key, kind in (("Conditions", "condition"), ("Errors", "error")):
        items = raw.get(key) or []
        if not isinstance(items, list):
            problems.append(f"action {ident!r}: Transitions.{key} is not a list")
            continue
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("NextAction"), str):
                problems.append(f"action {ident!r}: a {key[:-1].lower()} has no NextAction")
                continue
            if kind == "error":
                label = str(item.get("ErrorType", ""))
            else:
                cond = item.get("Condition") or {}
                label = f"{cond.get('Operator', '?')} {cond.get('Operands', [])}" if isinstance(cond, dict) else ""
            out.append(Transition(item["NextAction"], kind, label))
    return out


def is_dynamic(value: Any) -> bool:
    """A flow-language dynamic value (a JSONPath into the contact, e.g. ``$.Attributes.x``)."""
    return isinstance(value, str) and value.startswith("$.")
