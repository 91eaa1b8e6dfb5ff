"""One simulated estate (moto + the Connect simulator) for the module that asks for it.

Seeding moto takes a while, and a collection is read-only, so the estate is shared;
tests that inject faults clear them afterwards. The quota is off and the collector's
rate is high so the suite stays fast; pacing is tested in test_collect_ratelimit.py
and measured by bench/bench_collect.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import boto3
import pytest

from connectguard.collect.runner import CollectOptions, collect_snapshot
from connectguard.inventory.model import Snapshot

FAST_RPS = 500.0


@pytest.fixture(scope="session")
def estate() -> Iterator[object]:
    from connectguard.simulator import SimulatedEstate, demo_world

    with SimulatedEstate(demo_world(), quota=False) as est, pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_CONFIG_FILE", "/nonexistent/connectguard-test")
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/connectguard-test")
        for key, value in est.env.items():
            mp.setenv(key, value)
        yield est


def collect(estate: object, regions: list[str] | None = None, **options: object) -> Snapshot:
    options.setdefault("org_role", estate.ids["organization"]["reader_role"])  # type: ignore[attr-defined]
    opts = CollectOptions(max_rps=FAST_RPS, max_attempts=int(options.pop("max_attempts", 4)), **options)  # type: ignore[arg-type]
    return collect_snapshot(boto3.Session(), regions or list(estate.world.regions), options=opts)  # type: ignore[attr-defined]


def small_instance(estate: object, region: str = "us-east-1") -> object:
    """The region's smallest instance: fault and CLI tests collect only it, to stay fast."""
    candidates = [i for r, i in estate.world.instances() if r == region]  # type: ignore[attr-defined]
    return min(candidates, key=lambda i: len(i.users) + len(i.security_profiles) + len(i.flows))


@contextlib.contextmanager
def faults(estate: object) -> Iterator[object]:
    sim = estate.connect  # type: ignore[attr-defined]
    sim.clear_faults()
    sim.reset_counters()
    try:
        yield sim
    finally:
        sim.clear_faults()
        sim.reset_counters()
