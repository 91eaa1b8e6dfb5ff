"""Glue for `connectguard collect --organization` (the work is in connectguard.org.collect)."""

from __future__ import annotations

from pathlib import Path

import click

from connectguard.conventions import ExitCode, InputError


def collect_organization_command(*, out_dir: Path, role_name: str, external_id: str | None, ous: tuple[str, ...],
                                 accounts: tuple[str, ...], account_tags: tuple[str, ...], account_concurrency: int,
                                 regions: tuple[str, ...], max_rps: float | None, config_path: Path | None,
                                 quiet: bool) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError

    from connectguard.collect.runner import CollectOptions
    from connectguard.config import load_config
    from connectguard.org.collect import OrgCollectOptions, OrganizationUnavailable, collect_organization_estate

    tags = {}
    for item in account_tags:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"expected KEY=VALUE, got {item!r}", "--account-tag")
        tags[key] = value
    config = load_config(config_path)
    collect_options = CollectOptions.from_config(config.collect, max_rps=max_rps)
    options = OrgCollectOptions(role_name=role_name, external_id=external_id, ous=list(ous),
                                account_ids=list(accounts), tags=tags, regions=list(regions) or list(config.collect.regions),
                                account_concurrency=account_concurrency, collect=collect_options)
    try:
        session = boto3.Session()
    except BotoCoreError as exc:
        raise InputError(str(exc), "AWS configuration") from None
    say = (lambda _m: None) if quiet else (lambda m: click.echo(f"connectguard: {m}", err=True))
    try:
        index = collect_organization_estate(session, options, out_dir, progress=say)
    except OrganizationUnavailable as exc:
        raise InputError(str(exc), "--organization") from None
    failed = [e for e in index.accounts if e.status == "failed" or e.regions_refused or e.collection_errors]
    if not quiet:
        click.echo(f"connectguard: wrote {out_dir / 'index.json'}: {len(index.accounts)} accounts, "
                   f"{sum(e.status == 'collected' for e in index.accounts)} collected, "
                   f"{sum(e.status == 'failed' for e in index.accounts)} failed", err=True)
    return ExitCode.INCOMPLETE if failed else ExitCode.OK
