import datetime as dt

import pytest

from connectguard.conventions import ExitCode, Severity, exit_status, isoformat, json_envelope


def test_severity_order_and_parse():
    assert [s.rank for s in Severity] == [4, 3, 2, 1, 0]
    assert Severity.parse(" HIGH ") is Severity.HIGH
    assert Severity.CRITICAL.at_least(Severity.HIGH)
    assert not Severity.MEDIUM.at_least(Severity.HIGH)
    with pytest.raises(ValueError, match="unknown severity 'severe'"):
        Severity.parse("severe")


@pytest.mark.parametrize("level,expected", [("informational", Severity.INFO), ("low", Severity.LOW),
                                            ("critical", Severity.CRITICAL), (None, Severity.MEDIUM)])
def test_sigma_levels_map_onto_our_scale(level, expected):
    assert Severity.from_sigma(level) is expected


@pytest.mark.parametrize(
    "severities,kwargs,expected",
    [
        ([], {}, ExitCode.OK),
        ([Severity.MEDIUM], {}, ExitCode.OK),
        ([Severity.MEDIUM], {"fail_on": Severity.MEDIUM}, ExitCode.FINDINGS),
        ([Severity.CRITICAL], {}, ExitCode.FINDINGS),
        ([], {"unknown": 2}, ExitCode.INCOMPLETE),
        ([], {"unknown": 2, "fail_on_unknown": True}, ExitCode.FINDINGS),
        ([], {"skipped": 1}, ExitCode.INCOMPLETE),
        ([Severity.HIGH], {"unknown": 1}, ExitCode.FINDINGS),
        ([Severity.LOW], {"skipped": 1}, ExitCode.INCOMPLETE),
    ],
)
def test_exit_status(severities, kwargs, expected):
    assert exit_status(severities, **kwargs) is expected


def test_json_envelope_and_timestamps():
    ts = dt.datetime(2026, 1, 2, 3, 4, 5, 999, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert isoformat(ts) == "2026-01-02T01:04:05Z"
    doc = json_envelope({"findings": []}, generated_at=ts)
    assert list(doc)[:3] == ["tool", "version", "generated_at"]
    assert doc["tool"] == "connectguard" and doc["findings"] == []
