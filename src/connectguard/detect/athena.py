"""``--emit athena``: the CloudTrail table for an organisation trail's bucket, and one query per rule.

The table follows AWS's documented CloudTrail table with partition projection ("Create
the table for CloudTrail logs in Athena using partition projection"). That document's
table covers one account and one Region; an organisation trail writes
``s3://bucket/[prefix/]AWSLogs/<org-id>/<account>/CloudTrail/<region>/yyyy/MM/dd/``, so
account and region are added as projected partitions (enum values from the options).
The organisation-trail variant of the DDL has not been executed against Athena here
(UNCONFIRMED); the queries are the very text the local engine runs in DuckDB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectguard.detect.rules import ALL_TIME, RuleSet, TimeWindow, correlation_query, rule_query
from connectguard.detect.schema import ATHENA_COLUMNS_DDL

TABLE = "cloudtrail_logs"


@dataclass(frozen=True)
class AthenaTarget:
    bucket: str
    prefix: str = ""
    org_id: str | None = None
    accounts: Sequence[str] = ()
    regions: Sequence[str] = ()
    start_day: str = "2020/01/01"

    def location(self) -> str:
        base = f"s3://{self.bucket}/" + (self.prefix.strip("/") + "/" if self.prefix.strip("/") else "") + "AWSLogs/"
        return base + (f"{self.org_id}/" if self.org_id else "")


def create_table(target: AthenaTarget) -> str:
    org = target.org_id is not None
    props = [
        ("projection.enabled", "true"),
        ("projection.timestamp.type", "date"),
        ("projection.timestamp.format", "yyyy/MM/dd"),
        ("projection.timestamp.interval", "1"),
        ("projection.timestamp.interval.unit", "DAYS"),
        ("projection.timestamp.range", f"{target.start_day},NOW"),
    ]
    template = target.location() + "${account}/CloudTrail/${region}/${timestamp}"
    partitions = ["account string", "region string", "`timestamp` string"]
    accounts = ",".join(target.accounts) or "111122223333"
    regions = ",".join(target.regions) or "us-east-1"
    props += [
        ("projection.account.type", "enum"),
        ("projection.account.values", accounts),
        ("projection.region.type", "enum"),
        ("projection.region.values", regions),
        ("storage.location.template", template),
    ]
    notes = []
    if not target.accounts:
        notes.append("-- EDIT: projection.account.values lists a placeholder account; give --account for each member.")
    if not target.regions:
        notes.append("-- EDIT: projection.region.values lists us-east-1 only; give --region for each Region logged.")
    if not org:
        notes.append("-- Single-account trail layout (no organisation id in the path); give --org-id for an organisation trail.")
    prop_text = ",\n".join(f"  '{k}'='{v}'" for k, v in props)
    return (
        "-- connectguard: CloudTrail table with partition projection (AWS documented shape; the organisation-trail\n"
        "-- partitions account and region are UNCONFIRMED against Athena).\n"
        + ("\n".join(notes) + "\n" if notes else "")
        + f"CREATE EXTERNAL TABLE IF NOT EXISTS {TABLE} (\n{ATHENA_COLUMNS_DDL}\n)\n"
        + f"PARTITIONED BY ({', '.join(partitions)})\n"
        + "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
        + "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
        + "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        + f"LOCATION '{target.location()}'\n"
        + f"TBLPROPERTIES (\n{prop_text}\n);\n"
    )


def rule_queries(ruleset: RuleSet, window: TimeWindow = ALL_TIME) -> dict[str, str]:
    """file name -> SQL, one per rule (correlations included; their base rules only when they alert alone)."""
    out: dict[str, str] = {}
    for rule in ruleset.rules:
        if not rule.generate or rule.extra_fields:
            continue  # extra fields: Athena's table has no such column (see not_for_athena)
        header = f"-- {rule.title}\n-- rule {rule.id} ({rule.key}), severity {rule.severity.value}\n"
        if not window.since:
            header += "-- No --since given: the query scans every day of the trail. Add a time window to prune partitions.\n"
        out[f"{rule.key}.sql"] = header + rule_query(rule, window, TABLE) + ";\n"
    for corr in ruleset.correlations:
        if any(b.extra_fields for b in corr.base):
            continue
        header = (
            f"-- {corr.title}\n-- correlation {corr.id} ({corr.key}), severity {corr.severity.value}: "
            f"at least {corr.threshold} events within {corr.timespan_seconds} s per "
            f"{', '.join(corr.group_by) or 'trail'}\n"
        )
        out[f"{corr.key}.sql"] = header + correlation_query(corr, window, TABLE) + ";\n"
    return out


def not_for_athena(ruleset: RuleSet) -> list[tuple[str, str]]:
    """(rule, why) for rules that use fields Athena's CloudTrail table does not have."""
    out = [(r.key, f"uses {', '.join(sorted(r.extra_fields))}, not a column of the table")
           for r in ruleset.rules if r.generate and r.extra_fields]
    out += [(c.key, "a base rule uses fields that are not columns of the table")
            for c in ruleset.correlations if any(b.extra_fields for b in c.base)]
    return out
