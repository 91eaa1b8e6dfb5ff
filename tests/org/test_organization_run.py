"""Organization runs over a simulated organization: moto Organizations/STS + one Connect estate per account."""

import json
import os
from pathlib import Path
from unittest import mock

import boto3
import pytest

from connectguard.cli import main
from connectguard.collect.runner import CollectOptions
from connectguard.conventions import Status
from connectguard.inventory import load_snapshot
from connectguard.org.collect import OrgCollectOptions, collect_organization_estate
from connectguard.org.index import load_index
from connectguard.simulator.connect_server import Fault
from connectguard.simulator.organization import MemberSpec, SimulatedOrganization

REGIONS = ["us-east-1", "eu-west-2"]


@pytest.fixture(scope="module")
def organization():
    members = [
        MemberSpec("alpha", regions=("us-east-1",), tags={"team": "contact-center"}),
        MemberSpec("beta", regions=("eu-west-2",), tags={"team": "contact-center"}),
        MemberSpec("gamma", audit_role=False, tags={"team": "sales"}),
    ]
    with SimulatedOrganization(members, quota=False) as org:
        yield org


@pytest.fixture(scope="module")
def run(organization, tmp_path_factory):
    out = tmp_path_factory.mktemp("org")
    with mock.patch.dict(os.environ, organization.env):
        index = collect_organization_estate(
            boto3.Session(), OrgCollectOptions(regions=REGIONS, collect=CollectOptions(max_rps=200)), out)
    return index, out


def test_every_account_is_in_the_index_the_broken_one_with_its_reason(organization, run):
    index, out = run
    by_name = {e.name: e for e in index.accounts}
    assert set(by_name) == {"alpha", "beta", "gamma"}
    assert by_name["gamma"].status == "failed"
    assert "AccessDenied" in by_name["gamma"].reason and organization.role_name in by_name["gamma"].reason
    assert by_name["alpha"].regions == ["us-east-1"] and by_name["beta"].regions == ["eu-west-2"]
    assert load_index(out / "index.json") == index
    for name in ("alpha", "beta"):
        entry = by_name[name]
        snap = load_snapshot(out / entry.snapshot)
        member = organization.member(name)
        assert snap.account_id == member.account_id
        world_instances = {i.id for _, i in member.world.instances()}
        assert {i.id for _, i in snap.instances()} == world_instances


def test_scp_chain_comes_from_the_management_side_not_each_account(organization, run):
    index, out = run
    snap = load_snapshot(out / next(e.snapshot for e in index.accounts if e.name == "alpha"))
    chain = snap.organization.scp_chain
    assert [level.target_type for level in chain] == ["ROOT", "ORGANIZATIONAL_UNIT", "ACCOUNT"]
    assert chain[1].name == organization.ou_name
    assert any(p.name == "ProtectConnectInstances" for p in chain[1].policies)
    # The member account's own collection made no Organizations calls.
    assert not [op for op in snap.stats.calls if op.startswith("organizations:")]


def test_merged_report_has_every_account_and_the_broken_one_unknown(run, capsys):
    index, out = run
    status = main(["audit", str(out / "index.json"), "-f", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 1
    accounts = {a["account"]: a for a in doc["accounts"]}
    assert set(accounts) == {e.account_id for e in index.accounts}
    broken = next(e for e in index.accounts if e.status == "failed")
    broken_findings = [f for f in doc["findings"] if f["account"] == broken.account_id]
    assert broken_findings and {f["status"] for f in broken_findings} == {Status.UNKNOWN.value}
    assert all("could not be evaluated" in f["message"] for f in broken_findings)
    for entry in index.accounts:
        if entry.status == "collected":
            statuses = {f["status"] for f in doc["findings"] if f["account"] == entry.account_id}
            assert "FAIL" in statuses and "PASS" in statuses
    assert set(doc["summary"]["by_account"]) == set(accounts)
    assert "mfa" in doc["summary"]["by_practice_and_account"]


def test_filters_by_tag_and_account(organization, tmp_path):
    with mock.patch.dict(os.environ, organization.env):
        index = collect_organization_estate(
            boto3.Session(), OrgCollectOptions(regions=["us-east-1"], tags={"team": "contact-center"},
                                               account_ids=[organization.member("alpha").account_id],
                                               collect=CollectOptions(max_rps=200)), tmp_path)
    assert [e.name for e in index.accounts] == ["alpha"]


def test_a_region_that_refuses_is_recorded_and_unknown(organization, tmp_path, capsys):
    alpha = organization.member("alpha").account_id
    organization.connect.add_fault(Fault.access_denied("ListInstances", times=1))
    try:
        with mock.patch.dict(os.environ, organization.env):
            index = collect_organization_estate(
                boto3.Session(), OrgCollectOptions(regions=["us-east-1"], account_ids=[alpha],
                                                   account_concurrency=1, collect=CollectOptions(max_rps=200)),
                tmp_path)
    finally:
        organization.connect.clear_faults()
    (entry,) = index.accounts
    assert entry.status == "collected" and entry.regions == []
    assert entry.regions_refused[0].region == "us-east-1" and "AccessDenied" in entry.regions_refused[0].reason
    main(["audit", str(tmp_path / "index.json"), "-f", "json"])
    doc = json.loads(capsys.readouterr().out)
    refused = [f for f in doc["findings"] if f["region"] == "us-east-1"]
    assert refused and all(f["status"] == "UNKNOWN" for f in refused)


def test_cli_collect_organization_then_audit(organization, tmp_path, capsys):
    with mock.patch.dict(os.environ, organization.env):
        status = main(["collect", "--organization", "--out-dir", str(tmp_path), "--region", "us-east-1",
                       "--region", "eu-west-2", "--max-rps", "200", "--quiet"])
    assert status == 3  # gamma could not be collected
    assert main(["audit", str(tmp_path / "index.json"), "-f", "table"]) == 1
    assert main(["collect", "--organization", "--out", str(tmp_path / "x.json")]) == 2
    assert main(["collect", "--organization", "--out-dir", str(tmp_path), "--account-tag", "novalue"]) == 2
