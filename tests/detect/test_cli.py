"""`connectguard detect` end to end: formats, exit statuses, snapshot enrichment, S3 input."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from connectguard.cli import main
from connectguard.detect.corpus import ACCOUNT, INSTANCE_ID, make_event
from connectguard.inventory.io import save_snapshot
from connectguard.inventory.model import Instance, RegionInventory, SecurityProfile, Snapshot

from .conftest import write_trail


def run(capsys, *args):
    code = main(["detect", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_statuses(tmp_path, capsys):
    quiet = write_trail(tmp_path / "quiet" / "a.json.gz", [make_event("ListUsers", "connect.amazonaws.com")])
    assert run(capsys, str(quiet))[0] == 0
    loud = write_trail(tmp_path / "loud" / "a.json.gz", [make_event("DeleteInstance", "connect.amazonaws.com")])
    assert run(capsys, str(loud))[0] == 1
    # --fail-on raises the bar: a medium alert under --fail-on high is exit 0
    medium = write_trail(tmp_path / "med" / "a.json.gz", [make_event("AssociateApprovedOrigin", "connect.amazonaws.com")])
    assert run(capsys, str(medium), "--fail-on", "high")[0] == 0
    (tmp_path / "quiet" / "broken.json.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    code, _, err = run(capsys, str(tmp_path / "quiet"))
    assert code == 3 and "broken.json.gz" in err
    (tmp_path / "loud" / "broken.json").write_text("{")
    assert run(capsys, str(tmp_path / "loud"))[0] == 1  # an alert outranks a skipped file
    assert run(capsys, str(tmp_path / "nowhere"))[0] == 2
    assert run(capsys)[0] == 2
    assert run(capsys, str(quiet), "--since", "yesterday")[0] == 2
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bad.yml").write_text("title: [unclosed")
    code, _, err = run(capsys, str(quiet), "--rules", str(tmp_path / "rules"))
    assert code == 2 and "bad.yml" in err and "Traceback" not in err
    assert run(capsys, str(quiet), "--rules", str(tmp_path / "no-such-dir"))[0] == 2


def test_json_document_shape(tmp_path, capsys):
    event = make_event("AdminGetEmergencyAccessToken", "connect.amazonaws.com", request={"InstanceId": INSTANCE_ID},
                       source_ip="192.0.2.10", region="eu-west-2")
    path = write_trail(tmp_path / "a.json.gz", [event])
    (tmp_path / "junk.json").write_text('{"not": "cloudtrail"}')
    code, out, _ = run(capsys, str(tmp_path), "--format", "json")
    doc = json.loads(out)
    assert list(doc)[:3] == ["tool", "version", "generated_at"]
    assert code == 1
    (alert,) = doc["alerts"]
    assert {k: alert[k] for k in ("rule", "title", "severity", "event_id", "event_time", "event_name", "event_source",
                                  "actor", "source_ip", "account", "region")} == {
        "rule": "e38ad1fd-4cc7-4745-b7a1-2dd3e89abe10",
        "title": "Amazon Connect emergency-access login",
        "severity": "critical",
        "event_id": event["eventID"],
        "event_time": event["eventTime"],
        "event_name": "AdminGetEmergencyAccessToken",
        "event_source": "connect.amazonaws.com",
        "actor": event["userIdentity"]["arn"],
        "source_ip": "192.0.2.10",
        "account": ACCOUNT,
        "region": "eu-west-2",
    }
    assert doc["stats"]["files"] == 1 and doc["stats"]["events"] == 1
    assert [s["file"] for s in doc["stats"]["skipped"]] == [str(tmp_path / "junk.json")]
    assert path.exists()


def test_jsonl_streams_one_alert_a_line(tmp_path, capsys):
    events = [make_event("DeleteInstance", "connect.amazonaws.com"), make_event("StopLogging", "cloudtrail.amazonaws.com")]
    write_trail(tmp_path / "a.json.gz", events)
    code, out, _ = run(capsys, str(tmp_path), "-f", "jsonl")
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 1 and sorted(x["event_id"] for x in lines) == sorted(e["eventID"] for e in events)


def _snapshot(tmp_path):
    profiles = [
        SecurityProfile(id="sp-admin", arn="arn:sp-admin", name="Admin",
                        permissions=["Users.EditPermission", "SecurityProfiles.Edit", "BasicAgentAccess"]),
        SecurityProfile(id="sp-agent", arn="arn:sp-agent", name="Agent", permissions=["BasicAgentAccess"]),
        SecurityProfile(id="sp-unseen", arn="arn:sp-unseen", name="Unseen", permissions=None),
    ]
    snap = Snapshot(
        tool_version="0.1.0", collected_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), account_id=ACCOUNT,
        regions=[RegionInventory(region="us-east-1", instances=[
            Instance(id=INSTANCE_ID, arn=f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{INSTANCE_ID}",
                     security_profiles=profiles)])],
    )
    path = tmp_path / "snap.json"
    save_snapshot(snap, path)
    return path


@pytest.mark.parametrize(("profile", "severity", "note"), [
    ("sp-admin", "high", "admin-equivalent"),
    ("sp-agent", "low", None),
    ("sp-unseen", "low", "not in the snapshot"),
])
def test_snapshot_raises_admin_assignments(tmp_path, capsys, profile, severity, note):
    event = make_event("UpdateUserSecurityProfiles", "connect.amazonaws.com",
                       request={"InstanceId": INSTANCE_ID, "UserId": "u-1", "SecurityProfileIds": [profile]})
    write_trail(tmp_path / "logs" / "a.json.gz", [event])
    _, out, _ = run(capsys, str(tmp_path / "logs"), "-f", "json", "--snapshot", str(_snapshot(tmp_path)))
    (alert,) = json.loads(out)["alerts"]
    assert alert["severity"] == severity
    if note:
        assert note in " ".join(alert["notes"])
    # without the snapshot the base severity stands
    _, out, _ = run(capsys, str(tmp_path / "logs"), "-f", "json")
    assert json.loads(out)["alerts"][0]["severity"] == "low"


def test_cross_account_lambda_is_high(tmp_path, capsys):
    same = make_event("AssociateLambdaFunction", "connect.amazonaws.com",
                      request={"InstanceId": INSTANCE_ID, "FunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:a"})
    other = make_event("AssociateLambdaFunction", "connect.amazonaws.com",
                       request={"InstanceId": INSTANCE_ID, "FunctionArn": "arn:aws:lambda:us-east-1:999988887777:function:b"})
    write_trail(tmp_path / "a.json.gz", [same, other])
    _, out, _ = run(capsys, str(tmp_path), "-f", "json")
    sev = {a["event_id"]: a["severity"] for a in json.loads(out)["alerts"]}
    assert sev == {same["eventID"]: "medium", other["eventID"]: "high"}


def test_reads_s3_prefix_through_boto3(tmp_path, capsys, monkeypatch):
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="trail")
        good = write_trail(tmp_path / "g.json.gz", [make_event("DeleteInstance", "connect.amazonaws.com")])
        key = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/01/{ACCOUNT}_CloudTrail_us-east-1_x.json.gz"
        s3.put_object(Bucket="trail", Key=key, Body=good.read_bytes())
        s3.put_object(Bucket="trail", Key=f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/01/bad.json.gz", Body=b"xx")
        s3.put_object(Bucket="trail", Key=f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/d.json.gz", Body=b"xx")
        code, out, _ = run(capsys, "s3://trail/AWSLogs/", "-f", "json")
    doc = json.loads(out)
    assert code == 1
    assert [a["event_name"] for a in doc["alerts"]] == ["DeleteInstance"]
    assert doc["stats"]["files"] == 1
    assert [s["file"] for s in doc["stats"]["skipped"]] == [f"s3://trail/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/01/bad.json.gz"]


def test_table_output_names_rule_event_and_notes(tmp_path, capsys):
    write_trail(tmp_path / "a.json.gz", [make_event("DeleteInstance", "connect.amazonaws.com")])
    (tmp_path / "bad.json").write_text("{")
    code, out, err = run(capsys, str(tmp_path))
    assert code == 1
    assert "DeleteInstance" in out and "critical" in out and "1 file(s) skipped" in out
    assert "bad.json" in err
