"""`connectguard audit` and `connectguard checks`: glue between snapshot, engine and formats."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from connectguard.audit.docs import checks_markdown
from connectguard.audit.engine import run_audit
from connectguard.audit.registry import all_checks, select_checks
from connectguard.cli.common import (
    config_option,
    fail_on_unknown_option,
    output_option,
    severity_option,
    write_output,
)
from connectguard.config import config_reference_markdown, load_config
from connectguard.conventions import InputError, exit_status, json_envelope
from connectguard.inventory import load_snapshot
from connectguard.org.audit import audit_organization
from connectguard.org.index import is_index_document, load_index
from connectguard.report import available_formats, render

_FORMATS = ["table", "json", "sarif", "asff", "html"]


@click.command("audit")
@click.argument("snapshot", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--live", is_flag=True, help="Collect from the account now (read-only), then audit.")
@click.option("--region", "regions", multiple=True, help="With --live: region to collect (repeatable).")
@click.option("--format", "-f", "output_format", type=click.Choice(_FORMATS, case_sensitive=False),
              default="table", show_default=True, help="Output format.")
@output_option
@severity_option()
@fail_on_unknown_option
@click.option("--checks", "include", multiple=True, help="Only these check ids or practices (comma-separated).")
@click.option("--exclude", multiple=True, help="Skip these check ids or practices (comma-separated).")
@click.option("--suppressions", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML file of accepted risks (default: [audit] suppressions in the config).")
@click.option("--chat-source", multiple=True, type=click.Path(path_type=Path),
              help="Chat front-end source to scan for DOM-XSS (repeatable).")
@click.option("--chat-url", help="Chat page URL whose Content-Security-Policy is evaluated.")
@click.option("--show-pass", is_flag=True, help="Table: list PASS results too.")
@click.option("--retention-days", type=click.IntRange(min=1),
              help="Minimum flow-log retention (default: [audit] retention_days, 365).")
@config_option
@click.pass_context
def audit(ctx: click.Context, snapshot: Path | None, live: bool, regions: tuple[str, ...], output_format: str,
          output: Path | None, fail_on, fail_on_unknown: bool, include: tuple[str, ...], exclude: tuple[str, ...],
          suppressions: Path | None, chat_source: tuple[Path, ...], chat_url: str | None, show_pass: bool,
          retention_days: int | None, config_path: Path | None) -> int:
    """Evaluate SNAPSHOT (from `connectguard collect`) against every practice.

    SNAPSHOT may also be the index.json of `connectguard collect --organization`: one merged
    report with every account (accounts that could not be collected are UNKNOWN).

    With --live, collect first (read-only, rate-limited) and audit the result.
    """
    config = load_config(config_path)
    if retention_days is not None:
        config.audit.retention_days = retention_days
    if ctx.get_parameter_source("fail_on") is click.core.ParameterSource.DEFAULT:
        fail_on = config.audit.fail_on
    if live == (snapshot is not None):
        raise click.UsageError("give a SNAPSHOT file or --live, not both and not neither")
    checks = select_checks(include, exclude)
    if output_format not in available_formats():
        raise click.UsageError(f"format {output_format!r} is not available in this installation")

    rules = _load_suppressions(suppressions or (Path(config.audit.suppressions) if config.audit.suppressions else None))
    extra = _front_end_inputs(config, chat_source, chat_url)
    if snapshot is not None and is_index_document(snapshot):
        # An organization index (`collect --organization`): one merged report, every account in it.
        report = audit_organization(load_index(snapshot), snapshot.parent, config, checks, extra=extra,
                                    suppressions=rules)
    else:
        snap = _collect_live(list(regions), config) if live else load_snapshot(snapshot)  # type: ignore[arg-type]
        report = run_audit(snap, config, checks, extra=extra, suppressions=rules)

    if output_format == "table" and output is None:
        from rich.console import Console

        from connectguard.report.table import print_report

        print_report(Console(highlight=False), report, show_pass=show_pass)
    else:
        write_output(render(report, output_format, show_pass=show_pass), output)
    return int(exit_status(report.failing_severities(), fail_on=fail_on, unknown=report.unknown_count(),
                           fail_on_unknown=fail_on_unknown))


def _collect_live(regions: list[str], config):
    """`audit --live`: the same read-only, rate-limited collection as `connectguard collect`, kept in memory."""
    import boto3
    from botocore.exceptions import BotoCoreError

    from connectguard.cli.common import stderr_is_terminal
    from connectguard.collect.caller import AwsReader
    from connectguard.collect.progress import progress_display
    from connectguard.collect.runner import CollectOptions, NoRegionError, collect_snapshot

    options = CollectOptions.from_config(config.collect, regions=regions)
    try:
        session = boto3.Session()
    except BotoCoreError as exc:
        raise InputError(str(exc), "AWS configuration") from None
    reader = AwsReader(session, max_rps=options.max_rps, max_attempts=options.max_attempts,
                       concurrency=options.concurrency)
    with progress_display(reader, enabled=stderr_is_terminal()) as display:
        try:
            return collect_snapshot(session, options=options, progress=display.phase, reader=reader)
        except NoRegionError as exc:
            raise InputError(str(exc), "--region") from None


def _load_suppressions(path: Path | None):
    if path is None:
        return None
    try:
        from connectguard.audit.suppressions import load_suppressions
    except ModuleNotFoundError:
        raise InputError("suppressions are not supported by this build", str(path)) from None
    return load_suppressions(path)


def _front_end_inputs(config, chat_source: tuple[Path, ...], chat_url: str | None) -> dict:
    sources = [str(p) for p in chat_source] or list(config.audit.chat_source)
    url = chat_url or config.audit.chat_url
    if not sources and not url:
        return {}
    try:
        from connectguard.chat import audit_inputs
    except ImportError as exc:
        raise InputError(f"chat checks need the 'chat' extra ({exc}): pip install 'connectguard[chat]'") from None
    return audit_inputs(config, sources, url)


@click.command("checks")
@click.option("--format", "-f", "output_format", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True)
@click.option("--config-reference", is_flag=True, help="Print docs/configuration.md instead.")
@output_option
def checks(output_format: str, config_reference: bool, output: Path | None) -> int:
    """List every check: id, practice, severity and title. `-f markdown` writes docs/checks.md."""
    if config_reference:
        write_output(config_reference_markdown(), output)
        return 0
    registered = all_checks()
    if output_format == "markdown":
        write_output(checks_markdown(registered), output)
    elif output_format == "json":
        doc = json_envelope({"checks": [
            {"id": c.meta.id, "title": c.meta.title, "practice": c.meta.practice.value,
             "severity": c.meta.severity.value, "rationale": c.meta.rationale, "remediation": c.meta.remediation}
            for c in registered]})
        write_output(json.dumps(doc, indent=2), output)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(header_style="bold")
        table.add_column("Check", no_wrap=True)
        table.add_column("Practice", no_wrap=True)
        table.add_column("Severity", no_wrap=True)
        table.add_column("Title")
        for c in registered:
            table.add_row(c.meta.id, c.meta.practice.value, c.meta.severity.value, c.meta.title)
        console = Console(file=open(output, "w") if output else sys.stdout, highlight=False)  # noqa: SIM115
        console.print(table)
    return 0
