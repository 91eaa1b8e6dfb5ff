"""A cache of compiled rule sets, so a detection run does not parse Sigma YAML every time.

Parsing the pack with pySigma, importing it and validating the configuration with pydantic
cost about half a CPU-second per run, longer than reading 100,000 events. What a run needs
from them - each rule's SQL, prefilter, severity and the loader's warnings - is small, so it
is kept as JSON in ``$XDG_CACHE_HOME/connectguard`` (``~/.cache/connectguard``).

The key is a SHA-256 over everything the compiled result depends on: every rule file's path
and bytes, the configuration file's path and bytes (or "none"), whether the pack is
included, the pySigma version and the source of the modules that compile rules. Any change to
one of them is a different entry, so a stale entry cannot be used. JSON rather than pickle: an
entry is data, never code. The cache is an optimisation only: a missing, unreadable,
unwritable or malformed entry means the rules are compiled as without it, and any input error
(a bad rule file, a bad configuration) is raised by that normal path, since an entry is only
ever written after a successful compile.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from connectguard.conventions import Severity
from connectguard.detect.rules import PACK_DIR, CorrelationRule, DetectionRule, RuleSet, rule_files

FORMAT = "connectguard-detect-rules/1"
_COMPILING_MODULES = ("rules.py", "compiler.py", "sqltext.py", "schema.py", "rulecache.py")
DEFAULT_CONFIG_NAME = "connectguard.toml"  # as connectguard.config (not imported: pydantic is slow to import)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "connectguard"


def cached_rules(
    directories: Sequence[Path],
    *,
    include_pack: bool,
    config_path: Path | None,
    compile_rules: Callable[[], RuleSet],
) -> RuleSet:
    """The rule set ``compile_rules()`` returns for these inputs, from the cache when an entry exists."""
    key = _key(directories, include_pack, config_path)
    if key is None:
        return compile_rules()
    entry = cache_dir() / f"rules-{key}.json"
    try:
        return _decode(json.loads(entry.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no entry, or one this code cannot read: compile
    ruleset = compile_rules()
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}")
        tmp.write_text(json.dumps(_encode(ruleset)), encoding="utf-8")
        os.replace(tmp, entry)  # atomic: a concurrent run reads the old state or the whole entry
    except OSError:
        pass  # a read-only home directory only costs the next run the compile
    return ruleset


def _key(directories: Sequence[Path], include_pack: bool, config_path: Path | None) -> str | None:
    """None when an input cannot be read here: the normal path then reports it."""
    h = hashlib.sha256(FORMAT.encode())
    try:
        h.update(_pysigma_version().encode())
        here = Path(__file__).parent
        for name in _COMPILING_MODULES:
            h.update((here / name).read_bytes())
        if config_path is None and Path(DEFAULT_CONFIG_NAME).is_file():
            config_path = Path(DEFAULT_CONFIG_NAME)
        if config_path is None:
            h.update(b"\0config:none")
        else:
            h.update(b"\0config:" + str(Path(config_path).resolve()).encode() + b"\0" + Path(config_path).read_bytes())
        h.update(b"\0pack:%d" % include_pack)
        for directory in ([PACK_DIR] if include_pack else []) + [Path(d) for d in directories]:
            if not directory.is_dir():
                return None
            h.update(b"\0dir:" + str(directory.resolve()).encode())
            for path in rule_files(directory):
                data = path.read_bytes()
                h.update(b"\0file:%s\0%d\0" % (str(path).encode(), len(data)) + data)
    except Exception:  # noqa: BLE001 - any failure to build the key: compile as without a cache
        return None
    return h.hexdigest()


def _pysigma_version() -> str:
    """The installed pySigma's dist-info name (it holds the version): a directory listing, where
    importlib.metadata costs more to import than the rest of the key together."""
    import importlib.util

    spec = importlib.util.find_spec("sigma")
    if spec is not None and spec.submodule_search_locations:
        site = Path(next(iter(spec.submodule_search_locations))).parent
        names = sorted(n for n in os.listdir(site) if n.lower().startswith("pysigma-") and n.endswith(".dist-info"))
        if names:
            return ",".join(names)
    from importlib.metadata import version

    return version("pySigma")


def _encode(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "rules": [
            {
                "id": r.id, "name": r.name, "title": r.title, "severity": r.severity.value,
                "description": r.description, "falsepositives": r.falsepositives, "source": r.source,
                "condition_sql": r.condition_sql, "fields": sorted(r.fields), "warnings": r.warnings,
                "eventbridge": r.eventbridge, "generate": r.generate, "extra_fields": sorted(r.extra_fields),
                "prefilter": [r.prefilter[0], list(r.prefilter[1])] if r.prefilter else None,
            }
            for r in ruleset.rules
        ],
        "correlations": [
            {
                "id": c.id, "name": c.name, "title": c.title, "severity": c.severity.value,
                "description": c.description, "source": c.source, "base": [b.id for b in c.base],
                "group_by": c.group_by, "timespan_seconds": c.timespan_seconds, "threshold": c.threshold,
                "strict": c.strict, "warnings": c.warnings,
            }
            for c in ruleset.correlations
        ],
        "warnings": ruleset.warnings,
    }


def _decode(doc: dict[str, Any]) -> RuleSet:
    rules = [
        DetectionRule(
            id=r["id"], name=r["name"], title=r["title"], severity=Severity(r["severity"]),
            description=r["description"], falsepositives=list(r["falsepositives"]), source=r["source"],
            condition_sql=r["condition_sql"], fields=set(r["fields"]), warnings=list(r["warnings"]), sigma=None,
            eventbridge=bool(r["eventbridge"]), generate=bool(r["generate"]),
            extra_fields=frozenset(r["extra_fields"]),
            prefilter=(r["prefilter"][0], tuple(r["prefilter"][1])) if r["prefilter"] else None,
        )
        for r in doc["rules"]
    ]
    by_id = {r.id: r for r in rules}
    correlations = [
        CorrelationRule(
            id=c["id"], name=c["name"], title=c["title"], severity=Severity(c["severity"]),
            description=c["description"], source=c["source"], base=[by_id[b] for b in c["base"]],
            group_by=list(c["group_by"]), timespan_seconds=int(c["timespan_seconds"]),
            threshold=int(c["threshold"]), strict=bool(c["strict"]), warnings=list(c["warnings"]),
        )
        for c in doc["correlations"]
    ]
    return RuleSet(rules, correlations, list(doc["warnings"]))


# ----------------------------------------------------------------------------- rule trials
# The engine tries every rule's SQL on a sample record before a run, so that a rule DuckDB
# rejects is named and left out rather than failing the run; planning those statements costs
# about 0.1 CPU-second. Whether DuckDB accepts a statement depends only on its text, the
# macros and view it runs against and DuckDB's version: a marker keyed by all of them records
# that they were all accepted. A missing marker only means the trial runs.


def trial_key(*texts: str) -> str:
    import duckdb

    h = hashlib.sha256(b"connectguard-detect-trial/1\0" + duckdb.__version__.encode())
    for text in texts:
        h.update(b"\0" + text.encode())
    return h.hexdigest()


def trial_passed(key: str) -> bool:
    return (cache_dir() / f"trial-{key}.ok").is_file()


def remember_trial(key: str) -> None:
    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
        (cache_dir() / f"trial-{key}.ok").touch()
    except OSError:
        pass
