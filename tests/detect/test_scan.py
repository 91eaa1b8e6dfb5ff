"""The byte-level candidate scan (detect/scan.py) never loses a record DuckDB's prefilter keeps, and
the compiled-rule cache (detect/rulecache.py) gives the same rules as compiling them."""

from __future__ import annotations

import gzip
import json

import duckdb
import pytest

from connectguard.detect import rulecache
from connectguard.detect.corpus import generate_records, make_event
from connectguard.detect.engine import connect, run_detection
from connectguard.detect.reader import Loader, discover
from connectguard.detect.rules import load_rules, rule_query
from connectguard.detect.scan import LOWER_TO_ASCII, CandidateScanner

from .conftest import write_trail


def _tricky_records() -> list[dict]:
    """Records a naive byte search would get wrong, each with a distinct eventID."""
    out = []

    def add(name: str, **kw) -> None:
        out.append(make_event(name, kw.pop("source", "cloudtrail.amazonaws.com"), event_id=f"tricky-{len(out)}", **kw))

    add("STOPLOGGING")  # case differs from the rule's value
    add("St\\u006fpLogging")  # placeholder, replaced by a real \u escape below
    add("AdminGetEmergencyAccessTo\u212aen", source="connect.amazonaws.com")  # Kelvin sign: lower() gives 'k'
    add("AssociateApprovedOr\u0130gin", source="connect.amazonaws.com")  # dotted capital I: lower() gives 'i'
    add("DescribeInstances", source="ec2.amazonaws.com", request={"note": "StopLogging"})  # value elsewhere
    add("DeleteTrail", request={"name": "t", "Tagging": {"TagSet": []}, "tagging": ""})  # case-duplicate keys
    add("ListUsers", source="connect.amazonaws.com", error_code="AccessDenied")  # the correlation's base rule
    rec = make_event("DescribeInstances", "ec2.amazonaws.com", event_id=f"tricky-{len(out)}")
    rec["EventName"] = "StopLogging"  # a key differing only by case: DuckDB reads eventName, exactly
    out.append(rec)
    rec = make_event("UpdateTrail", "cloudtrail.amazonaws.com", event_id=f"tricky-{len(out)}")
    rec["sharedEventID"] = "rare-key"
    out.append(rec)
    return out


def _dump(records: list[dict]) -> bytes:
    # ensure_ascii=False keeps the non-ASCII characters as UTF-8, as CloudTrail writes them.
    text = json.dumps({"Records": records}, ensure_ascii=False, separators=(",", ":"))
    return text.replace("St\\\\u006fpLogging", "St\\u006fpLogging").encode()  # a real escape in the JSON text


def _kept(loader_files, pack, scanner) -> tuple[set[str], int, int, list]:
    con = connect()
    loader = Loader(con, pack.prefilter(), pack.extra_fields(), scanner)
    result = loader.load(loader_files)
    ids = {f"{row[0].rsplit('/', 1)[-1]}:{row[1]}" for row in con.execute("SELECT f, r.eventID FROM ct_events").fetchall()}
    return ids, result.files, result.events, sorted((s.file, s.reason) for s in result.skipped)


@pytest.fixture
def tricky_files(tmp_path):
    background = list(generate_records(400, seed=11))
    tricky = _tricky_records()
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.json.gz").write_bytes(gzip.compress(_dump(background[:200] + tricky + background[200:])))
    # Separators with spaces and newlines (pretty-printed): the record-by-record walk.
    (logs / "b.json").write_text(json.dumps({"Records": tricky[:3] + background[:5]}, indent=2, ensure_ascii=False)
                                 .replace("St\\\\u006fpLogging", "St\\u006fpLogging"))
    # Shapes the scan leaves to DuckDB: another key first, two gzip members, invalid UTF-8, bad JSON.
    (logs / "c.json").write_text(json.dumps({"Extra": 1, "Records": tricky[:2]}))
    (logs / "d.json.gz").write_bytes(gzip.compress(b'{"Records": [') + gzip.compress(_dump(tricky)[12:]))
    (logs / "e.json").write_bytes(_dump(tricky[:1]).replace(b"198.51", b"\xff\xfe"))
    (logs / "f.json.gz").write_bytes(gzip.compress(_dump(tricky))[:-20])
    (logs / "g.json").write_text('{"Records": [{"eventName": "StopLogging"}')
    (logs / "h.json").write_text('{"Records": []}')
    return [(f, f.local) for f in discover([str(logs)])]


