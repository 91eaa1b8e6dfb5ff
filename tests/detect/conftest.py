"""Helpers shared by the detect tests: write CloudTrail files as AWS delivers them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from connectguard.detect.rules import PACK_DIR, load_rules


def write_trail(path: Path, records: list[dict[str, Any]], *, gz: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"Records": records}).encode()
    if gz:
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def pack_events() -> dict[str, dict[str, list[dict[str, Any]]]]:
    return {p.name[: -len(".events.json")]: json.loads(p.read_text()) for p in sorted(PACK_DIR.glob("*.events.json"))}


@pytest.fixture(scope="session")
def pack():
    return load_rules()


@pytest.fixture(autouse=True)
def _private_rule_cache(tmp_path_factory, monkeypatch):
    """The compiled-rule cache goes to a directory of this session, never the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
