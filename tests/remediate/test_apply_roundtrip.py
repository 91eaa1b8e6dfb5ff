"""fix --apply against the simulated estate closes the AWS-side findings; a second apply changes nothing."""

from __future__ import annotations

import boto3
import pytest

from conftest import collect
from connectguard.audit.engine import run_audit
from connectguard.audit.registry import select_checks
from connectguard.config import parse_config
from connectguard.conventions import Status
from connectguard.remediate.apply import apply_plan
from connectguard.remediate.plan import FIXABLE, build_plan

REGION = "us-east-1"
AWS_SIDE = [c for c in FIXABLE if c not in ("flow-path-without-logging", "flow-disables-logging")]


def _config(estate):
    dest = f"arn:aws:firehose:{{region}}:{estate.world.account_id}:deliverystream/acme-support-agent-events"
    return parse_config({"fix": {"log_destination_arn": dest,
                                 "log_destination_role_arn": f"arn:aws:iam::{estate.world.account_id}:role/cwl"}})


def _failing(snapshot, config):
    report = run_audit(snapshot, config, select_checks(AWS_SIDE))
    return sorted((f.check, f.resource) for f in report.findings if f.status is Status.FAIL)


def _clients(service, region):
    return boto3.client(service, region_name=region)


@pytest.fixture(scope="module")
def before(estate):
    return collect([REGION])


def test_dry_run_plans_without_touching_the_account(estate, before):
    config = _config(estate)
    plan = build_plan(before, config)
    kinds = {c.kind for c in plan.changes}
    assert {"instance-attribute", "log-retention", "sns-topic", "alarm", "metric-filter", "subscription-filter",
            "s3-lifecycle", "flow-patch"} <= kinds
    outcomes = apply_plan(plan, lambda *_: pytest.fail("a dry run must not create clients"), dry_run=True)
    assert {o.status for o in outcomes} <= {"planned", "skipped"}
    assert _failing(collect([REGION]), config) == _failing(before, config)


def test_apply_closes_aws_side_findings_and_a_second_apply_changes_nothing(estate, before):
    config = _config(estate)
    assert len(_failing(before, config)) >= 6
    plan = build_plan(before, config)
    first = apply_plan(plan, _clients, dry_run=False)
    failed = [o for o in first if o.status == "failed"]
    assert failed == []
    assert any(o.status == "changed" for o in first)
    flow_patches = [o for o in first if o.kind == "flow-patch"]
    assert flow_patches and all(o.status == "skipped" for o in flow_patches)

    after = collect([REGION])
    assert _failing(after, config) == []

    # Apply the original (stale) plan again: every change re-reads the account first.
    second = apply_plan(plan, _clients, dry_run=False)
    assert [o for o in second if o.status not in ("unchanged", "skipped")] == []
    # And a plan built from the fresh snapshot has nothing left to do on the AWS side.
    assert [c for c in build_plan(after, config).changes if c.automated] == []


def test_apply_kept_existing_lifecycle_rules_and_never_shortened_retention(estate):
    s3 = boto3.client("s3", region_name=REGION)
    rules = s3.get_bucket_lifecycle_configuration(Bucket="acme-connect-recordings")["Rules"]
    assert "connectguard-archive" not in {r["ID"] for r in rules}  # it already passed: left alone
    logs = boto3.client("logs", region_name=REGION)
    groups = {g["logGroupName"]: g.get("retentionInDays")
              for g in logs.describe_log_groups(logGroupNamePrefix="/aws/connect/")["logGroups"]}
    assert groups["/aws/connect/acme-support"] == 400  # longer than required: untouched
    assert groups["/aws/connect/acme-sales"] == 365


def test_cli_fix_apply_on_the_fixed_estate_reports_no_change(estate, tmp_path):
    from connectguard.cli import main
    from connectguard.inventory.io import save_snapshot

    snap_path = tmp_path / "snap.json"
    save_snapshot(collect([REGION]), snap_path)
    out = tmp_path / "report.json"
    code = main(["fix", str(snap_path), "--apply", "--out-dir", str(tmp_path / "fix"), "-f", "json", "-o", str(out)])
    import json

    doc = json.loads(out.read_text())
    assert code == 0
    assert doc["tool"] == "connectguard" and doc["applied"] is True
    assert [o for o in doc["outcomes"] if o["status"] not in ("skipped",)] == []
