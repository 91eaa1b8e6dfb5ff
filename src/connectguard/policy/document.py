"""Parse and validate IAM policy documents (identity policies, SCPs, boundaries, trust policies).

Parsing is strict on shape: an unknown element, a wrong type or a bad Effect is a
:class:`PolicyError` naming the policy and the element, because a policy we misread
could make us report protection that does not exist.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from connectguard.conventions import InputError

PolicyKind = Literal["identity", "scp", "boundary", "trust", "resource"]

_VERSIONS = {"2012-10-17", "2008-10-17"}
_TOP_LEVEL = {"Version", "Id", "Statement"}
_STATEMENT_ELEMENTS = {
    "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal", "NotPrincipal",
}
_PRINCIPAL_KINDS = {"trust", "resource"}

# Operators are matched case-sensitively by AWS; the base names (without IfExists and
# without a ForAnyValue:/ForAllValues: prefix) that this evaluator understands.
CONDITION_OPERATORS = {
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
    "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
    "Null",
}
SET_PREFIXES = ("ForAnyValue:", "ForAllValues:")


class PolicyError(InputError):
    """A malformed policy: names the policy and the element."""

    def __init__(self, policy: str, element: str, problem: str):
        self.policy = policy
        self.element = element
        self.problem = problem
        super().__init__(f"{element}: {problem}", f"policy {policy!r}")


@dataclass(frozen=True)
class ConditionClause:
    """One operator / key / values triple of a Condition block."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    base: str  # "StringLike"
    set_op: str | None  # "ForAnyValue" | "ForAllValues" | None
    if_exists: bool
    key: str  # as written
    values: tuple[str, ...]  # normalised to strings ("true", "10", ...)


@dataclass(frozen=True)
class Statement:
    policy: str
    index: int  # 0-based position in the policy
    sid: str | None
    effect: Literal["Allow", "Deny"]
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    conditions: tuple[ConditionClause, ...] = ()
    principal: Any = None
    not_principal: Any = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # Memo of action / resource matches (they do not depend on the request context unless a
    # policy variable is involved, which is never cached). Frozen dataclass, mutable dict.
    match_cache: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    has_resource_variables: bool = field(default=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.policy}#{self.sid or self.index}"


