"""The parts of the rule SQL that need no Sigma parser: how a field reads, string literals, the prefilter.

Kept apart from :mod:`connectguard.detect.compiler` so that running rules already compiled
(the rule cache, :mod:`connectguard.detect.rulecache`) does not import pySigma.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectguard.detect.schema import JSON_COLUMNS, is_envelope_key, known_struct_path

_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class FieldRef:
    """How one Sigma field reads in SQL."""

    name: str
    scalar: str  # text of the value (SQL NULL when absent)
    json_column: str | None = None  # for fields inside a JSON-text column
    json_path: str | None = None
    known: bool = True
    extra: str | None = None  # a top-level key outside the documented record, read as JSON


def resolve_field(name: str) -> FieldRef:
    parts = name.split(".")
    head = parts[0].lower()
    if head in JSON_COLUMNS:
        if len(parts) == 1:  # the whole part, as JSON text
            return FieldRef(name, head)
        rest = parts[1:]
        if not all(_SIMPLE_KEY.match(p) for p in rest):
            return FieldRef(name, "CAST(NULL AS VARCHAR)", known=False)
        path = "$." + ".".join(rest)
        scalar = f"coalesce(json_extract_scalar({head}, '{path}'), json_format(json_extract({head}, '{path}')))"
        return FieldRef(name, scalar, json_column=head, json_path=path)
    if known_struct_path(parts):
        return FieldRef(name, ".".join(p.lower() for p in parts))
    if not is_envelope_key(parts[0]) and all(_SIMPLE_KEY.match(p) for p in parts):
        # Not a documented CloudTrail field: read it from the records as JSON (local engine only;
        # Athena's table has no such column).
        column = parts[0].lower()
        path = "$" + "".join("." + p for p in parts[1:])
        scalar = f"coalesce(json_extract_scalar({column}, '{path}'), json_format(json_extract({column}, '{path}')))"
        return FieldRef(name, scalar, json_column=column, json_path=path, known=False, extra=parts[0])
    return FieldRef(name, "CAST(NULL AS VARCHAR)", known=False)


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def correlation_field(name: str) -> str:
    """A group-by field of a correlation rule as SQL (case preserved: groups are exact)."""
    return resolve_field(name).scalar


def prefilter_sql(terms: list[tuple[str, tuple[str, ...]]]) -> str:
    """One lambda body from several rules' terms: one IN list per field."""
    by_path: dict[str, dict[str, None]] = {}
    for path, values in terms:
        by_path.setdefault(path, {}).update(dict.fromkeys(values))
    return " OR ".join(
        f"lower({path}) IN ({', '.join(sql_string(v) for v in values)})" for path, values in by_path.items()
    )
