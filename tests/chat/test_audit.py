"""Audit integration: audit_inputs does the I/O, the chat checks turn it into audit results."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from connectguard.audit.engine import run_audit
from connectguard.audit.registry import select_checks
from connectguard.chat import audit_inputs
from connectguard.cli import main
from connectguard.config import parse_config
from connectguard.conventions import Severity, Status
from connectguard.inventory.model import Snapshot

GOOD_CSP = ("default-src 'self'; script-src 'nonce-R4nd0mR4nd0m' 'strict-dynamic' https: 'unsafe-inline'; "
            "object-src 'none'; base-uri 'none'; connect-src 'self' https://participant.connect.us-east-1.amazonaws.com "
            "wss://*.transport.connect.us-east-1.amazonaws.com; report-uri https://example.com/r")


def snapshot() -> Snapshot:
    return Snapshot(tool_version="0.1.0", collected_at=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc),
                    account_id="123456789012")


def chat_results(report):
    return [f for f in report.findings if f.practice.value in ("chat-xss", "chat-csp")]


def test_checks_do_not_run_without_chat_inputs():
    report = run_audit(snapshot(), checks=select_checks(["chat-xss", "chat-csp"]))
    assert chat_results(report) == []


def test_scan_findings_become_results_with_path_line_resources(tmp_path: Path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "chat.js").write_text("s.onMessage((e) => {\n  a.innerHTML = e.data.Content;\n});\n")
    (app / "broken.js").write_text("function (\n")
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "ok.js").write_text("s.onMessage((e) => { a.textContent = e.data.Content; });\n")
    config = parse_config({"audit": {"chat_regions": ["us-east-1"]}})
    extra = audit_inputs(config, [str(app), str(clean)], None)
    assert set(extra) == {"chat_scan"}
    report = run_audit(snapshot(), config, select_checks(["chat-xss"]), extra=extra)
    rows = {(f.check, f.status, f.resource, f.severity) for f in chat_results(report)}
    assert ("chat-dom-xss", Status.FAIL, f"{app / 'chat.js'}:2", Severity.HIGH) in rows
    assert ("chat-dom-xss", Status.UNKNOWN, f"{app / 'broken.js'}:1", Severity.HIGH) in rows
    assert ("chat-dom-xss", Status.PASS, str(clean), Severity.HIGH) in rows
    fail = next(f for f in report.findings if f.status is Status.FAIL)
    assert fail.evidence["findings"][0]["sink"] == "innerHTML" and fail.remediation


def test_an_empty_source_path_is_unknown_not_pass(tmp_path: Path):
    extra = audit_inputs(parse_config({}), [str(tmp_path)], None)
    report = run_audit(snapshot(), checks=select_checks(["chat-xss"]), extra=extra)
    assert [f.status for f in chat_results(report)] == [Status.UNKNOWN]


def test_csp_results_for_good_weak_missing_and_unreachable_pages(web):
    base, routes = web
    routes["/good"] = (200, {"Content-Type": "text/html", "Content-Security-Policy": GOOD_CSP}, b"")
    routes["/weak"] = (200, {"Content-Type": "text/html",
                             "Content-Security-Policy": "script-src 'self' 'unsafe-inline' https://*.cloudfront.net"}, b"")
    routes["/none"] = (200, {"Content-Type": "text/html",
                             "Content-Security-Policy-Report-Only": "default-src 'self'"}, b"<p>")
    config = parse_config({"audit": {"chat_regions": ["us-east-1"]}})
    checks = select_checks(["chat-csp"])

    def result(path):
        extra = audit_inputs(config, [], base + path)
        (finding,) = chat_results(run_audit(snapshot(), config, checks, extra=extra))
        assert finding.resource == base + path
        return finding

    good = result("/good")
    assert good.status is Status.PASS
    weak = result("/weak")
    assert (weak.status, weak.severity) == (Status.FAIL, Severity.HIGH)
    assert {f["check"] for f in weak.evidence["findings"]} >= {"script-unsafe-inline", "missing-directives",
                                                               "script-allowlist-bypass"}
    none = result("/none")
    assert (none.status, none.severity) == (Status.FAIL, Severity.HIGH) and "report-only" in none.message
    missing = result("/gone")
    assert missing.status is Status.UNKNOWN and "404" in missing.message


def test_audit_cli_runs_chat_checks_from_the_config_file(tmp_path: Path, web, capsys):
    base, routes = web
    routes["/"] = (200, {"Content-Type": "text/html", "Content-Security-Policy": GOOD_CSP}, b"")
    src = tmp_path / "src"
    src.mkdir()
    (src / "c.jsx").write_text("export const C = ({ m }) => <a href={m.url}>x</a>;\n")
    snap = tmp_path / "snap.json"
    snap.write_text(snapshot().model_dump_json())
    cfg = tmp_path / "connectguard.toml"
    cfg.write_text(f'[audit]\nchat_source = ["{src}"]\nchat_url = "{base}/"\nchat_regions = ["us-east-1"]\n')
    code = main(["audit", str(snap), "--config", str(cfg), "--checks", "chat-xss,chat-csp", "-f", "json"])
    doc = json.loads(capsys.readouterr().out)
    rows = {(f["check"], f["status"], f["resource"]) for f in doc["findings"]}
    assert ("chat-dom-xss", "FAIL", f"{src / 'c.jsx'}:1") in rows
    assert ("chat-csp-weak", "PASS", f"{base}/") in rows
    assert code == 0  # the only failure is low
