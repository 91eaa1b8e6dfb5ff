"""Helpers for the collector tests (a module of its own: every test directory has a conftest.py, so
`from conftest import ...` would pick whichever one Python imported first)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import boto3

from connectguard.collect.runner import CollectOptions, collect_snapshot
from connectguard.inventory.model import Snapshot

FAST_RPS = 500.0


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
