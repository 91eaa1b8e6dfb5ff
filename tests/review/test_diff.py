"""`connectguard diff OLD NEW`: security-relevant changes between snapshots."""

import json

import pytest

from connectguard.cli import main
from connectguard.conventions import Severity
from connectguard.inventory import save_snapshot
from connectguard.snapshot_diff import diff_snapshots

from identity.estate import collect_demo


@pytest.fixture(scope="module")
def demo():
    return collect_demo()


def _support(snap):
    return [i for i in snap.regions[0].instances if i.alias == "acme-support"][0]


def changed(old, new, kind):
    return [c for c in diff_snapshots(old, new).changes if c.kind == kind]


def test_identical_snapshots_have_no_changes(demo):
    result = diff_snapshots(demo, demo.model_copy(deep=True))
    assert result.changes == [] and result.not_compared == []


def test_new_admin_equivalent_user_through_a_second_profile(demo):
    new = demo.model_copy(deep=True)
    inst = _support(new)
    ids = {p.name: p.id for p in inst.security_profiles}
    victim = [u for u in inst.users if u.security_profile_ids == [ids["Agent"]]][0]
    victim.security_profile_ids = [ids["Agent"], ids["ProfileEditor"], ids["TeamLeadPermissions"]]
    [admin] = changed(demo, new, "new-admin-equivalent-user")
    assert admin.severity is Severity.CRITICAL and victim.username in admin.message
    [profiles] = changed(demo, new, "user-profiles-changed")
    assert "+ProfileEditor" in profiles.message and "+TeamLeadPermissions" in profiles.message


def test_permissions_added_to_a_profile(demo):
    new = demo.model_copy(deep=True)
    agent = [p for p in _support(new).security_profiles if p.name == "Agent"][0]
    agent.permissions = [*agent.permissions, "DownloadCallRecordings"]
    [c] = changed(demo, new, "permissions-added")
    assert c.severity is Severity.HIGH and c.after["risk_groups"] == {"recording-pii-exposure": ["DownloadCallRecordings"]}


def test_logging_turned_off_origin_added_flow_content_and_number_reassociated(demo):
    new = demo.model_copy(deep=True)
    inst = _support(new)
    inst.attributes["CONTACTFLOW_LOGS"] = "false"
    inst.approved_origins.append("https://evil.example")
    flow = inst.flows[0]
    flow.content_sha256 = "0" * 64  # edited in the admin website: no CloudTrail event
    number_arn, flow_arn = next(iter(inst.flow_associations.items()))
    other_flow = [f.arn for f in inst.flows if f.arn != flow_arn][0]
    inst.flow_associations[number_arn] = other_flow
    result = diff_snapshots(demo, new)
    kinds = {c.kind: c for c in result.changes}
    assert kinds["logging-turned-off"].severity is Severity.HIGH
    assert kinds["origin-added"].after == "https://evil.example"
    assert kinds["flow-content-changed"].resource == flow.arn and kinds["flow-content-changed"].after == "0" * 64
    moved = kinds["phone-number-reassociated"]
    assert moved.before == flow_arn and moved.after == other_flow
    assert "*" in moved.message  # the number is shown masked, never in clear
    doc = result.to_json()
    assert doc["tool"] == "connectguard" and doc["summary"]["changes"] == len(result.changes)


def test_unseen_parts_are_not_compared_never_reported_as_removed(demo):
    new = demo.model_copy(deep=True)
    _support(new).approved_origins = None
    _support(new).users = None
    result = diff_snapshots(demo, new)
    assert not [c for c in result.changes if c.kind in ("origin-removed", "user-removed")]
    assert any("approved origins not seen in the new snapshot" in line for line in result.not_compared)


def test_cli_table_json_and_exit_statuses(demo, tmp_path, capsys):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    save_snapshot(demo, old)
    save_snapshot(demo, new)
    assert main(["diff", str(old), str(new)]) == 0
    assert "No security-relevant changes" in capsys.readouterr().out
    changed_snap = demo.model_copy(deep=True)
    _support(changed_snap).attributes["CONTACTFLOW_LOGS"] = "false"
    save_snapshot(changed_snap, new)
    assert main(["diff", str(old), str(new)]) == 1  # high change, default --fail-on high
    assert "logging-turned-off" in capsys.readouterr().out
    assert main(["diff", str(old), str(new), "--fail-on", "critical", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["kind"] for c in doc["changes"]] == ["logging-turned-off"]
    assert main(["diff", str(old), str(tmp_path / "missing.json")]) == 2


def test_trail_stopped_logging(demo):
    new = demo.model_copy(deep=True)
    trail = new.regions[0].trails[0]
    assert demo.regions[0].trails[0].is_logging is True
    trail.is_logging = False
    [c] = changed(demo, new, "logging-turned-off")
    assert c.resource == trail.arn and c.severity is Severity.HIGH
