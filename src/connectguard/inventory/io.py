"""Reading and writing snapshots: the only place that touches snapshot files."""

from __future__ import annotations

import contextlib
import gc
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connectguard.conventions import InputError
from connectguard.files import write_bytes_atomic
from connectguard.inventory.model import SCHEMA_VERSION, Snapshot

# Older schema versions this release can still read, with the function that upgrades a
# raw document one version. Empty while the format is at version 1.
_UPGRADES: dict[int, Any] = {}


def load_snapshot(path: str | Path) -> Snapshot:
    """Read a snapshot file; any problem is an InputError naming the file and what is wrong."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such snapshot file", str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a snapshot file", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read snapshot: {exc.strerror or exc}", str(path)) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"corrupt gzip data ({exc})", str(path)) from None
    if not raw.strip():
        raise InputError("empty file, not a snapshot", str(path))
    try:
        with gc_paused():
            doc = json.loads(raw)
    except UnicodeDecodeError:
        raise InputError("not a snapshot: not UTF-8 JSON", str(path)) from None
    except json.JSONDecodeError as exc:
        what = "truncated JSON" if exc.pos >= len(raw.rstrip()) - 1 else "invalid JSON"
        raise InputError(f"{what} at line {exc.lineno} column {exc.colno}: {exc.msg}", str(path)) from None
    return parse_snapshot(doc, source=str(path))


def parse_snapshot(doc: Any, *, source: str = "<snapshot>") -> Snapshot:
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise InputError("not a connectguard snapshot (no schema_version)", source)
    version = doc.get("schema_version")
    if not isinstance(version, int):
        raise InputError(f"schema_version must be an integer, got {version!r}", source)
    if version > SCHEMA_VERSION:
        raise InputError(
            f"snapshot schema version {version} is newer than this connectguard reads ({SCHEMA_VERSION}); "
            "upgrade connectguard",
            source,
        )
    while version < SCHEMA_VERSION:
        upgrade = _UPGRADES.get(version)
        if upgrade is None:
            raise InputError(
                f"snapshot schema version {version} is no longer supported (this release reads "
                f"{min([SCHEMA_VERSION, *_UPGRADES])}..{SCHEMA_VERSION}); collect it again",
                source,
            )
        doc = upgrade(doc)
        version = doc["schema_version"]
    try:
        with gc_paused():
            return Snapshot.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InputError(f"invalid snapshot at {loc}: {first['msg']}{more}", source) from None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Build a large, acyclic object tree without the cyclic GC rescanning it on every allocation burst.

    A 100,000-user snapshot is millions of small objects; CPython's generational collector makes
    loading it superlinear (measured 1.9 s -> 0.65 s). Nothing built here forms cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def dump_snapshot(snapshot: Snapshot) -> str:
    return snapshot.model_dump_json(indent=1, exclude_none=False)


def save_snapshot(snapshot: Snapshot, path: str | Path) -> None:
    """Write atomically, readable by the owner only: a snapshot describes an account's defences."""
    data = dump_snapshot(snapshot).encode("utf-8")
    if str(path).endswith(".gz"):
        data = gzip.compress(data)
    write_bytes_atomic(path, data, mode=0o600)


def snapshot_json_schema() -> dict[str, Any]:
    schema = Snapshot.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://connectguard.dev/schemas/snapshot-v{SCHEMA_VERSION}.json"
    schema["title"] = f"connectguard snapshot, schema version {SCHEMA_VERSION}"
    return schema
