"""A progress line on stderr while collecting (rich), only on a terminal."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any


class _Quiet:
    def phase(self, _text: str) -> None:
        pass

    def tick(self, _key: str) -> None:
        pass


class _RichProgress:
    def __init__(self, progress: Any, task: Any, reader: Any) -> None:
        self._progress = progress
        self._task = task
        self._reader = reader
        self._phase = "starting"
        self._lock = threading.Lock()

    def phase(self, text: str) -> None:
        self._phase = text
        self.tick("")

    def tick(self, _key: str) -> None:
        stats = self._reader.stats
        calls = sum(stats.calls.values())
        throttled = sum(stats.throttled.values())
        with self._lock:
            self._progress.update(
                self._task,
                description=f"collecting: {self._phase} · {calls} calls · {throttled} throttled · "
                f"{len(self._reader.errors)} errors",
            )


@contextlib.contextmanager
def progress_display(reader: Any, *, enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield _Quiet()
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("collecting", total=None)
        display = _RichProgress(progress, task, reader)
        reader.stats.listener = display.tick
        try:
            yield display
        finally:
            reader.stats.listener = None
