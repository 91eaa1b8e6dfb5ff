"""The demo estate end to end: collect -> audit -> plan -> apply (moto Organizations) -> collect -> audit.

The demo world's organization protects acme-support with an SCP and leaves acme-sales
unprotected. After `guardrails apply`, a fresh collection and audit show every
deletion-guardrail check passing, and a second apply changes nothing.
"""

from __future__ import annotations

import json
import os
from unittest import mock

import boto3
import pytest

from connectguard.audit.engine import run_audit
from connectguard.audit.registry import select_checks
from connectguard.cli import main
from connectguard.config import Config
from connectguard.conventions import Status
from connectguard.inventory.io import save_snapshot

simulator = pytest.importorskip("connectguard.simulator.estate")
worlds = pytest.importorskip("connectguard.simulator.worlds")
runner = pytest.importorskip("connectguard.collect.runner")


def collect(estate):
    with mock.patch.dict(os.environ, estate.env):
        options = runner.CollectOptions(org_role=estate.ids["organization"]["reader_role"], max_rps=1000,
                                        regions=[estate.region])
        return runner.collect_snapshot(boto3.Session(), options=options)


def by_alias(snap, report, check):
    aliases = {i.arn: i.alias for _, i in snap.instances()}
    out = {}
    for f in report.findings:
        if f.check == check:
            arn = next(a for a in aliases if f.resource.startswith(a))
            out[aliases[arn]] = f
    return out


@pytest.fixture(scope="module")
def estate():
    with simulator.SimulatedEstate(worlds.demo_world(), quota=False) as running:
        yield running


def test_demo_guardrails_missing_on_one_instance_present_on_other_then_plan_apply_closes_them(estate, tmp_path):
    checks = select_checks(["deletion-guardrails"])
    before = collect(estate)
    assert before.organization is not None and before.organization.is_management_account is False
    report = run_audit(before, Config(), checks)
    deletion = by_alias(before, report, "instance-deletion-not-denied")
    assert deletion["acme-support"].status is Status.PASS
    assert deletion["acme-support"].evidence["protections"][0]["denied_by"][0]["policy"].startswith(
        "ProtectConnectSupport")
    assert deletion["acme-sales"].status is Status.FAIL
    assert any(f.status is Status.FAIL for f in report.findings if f.check == "signin-role-change-not-denied")

    path = tmp_path / "before.json"
    save_snapshot(before, path)
    account = before.account_id
    assert main(["guardrails", "plan", str(path), "--format", "json", "--output", str(tmp_path / "plan.json")]) == 0
    plan = json.loads((tmp_path / "plan.json").read_text())["plan"]
    assert plan["target"] == account and all(v["status"] == "would pass" for v in plan["verification"])

    management = estate.ids["organization"]["management_account"]
    creds = estate.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{management}:role/OrganizationAccountAccessRole",
        RoleSessionName="connectguard-test")["Credentials"]
    env = {**estate.env, "AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
           "AWS_SESSION_TOKEN": creds["SessionToken"]}
    with mock.patch.dict(os.environ, env):
        assert main(["guardrails", "apply", str(path), "--target", account, "--apply",
                     "--output", str(tmp_path / "apply1.txt")]) == 0
        assert main(["guardrails", "apply", str(path), "--target", account, "--apply", "--format", "json",
                     "--output", str(tmp_path / "apply2.json")]) == 0
    assert "done AttachPolicy" in (tmp_path / "apply1.txt").read_text()
    assert json.loads((tmp_path / "apply2.json").read_text())["apply"]["changes"] == 0

    after = collect(estate)
    report = run_audit(after, Config(), checks)
    assert report.findings
    not_passing = [(f.check, f.resource, f.message) for f in report.findings if f.status is not Status.PASS]
    assert not not_passing, not_passing
    account_level = next(level for level in after.organization.scp_chain if level.target_type == "ACCOUNT")
    assert "connectguard-deletion-guardrails" in [p.name for p in account_level.policies]
