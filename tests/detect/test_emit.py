"""--emit athena (same SQL, same answers as the local engine) and --emit eventbridge (valid CloudFormation)."""

from __future__ import annotations

import json
import re

import cfnlint.api
import pytest

from connectguard.cli import main
from connectguard.detect.athena import AthenaTarget, create_table, rule_queries
from connectguard.detect.corpus import write_corpus
from connectguard.detect.engine import connect, run_detection
from connectguard.detect.eventbridge import template
from connectguard.detect.reader import Loader, discover
from connectguard.detect.schema import duckdb_view_sql

from .conftest import pack_events, write_trail


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    planted = [e for doc in pack_events().values() for kind in ("positive", "negative") for e in doc[kind]]
    write_corpus(root, 2000, per_file=200, planted=planted)
    return root


def _strip(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.startswith("--")).rstrip().rstrip(";")


def test_athena_queries_and_local_engine_agree(pack, corpus, tmp_path):
    # Local engine: streaming, four files per batch, correlations over the kept matches.
    alerts, stats = run_detection(pack, discover([str(corpus)]), batch_files=4)
    local = {(a.rule, a.event_id) for a in alerts}
    # Athena's text, run as-is over one view of the whole corpus (what Athena would scan).
    con = connect()
    Loader(con).load([(f, f.local) for f in discover([str(corpus)])])
    con.execute(duckdb_view_sql("ct_events"))
    emitted = set()
    for name, sql in rule_queries(pack).items():
        assert not re.search(r"ILIKE|->>|::|\bstruct_extract\b", sql), name  # Trino has none of these
        for row in con.execute(_strip(sql)).fetchall():
            emitted.add((row[0], row[1]))
    assert emitted == local
    assert len({r for r, _ in local}) == len(rule_queries(pack))  # every rule fired on the corpus
    assert stats.events == 2000 + sum(len(d["positive"]) + len(d["negative"]) for d in pack_events().values())


def test_create_table_for_an_organisation_trail():
    ddl = create_table(AthenaTarget(bucket="org-trail", prefix="ct", org_id="o-abc123", accounts=["111122223333"],
                                    regions=["us-east-1", "eu-west-2"]))
    assert "LOCATION 's3://org-trail/ct/AWSLogs/o-abc123/'" in ddl
    assert "'storage.location.template'='s3://org-trail/ct/AWSLogs/o-abc123/${account}/CloudTrail/${region}/${timestamp}'" in ddl
    assert "'projection.region.values'='us-east-1,eu-west-2'" in ddl
    assert "requestparameters STRING" in ddl and "PARTITIONED BY (account string, region string, `timestamp` string)" in ddl


def test_emit_athena_writes_one_file_per_rule(pack, tmp_path, capsys):
    code = main(["detect", "--emit", "athena", "--bucket", "b", "--emit-dir", str(tmp_path / "sql"),
                 "--since", "2026-11-01"])
    assert code == 0
    files = sorted(p.name for p in (tmp_path / "sql").iterdir())
    assert files[0] == "00_create_table.sql" and len(files) == 1 + len(rule_queries(pack))
    text = (tmp_path / "sql" / "connect_emergency_access_login.sql").read_text()
    assert "\"timestamp\" >= '2026/11/01'" in text  # partition pruning


