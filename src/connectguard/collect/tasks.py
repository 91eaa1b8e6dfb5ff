"""A task group over a thread pool: tasks may spawn tasks, the caller waits for all.

Tasks never wait for one another (they spawn follow-ups instead), so a bounded pool
cannot deadlock. A task that raises is a bug, not an API failure (those are recorded
by the reader), and is re-raised from :meth:`TaskGroup.wait`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class TaskGroup:
    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self._executor = executor
        self._pending = 0
        self._cv = threading.Condition()
        self._failures: list[BaseException] = []

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        with self._cv:
            self._pending += 1
        self._executor.submit(self._run, fn, args, kwargs)

    def _run(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
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
        with self._cv:
            while self._pending:
                self._cv.wait()
            if self._failures:
                raise self._failures[0]
