"""`connectguard demo` and `connectguard audit --live` end to end over the simulated estate."""

import json
import os
from unittest import mock

import pytest

from connectguard.cli import main

simulator = pytest.importorskip("connectguard.simulator")


def test_demo_runs_offline_and_writes_reports(tmp_path, capsys):
    assert main(["demo", "--out-dir", str(tmp_path), "--show", "5"]) == 0
    out = capsys.readouterr().out
    assert "Collected 3 instances in 2 regions" in out and "Results by practice" in out
    report = json.loads((tmp_path / "report.json").read_text())
    practices = {f["practice"] for f in report["findings"] if f["status"] == "FAIL"}
    # The demo estate is deliberately mis-configured across the practices.
    assert {"mfa", "least-privilege", "flow-logging", "deletion-guardrails", "data-encryption"} <= practices
    # The demo does not leave its simulated endpoints in the caller's environment.
    assert "AWS_ENDPOINT_URL_CONNECT" not in os.environ


def test_audit_live_collects_then_audits(tmp_path, capsys):
    world = simulator.worlds.demo_world()
    with simulator.SimulatedEstate(world, quota=False) as estate, mock.patch.dict(os.environ, estate.env):
        cfg = tmp_path / "c.toml"
        cfg.write_text('[collect]\nmax_rps = 100\nregions = ["us-east-1"]\n')
        status = main(["audit", "--live", "--config", str(cfg), "-f", "json", "--checks", "mfa"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 1  # CONNECT_MANAGED instance: mfa FAIL at high
    regions = {f["region"] for f in doc["findings"]}
    assert regions == {"us-east-1"}
