"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

* one rule per check (metadata from the registry: title, rationale, remediation, practice tag and
  GitHub's ``security-severity``);
* one result per FAIL, UNKNOWN, MANUAL and SUPPRESSED finding (PASS only with ``show_pass``):
  FAIL is ``kind: fail`` with a level from the severity; UNKNOWN is ``kind: open`` and MANUAL
  ``kind: review`` (level ``none``, as the spec requires for those kinds); SUPPRESSED carries an
  external, accepted suppression with the reason;
* each location is a repository-relative pseudo-path (see ``pseudo_path``) plus the ARN as a
  logical location; ``partialFingerprints`` is a digest of account, region, check and resource.
"""

from __future__ import annotations

import json
from typing import Any

from connectguard import __version__
from connectguard.audit.findings import AuditReport, Finding
from connectguard.conventions import TOOL_NAME, Severity, Status, isoformat
from connectguard.report._common import DOCS_URL, SEVERITY_SCORE, check_metadata, finding_digest, pseudo_path

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note",
          Severity.INFO: "note"}
_KIND = {Status.FAIL: "fail", Status.UNKNOWN: "open", Status.MANUAL: "review", Status.PASS: "pass",
         Status.SUPPRESSED: "fail"}


def render_sarif(report: AuditReport, *, show_pass: bool = False, **_: Any) -> str:
    return json.dumps(sarif_document(report, show_pass=show_pass), indent=2, default=str) + "\n"


def sarif_document(report: AuditReport, *, show_pass: bool = False) -> dict[str, Any]:
    meta = check_metadata()
    findings = [f for f in report.findings if show_pass or f.status is not Status.PASS]
    rule_ids = sorted({f.check for f in report.findings} | set(report.checks_run))
    rules = [_rule(rid, meta.get(rid), report) for rid in rule_ids]
    index = {rid: i for i, rid in enumerate(rule_ids)}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": TOOL_NAME,
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": "https://github.com/connectguard/connectguard",
            "rules": rules,
        }},
        "automationDetails": {"id": f"connectguard/audit/{_scope(report)}/"},
        "invocations": [{
            "executionSuccessful": True,
            "endTimeUtc": isoformat(report.generated_at),
            "properties": {"collection_errors": report.collection_errors},
        }],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.check]) for f in findings],
        "properties": {"summary": report.summary(), "account": report.account},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _scope(report: AuditReport) -> str:
    if report.account:
        return report.account
    return "organization" if report.accounts else "unknown-account"


def _rule(rule_id: str, meta: Any, report: AuditReport) -> dict[str, Any]:
    if meta is None:  # a finding from a check this build does not know (e.g. an engine crash result)
        severity = max((f.severity for f in report.findings if f.check == rule_id), key=lambda s: s.rank,
                       default=Severity.MEDIUM)
        return {"id": rule_id, "name": rule_id, "shortDescription": {"text": rule_id},
                "defaultConfiguration": {"level": _LEVEL[severity]},
                "properties": {"tags": ["security"], "security-severity": SEVERITY_SCORE[severity]}}
    return {
        "id": meta.id,
        "name": "".join(w.capitalize() for w in meta.id.split("-")),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": meta.rationale},
        "help": {"text": meta.remediation, "markdown": f"**Why it matters.** {meta.rationale}\n\n"
                                                      f"**Remediation.** {meta.remediation}"},
        "helpUri": f"{DOCS_URL}#{meta.id}",
        "defaultConfiguration": {"level": _LEVEL[meta.severity]},
        "properties": {
            "tags": ["security", "amazon-connect", meta.practice.value],
            "security-severity": SEVERITY_SCORE[meta.severity],
            "precision": "high",
            "practice": meta.practice.value,
        },
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    kind = _KIND[finding.status]
    result: dict[str, Any] = {
        "ruleId": finding.check,
        "ruleIndex": rule_index,
        "kind": kind,
        "level": _LEVEL[finding.severity] if kind == "fail" else "none",
        "message": {"text": _message(finding)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": pseudo_path(finding)},
                "region": {"startLine": 1},
            },
            "logicalLocations": [{"fullyQualifiedName": finding.resource, "kind": "resource"}],
        }],
        "partialFingerprints": {"connectguardFinding/v1": finding_digest(finding)},
        "properties": {
            "status": finding.status.value,
            "severity": finding.severity.value,
            "security-severity": SEVERITY_SCORE[finding.severity],
            "practice": finding.practice.value,
            "account": finding.account,
            "region": finding.region,
            "resource": finding.resource,
            "evidence": finding.evidence,
            "remediation": finding.remediation,
        },
    }
    if finding.status is Status.SUPPRESSED and finding.suppression:
        result["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": str(finding.suppression.get("reason", ""))[:1000],
            "properties": {k: v for k, v in finding.suppression.items() if k != "reason"},
        }]
    return result


def _message(finding: Finding) -> str:
    prefix = {Status.UNKNOWN: "UNKNOWN: ", Status.MANUAL: "MANUAL: ", Status.SUPPRESSED: "SUPPRESSED: "}
    return f"{prefix.get(finding.status, '')}{finding.message}\n\nRemediation: {finding.remediation}"
