"""The terminal report: what failed or could not be evaluated first, then a summary by practice."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectguard.audit.findings import AuditReport
from connectguard.conventions import Status

_STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.UNKNOWN: "yellow",
    Status.MANUAL: "cyan",
    Status.SUPPRESSED: "dim",
    Status.PASS: "green",
}
_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "blue", "info": "dim"}


def render_table(report: AuditReport, *, show_pass: bool = False, color: bool = False, width: int | None = None,
                 **_: Any) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width or 160,
                      highlight=False, soft_wrap=False)
    print_report(console, report, show_pass=show_pass)
    return buffer.getvalue()


def print_report(console: Console, report: AuditReport, *, show_pass: bool = False) -> None:
    shown = [f for f in report.findings if show_pass or f.status is not Status.PASS]
    if shown:
        table = Table(show_lines=False, header_style="bold", expand=False)
        table.add_column("Status", no_wrap=True)
        table.add_column("Severity", no_wrap=True)
        table.add_column("Check", no_wrap=True)
        table.add_column("Resource", overflow="fold", max_width=60)
        table.add_column("Finding", overflow="fold")
        for f in shown:
            # Resource names and messages come from the account (flow names, user names): escape rich markup.
            table.add_row(
                f"[{_STATUS_STYLE[f.status]}]{f.status.value}[/]",
                f"[{_SEVERITY_STYLE[f.severity.value]}]{f.severity.value}[/]",
                escape(f.check),
                escape(f.resource),
                escape(f.message),
            )
        console.print(table)
    else:
        console.print("No findings to show.")

    summary = Table(title="Summary by practice", header_style="bold")
    summary.add_column("Practice")
    for status in Status:
        summary.add_column(status.value, justify="right")
    for practice, counts in report.summary()["by_practice"].items():
        summary.add_row(practice, *[str(counts[s.value]) or "0" for s in Status])
    console.print(summary)
    counts = report.counts()
    hidden = "" if show_pass else f" ({counts['PASS']} PASS not shown; --show-pass lists them)"
    console.print(
        f"{len(report.findings)} results: {counts['FAIL']} FAIL, {counts['UNKNOWN']} UNKNOWN, "
        f"{counts['MANUAL']} MANUAL, {counts['SUPPRESSED']} SUPPRESSED, {counts['PASS']} PASS{hidden}."
    )
    if report.collection_errors:
        console.print(
            f"[yellow]{report.collection_errors} API calls failed during collection; what they hid is UNKNOWN.[/]"
        )
