"""SARIF 2.1.0: validates against the OASIS schema; locations GitHub code scanning accepts."""

import json
from pathlib import Path

import pytest

from connectguard.audit.findings import AuditReport
from connectguard.conventions import Status
from connectguard.report import render
from connectguard.report._common import pseudo_path

SCHEMA = Path(__file__).resolve().parents[2] / ".." / "shared" / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SCHEMA} (the shared/ folder is beside the repository)")
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft4Validator(schema)


def test_sarif_validates_against_the_schema(demo_report, validator):
    doc = json.loads(render(demo_report, "sarif", show_pass=True))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    results = doc["runs"][0]["results"]
    assert len(results) == len(demo_report.findings)


def test_validator_catches_a_broken_document(demo_report, validator):
    doc = json.loads(render(demo_report, "sarif"))
    doc["runs"][0]["results"][0]["level"] = "catastrophic"
    assert list(validator.iter_errors(doc))


def test_locations_are_repository_relative_pseudo_paths(demo_report):
    doc = json.loads(render(demo_report, "sarif"))
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    for result in doc["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("connectguard/") and "arn:" not in uri and "://" not in uri and ".." not in uri
        assert not uri.startswith("/") and " " not in uri and "<" not in uri
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        if result["kind"] == "fail":
            assert result["level"] in ("error", "warning", "note")
        else:
            assert result["level"] == "none"
    # PASS is left out unless asked for
    assert {r["properties"]["status"] for r in doc["runs"][0]["results"]} <= {"FAIL", "UNKNOWN", "MANUAL", "SUPPRESSED"}


def test_pseudo_path_is_stable_and_keeps_resources_apart(demo_report):
    f = demo_report.findings[0]
    assert pseudo_path(f) == pseudo_path(f)
    origins = [x for x in demo_report.findings if x.check == "approved-origin-unsafe" and "approved-origin/" in x.resource]
    paths = {pseudo_path(x) for x in origins}
    assert len(paths) == len(origins) >= 5
    one = [x for x in origins if x.resource.endswith("http://localhost:3000")][0]
    assert pseudo_path(one).endswith("/approved-origin/http%3A/_/localhost%3A3000")
    assert pseudo_path(one).startswith(f"connectguard/{one.account}/us-east-1/connect/instance/")


def test_rules_carry_github_security_severity(demo_report):
    doc = json.loads(render(demo_report, "sarif"))
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        assert 0.0 <= float(rule["properties"]["security-severity"]) <= 10.0
        assert "security" in rule["properties"]["tags"]


def test_suppressed_findings_carry_an_accepted_suppression(demo_report):
    finding = [f for f in demo_report.findings if f.status is Status.FAIL][0]
    suppressed = AuditReport(findings=[finding], generated_at=demo_report.generated_at, account=demo_report.account)
    finding_copy = suppressed.findings[0].__class__(**{**finding.__dict__, "status": Status.SUPPRESSED,
                                                       "suppression": {"reason": "accepted", "expires": "2027-01-01"}})
    suppressed.findings = [finding_copy]
    [result] = json.loads(render(suppressed, "sarif"))["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "external", "status": "accepted", "justification": "accepted",
                                       "properties": {"expires": "2027-01-01"}}]
    # the same resource keeps the same fingerprint whatever its status
    [original] = json.loads(render(AuditReport(findings=[finding], generated_at=demo_report.generated_at),
                                   "sarif"))["runs"][0]["results"]
    assert original["partialFingerprints"] == result["partialFingerprints"]
