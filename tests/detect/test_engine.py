"""The engine on the two DuckDB traps, bad files, Sigma semantics and time windows."""

from __future__ import annotations

import gzip

from connectguard.detect.corpus import generate_records, make_event
from connectguard.detect.engine import run_detection
from connectguard.detect.reader import discover
from connectguard.detect.rules import TimeWindow, load_rules

from .conftest import write_trail


def _user_rules(tmp_path, text: str):
    d = tmp_path / "user_rules"
    d.mkdir(exist_ok=True)
    (d / "r.yml").write_text(text)
    return load_rules([d], include_pack=False)


RULE = """title: {title}
id: {id}
status: test
level: medium
logsource: {{product: aws, service: cloudtrail}}
detection:
{detection}
"""


def _rule(tmp_path, detection: str, title: str = "t", rid: str = "9d0b6f7e-0000-4000-8000-000000000001"):
    return _user_rules(tmp_path, RULE.format(title=title, id=rid, detection=detection))


def test_key_seen_in_one_file_of_many_is_not_lost(tmp_path):
    """DuckDB's sampled schema inference drops keys it did not sample; the typed envelope does not."""
    records = list(generate_records(3000, seed=3))
    for record in records:
        record.pop("sharedEventID", None)
        record.pop("vpcEndpointId", None)
        record.pop("additionalEventData", None)
    rare = make_event("ConsoleLogin", "signin.amazonaws.com", additionalEventData={"MFAUsed": "No"})
    rare["vpcEndpointId"] = "vpce-rare"
    for i in range(30):
        write_trail(tmp_path / "logs" / f"f{i:03d}.json.gz", records[i * 100 : (i + 1) * 100])
    write_trail(tmp_path / "logs" / "zzz_last.json.gz", [rare])
    ruleset = _rule(tmp_path, """  sel:
    eventName: ConsoleLogin
    additionalEventData.MFAUsed: 'NO'
    vpcEndpointId: vpce-rare
  condition: sel""")
    alerts, stats = run_detection(ruleset, discover([str(tmp_path / "logs")]), batch_files=1000)
    assert stats.events == 3001 and stats.files == 31
    assert [a.event_id for a in alerts] == [rare["eventID"]]


def test_case_duplicate_keys_keep_the_event_and_both_fields(tmp_path):
    tagging = make_event(
        "PutBucketTagging", "s3.amazonaws.com",
        request={"bucketName": "b", "tagging": "lower", "Tagging": {"TagSet": {"Tag": {"Key": "k", "Value": "upper"}}}},
    )
    other = make_event("GetBucketAcl", "s3.amazonaws.com", request={"bucketName": "b"})
    path = write_trail(tmp_path / "t.json.gz", [tagging, other])
    lower = _rule(tmp_path, "  sel:\n    requestParameters.tagging: lower\n  condition: sel", rid="9d0b6f7e-0000-4000-8000-000000000002")
    upper = _rule(tmp_path, "  sel:\n    requestParameters.Tagging.TagSet.Tag.Value: UPPER\n  condition: sel",
                  rid="9d0b6f7e-0000-4000-8000-000000000003")
    for ruleset in (lower, upper):
        alerts, stats = run_detection(ruleset, discover([str(path)]))
        assert stats.events == 2 and not stats.skipped
        assert [a.event_id for a in alerts] == [tagging["eventID"]]


def test_sigma_semantics_case_insensitive_and_missing_field_is_not_equal(tmp_path):
    with_type = make_event("DeleteBucket", "s3.amazonaws.com", request={"bucketName": "x"})
    no_type = make_event("DeleteBucket", "s3.amazonaws.com", request={"bucketName": "y"})
    del no_type["eventType"]
    service = make_event("DeleteBucket", "s3.amazonaws.com", request={"bucketName": "z"}, eventType="AwsServiceEvent")
    path = write_trail(tmp_path / "s.json.gz", [with_type, no_type, service])
    ruleset = _rule(tmp_path, """  sel:
    eventName: deletebucket
  svc:
    eventType: awsserviceevent
  condition: sel and not svc""")
    alerts, _ = run_detection(ruleset, discover([str(path)]))
    # a missing eventType is "not equal" to AwsServiceEvent, so `not svc` keeps it
    assert sorted(a.event_id for a in alerts) == sorted([with_type["eventID"], no_type["eventID"]])


