"""Suppressions: accepted risks applied at audit time; expiry resurfaces; a malformed file is an input error."""

import datetime as dt
import json

import pytest

from connectguard.audit.engine import run_audit
from connectguard.audit.registry import select_checks
from connectguard.audit.suppressions import load_suppressions, parse_suppressions
from connectguard.cli import main
from connectguard.conventions import InputError, Status
from connectguard.inventory import save_snapshot

from identity.builders import INSTANCE_ARN, instance, profile, snapshot, user

TODAY = dt.date(2026, 11, 26)


def _snapshot():
    return snapshot(instance(security_profiles=[profile("legacy", []), profile("old", []),
                                                profile("used", ["BasicAgentAccess"])],
                             users=[user("u", "used")]))


def _findings(text, today=TODAY):
    rules = parse_suppressions(text)
    report = run_audit(_snapshot(), None, select_checks(["unused-security-profile"]))
    return {f.resource.rsplit("/", 1)[-1]: f for f in rules.apply(report.findings, today=today)}, rules


VALID = f"""
suppressions:
  - check: unused-security-profile
    resource: "{INSTANCE_ARN}/security-profile/legacy"
    reason: Kept for the 2027 migration
    expires: 2027-03-31
    ticket: SEC-12
  - check: unused-security-profile
    resource: "{INSTANCE_ARN}/security-profile/ol*"
    reason: Was accepted last year
    expires: 2025-12-31
"""


def test_matching_fail_becomes_suppressed_with_its_entry():
    found, rules = _findings(VALID)
    legacy = found["legacy"]
    assert legacy.status is Status.SUPPRESSED
    assert legacy.suppression["reason"] == "Kept for the 2027 migration"
    assert legacy.suppression["expires"] == "2027-03-31" and legacy.suppression["ticket"] == "SEC-12"
    assert legacy.suppression["original_status"] == "FAIL" and legacy.suppression["line"] == 3
    assert found["used"].status is Status.PASS  # PASS is never touched


def test_expired_entry_resurfaces_the_finding():
    found, rules = _findings(VALID)
    old = found["old"]
    assert old.status is Status.FAIL and "expired on 2025-12-31" in old.message
    assert old.evidence["expired_suppression"]["reason"] == "Was accepted last year"
    assert [e.reason for e in rules.unused()] == ["Was accepted last year"]
    # the day after expiry the other entry resurfaces too
    found, _ = _findings(VALID, today=dt.date(2027, 4, 1))
    assert found["legacy"].status is Status.FAIL


def test_unknown_is_never_suppressed():
    from identity.builders import denied

    snap = snapshot(instance(security_profiles=[profile("legacy", [])], users=None),
                    errors=[denied("SearchUsers", "instance.users", instance_id="inst-1")])
    rules = parse_suppressions(VALID)
    [f] = rules.apply(run_audit(snap, None, select_checks(["unused-security-profile"])).findings, today=TODAY)
    assert f.status is Status.UNKNOWN


@pytest.mark.parametrize("text, message, line", [
    ("suppressions: [", "invalid YAML", None),
    ("- check: x", "expected a mapping with one key", None),
    ("suppressions:\n  - check: unused-security-profile\n    resource: '*'\n    reason: r\n", "'expires' is required",
     2),
    ("suppressions:\n  - check: nope\n    resource: '*'\n    reason: r\n    expires: 2027-01-01\n", "unknown check", 2),
    ("suppressions:\n  - check: unused-security-profile\n    resource: '*'\n    reason: r\n    expires: soon\n",
     "must be a date", 2),
    ("suppressions:\n  - {check: unused-security-profile, resource: '*', reason: r, expires: 2027-01-01, "
     "owner: me}\n", "unknown key(s) owner", 2),
    ("suppressions:\n  - just a string\n", "expected a mapping", 2),
])
def test_malformed_file_is_an_input_error_naming_where(text, message, line):
    with pytest.raises(InputError) as info:
        parse_suppressions(text, source="risks.yaml")
    assert message in str(info.value)
    if line:
        assert info.value.where == f"risks.yaml:{line}"


def test_empty_file_suppresses_nothing(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert load_suppressions(path).entries == []
    with pytest.raises(InputError, match="no such suppressions file"):
        load_suppressions(tmp_path / "missing.yaml")


def test_audit_cli_applies_suppressions_and_rejects_malformed_ones(tmp_path, capsys):
    snap_path = tmp_path / "snap.json"
    save_snapshot(_snapshot(), snap_path)
    good = tmp_path / "risks.yaml"
    good.write_text(VALID.replace("2025-12-31", "2099-12-31").replace("2027-03-31", "2099-12-31"))
    code = main(["audit", str(snap_path), "--checks", "unused-security-profile", "-f", "json",
                 "--suppressions", str(good)])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["summary"]["by_status"]["SUPPRESSED"] == 2 and doc["summary"]["by_status"]["FAIL"] == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("suppressions:\n  - check: unused-security-profile\n")
    assert main(["audit", str(snap_path), "--suppressions", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:2" in err and "required" in err and "Traceback" not in err
