"""Snapshots of the simulated demo estate, collected once per test process.

Starting the estate (moto + seeding) takes most of the time, so one estate serves both collections: the
clean one, and one with access-denied faults injected in the Connect simulator. Shared by tests/identity,
tests/reports and tests/review (``from identity.estate import ...``). Loopback only.
"""

from __future__ import annotations

import os

import boto3

from connectguard.inventory.model import Snapshot

DENIED_OPERATIONS = ("ListSecurityProfilePermissions", "ListApprovedOrigins", "ListAuthenticationProfiles")
_CACHE: dict[str, Snapshot] = {}


def _collect_all() -> None:
    from connectguard.collect.runner import CollectOptions, collect_snapshot
    from connectguard.simulator import SimulatedEstate, demo_world

    saved = dict(os.environ)
    try:
        with SimulatedEstate(demo_world(), quota=False) as estate:
            os.environ.update(estate.env)
            options = CollectOptions(regions=["us-east-1", "eu-west-2"], max_rps=1000, concurrency=8, max_attempts=2)
            _CACHE["clean"] = collect_snapshot(boto3.Session(), options=options)
            for operation in DENIED_OPERATIONS:
                estate.connect.deny(operation)
            options = CollectOptions(regions=["us-east-1"], max_rps=1000, concurrency=8, max_attempts=2)
            _CACHE["denied"] = collect_snapshot(boto3.Session(), options=options)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def collect_demo(variant: str = "clean") -> Snapshot:
    """``clean``: the demo world in us-east-1 and eu-west-2. ``denied``: us-east-1 with DENIED_OPERATIONS
    answering AccessDeniedException."""
    if variant not in _CACHE:
        _collect_all()
    return _CACHE[variant].model_copy(deep=True)