def test_bad_files_are_reported_and_skipped_and_the_rest_is_read(tmp_path):
    good = make_event("DeleteInstance", "connect.amazonaws.com", request={"InstanceId": "i"})
    write_trail(tmp_path / "a_good.json.gz", [good])
    full = gzip.compress(b'{"Records": [' + b'{"eventName": "x"},' * 2000 + b'{}]}')
    (tmp_path / "b_truncated.json.gz").write_bytes(full[: len(full) // 2])
    (tmp_path / "c_malformed.json").write_text('{"Records": [{"eventName": ')
    (tmp_path / "d_other.json").write_text('{"configurationItems": []}')
    (tmp_path / "e_array.json").write_text('[{"eventName": "DeleteInstance"}]')
    (tmp_path / "f_notjson.json.gz").write_bytes(b"this is not gzip")
    write_trail(tmp_path / "g_good.json", [make_event("StopLogging", "cloudtrail.amazonaws.com")], gz=False)
    (tmp_path / "CloudTrail-Digest").mkdir()
    (tmp_path / "CloudTrail-Digest" / "digest.json.gz").write_bytes(gzip.compress(b'{"digestStartTime": "x"}'))
    alerts, stats = run_detection(load_rules(), discover([str(tmp_path)]), batch_files=100)
    assert stats.files == 2 and stats.events == 2
    skipped = {s.file.rsplit("/", 1)[-1]: s.reason for s in stats.skipped}
    assert set(skipped) == {"b_truncated.json.gz", "c_malformed.json", "d_other.json", "e_array.json", "f_notjson.json.gz"}
    assert "Records" in skipped["d_other.json"]
    assert all(reason for reason in skipped.values())
    assert sorted(a.event_name for a in alerts) == ["DeleteInstance", "StopLogging"]


def test_since_and_until_bound_the_events(tmp_path):
    import datetime as dt

    events = [make_event("DeleteInstance", "connect.amazonaws.com", time=f"2026-11-0{d}T10:00:00Z") for d in (1, 2, 3)]
    path = write_trail(tmp_path / "x.json.gz", events)
    window = TimeWindow(dt.datetime(2026, 11, 2, tzinfo=dt.UTC), dt.datetime(2026, 11, 3, tzinfo=dt.UTC))
    alerts, _ = run_detection(load_rules(), discover([str(path)]), window=window)
    assert [a.event_id for a in alerts] == [events[1]["eventID"]]


def test_field_raw_cloudtrail_never_has_is_a_warning_and_the_rule_still_runs(tmp_path):
    # SigmaHQ's aws_delete_saml_provider matches `status: success`, which raw CloudTrail never has.
    ruleset = _rule(tmp_path, """  sel:
    eventSource: iam.amazonaws.com
    eventName: DeleteSAMLProvider
    status: success
  condition: sel""")
    assert any("'status'" in w for w in ruleset.warnings)
    path = write_trail(tmp_path / "x.json.gz", [make_event("DeleteSAMLProvider", "iam.amazonaws.com")])
    alerts, stats = run_detection(ruleset, discover([str(path)]))
    assert alerts == [] and stats.events == 1


def test_sigmahq_style_modifiers(tmp_path):
    hit = make_event("ConsoleLogin", "signin.amazonaws.com", userAgent="Mozilla/5.0 stratus-red-team_123",
                     additionalEventData={"MFAUsed": "No"})
    miss = make_event("ConsoleLogin", "signin.amazonaws.com", userAgent="Mozilla/5.0")
    path = write_trail(tmp_path / "x.json.gz", [hit, miss])
    ruleset = _rule(tmp_path, """  sel:
    userAgent|contains: 'STRATUS-red'
    eventName|startswith: console
    additionalEventData.MFAUsed|re: '^N'
    userIdentity.sessionContext.sessionIssuer.type: role
  condition: sel""")
    alerts, _ = run_detection(ruleset, discover([str(path)]))
    assert [a.event_id for a in alerts] == [hit["eventID"]]


def test_memory_is_bounded_by_batches_and_results_do_not_depend_on_batch_size(tmp_path):
    planted = [make_event("DeleteInstance", "connect.amazonaws.com", event_id=f"planted-{i}") for i in range(5)]
    from connectguard.detect.corpus import write_corpus

    write_corpus(tmp_path / "c", 2000, per_file=250, planted=planted)
    pack = load_rules()
    small, s1 = run_detection(pack, discover([str(tmp_path / "c")]), batch_files=1)
    big, s2 = run_detection(pack, discover([str(tmp_path / "c")]), batch_files=1000)
    key = lambda alerts: sorted((a.rule, a.event_id) for a in alerts)
    assert key(small) == key(big)
    assert {a.event_id for a in small if a.rule_name == "connect_instance_deleted"} == {f"planted-{i}" for i in range(5)}
    assert s1.events == s2.events == 2005


def test_contains_through_a_list_of_objects(tmp_path):
    # SigmaHQ's ECS credential-endpoint rule: requestParameters.containerDefinitions.command|contains,
    # where containerDefinitions is a list.
    hit = make_event("RegisterTaskDefinition", "ecs.amazonaws.com",
                     request={"containerDefinitions": [{"command": ["curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]}]})
    miss = make_event("RegisterTaskDefinition", "ecs.amazonaws.com", request={"containerDefinitions": [{"command": ["sleep"]}]})
    path = write_trail(tmp_path / "x.json.gz", [hit, miss])
    ruleset = _rule(tmp_path, """  sel:
    eventSource: ecs.amazonaws.com
    requestParameters.containerDefinitions.command|contains: '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'
  condition: sel""")
    alerts, _ = run_detection(ruleset, discover([str(path)]))
    assert [a.event_id for a in alerts] == [hit["eventID"]]


def test_pretty_printed_files_are_read_too(tmp_path):
    import json

    one_line = write_trail(tmp_path / "a.json.gz", [make_event("DeleteInstance", "connect.amazonaws.com")])
    pretty = tmp_path / "b.json"
    pretty.write_text(json.dumps({"Records": [make_event("StopLogging", "cloudtrail.amazonaws.com")]}, indent=2))
    alerts, stats = run_detection(load_rules(), discover([str(tmp_path)]))
    assert stats.files == 2 and not stats.skipped
    assert sorted(a.event_name for a in alerts) == ["DeleteInstance", "StopLogging"]
    assert one_line.exists()


def test_a_rule_that_cannot_run_is_reported_and_the_others_run(tmp_path):
    from connectguard.detect.engine import Engine

    d = tmp_path / "rules"
    d.mkdir()
    (d / "bad.yml").write_text(RULE.format(title="lookbehind", id="9d0b6f7e-0000-4000-8000-0000000000b1",
                                           detection="  sel:\n    userAgent|re: '(?<=x)a'\n  condition: sel"))
    (d / "good.yml").write_text(RULE.format(title="good", id="9d0b6f7e-0000-4000-8000-0000000000b2",
                                            detection="  sel:\n    eventName: StopLogging\n  condition: sel"))
    ruleset = load_rules([d], include_pack=False)
    engine = Engine(ruleset)
    # pySigma rejects this regex when parsing; a rule that parses but DuckDB rejects is caught by the engine
    assert [w for w in ruleset.warnings + engine.warnings if "lookbehind" in w]
    path = write_trail(tmp_path / "x.json.gz", [make_event("StopLogging", "cloudtrail.amazonaws.com")])
    assert [a.title for a in engine.run(discover([str(path)]))] == ["good"]


def test_rules_for_other_logsources_are_summarised_not_run(tmp_path):
    d = tmp_path / "sigma"
    (d / "windows").mkdir(parents=True)
    for i in range(3):
        (d / "windows" / f"w{i}.yml").write_text(f"""title: windows {i}
id: 9d0b6f7e-0000-4000-8000-00000000010{i}
level: low
logsource: {{product: windows, category: process_creation}}
detection:
  sel: {{Image|endswith: '\\\\cmd.exe'}}
  condition: sel
""")
    (d / "ct.yml").write_text(RULE.format(title="ct", id="9d0b6f7e-0000-4000-8000-0000000001ff",
                                          detection="  sel:\n    eventName: StopLogging\n  condition: sel"))
    ruleset = load_rules([d], include_pack=False)
    assert [r.title for r in ruleset.rules] == ["ct"]
    assert len(ruleset.warnings) == 1 and ruleset.warnings[0].startswith("3 rule(s) skipped")


def test_fields_outside_the_documented_record_are_read_not_dropped(tmp_path):
    from connectguard.detect.athena import not_for_athena, rule_queries

    tagged = make_event("PutObject", "s3.amazonaws.com",
                        eventContext={"tagContext": {"resourceTags": [{"key": "env", "value": "prod"}]}})
    other = make_event("PutObject", "s3.amazonaws.com")
    path = write_trail(tmp_path / "x.json.gz", [tagged, other])
    ruleset = _rule(tmp_path, """  sel:
    eventName: PutObject
    eventContext.tagContext|contains: '"prod"'
  condition: sel""")
    assert any("eventContext.tagContext" in w and "Athena" in w for w in ruleset.warnings)
    alerts, _ = run_detection(ruleset, discover([str(path)]))
    assert [a.event_id for a in alerts] == [tagged["eventID"]]
    assert rule_queries(ruleset) == {} and [k for k, _ in not_for_athena(ruleset)] == [ruleset.rules[0].key]
