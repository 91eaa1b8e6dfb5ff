"""``connectguard access-review SNAPSHOT``: user -> security profiles -> permissions -> risk groups."""

from __future__ import annotations

import json
from pathlib import Path

import click

from connectguard.cli.common import format_option, output_option, write_output
from connectguard.conventions import ExitCode


@click.command("access-review")
@click.argument("snapshot", type=click.Path(dir_okay=False, path_type=Path))
@format_option(["csv", "json"], "csv")
@output_option
def access_review(snapshot: Path, output_format: str, output: Path | None) -> int:
    """Export every user's security profiles, permissions and risk groups from SNAPSHOT.

    CSV: one row per user, profile and permission (the evidence auditors ask for every quarter).
    JSON: one object per user with profiles, permissions, risk groups and admin-equivalence. Values that
    could start a spreadsheet formula are prefixed with a quote. Exit 3 when part of the access was not
    seen (listed on stderr and in the JSON's "incomplete").
    """
    from connectguard.access_review import build_review, review_csv
    from connectguard.inventory import load_snapshot

    review = build_review(load_snapshot(snapshot))
    if output_format == "json":
        write_output(json.dumps(review.to_json(), indent=2, default=str) + "\n", output)
    else:
        write_output(review_csv(review), output)
    for line in review.incomplete:
        click.echo(f"connectguard: not seen: {line}", err=True)
    return int(ExitCode.INCOMPLETE if review.incomplete else ExitCode.OK)
