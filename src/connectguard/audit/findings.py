"""Findings: what an audit reports, in the JSON contract every format derives from."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connectguard.conventions import Practice, Severity, Status, isoformat, json_envelope


@dataclass
class Finding:
    check: str
    practice: Practice
    status: Status
    severity: Severity
    title: str
    resource: str
    account: str | None
    region: str | None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: str = ""
    suppression: dict[str, Any] | None = None  # the accepted-risk entry, when SUPPRESSED

    def to_json(self) -> dict[str, Any]:
        doc = {
            "check": self.check,
            "practice": self.practice.value,
            "status": self.status.value,
            "severity": self.severity.value,
            "title": self.title,
            "resource": self.resource,
            "account": self.account,
            "region": self.region,
            "message": self.message,
            "evidence": self.evidence,
            "remediation": self.remediation,
        }
        if self.suppression is not None:
            doc["suppression"] = self.suppression
        return doc

    @property
    def is_failure(self) -> bool:
        return self.status is Status.FAIL


@dataclass
class AuditReport:
    findings: list[Finding]
    generated_at: dt.datetime
    snapshot_collected_at: dt.datetime | None = None
    account: str | None = None
    checks_run: list[str] = field(default_factory=list)
    collection_errors: int = 0
    # Per-account sections for organization runs; empty for one account.
    accounts: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counter = Counter(f.status.value for f in self.findings)
        return {s.value: counter.get(s.value, 0) for s in Status}

    def failing_severities(self) -> list[Severity]:
        return [f.severity for f in self.findings if f.status is Status.FAIL]

    def unknown_count(self) -> int:
        return sum(1 for f in self.findings if f.status is Status.UNKNOWN)

    def summary(self) -> dict[str, Any]:
        by_practice: dict[str, dict[str, int]] = {}
        for f in self.findings:
            row = by_practice.setdefault(f.practice.value, {s.value: 0 for s in Status})
            row[f.status.value] += 1
        fail_by_severity = Counter(f.severity.value for f in self.findings if f.status is Status.FAIL)
        summary = {
            "total": len(self.findings),
            "by_status": self.counts(),
            "fail_by_severity": {s.value: fail_by_severity.get(s.value, 0) for s in Severity},
            "by_practice": dict(sorted(by_practice.items())),
            "checks_run": len(self.checks_run),
            "collection_errors": self.collection_errors,
        }
        if self.accounts:  # organization runs: the same counts per account, and per practice and account
            by_account: dict[str, dict[str, int]] = {}
            by_practice_account: dict[str, dict[str, dict[str, int]]] = {}
            for f in self.findings:
                account = f.account or "unknown"
                by_account.setdefault(account, {s.value: 0 for s in Status})[f.status.value] += 1
                cell = by_practice_account.setdefault(f.practice.value, {}).setdefault(
                    account, {s.value: 0 for s in Status})
                cell[f.status.value] += 1
            summary["accounts"] = len(self.accounts)
            summary["by_account"] = dict(sorted(by_account.items()))
            summary["by_practice_and_account"] = dict(sorted(by_practice_account.items()))
        return summary

    def to_json(self) -> dict[str, Any]:
        doc = json_envelope(
            {
                "findings": [f.to_json() for f in self.findings],
                "summary": self.summary(),
            },
            generated_at=self.generated_at,
        )
        if self.snapshot_collected_at:
            doc["snapshot_collected_at"] = isoformat(self.snapshot_collected_at)
        if self.accounts:
            doc["accounts"] = self.accounts
        return doc
