"""`connectguard demo`: collect and audit a simulated, deliberately mis-configured contact center.

It starts the simulated estate in-process (moto for every AWS service but Connect, and
connectguard's own Connect simulator, both on loopback), collects it through real boto3
calls exactly as `connectguard collect` would, audits it, and prints the summary.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import click

from connectguard.cli.common import stderr_is_terminal
from connectguard.conventions import ExitCode, Status


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Point boto3's standard chain at the simulated estate, and put the caller's environment back after."""
    saved = {k: os.environ.get(k) for k in values}
    # A real profile or endpoint in the user's environment must not leak into the demo.
    drop = [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL_") or k in ("AWS_PROFILE", "AWS_SESSION_TOKEN")]
    dropped = {k: os.environ.pop(k) for k in drop if k not in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.environ.update(dropped)


@click.command("demo")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write the snapshot and the JSON and HTML reports here.")
@click.option("--max-rps", type=float, default=25.0, show_default=True,
              help="Per-operation request rate. The simulated estate is not shared with production, so the demo "
                   "goes faster than the default 1/s used against real accounts.")
@click.option("--show", type=int, default=15, show_default=True, help="How many failing findings to list.")
def demo(out_dir: Path | None, max_rps: float, show: int) -> int:
    """Collect and audit a simulated, mis-configured contact center (no AWS account needed).

    Exit status 0 when the demo ran (its estate is meant to fail checks), 2 if it could not run.
    """
    try:
        import boto3

        from connectguard.simulator import SimulatedEstate, demo_world
    except ModuleNotFoundError as exc:
        raise click.UsageError(f"the demo needs {exc.name!r}: pip install 'connectguard[demo]'") from None
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from connectguard.audit.engine import run_audit
    from connectguard.collect.caller import AwsReader
    from connectguard.collect.progress import progress_display
    from connectguard.collect.runner import CollectOptions, collect_snapshot
    from connectguard.config import Config

    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    world = demo_world()
    regions = list(world.regions)
    started = time.monotonic()
    err.print(f"Starting the simulated estate (account {world.account_id}, regions {', '.join(regions)}) ...")
    # quota=False: the demo's rate is set by --max-rps alone (tests exercise the quota emulation).
    with SimulatedEstate(world, quota=False) as estate, _environment(estate.env):
        session = boto3.Session()
        # The demo organization has a read-only role in its management account, as `--org-role` expects.
        options = CollectOptions(regions=regions, max_rps=max_rps,
                                 org_role=estate.ids.get("organization", {}).get("reader_role"))
        reader = AwsReader(session, max_rps=options.max_rps, max_attempts=options.max_attempts,
                           concurrency=options.concurrency)
        with progress_display(reader, enabled=stderr_is_terminal()) as display:
            snapshot = collect_snapshot(session, options=options, reader=reader, progress=display.phase)
    collected = time.monotonic() - started
    report = run_audit(snapshot, Config())

    calls = sum(snapshot.stats.calls.values())
    count = lambda attr: sum(len(getattr(i, attr) or []) for _, i in snapshot.instances())  # noqa: E731
    console.print(f"[bold]Collected[/] {len(snapshot.instances())} instances in {len(regions)} regions "
                  f"({count('security_profiles')} security profiles, {count('users')} users, {count('flows')} "
                  f"flows) with {calls} read-only API calls in {collected:.1f}s.")
    failing = [f for f in report.findings if f.status is Status.FAIL]
    console.print(f"[bold]Audited[/] with {len(report.checks_run)} checks: {len(report.findings)} results, "
                  f"{len(failing)} failing.\n")

    table = Table(title=f"The {min(show, len(failing))} most severe of {len(failing)} failing findings",
                  header_style="bold")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Check", no_wrap=True)
    table.add_column("Finding", overflow="fold")
    for f in failing[:show]:
        table.add_row(f.severity.value, f.check, escape(f.message))  # messages carry account data: escape
    console.print(table)
    print_report_summary(console, report)

    if out_dir is not None:
        from connectguard.files import write_text_atomic
        from connectguard.inventory import save_snapshot
        from connectguard.report import available_formats, render

        save_snapshot(snapshot, out_dir / "snapshot.json")
        for fmt, name in (("json", "report.json"), ("html", "report.html"), ("sarif", "report.sarif")):
            if fmt in available_formats():
                write_text_atomic(out_dir / name, render(report, fmt))
        console.print(f"Snapshot and reports written to {out_dir}/")
    console.print("\nNext: `connectguard permissions` prints the read-only IAM policy; then run "
                  "`connectguard collect --out estate.json` against your account and `connectguard audit estate.json`.")
    return ExitCode.OK


def print_report_summary(console, report) -> None:
    from rich.table import Table

    summary = Table(title="Results by practice", header_style="bold")
    summary.add_column("Practice")
    for status in Status:
        summary.add_column(status.value, justify="right")
    for practice, counts in report.summary()["by_practice"].items():
        summary.add_row(practice, *[str(counts[s.value]) for s in Status])
    console.print(summary)
