"""`connectguard scheduled-run`: the unattended job (see deploy-schedule)."""

from __future__ import annotations

from pathlib import Path

import click

from connectguard.cli.common import config_option, severity_option
from connectguard.conventions import InputError


@click.command("scheduled-run")
@click.option("--bucket", required=True, help="Report bucket (KMS-encrypted; see deploy-schedule).")
@click.option("--prefix", default="connectguard", show_default=True, help="Key prefix in the bucket.")
@click.option("--topic", help="SNS topic ARN notified of new FAIL findings and security-relevant changes.")
@click.option("--security-hub", is_flag=True, help="Import the findings into Security Hub (ASFF).")
@click.option("--mode", type=click.Choice(["account", "organization"]), default="account", show_default=True)
@click.option("--role-name", default="connectguard-audit", show_default=True,
              help="Organization mode: the role assumed in each account.")
@click.option("--external-id", help="Organization mode: external ID the audit role requires.")
@click.option("--region", "regions", multiple=True, help="Regions to collect (repeatable).")
@click.option("--max-rps", type=click.FloatRange(min=0, min_open=True), help="Per-operation request rate.")
@severity_option()
@config_option
def scheduled_run_command(bucket: str, prefix: str, topic: str | None, security_hub: bool, mode: str,
                          role_name: str, external_id: str | None, regions: tuple[str, ...], max_rps: float | None,
                          fail_on, config_path: Path | None) -> int:
    """Collect, audit, store the reports, import findings, and notify what is new. Writes to AWS.

    Prints one JSON line {"event": "run-complete", "exit_status": N, ...}. Exit status follows the shared
    convention; a run that could not store its reports exits 2 (the template alarms on 2 and 3).
    """
    import boto3
    from botocore.exceptions import BotoCoreError

    from connectguard.collect.runner import CollectOptions
    from connectguard.config import load_config
    from connectguard.org.collect import OrgCollectOptions
    from connectguard.scheduled import scheduled_run

    config = load_config(config_path)
    collect = CollectOptions.from_config(config.collect, regions=regions, max_rps=max_rps)
    org = OrgCollectOptions(role_name=role_name, external_id=external_id, regions=list(collect.regions),
                            collect=collect)
    try:
        session = boto3.Session()
    except BotoCoreError as exc:
        raise InputError(str(exc), "AWS configuration") from None
    outcome = scheduled_run(session, bucket=bucket, prefix=prefix, topic=topic, security_hub=security_hub, mode=mode,
                            org_options=org, collect_options=collect, config=config, fail_on=fail_on)
    click.echo(outcome.log_line())
    return outcome.exit_status
