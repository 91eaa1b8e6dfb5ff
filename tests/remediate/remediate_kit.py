"""The simulated estate for the remediation tests, served from a child process.

moto keeps its state in module-level globals, so SimulatedEstate allows one moto estate per
process. Other test directories hold their own estates (some for the whole session), and
pytest-xdist may run any of them in the same worker; serving this one from a spawned child
process keeps the tests independent of what else the worker runs. The test process talks to
it over loopback only, through the environment variables the estate publishes.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator
from typing import Any

import boto3

from connectguard.collect.runner import CollectOptions, collect_snapshot
from connectguard.inventory.model import Snapshot

FAST_RPS = 500.0
START_TIMEOUT_S = 300


def _serve(conn: Any) -> None:
    from connectguard.simulator import SimulatedEstate, demo_world

    try:
        with SimulatedEstate(demo_world(), quota=False) as estate:
            conn.send({"env": estate.env, "account_id": estate.world.account_id,
                       "regions": list(estate.world.regions)})
            conn.recv()  # serve until the test process says stop (or goes away)
    except EOFError:
        pass
    except BaseException as exc:  # noqa: BLE001 - report a failed start instead of leaving the parent waiting
        conn.send({"error": f"{type(exc).__name__}: {exc}"})


@contextlib.contextmanager
def estate_in_child() -> Iterator[dict[str, Any]]:
    """Start the demo estate in a child process; yield its env, account id and regions."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child,), daemon=True)
    proc.start()
    try:
        if not parent.poll(START_TIMEOUT_S):
            raise RuntimeError(f"the simulated estate did not start within {START_TIMEOUT_S}s")
        info = parent.recv()
        if "error" in info:
            raise RuntimeError(f"the simulated estate failed to start: {info['error']}")
        yield info
    finally:
        with contextlib.suppress(OSError, BrokenPipeError):
            parent.send("stop")
        proc.join(30)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)


def collect(regions: list[str]) -> Snapshot:
    return collect_snapshot(boto3.Session(), regions, options=CollectOptions(max_rps=FAST_RPS, max_attempts=4))
