"""`connectguard fraud ...` against a moto server reached through boto3's standard chain (AWS_ENDPOINT_URL)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator

import pytest
import yaml
from moto.server import ThreadedMotoServer

from connectguard.cli import main

TABLE = "cg-cli"


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def env(server_url, monkeypatch, tmp_path) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", server_url)
    monkeypatch.chdir(tmp_path)  # no stray connectguard.toml
    return server_url


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["fraud", *args])
    out, err = capsys.readouterr()
    return int(code), out, err


def test_admin_round_trip(env, capsys, tmp_path):
    table = ["--table", TABLE]
    code, out, err = run(capsys, "init", *table)
    assert code == 0 and "plan: create table" in out and "--apply" in err
    assert run(capsys, "deny", "list", *table)[0] == 2  # nothing was created by the dry run
    assert run(capsys, "init", *table, "--apply")[0] == 0
    assert "nothing to do" in run(capsys, "init", *table, "--apply")[1]  # idempotent

    code, out, _ = run(capsys, "deny", "add", "(206) 555-0100", "--reason", "fraud ring", *table)
    assert code == 0 and out.startswith("plan: add number +12065550100")
    assert run(capsys, "deny", "add", "(206) 555-0100", "--reason", "fraud ring", *table, "--apply")[0] == 0
    assert "unchanged" in run(capsys, "deny", "add", "+12065550100", "--reason", "fraud ring", *table)[1]
    assert run(capsys, "deny", "add", "--prefix", "+1 900", "--expires", "30d", *table, "--apply")[0] == 0

    code, out, _ = run(capsys, "check", "2065550100", *table)
    assert code == 1 and "block (deny-list)" in out and "fraud ring" in out
    code, out, _ = run(capsys, "check", "+19005550123", *table, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["tool"] == "connectguard" and doc["reason"] == "deny-prefix"
    assert doc["entry"]["value"] == "+1900" and doc["entry"]["expires_at"]
    assert run(capsys, "check", "+12065550111", *table)[0] == 0
    code, out, _ = run(capsys, "check", "anonymous", *table)
    assert code == 1 and "review (withheld)" in out

    code, out, _ = run(capsys, "deny", "list", *table, "--format", "json")
    entries = json.loads(out)["entries"]
    assert [(e["kind"], e["value"]) for e in entries] == [("number", "+12065550100"), ("prefix", "+1900")]
    assert entries[0]["added_by"].startswith("arn:aws:")  # who made the change, from STS

    code, out, _ = run(capsys, "deny", "export", *table)
    assert out.splitlines()[0] == "number,prefix,reason,expires"
    (tmp_path / "export.csv").write_text(out)

    assert run(capsys, "deny", "remove", "+12065550100", *table, "--apply")[0] == 0
    assert "not on the deny list" in run(capsys, "deny", "remove", "+12065550100", *table)[1]
    assert run(capsys, "check", "+12065550100", *table)[0] == 0

    # Re-import the export: the removed number comes back.
    assert run(capsys, "deny", "import", str(tmp_path / "export.csv"), *table, "--apply")[0] == 0
    assert run(capsys, "check", "+12065550100", *table)[0] == 1

    code, out, _ = run(capsys, "stats", *table, "--format", "json")
    assert code == 0 and json.loads(out)["deny_list"] == {"exact": 1, "prefixes": 1, "expired_not_deleted": 0}


def test_import_reports_bad_rows_with_line_numbers_and_imports_the_rest(env, capsys, tmp_path):
    table = ["--table", TABLE + "-import"]
    run(capsys, "init", *table, "--apply")
    csv_file = tmp_path / "deny.csv"
    csv_file.write_text(
        "number,prefix,reason,expires\n"
        "+12065550101,,ok,\n"           # 2 good
        "not-a-number,,bad,\n"           # 3 bad number
        ",+1900,range,2099-01-01\n"      # 4 good prefix
        "+12065550102,,x,yesterday\n"    # 5 bad expiry
        "+12065550103,+1800,both,\n"     # 6 both given
        "+12065550104,,past,2001-01-01\n"  # 7 expiry in the past
        "\n"
        "206-555-0105,,national,12h\n"   # 9 good (national format, default country US)
    )
    code, out, err = run(capsys, "deny", "import", str(csv_file), *table, "--apply")
    assert code == 3
    lines = sorted(int(line.split(":")[1]) for line in err.splitlines() if line.startswith(str(csv_file)))
    assert lines == [3, 5, 6, 7]
    assert "imported 3 entries" in out
    _, listed, _ = run(capsys, "deny", "list", *table, "--format", "csv")
    assert ",+1900,range,2099-01-01T00:00:00Z" in listed.splitlines()
    assert {row.split(",")[0] for row in listed.splitlines()[1:]} == {"", "+12065550101", "+12065550105"}


def test_input_errors_exit_2_with_one_line(env, capsys):
    code, _, err = run(capsys, "deny", "add", "12", "--table", TABLE)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not a possible phone number" in err
    code, _, err = run(capsys, "deny", "add", "--prefix", "900", "--table", TABLE)
    assert code == 2 and "international number prefix" in err
    code, _, err = run(capsys, "check", "+12065550100", "--table", "no-such-table")
    assert code == 2 and "fraud init" in err
    code, _, err = run(capsys, "deny", "list")
    assert code == 2 and "CONNECTGUARD_FRAUD_TABLE" in err


def test_unreachable_dynamodb_exits_3(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, _, err = run(capsys, "check", "+12065550100", "--table", TABLE)
    assert code == 3 and len(err.strip().splitlines()) == 1


def test_package_and_template_commands(tmp_path, capsys):
    code, out, _ = run(capsys, "package", "-o", str(tmp_path / "f.zip"), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["size_bytes"] == (tmp_path / "f.zip").stat().st_size
    assert "connectguard/fraud/handler.py" in zipfile.ZipFile(tmp_path / "f.zip").namelist()
    code, out, _ = run(capsys, "template", "--flow-output", str(tmp_path / "flow.json"),
                       "--function-arn", "arn:aws:lambda:us-east-1:111122223333:function:connectguard-fraud-screen")
    doc = yaml.safe_load(out)
    assert code == 0 and doc["Resources"]["Function"]["Properties"]["Handler"] == "connectguard.fraud.lambda_handler"
    flow = json.loads((tmp_path / "flow.json").read_text())
    assert flow["Actions"][1]["Parameters"]["LambdaFunctionARN"].endswith(":function:connectguard-fraud-screen")
    assert run(capsys, "template", "--deadline-ms", "7000")[0] == 2  # no room left for a cold start within 8 s