def test_scan_keeps_exactly_what_duckdb_keeps(pack, tricky_files):
    scanner = CandidateScanner.for_prefilter(pack.prefilter_terms())
    assert scanner is not None
    assert _kept(tricky_files, pack, scanner) == _kept(tricky_files, pack, None)


def test_the_tricky_records_the_rules_match_are_found(pack, tricky_files):
    ids, files, _events, skipped = _kept(tricky_files, pack, CandidateScanner.for_prefilter(pack.prefilter_terms()))
    # Escaped, Kelvin-sign, dotted-I and upper-case names are candidates; a key differing only by case
    # and a candidate value in another field are not (DuckDB reads eventName exactly).
    assert {f"a.json.gz:tricky-{i}" for i in (0, 1, 2, 3, 5, 6, 8)} <= ids
    assert {"b.json:tricky-0", "b.json:tricky-1", "b.json:tricky-2"} <= ids
    assert not {"a.json.gz:tricky-4", "a.json.gz:tricky-7"} & ids
    # Invalid UTF-8, truncated gzip and bad JSON are reported (by the DuckDB reader, as before); the rest is read.
    assert files == 5 and {f.rsplit("/", 1)[-1] for f, _ in skipped} == {"e.json", "f.json.gz", "g.json"}


def test_scan_declines_what_it_does_not_fully_understand():
    scanner = CandidateScanner(["stoplogging"])
    good = b'{"Records":[{"eventName":"StopLogging"},{"eventName":"x"}]}'
    assert scanner.scan_text(good).candidates == [b'{"eventName":"StopLogging"}']
    assert scanner.scan_text(b'{"Records":[{"eventName":"x"}]}').candidates == []
    for text in (
        b'{"Other":[], "Records":[{"eventName":"StopLogging"}]}',  # Records not the only key
        b'{"Records":[{"eventName":"StopLogging"}]} {"Records":[]}',  # two JSON values
        b'{"Records":[{"eventName":"StopLogging"}], "Records":[{"eventName":"y"}]}',  # duplicate key
        b'{"Records":{"eventName":"StopLogging"}}',  # not an array
        b'{"Records":[{"eventName":"StopLogging"}',  # truncated
        b'{"Records":[{"eventName":"StopLogging","x":"\xff"}]}',  # invalid UTF-8
    ):
        assert scanner.scan_text(text) is None, text


def test_values_the_search_cannot_vouch_for_disable_it(tmp_path):
    assert CandidateScanner.for_prefilter(None) is None  # a rule without a necessary condition
    assert CandidateScanner.for_prefilter([("r.eventName", ("a/b",))]) is None  # \/ could hide the slash
    assert CandidateScanner.for_prefilter([("r.eventName", ("caf\u00e9",))]) is None  # non-ASCII
    assert CandidateScanner.for_prefilter([("r.eventVersion", ("1.09",))]) is None  # a JSON number reads as 1.09
    assert CandidateScanner.for_prefilter([("r.eventName", ("stoplogging",))]) is not None


def test_a_json_boolean_is_found_as_duckdb_reads_it(tmp_path):
    """CloudTrail writes readOnly as a JSON boolean; DuckDB reads it as the text 'false'."""
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "w.yml").write_text("""title: writes
id: 9d0b6f7e-0000-4000-8000-00000000abce
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    readOnly: 'false'
  condition: sel
""")
    ruleset = load_rules([tmp_path / "r"], include_pack=False)
    scanner = CandidateScanner.for_prefilter(ruleset.prefilter_terms())
    assert scanner is not None
    records = list(generate_records(300, seed=2))
    write_trail(tmp_path / "logs" / "a.json.gz", records)
    files = [(f, f.local) for f in discover([str(tmp_path / "logs")])]
    kept, _, events, _ = _kept(files, ruleset, scanner)
    assert kept == _kept(files, ruleset, None)[0] and events == 300
    assert len(kept) == sum(1 for r in records if r["readOnly"] is False) > 0


