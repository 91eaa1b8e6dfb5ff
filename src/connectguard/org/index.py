"""The organization index: one entry per account, pointing at that account's snapshot (or saying why not).

An account that could not be collected stays in the index with its reason, so an audit of
the index reports it UNKNOWN instead of leaving it out.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectguard.conventions import InputError
from connectguard.files import write_text_atomic

INDEX_KIND = "connectguard-organization-index"
INDEX_VERSION = 1


class RegionOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str
    reason: str


class AccountEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str
    name: str | None = None
    ou_path: list[str] = Field(default_factory=list)  # root first, OU names
    status: Literal["collected", "failed"]
    snapshot: str | None = None  # path relative to the index file
    reason: str | None = None  # why it failed (e.g. the role could not be assumed)
    regions: list[str] = Field(default_factory=list)  # regions collected (Connect instances found)
    regions_refused: list[RegionOutcome] = Field(default_factory=list)
    collection_errors: int = 0


class OrganizationIndex(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["connectguard-organization-index"] = INDEX_KIND
    schema_version: int = INDEX_VERSION
    tool_version: str
    generated_at: dt.datetime
    organization_id: str | None = None
    management_account_id: str | None = None
    role_name: str
    accounts: list[AccountEntry] = Field(default_factory=list)


def is_index_document(path: Path) -> bool:
    """Cheap sniff: an index names its kind near the start; snapshots do not."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return INDEX_KIND.encode() in head


def load_index(path: str | Path) -> OrganizationIndex:
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such index file", str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a readable index: {exc}", str(path)) from None
    try:
        return OrganizationIndex.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(f"invalid organization index at {loc}: {first['msg']}", str(path)) from None


def save_index(index: OrganizationIndex, path: str | Path) -> None:
    # `kind` first so is_index_document can sniff it.
    write_text_atomic(path, index.model_dump_json(indent=1), mode=0o600)
