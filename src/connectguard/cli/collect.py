"""``connectguard collect``, ``connectguard permissions`` and ``connectguard schema``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from connectguard.cli.common import config_option, output_option, stderr_is_terminal, write_output
from connectguard.conventions import ExitCode, InputError

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


@click.command("collect")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Snapshot file to write (mode 0600; a .gz name is gzip-compressed).")
@click.option("--organization", is_flag=True,
              help="Every account of the organization (run from the management account or a delegated "
                   "administrator): one snapshot per account plus an index.json in --out-dir.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="With --organization: directory for the snapshots and index.json.")
@click.option("--role-name", default="connectguard-audit", show_default=True,
              help="With --organization: the read-only role assumed in each account (see deploy-role).")
@click.option("--external-id", help="With --organization: external ID the audit role requires.")
@click.option("--ou", "ous", multiple=True, help="With --organization: only accounts below this OU id (repeatable).")
@click.option("--account", "accounts", multiple=True, help="With --organization: only this account id (repeatable).")
@click.option("--account-tag", "account_tags", multiple=True,
              help="With --organization: only accounts tagged KEY=VALUE (repeatable; all must match).")
@click.option("--account-concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              help="With --organization: accounts collected at once (each keeps its own rate cap).")
@click.option("--region", "regions", multiple=True, help="Region to collect (repeatable; default: the session's).")
@click.option("--instance-id", "instance_ids", multiple=True, help="Only this instance id or ARN (repeatable).")
@click.option("--max-rps", type=click.FloatRange(min=0, min_open=True),
              help="Requests per second per API operation (default: collect.max_rps = 1.0, half of Connect's quota).")
@click.option("--org-role", help="Role ARN to assume for reading the organization's SCP chain.")
@click.option("--log-archive-role", help="Role ARN to assume for reading CloudTrail buckets in a log-archive account.")
@config_option
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
def collect(out: Path | None, organization: bool, out_dir: Path | None, role_name: str, external_id: str | None,
            ous: tuple[str, ...], accounts: tuple[str, ...], account_tags: tuple[str, ...], account_concurrency: int,
            regions: tuple[str, ...], instance_ids: tuple[str, ...], max_rps: float | None,
            org_role: str | None, log_archive_role: str | None, config_path: Path | None, quiet: bool) -> int:
    """Collect a read-only snapshot of an account's Connect estate.

    Uses the standard AWS credential and endpoint chain (AWS_PROFILE, AWS_REGION,
    AWS_ENDPOINT_URL, ...). Exit status 0 when everything was read, 3 when some calls
    failed (each failure is recorded in the snapshot against what it hid).
    """
    if organization:
        if out_dir is None or out is not None:
            raise click.UsageError("--organization writes a directory: give --out-dir DIR (not --out)")
        from connectguard.cli.collect_organization import collect_organization_command

        return collect_organization_command(
            out_dir=out_dir, role_name=role_name, external_id=external_id, ous=ous, accounts=accounts,
            account_tags=account_tags, account_concurrency=account_concurrency, regions=regions,
            max_rps=max_rps, config_path=config_path, quiet=quiet)
    if out is None:
        raise click.UsageError("give --out FILE (or --organization --out-dir DIR)")
    import boto3
    from botocore.exceptions import BotoCoreError

    from connectguard.collect.caller import AwsReader
    from connectguard.collect.progress import progress_display
    from connectguard.collect.runner import CollectOptions, NoRegionError, collect_snapshot
    from connectguard.config import load_config
    from connectguard.inventory.io import save_snapshot

    if out.is_dir():
        raise InputError("is a directory, not a snapshot file name", str(out))
    config = load_config(config_path)
    for region in [*regions, *config.collect.regions]:
        if not _REGION.fullmatch(region):
            raise InputError(f"not an AWS region name: {region!r}", "--region")
    options = CollectOptions.from_config(config.collect, regions=regions, instance_ids=instance_ids,
                                         max_rps=max_rps, org_role=org_role, log_archive_role=log_archive_role)
    try:
        session = boto3.Session()
    except BotoCoreError as exc:  # e.g. AWS_PROFILE names a profile that does not exist
        raise InputError(str(exc), "AWS configuration") from None
    if session.get_credentials() is None:
        raise InputError("no AWS credentials found (set AWS_PROFILE, or run where a role is available)",
                         "AWS configuration")
    if not (options.regions or session.region_name):
        raise InputError("no region: pass --region or set AWS_REGION / AWS_DEFAULT_REGION", "--region")
    reader = AwsReader(session, max_rps=options.max_rps, max_attempts=options.max_attempts,
                       concurrency=options.concurrency)
    with progress_display(reader, enabled=stderr_is_terminal() and not quiet) as display:
        try:
            snapshot = collect_snapshot(session, options=options, progress=display.phase, reader=reader)
        except NoRegionError as exc:
            raise InputError(str(exc), "--region") from None
    save_snapshot(snapshot, out)
    if not quiet:
        calls = sum(snapshot.stats.calls.values())
        throttled = sum(snapshot.stats.throttled.values())
        click.echo(f"connectguard: wrote {out}: {len(snapshot.instances())} instance(s) in "
                   f"{len(snapshot.regions)} region(s), {calls} API calls ({throttled} throttled) in "
                   f"{snapshot.stats.duration_seconds:.1f}s; {len(snapshot.errors)} collection error(s)", err=True)
        seen = {i.id for _r, i in snapshot.instances()} | {i.arn for _r, i in snapshot.instances()}
        missing = [i for i in options.instance_ids if i not in seen]
        if missing and all(r.instances is not None for r in snapshot.regions):
            click.echo(f"  note: no instance matched --instance-id {', '.join(missing)} in "
                       f"{', '.join(r.region for r in snapshot.regions)}", err=True)
        for err in snapshot.errors[:10]:
            click.echo(f"  {err.describe()}", err=True)
        if len(snapshot.errors) > 10:
            click.echo(f"  ... and {len(snapshot.errors) - 10} more (see 'errors' in the snapshot)", err=True)
        if not options.org_role and any(e.hides == "organization" for e in snapshot.errors):
            click.echo("  hint: only the management account or a delegated administrator can read the SCP chain; "
                       "pass --org-role ROLE_ARN (a role there that this identity may assume)", err=True)
    return ExitCode.INCOMPLETE if snapshot.errors else ExitCode.OK


@click.command("permissions")
@click.option("--format", "-f", "output_format", type=click.Choice(["json", "text"]), default="json",
              show_default=True, help="json: an IAM policy document; text: one action per line.")
@click.option("--org-role", help="Also allow assuming this role (the ARN given to `collect --org-role`).")
@click.option("--log-archive-role", help="Also allow assuming this role (`collect --log-archive-role`).")
@output_option
def permissions(output_format: str, org_role: str | None, log_archive_role: str | None, output: Path | None) -> int:
    """Print the read-only IAM policy the collector needs.

    Derived from the collector's own call catalogue, so it always matches what
    `collect` calls. It explicitly denies emergency access and federation tokens.
    """
    from connectguard.collect.catalogue import org_role_policy_note, required_policy, required_policy_json

    if output_format == "json":
        write_output(required_policy_json(org_role, log_archive_role), output)
    else:
        policy = required_policy(org_role, log_archive_role)
        lines = [f"{st['Effect'].lower():5} {a}" + ("" if st["Resource"] == "*" else f"  on {st['Resource']}")
                 for st in policy["Statement"] for a in st["Action"]]
        lines.append(f"# {org_role_policy_note()}")
        write_output("\n".join(lines) + "\n", output)
    return ExitCode.OK


@click.command("schema")
@output_option
def schema(output: Path | None) -> int:
    """Print the JSON Schema of the snapshot format."""
    from connectguard.inventory.io import snapshot_json_schema

    write_output(json.dumps(snapshot_json_schema(), indent=2, sort_keys=True) + "\n", output)
    return ExitCode.OK
