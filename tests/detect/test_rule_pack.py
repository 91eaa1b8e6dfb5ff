"""Every rule of the pack fires on its positive events and stays silent on its negative ones."""

from __future__ import annotations

import fnmatch

import pytest
import yaml

from connectguard.connect_permissions import (
    CALL_PATH_TAMPERING,
    PRIVILEGE_ESCALATION,
    RECORDING_PII,
    RISK_GROUPS,
)
from connectguard.detect.engine import run_detection
from connectguard.detect.reader import discover
from connectguard.detect.rules import PACK_DIR

from .conftest import pack_events, write_trail

EVENTS = pack_events()


def _rule_names(pack):
    return sorted({r.key for r in pack.rules if r.generate} | {c.key for c in pack.correlations})


def test_every_rule_has_metadata_and_test_events(pack):
    assert not pack.warnings
    names = _rule_names(pack)
    assert len(names) >= 15
    for name in names:
        assert name in EVENTS, f"{name} has no {name}.events.json beside it"
        assert EVENTS[name]["positive"] and EVENTS[name]["negative"], name
    for rule in pack.rules:
        assert rule.title and rule.description and rule.falsepositives, rule.key
        assert rule.sigma.logsource.product == "aws" and rule.sigma.logsource.service == "cloudtrail"
    # Each rule file is plain Sigma that a SIEM user can take to pySigma unchanged.
    for path in PACK_DIR.glob("*.yml"):
        for doc in yaml.safe_load_all(path.read_text()):
            assert {"title", "id", "level", "description", "falsepositives"} <= set(doc), path.name


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_positive_events_fire_and_negative_do_not(name, pack, tmp_path):
    pos = write_trail(tmp_path / "pos" / "p.json.gz", EVENTS[name]["positive"])
    neg = write_trail(tmp_path / "neg" / "n.json.gz", EVENTS[name]["negative"])
    alerts, stats = run_detection(pack, discover([str(pos)]))
    assert not stats.skipped
    fired = [a for a in alerts if a.rule_name == name]
    correlation = any(c.key == name for c in pack.correlations)
    if correlation:
        assert len(fired) == 1  # one burst, one alert listing the others
        assert len(fired[0].related_event_ids) == len(EVENTS[name]["positive"]) - 1
    else:
        assert {a.event_id for a in fired} == {e["eventID"] for e in EVENTS[name]["positive"]}
    alerts, _ = run_detection(pack, discover([str(neg)]))
    assert [a for a in alerts if a.rule_name == name] == []


def test_access_denied_base_rule_raises_nothing_alone(pack, tmp_path):
    two = EVENTS["connect_access_denied_burst"]["negative"]
    alerts, _ = run_detection(pack, discover([str(write_trail(tmp_path / "a.json.gz", two))]))
    assert alerts == []


def test_risky_permission_list_is_the_shared_taxonomy():
    doc = yaml.safe_load((PACK_DIR / "connect_security_profile_risky_permissions.yml").read_text())
    listed = set(doc["detection"]["risky_permissions"]["requestParameters.Permissions"])
    expected = {p for g in (PRIVILEGE_ESCALATION, RECORDING_PII, CALL_PATH_TAMPERING) for p in RISK_GROUPS[g]}
    assert listed == expected


def test_flow_and_phone_rules_say_admin_website_changes_are_invisible(pack):
    for rule in pack.rules:
        if rule.key in ("connect_flow_content_changed", "connect_phone_number_claimed_or_released"):
            assert "admin website" in rule.description and "never reach CloudTrail" in rule.description


def test_role_patterns_come_from_config(tmp_path):
    from connectguard.config import DetectConfig
    from connectguard.detect.corpus import make_event
    from connectguard.detect.rules import load_rules

    pack = load_rules(config=DetectConfig(connect_role_patterns=["CC-Federation*"]))
    events = [
        make_event("DeleteRole", "iam.amazonaws.com", request={"roleName": "CC-FederationProd"}),
        make_event("DeleteRole", "iam.amazonaws.com", request={"roleName": "ConnectSAMLRole"}),
    ]
    alerts, _ = run_detection(pack, discover([str(write_trail(tmp_path / "r.json.gz", events))]))
    hits = [a.event_id for a in alerts if a.rule_name == "connect_signin_role_deleted_or_trust_changed"]
    assert hits == [events[0]["eventID"]]
    assert fnmatch.fnmatch("CC-FederationProd", "CC-Federation*")


def test_burst_threshold_comes_from_config(tmp_path):
    from connectguard.config import DetectConfig
    from connectguard.detect.rules import load_rules

    pack = load_rules(config=DetectConfig(access_denied_threshold=2, access_denied_window_minutes=5))
    two = EVENTS["connect_access_denied_burst"]["negative"]
    alerts, _ = run_detection(pack, discover([str(write_trail(tmp_path / "a.json.gz", two))]))
    assert [a.rule_name for a in alerts] == ["connect_access_denied_burst"]
