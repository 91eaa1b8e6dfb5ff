"""A task group over a bounded set of worker threads: tasks may spawn tasks, the caller waits for all.

Tasks never wait for one another (they spawn follow-ups instead), so the bounded pool
cannot deadlock. Tasks run by priority, then in order of spawning: the long per-profile
streams, which set the run's wall time, jump ahead of short one-off listings.
A task that raises is a bug, not an API failure (those are recorded by the reader),
and is re-raised from :meth:`TaskGroup.wait`.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from typing import Any

URGENT = 0
NORMAL = 1


class TaskGroup:
    def __init__(self, workers: int) -> None:
        self._heap: list[tuple[int, int, Callable[..., Any], tuple, dict]] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._pending = 0
        self._closed = False
        self._failures: list[BaseException] = []
        self._threads = [threading.Thread(target=self._work, name=f"collect-{n}", daemon=True)
                         for n in range(max(1, workers))]
        for t in self._threads:
            t.start()

    def spawn(self, fn: Callable[..., Any], *args: Any, priority: int = NORMAL, **kwargs: Any) -> None:
        with self._cv:
            self._pending += 1
            heapq.heappush(self._heap, (priority, next(self._seq), fn, args, kwargs))
            self._cv.notify()

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._heap and not self._closed:
                    self._cv.wait()
                if not self._heap:
                    return
                _prio, _seq, fn, args, kwargs = heapq.heappop(self._heap)
            try:
                fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to wait()
                with self._cv:
                    self._failures.append(exc)
            finally:
                with self._cv:
                    self._pending -= 1
                    self._cv.notify_all()

    def wait(self) -> None:
        """Wait until every task (and every task they spawned) has finished."""
        with self._cv:
            while self._pending:
                self._cv.wait()
            if self._failures:
                raise self._failures[0]

    def close(self, *, join: bool = True) -> None:
        with self._cv:
            self._closed = True
            if not join:
                self._heap.clear()
            self._cv.notify_all()
        if join:
            for t in self._threads:
                t.join(timeout=5)

    def __enter__(self) -> TaskGroup:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # On Ctrl-C (or a bug) do not wait for calls in flight: the worker threads are daemons.
        self.close(join=exc_type is None)
