"""Fixtures: the demo world served by the Connect simulator (no moto: fast) and a moto-backed estate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectguard.simulator import SimulatedEstate, demo_world
from connectguard.simulator.world import World


@pytest.fixture(scope="module")
def world() -> World:
    return demo_world()


@pytest.fixture(scope="module")
def estate(world: World) -> Iterator[SimulatedEstate]:
    """Connect only, quota off: operation tests do not wait for the token bucket."""
    with SimulatedEstate(world, moto=False, quota=False) as running:
        yield running


@pytest.fixture
def connect(estate: SimulatedEstate):  # noqa: ANN201 - a boto3 client
    estate.connect.clear_faults()
    estate.connect.reset_counters()
    yield estate.client("connect", retries={"mode": "standard", "total_max_attempts": 1})
    assert estate.connect.violations == [], "the simulator produced a response that breaks the model"


@pytest.fixture(scope="module")
def support(world: World):  # noqa: ANN201
    return world.instance("acme-support")
