"""The deployment templates pass cfn-lint and grant what the collector needs, and no more."""

import json

import pytest
import yaml
from cfnlint.api import ManualArgs, lint

from connectguard.cli import main
from connectguard.collect.catalogue import DENIED_IAM_ACTIONS, required_policy
from connectguard.deploy.templates import audit_role_template, scheduled_audit_template, stackset_template

# cfn-lint's action list (from the Service Authorization Reference) no longer knows the legacy
# connect:GetFederationTokens, renamed AdminGetEmergencyAccessToken in June 2024 but still honoured
# in policies. The template denies it on purpose; that one warning is expected.
EXPECTED = {("W3037", "getfederationtokens")}


def lint_problems(template: dict) -> list[str]:
    problems = []
    for match in lint(json.dumps(template), config=ManualArgs(regions=["us-east-1", "eu-west-2"])):
        rule = match.rule.id
        if any(rule == r and word in match.message for r, word in EXPECTED):
            continue
        problems.append(f"{rule} {match.message[:200]} at {match.path}")
    return problems


@pytest.mark.parametrize("factory", [audit_role_template, stackset_template, scheduled_audit_template])
def test_templates_pass_cfn_lint(factory):
    assert lint_problems(factory()) == []


def test_lint_catches_a_broken_template():
    """The linting above can fail: a role without its trust policy is an error."""
    broken = audit_role_template()
    del broken["Resources"]["AuditRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert any(p.startswith("E") for p in lint_problems(broken))


def test_role_carries_exactly_the_collector_policy_and_trusts_only_the_auditor():
    role = audit_role_template()["Resources"]["AuditRole"]["Properties"]
    assert role["Policies"][0]["PolicyDocument"] == required_policy()
    deny = [s for s in required_policy()["Statement"] if s["Effect"] == "Deny"][0]
    assert set(deny["Action"]) == set(DENIED_IAM_ACTIONS)
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Ref": "AuditingPrincipalArn"}}
    assert "sts:ExternalId" in json.dumps(trust["Condition"])


def test_stackset_embeds_the_member_template():
    body = stackset_template()["Resources"]["AuditRoleStackSet"]["Properties"]["TemplateBody"]
    assert json.loads(body) == audit_role_template()


def test_schedule_encrypts_reports_and_alarms_on_failed_runs():
    resources = scheduled_audit_template()["Resources"]
    bucket = resources["ReportBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"][
        "SSEAlgorithm"] == "aws:kms"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert resources["RunFailedAlarm"]["Properties"]["AlarmActions"] == [{"Ref": "NotificationTopic"}]
    container = resources["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert container["ReadonlyRootFilesystem"] is True and container["User"] != "0"


def test_cli_writes_yaml_and_json(tmp_path, capsys):
    out = tmp_path / "role.yaml"
    assert main(["deploy-role", "-o", str(out)]) == 0
    assert yaml.safe_load(out.read_text()) == stackset_template()
    assert main(["deploy-schedule", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == scheduled_audit_template()
