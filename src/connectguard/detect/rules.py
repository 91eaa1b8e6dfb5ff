"""Load Sigma rules (the Connect pack, the user's own, SigmaHQ's) with pySigma and compile them.

A rule pack directory holds Sigma YAML files (``*.yml`` / ``*.yaml``); the pack shipped
here keeps each rule's positive and negative test events beside it in
``<rule>.events.json`` (never loaded as rules). Rules whose logsource is not
``product: aws`` + ``service: cloudtrail`` are left out with a warning, as are rules
using constructs the SQL compiler does not translate; a bad YAML file is an input error
naming the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectguard.conventions import InputError, Severity
from connectguard.detect.sqltext import correlation_field, prefilter_sql, sql_string

if TYPE_CHECKING:
    from sigma.correlations import SigmaCorrelationRule
    from sigma.rule import SigmaRule

    from connectguard.config import DetectConfig

# pySigma, PyYAML and the configuration (pydantic) are imported only when rules are parsed:
# running rules from the cache (connectguard.detect.rulecache) needs none of them.

PACK_DIR = Path(__file__).parent / "rules"

# The pack rules whose selections the configuration rewrites (see DetectConfig).
ROLE_RULE_NAME = "connect_signin_role_deleted_or_trust_changed"
ROLE_SELECTION = "connect_roles"
ROLE_FIELD = "requestParameters.roleName"
BURST_RULE_NAME = "connect_access_denied_burst"

# What every rule query returns: the alert's fields (plus requestparameters, for enrichment).
ALERT_COLUMNS = (
    "eventid",
    "eventtime",
    "eventname",
    "eventsource",
    "coalesce(useridentity.arn, useridentity.invokedby, useridentity.principalid) AS actor",
    "sourceipaddress",
    "recipientaccountid",
    "awsregion",
    "requestparameters",
)
ALERT_COLUMN_NAMES = tuple(c.rsplit(" AS ", 1)[-1] for c in ALERT_COLUMNS)


@dataclass
class DetectionRule:
    id: str
    name: str | None
    title: str
    severity: Severity
    description: str
    falsepositives: list[str]
    source: str
    condition_sql: str
    fields: set[str]
    warnings: list[str]
    sigma: SigmaRule | None  # None when loaded from the rule cache (only --emit eventbridge needs it)
    eventbridge: bool = True  # the pack may mark a rule as batch-only
    generate: bool = True  # False: only feeds a correlation (Sigma's correlation `generate: false`)
    extra_fields: frozenset[str] = frozenset()  # top-level keys outside the documented record (local only)
    prefilter: tuple[str, tuple[str, ...]] | None = None  # a necessary condition over one raw record (loader-side candidate filter)

    @property
    def key(self) -> str:
        return self.name or self.id


@dataclass
class CorrelationRule:
    id: str
    name: str | None
    title: str
    severity: Severity
    description: str
    source: str
    base: list[DetectionRule]
    group_by: list[str]
    timespan_seconds: int
    threshold: int
    strict: bool  # gt rather than gte
    warnings: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.name or self.id


@dataclass
class RuleSet:
    rules: list[DetectionRule] = field(default_factory=list)
    correlations: list[CorrelationRule] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # "file: message"

    def all_ids(self) -> list[str]:
        return [r.id for r in self.rules] + [c.id for c in self.correlations]

    def extra_fields(self) -> list[str]:
        return sorted(set().union(*(r.extra_fields for r in self.rules))) if self.rules else []

    def prefilter_terms(self) -> list[tuple[str, tuple[str, ...]]] | None:
        """Every rule's necessary condition; None when some rule has none (every record is a candidate)."""
        terms = [r.prefilter for r in self.rules]
        if not terms or any(t is None for t in terms):
            return None
        return terms  # type: ignore[return-value]

    def prefilter(self) -> str | None:
        """The union of every rule's necessary condition as SQL; None when some rule has none (keep all)."""
        terms = self.prefilter_terms()
        return prefilter_sql(terms) if terms is not None else None


@dataclass(frozen=True)
class TimeWindow:
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def predicates(self) -> list[str]:
        """Partition pruning for Athena (``timestamp`` is yyyy/MM/dd) and the exact bound on eventtime."""
        out = []
        if self.since:
            s = self.since.astimezone(dt.UTC)
            out.append(f"\"timestamp\" >= '{s:%Y/%m/%d}'")
            out.append(f"eventtime >= '{s:%Y-%m-%dT%H:%M:%SZ}'")
        if self.until:
            u = self.until.astimezone(dt.UTC)
            out.append(f"\"timestamp\" <= '{u:%Y/%m/%d}'")
            out.append(f"eventtime < '{u:%Y-%m-%dT%H:%M:%SZ}'")
        return out


ALL_TIME = TimeWindow()


# ----------------------------------------------------------------------------- loading


