"""Organization reports (several accounts, no single report account) in ASFF, SARIF and HTML."""

import datetime as dt
import json

from connectguard.audit.findings import AuditReport, Finding
from connectguard.conventions import Practice, Severity, Status
from connectguard.report import render
from connectguard.report.asff import asff_findings


def _finding(account, status=Status.FAIL):
    return Finding(check="approved-origin-unsafe", practice=Practice.APPROVED_ORIGINS, status=status,
                   severity=Severity.HIGH, title="t", resource=f"arn:aws:connect:us-east-1:{account}:instance/i",
                   account=account, region="us-east-1", message="m")


def _org_report():
    return AuditReport(
        findings=[_finding("111111111111"), _finding("222222222222", Status.PASS)],
        generated_at=dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc), account=None,
        accounts=[{"account": "111111111111", "name": "<i>prod</i>", "ou_path": ["Root", "Prod"],
                   "status": "collected", "by_status": {"FAIL": 1}},
                  {"account": "222222222222", "name": "dev", "ou_path": ["Root"], "status": "collected",
                   "by_status": {"PASS": 1}}])


def test_asff_uses_each_findings_account():
    a, b = asff_findings(_org_report())
    assert a["AwsAccountId"] == "111111111111" and "product/111111111111/default" in a["ProductArn"]
    assert b["AwsAccountId"] == "222222222222" and b["RecordState"] == "ARCHIVED"


def test_html_and_sarif_name_the_organization():
    page = render(_org_report(), "html")
    assert "organization, 2 accounts" in page and "&lt;i&gt;prod&lt;/i&gt;" in page and "Root / Prod" in page
    doc = json.loads(render(_org_report(), "sarif"))
    assert doc["runs"][0]["automationDetails"]["id"] == "connectguard/audit/organization/"
