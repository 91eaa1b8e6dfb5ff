"""`connectguard simulator`: serve a simulated Connect estate on loopback until Ctrl-C."""

from __future__ import annotations

import shlex
import threading
from pathlib import Path

import click

from connectguard.conventions import InputError


@click.command("simulator")
@click.option("--world", "world_file", type=click.Path(dir_okay=False, path_type=Path),
              help="World file (JSON or YAML) describing the simulated account.")
@click.option("--demo", is_flag=True, help="Serve the built-in, deliberately mis-configured demo world.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port of the Connect simulator (0: any free port). Other services get their own port.")
@click.option("--no-quota", is_flag=True, help="Do not emulate Connect's API quota (2 requests/s, burst 5).")
@click.option("--connect-only", is_flag=True, help="Serve only Connect (no moto for the other services).")
def simulator(world_file: Path | None, demo: bool, port: int, no_quota: bool, connect_only: bool) -> int:
    """Serve a simulated Connect estate on 127.0.0.1 and print the variables to export.

    Connect is served by connectguard's own simulator; every other service (IAM,
    Directory Service, CloudTrail, CloudWatch, S3, KMS, Organizations ...) by moto. Point
    `connectguard collect` or the AWS CLI at it with the printed `export` lines.
    """
    if bool(world_file) == demo:
        raise click.UsageError("give exactly one of --world FILE or --demo")
    from connectguard.simulator import SimulatedEstate, demo_world, load_world

    world = demo_world() if demo else load_world(world_file)  # type: ignore[arg-type]
    estate = SimulatedEstate(world, quota=not no_quota, moto=not connect_only, connect_port=port)
    try:
        estate.start()
    except OSError as exc:
        raise InputError(f"cannot listen: {exc.strerror or exc}", f"127.0.0.1:{port}") from None
    try:
        instances = ", ".join(f"{inst.alias} ({region})" for region, inst in world.instances()) or "none"
        click.echo(f"# simulated account {world.account_id} ({world.name}); Connect instances: {instances}", err=True)
        click.echo(f"# quota emulation: {'off' if no_quota else 'on (2 requests/s, burst 5)'}; Ctrl-C stops", err=True)
        for name, value in estate.env.items():
            click.echo(f"export {name}={shlex.quote(value)}")
        org = estate.ids.get("organization", {}).get("reader_role")
        if org:
            click.echo(f"# organization reader role (collect.org_role): {org}", err=True)
        threading.Event().wait()  # until Ctrl-C
    except KeyboardInterrupt:
        click.echo("# stopping", err=True)
    finally:
        estate.stop()
    return 0