def rule_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise InputError("not a directory of Sigma rules", str(directory))
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def _read_yaml_docs(path: Path) -> list[dict[str, Any]]:
    import yaml

    # libyaml's safe loader when PyYAML was built with it: the same documents, ten times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        docs = [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader) if d is not None]
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read rule file: {exc}", str(path)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {str(exc).splitlines()[0]}", str(path)) from None
    if not all(isinstance(d, dict) for d in docs):
        raise InputError("a Sigma rule file must hold YAML mappings", str(path))
    return docs


def _apply_config(doc: dict[str, Any], config: DetectConfig) -> dict[str, Any]:
    if doc.get("name") == ROLE_RULE_NAME:
        detection = doc.get("detection", {})
        if ROLE_SELECTION in detection:
            detection[ROLE_SELECTION] = {ROLE_FIELD: list(config.connect_role_patterns)}
    if doc.get("name") == BURST_RULE_NAME and isinstance(doc.get("correlation"), dict):
        doc["correlation"]["timespan"] = f"{config.access_denied_window_minutes}m"
        doc["correlation"]["condition"] = {"gte": config.access_denied_threshold}
    return doc


def load_rules(
    directories: Sequence[Path] = (),
    *,
    include_pack: bool = True,
    config: DetectConfig | None = None,
) -> RuleSet:
    """Parse and compile the pack (unless ``include_pack`` is false) and every rule under ``directories``."""
    from sigma.collection import SigmaCollection
    from sigma.correlations import SigmaCorrelationRule
    from sigma.exceptions import SigmaError
    from sigma.rule import SigmaRule

    if config is None:
        from connectguard.config import DetectConfig

        config = DetectConfig()
    dirs = ([PACK_DIR] if include_pack else []) + [Path(d) for d in directories]
    docs: list[dict[str, Any]] = []
    origin: list[str] = []
    for directory in dirs:
        for path in rule_files(directory):
            for doc in _read_yaml_docs(path):
                docs.append(_apply_config(doc, config))
                origin.append(str(path))
    result = RuleSet()
    parsed: list[tuple[Any, str]] = []
    # Parse one document at a time, so that a bad rule names its file and the others load.
    for doc, src in zip(docs, origin, strict=True):
        kind = SigmaCorrelationRule if "correlation" in doc else SigmaRule
        try:
            item = kind.from_dict(doc, collect_errors=True)
        except (SigmaError, ValueError, TypeError, KeyError, AttributeError) as exc:
            result.warnings.append(f"{src}: rule not loaded: {exc}")
            continue
        if item.errors:
            result.warnings.append(f"{src}: rule {doc.get('title', '?')!r} not loaded: {item.errors[0]}")
            continue
        parsed.append((item, src))
    collection = SigmaCollection([p for p, _ in parsed])
    try:
        collection.resolve_rule_references()
    except SigmaError as exc:
        result.warnings.append(f"correlation rule not resolved: {exc}")
    src_of = {id(p): s for p, s in parsed}
    compiled: dict[int, DetectionRule] = {}
    seen_ids: set[str] = set()
    other_logsource: list[str] = []
    for item in collection.rules:
        if isinstance(item, SigmaRule):
            src = src_of.get(id(item), "?")
            if str(item.id) in seen_ids:
                result.warnings.append(f"{src}: duplicate rule id {item.id}; second copy ignored")
                continue
            rule = _compile_rule(item, src, result.warnings, other_logsource)
            if rule is not None:
                seen_ids.add(rule.id)
                compiled[id(item)] = rule
                result.rules.append(rule)
    if other_logsource:
        result.warnings.append(
            f"{len(other_logsource)} rule(s) skipped: logsource is not product aws / service cloudtrail "
            f"(first: {other_logsource[0]})"
        )
    for item in collection.rules:
        if isinstance(item, SigmaCorrelationRule):
            src = src_of.get(id(item), "?")
            corr = _compile_correlation(item, src, compiled, result.warnings)
            if corr is not None:
                result.correlations.append(corr)
    return result


def _is_cloudtrail(rule: SigmaRule) -> bool:
    ls = rule.logsource
    return (ls.product or "").lower() == "aws" and (ls.service or "").lower() == "cloudtrail"


def _compile_rule(item: SigmaRule, src: str, warnings: list[str], other_logsource: list[str]) -> DetectionRule | None:
    from sigma.exceptions import SigmaError

    from connectguard.detect.compiler import UnsupportedRule, compile_condition, prefilter_term

    if not _is_cloudtrail(item):
        other_logsource.append(src)  # reported once, in a summary: a whole SigmaHQ checkout is thousands
        return None
    try:
        conditions = [c.parsed for c in item.detection.parsed_condition]
        parts = [compile_condition(c) for c in conditions]
    except (UnsupportedRule, SigmaError) as exc:
        warnings.append(f"{src}: rule {item.title!r} skipped: {exc}")
        return None
    sql = parts[0].sql if len(parts) == 1 else "(" + " OR ".join(p.sql for p in parts) + ")"
    fields = set().union(*(p.fields for p in parts))
    extra = frozenset().union(*(p.extra for p in parts))
    rule_warnings = [w for p in parts for w in p.warnings]
    for w in rule_warnings:
        warnings.append(f"{src}: rule {item.title!r}: {w}")
    custom = item.custom_attributes or {}
    return DetectionRule(
        id=str(item.id),
        name=item.name,
        title=item.title,
        severity=Severity.from_sigma(item.level.name if item.level else None),
        description=(item.description or "").strip(),
        falsepositives=list(item.falsepositives or []),
        source=src,
        condition_sql=sql,
        fields=fields,
        warnings=rule_warnings,
        sigma=item,
        eventbridge=bool(custom.get("connectguard_eventbridge", True)),
        prefilter=prefilter_term(conditions[0]) if len(conditions) == 1 else None,
        extra_fields=extra,
    )


