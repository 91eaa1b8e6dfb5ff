"""One simulated estate (moto + the Connect simulator) shared by the collector tests.

Seeding moto takes a while, and a collection is read-only, so the estate is shared;
tests that inject faults clear them afterwards. The quota is off and the collector's
rate is high so the suite stays fast; pacing is tested in test_collect_ratelimit.py
and measured by bench/bench_collect.py.

moto's state is process-wide, so only one simulated estate can run in a process at a
time: the estate is stopped as soon as the next test to run in this process is not a
collector test (other directories start estates of their own), and started again if
collector tests come back (pytest-xdist may interleave directories on a worker).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


class _Holder:
    def __init__(self) -> None:
        self.estate = None
        self._stack = None

    def get(self):
        if self.estate is None:
            from connectguard.simulator import SimulatedEstate, demo_world

            mp = pytest.MonkeyPatch()
            for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE",
                         "AWS_SHARED_CREDENTIALS_FILE"):
                mp.delenv(name, raising=False)
            mp.setenv("AWS_CONFIG_FILE", "/nonexistent/connectguard-test")
            mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/connectguard-test")
            estate = SimulatedEstate(demo_world(), quota=False).start()
            for key, value in estate.env.items():
                mp.setenv(key, value)
            self.estate, self._mp = estate, mp
        return self.estate

    def close(self) -> None:
        if self.estate is not None:
            self.estate.stop()
            self._mp.undo()
            self.estate = None


_HOLDER = _Holder()


@pytest.fixture(scope="module")
def estate():
    return _HOLDER.get()


def _here(item) -> bool:
    return item is not None and Path(str(item.fspath)).parent == HERE


def pytest_runtest_teardown(item, nextitem):
    if _here(item) and not _here(nextitem):
        _HOLDER.close()
