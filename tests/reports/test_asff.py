"""ASFF for Security Hub BatchImportFindings: botocore's own validation, stable ids, PASS archives."""

import copy
import json

import botocore.session
import pytest
from botocore.validate import validate_parameters

from connectguard.audit.findings import AuditReport
from connectguard.conventions import InputError, Status
from connectguard.report import render
from connectguard.report.asff import asff_batches, asff_findings


@pytest.fixture(scope="module")
def input_shape():
    model = botocore.session.get_session().get_service_model("securityhub")
    return model.operation_model("BatchImportFindings").input_shape


def test_every_finding_passes_botocores_validation(demo_report, input_shape):
    findings = json.loads(render(demo_report, "asff"))
    assert len(findings) == len(demo_report.findings)  # PASS included: fixed findings must be archived
    for batch in asff_batches(findings):
        assert len(batch) <= 100
        validate_parameters({"Findings": batch}, input_shape)  # raises ParamValidationError
    for f in findings:
        assert len(f["Title"]) <= 256 and len(f["Description"]) <= 1024
        assert len(f["Remediation"]["Recommendation"]["Text"]) <= 512
        assert all(len(v) <= 2048 for v in f["ProductFields"].values())


def test_validation_would_catch_a_bad_finding(demo_report, input_shape):
    from botocore.exceptions import ParamValidationError

    bad = copy.deepcopy(asff_findings(demo_report)[0])
    bad["RecordState"] = "OPEN"
    del bad["AwsAccountId"]
    with pytest.raises(ParamValidationError):
        validate_parameters({"Findings": [bad]}, input_shape)


def test_status_mapping(demo_report):
    by_status = {}
    for f, a in zip(demo_report.findings, asff_findings(demo_report)):
        by_status.setdefault(f.status, a)
    assert by_status[Status.FAIL]["Compliance"]["Status"] == "FAILED"
    assert by_status[Status.FAIL]["RecordState"] == "ACTIVE"
    assert by_status[Status.PASS]["Compliance"]["Status"] == "PASSED"
    assert by_status[Status.PASS]["RecordState"] == "ARCHIVED"
    assert by_status[Status.PASS]["Severity"]["Label"] == "INFORMATIONAL"
    assert by_status[Status.MANUAL]["Compliance"]["Status"] == "WARNING"


def test_ids_are_stable_and_unique(demo_report):
    first = [f["Id"] for f in asff_findings(demo_report)]
    second = [f["Id"] for f in asff_findings(demo_report)]
    assert first == second and len(set(first)) == len(first)


def test_asff_needs_an_account_id(demo_report):
    orphan = copy.copy(demo_report.findings[0])
    orphan.account = None
    with pytest.raises(InputError, match="account id"):
        asff_findings(AuditReport(findings=[orphan], generated_at=demo_report.generated_at))
    # the report's account stands in for findings that carry none
    [found] = asff_findings(AuditReport(findings=[orphan], generated_at=demo_report.generated_at,
                                        account="123456789012"))
    assert found["AwsAccountId"] == "123456789012"


def test_reimport_updates_and_archives_in_security_hub(demo_report, monkeypatch):
    moto = pytest.importorskip("moto")
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    failing = [f for f in demo_report.findings if f.status is Status.FAIL and f.region == "us-east-1"][:5]
    account = demo_report.account
    with moto.mock_aws():
        hub = boto3.client("securityhub", region_name="us-east-1")
        hub.enable_security_hub()
        before = AuditReport(findings=failing, generated_at=demo_report.generated_at, account=account)
        out = hub.batch_import_findings(Findings=asff_findings(before))
        assert out["FailedCount"] == 0 and out["SuccessCount"] == len(failing)
        # The first finding is fixed: the next run reports it PASS.
        fixed = copy.copy(failing[0])
        fixed.status = Status.PASS
        after = AuditReport(findings=[fixed, *failing[1:]], generated_at=demo_report.generated_at, account=account)
        out = hub.batch_import_findings(Findings=asff_findings(after))
        assert out["FailedCount"] == 0
        stored = hub.get_findings()["Findings"]
        assert len(stored) == len(failing)  # updated, not duplicated
        [archived] = [f for f in stored if f["Compliance"]["Status"] == "PASSED"]
        assert archived["RecordState"] == "ARCHIVED" and archived["Id"] == asff_findings(after)[0]["Id"]
