import json
from pathlib import Path

import pytest

from connectguard.cli import main
from connectguard.inventory import save_snapshot

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def snap_file(tmp_path, small_snapshot):
    path = tmp_path / "snap.json"
    save_snapshot(small_snapshot, path)
    return path


def test_audit_json_and_exit_status(snap_file, capsys):
    # mfa-not-enforced FAILs at high on the CONNECT_MANAGED instance: exit 1 at the default --fail-on.
    assert main(["audit", str(snap_file), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["by_status"]["FAIL"] >= 1


def test_fail_on_critical_leaves_unknowns_as_exit_3(snap_file, capsys):
    assert main(["audit", str(snap_file), "--fail-on", "critical"]) == 3
    assert main(["audit", str(snap_file), "--fail-on", "critical", "--fail-on-unknown"]) == 1


def test_fail_on_default_comes_from_config(snap_file, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[audit]\nfail_on = "critical"\n')
    assert main(["audit", str(snap_file), "--config", str(cfg)]) == 3


def test_output_file(snap_file, tmp_path, capsys):
    out = tmp_path / "r" / "report.json"
    main(["audit", str(snap_file), "-f", "json", "-o", str(out)])
    assert json.loads(out.read_text())["tool"] == "connectguard"
    assert capsys.readouterr().out == ""


def test_table_is_default_and_escapes_markup(snap_file, capsys):
    main(["audit", str(snap_file)])
    out = capsys.readouterr().out
    assert "mfa-not-enforced" in out and "Summary by practice" in out


@pytest.mark.parametrize("content", ["", "{", "not json at all"])
def test_corrupt_snapshot_is_exit_2_one_line(tmp_path, capsys, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["audit", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("connectguard: error: ") and str(bad) in err
    assert "\n" not in err and "Traceback" not in err


def test_usage_errors_are_exit_2(snap_file, capsys):
    assert main(["audit"]) == 2
    assert main(["audit", str(snap_file), "--checks", "nosuch"]) == 2
    assert "unknown check or practice: nosuch" in capsys.readouterr().err
    assert main(["audit", str(snap_file), "--fail-on", "severe"]) == 2


def test_checks_listing_json(capsys):
    assert main(["checks", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"mfa-not-enforced", "flow-logs-disabled", "storage-not-kms-encrypted"} <= {c["id"] for c in doc["checks"]}


def test_docs_checks_md_is_current(capsys):
    """docs/checks.md is generated from the checks' metadata; regenerate with
    `connectguard checks --format markdown -o docs/checks.md`."""
    main(["checks", "--format", "markdown"])
    assert (REPO / "docs" / "checks.md").read_text() == capsys.readouterr().out


def test_docs_configuration_md_is_current(capsys):
    main(["checks", "--config-reference"])
    assert (REPO / "docs" / "configuration.md").read_text() == capsys.readouterr().out


def test_retention_days_flag_overrides_config(tmp_path, capsys):
    import datetime as dt

    from connectguard.inventory.model import Instance, LogGroup, RegionInventory, Snapshot

    snap = Snapshot(tool_version="t", collected_at=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc),
                    account_id="123456789012", regions=[RegionInventory(
                        region="us-east-1", log_groups=[LogGroup(name="/aws/connect/a", retention_days=90)],
                        instances=[Instance(id="i", arn="arn:aws:connect:us-east-1:123456789012:instance/i",
                                            alias="a")])])
    path = tmp_path / "s.json"
    save_snapshot(snap, path)

    def retention_status(*extra):
        main(["audit", str(path), "-f", "json", "--checks", "flow-log-retention-short", *extra])
        (finding,) = json.loads(capsys.readouterr().out)["findings"]
        return finding["status"]

    assert retention_status() == "FAIL"  # 90 < 365
    assert retention_status("--retention-days", "60") == "PASS"
