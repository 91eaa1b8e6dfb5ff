"""Plans from hand-built snapshots: CloudFormation passes cfn-lint, Terraform parses, patches are reviewable."""

from __future__ import annotations

import json

import hcl2
import pytest
from cfnlint.api import ManualArgs, lint
from flowkit import act, bye, content, flow, lam
from logkit import INSTANCE_ID, LOG_GROUP, REGION, good_alarms, instance, s3_config, snapshot

from connectguard.config import parse_config
from connectguard.conventions import InputError
from connectguard.inventory.model import Alarm, LifecycleRule, LogGroup, MetricFilter, S3Bucket
from connectguard.remediate.plan import LIFECYCLE_RULE_ID, build_plan, lifecycle_rule
from connectguard.remediate.templates import (
    cloudformation,
    cloudformation_yaml,
    flow_patches,
    regions,
    terraform,
)

UNLOGGED = content("hi", act("hi", "MessageParticipant", "l"), lam("l", "bye"), bye())
CONFIG = {"fix": {"log_destination_arn": "arn:aws:firehose:{region}:123456789012:deliverystream/logs",
                  "log_destination_role_arn": "arn:aws:iam::123456789012:role/cwl", "alarm_email": "ops@example.com"}}


def _broken_snapshot():
    inst = instance([flow("main", UNLOGGED, name="Main IVR")], entries=["main"],
                    attributes={"CONTACTFLOW_LOGS": "false"},
                    storage_configs={"CALL_RECORDINGS": [s3_config("rec")]})
    kept = LifecycleRule(id="keep-me", prefix="other/", expiration_days=30)
    return snapshot(inst, log_groups=[LogGroup(name=LOG_GROUP, retention_days=None, subscription_filters=[],
                                               metric_filters=[])],
                    alarms=[], buckets=[S3Bucket(name="rec", region=REGION, lifecycle_rules=[kept])])


def test_plan_covers_each_failing_fixable_check():
    plan = build_plan(_broken_snapshot(), parse_config(CONFIG))
    by_check = {c.check for c in plan.changes}
    assert {"flow-logs-disabled", "flow-log-retention-short", "connect-alarms-missing",
            "flow-log-error-alarm-missing", "flow-logs-not-exported", "log-bucket-lifecycle-missing",
            "flow-path-without-logging"} <= by_check
    sub = plan.of_kind("subscription-filter")[0]
    assert sub.params["destination_arn"] == f"arn:aws:firehose:{REGION}:123456789012:deliverystream/logs"
    [attr] = plan.of_kind("instance-attribute")
    assert not attr.templated and "update-instance-attribute" in attr.cli and INSTANCE_ID in attr.cli
    [lc] = plan.of_kind("s3-lifecycle")
    assert lc.params["existing_rule_ids"] == ["keep-me"] and '"keep-me"' in lc.cli
    [patch] = plan.of_kind("flow-patch")
    assert not patch.automated and "UpdateFlowLoggingBehavior" in patch.params["diff"]


def test_nothing_planned_for_a_healthy_instance_and_unknowns_are_noted():
    inst = instance([], entries=[])
    snap = snapshot(inst, alarms=good_alarms(), log_groups=[LogGroup(
        name=LOG_GROUP, retention_days=400, subscription_filters=[],
        metric_filters=[MetricFilter(name="e", pattern='"Error"', metric_namespace="N", metric_name="M")])])
    snap.regions[0].alarms.append(Alarm(name="e", namespace="N", metric_name="M", alarm_actions=["arn:sns"]))
    plan = build_plan(snap, parse_config({}), ["flow-log-retention-short", "connect-alarms-missing",
                                               "flow-log-error-alarm-missing"])
    assert plan.changes == []
    snap.regions[0].alarms = None
    plan = build_plan(snap, parse_config({}), ["connect-alarms-missing"])
    assert plan.changes == [] and "UNKNOWN" in plan.notes[0]


def test_unknown_check_is_an_input_error():
    with pytest.raises(InputError, match="no remediation for check"):
        build_plan(_broken_snapshot(), parse_config({}), ["mfa-not-enforced"])


def test_cloudformation_passes_cfn_lint_and_leaves_out_what_it_cannot_own():
    plan = build_plan(_broken_snapshot(), parse_config(CONFIG))
    assert regions(plan) == [REGION]
    template = cloudformation(plan, REGION)
    text = cloudformation_yaml(template)
    assert lint(text, config=ManualArgs(regions=[REGION])) == []
    types = [r["Type"] for r in template["Resources"].values()]
    assert types.count("AWS::SNS::Topic") == 1 and "AWS::SNS::Subscription" in types
    assert types.count("AWS::CloudWatch::Alarm") == len(plan.of_kind("alarm"))
    assert {"AWS::Logs::MetricFilter", "AWS::Logs::SubscriptionFilter"} <= set(types)
    commands = " ".join(template["Metadata"]["connectguard"]["commands"])
    for expected in ("put-retention-policy", "put-bucket-lifecycle-configuration", "update-instance-attribute"):
        assert expected in commands
    for alarm in (r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"):
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "TopicConnectguardConnectAlarms"}]


