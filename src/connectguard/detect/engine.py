"""The local detection engine: CloudTrail files -> DuckDB (batch by batch) -> the rules' SQL -> alerts.

Every rule runs as the very SQL text ``--emit athena`` writes, against a DuckDB view
with Athena's column names (see :mod:`connectguard.detect.schema`). Correlation rules
need events from many batches: each batch's events matching a correlation's base rules
are kept (only those, so memory follows the matches, not the corpus) and the
correlation's SQL runs once over them at the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from connectguard.conventions import Severity
from connectguard.detect.reader import BatchResult, Loader, LogFile, Skipped, Staging
from connectguard.detect.rulecache import remember_trial, trial_key, trial_passed
from connectguard.detect.rules import (
    ALERT_COLUMN_NAMES,
    ALL_TIME,
    CorrelationRule,
    DetectionRule,
    RuleSet,
    TimeWindow,
    correlation_query,
    rule_query,
)
from connectguard.detect.scan import CandidateScanner
from connectguard.detect.schema import DUCKDB_MACROS, duckdb_view_sql, sample_record

DEFAULT_BATCH_FILES = 100
# Records held before the rules run over them. A batch read by DuckDB whole (no byte scan) holds
# up to batch_files x 1,000 records and is evaluated at once, as before the scan existed.
EVALUATE_ROWS = 20_000
VIEW = "cloudtrail_logs"


@dataclass
class Alert:
    rule: str  # the rule's id
    rule_name: str | None
    title: str
    severity: Severity
    event_id: str | None
    event_time: str | None
    event_name: str | None
    event_source: str | None
    actor: str | None
    source_ip: str | None
    account: str | None
    region: str | None
    related_event_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    request_parameters: str | None = None  # kept for enrichment, never printed

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity.value,
            "event_id": self.event_id,
            "event_time": self.event_time,
            "event_name": self.event_name,
            "event_source": self.event_source,
            "actor": self.actor,
            "source_ip": self.source_ip,
            "account": self.account,
            "region": self.region,
        }
        if self.rule_name:
            doc["rule_name"] = self.rule_name
        if self.related_event_ids:
            doc["related_event_ids"] = self.related_event_ids
        if self.notes:
            doc["notes"] = self.notes
        return doc


@dataclass
class RunStats:
    files: int = 0
    events: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"files": self.files, "events": self.events, "skipped": [s.as_dict() for s in self.skipped]}


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for macro in DUCKDB_MACROS:
        con.execute(macro)
    return con


class Engine:
    def __init__(
        self,
        ruleset: RuleSet,
        *,
        window: TimeWindow = ALL_TIME,
        batch_files: int = DEFAULT_BATCH_FILES,
        threads: int | None = None,
        s3_client: Any = None,
    ) -> None:
        self.ruleset = ruleset
        self.window = window
        self.batch_files = max(1, batch_files)
        self.con = connect(threads)
        self.s3_client = s3_client
        self.stats = RunStats()
        self._by_id = {r.id: r for r in ruleset.rules}
        self.warnings: list[str] = []
        self.extra = ruleset.extra_fields()
        self._drop_rules_that_do_not_run()
        self._generating = [r for r in self.ruleset.rules if r.generate]
        self._batch_sql_for: dict[tuple[str, ...], str | None] = {}
        # Events matching each correlation's base rules, kept across batches.
        self._corr_tables = {corr.id: f"ct_corr_{i}" for i, corr in enumerate(self.ruleset.correlations)}
        self._corr_created: set[str] = set()

    def _drop_rules_that_do_not_run(self) -> None:
        """Run every rule once on a sample record: a rule DuckDB rejects is reported and left out,
        rather than failing every batch."""
        queries = [rule_query(r, self.window, VIEW) for r in self.ruleset.rules]
        queries += [correlation_query(c, self.window, VIEW) for c in self.ruleset.correlations]
        key = trial_key(*DUCKDB_MACROS, duckdb_view_sql("ct_events", VIEW, self.extra), *queries)
        if trial_passed(key):
            return  # these very statements were all accepted by this DuckDB before
        loader = Loader(self.con, extra=self.extra)
        loader.reset()
        self.con.execute(
            "INSERT INTO ct_events SELECT 'sample', unnest(from_json(?, ?).Records)",
            [json.dumps({"Records": [sample_record(self.extra)]}), loader.wrapper],
        )
        self.con.execute(duckdb_view_sql("ct_events", VIEW, self.extra))
        if self._all_run(queries):
            remember_trial(key)
            return
        keep_rules, keep_corr = [], []
        for rule in self.ruleset.rules:
            try:
                self.con.execute(rule_query(rule, self.window, VIEW)).fetchall()
                keep_rules.append(rule)
            except duckdb.Error as exc:
                self.warnings.append(f"{rule.source}: rule {rule.title!r} skipped: {str(exc).splitlines()[0]}")
        kept_ids = {r.id for r in keep_rules}
        for corr in self.ruleset.correlations:
            if not all(b.id in kept_ids for b in corr.base):
                self.warnings.append(f"{corr.source}: correlation {corr.title!r} skipped: a base rule does not run")
                continue
            try:
                self.con.execute(correlation_query(corr, self.window, VIEW)).fetchall()
                keep_corr.append(corr)
            except duckdb.Error as exc:
                self.warnings.append(f"{corr.source}: correlation {corr.title!r} skipped: {str(exc).splitlines()[0]}")
        self.ruleset = RuleSet(keep_rules, keep_corr, list(self.ruleset.warnings))
        self._by_id = {r.id: r for r in keep_rules}

    def _all_run(self, queries: list[str]) -> bool:
        """Do all rules run? Only when they do not are they tried one by one, to name the ones that fail."""
        if not queries:
            return True
        try:
            # count(*) gives every query the same shape, so that they can be one UNION ALL.
            self.con.execute(" UNION ALL ".join(f"(SELECT count(*) FROM ({q}))" for q in queries)).fetchall()
        except duckdb.Error:
            return False
        return True

    def run(self, files: Iterable[LogFile]) -> Iterator[Alert]:
        """Alerts as candidates are evaluated (single-event rules), then correlation alerts."""
        scanner = CandidateScanner.for_prefilter(self.ruleset.prefilter_terms())
        loader = Loader(self.con, self.ruleset.prefilter(), self.extra, scanner)
        loader.reset()
        pending = 0
        with Staging(self.s3_client) as staging:
            batch: list[LogFile] = []
            for f in files:
                batch.append(f)
                if len(batch) >= self.batch_files:
                    pending = self._load(batch, loader, staging)
                    batch = []
                    if pending >= EVALUATE_ROWS:
                        yield from self._evaluate(loader)
                        pending = 0
            if batch:
                pending = self._load(batch, loader, staging)
        if pending:
            yield from self._evaluate(loader)
        yield from self._correlate()

    def _load(self, batch: Sequence[LogFile], loader: Loader, staging: Staging) -> int:
        """Add a batch's candidate records to ``ct_events``; the number of records held there now."""
        ready, skipped = staging.stage(batch)
        self.stats.skipped.extend(skipped)
        result: BatchResult = loader.load(ready, append=True)
        staging.release()
        self.stats.files += result.files
        self.stats.events += result.events
        self.stats.skipped.extend(result.skipped)
        return int(self.con.execute("SELECT count(*) FROM ct_events").fetchone()[0])  # type: ignore[index]

    def _evaluate(self, loader: Loader) -> Iterator[Alert]:
        """Run the rules over the records held, then let them go. The rules' SQL costs about as much
        to plan as to run over a few thousand records, so with the byte scan keeping only candidates,
        records from many batches are evaluated at once (up to EVALUATE_ROWS: memory stays bounded)."""
        self.con.execute(duckdb_view_sql("ct_events", VIEW, self.extra))
        batch_sql = self._batch_sql(loader.found)
        if batch_sql:
            cur = self.con.execute(batch_sql)
            while rows := cur.fetchmany(1000):
                for row in rows:
                    yield self._alert(self._by_id[row[0]], row[1:])
        for corr in self.ruleset.correlations:
            if not any(_may_match(r, loader.found) for r in corr.base):
                continue
            table = self._corr_tables[corr.id]
            cond = " OR ".join(f"({r.condition_sql})" for r in corr.base)
            if table not in self._corr_created:
                self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {VIEW} WHERE {cond}")
                self._corr_created.add(table)
            else:
                self.con.execute(f"INSERT INTO {table} SELECT * FROM {VIEW} WHERE {cond}")
        loader.reset()

    def _batch_sql(self, found: set[str] | None) -> str | None:
        """One statement for every generating rule the held records may match, UNION ALL. Planning
        costs more than running over a few thousand candidates, so rules none of whose prefilter
        values the scan found are left out (``found`` None: every rule)."""
        rules = tuple(r.id for r in self._generating if _may_match(r, found))
        if rules not in self._batch_sql_for:
            self._batch_sql_for[rules] = "\nUNION ALL\n".join(
                f"({rule_query(self._by_id[i], self.window, VIEW)})" for i in rules) or None
        return self._batch_sql_for[rules]

    def _correlate(self) -> Iterator[Alert]:
        for corr in self.ruleset.correlations:
            table = self._corr_tables[corr.id]
            if table not in self._corr_created:
                continue
            # The same SQL text as on Athena, over a view of the kept events.
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {VIEW} AS SELECT * FROM {table}")
            rows = self.con.execute(correlation_query(corr, self.window, VIEW)).fetchall()
            for row in sorted(rows, key=lambda r: (r[2] or "", r[1] or "")):
                n_cols = len(ALERT_COLUMN_NAMES)
                alert = self._alert(corr, row[1 : 1 + n_cols])
                size, ids = row[1 + n_cols], list(row[2 + n_cols])
                alert.related_event_ids = [i for i in ids if i != alert.event_id]
                span = corr.timespan_seconds
                within = f"{span // 60} minute(s)" if span % 60 == 0 else f"{span} second(s)"
                same = f" with the same {', '.join(corr.group_by)}" if corr.group_by else ""
                alert.notes.append(f"{size} matching events within {within}{same}")
                yield alert

    @staticmethod
    def _alert(rule: DetectionRule | CorrelationRule, row: Sequence[Any]) -> Alert:
        values = dict(zip(ALERT_COLUMN_NAMES, row, strict=True))
        return Alert(
            rule=rule.id,
            rule_name=rule.name,
            title=rule.title,
            severity=rule.severity,
            event_id=values["eventid"],
            event_time=values["eventtime"],
            event_name=values["eventname"],
            event_source=values["eventsource"],
            actor=values["actor"],
            source_ip=values["sourceipaddress"],
            account=values["recipientaccountid"],
            region=values["awsregion"],
            request_parameters=values["requestparameters"],
        )


def _may_match(rule: DetectionRule, found: set[str] | None) -> bool:
    """Could a held record match ``rule``? A record matching it holds one of its prefilter values
    (compiler.prefilter_term), which the byte scan reports finding unless an escape could hide it
    (then ``found`` is None); a rule without a prefilter may match anything."""
    if found is None or rule.prefilter is None:
        return True
    return not found.isdisjoint(rule.prefilter[1])


def run_detection(
    ruleset: RuleSet,
    files: Iterable[LogFile],
    *,
    window: TimeWindow = ALL_TIME,
    batch_files: int = DEFAULT_BATCH_FILES,
    s3_client: Any = None,
) -> tuple[list[Alert], RunStats]:
    engine = Engine(ruleset, window=window, batch_files=batch_files, s3_client=s3_client)
    alerts = list(engine.run(files))
    return alerts, engine.stats
