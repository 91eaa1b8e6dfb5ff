from connectguard.audit.engine import run_audit
from connectguard.audit.registry import CheckContext, Result, RegisteredCheck, CheckMeta, select_checks
from connectguard.config import parse_config
from connectguard.conventions import InputError, Practice, Severity, Status

import pytest


def findings_by(report, check):
    return [f for f in report.findings if f.check == check]


def test_unseen_data_is_unknown_never_pass(small_snapshot):
    report = run_audit(small_snapshot)
    # Nothing for the denied region or the throttled instance may be PASS.
    for f in report.findings:
        if f.region == "eu-west-2" or "i-dir" in f.resource and f.check != "mfa-not-enforced":
            assert f.status is Status.UNKNOWN, (f.check, f.resource, f.status)
    west = [f for f in report.findings if f.region == "eu-west-2"]
    # Every check that looks at instances says so for the region it could not see.
    assert {"mfa-not-enforced", "flow-logs-disabled", "storage-not-kms-encrypted"} <= {f.check for f in west}
    assert all("AccessDeniedException" in f.message for f in west)
    logs = [f for f in findings_by(report, "flow-logs-disabled") if "i-dir" in f.resource]
    assert logs[0].status is Status.UNKNOWN
    assert logs[0].evidence["collection_errors"][0]["code"] == "ThrottlingException"


def test_pass_and_fail_are_decided_from_data(small_snapshot):
    report = run_audit(small_snapshot)
    mfa = {f.resource.rsplit("/", 1)[1]: f for f in findings_by(report, "mfa-not-enforced")
           if "instance/" in f.resource}
    assert mfa["i-managed"].status is Status.FAIL
    assert mfa["i-dir"].status is Status.PASS  # the region's only directory has RADIUS Completed
    small_snapshot.regions[0].directories[0].radius.status = "Failed"
    report = run_audit(small_snapshot)
    assert [f.status for f in findings_by(report, "mfa-not-enforced") if f.resource.endswith("i-dir")] == [
        Status.FAIL]


def test_ambiguous_directory_is_unknown_until_mapped(small_snapshot):
    from connectguard.inventory.model import Directory

    small_snapshot.regions[0].directories.append(Directory(id="d-2"))
    report = run_audit(small_snapshot)
    f = [f for f in findings_by(report, "mfa-not-enforced") if f.resource.endswith("i-dir")][0]
    assert f.status is Status.UNKNOWN and "d-1, d-2" in f.message
    config = parse_config({"audit": {"directories": {"i-dir": "d-2"}}})
    f = [f for f in findings_by(run_audit(small_snapshot, config), "mfa-not-enforced")
         if f.resource.endswith("i-dir")][0]
    assert f.status is Status.FAIL and f.evidence["directory_id"] == "d-2"


def test_a_crashing_check_is_unknown_not_silence(small_snapshot):
    def broken(ctx: CheckContext):
        raise KeyError("boom")
        yield  # pragma: no cover

    meta = CheckMeta(id="broken", title="t", practice=Practice.MFA, severity=Severity.LOW, rationale="r",
                     remediation="m")
    report = run_audit(small_snapshot, checks=[RegisteredCheck(meta, broken)])
    assert [f.status for f in report.findings] == [Status.UNKNOWN]
    assert "KeyError" in report.findings[0].message


def test_checks_needing_extra_inputs_are_skipped_without_them(small_snapshot):
    def needs_chat(ctx):
        yield Result("x", Status.FAIL, "should not run")

    meta = CheckMeta(id="c", title="t", practice=Practice.CHAT_XSS, severity=Severity.LOW, rationale="r",
                     remediation="m", needs=("chat_scan",))
    assert run_audit(small_snapshot, checks=[RegisteredCheck(meta, needs_chat)]).findings == []
    got = run_audit(small_snapshot, checks=[RegisteredCheck(meta, needs_chat)], extra={"chat_scan": object()})
    assert len(got.findings) == 1


def test_select_by_id_and_practice():
    ids = {c.meta.id for c in select_checks(["mfa"])}
    assert "mfa-not-enforced" in ids and all(c.meta.practice is Practice.MFA for c in select_checks(["mfa"]))
    assert "flow-logs-disabled" not in {c.meta.id for c in select_checks([], ["flow-logs-disabled"])}
    with pytest.raises(InputError, match="unknown check or practice: nope"):
        select_checks(["nope"])


def test_json_contract(small_snapshot):
    doc = run_audit(small_snapshot).to_json()
    assert {"tool", "version", "generated_at", "findings", "summary"} <= set(doc)
    keys = {"check", "practice", "status", "severity", "title", "resource", "account", "region", "message",
            "evidence", "remediation"}
    for f in doc["findings"]:
        assert keys <= set(f)
        assert f["status"] in {"PASS", "FAIL", "UNKNOWN", "MANUAL", "SUPPRESSED"}
        assert f["severity"] in {"critical", "high", "medium", "low", "info"}
    assert doc["summary"]["by_status"]["FAIL"] == sum(1 for f in doc["findings"] if f["status"] == "FAIL")
