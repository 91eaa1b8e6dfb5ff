"""Checks are plain functions registered with a decorator carrying their metadata (Bandit-style).

A check is pure: it reads the snapshot and the configuration in its CheckContext and
yields one :class:`Result` per resource. It does no I/O. Modules under
``connectguard.checks`` are imported once, on first use of the registry.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from connectguard.config import Config
from connectguard.conventions import InputError, Practice, Severity, Status
from connectguard.inventory.model import CollectionError, Snapshot


@dataclass(frozen=True)
class CheckMeta:
    id: str
    title: str
    practice: Practice
    severity: Severity  # the severity of a FAIL unless the result says otherwise
    rationale: str  # why it matters
    remediation: str  # how to fix it, one paragraph
    before: str = ""  # docs: the mis-configuration (code/JSON/CLI), for docs/checks.md
    after: str = ""  # docs: the fixed configuration
    detects: str = ""  # docs: what it detects, if more than the title says
    needs: tuple[str, ...] = ()  # inputs beyond the snapshot (CheckContext.extra keys): "chat_scan", "chat_csp"


@dataclass
class Result:
    """One check's verdict on one resource."""

    resource: str
    status: Status
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None  # overrides the check's severity for this result
    region: str | None = None
    account: str | None = None
    remediation: str | None = None  # overrides the check's remediation (e.g. a proposed diff)


CheckFunction = Callable[["CheckContext"], Iterable[Result]]


@dataclass(frozen=True)
class RegisteredCheck:
    meta: CheckMeta
    function: CheckFunction

    def run(self, ctx: CheckContext) -> Iterable[Result]:
        return self.function(ctx)


@dataclass
class CheckContext:
    """Everything a check may read. Pure data: no clients, no files."""

    snapshot: Snapshot
    config: Config
    # Inputs other than the snapshot, keyed by CheckMeta.needs names (e.g. parsed chat scan results).
    extra: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def account(self) -> str | None:
        return self.snapshot.account_id

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """Share derived data (flow graphs, effective permissions) between checks of one run."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def unknown(
        self,
        resource: str,
        what: str,
        errors: list[CollectionError],
        *,
        region: str | None = None,
    ) -> Result:
        """An UNKNOWN result quoting the failures that hid what the check needed."""
        reasons = [e.describe() for e in errors] or ["the collector did not record this data"]
        return Result(
            resource=resource,
            status=Status.UNKNOWN,
            message=f"could not evaluate: {what} was not seen ({reasons[0]})",
            evidence={"collection_errors": [e.model_dump(exclude_none=True) for e in errors]},
            region=region,
        )


_REGISTRY: dict[str, RegisteredCheck] = {}
_LOADED = False


def check(
    *,
    id: str,
    title: str,
    practice: Practice,
    severity: Severity,
    rationale: str,
    remediation: str,
    before: str = "",
    after: str = "",
    detects: str = "",
    needs: tuple[str, ...] = (),
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under ``id`` with its metadata."""

    meta = CheckMeta(
        id=id,
        title=title,
        practice=practice,
        severity=severity,
        rationale=" ".join(rationale.split()),
        remediation=" ".join(remediation.split()),
        before=before.strip("\n"),
        after=after.strip("\n"),
        detects=" ".join(detects.split()),
        needs=needs,
    )

    def decorate(fn: CheckFunction) -> CheckFunction:
        if id in _REGISTRY and _REGISTRY[id].function is not fn:
            raise RuntimeError(f"check id {id!r} registered twice")
        _REGISTRY[id] = RegisteredCheck(meta, fn)
        fn.meta = meta  # type: ignore[attr-defined]
        return fn

    return decorate


def _load_builtin_checks() -> None:
    global _LOADED
    if _LOADED:
        return
    import connectguard.checks as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")
    _LOADED = True


def all_checks() -> list[RegisteredCheck]:
    _load_builtin_checks()
    order = {p: i for i, p in enumerate(Practice)}
    return sorted(_REGISTRY.values(), key=lambda c: (order[c.meta.practice], c.meta.id))


def select_checks(include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[RegisteredCheck]:
    """Select by check id or practice name; an unknown name is an input error."""
    checks = all_checks()
    known = {c.meta.id for c in checks} | {p.value for p in Practice}

    def names(values: Iterable[str]) -> set[str]:
        out = {n.strip() for v in values for n in v.split(",") if n.strip()}
        unknown = sorted(out - known)
        if unknown:
            raise InputError(f"unknown check or practice: {', '.join(unknown)} (see `connectguard checks`)")
        return out

    inc, exc = names(include), names(exclude)

    def matches(c: RegisteredCheck, wanted: set[str]) -> bool:
        return c.meta.id in wanted or c.meta.practice.value in wanted

    return [c for c in checks if (not inc or matches(c, inc)) and not matches(c, exc)]

