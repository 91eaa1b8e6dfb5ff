"""Client-side rate limiting: one token bucket per (service, operation, region).

Connect's quota is per API operation per account and region (about 2 requests/s, burst
5) and is shared with the contact center's own agent applications, so the collector
must stay well under it rather than lean on the server's 429s. The bucket also backs
off when the server throttles anyway (someone else is using the quota) and recovers
slowly, like TCP's AIMD, so a busy production account gets room back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Connect's default quota per operation (connect-api.md §3). Our burst never exceeds it.
SERVER_RATE = 2.0
SERVER_BURST = 5


def burst_for(max_rps: float, *, server_rate: float = SERVER_RATE, server_burst: int = SERVER_BURST) -> int:
    """The burst that goes with ``max_rps``: the server's burst scaled to our share of its rate.

    At the default (half the quota) that is 2; it never exceeds the server's burst and is at least 1.
    """
    share = max_rps / server_rate
    return max(1, min(server_burst, int(server_burst * share)))


class TokenBucket:
    """A thread-safe token bucket with multiplicative back-off on throttling."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        min_rate_fraction: float = 0.125,
        recovery_per_success: float = 0.05,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.target_rate = rate
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._min_rate = rate * min_rate_fraction
        self._recovery = recovery_per_success
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
        self._last = now

    def reserve(self) -> float:
        """Take one token now (possibly going into debt); return how long to wait before using it.

        Reserving under the lock and sleeping outside it keeps waiters in FIFO order of
        arrival without holding the lock while asleep.
        """
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.rate

    def acquire(self) -> float:
        """Block until a token is available; return the time waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def on_throttled(self) -> None:
        """The server said 429 although we kept to our rate: someone else is using the quota."""
        with self._lock:
            self._refill(self._clock())
            self.rate = max(self._min_rate, self.rate / 2)
            self._tokens = min(self._tokens, 0.0)

    def on_success(self) -> None:
        with self._lock:
            if self.rate < self.target_rate:
                self.rate = min(self.target_rate, self.rate + self.target_rate * self._recovery)


class RateLimiter:
    """Buckets keyed by (service, operation, region), created on first use."""

    def __init__(self, max_rps: float, *, burst: int | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.max_rps = max_rps
        self.burst = burst if burst is not None else burst_for(max_rps)
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, service: str, operation: str, region: str) -> TokenBucket:
        key = (service, operation, region)
        with self._lock:
            found = self._buckets.get(key)
            if found is None:
                found = TokenBucket(self.max_rps, self.burst, clock=self._clock, sleep=self._sleep)
                self._buckets[key] = found
            return found
