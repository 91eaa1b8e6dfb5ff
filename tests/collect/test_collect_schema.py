"""docs/snapshot.schema.json is the current schema, and `connectguard schema` prints it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from connectguard.cli import cli
from connectguard.inventory.io import snapshot_json_schema

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "snapshot.schema.json"


def test_committed_schema_is_current() -> None:
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == snapshot_json_schema(), (
        "docs/snapshot.schema.json is stale: run `connectguard schema -o docs/snapshot.schema.json`")


def test_schema_command_prints_the_schema() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == snapshot_json_schema()


def test_every_hides_key_is_documented() -> None:
    from connectguard.inventory.model import HIDES

    doc = (COMMITTED.parent / "collect.md").read_text(encoding="utf-8")
    for key in HIDES:
        assert f"| `{key}` |" in doc, f"docs/collect.md does not list hides key {key!r}"
