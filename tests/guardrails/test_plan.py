"""`guardrails plan`: real ARNs, the 5,120-character limit, SCP slots, and a plan that verifies."""

from __future__ import annotations

import json

import pytest

from connectguard.audit.engine import run_audit
from connectguard.audit.registry import select_checks
from connectguard.cli import main
from connectguard.config import Config
from connectguard.conventions import InputError, Status
from connectguard.guardrails.plan import SCP_MAX_CHARS, attach_to_snapshot, build_plan, pack, statements_for
from connectguard.guardrails.protections import INSTANCE, Protection
from connectguard.inventory.io import save_snapshot

from .estate import (
    ACCOUNT,
    SAML_PROVIDER,
    admin_role,
    chain,
    directory,
    full,
    iam,
    instance,
    instance_arn,
    org,
    policy_doc,
    role_arn,
    scp,
    signin_role,
    snapshot,
)


def estate(n_instances: int = 2, account_policies=None):
    instances = [instance(f"i-{i}") for i in range(n_instances)]
    instances.append(instance("i-dir", kind="EXISTING_DIRECTORY", bucket=None))
    return snapshot(instances, org(chain(account=account_policies)), iam(admin_role(), signin_role()),
                    directories=[directory()])


def test_plan_names_every_real_arn_and_verifies():
    plan = build_plan(estate(), Config(), break_glass=[role_arn("BreakGlass")], recommended=True)
    assert plan.target == ACCOUNT
    text = plan.policies[0].text
    for needed in (instance_arn("i-0"), instance_arn("i-1"), instance_arn("i-dir"), role_arn("ConnectSSO"),
                   SAML_PROVIDER, f"arn:aws:ds:us-east-1:{ACCOUNT}:directory/d-1234567890",
                   "arn:aws:s3:::acme-recordings"):
        assert needed in text
    for stmt in plan.policies[0].content["Statement"]:
        assert stmt["Effect"] == "Deny"
        assert stmt["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [role_arn("BreakGlass")]}}
    assert plan.slots["known"] and plan.slots["fits"] and plan.slots["after_apply"] == 2
    assert plan.verification and all(v["status"] == "would pass" for v in plan.verification)


def test_planned_policy_makes_every_guardrail_check_pass():
    snap = estate()
    config = Config.model_validate({"audit": {"break_glass_principals": [role_arn("BreakGlass")]}})
    checks = select_checks(["deletion-guardrails"])
    before = run_audit(snap, config, checks)
    assert {f.status for f in before.findings} == {Status.FAIL}
    plan = build_plan(snap, config, recommended=True)
    after = run_audit(attach_to_snapshot(snap, plan), config, checks)
    assert after.findings and {f.status for f in after.findings} == {Status.PASS}, \
        [f.message for f in after.findings if f.status is not Status.PASS]


def test_required_only_leaves_recommended_failing():
    snap = estate(1)
    plan = build_plan(snap, Config(), recommended=False)
    assert all(p.family != "recommended" for p in plan.protections)
    report = run_audit(attach_to_snapshot(snap, plan), Config(), select_checks(["recommended-guardrails-missing"]))
    assert {f.status for f in report.findings} == {Status.FAIL}


def test_large_estate_is_split_within_the_limit():
    protections = [Protection(INSTANCE, "connect:DeleteInstance", instance_arn(f"{i:08d}-aaaa-bbbb-cccc-dddddddddddd"),
                              "x", "y") for i in range(200)]
    policies = pack(statements_for(protections, [role_arn("BreakGlass")]))
    assert len(policies) >= 3
    assert all(p.size <= SCP_MAX_CHARS for p in policies)
    named = [r for p in policies for s in p.content["Statement"] for r in s["Resource"]]
    assert sorted(named) == sorted(p.resource for p in protections)
    assert [p.name for p in policies][:2] == ["connectguard-deletion-guardrails-1", "connectguard-deletion-guardrails-2"]
    with pytest.raises(InputError, match="exceeds"):
        pack(statements_for(protections[:1], [role_arn("x" * 6000)]))


def test_full_target_is_reported(tmp_path):
    others = [scp(f"p-other{i}", policy_doc({"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"}),
                  f"other-{i}") for i in range(4)]
    snap = estate(1, account_policies=[full(), *others])
    plan = build_plan(snap, Config())
    assert plan.slots["known"] and not plan.slots["fits"] and plan.slots["after_apply"] == 6
    assert any("at most 5" in w for w in plan.warnings)
    path = tmp_path / "snap.json"
    save_snapshot(snap, path)
    assert main(["guardrails", "plan", str(path)]) == 1


def test_plan_cli_json_and_files(tmp_path, capsys):
    path = tmp_path / "snap.json"
    save_snapshot(estate(), path)
    code = main(["guardrails", "plan", str(path), "--format", "json", "--break-glass", role_arn("BreakGlass"),
                 "--write-dir", str(tmp_path / "out"), "--target", "ou-ab12-contact"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc
    assert doc["tool"] == "connectguard" and doc["plan"]["target"] == "ou-ab12-contact"
    written = json.loads((tmp_path / "out" / "connectguard-deletion-guardrails.json").read_text())
    assert written == doc["plan"]["policies"][0]["content"]
    assert main(["guardrails", "plan", str(path), "--break-glass", "BreakGlass"]) == 2  # not an ARN


def test_plan_text_in_management_account_warns(tmp_path, capsys):
    snap = snapshot([instance("i-1")], org(chain(), management=True))
    path = tmp_path / "snap.json"
    save_snapshot(snap, path)
    code = main(["guardrails", "plan", str(path)])
    out = capsys.readouterr().out
    assert code == 3  # cannot be verified: SCPs do not bind the management account
    assert "SCPs never restrict the management account" in out
    assert "aws organizations attach-policy" in out


def test_verify_command_runs_the_guardrail_checks(tmp_path, capsys):
    path = tmp_path / "snap.json"
    save_snapshot(estate(1), path)
    assert main(["guardrails", "verify", str(path), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert {f["practice"] for f in doc["findings"]} == {"deletion-guardrails", "emergency-access"}
    plan = build_plan(estate(1), Config(), recommended=True)
    save_snapshot(attach_to_snapshot(estate(1), plan), path)
    # Guardrails in place; emergency access (AdministratorAccess) still fails, at high severity.
    assert main(["guardrails", "verify", str(path), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    failing = {f["check"] for f in doc["findings"] if f["status"] == "FAIL"}
    assert failing == {"emergency-access-unrestricted"}
    assert main(["guardrails", "verify", str(path), "--fail-on", "critical", "--format", "json"]) == 0
