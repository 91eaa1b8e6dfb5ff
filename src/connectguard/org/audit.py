"""Audit every account of an organization index into one merged report.

Pure apart from reading the snapshots the index names. Accounts are audited one at a
time and only their findings are kept, so memory follows the largest account, not the
organization.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from connectguard.audit.engine import run_audit
from connectguard.audit.findings import AuditReport, Finding
from connectguard.audit.registry import RegisteredCheck, all_checks
from connectguard.config import Config
from connectguard.conventions import InputError, Severity, Status, utc_now
from connectguard.inventory import load_snapshot
from connectguard.org.index import OrganizationIndex


def audit_organization(
    index: OrganizationIndex,
    index_dir: Path,
    config: Config,
    checks: list[RegisteredCheck] | None = None,
    *,
    extra: dict[str, Any] | None = None,
    suppressions: Any = None,
) -> AuditReport:
    checks = checks if checks is not None else all_checks()
    findings: list[Finding] = []
    sections: list[dict[str, Any]] = []
    collected_at = []
    errors = 0
    for entry in index.accounts:
        section: dict[str, Any] = {"account": entry.account_id, "name": entry.name, "ou_path": entry.ou_path,
                                   "status": entry.status, "reason": entry.reason, "regions": entry.regions,
                                   "regions_refused": [r.model_dump() for r in entry.regions_refused]}
        if entry.status == "collected" and entry.snapshot:
            try:
                snapshot = load_snapshot(index_dir / entry.snapshot)
            except InputError as exc:
                account_findings = _unknown_account(entry.account_id, checks, f"snapshot unreadable: {exc}")
            else:
                report = run_audit(snapshot, config, checks, extra=extra, suppressions=suppressions)
                account_findings = report.findings
                collected_at.append(snapshot.collected_at)
                errors += report.collection_errors
                # A region that refused is part of this account nobody could see.
                for refused in entry.regions_refused:
                    account_findings += _unknown_account(entry.account_id, checks,
                                                         f"region {refused.region} refused: {refused.reason}",
                                                         region=refused.region)
        else:
            account_findings = _unknown_account(entry.account_id, checks, entry.reason or "not collected")
        counts = Counter(f.status.value for f in account_findings)
        section["by_status"] = {s.value: counts.get(s.value, 0) for s in Status}
        section["fail_by_severity"] = dict(Counter(f.severity.value for f in account_findings
                                                   if f.status is Status.FAIL))
        sections.append(section)
        findings.extend(account_findings)
    from connectguard.audit.engine import _STATUS_ORDER  # same ordering as a single-account report

    findings.sort(key=lambda f: (_STATUS_ORDER[f.status], -f.severity.rank, f.practice.value, f.check,
                                 f.account or "", f.resource))
    return AuditReport(findings=findings, generated_at=utc_now(),
                       snapshot_collected_at=min(collected_at) if collected_at else None,
                       account=None, checks_run=[c.meta.id for c in checks], collection_errors=errors,
                       accounts=sections)


def _unknown_account(account_id: str, checks: list[RegisteredCheck], reason: str,
                     region: str | None = None) -> list[Finding]:
    """One UNKNOWN per check: the account (or region) was not seen, so nothing about it may look fine."""
    resource = f"arn:aws:connect:{region or ''}:{account_id}:account"
    return [
        Finding(check=c.meta.id, practice=c.meta.practice, status=Status.UNKNOWN, severity=Severity.HIGH,
                title=c.meta.title, resource=resource, account=account_id, region=region,
                message=f"account {account_id} could not be evaluated: {reason}",
                evidence={"account_status": reason}, remediation=(
                    "Deploy the audit role to this account (`connectguard deploy-role`) and check that the "
                    "auditing principal may assume it; then run the organization collection again."))
        for c in checks if not c.meta.needs
    ]
