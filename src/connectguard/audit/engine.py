"""Run checks over a snapshot. Pure: no AWS, no files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connectguard.audit.findings import AuditReport, Finding
from connectguard.audit.registry import CheckContext, RegisteredCheck, Result, all_checks
from connectguard.config import Config
from connectguard.conventions import Severity, Status, utc_now
from connectguard.inventory.io import gc_paused
from connectguard.inventory.model import Snapshot

_STATUS_ORDER = {Status.FAIL: 0, Status.UNKNOWN: 1, Status.MANUAL: 2, Status.SUPPRESSED: 3, Status.PASS: 4}


def run_audit(
    snapshot: Snapshot,
    config: Config | None = None,
    checks: Iterable[RegisteredCheck] | None = None,
    *,
    extra: dict[str, Any] | None = None,
    suppressions: Any = None,
) -> AuditReport:
    config = config or Config()
    checks = list(checks) if checks is not None else all_checks()
    ctx = CheckContext(snapshot=snapshot, config=config, extra=dict(extra or {}))
    with gc_paused():  # checks build many small acyclic objects; see inventory.io.gc_paused
        findings = [finding for registered in checks for finding in _run_check(ctx, registered)]
    if suppressions is not None:
        findings = suppressions.apply(findings, today=utc_now().date())
    findings.sort(key=lambda f: (_STATUS_ORDER[f.status], -f.severity.rank, f.practice.value, f.check, f.resource))
    return AuditReport(
        findings=findings,
        generated_at=utc_now(),
        snapshot_collected_at=snapshot.collected_at,
        account=snapshot.account_id,
        checks_run=[c.meta.id for c in checks],
        collection_errors=len(snapshot.errors),
    )


def _run_check(ctx: CheckContext, registered: RegisteredCheck) -> list[Finding]:
    meta = registered.meta
    if any(need not in ctx.extra for need in meta.needs):
        return []  # e.g. chat checks without a chat source: not asked for, so no result
    snapshot = ctx.snapshot
    try:
        results = list(registered.run(ctx))
    except Exception as exc:  # fail closed: a crashing check is UNKNOWN, never silence
        results = [
            Result(
                resource=f"arn:{snapshot.partition}:connect::{snapshot.account_id or 'unknown'}:account",
                status=Status.UNKNOWN,
                message=f"check {meta.id} failed: {type(exc).__name__}: {exc}",
                severity=Severity.HIGH,
            )
        ]
    return [
        Finding(
            check=meta.id,
            practice=meta.practice,
            status=r.status,
            severity=r.severity or meta.severity,
            title=meta.title,
            resource=r.resource,
            account=r.account or snapshot.account_id,
            region=r.region,
            message=r.message,
            evidence=r.evidence,
            remediation=r.remediation or meta.remediation,
        )
        for r in results
    ]
