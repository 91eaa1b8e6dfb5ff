"""The snapshot model and its reading and writing."""

from connectguard.inventory.io import load_snapshot, save_snapshot, snapshot_json_schema
from connectguard.inventory.model import SCHEMA_VERSION, CollectionError, Snapshot

__all__ = ["SCHEMA_VERSION", "CollectionError", "Snapshot", "load_snapshot", "save_snapshot", "snapshot_json_schema"]
