"""The client-side token bucket: pacing, burst, back-off on throttling and recovery (fake clock, no sleeping)."""

from __future__ import annotations

import threading

import pytest

from connectguard.collect.ratelimit import SERVER_BURST, SERVER_RATE, RateLimiter, TokenBucket, burst_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_burst_then_steady_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, 2, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(6)]
    assert waits[:2] == [0.0, 0.0]  # the burst
    assert all(w == pytest.approx(1.0) for w in waits[2:])  # then one per second
    assert clock.now == pytest.approx(4.0)


def test_sustained_rate_never_exceeds_the_configured_rate() -> None:
    clock = FakeClock()
    rate, burst, n = 1.5, 3, 60
    bucket = TokenBucket(rate, burst, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(n):
        bucket.acquire()
        stamps.append(clock.now)
    # In any window of length T at most burst + rate*T requests are sent.
    for i in range(n):
        for j in range(i, n):
            window = stamps[j] - stamps[i]
            assert j - i + 1 <= burst + rate * window + 1e-9


def test_idle_time_refills_only_up_to_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, 3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        bucket.acquire()
    clock.now += 100.0
    waits = [bucket.acquire() for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0


def test_throttling_halves_the_rate_and_success_recovers_it() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, 2, clock=clock, sleep=clock.sleep)
    bucket.on_throttled()
    assert bucket.rate == pytest.approx(0.5)
    bucket.on_throttled()
    bucket.on_throttled()
    bucket.on_throttled()
    assert bucket.rate == pytest.approx(0.125)  # floor: never stops entirely
    for _ in range(100):
        bucket.on_success()
    assert bucket.rate == pytest.approx(1.0)  # and never above the target


def test_throttling_empties_the_bucket() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, 2, clock=clock, sleep=clock.sleep)
    bucket.on_throttled()
    assert bucket.acquire() > 0  # no burst right after the server said 429


def test_default_burst_is_the_servers_scaled_to_our_share_and_never_above_it() -> None:
    assert burst_for(SERVER_RATE / 2) == SERVER_BURST // 2
    assert burst_for(SERVER_RATE) == SERVER_BURST
    assert burst_for(100.0) == SERVER_BURST
    assert burst_for(0.01) == 1


def test_buckets_are_per_service_operation_and_region() -> None:
    limiter = RateLimiter(1.0)
    a = limiter.bucket("connect", "SearchUsers", "us-east-1")
    assert limiter.bucket("connect", "SearchUsers", "us-east-1") is a
    assert limiter.bucket("connect", "SearchUsers", "eu-west-2") is not a
    assert limiter.bucket("connect", "ListQueues", "us-east-1") is not a
    assert limiter.bucket("iam", "SearchUsers", "us-east-1") is not a


def test_concurrent_waiters_are_paced_together() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, 1, clock=clock, sleep=lambda s: None)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        w = bucket.reserve()
        with lock:
            waits.append(w)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Ten reservations at the same instant: one free, the rest queued one second apart.
    assert sorted(waits) == pytest.approx([float(i) for i in range(10)])
