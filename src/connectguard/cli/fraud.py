"""`connectguard fraud`: administer the caller-screening table and deploy the screening Lambda.

Changes (init, deny add/remove/import) are shown as a plan and made only with
--apply; they are idempotent. Exit statuses follow the shared conventions; `check`
exits 0 when the decision is allow, 1 when it is block or review, 3 when the table
could not be read (the Lambda would then take its fail mode).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

# The `fraud` extra: importing it here lets the CLI's lazy loader name the missing
# extra in one line instead of failing inside a command.
import phonenumbers  # noqa: F401
from connectguard.cli.common import config_option, output_option, write_output
from connectguard.conventions import ConnectGuardError, ExitCode, InputError, json_envelope

F = TypeVar("F", bound=Callable[..., Any])
TABLE_ENV = "CONNECTGUARD_FRAUD_TABLE"


class AwsAccessError(ConnectGuardError):
    """DynamoDB could not be reached or refused the request: the run could not finish its reads/writes."""

    exit_code = ExitCode.INCOMPLETE


def table_options(f: F) -> F:
    f = click.option("--region", help="AWS Region (default: the standard chain's).")(f)
    f = click.option("--table", help=f"DynamoDB table (default: ${TABLE_ENV}, then [fraud] table in the config).")(f)
    return config_option(f)


def country_option(f: F) -> F:
    return click.option("--country", help="Country for numbers in national format (default: [fraud] default_country, "
                                          "else US).")(f)


def _config(config_path: Path | None) -> Any:
    from connectguard.config import load_config

    return load_config(config_path).fraud


def _table(table: str | None, config_path: Path | None) -> str:
    table = table or os.environ.get(TABLE_ENV) or _config(config_path).table
    if not table:
        raise InputError(f"no table: give --table or set {TABLE_ENV}", "fraud")
    return table


def _country(country: str | None, config_path: Path | None) -> str:
    from connectguard.fraud import numbers

    value = (country or _config(config_path).default_country or "US").upper()
    if not numbers.is_supported_country(value):
        raise InputError(f"unknown country code {value!r} (expected an ISO 3166 code such as US or GB)", "--country")
    return value


@contextlib.contextmanager
def _aws(table: str) -> Iterator[None]:
    """AWS failures become one line: a missing table is an input error (2), the rest exit 3."""
    from botocore.exceptions import BotoCoreError, ClientError

    from connectguard.fraud.admin import AdminInputError

    try:
        yield
    except AdminInputError as exc:
        raise InputError(str(exc), table) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "ClientError")
        if code == "ResourceNotFoundException":
            raise InputError(
                f"table not found (create it with: connectguard fraud init --table {table} --apply)", table
            ) from None
        raise AwsAccessError(f"{table}: {exc.operation_name}: {code}: {error.get('Message', '')}".rstrip(": ")) from None
    except BotoCoreError as exc:
        raise AwsAccessError(f"{table}: {exc}") from None


def _client(region: str | None) -> Any:
    from connectguard.fraud import admin

    return admin.client(region=region)


def _show_plan(plan: list[str], apply: bool) -> None:
    for step in plan:
        click.echo(f"{'apply' if apply else 'plan'}: {step}")
    if plan and not apply:
        click.echo("dry run: nothing changed; add --apply to make these changes", err=True)


@click.group("fraud")
def fraud() -> None:
    """Administer the caller-screening deny list and Lambda.

    The Lambda (handler connectguard.fraud.lambda_handler) screens each contact against
    the deny list (numbers, prefixes, expiring entries) and its recent activity in one
    DynamoDB table. See docs/fraud.md.
    """


@fraud.command("init")
@table_options
@click.option("--apply", is_flag=True, help="Create or complete the table (default: show the plan only).")
def init(table: str | None, region: str | None, config_path: Path | None, apply: bool) -> int:
    """Create the screening table (pk/sk, on-demand, deny-list index) with TTL on expires_at."""
    from connectguard.fraud import admin

    name = _table(table, config_path)
    client = _client(region)
    with _aws(name):
        plan = admin.init_plan(client, name)
        if not plan:
            click.echo(f"table {name} is ready: nothing to do")
            return ExitCode.OK
        _show_plan(plan, apply)
        if apply:
            admin.init_table(client, name)
            click.echo(f"table {name} is ready")
    return ExitCode.OK


@fraud.group("deny")
def deny() -> None:
    """Add, remove, list, import and export deny-list entries."""


def _entry_args(number: str | None, prefix: str | None) -> None:
    if bool(number) == bool(prefix):
        raise click.UsageError("give exactly one of NUMBER or --prefix PREFIX")


@deny.command("add")
@click.argument("number", required=False)
@click.option("--prefix", help="Deny a range: an international prefix such as +1900.")
@click.option("--reason", default="", help="Why (kept with the entry; shown by `deny list`).")
@click.option("--expires", help="When the entry stops matching: ISO-8601 time or a duration such as 30d, 12h.")
@country_option
@table_options
@click.option("--apply", is_flag=True, help="Write the entry (default: show the plan only).")
def deny_add(number: str | None, prefix: str | None, reason: str, expires: str | None, country: str | None,
             table: str | None, region: str | None, config_path: Path | None, apply: bool) -> int:
    """Add NUMBER (or --prefix PREFIX) to the deny list."""
    from connectguard.fraud import admin

    _entry_args(number, prefix)
    name = _table(table, config_path)
    now = time.time()
    with _aws(name):
        entry = admin.make_entry(number=number, prefix=prefix, reason=reason, expires=expires,
                                 country=_country(country, config_path), now=now)
        client = _client(region)
        existing = admin.get_entry(client, name, entry.value, entry.is_prefix)
        if admin.same_entry(existing, entry):
            click.echo(f"unchanged: {_describe(entry)}")
            return ExitCode.OK
        _show_plan([f"{'replace' if existing else 'add'} {_describe(entry)}"], apply)
        if apply:
            admin.put_entry(client, name, entry, added_by=admin.caller_identity(region=region), now=now)
    return ExitCode.OK


@deny.command("remove")
@click.argument("number", required=False)
@click.option("--prefix", help="Remove a denied range.")
@country_option
@table_options
@click.option("--apply", is_flag=True, help="Delete the entry (default: show the plan only).")
def deny_remove(number: str | None, prefix: str | None, country: str | None, table: str | None,
                region: str | None, config_path: Path | None, apply: bool) -> int:
    """Remove NUMBER (or --prefix PREFIX) from the deny list."""
    from connectguard.fraud import admin

    _entry_args(number, prefix)
    name = _table(table, config_path)
    with _aws(name):
        entry = admin.make_entry(number=number, prefix=prefix, reason="", expires=None,
                                 country=_country(country, config_path), now=time.time())
        client = _client(region)
        if admin.get_entry(client, name, entry.value, entry.is_prefix) is None:
            click.echo(f"not on the deny list: {_describe(entry)}")
            return ExitCode.OK
        _show_plan([f"remove {_describe(entry)}"], apply)
        if apply:
            admin.remove_entry(client, name, entry.value, entry.is_prefix)
    return ExitCode.OK


@deny.command("list")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True, help="Output format.")
@output_option
@table_options
def deny_list(output_format: str, output: Path | None, table: str | None, region: str | None,
              config_path: Path | None) -> int:
    """List the deny list (expired entries not yet deleted by TTL are marked)."""
    from connectguard.fraud import admin

    name = _table(table, config_path)
    with _aws(name):
        entries = admin.list_entries(_client(region), name)
    now = time.time()
    if output_format == "csv":
        text = admin.export_csv(entries)
    elif output_format == "json":
        text = json.dumps(json_envelope({"table": name, "entries": [_entry_json(e, now) for e in entries]}), indent=2)
    else:
        lines = [f"{'kind':<7} {'number/prefix':<17} {'expires':<21} {'state':<8} reason"]
        for e in entries:
            lines.append(f"{'prefix' if e.is_prefix else 'number':<7} {e.value:<17} {admin.iso(e.expires_at) or '-':<21} "
                         f"{'active' if e.active(now) else 'expired':<8} {e.reason}")
        lines.append(f"{len(entries)} entries")
        text = "\n".join(lines)
    write_output(text, output)
    return ExitCode.OK


@deny.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@country_option
@table_options
@click.option("--apply", is_flag=True, help="Write the good rows (default: validate and show the plan only).")
def deny_import(csv_file: Path, country: str | None, table: str | None, region: str | None,
                config_path: Path | None, apply: bool) -> int:
    """Import CSV rows `number,prefix,reason,expires` (header required).

    Bad rows are reported with their line numbers and skipped; the good rows are
    imported. Exit 3 when some rows were bad.
    """
    from connectguard.fraud import admin

    name = _table(table, config_path)
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", str(csv_file)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", str(csv_file)) from None
    now = time.time()
    result = admin.parse_csv(text, country=_country(country, config_path), now=now)
    for line, message in result.errors:
        click.echo(f"{csv_file}:{line}: {message}", err=True)
    entries = [e for _, e in result.entries]
    _show_plan([f"write {len(entries)} deny entries to {name}"] if entries else [], apply)
    if apply and entries:
        with _aws(name):
            written = admin.put_entries(_client(region), name, entries,
                                        added_by=admin.caller_identity(region=region), now=now)
        click.echo(f"imported {written} entries")
    bad = sum(1 for _, msg in result.errors if "replaces it" not in msg)
    if bad:
        click.echo(f"{bad} bad rows skipped", err=True)
        return ExitCode.INCOMPLETE
    return ExitCode.OK


@deny.command("export")
@output_option
@table_options
def deny_export(output: Path | None, table: str | None, region: str | None, config_path: Path | None) -> int:
    """Export the deny list as CSV (the format `deny import` reads)."""
    from connectguard.fraud import admin

    name = _table(table, config_path)
    with _aws(name):
        entries = admin.list_entries(_client(region), name)
    write_output(admin.export_csv(entries), output)
    return ExitCode.OK


@fraud.command("check")
@click.argument("number")
@country_option
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@table_options
def check(number: str, country: str | None, output_format: str, table: str | None, region: str | None,
          config_path: Path | None) -> int:
    """What the Lambda would decide now for NUMBER, and why (records nothing).

    Uses the CONNECTGUARD_FRAUD_* environment variables the Lambda reads (velocity
    limit, window, actions). Exit 0 allow, 1 block or review, 3 table unreadable.
    """
    from connectguard.fraud import admin, core, numbers
    from connectguard.fraud.handler import Screener

    name = _table(table, config_path)
    country_code = _country(country, config_path)
    try:
        settings = core.Settings.from_sources(os.environ, {"defaultCountry": country_code},
                                              country_ok=numbers.is_supported_country)
    except core.SettingError as exc:
        raise InputError(f"invalid value of {exc.key}", "environment") from None
    normalised = numbers.normalise(number, country_code)
    payload: dict[str, Any] = {"table": name, "input_status": normalised.status}
    if normalised.status != numbers.OK or normalised.e164 is None:
        decision = core.Decision(settings.withheld_action, normalised.status)
    else:
        with _aws(name):
            log_key = os.environ.get("CONNECTGUARD_FRAUD_LOG_KEY", "").encode() or os.urandom(32)
            screener = Screener(name, _client(region), env=os.environ, log_key=log_key)
            decision = screener.evaluate(normalised.e164, settings)
        payload["number"] = normalised.e164
        payload["ani_hmac"] = core.number_digest(screener.log_key, normalised.e164) if os.environ.get(
            "CONNECTGUARD_FRAUD_LOG_KEY") else None
    payload.update(decision=decision.decision, reason=decision.reason,
                   recent_contacts_including_this=decision.recent_contacts,
                   velocity={"limit": settings.velocity_limit, "window_minutes": settings.velocity_window_minutes,
                             "action": settings.velocity_action})
    if decision.entry is not None:
        payload["entry"] = _entry_json(decision.entry, time.time())
    if output_format == "json":
        write_output(json.dumps(json_envelope(payload), indent=2), None)
    else:
        subject = payload.get("number") or f"({normalised.status} caller)"
        lines = [f"{subject}: {decision.decision} ({decision.reason})"]
        if decision.entry is not None:
            e = decision.entry
            lines.append(f"  matched {'prefix' if e.is_prefix else 'number'} {e.value}"
                         f"{' expiring ' + admin.iso(e.expires_at) if e.expires_at else ''}"
                         f"{': ' + e.reason if e.reason else ''}")
        if "number" in payload:
            lines.append(f"  contacts in the last {settings.velocity_window_minutes} min, counting a new one: "
                         f"{decision.recent_contacts} (more than {settings.velocity_limit} -> {settings.velocity_action})")
        write_output("\n".join(lines), None)
    return ExitCode.OK if decision.decision == core.ALLOW else ExitCode.FINDINGS


@fraud.command("stats")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@table_options
def stats(output_format: str, table: str | None, region: str | None, config_path: Path | None) -> int:
    """Deny-list size and recent contact activity (numbers masked). Scans the table: run it occasionally."""
    from connectguard.fraud import admin

    name = _table(table, config_path)
    with _aws(name):
        result = admin.collect_stats(_client(region), name, time.time())
    data = result.as_dict()
    if output_format == "json":
        write_output(json.dumps(json_envelope({"table": name, **data}), indent=2), None)
        return ExitCode.OK
    d, a = data["deny_list"], data["activity"]
    lines = [
        f"table {name}",
        f"deny list: {d['exact']} numbers, {d['prefixes']} prefixes active; "
        f"{d['expired_not_deleted']} expired entries awaiting TTL deletion",
        f"contacts: {a['contacts_last_hour']} in the last hour, {a['contacts_last_day']} in the last day, "
        f"{a['contacts_retained']} retained, from {a['numbers_seen']} numbers",
    ]
    for row in a["busiest_last_hour"]:
        lines.append(f"  busiest last hour: {row['number']} {row['contacts']} contacts")
    write_output("\n".join(lines), None)
    return ExitCode.OK


@fraud.command("package")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("connectguard-fraud.zip"), show_default=True, help="Where to write the zip.")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format of the report.")
def package_cmd(output: Path, output_format: str) -> int:
    """Build the Lambda deployment zip (screening modules + phonenumbers lite) and report its size."""
    from connectguard.fraud import package

    try:
        report = package.build(output)
    except package.PackageError as exc:
        raise InputError(str(exc), "fraud package") from None
    if output_format == "json":
        write_output(json.dumps(json_envelope(report.as_dict()), indent=2), None)
    else:
        click.echo(f"{report.path}: {report.size_bytes:,} bytes ({report.size_bytes / 1024:.0f} KiB), "
                   f"{report.files} files, {report.phonenumbers_distribution}")
        click.echo(f"CodeSha256 {report.code_sha256}")
        click.echo("upload it to S3 and pass the bucket and key to the template (connectguard fraud template)",
                   err=True)
    return ExitCode.OK


@fraud.command("template")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="CloudFormation template file (default: standard output).")
@click.option("--format", "-f", "output_format", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True, help="Template format.")
@click.option("--flow-output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the flow snippet (flow language JSON) here.")
@click.option("--function-arn", help="Function ARN to put in the flow snippet (default: a placeholder).")
@click.option("--next-flow-arn", help="Flow that handles the contact after screening (default: a placeholder).")
@click.option("--deadline-ms", type=click.IntRange(100, 6000), default=2000, show_default=True,
              help="The function's own deadline.")
@click.option("--fail-mode", type=click.Choice(["allow", "block", "review"]), default="allow", show_default=True,
              help="Decision when screening fails (flow parameter failMode).")
def template_cmd(output: Path | None, output_format: str, flow_output: Path | None, function_arn: str | None,
                 next_flow_arn: str | None, deadline_ms: int, fail_mode: str) -> int:
    """Write the CloudFormation template (function, role, table, Connect permission and association)."""
    from connectguard.files import write_text_atomic
    from connectguard.fraud import template

    try:
        doc = template.cloudformation(deadline_ms=deadline_ms)
        flow = template.flow_snippet(
            function_arn=function_arn or template.PLACEHOLDER_FUNCTION_ARN,
            next_flow_arn=next_flow_arn or template.PLACEHOLDER_NEXT_FLOW_ARN,
            deadline_ms=deadline_ms, fail_mode=fail_mode)
    except ValueError as exc:
        raise InputError(str(exc), "--deadline-ms") from None
    if output_format == "json":
        text = json.dumps(doc, indent=2)
    else:
        import yaml

        text = yaml.safe_dump(doc, sort_keys=False, width=120)
    write_output(text, output)
    if flow_output is not None:
        write_text_atomic(flow_output, json.dumps(flow, indent=2) + "\n")
        click.echo(f"flow snippet: {flow_output}", err=True)
    return ExitCode.OK


def _describe(entry: Any) -> str:
    from connectguard.fraud import admin

    kind = "prefix" if entry.is_prefix else "number"
    expiry = f" expiring {admin.iso(entry.expires_at)}" if entry.expires_at else ""
    return f"{kind} {entry.value}{expiry}{' (' + entry.reason + ')' if entry.reason else ''}"


def _entry_json(entry: Any, now: float) -> dict[str, Any]:
    from connectguard.fraud import admin

    return {
        "kind": "prefix" if entry.is_prefix else "number",
        "value": entry.value,
        "reason": entry.reason,
        "added_by": entry.added_by,
        "added_at": admin.iso(entry.added_at) or None,
        "expires_at": admin.iso(entry.expires_at) or None,
        "active": entry.active(now),
    }