@dataclass(frozen=True)
class Policy:
    name: str
    kind: PolicyKind
    statements: tuple[Statement, ...]
    version: str | None = None
    document: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def parse_policy(document: str | bytes | dict[str, Any], name: str, kind: PolicyKind = "identity") -> Policy:
    """Parse a policy document (JSON text or an already decoded dict). Raises PolicyError."""
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PolicyError(name, "document", f"not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise PolicyError(name, "document", f"must be a JSON object, not {_type(document)}")
    unknown = sorted(set(document) - _TOP_LEVEL)
    if unknown:
        raise PolicyError(name, unknown[0], "is not a policy element (expected Version, Id, Statement)")
    version = document.get("Version")
    if version is not None and version not in _VERSIONS:
        raise PolicyError(name, "Version", f"{version!r} is not a policy language version")
    if "Statement" not in document:
        raise PolicyError(name, "Statement", "is missing")
    raw_statements = document["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise PolicyError(name, "Statement", f"must be an object or a list, not {_type(raw_statements)}")
    statements = tuple(_parse_statement(name, kind, i, s) for i, s in enumerate(raw_statements))
    return Policy(name=name, kind=kind, statements=statements, version=version, document=document)


def _parse_statement(policy: str, kind: PolicyKind, index: int, raw: Any) -> Statement:
    where = f"Statement[{index}]"
    if not isinstance(raw, dict):
        raise PolicyError(policy, where, f"must be an object, not {_type(raw)}")
    sid = raw.get("Sid")
    if sid is not None:
        if not isinstance(sid, str):
            raise PolicyError(policy, f"{where}.Sid", f"must be a string, not {_type(sid)}")
        where = f"Statement[{index}] (Sid {sid})"
    unknown = sorted(set(raw) - _STATEMENT_ELEMENTS)
    if unknown:
        raise PolicyError(policy, f"{where}.{unknown[0]}", "is not a statement element")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(policy, f"{where}.Effect", f"must be \"Allow\" or \"Deny\", not {effect!r}")
    actions = _string_list(policy, where, raw, "Action")
    not_actions = _string_list(policy, where, raw, "NotAction")
    if (actions is None) == (not_actions is None):
        raise PolicyError(policy, f"{where}.Action", "exactly one of Action and NotAction is required")
    for a in actions or not_actions or ():
        if a != "*" and ":" not in a:
            raise PolicyError(policy, f"{where}.{'Action' if actions is not None else 'NotAction'}",
                              f"{a!r} is not service:action")
    resources = _string_list(policy, where, raw, "Resource")
    not_resources = _string_list(policy, where, raw, "NotResource")
    if resources is not None and not_resources is not None:
        raise PolicyError(policy, f"{where}.Resource", "Resource and NotResource cannot both be present")
    if resources is None and not_resources is None:
        if kind in _PRINCIPAL_KINDS:
            resources = ("*",)  # trust policies carry no Resource: the role itself is the resource
        else:
            raise PolicyError(policy, f"{where}.Resource", "one of Resource and NotResource is required")
    principal, not_principal = raw.get("Principal"), raw.get("NotPrincipal")
    if (principal is not None or not_principal is not None) and kind not in _PRINCIPAL_KINDS:
        element = "Principal" if principal is not None else "NotPrincipal"
        raise PolicyError(policy, f"{where}.{element}", f"is not allowed in a {kind} policy")
    conditions = _parse_conditions(policy, where, raw.get("Condition"))
    return Statement(
        policy=policy, index=index, sid=sid, effect=effect, actions=actions, not_actions=not_actions,
        resources=resources, not_resources=not_resources, conditions=conditions,
        principal=principal, not_principal=not_principal, raw=raw,
        has_resource_variables=any("${" in r for r in (resources or ()) + (not_resources or ())),
    )


def _string_list(policy: str, where: str, raw: dict[str, Any], element: str) -> tuple[str, ...] | None:
    if element not in raw:
        return None
    value = raw[element]
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    if isinstance(value, list) and not value:
        raise PolicyError(policy, f"{where}.{element}", "must not be an empty list")
    raise PolicyError(policy, f"{where}.{element}", f"must be a string or a list of strings, not {_type(value)}")


def _parse_conditions(policy: str, where: str, raw: Any) -> tuple[ConditionClause, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise PolicyError(policy, f"{where}.Condition", f"must be an object, not {_type(raw)}")
    clauses = []
    for operator, block in raw.items():
        element = f"{where}.Condition.{operator}"
        set_op = None
        base = operator
        for prefix in SET_PREFIXES:
            if base.startswith(prefix):
                set_op, base = prefix[:-1], base[len(prefix):]
        if_exists = base.endswith("IfExists")
        if if_exists:
            base = base[: -len("IfExists")]
        if base not in CONDITION_OPERATORS or (if_exists and base == "Null"):
            raise PolicyError(policy, element, "is not a condition operator")
        if not isinstance(block, dict) or not block:
            raise PolicyError(policy, element, f"must be a non-empty object of key: values, not {_type(block)}")
        for key, values in block.items():
            if isinstance(values, (str, bool, int, float)):
                values = [values]
            if not isinstance(values, list) or not values or not all(
                isinstance(v, (str, bool, int, float)) for v in values
            ):
                raise PolicyError(policy, f"{element}.{key}", "values must be a string, number, boolean or a "
                                  "non-empty list of them")
            clause = ConditionClause(
                operator=operator, base=base, set_op=set_op, if_exists=if_exists, key=key,
                values=tuple(_as_text(v) for v in values),
            )
            _check_values(policy, f"{element}.{key}", clause)
            clauses.append(clause)
    return tuple(clauses)


def _check_values(policy: str, element: str, clause: ConditionClause) -> None:
    """Values of typed operators must parse; a policy variable is checked at evaluation."""
    for value in clause.values:
        if "${" in value:
            continue
        problem = None
        if clause.base in ("Bool", "Null") and value.lower() not in ("true", "false"):
            problem = "is not true or false"
        elif clause.base.startswith("Numeric"):
            try:
                float(value)
            except ValueError:
                problem = "is not a number"
        elif clause.base.startswith("Date"):
            try:
                if not value.replace(".", "", 1).isdigit():
                    dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                problem = "is not a date"
        elif clause.base in ("IpAddress", "NotIpAddress"):
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                problem = "is not an IP address or CIDR range"
        if problem:
            raise PolicyError(policy, element, f"{value!r} {problem}")


def _as_text(value: str | bool | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)
