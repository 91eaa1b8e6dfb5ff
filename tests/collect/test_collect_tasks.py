"""The task group: nested spawning, priority, and bugs surfacing instead of vanishing."""

from __future__ import annotations

import threading

import pytest

from connectguard.collect.tasks import NORMAL, URGENT, TaskGroup


def test_tasks_may_spawn_tasks_and_wait_sees_them_all() -> None:
    done: list[int] = []
    lock = threading.Lock()
    with TaskGroup(2) as group:
        def leaf(n: int) -> None:
            with lock:
                done.append(n)

        def parent(base: int) -> None:
            for i in range(5):
                group.spawn(leaf, base + i)

        for base in (0, 10, 20):
            group.spawn(parent, base)
        group.wait()
    assert sorted(done) == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24]


def test_urgent_tasks_run_before_queued_normal_ones() -> None:
    order: list[str] = []
    gate = threading.Event()
    with TaskGroup(1) as group:
        group.spawn(gate.wait)  # occupies the single worker while the queue fills
        for name in ("n1", "n2"):
            group.spawn(order.append, name, priority=NORMAL)
        group.spawn(order.append, "u1", priority=URGENT)
        gate.set()
        group.wait()
    assert order == ["u1", "n1", "n2"]


def test_a_crashing_task_is_reraised_from_wait() -> None:
    def boom() -> None:
        raise KeyError("bug")

    with TaskGroup(2) as group, pytest.raises(KeyError):
        group.spawn(boom)
        group.spawn(lambda: None)
        group.wait()
