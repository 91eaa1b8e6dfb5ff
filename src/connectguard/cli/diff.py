"""``connectguard diff OLD NEW``: security-relevant changes between two snapshots."""

from __future__ import annotations

import io
import json
from pathlib import Path

import click

from connectguard.cli.common import format_option, output_option, severity_option, write_output
from connectguard.conventions import exit_status


@click.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@format_option(["table", "json"], "table")
@output_option
@severity_option(help_text="Exit 1 when a change is at or above this severity.")
def diff(old: Path, new: Path, output_format: str, output: Path | None, fail_on) -> int:
    """Show what changed between snapshots OLD and NEW that matters for security.

    New admin-equivalent users, permissions added to profiles, logging turned off, approved origins
    added, flow content changed (FlowContentSha256), phone numbers re-associated, IP allow-lists
    removed, SAML providers added. Flow and phone-number edits in the admin website never reach
    CloudTrail: this is how they are seen. Exit 3 when part of either snapshot was not seen.
    """
    from connectguard.inventory import load_snapshot
    from connectguard.snapshot_diff import diff_snapshots

    result = diff_snapshots(load_snapshot(old), load_snapshot(new))
    if output_format == "json":
        write_output(json.dumps(result.to_json(), indent=2, default=str) + "\n", output)
    else:
        write_output(_table(result), output)
    code = exit_status([c.severity for c in result.changes], fail_on=fail_on, skipped=len(result.not_compared))
    return int(code)


def _table(result) -> str:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, width=160, no_color=True, highlight=False, soft_wrap=False)
    if result.changes:
        table = Table(header_style="bold")
        for col in ("Severity", "Change", "Region", "Instance", "What changed"):
            table.add_column(col, overflow="fold")
        for c in result.changes:
            # Names come from the account: escape rich markup.
            table.add_row(c.severity.value, c.kind, c.region, escape(c.instance), escape(c.message))
        console.print(table)
    else:
        console.print("No security-relevant changes.")
    for line in result.not_compared:
        console.print(f"not compared: {escape(line)}")
    console.print(f"{len(result.changes)} changes; {len(result.not_compared)} parts not compared.")
    return buffer.getvalue()
