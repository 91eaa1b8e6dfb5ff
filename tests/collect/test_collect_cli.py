"""`connectguard collect`: exit statuses, the file it writes, usage errors."""

from __future__ import annotations

import stat

from collectkit import FAST_RPS, faults, small_instance

from connectguard.cli import main
from connectguard.inventory.io import load_snapshot

REGION = "us-east-1"


def _args(out, *extra: str) -> list[str]:
    return ["collect", "--out", str(out), "--region", REGION, "--max-rps", str(FAST_RPS), "--quiet", *extra]


def test_complete_collection_exits_0_and_writes_a_private_snapshot(estate, tmp_path) -> None:
    out = tmp_path / "snap.json"
    role = estate.ids["organization"]["reader_role"]
    only = small_instance(estate)
    with faults(estate) as sim:
        assert main(_args(out, "--org-role", role, "--instance-id", only.id)) == 0
        described = sim.calls["DescribeInstance"]
    assert described == 1  # --instance-id: the other instances are not even described
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    snap = load_snapshot(out)
    assert snap.errors == []
    assert [i.id for _r, i in snap.instances()] == [only.id]
    assert snap.stats.max_rps == FAST_RPS


def test_recorded_failures_exit_3(estate, tmp_path, capsys) -> None:
    out = tmp_path / "partial.json.gz"
    with faults(estate) as sim:
        sim.deny("ListSecurityKeys")
        code = main(["collect", "--out", str(out), "--region", REGION, "--max-rps", str(FAST_RPS),
                     "--instance-id", small_instance(estate).id])
    assert code == 3
    snap = load_snapshot(out)
    assert snap.errors and all(e.operation == "ListSecurityKeys" for e in snap.errors if e.service == "connect")
    assert "ListSecurityKeys failed with AccessDeniedException" in capsys.readouterr().err


def test_no_region_is_a_usage_error(estate, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert main(["collect", "--out", str(tmp_path / "x.json"), "--quiet"]) == 2
    assert "no region" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_bad_rate_is_a_usage_error(tmp_path) -> None:
    assert main(["collect", "--out", str(tmp_path / "x.json"), "--max-rps", "0"]) == 2


def test_bad_config_is_a_usage_error(tmp_path, capsys) -> None:
    cfg = tmp_path / "connectguard.toml"
    cfg.write_text("[collect]\nmax_rsp = 3\n")
    assert main(["collect", "--out", str(tmp_path / "x.json"), "--config", str(cfg)]) == 2
    assert "max_rsp" in capsys.readouterr().err


def test_malformed_region_is_a_usage_error(tmp_path, capsys) -> None:
    assert main(["collect", "--out", str(tmp_path / "x.json"), "--region", "us east 1"]) == 2
    assert "not an AWS region name" in capsys.readouterr().err


def test_log_archive_role_reads_trail_buckets_through_that_role(estate, tmp_path) -> None:
    out = tmp_path / "archive.json"
    role = estate.ids["organization"]["reader_role"]  # any role the identity may assume will do here
    with faults(estate):
        assert main(_args(out, "--org-role", role, "--log-archive-role", role, "--instance-id", "none")) == 0
    snap = load_snapshot(out)
    assert snap.stats.calls["sts:AssumeRole"] == 2  # one for the organization, one for the log archive
    trail_buckets = {t.s3_bucket for r in snap.regions for t in r.trails}
    assert trail_buckets and trail_buckets <= {b.name for b in snap.s3_buckets if b.versioning is not None}



def test_no_credentials_is_a_usage_error_not_a_snapshot_of_failures(estate, tmp_path, monkeypatch, capsys) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    assert main(["collect", "--out", str(tmp_path / "x.json"), "--region", REGION, "--quiet"]) == 2
    assert "no AWS credentials" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