def test_eventbridge_template_passes_cfn_lint_and_covers_the_paging_rules(pack, tmp_path):
    doc, batch_only = template(pack)
    matches = cfnlint.api.lint(json.dumps(doc))
    assert [str(m) for m in matches] == []
    # EventBridge cannot publish to a topic under the AWS-managed SNS key
    assert doc["Resources"]["AlertTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "AlertTopicKey"}
    key_policy = doc["Resources"]["AlertTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert any(st["Principal"] == {"Service": "events.amazonaws.com"} for st in key_policy)
    patterns = {r["Properties"]["Name"]: r["Properties"]["EventPattern"]
                for r in doc["Resources"].values() if r["Type"] == "AWS::Events::Rule"}
    emergency = patterns["connectguard-connect_emergency_access_login"]
    assert emergency == {
        "source": ["aws.connect"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["connect.amazonaws.com"],
                   "eventName": ["AdminGetEmergencyAccessToken", "GetFederationTokens"]},
    }
    assert patterns["connectguard-connect_instance_deleted"]["detail"]["eventName"] == ["DeleteInstance"]
    logging_off = patterns["connectguard-connect_flow_logging_disabled"]["detail"]
    assert logging_off["requestParameters"] == {"AttributeType": [{"equals-ignore-case": "CONTACTFLOW_LOGS"}],
                                                "Value": [{"equals-ignore-case": "false"}]}
    assert dict(batch_only) .keys() == {"connect_access_denied_burst"}
    single = [r for r in pack.rules if r.generate]
    assert len(patterns) == len(single)


def test_eventbridge_lists_rules_it_cannot_express(tmp_path):
    from connectguard.detect.rules import load_rules

    d = tmp_path / "r"
    d.mkdir()
    (d / "neg.yml").write_text("""title: not root service
id: 9d0b6f7e-0000-4000-8000-0000000000aa
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {userIdentity.type: Root}
  svc: {eventType: AwsServiceEvent}
  condition: sel and not svc
""")
    _, batch_only = template(load_rules([d], include_pack=False))
    assert batch_only and "not expressible" in batch_only[0][1]


def test_emit_eventbridge_cli(tmp_path, capsys):
    assert main(["detect", "--emit", "eventbridge", "-o", str(tmp_path / "t.json")]) == 0
    assert json.loads((tmp_path / "t.json").read_text())["Resources"]["AlertTopic"]["Type"] == "AWS::SNS::Topic"
    assert main(["detect", "--emit", "athena"]) == 2  # needs --bucket
    write_trail(tmp_path / "x.json.gz", [])


def _eb_value_matches(spec: object, value: object) -> bool:
    """EventBridge's matching for the operators the template uses (AWS "Content filtering in event patterns")."""
    if not isinstance(value, str):
        return False
    if isinstance(spec, str):
        return spec == value
    assert isinstance(spec, dict) and len(spec) == 1
    (op, arg), = spec.items()
    if op == "equals-ignore-case":
        return value.lower() == arg.lower()
    if op in ("prefix", "suffix"):
        ci = isinstance(arg, dict)
        text, probe = (value.lower(), arg["equals-ignore-case"].lower()) if ci else (value, arg)
        return text.startswith(probe) if op == "prefix" else text.endswith(probe)
    if op == "wildcard":
        return re.fullmatch(".*".join(re.escape(p) for p in arg.split("*")), value, re.DOTALL) is not None
    raise AssertionError(f"operator {op} not covered by this test")


def _eb_matches(pattern: dict, event: dict) -> bool:
    for key, spec in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(spec, dict):
            if not isinstance(value, dict) or not _eb_matches(spec, value):
                return False
            continue
        values = value if isinstance(value, list) else [value]
        if not any(_eb_value_matches(s, v) for s in spec for v in values):
            return False
    return True


def test_eventbridge_patterns_match_the_rules_test_events(pack):
    doc, _ = template(pack)
    by_name = {r["Properties"]["Name"].removeprefix("connectguard-"): r["Properties"]["EventPattern"]
               for r in doc["Resources"].values() if r["Type"] == "AWS::Events::Rule"}
    events = pack_events()
    assert set(by_name) <= set(events)
    for name, pattern in by_name.items():
        for kind, expected in (("positive", True), ("negative", False)):
            for event in events[name][kind]:
                envelope = {"source": "aws." + event["eventSource"].split(".")[0],
                            "detail-type": "AWS API Call via CloudTrail", "detail": event}
                assert _eb_matches(pattern, envelope) is expected, (name, kind, event["eventName"])
