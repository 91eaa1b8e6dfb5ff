"""Snapshots of the simulated demo estate, collected once per test process (collection takes seconds).

Shared by tests/identity, tests/reports and tests/review (``from identity.estate import ...``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import boto3

from connectguard.inventory.model import Snapshot

_CACHE: dict[tuple, Snapshot] = {}


def collect_demo(regions: Iterable[str] = ("us-east-1", "eu-west-2"), faults: tuple = ()) -> Snapshot:
    """Collect the demo world through the real collector, against the simulator and moto (loopback only)."""
    from connectguard.collect.runner import CollectOptions, collect_snapshot
    from connectguard.simulator import SimulatedEstate, demo_world

    key = (tuple(regions), tuple((f.operation, f.kind, f.resource_ids) for f in faults))
    if key not in _CACHE:
        saved = dict(os.environ)
        try:
            with SimulatedEstate(demo_world(), quota=False, faults=list(faults)) as estate:
                os.environ.update(estate.env)
                options = CollectOptions(regions=list(regions), max_rps=1000, concurrency=8, max_attempts=2)
                _CACHE[key] = collect_snapshot(boto3.Session(), options=options)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return _CACHE[key].model_copy(deep=True)
