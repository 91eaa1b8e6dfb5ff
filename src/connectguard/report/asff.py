"""ASFF (AWS Security Finding Format) for Security Hub ``BatchImportFindings``.

Output is a JSON list of findings, ready for ``aws securityhub batch-import-findings --findings file://...``
(at most 100 per call: see docs/reports.md). Design:

* ``Id`` is stable: ``connectguard/<account>/<region>/<check>/<digest of account, region, check and
  resource>``, so a re-import *updates* a finding instead of adding a duplicate;
* every result is exported, PASS included: a fixed finding is re-imported with Compliance ``PASSED`` and
  RecordState ``ARCHIVED``, otherwise it would stay open in Security Hub for ever;
* SUPPRESSED is Compliance ``FAILED`` with Workflow ``SUPPRESSED`` and the reason in ``Note``;
  UNKNOWN is ``NOT_AVAILABLE``; MANUAL is ``WARNING``;
* ``ProductArn`` is the finding's account's default product in the finding's region (global resources use
  the ``region`` option, else the report's most common region): import each account's and region's findings
  there (an organization report holds several accounts).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from connectguard.audit.findings import AuditReport, Finding
from connectguard.conventions import InputError, Severity, Status, isoformat
from connectguard.report._common import DOCS_URL, check_metadata, finding_digest, parse_arn

ASFF_SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices/Amazon Connect"
# Security Hub's documented field limits.
_TITLE_MAX, _DESCRIPTION_MAX, _REMEDIATION_MAX, _NOTE_MAX = 256, 1024, 512, 512
_PRODUCT_FIELD_MAX, _OTHER_MAX = 2000, 1024

_LABEL = {Severity.CRITICAL: "CRITICAL", Severity.HIGH: "HIGH", Severity.MEDIUM: "MEDIUM", Severity.LOW: "LOW",
          Severity.INFO: "INFORMATIONAL"}
_NORMALIZED = {"CRITICAL": 90, "HIGH": 70, "MEDIUM": 40, "LOW": 1, "INFORMATIONAL": 0}
_COMPLIANCE = {Status.FAIL: "FAILED", Status.SUPPRESSED: "FAILED", Status.PASS: "PASSED",
               Status.UNKNOWN: "NOT_AVAILABLE", Status.MANUAL: "WARNING"}


def render_asff(report: AuditReport, *, region: str | None = None, **_: Any) -> str:
    return json.dumps(asff_findings(report, region=region), indent=2, default=str) + "\n"


def asff_findings(report: AuditReport, *, region: str | None = None) -> list[dict[str, Any]]:
    default_region = region or _most_common_region(report) or "us-east-1"
    meta = check_metadata()
    timestamp = isoformat(report.generated_at)
    out = []
    for f in report.findings:
        # Organization runs carry one account per finding; a single-account report has it on the report.
        account = f.account or report.account
        if not account or not (len(account) == 12 and account.isdigit()):
            raise InputError(f"ASFF needs each finding's 12-digit AWS account id (got {account!r} for {f.resource})")
        out.append(_finding(f, account, region or f.region or default_region, timestamp, meta.get(f.check)))
    return out


def asff_batches(findings: list[dict[str, Any]], size: int = 100) -> list[list[dict[str, Any]]]:
    """BatchImportFindings takes at most 100 findings per call."""
    return [findings[i:i + size] for i in range(0, len(findings), size)]


def _most_common_region(report: AuditReport) -> str | None:
    counts = Counter(f.region for f in report.findings if f.region)
    return counts.most_common(1)[0][0] if counts else None


def _clip(text: str, limit: int) -> str:
    text = text.strip() or "-"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finding(f: Finding, account: str, region: str, timestamp: str, meta: Any) -> dict[str, Any]:
    arn = parse_arn(f.resource)
    partition = (arn or {}).get("partition") or "aws"
    label = "INFORMATIONAL" if f.status is Status.PASS else _LABEL[f.severity]
    digest = finding_digest(f)
    resource_type = "AwsIamRole" if arn and arn["service"] == "iam" and arn["resource"].startswith("role/") else "Other"
    doc: dict[str, Any] = {
        "SchemaVersion": ASFF_SCHEMA_VERSION,
        "Id": f"connectguard/{account}/{region}/{f.check}/{digest[:40]}",
        "ProductArn": f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default",
        "ProductName": "connectguard",
        "CompanyName": "connectguard",
        "GeneratorId": f"connectguard/{f.check}",
        "AwsAccountId": account,
        "Region": region,
        "Types": [FINDING_TYPE],
        "CreatedAt": timestamp,
        "UpdatedAt": timestamp,
        "Severity": {"Label": label, "Normalized": _NORMALIZED[label], "Original": f.severity.value},
        "Title": _clip(f.title, _TITLE_MAX),
        "Description": _clip(f"{f.status.value}: {f.message}", _DESCRIPTION_MAX),
        "Remediation": {"Recommendation": {"Text": _clip(f.remediation, _REMEDIATION_MAX),
                                           "Url": f"{DOCS_URL}#{f.check}"}},
        "SourceUrl": f"{DOCS_URL}#{f.check}",
        "ProductFields": {
            "connectguard/check": f.check,
            "connectguard/practice": f.practice.value,
            "connectguard/status": f.status.value,
            "connectguard/severity": f.severity.value,
            "connectguard/evidence": _clip(json.dumps(f.evidence, default=str, sort_keys=True), _PRODUCT_FIELD_MAX),
        },
        "Resources": [{
            "Type": resource_type,
            "Id": _clip(f.resource, 512),
            "Partition": partition,
            "Region": region,
            "Details": {"Other": {"connectguard.resource": _clip(f.resource, _OTHER_MAX),
                                  "connectguard.practice": f.practice.value}},
        }],
        "Compliance": {"Status": _COMPLIANCE[f.status]},
        "RecordState": "ARCHIVED" if f.status is Status.PASS else "ACTIVE",
    }
    if f.status is Status.SUPPRESSED:
        doc["Workflow"] = {"Status": "SUPPRESSED"}
        reason = (f.suppression or {}).get("reason", "accepted risk")
        expires = (f.suppression or {}).get("expires", "")
        doc["Note"] = {"Text": _clip(f"Accepted risk until {expires}: {reason}", _NOTE_MAX),
                       "UpdatedBy": "connectguard", "UpdatedAt": timestamp}
    elif f.status is not Status.PASS:
        doc["Workflow"] = {"Status": "NEW"}
    if meta is not None:
        doc["ProductFields"]["connectguard/rationale"] = _clip(meta.rationale, _PRODUCT_FIELD_MAX)
    return doc
