"""Accepted risks: a YAML file of suppressions applied at audit time.

    suppressions:
      - check: unused-security-profile          # a check id (exact)
        resource: "arn:aws:connect:*:*:instance/*/security-profile/*"   # glob over the resource
        reason: "AWS default profiles, kept for reference"               # required
        expires: 2027-03-31                                               # required, YYYY-MM-DD
        ticket: SEC-1234                                                  # optional

A matching FAIL or MANUAL finding becomes SUPPRESSED and carries the entry. An entry past its expiry
date suppresses nothing: the finding resurfaces with a note that its acceptance expired. PASS and
UNKNOWN are never suppressed (an accepted risk must not hide a blind spot). Any problem with the
file is an input error naming the file, the entry and its line.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from connectguard.audit.findings import Finding
from connectguard.conventions import InputError, Status

_FIELDS = {"check", "resource", "reason", "expires", "ticket", "account", "region"}
_SUPPRESSIBLE = (Status.FAIL, Status.MANUAL)


@dataclass(frozen=True)
class Suppression:
    check: str
    resource: str
    reason: str
    expires: dt.date
    ticket: str | None = None
    account: str | None = None
    region: str | None = None
    line: int = 0

    def matches(self, finding: Finding) -> bool:
        return (
            finding.check == self.check
            and fnmatch.fnmatchcase(finding.resource, self.resource)
            and (self.account is None or finding.account == self.account)
            and (self.region is None or fnmatch.fnmatchcase(finding.region or "", self.region))
        )

    def describe(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"check": self.check, "resource": self.resource, "reason": self.reason,
                               "expires": self.expires.isoformat()}
        for key in ("ticket", "account", "region"):
            if getattr(self, key):
                doc[key] = getattr(self, key)
        if self.line:
            doc["line"] = self.line
        return doc


@dataclass
class Suppressions:
    entries: list[Suppression]
    source: str = "<suppressions>"
    used: set[int] = field(default_factory=set)

    def apply(self, findings: list[Finding], *, today: dt.date) -> list[Finding]:
        out = []
        for finding in findings:
            out.append(self._apply_one(finding, today))
        return out

    def _apply_one(self, finding: Finding, today: dt.date) -> Finding:
        if finding.status not in _SUPPRESSIBLE:
            return finding
        expired = None
        for i, entry in enumerate(self.entries):
            if not entry.matches(finding):
                continue
            if entry.expires < today:
                expired = expired or entry
                continue
            self.used.add(i)
            return replace(finding, status=Status.SUPPRESSED,
                           suppression={**entry.describe(), "source": self.source, "original_status":
                                        finding.status.value})
        if expired is not None:
            evidence = {**finding.evidence, "expired_suppression": {**expired.describe(), "source": self.source}}
            return replace(finding, evidence=evidence,
                           message=f"{finding.message} (accepted risk expired on {expired.expires.isoformat()})")
        return finding

    def unused(self) -> list[Suppression]:
        return [e for i, e in enumerate(self.entries) if i not in self.used]


def load_suppressions(path: str | Path) -> Suppressions:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such suppressions file", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read suppressions: {exc}", str(path)) from None
    return parse_suppressions(text, source=str(path))


def parse_suppressions(text: str, *, source: str = "<suppressions>", known_checks: set[str] | None = None
                       ) -> Suppressions:
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise InputError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", where) from None
    if data is None:
        return Suppressions([], source)
    if not isinstance(data, dict) or set(data) - {"suppressions"}:
        raise InputError("expected a mapping with one key, 'suppressions', holding a list", source)
    items = data.get("suppressions") or []
    if not isinstance(items, list):
        raise InputError("'suppressions' must be a list", source)
    item_nodes = _item_nodes(node)
    if known_checks is None:
        from connectguard.audit.registry import all_checks

        known_checks = {c.meta.id for c in all_checks()}
    entries = []
    for i, item in enumerate(items):
        line = item_nodes[i].start_mark.line + 1 if i < len(item_nodes) else 0
        entries.append(_entry(item, i, line, source, known_checks))
    return Suppressions(entries, source)


def _item_nodes(node: Any) -> list[Any]:
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "suppressions" and isinstance(value, yaml.SequenceNode):
            return list(value.value)
    return []


def _entry(item: Any, index: int, line: int, source: str, known_checks: set[str]) -> Suppression:
    where = f"{source}:{line}" if line else source
    label = f"suppression #{index + 1}"
    if not isinstance(item, dict):
        raise InputError(f"{label}: expected a mapping with check, resource, reason and expires", where)
    unknown = sorted(set(map(str, item)) - _FIELDS)
    if unknown:
        raise InputError(f"{label}: unknown key(s) {', '.join(unknown)}", where)
    for key in ("check", "resource", "reason", "expires"):
        if item.get(key) in (None, ""):
            raise InputError(f"{label}: '{key}' is required", where)
    check = str(item["check"])
    if check not in known_checks:
        raise InputError(f"{label}: unknown check {check!r} (see `connectguard checks`)", where)
    expires = item["expires"]
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    elif isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires.strip())
        except ValueError:
            raise InputError(f"{label}: 'expires' must be a date YYYY-MM-DD, got {expires!r}", where) from None
    elif not isinstance(expires, dt.date):
        raise InputError(f"{label}: 'expires' must be a date YYYY-MM-DD, got {expires!r}", where)
    reason = str(item["reason"]).strip()
    if not reason:
        raise InputError(f"{label}: 'reason' must say why the risk is accepted", where)
    return Suppression(
        check=check, resource=str(item["resource"]), reason=reason, expires=expires,
        ticket=None if item.get("ticket") is None else str(item["ticket"]),
        account=None if item.get("account") is None else str(item["account"]),
        region=None if item.get("region") is None else str(item["region"]), line=line,
    )