def test_a_rule_without_an_event_name_still_sees_every_record(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "ip.yml").write_text("""title: any call from one tool
id: 9d0b6f7e-0000-4000-8000-00000000abcd
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    userAgent|contains: evil-tool
  condition: sel
""")
    ruleset = load_rules([tmp_path / "r"])
    assert ruleset.prefilter_terms() is None  # "contains" gives no necessary value
    records = list(generate_records(50, seed=5))
    records[17]["userAgent"] = "Evil-Tool/1.0"
    write_trail(tmp_path / "logs" / "a.json.gz", records)
    alerts, stats = run_detection(ruleset, discover([str(tmp_path / "logs")]))
    assert [a.event_id for a in alerts] == [records[17]["eventID"]] and stats.events == 50


def test_every_character_duckdb_lowers_to_ascii_is_searched():
    con = duckdb.connect()
    rows = con.execute(
        "SELECT i FROM range(128, 1114112) t(i) WHERE (i < 55296 OR i > 57343) "
        "AND regexp_matches(lower(chr(i::INTEGER)), '[\\x00-\\x7f]')"
    ).fetchall()
    assert sorted(chr(i) for (i,) in rows) == sorted(LOWER_TO_ASCII)


def test_rule_cache_gives_the_compiled_rules_and_follows_the_rule_files(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rules_dir = tmp_path / "r"
    rules_dir.mkdir()
    rule = tmp_path / "r" / "x.yml"
    rule.write_text("""title: trail stopped
id: 9d0b6f7e-0000-4000-8000-00000000beef
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: StopLogging
  condition: sel
""")
    compiled = []

    def compile_rules():
        compiled.append(1)
        return load_rules([rules_dir])

    first = rulecache.cached_rules([rules_dir], include_pack=True, config_path=None, compile_rules=compile_rules)
    second = rulecache.cached_rules([rules_dir], include_pack=True, config_path=None, compile_rules=compile_rules)
    assert len(compiled) == 1
    assert [rule_query(r) for r in second.rules] == [rule_query(r) for r in first.rules]
    assert [(r.prefilter, r.generate, r.severity) for r in second.rules] == [
        (r.prefilter, r.generate, r.severity) for r in first.rules]
    assert [(c.id, [b.id for b in c.base], c.threshold) for c in second.correlations] == [
        (c.id, [b.id for b in c.base], c.threshold) for c in first.correlations]
    assert second.warnings == first.warnings

    rule.write_text(rule.read_text().replace("StopLogging", "DeleteTrail"))  # an edit: a new entry
    third = rulecache.cached_rules([rules_dir], include_pack=True, config_path=None, compile_rules=compile_rules)
    assert len(compiled) == 2 and "deletetrail" in third.rules[-1].condition_sql

    for entry in (tmp_path / "cache" / "connectguard").glob("rules-*.json"):
        entry.write_text("{not json")  # a damaged entry: compiled again, not an error
    rulecache.cached_rules([rules_dir], include_pack=True, config_path=None, compile_rules=compile_rules)
    assert len(compiled) == 3


def test_rule_cache_follows_the_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    from connectguard.cli import main

    write_trail(tmp_path / "logs" / "a.json.gz",
                [make_event("ListUsers", "connect.amazonaws.com", error_code="AccessDenied",
                            time=f"2026-11-01T12:00:{i:02d}Z") for i in range(4)])
    assert main(["detect", str(tmp_path / "logs"), "-f", "json", "-o", str(tmp_path / "a.json")]) == 0
    (tmp_path / "connectguard.toml").write_text("[detect]\naccess_denied_threshold = 3\n")
    assert main(["detect", str(tmp_path / "logs"), "-f", "json", "-o", str(tmp_path / "b.json")]) == 1
    (tmp_path / "connectguard.toml").write_text("[detect]\naccess_denied_threshold = 1\n")  # invalid: ge=2
    assert main(["detect", str(tmp_path / "logs")]) == 2


def test_without_the_accelerators_every_file_is_read_by_duckdb_with_the_same_alerts(pack, tricky_files, monkeypatch):
    from connectguard.detect import scan

    files = [f for f, _ in tricky_files]
    fast, fast_stats = run_detection(pack, files)
    monkeypatch.setattr(scan, "hyperscan", None)
    assert scan.CandidateScanner.for_prefilter(pack.prefilter_terms()) is None
    slow, slow_stats = run_detection(pack, files)
    assert sorted((a.rule, a.event_id) for a in fast) == sorted((a.rule, a.event_id) for a in slow) != []
    assert fast_stats.as_dict() == slow_stats.as_dict()
