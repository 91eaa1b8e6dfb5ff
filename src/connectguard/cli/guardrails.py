"""`connectguard guardrails`: plan and apply the deletion-guardrail SCP (verify is `audit --checks ...`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from connectguard.cli.common import (
    config_option,
    fail_on_unknown_option,
    output_option,
    severity_option,
    write_output,
)
from connectguard.config import load_config
from connectguard.conventions import ConnectGuardError, ExitCode, InputError, exit_status, json_envelope
from connectguard.files import write_text_atomic
from connectguard.inventory import load_snapshot

_SNAPSHOT = click.argument("snapshot", type=click.Path(dir_okay=False, path_type=Path))
_TARGET_HELP = "Root (r-...), OU (ou-...) or account id to attach the SCP to (default: the audited account)."


def _plan_options(f):
    f = click.option("--break-glass", "break_glass", multiple=True,
                     help="Role ARN (wildcards allowed) exempted from the denies (repeatable; default: "
                          "[audit] break_glass_principals).")(f)
    f = click.option("--recommended/--required-only", default=True, show_default=True,
                     help="Also deny disassociating storage, turning logging off, stopping/deleting the trail and "
                          "deleting recording buckets.")(f)
    f = click.option("--name", default="connectguard-deletion-guardrails", show_default=True,
                     help="SCP name (a plan that needs several policies appends -1, -2, ...).")(f)
    return f


@click.group("guardrails")
def guardrails() -> None:
    """Verify, plan and apply the deletion-guardrail SCP for an audited estate."""


@guardrails.command("verify")
@_SNAPSHOT
@click.option("--format", "-f", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@output_option
@severity_option()
@fail_on_unknown_option
@config_option
def verify(snapshot: Path, output_format: str, output: Path | None, fail_on, fail_on_unknown: bool,
           config_path: Path | None) -> int:
    """Run the deletion-guardrail and emergency-access checks on SNAPSHOT (same as `audit --checks ...`)."""
    from connectguard.audit.engine import run_audit
    from connectguard.audit.registry import select_checks
    from connectguard.report import render

    config = load_config(config_path)
    report = run_audit(load_snapshot(snapshot), config, select_checks(["deletion-guardrails", "emergency-access"]))
    if output_format == "table" and output is None:
        from rich.console import Console

        from connectguard.report.table import print_report

        print_report(Console(highlight=False), report, show_pass=True)
    else:
        write_output(render(report, output_format, show_pass=True), output)
    return int(exit_status(report.failing_severities(), fail_on=fail_on, unknown=report.unknown_count(),
                           fail_on_unknown=fail_on_unknown))


def _build(snapshot: Path, config_path: Path | None, target: str | None, break_glass: tuple[str, ...],
           recommended: bool, name: str):
    from connectguard.guardrails.plan import build_plan

    config = load_config(config_path)
    snap = load_snapshot(snapshot)
    for pattern in break_glass:
        if not pattern.startswith("arn:"):
            raise InputError(f"--break-glass {pattern!r} is not an ARN")
    return build_plan(snap, config, target=target, break_glass=list(break_glass) if break_glass else None,
                      recommended=recommended, name=name)


@guardrails.command("plan")
@_SNAPSHOT
@click.option("--target", help=_TARGET_HELP)
@_plan_options
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--write-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write each policy as DIR/NAME.json (for `--content file://...`).")
@output_option
@config_option
def plan(snapshot: Path, target: str | None, break_glass: tuple[str, ...], recommended: bool, name: str,
         output_format: str, write_dir: Path | None, output: Path | None, config_path: Path | None) -> int:
    """Write the SCP that protects the estate in SNAPSHOT, and the calls that would attach it.

    Exit 0 when the plan fits and would make the guardrail checks pass; 1 when it would not
    (no free SCP slot, management account); 3 when part of the estate could not be planned.
    """
    result = _build(snapshot, config_path, target, break_glass, recommended, name)
    if write_dir is not None:
        write_dir.mkdir(parents=True, exist_ok=True)
        for p in result.policies:
            write_text_atomic(write_dir / f"{p.name}.json", json.dumps(p.content, indent=2) + "\n")
    if output_format == "json":
        write_output(json.dumps(json_envelope({"plan": result.to_json()}), indent=2), output)
    else:
        write_output(_plan_text(result.to_json()), output)
    failing = [v for v in result.verification if v.get("status") == "would still fail"]
    if (result.slots.get("known") and not result.slots.get("fits")) or failing:
        return ExitCode.FINDINGS
    if result.skipped or any(v.get("status") == "not verified" for v in result.verification):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _plan_text(doc: dict[str, Any]) -> str:
    lines = [f"Deletion-guardrail SCP for target {doc['target']}"]
    if doc["break_glass_principals"]:
        lines.append(f"Break-glass exception: {', '.join(doc['break_glass_principals'])}")
    lines.append(f"Protects {len(doc['protections'])} action/resource pair(s):")
    for p in doc["protections"]:
        lines.append(f"  - {p['action']} on {p['resource']}")
    slots = doc["slots"]
    if slots.get("known"):
        lines.append(f"SCP slots at {slots['level']}: {len(slots['attached'])} attached "
                     f"({', '.join(slots['attached'])}); {slots['after_apply']} of {slots['limit']} after apply"
                     + ("" if slots["fits"] else "  ** DOES NOT FIT **"))
    else:
        lines.append(f"SCP slots: {slots['note']}")
    for p in doc["policies"]:
        lines += ["", f"# {p['name']} ({p['characters']} of {p['limit']} characters)",
                  json.dumps(p["content"], indent=2)]
    lines += ["", "Organizations calls (run from the management account, or `connectguard guardrails apply`):"]
    lines += [f"  {c}" for c in doc["organizations_calls"]]
    verified = doc["verification"]
    if verified and verified[0].get("status") == "not verified":
        lines.append(f"\nNot verified: {verified[0]['reason']}")
    else:
        ok = sum(1 for v in verified if v["status"] == "would pass")
        lines.append(f"\nVerified against the snapshot: {ok} of {len(verified)} protection(s) would pass once attached")
        lines += [f"  still failing: {v['summary']}" for v in verified if v["status"] != "would pass"]
    for w in doc["warnings"]:
        lines.append(f"WARNING: {w}")
    for s in doc["not_planned"]:
        lines.append(f"NOT PLANNED: {s}")
    return "\n".join(lines) + "\n"


@guardrails.command("apply")
@_SNAPSHOT
@click.option("--target", required=True, help="Root (r-...), OU (ou-...) or account id to attach the SCP to.")
@_plan_options
@click.option("--apply", "do_apply", is_flag=True, help="Make the changes (default: dry run, showing them).")
@click.option("--profile", help="AWS profile of the management (or delegated administrator) account.")
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@output_option
@config_option
def apply(snapshot: Path, target: str, break_glass: tuple[str, ...], recommended: bool, name: str, do_apply: bool,
          profile: str | None, output_format: str, output: Path | None, config_path: Path | None) -> int:
    """Create or update the planned SCP and attach it to --target (dry run unless --apply).

    Idempotent: a second run changes nothing. Refuses when the target has no free SCP slot or
    the policy would deny the caller managing it.
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from connectguard.guardrails.apply import apply_plan

    result = _build(snapshot, config_path, target, break_glass, recommended, name)
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        region = session.region_name or "us-east-1"
        report = apply_plan(result, session.client("organizations", region_name=region),
                            session.client("sts", region_name=region), apply=do_apply)
    except (ClientError, BotoCoreError) as exc:
        # One line naming the call that failed; steps before it may have been made (re-run: apply is idempotent).
        raise ConnectGuardError(f"guardrails apply: AWS call failed: {exc}") from None
    if output_format == "json":
        write_output(json.dumps(json_envelope({"apply": report.to_json(), "plan": result.to_json()}), indent=2),
                     output)
    else:
        mode = "Applied" if do_apply else "Dry run (nothing changed; add --apply)"
        lines = [f"{mode}: target {target}, caller {report.caller}"]
        lines += [f"  {'done' if s.done else 'would'} {s.operation} {s.policy}: {s.detail}" for s in report.steps]
        lines += [f"  unchanged: {u}" for u in report.unchanged]
        if not report.steps:
            lines.append("  nothing to change")
        write_output("\n".join(lines) + "\n", output)
    return ExitCode.OK
