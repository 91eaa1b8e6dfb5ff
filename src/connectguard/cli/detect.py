"""`connectguard detect`: run the Connect rule pack (and the user's Sigma rules) over CloudTrail logs."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from pathlib import Path

import click

from connectguard.cli.common import config_option, output_option, severity_option, write_output
from connectguard.conventions import InputError, Severity, exit_status, isoformat, json_envelope
from connectguard.files import write_text_atomic


def _parse_time(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
        else:
            parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time (2026-11-01 or 2026-11-01T12:00:00Z)",
                                 param=param) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


@click.command("detect")
@click.argument("paths", nargs=-1)
@click.option("--since", callback=_parse_time, help="Only events at or after this time (ISO 8601, UTC by default).")
@click.option("--until", callback=_parse_time, help="Only events before this time.")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Also run the Sigma rules in this directory (repeatable; SigmaHQ's CloudTrail rules run unchanged).")
@click.option("--no-pack", is_flag=True, help="Do not run connectguard's own rule pack (only --rules).")
@click.option("--snapshot", type=click.Path(dir_okay=False, path_type=Path),
              help="Snapshot (from `connectguard collect`): raises user-assignment alerts to high when the profile "
              "is admin-equivalent.")
@click.option("--format", "-f", "output_format", type=click.Choice(["table", "json", "jsonl"], case_sensitive=False),
              default="table", show_default=True, help="Output format.")
@output_option
@severity_option(default="info", help_text="Exit 1 when an alert is at or above this severity (default: any alert).")
@click.option("--emit", type=click.Choice(["athena", "eventbridge"], case_sensitive=False),
              help="Write the rules for Athena (CREATE TABLE + one query per rule) or EventBridge (CloudFormation) "
              "instead of reading logs.")
@click.option("--emit-dir", type=click.Path(file_okay=False, path_type=Path),
              help="With --emit athena: write one .sql file per rule here (default: all to standard output).")
@click.option("--bucket", help="With --emit athena: the trail's S3 bucket.")
@click.option("--prefix", default="", help="With --emit athena: the trail's S3 key prefix.")
@click.option("--org-id", help="With --emit athena: organisation id (o-...) for an organisation trail's layout.")
@click.option("--account", "accounts", multiple=True, help="With --emit athena: member account ids (repeatable).")
@click.option("--region", "regions", multiple=True, help="With --emit athena: Regions logged (repeatable).")
@click.option("--batch-files", type=click.IntRange(1, 100000), default=100, show_default=True,
              help="Files read per DuckDB batch (memory is bounded by one batch).")
@config_option
@click.pass_context
def detect(ctx: click.Context, paths: tuple[str, ...], since: dt.datetime | None, until: dt.datetime | None,
           rule_dirs: tuple[Path, ...], no_pack: bool, snapshot: Path | None, output_format: str,
           output: Path | None, fail_on: Severity, emit: str | None, emit_dir: Path | None, bucket: str | None,
           prefix: str, org_id: str | None, accounts: tuple[str, ...], regions: tuple[str, ...], batch_files: int,
           config_path: Path | None) -> int:
    """Run Amazon Connect detection rules over CloudTrail logs in PATHS.

    PATHS are CloudTrail files (.json.gz or .json, {"Records": [...]}), directories (read recursively, e.g. a
    copy of the trail bucket) or s3://bucket/prefix (read with the standard AWS credential chain).

    Exit status: 0 no alert and every file read; 1 an alert at or above --fail-on; 3 files skipped and no alert;
    2 usage error.
    """
    from connectguard.detect.rules import RuleSet, TimeWindow, load_rules

    if since and until and since >= until:
        raise click.UsageError("--since must be before --until")

    def compile_rules() -> RuleSet:
        # The configuration (pydantic) and pySigma are imported here only, so a run whose compiled
        # rules are cached imports neither.
        from connectguard.config import load_config

        config = load_config(config_path)
        return load_rules(rule_dirs, include_pack=not no_pack, config=config.detect)

    if emit:  # the exporters read the parsed Sigma rules themselves: no cache
        ruleset = compile_rules()
    else:
        from connectguard.detect.rulecache import cached_rules

        ruleset = cached_rules(rule_dirs, include_pack=not no_pack, config_path=config_path,
                               compile_rules=compile_rules)
    for warning in ruleset.warnings:
        click.echo(f"connectguard: warning: {warning}", err=True)
    if not ruleset.rules and not ruleset.correlations:
        raise InputError("no rules to run")
    window = TimeWindow(since, until)

    if emit:
        if paths:
            raise click.UsageError("--emit writes rules; it does not read PATHS")
        return _emit(emit.lower(), ruleset, window, emit_dir, output, bucket, prefix, org_id, accounts, regions)
    if not paths:
        raise click.UsageError("give at least one PATH (file, directory or s3://bucket/prefix), or --emit")

    from connectguard.detect.engine import Engine
    from connectguard.detect.enrich import enrich, profile_index
    from connectguard.detect.reader import discover

    profiles = None
    if snapshot is not None:
        from connectguard.inventory import load_snapshot

        profiles = profile_index(load_snapshot(snapshot))

    engine = Engine(ruleset, window=window, batch_files=batch_files)
    for warning in engine.warnings:
        click.echo(f"connectguard: warning: {warning}", err=True)
    alerts = []
    stream = output_format == "jsonl" and output is None
    for alert in engine.run(discover(paths)):
        enrich(alert, profiles)
        alerts.append(alert)
        if stream:
            sys.stdout.write(json.dumps(alert.as_dict()) + "\n")
            sys.stdout.flush()
    stats = engine.stats
    alerts.sort(key=lambda a: (a.event_time or "", -a.severity.rank, a.rule))
    for skipped in stats.skipped:
        click.echo(f"connectguard: skipped {skipped.file}: {skipped.reason}", err=True)
    if output_format == "json":
        doc = json_envelope({"alerts": [a.as_dict() for a in alerts], "stats": stats.as_dict()})
        write_output(json.dumps(doc, indent=2) + "\n", output)
    elif output_format == "jsonl" and output is not None:
        write_text_atomic(output, "".join(json.dumps(a.as_dict()) + "\n" for a in alerts))
    elif output_format == "table":
        write_output(_table(alerts, stats), output)
    return int(exit_status((a.severity for a in alerts), fail_on=fail_on, skipped=len(stats.skipped)))


def _table(alerts: list, stats: object) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{len(alerts)} alert(s)", show_lines=False)
    for col in ("severity", "time", "rule", "event", "actor", "account", "region", "source ip"):
        table.add_column(col)
    for a in alerts:
        title = a.title + ("".join(f"\n  {n}" for n in a.notes) if a.notes else "")
        table.add_row(*(Text(str(v or "")) for v in (
            a.severity.value, a.event_time, title, a.event_name, a.actor, a.account, a.region, a.source_ip)))
    console = Console(record=True, width=160, file=io.StringIO())  # render to text only
    console.print(table)
    console.print(f"{stats.files} file(s), {stats.events} event(s) read; {len(stats.skipped)} file(s) skipped; "
                  f"generated {isoformat(dt.datetime.now(dt.UTC))}")
    return console.export_text()


def _emit(kind: str, ruleset, window, emit_dir: Path | None, output: Path | None, bucket: str | None, prefix: str,
          org_id: str | None, accounts: tuple[str, ...], regions: tuple[str, ...]) -> int:
    if kind == "eventbridge":
        from connectguard.detect.eventbridge import template

        doc, batch_only = template(ruleset)
        for key, reason in batch_only:
            click.echo(f"connectguard: {key}: stays with the batch engine ({reason})", err=True)
        write_output(json.dumps(doc, indent=2) + "\n", output)
        return 0
    from connectguard.detect.athena import AthenaTarget, create_table, not_for_athena, rule_queries

    if not bucket:
        raise click.UsageError("--emit athena needs --bucket (the trail's S3 bucket)")
    for key, reason in not_for_athena(ruleset):
        click.echo(f"connectguard: {key}: not written for Athena ({reason})", err=True)
    target = AthenaTarget(bucket=bucket, prefix=prefix, org_id=org_id, accounts=accounts, regions=regions)
    files = {"00_create_table.sql": create_table(target), **rule_queries(ruleset, window)}
    if emit_dir is not None:
        for name, text in files.items():
            write_text_atomic(emit_dir / name, text)
        click.echo(f"connectguard: wrote {len(files)} file(s) to {emit_dir}", err=True)
        return 0
    write_output("\n".join(files.values()), output)
    return 0
