"""`connectguard fix`: plan, write and (with --apply) perform remediation for logging, alarms and retention."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from connectguard.cli.common import config_option, output_option, write_output
from connectguard.conventions import ExitCode, InputError, json_envelope


@click.command("fix")
@click.argument("snapshot", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--live", is_flag=True, help="Collect from the account now (read-only) instead of reading SNAPSHOT.")
@click.option("--region", "regions", multiple=True, help="With --live: region to collect (repeatable).")
@click.option("--check", "checks", multiple=True,
              help="Only remediate these check ids (repeatable or comma-separated; default: all it handles).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("connectguard-fix"),
              show_default=True, help="Where CloudFormation, Terraform, flow patches and plan.json are written.")
@click.option("--apply", "do_apply", is_flag=True,
              help="Perform the AWS-side changes through boto3 (default: dry run). Never deletes; idempotent.")
@click.option("--retention-days", type=click.IntRange(min=1), help="Flow log retention to require and set "
              "(default: [audit] retention_days).")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format of the report.")
@output_option
@config_option
def fix(snapshot: Path | None, live: bool, regions: tuple[str, ...], checks: tuple[str, ...], out_dir: Path,
        do_apply: bool, retention_days: int | None, output_format: str, output: Path | None,
        config_path: Path | None) -> int:
    """Write CloudFormation and Terraform for missing alarms, retention, log export and S3 lifecycle rules,
    and a patch for each flow that needs a Set logging behavior block.

    Reads SNAPSHOT (from `connectguard collect`) or, with --live, the account. With --apply,
    performs the AWS-side changes (re-reading each one's current state first, so a second
    run changes nothing) and turns on the CONTACTFLOW_LOGS instance attribute through the
    Connect API. Flow content is never changed: review and apply the written patches.

    Exit status: 0 done; 2 usage or input error; 3 some results could not be evaluated
    (the plan may be incomplete) or a change failed.
    """
    from connectguard.config import load_config
    from connectguard.remediate.plan import build_plan

    config = load_config(config_path)
    if retention_days is not None:
        config.audit.retention_days = retention_days
    if live == (snapshot is not None):
        raise click.UsageError("give a SNAPSHOT file or --live, not both and not neither")
    snap = _live_snapshot(regions, config) if live else _load(snapshot)  # type: ignore[arg-type]

    plan = build_plan(snap, config, checks)
    files = write_artifacts(plan, out_dir)

    from connectguard.remediate.apply import apply_plan

    outcomes = apply_plan(plan, _boto3_clients() if do_apply else _no_clients, dry_run=not do_apply)

    if output_format == "json":
        doc = json_envelope({"applied": do_apply, "plan": plan.to_json(), "files": files,
                             "outcomes": [o.to_json() for o in outcomes]})
        write_output(json.dumps(doc, indent=2), output)
    else:
        write_output(_text_report(plan, outcomes, files, out_dir, do_apply), output)
    # As every command: 3 when the run finished but part of the input could not be evaluated (UNKNOWN results,
    # so the plan may be incomplete) or a change could not be made.
    if plan.unknown or any(o.status == "failed" for o in outcomes):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _load(path: Path):
    from connectguard.inventory import load_snapshot

    return load_snapshot(path)


def _live_snapshot(regions: tuple[str, ...], config: Any):
    import boto3
    from botocore.exceptions import BotoCoreError

    from connectguard.collect.runner import CollectOptions, NoRegionError, collect_snapshot

    try:
        session = boto3.Session()
    except BotoCoreError as exc:
        raise InputError(str(exc), "AWS configuration") from None
    options = CollectOptions.from_config(config.collect, regions=regions)
    try:
        return collect_snapshot(session, options=options)
    except NoRegionError as exc:
        raise InputError(str(exc), "--region") from None


def _boto3_clients():
    import boto3

    session = boto3.Session()
    cache: dict[tuple[str, str | None], Any] = {}

    def client(service: str, region: str | None) -> Any:
        key = (service, region)
        if key not in cache:
            cache[key] = session.client(service, region_name=region or session.region_name)
        return cache[key]

    return client


def _no_clients(service: str, region: str | None) -> Any:
    raise AssertionError("a dry run never calls AWS")


def write_artifacts(plan: Any, out_dir: Path) -> list[str]:
    """Write every artifact of ``plan`` under ``out_dir``; return the relative paths written."""
    from connectguard.files import write_text_atomic
    from connectguard.remediate.templates import (
        cloudformation,
        cloudformation_yaml,
        flow_patches,
        regions,
        terraform,
    )

    written: dict[str, str] = {}
    for region in regions(plan):
        template = cloudformation(plan, region)
        if template["Resources"] or template.get("Metadata"):
            if not template["Resources"]:
                # A stack needs at least one resource: say so instead of writing an undeployable file.
                template["Resources"] = {"ConnectguardNothingToCreate": {
                    "Type": "AWS::CloudFormation::WaitConditionHandle", "Properties": {}}}
            written[f"cloudformation-{region}.yaml"] = cloudformation_yaml(template)
        hcl = terraform(plan, region)
        _check_hcl(hcl, f"terraform-{region}.tf")
        written[f"terraform-{region}.tf"] = hcl
    written.update(flow_patches(plan))
    written["plan.json"] = json.dumps(json_envelope(plan.to_json()), indent=2) + "\n"
    for rel, text in written.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
    return sorted(written)


def _check_hcl(text: str, name: str) -> None:
    """Parse the Terraform we wrote (python-hcl2, in the 'fix' extra) so a rendering bug never reaches a user."""
    try:
        import hcl2
    except ModuleNotFoundError:
        return
    try:
        hcl2.loads(text)
    except Exception as exc:
        raise RuntimeError(f"generated {name} does not parse as HCL: {exc}") from exc


# Changes that are not in the CloudFormation template: show the equivalent command (the rest are in the files).
_SHOW_CLI = {"instance-attribute", "log-retention", "s3-lifecycle"}


def _text_report(plan: Any, outcomes: list, files: list[str], out_dir: Path, applied: bool) -> str:
    lines = []
    if not plan.changes:
        lines.append("connectguard fix: nothing to change.")
    else:
        lines.append(f"connectguard fix: {len(plan.changes)} change(s) "
                     f"({'applied' if applied else 'dry run: nothing was changed; add --apply to perform the AWS-side changes'})")
        by_key = {o.key: o for o in outcomes}
        for change in plan.changes:
            outcome = by_key.get(change.key)
            status = outcome.status if outcome else "planned"
            lines.append(f"  [{status}] {change.kind}: {change.summary}")
            if outcome and applied and outcome.status in ("changed", "unchanged", "failed"):
                lines.append(f"      {outcome.detail}")
            if change.cli and change.kind in _SHOW_CLI:
                lines.append(f"      $ {change.cli}")
    for note in plan.notes:
        lines.append(f"note: {note}")
    lines.append(f"wrote {len(files)} file(s) under {out_dir}/: {', '.join(files[:8])}"
                 + (" ..." if len(files) > 8 else ""))
    return "\n".join(lines) + "\n"
