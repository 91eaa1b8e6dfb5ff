"""`connectguard chat ...` through the real entry point: formats, exit statuses, errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from connectguard.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]

SARIF_SCHEMA = REPO_ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "chat.js").write_text(
        "const s = connect.ChatSession.create({});\n"
        "s.onMessage((e) => {\n"
        "  box.innerHTML = e.data.Content;\n"
        "});\n"
        "function note(html) { banner.innerHTML = html; }\n")
    return tmp_path


def test_scan_table_and_exit_status(capsys, project):
    code, out, _ = run(capsys, "chat", "scan", str(project))
    assert code == 1
    assert "tainted-html-sink" in out and "chat.js:3:3" in out and "1 high, 1 low" in out
    code, _, _ = run(capsys, "chat", "scan", str(project), "--fail-on", "critical")
    assert code == 0


def test_scan_json_contract(capsys, project):
    code, out, _ = run(capsys, "chat", "scan", str(project), "--format", "json", "--fail-on", "low")
    doc = json.loads(out)
    assert code == 1
    assert list(doc)[:3] == ["tool", "version", "generated_at"]
    assert [(f["rule"], f["severity"], f["line"]) for f in doc["findings"]] == [
        ("tainted-html-sink", "high", 3), ("unsafe-html-sink", "low", 5)]
    assert set(doc["findings"][0]) == {"rule", "severity", "file", "line", "column", "sink", "source", "message"}
    assert "onMessage" in doc["findings"][0]["source"]


def test_scan_sarif_validates_against_the_schema(capsys, project):
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SARIF_SCHEMA}")
    (project / "src" / "broken.ts").write_text("let = ;\n")
    code, out, _ = run(capsys, "chat", "scan", str(project), "-f", "sarif")
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text()))
    run_ = doc["runs"][0]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run_["results"]] == [
        ("tainted-html-sink", 3), ("unsafe-html-sink", 5)]
    assert run_["invocations"][0]["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"]["uri"].endswith("broken.ts")
    assert code == 1


def test_scan_incomplete_input_exits_3(capsys, tmp_path):
    (tmp_path / "broken.js").write_text("function (\n")
    code, out, _ = run(capsys, "chat", "scan", str(tmp_path))
    assert code == 3 and "not fully scanned" in out


def test_scan_output_file_and_sanitizer_option(capsys, project, tmp_path):
    (project / "src" / "chat.js").write_text("s.onMessage((e) => { box.innerHTML = clean(e.data); });\n")
    target = tmp_path / "out.json"
    code, out, _ = run(capsys, "chat", "scan", str(project), "-f", "json", "-o", str(target), "--sanitizer", "clean")
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["findings"] == []


def test_csp_evaluate_json_and_exit(capsys):
    code, out, _ = run(capsys, "chat", "csp", "evaluate", "script-src 'self' 'unsafe-inline'; connect-src *",
                       "--region", "us-east-1", "-f", "json")
    doc = json.loads(out)
    assert code == 1
    assert doc["policy"] == "script-src 'self' 'unsafe-inline'; connect-src *"
    assert {"check", "directive", "severity", "message"} <= set(doc["findings"][0])
    checks = {(f["check"], f["severity"]) for f in doc["findings"]}
    assert ("script-unsafe-inline", "high") in checks and ("connect-chat-too-broad", "medium") in checks


def test_csp_evaluate_url_without_policy(capsys, web):
    base, routes = web
    routes["/"] = (200, {"Content-Type": "text/html"}, b"<html></html>")
    code, out, _ = run(capsys, "chat", "csp", "evaluate", "--url", base + "/", "-f", "json")
    assert code == 1
    assert json.loads(out)["findings"][0]["check"] == "missing-csp"


def test_csp_generate_prints_a_header_value_that_evaluates_clean(capsys):
    code, out, _ = run(capsys, "chat", "csp", "generate", "--region", "eu-central-1")
    assert code == 0
    policy = out.strip()
    assert "wss://*.transport.connect.eu-central-1.amazonaws.com" in policy and "\n" not in policy
    code, _, _ = run(capsys, "chat", "csp", "evaluate", policy, "--region", "eu-central-1", "--fail-on", "medium")
    assert code == 0
    code, out, _ = run(capsys, "chat", "csp", "generate", "--region", "eu-central-1", "--widget", "-f", "json")
    doc = json.loads(out)
    assert doc["widget"] is True and all(d["explanation"] for d in doc["directives"])
    assert not [f for f in doc["evaluation"] if f["severity"] in ("critical", "high", "medium")]


@pytest.mark.parametrize("argv", [
    ["chat", "csp", "evaluate"],
    ["chat", "csp", "evaluate", "default-src 'self'", "--html", "x.html"],
    ["chat", "csp", "evaluate", "   "],
    ["chat", "csp", "evaluate", "default-src 'self'", "--region", "mars-1"],
    ["chat", "csp", "generate", "--region", "us-east-1", "--nonce-placeholder", "x"],
    ["chat", "csp", "evaluate", "--html", "/nonexistent/page.html"],
    ["chat", "csp", "evaluate", "--url", "ftp://example.com/"],
])
def test_usage_and_input_errors_exit_2_with_one_line(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.strip() and "Traceback" not in err


def test_pre_commit_hook_definition_runs_the_scanner():
    import yaml

    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "connectguard-chat-scan")
    assert hook["entry"].startswith("connectguard chat scan")
    assert hook["language"] == "python"
    assert "javascript" in hook["types_or"] and "vue" in hook["types_or"]