def _compile_correlation(
    item: SigmaCorrelationRule, src: str, compiled: dict[int, DetectionRule], warnings: list[str]
) -> CorrelationRule | None:
    from sigma.correlations import SigmaCorrelationConditionOperator, SigmaCorrelationType

    if item.type != SigmaCorrelationType.EVENT_COUNT:
        warnings.append(f"{src}: correlation {item.title!r} skipped: only event_count correlations are supported")
        return None
    cond = item.condition
    if cond is None or cond.op not in (SigmaCorrelationConditionOperator.GTE, SigmaCorrelationConditionOperator.GT):
        warnings.append(f"{src}: correlation {item.title!r} skipped: only gte/gt thresholds are supported")
        return None
    base = []
    for ref in item.rules:
        rule = compiled.get(id(ref.rule)) if getattr(ref, "rule", None) is not None else None
        if rule is None:
            warnings.append(f"{src}: correlation {item.title!r} skipped: rule {ref.reference!r} not loaded")
            return None
        base.append(rule)
    if not getattr(item, "generate", False):
        for rule in base:
            rule.generate = False
    return CorrelationRule(
        id=str(item.id),
        name=item.name,
        title=item.title,
        severity=Severity.from_sigma(item.level.name if item.level else None),
        description=(item.description or "").strip(),
        source=src,
        base=base,
        group_by=list(item.group_by or []),
        timespan_seconds=int(item.timespan.seconds),
        threshold=int(cond.count),
        strict=cond.op == SigmaCorrelationConditionOperator.GT,
    )


# ----------------------------------------------------------------------------- SQL text


def rule_query(rule: DetectionRule, window: TimeWindow = ALL_TIME, table: str = "cloudtrail_logs") -> str:
    """The one SQL text for a single-event rule: Athena runs it over the trail's table, DuckDB over its view."""
    where = [rule.condition_sql, *window.predicates()]
    return (
        f"SELECT {sql_string(rule.id)} AS rule_id, {', '.join(ALERT_COLUMNS)}\n"
        f"FROM {table}\n"
        f"WHERE " + "\n  AND ".join(where)
    )


def correlation_query(corr: CorrelationRule, window: TimeWindow = ALL_TIME, table: str = "cloudtrail_logs") -> str:
    """Bursts: for each group, an event followed within the timespan by at least the threshold of events.

    One alert per burst: a qualifying start is reported unless an earlier qualifying start of
    the same group lies within the timespan before it (so a sustained stream is one alert).
    The alert carries the first event's fields and the ids of every event in its window.
    """
    cond = " OR ".join(f"({r.condition_sql})" for r in corr.base)
    where = [f"({cond})", *window.predicates()]
    group = (
        "concat_ws('|', " + ", ".join(f"coalesce({correlation_field(g)}, '')" for g in corr.group_by) + ")"
        if corr.group_by
        else "''"
    )
    span = f"INTERVAL '{corr.timespan_seconds}' SECOND"
    op = ">" if corr.strict else ">="
    cols = ", ".join(ALERT_COLUMNS)
    plain = ", ".join(f"s.{c}" for c in ALERT_COLUMN_NAMES)
    return f"""WITH base AS (
  SELECT {cols}, from_iso8601_timestamp(eventtime) AS ts, {group} AS grp
  FROM {table}
  WHERE {' AND '.join(where)}
),
counted AS (
  SELECT base.*, count(*) OVER (PARTITION BY grp ORDER BY ts RANGE BETWEEN CURRENT ROW AND {span} FOLLOWING) AS n
  FROM base
),
starts AS (
  SELECT counted.*, lag(ts) OVER (PARTITION BY grp ORDER BY ts) AS prev_start
  FROM counted
  WHERE n {op} {corr.threshold}
)
SELECT {sql_string(corr.id)} AS rule_id, {plain}, s.n AS burst_size,
  array_agg(b.eventid ORDER BY b.ts, b.eventid) AS burst_event_ids
FROM starts s JOIN base b ON b.grp = s.grp AND b.ts >= s.ts AND b.ts <= s.ts + {span}
WHERE s.prev_start IS NULL OR s.prev_start < s.ts - {span}
GROUP BY {plain}, s.n"""


def iter_rules(ruleset: RuleSet) -> Iterable[DetectionRule | CorrelationRule]:
    yield from ruleset.rules
    yield from ruleset.correlations
