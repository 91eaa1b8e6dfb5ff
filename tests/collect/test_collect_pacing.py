"""Pacing through the real client hooks, against the simulator's server-side quota.

The simulator's quota is scaled up (40 requests/s, burst 5, per operation) so this runs
in about a second; what matters is the ratio: at half the server's rate (and the burst
scaled alike, as by default) the collector draws no 429 at all; far above a server's rate
the 429s it draws are all counted and absorbed by its retries.
No wall-clock assertion: the server's throttle counter is the judge.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from collectkit import faults, small_instance

from connectguard.collect.caller import AwsReader
from connectguard.collect.ratelimit import RateLimiter, burst_for
from connectguard.collect.runner import CollectOptions, collect_snapshot

SERVER_RATE = 40.0
REGION = "us-east-1"


@contextlib.contextmanager
def server_quota(estate, rate: float) -> Iterator[object]:
    sim = estate.connect
    saved = (sim.quota, sim.rate)
    sim.quota, sim.rate = True, rate
    sim.reset_quota()
    try:
        yield sim
    finally:
        sim.quota, sim.rate = saved
        sim.reset_quota()


def _collect(estate, max_rps: float):
    import boto3

    # The burst scaled to this server's rate, as the default is to the real one (2 of 5 at half the rate).
    burst = burst_for(max_rps, server_rate=SERVER_RATE)
    session = boto3.Session()
    reader = AwsReader(session, max_attempts=8, limiter=RateLimiter(max_rps, burst=burst))
    options = CollectOptions(max_rps=max_rps, max_attempts=8, instance_ids=[small_instance(estate).id],
                             org_role=estate.ids["organization"]["reader_role"])
    return collect_snapshot(session, [REGION], options=options, reader=reader)


def test_half_the_quota_draws_no_throttling(estate) -> None:
    with faults(estate) as sim, server_quota(estate, SERVER_RATE):
        snap = _collect(estate, SERVER_RATE / 2)
        throttled = dict(sim.throttles)
    assert throttled == {}
    assert snap.stats.throttled == {}
    assert snap.errors == []


def test_far_above_the_quota_the_throttles_are_absorbed(estate) -> None:
    # A slow server (4/s) so that even one sequential stream outruns it.
    with faults(estate) as sim, server_quota(estate, 4.0):
        snap = _collect(estate, 400.0)
        throttled = dict(sim.throttles)
    assert sum(throttled.values()) > 0  # the server did push back ...
    assert {f"connect:{op}": n for op, n in throttled.items()} == {
        k: v for k, v in snap.stats.throttled.items() if k.startswith("connect:")}  # ... we counted every 429 ...
    assert snap.errors == []  # ... and retried through all of them
