"""The unattended run against moto (S3, SNS, SQS, Security Hub) and the Connect simulator."""

import json
import os
from unittest import mock

import boto3
import pytest

from connectguard.cli import main
from connectguard.scheduled import new_failures
from connectguard.simulator import SimulatedEstate
from connectguard.simulator.worlds import bench_world


def test_new_failures_compares_fail_keys():
    f = lambda s, r, a="1": {"status": s, "check": "c", "resource": r, "account": a}  # noqa: E731
    prev = {"findings": [f("FAIL", "x"), f("PASS", "y")]}
    cur = {"findings": [f("FAIL", "x"), f("FAIL", "y"), f("FAIL", "x", a="2"), f("UNKNOWN", "z")]}
    assert [(x["resource"], x["account"]) for x in new_failures(prev, cur)] == [("y", "1"), ("x", "2")]
    assert len(new_failures(None, cur)) == 3


@pytest.fixture(scope="module")
def estate():
    world = bench_world(users=30, profiles=8, flows=6)
    with SimulatedEstate(world, quota=False) as running:
        yield running


def _setup(estate):
    s3 = estate.client("s3")
    s3.create_bucket(Bucket="cg-reports")
    sns = estate.client("sns")
    topic = sns.create_topic(Name="cg-alerts")["TopicArn"]
    sqs = estate.client("sqs")
    queue = sqs.create_queue(QueueName="cg-inbox")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    estate.client("securityhub").enable_security_hub()
    return s3, topic, sqs, queue


def _run(estate, topic, capsys):
    with mock.patch.dict(os.environ, estate.env):
        status = main(["scheduled-run", "--bucket", "cg-reports", "--topic", topic, "--security-hub",
                       "--max-rps", "200", "--region", estate.region])
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["event"] == "run-complete" and line["exit_status"] == status
    return status, line


def _messages(sqs, queue):
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    for m in got:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(m["Body"])["Message"] for m in got]


def test_runs_store_import_and_notify_only_what_is_new(estate, capsys):
    s3, topic, sqs, queue = _setup(estate)

    status, first = _run(estate, topic, capsys)
    assert status == 1 and first["new_failures"] > 0 and first["notified"] and not first["problems"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="cg-reports")["Contents"]}
    run_dir = f"connectguard/runs/{first['run_id']}/"
    assert {run_dir + n for n in ("report.json", "report.html", "report.sarif", "findings.asff.json",
                                  "snapshot.json")} <= keys
    assert {"connectguard/latest/report.json", "connectguard/latest/snapshot.json"} <= keys
    assert first["imported"] == first["findings"] and first["import_failures"] == 0
    hub = estate.client("securityhub").get_findings(MaxResults=100)["Findings"]
    assert hub and all(f["ProductFields"] for f in hub)
    (message,) = _messages(sqs, queue)
    assert f"{first['new_failures']} new FAIL finding(s)" in message

    # Nothing changed: no notification.
    _, second = _run(estate, topic, capsys)
    assert second["new_failures"] == 0 and second["snapshot_changes"] == 0 and not second["notified"]
    assert _messages(sqs, queue) == []

    # Flow logging turned off on the instance (an admin-website change CloudTrail would not show).
    (_, instance), = estate.world.instances()
    instance.attributes["CONTACTFLOW_LOGS"] = "false"
    _, third = _run(estate, topic, capsys)
    assert third["new_failures"] == 1 and third["snapshot_changes"] >= 1 and third["notified"]
    (message,) = _messages(sqs, queue)
    assert "flow-logs-disabled" in message


def test_a_bucket_it_cannot_write_is_a_failed_run(estate, capsys):
    with mock.patch.dict(os.environ, estate.env):
        status = main(["scheduled-run", "--bucket", "no-such-bucket", "--max-rps", "200", "--region", estate.region])
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert status == 2 and any(p.startswith("store") for p in line["problems"])
