"""Condition operators, evaluated three-valued against a request context.

A key the context supplies is evaluated; a key the context says is absent follows AWS's
rules for missing keys (IfExists and negated operators are true, ForAllValues is true,
everything else false); a key the context does not mention is MAYBE.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable

from connectguard.policy.document import ConditionClause, PolicyError
from connectguard.policy.matching import (
    NO,
    YES,
    Outcome,
    Unresolved,
    glob_regex,
    all_of,
    arn_match,
    maybe,
    substitute,
)
from connectguard.policy.request import RequestContext

_NEGATED = {
    "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals",
    "NotIpAddress", "ArnNotEquals", "ArnNotLike",
}
_POSITIVE_OF = {
    "StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike", "NumericNotEquals": "NumericEquals", "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike",
}


def evaluate_clause(clause: ConditionClause, ctx: RequestContext, policy: str) -> Outcome:
    key = clause.key.lower()
    values = ctx.values.get(key)
    if clause.base == "Null":
        want_absent = _bool(clause.values[0], policy, clause)
        if values is not None:
            return NO if want_absent else YES
        if ctx.is_absent(key):
            return YES if want_absent else NO
        return maybe([clause.key])
    if values is None:
        if not ctx.is_absent(key):
            return maybe([clause.key])
        if clause.if_exists or clause.set_op == "ForAllValues":
            return YES
        if clause.base in _NEGATED and clause.set_op is None:
            return YES
        return NO
    negated = clause.base in _NEGATED
    positive = _POSITIVE_OF.get(clause.base, clause.base)
    compare = _COMPARATORS[positive]

    def value_matches(context_value: str) -> Outcome:
        outcomes = []
        for policy_value in clause.values:
            try:
                parts = substitute(policy_value, ctx.values)
            except Unresolved as u:
                outcomes.append(maybe([u.key]))
                continue
            outcomes.append(compare(context_value, parts, policy, clause, ctx))
        hit = _any(outcomes)
        return _not(hit) if negated else hit

    per_value = [value_matches(v) for v in values]
    if clause.set_op == "ForAllValues":
        return all_of(per_value)
    # ForAnyValue, and single-valued keys (a multi-valued context is "any value matches").
    return _any(per_value) if per_value else NO


def _any(outcomes: list[Outcome]) -> Outcome:
    keys: set[str] = set()
    pending = False
    for o in outcomes:
        if o.yes:
            return YES
        if o.maybe:
            pending, keys = True, keys | o.unresolved
    return maybe(keys) if pending else NO


def _not(o: Outcome) -> Outcome:
    return o if o.maybe else (NO if o.yes else YES)


def _plain(parts: list[tuple[str, bool]]) -> str:
    return "".join(p for p, _ in parts)


Comparator = Callable[[str, list[tuple[str, bool]], str, ConditionClause, RequestContext], Outcome]


def _string_equals(cv, parts, policy, clause, ctx) -> Outcome:
    return YES if cv == _plain(parts) else NO


def _string_equals_ic(cv, parts, policy, clause, ctx) -> Outcome:
    return YES if cv.casefold() == _plain(parts).casefold() else NO


def _string_like(cv, parts, policy, clause, ctx) -> Outcome:
    return _literal_glob(parts, cv)


def _literal_glob(parts: list[tuple[str, bool]], value: str) -> Outcome:
    """Glob over substituted parts: a substituted value's '*' is literal, the policy's is a wildcard."""
    return YES if glob_regex(tuple(parts), False).fullmatch(value) else NO


def _arn_like(cv, parts, policy, clause, ctx) -> Outcome:
    if any(lit for _, lit in parts):
        return _literal_glob(parts, cv)  # a substituted variable: whole-string comparison
    return arn_match(_plain(parts), cv)


def _number(text: str, policy: str, clause: ConditionClause) -> float:
    try:
        return float(text)
    except ValueError:
        raise PolicyError(policy, f"Condition.{clause.operator}.{clause.key}", f"{text!r} is not a number") from None


def _date(text: str, policy: str, clause: ConditionClause) -> dt.datetime:
    try:
        if text.replace(".", "", 1).isdigit():
            return dt.datetime.fromtimestamp(float(text), tz=dt.timezone.utc)
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PolicyError(policy, f"Condition.{clause.operator}.{clause.key}", f"{text!r} is not a date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _bool(text: str, policy: str, clause: ConditionClause) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise PolicyError(policy, f"Condition.{clause.operator}.{clause.key}", f"{text!r} is not true or false")
    return lowered == "true"


def _ordered(parse, test):
    def compare(cv, parts, policy, clause, ctx) -> Outcome:
        want = parse(_plain(parts), policy, clause)
        try:
            have = parse(cv, policy, clause)
        except PolicyError:
            return NO  # a context value of the wrong type never matches
        return YES if test(have, want) else NO

    return compare


def _bool_eq(cv, parts, policy, clause, ctx) -> Outcome:
    want = _bool(_plain(parts), policy, clause)
    return YES if cv.lower() == ("true" if want else "false") else NO


def _ip(cv, parts, policy, clause, ctx) -> Outcome:
    try:
        network = ipaddress.ip_network(_plain(parts), strict=False)
    except ValueError:
        raise PolicyError(policy, f"Condition.{clause.operator}.{clause.key}",
                          f"{_plain(parts)!r} is not an IP address or CIDR range") from None
    try:
        address = ipaddress.ip_address(cv)
    except ValueError:
        return NO
    return YES if address.version == network.version and address in network else NO


_COMPARATORS: dict[str, Comparator] = {
    "StringEquals": _string_equals,
    "StringEqualsIgnoreCase": _string_equals_ic,
    "StringLike": _string_like,
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "BinaryEquals": _string_equals,
    "Bool": _bool_eq,
    "IpAddress": _ip,
    "NumericEquals": _ordered(_number, lambda a, b: a == b),
    "NumericLessThan": _ordered(_number, lambda a, b: a < b),
    "NumericLessThanEquals": _ordered(_number, lambda a, b: a <= b),
    "NumericGreaterThan": _ordered(_number, lambda a, b: a > b),
    "NumericGreaterThanEquals": _ordered(_number, lambda a, b: a >= b),
    "DateEquals": _ordered(_date, lambda a, b: a == b),
    "DateLessThan": _ordered(_date, lambda a, b: a < b),
    "DateLessThanEquals": _ordered(_date, lambda a, b: a <= b),
    "DateGreaterThan": _ordered(_date, lambda a, b: a > b),
    "DateGreaterThanEquals": _ordered(_date, lambda a, b: a >= b),
}


def evaluate_conditions(clauses: tuple[ConditionClause, ...], ctx: RequestContext, policy: str) -> Outcome:
    """All operators, and all keys within an operator, must hold."""
    return all_of(evaluate_clause(c, ctx, policy) for c in clauses)
