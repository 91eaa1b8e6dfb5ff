"""Three-valued matching: IAM globbing (`*`, `?`), ARNs and policy variables.

Every match answers YES, NO, or MAYBE (it depends on request-context keys we were not
given). A policy variable such as ``${aws:username}`` that the context does not supply is
MAYBE, never a guess: for an Allow that means "may be granted", for a Deny "may not
protect".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Outcome:
    value: bool | None  # None = depends on ``unresolved``
    unresolved: frozenset[str] = frozenset()

    @property
    def yes(self) -> bool:
        return self.value is True

    @property
    def no(self) -> bool:
        return self.value is False

    @property
    def maybe(self) -> bool:
        return self.value is None


YES = Outcome(True)
NO = Outcome(False)


def maybe(keys: Iterable[str]) -> Outcome:
    return Outcome(None, frozenset(keys))


def all_of(outcomes: Iterable[Outcome]) -> Outcome:
    keys: set[str] = set()
    pending = False
    for o in outcomes:
        if o.no:
            return NO
        if o.maybe:
            pending = True
            keys |= o.unresolved
    return maybe(keys) if pending else YES


def any_of(outcomes: Iterable[Outcome]) -> Outcome:
    keys: set[str] = set()
    pending = False
    for o in outcomes:
        if o.yes:
            return YES
        if o.maybe:
            pending = True
            keys |= o.unresolved
    return maybe(keys) if pending else NO


def negate(o: Outcome) -> Outcome:
    if o.maybe:
        return o
    return NO if o.yes else YES


# ------------------------------------------------------------------ policy variables

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


class Unresolved(Exception):
    def __init__(self, key: str):
        self.key = key


def substitute(text: str, variables: Mapping[str, list[str]] | None) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, is_literal) parts with variables replaced by their value.

    ``${*}``, ``${?}`` and ``${$}`` are the literal characters. ``${key, 'default'}`` uses the
    default when the key is absent. Raises Unresolved(key) for a variable with no value.
    Substituted values are literal: a ``*`` inside a user name is not a wildcard.
    """
    if "${" not in text:
        return [(text, False)]
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in _VARIABLE.finditer(text):
        if m.start() > pos:
            parts.append((text[pos:m.start()], False))
        inner = m.group(1).strip()
        if inner in _SPECIAL:
            parts.append((_SPECIAL[inner], True))
        else:
            key, _, default = inner.partition(",")
            key = key.strip()
            value = (variables or {}).get(key.lower())
            if value:
                parts.append((value[0], True))
            elif default.strip():
                parts.append((default.strip().strip("'\""), True))
            else:
                raise Unresolved(key)
        pos = m.end()
    if pos < len(text):
        parts.append((text[pos:], False))
    return parts


@lru_cache(maxsize=8192)
def glob_regex(parts: tuple[tuple[str, bool], ...], ignore_case: bool) -> re.Pattern[str]:
    out = []
    for piece, literal in parts:
        if literal:
            out.append(re.escape(piece))
            continue
        for ch in piece:
            out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False,
               variables: Mapping[str, list[str]] | None = None) -> Outcome:
    """IAM-style glob: ``*`` any run of characters, ``?`` any one character."""
    try:
        parts = substitute(pattern, variables)
    except Unresolved as u:
        return maybe([u.key])
    return YES if glob_regex(tuple(parts), ignore_case).fullmatch(value) else NO


def action_match(pattern: str, action: str) -> bool:
    """Action names are case-insensitive; they never contain policy variables."""
    return glob_match(pattern, action, ignore_case=True).yes


def arn_match(pattern: str, arn: str, *, variables: Mapping[str, list[str]] | None = None) -> Outcome:
    """Match an ARN pattern segment by segment (as ArnLike does; `*` alone matches everything).

    The six colon-separated parts are compared separately, so a wildcard in the region
    cannot swallow the account. A pattern with fewer parts lets its last part match the
    rest of the ARN (``arn:aws:s3:::bucket/*``-style patterns are already six parts).
    """
    if pattern == "*":
        return YES
    p_parts = pattern.split(":", 5)
    v_parts = arn.split(":", 5)
    if len(p_parts) < 6:
        if len(v_parts) < len(p_parts):
            return NO
        v_parts = v_parts[: len(p_parts) - 1] + [":".join(v_parts[len(p_parts) - 1:])]
    elif len(v_parts) != 6:
        return glob_match(pattern, arn, variables=variables)
    return all_of(glob_match(p, v, variables=variables) for p, v in zip(p_parts, v_parts, strict=True))