def test_new_log_group_is_created_with_retention_in_cloudformation():
    inst = instance([], entries=[], attributes={"CONTACTFLOW_LOGS": "true"})
    plan = build_plan(snapshot(inst, log_groups=[]), parse_config({}), ["flow-log-retention-short"])
    [change] = plan.changes
    assert change.kind == "log-group"
    template = cloudformation(plan, REGION)
    assert lint(cloudformation_yaml(template), config=ManualArgs(regions=[REGION])) == []
    [group] = template["Resources"].values()
    assert group["Properties"] == {"LogGroupName": LOG_GROUP, "RetentionInDays": 365}
    assert group["DeletionPolicy"] == "Retain"


def test_terraform_parses_and_has_one_resource_per_change():
    plan = build_plan(_broken_snapshot(), parse_config(CONFIG))
    text = terraform(plan, REGION)
    doc = hcl2.loads(text)
    resources = [(kind, name) for block in doc["resource"] for kind, named in block.items() for name in named]
    kinds = [k.strip('"') for k, _ in resources]
    assert kinds.count("aws_cloudwatch_metric_alarm") == len(plan.of_kind("alarm"))
    assert {"aws_sns_topic", "aws_sns_topic_subscription", "aws_cloudwatch_log_metric_filter",
            "aws_cloudwatch_log_subscription_filter", "aws_cloudwatch_log_group",
            "aws_s3_bucket_lifecycle_configuration"} <= set(kinds)
    assert len(set(resources)) == len(resources)  # no duplicate addresses
    # The existing log group is imported, not created, and protected from destroy.
    assert doc["import"][0]["id"] == f'"{LOG_GROUP}"'
    assert "prevent_destroy = true" in text
    # The lifecycle resource repeats the bucket's existing rule: it replaces the whole configuration.
    assert text.count("rule {") == 2 and '"keep-me"' in text and f'"{LIFECYCLE_RULE_ID}"' in text
    # Alarm actions reference the topic resource, not a string.
    assert "alarm_actions = [aws_sns_topic.connectguard_connect_alarms.arn]" in text


def test_terraform_escapes_interpolation_in_strings():
    from connectguard.remediate.templates import _hcl_string

    tricky = 'a ${b} %{c} "q"'
    assert hcl2.loads("x = " + _hcl_string(tricky) + "\n")["x"]
    assert _hcl_string("${b}") == '"$${b}"'


def test_flow_patch_files_are_diffs_only():
    plan = build_plan(_broken_snapshot(), parse_config(CONFIG))
    files = flow_patches(plan)
    [(name, text)] = files.items()
    assert name.startswith(f"flows/{INSTANCE_ID}/Main-IVR-main") and name.endswith(".diff")
    assert "+++ b/flow-content.json" in text and "update-contact-flow-content" in text


@pytest.mark.parametrize("days, expire, first", [(90, None, "STANDARD_IA"), (10, None, "GLACIER"),
                                                 (90, 120, "STANDARD_IA")])
def test_lifecycle_rule_respects_s3_minimums_and_expiry(days, expire, first):
    rule = lifecycle_rule(parse_config({"audit": {"archive_transition_days": days, "expiration_days": expire}}))
    assert rule["Transitions"][0]["StorageClass"] == first
    assert all(t["Days"] < (expire or 10**6) for t in rule["Transitions"])
    if first == "STANDARD_IA":
        assert rule["Transitions"][0]["Days"] >= 30
    assert ("Expiration" in rule) == (expire is not None)


def test_cli_dry_run_writes_artifacts_and_changes_nothing(tmp_path):
    from connectguard.cli import main
    from connectguard.inventory.io import save_snapshot

    snap = tmp_path / "snap.json"
    save_snapshot(_broken_snapshot(), snap)
    out = tmp_path / "fix"
    cfg = tmp_path / "connectguard.toml"
    cfg.write_text('[fix]\nlog_destination_arn = "arn:aws:firehose:{region}:123456789012:deliverystream/logs"\n')
    report = tmp_path / "r.json"
    # 3: the recording bucket's public-access settings were not in the snapshot (UNKNOWN), the rest is planned
    assert main(["fix", str(snap), "--out-dir", str(out), "--config", str(cfg), "-f", "json", "-o", str(report)]) == 3
    doc = json.loads(report.read_text())
    assert doc["plan"]["unknown"] == 1
    assert doc["applied"] is False
    assert {o["status"] for o in doc["outcomes"]} == {"planned", "skipped"}
    written = set(doc["files"])
    assert {f"cloudformation-{REGION}.yaml", f"terraform-{REGION}.tf", "plan.json"} <= written
    assert all((out / f).is_file() for f in written)
    assert json.loads((out / "plan.json").read_text())["tool"] == "connectguard"
    # text report names the CLI command for the instance attribute (no template can hold it)
    assert main(["fix", str(snap), "--out-dir", str(out), "--check", "flow-logs-disabled",
                 "-o", str(tmp_path / "r.txt")]) == 0
    assert "update-instance-attribute" in (tmp_path / "r.txt").read_text()


def test_cli_usage_and_input_errors(tmp_path, capsys):
    from connectguard.cli import main

    assert main(["fix"]) == 2
    assert main(["fix", str(tmp_path / "missing.json")]) == 2
    assert "no such snapshot file" in capsys.readouterr().err
    snap = tmp_path / "snap.json"
    from connectguard.inventory.io import save_snapshot

    save_snapshot(_broken_snapshot(), snap)
    assert main(["fix", str(snap), "--check", "nope", "--out-dir", str(tmp_path / "o")]) == 2
    assert "no remediation for check" in capsys.readouterr().err
