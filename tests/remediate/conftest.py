"""The simulated estate shared by the remediation round-trip tests (see remediate_kit.py).

`fix --apply` changes the estate, so the round trip is one test, and the module's other
tests read a snapshot collected before it (the ``demo`` fixture it also depends on).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

# Helpers from sibling test directories (uniquely named modules; appended so nothing is shadowed).
for _helpers in ("flows", "checks_logging", "remediate"):
    sys.path.append(str(Path(__file__).resolve().parents[1] / _helpers))


@pytest.fixture(scope="module")
def estate() -> Iterator[object]:
    from remediate_kit import estate_in_child

    with estate_in_child() as info, pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_CONFIG_FILE", "/nonexistent/connectguard-test")
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/connectguard-test")
        for key, value in info["env"].items():
            mp.setenv(key, value)
        yield SimpleNamespace(account_id=info["account_id"], regions=info["regions"])
