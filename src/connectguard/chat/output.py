"""Render chat scan and CSP results: table, JSON (in the common envelope) and SARIF 2.1.0."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import PurePath
from urllib.parse import quote
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectguard import __version__
from connectguard.chat.csp import CspFinding, GeneratedPolicy, Policy
from connectguard.chat.model import RULES, ScanResult
from connectguard.conventions import TOOL_NAME, Severity, json_envelope

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note",
          Severity.INFO: "note"}
# GitHub code scanning reads security-severity (0-10) to rank results.
_SCORE = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0",
          Severity.INFO: "1.0"}
_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "blue", "info": "dim"}
DOCS_URL = "https://github.com/connectguard/connectguard/blob/main/docs/chat.md"


def _console(buffer: io.StringIO) -> Console:
    return Console(file=buffer, no_color=True, width=160, highlight=False, soft_wrap=False)


def scan_table(result: ScanResult) -> str:
    buffer = io.StringIO()
    console = _console(buffer)
    if result.findings:
        table = Table(header_style="bold")
        for col in ("Severity", "Rule", "Location", "Sink", "Source / finding"):
            table.add_column(col, overflow="fold", no_wrap=col in ("Severity", "Rule"))
        for f in result.findings:
            # File contents (source text) never reach the table; names and messages are escaped for rich.
            table.add_row(f"[{_STYLE[f.severity.value]}]{f.severity.value}[/]", f.rule,
                          escape(f"{f.file}:{f.line}:{f.column}"), escape(f.sink), escape(f.source or f.message))
        console.print(table)
    else:
        console.print("No findings.")
    for e in result.errors:
        where = f"{e.file}:{e.line}" if e.line else e.file
        console.print(f"[yellow]not fully scanned[/] {escape(where)}: {escape(e.message)}")
    counts: dict[str, int] = {}
    for f in result.findings:
        counts[f.severity.value] = counts.get(f.severity.value, 0) + 1
    summary = ", ".join(f"{counts[s.value]} {s.value}" for s in Severity if s.value in counts) or "no findings"
    console.print(f"{result.files_scanned} files scanned: {summary}; {len(result.errors)} not fully scanned.")
    return buffer.getvalue()


def scan_json(result: ScanResult) -> str:
    return json.dumps(json_envelope(result.to_dict()), indent=2) + "\n"


def _uri(path: str) -> str:
    """Relative paths stay relative (GitHub resolves them against the checkout); absolute ones become file: URIs."""
    p = PurePath(path)
    return p.as_uri() if p.is_absolute() else quote(p.as_posix())


def scan_sarif(result: ScanResult) -> dict[str, Any]:
    rule_ids = list(RULES)
    index = {r: i for i, r in enumerate(rule_ids)}
    rules = []
    for rid in rule_ids:
        rule = RULES[rid]
        severity = Severity.LOW if rid.startswith(("unsafe-", "message-")) else (
            Severity.MEDIUM if rid == "tainted-url-sink" else Severity.HIGH)
        rules.append({
            "id": rid,
            "name": "".join(w.capitalize() for w in rid.split("-")),
            "shortDescription": {"text": rule.title},
            "help": {"text": rule.remediation},
            "helpUri": f"{DOCS_URL}#{rid}",
            "defaultConfiguration": {"level": _LEVEL[severity]},
            "properties": {"tags": ["security", "external/cwe/cwe-79", "amazon-connect", "chat-xss"],
                           "security-severity": _SCORE[severity], "precision": "medium"},
        })
    results = []
    for f in result.findings:
        text = f.message if f.source is None else f"{f.message}. Source: {f.source}."
        fingerprint = hashlib.sha256(f"{f.rule}|{f.file}|{f.sink}|{f.source}|{f.line}".encode()).hexdigest()[:32]
        results.append({
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _LEVEL[f.severity],
            "message": {"text": text},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(f.file)},
                "region": {"startLine": f.line, "startColumn": f.column},
            }}],
            "partialFingerprints": {"connectguardChat/v1": fingerprint},
            "properties": {"severity": f.severity.value, "sink": f.sink, "security-severity": _SCORE[f.severity]},
        })
    notifications = [{
        "level": "warning",
        "message": {"text": e.message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(e.file)},
                                            **({"region": {"startLine": e.line}} if e.line else {})}}],
    } for e in result.errors]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": TOOL_NAME, "version": __version__, "semanticVersion": __version__,
                            "informationUri": "https://github.com/connectguard/connectguard", "rules": rules}},
        "automationDetails": {"id": "connectguard/chat-scan/"},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"files_scanned": result.files_scanned},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_scan(result: ScanResult, output_format: str) -> str:
    if output_format == "json":
        return scan_json(result)
    if output_format == "sarif":
        return json.dumps(scan_sarif(result), indent=2) + "\n"
    return scan_table(result)


# ----- CSP --------------------------------------------------------------------------------------------

def csp_document(location: str, policies: list[Policy], findings: list[tuple[int, CspFinding]],
                 regions: tuple[str, ...]) -> dict[str, Any]:
    many = len(policies) > 1
    rows = []
    for i, f in findings:
        d = f.to_dict()
        if many:
            d["policy_index"] = i
        rows.append(d)
    return json_envelope({
        "policy": ", ".join(p.raw for p in policies),
        "source": location,
        "delivery": [p.delivery for p in policies],
        "regions": list(regions),
        "findings": rows,
    })


def csp_table(location: str, policies: list[Policy], findings: list[tuple[int, CspFinding]]) -> str:
    buffer = io.StringIO()
    console = _console(buffer)
    for i, p in enumerate(policies):
        label = f"Policy {i + 1} ({p.delivery})" if len(policies) > 1 else f"Policy ({p.delivery})"
        console.print(f"{label} from {escape(location)}:\n  {escape(p.raw or '(empty)')}")
    if findings:
        table = Table(header_style="bold")
        for col in ("Severity", "Check", "Directive", "Value", "Finding"):
            table.add_column(col, overflow="fold", no_wrap=col in ("Severity", "Check"))
        for i, f in findings:
            prefix = f"[policy {i + 1}] " if len(policies) > 1 else ""
            table.add_row(f"[{_STYLE[f.severity.value]}]{f.severity.value}[/]", f.check, escape(f.directive),
                          escape(f.value or ""), escape(prefix + f.message))
        console.print(table)
    else:
        console.print("No findings.")
    return buffer.getvalue()


def generated_document(policy: GeneratedPolicy, findings: list[CspFinding], regions: tuple[str, ...],
                       widget: bool) -> dict[str, Any]:
    return json_envelope({
        "policy": policy.header_value,
        "header": "Content-Security-Policy",
        "regions": list(regions),
        "widget": widget,
        "directives": [{"directive": d, "values": v, "explanation": policy.explanations.get(d, "")}
                       for d, v in policy.directives.items()],
        "notes": policy.notes,
        "evaluation": [f.to_dict() for f in findings],
    })
