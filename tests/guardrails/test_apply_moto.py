"""`guardrails apply` against moto's Organizations (in-process): dry run, idempotence, slots, updates."""

from __future__ import annotations

import json
import os
from unittest import mock

import boto3
import pytest
from moto import mock_aws

from connectguard.cli import main
from connectguard.config import Config
from connectguard.guardrails.apply import ApplyRefused, apply_plan, caller_principal_arn, lockout_reasons
from connectguard.guardrails.plan import PlannedPolicy, build_plan
from connectguard.inventory.io import save_snapshot

from .estate import admin_role, chain, iam, instance, org, role_arn, signin_role, snapshot

ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
       "AWS_SESSION_TOKEN": "testing"}


@pytest.fixture
def organization():
    """A moto organization (caller = management account) with a member account in an OU."""
    with mock.patch.dict(os.environ, ENV), mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        client.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        ou = client.create_organizational_unit(ParentId=root, Name="ContactCenters")["OrganizationalUnit"]["Id"]
        member = client.create_account(Email="cc@example.com", AccountName="cc")["CreateAccountStatus"]["AccountId"]
        client.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
        yield {"client": client, "sts": boto3.client("sts", region_name="us-east-1"), "root": root, "ou": ou,
               "member": member}


def make_plan(target, *, break_glass=(), instances=2):
    snap = snapshot([instance(f"i-{i}") for i in range(instances)], org(chain()), iam(admin_role(), signin_role()))
    return build_plan(snap, Config(), target=target, break_glass=list(break_glass), recommended=True)


def attached_names(client, target):
    return sorted(p["Name"] for p in client.list_policies_for_target(TargetId=target,
                                                                     Filter="SERVICE_CONTROL_POLICY")["Policies"])


def test_dry_run_changes_nothing_then_apply_is_idempotent(organization):
    client, sts, target = organization["client"], organization["sts"], organization["ou"]
    plan = make_plan(target)
    dry = apply_plan(plan, client, sts, apply=False)
    assert [s.operation for s in dry.steps] == ["CreatePolicy", "AttachPolicy"]
    assert not any(s.done for s in dry.steps)
    assert attached_names(client, target) == ["FullAWSAccess"]

    first = apply_plan(plan, client, sts, apply=True)
    assert [s.operation for s in first.steps] == ["CreatePolicy", "AttachPolicy"] and all(s.done for s in first.steps)
    assert attached_names(client, target) == ["FullAWSAccess", "connectguard-deletion-guardrails"]
    stored = [p for p in client.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
              if p["Name"] == "connectguard-deletion-guardrails"]
    content = client.describe_policy(PolicyId=stored[0]["Id"])["Policy"]["Content"]
    assert json.loads(content) == plan.policies[0].content

    second = apply_plan(plan, client, sts, apply=True)
    assert second.changes == 0 and len(second.unchanged) == 2
    assert len([p for p in client.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
                if p["Name"].startswith("connectguard")]) == 1


def test_changed_plan_updates_in_place_and_detaches_stale_parts(organization):
    client, sts, target = organization["client"], organization["sts"], organization["member"]
    big = make_plan(target, instances=60)
    assert len(big.policies) >= 2
    apply_plan(big, client, sts, apply=True)
    assert len(attached_names(client, target)) == 1 + len(big.policies)

    small = make_plan(target, break_glass=[role_arn("BreakGlass")], instances=1)
    small.policies[0].name = big.policies[0].name  # same name as the first part: updated, not recreated
    report = apply_plan(small, client, sts, apply=True)
    ops = [s.operation for s in report.steps]
    assert ops.count("UpdatePolicy") == 1 and ops.count("DetachPolicy") == len(big.policies) - 1
    assert "CreatePolicy" not in ops and "AttachPolicy" not in ops
    assert attached_names(client, target) == sorted(["FullAWSAccess", big.policies[0].name])
    assert apply_plan(small, client, sts, apply=True).changes == 0


def test_refuses_when_the_target_has_no_free_slot(organization):
    client, sts, target = organization["client"], organization["sts"], organization["ou"]
    for i in range(4):
        pid = client.create_policy(Name=f"other-{i}", Description="d", Type="SERVICE_CONTROL_POLICY",
                                   Content=json.dumps({"Version": "2012-10-17", "Statement": [
                                       {"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"}]})
                                   )["Policy"]["PolicySummary"]["Id"]
        client.attach_policy(PolicyId=pid, TargetId=target)
    with pytest.raises(ApplyRefused, match="limit of 5"):
        apply_plan(make_plan(target), client, sts, apply=True)
    assert not [p for p in client.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
                if p["Name"].startswith("connectguard")]


def test_self_lockout_is_refused_only_when_the_scp_binds_the_caller():
    plan = make_plan("ou-x")
    plan.policies.append(PlannedPolicy("bad", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "organizations:*", "Resource": "*",
         "Condition": {"ArnNotLike": {"aws:PrincipalArn": role_arn("BreakGlass")}}}]}))
    caller = "arn:aws:sts::222233334444:assumed-role/DelegatedAdmin/session"
    assert caller_principal_arn(caller) == "arn:aws:iam::222233334444:role/DelegatedAdmin"
    reasons = lockout_reasons(plan, caller, caller_in_scope=True, caller_is_management=False)
    assert reasons and reasons[0].startswith("organizations:UpdatePolicy")
    assert lockout_reasons(plan, caller, caller_in_scope=True, caller_is_management=True) == []
    assert lockout_reasons(plan, caller, caller_in_scope=False, caller_is_management=False) == []
    exempt = "arn:aws:sts::222233334444:assumed-role/BreakGlass/s"
    assert lockout_reasons(plan, exempt, caller_in_scope=True, caller_is_management=False) == []
    # The generated guardrail itself never stops its manager.
    assert lockout_reasons(make_plan("ou-x"), caller, caller_in_scope=True, caller_is_management=False) == []


def test_cli_dry_run_then_apply_then_nothing(organization, tmp_path, capsys):
    target = organization["ou"]
    path = tmp_path / "snap.json"
    save_snapshot(snapshot([instance("i-1")], org(chain()), iam(admin_role())), path)
    assert main(["guardrails", "apply", str(path), "--target", target]) == 0
    assert "Dry run" in capsys.readouterr().out
    assert attached_names(organization["client"], target) == ["FullAWSAccess"]
    assert main(["guardrails", "apply", str(path), "--target", target, "--apply"]) == 0
    assert "done AttachPolicy" in capsys.readouterr().out
    assert main(["guardrails", "apply", str(path), "--target", target, "--apply", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["apply"]["changes"] == 0 and doc["apply"]["mode"] == "apply"


def test_cli_reports_aws_errors_in_one_line(tmp_path, capsys):
    path = tmp_path / "snap.json"
    save_snapshot(snapshot([instance("i-1")], org(chain()), iam(admin_role())), path)
    with mock.patch.dict(os.environ, ENV), mock_aws():  # no organization exists
        assert main(["guardrails", "apply", str(path), "--target", "ou-none-12345678"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("connectguard: error: guardrails apply: AWS call failed") and err.count("\n") == 1
