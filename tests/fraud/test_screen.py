"""The screening decision end to end against moto DynamoDB: deny, prefix, expiry, velocity, withheld, bad events."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import pytest

from connectguard.fraud import admin, core, store
from connectguard.fraud.handler import Screener

from .conftest import LOG_KEY, TABLE, event

NUMBER = "+12065550100"


def deny(ddb, value: str, *, prefix: bool = False, expires_at: int | None = None, now: float = 1_800_000_000) -> None:
    entry = core.DenyEntry(value, prefix, "test", expires_at=expires_at)
    admin.put_entry(ddb, TABLE, entry, added_by="tester", now=now)


def assert_string_map(response: object) -> None:
    assert isinstance(response, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in response.items())
    assert response["decision"] in ("allow", "block", "review")


def test_clean_number_is_allowed_and_recorded(screener, ddb):
    response = screener.screen(event(NUMBER))
    assert_string_map(response)
    assert response == {"decision": "allow", "reason": "ok", "recent_contacts": "1", "recorded": "true"}
    items = ddb.query(
        TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "ANI#" + NUMBER}}
    )["Items"]
    assert len(items) == 1 and items[0]["sk"]["S"].startswith("CALL#") and "expires_at" in items[0]


def test_exact_deny_blocks_national_and_international_formats(screener, ddb):
    deny(ddb, NUMBER)
    for address in (NUMBER, "+1 (206) 555-0100", "tel:+1-206-555-0100"):
        assert screener.screen(event(address))["decision"] == "block"
    # National format: resolved with the default country, from the flow's Parameters.
    assert screener.screen(event("(206) 555-0100", {"defaultCountry": "US"}))["reason"] == "deny-list"
    # The same national digits read as a UK number are a different caller.
    assert screener.screen(event("2065550100", {"defaultCountry": "GB"}))["decision"] == "allow"


def test_fictional_but_possible_numbers_can_be_denied(screener, ddb):
    # +44 7700 900xxx is a fictional range: is_valid_number() is False, yet it must be blockable.
    deny(ddb, "+447700900123")
    assert screener.screen(event("07700 900123", {"defaultCountry": "GB"}))["reason"] == "deny-list"


def test_prefix_blocks_the_range_and_only_the_range(screener, ddb):
    deny(ddb, "+1900", prefix=True)
    assert screener.screen(event("+19005550123"))["reason"] == "deny-prefix"
    assert screener.screen(event("+12065550123"))["decision"] == "allow"


def test_expired_entries_never_match_before_ttl_deletes_them(screener, ddb, clock):
    deny(ddb, NUMBER, expires_at=int(clock.now) - 1)
    deny(ddb, "+1900", prefix=True, expires_at=int(clock.now) - 1)
    deny(ddb, "+1206", prefix=True, expires_at=int(clock.now) + 3600)
    # Still stored (moto, like DynamoDB, deletes lazily) ...
    assert ddb.get_item(TableName=TABLE, Key={"pk": {"S": "ANI#" + NUMBER}, "sk": {"S": "DENY"}}).get("Item")
    # ... yet the exact entry does not match; the live +1206 range does.
    assert screener.screen(event(NUMBER))["reason"] == "deny-prefix"
    assert screener.screen(event("+19005550123"))["decision"] == "allow"
    later = Screener(TABLE, screener.client, env={}, clock=lambda: clock.now + 7200, log_key=LOG_KEY)
    assert later.screen(event(NUMBER))["decision"] == "allow"


def test_velocity_counts_recorded_contacts_in_the_window(screener, ddb, clock):
    decisions = [screener.screen(event(NUMBER))["decision"] for _ in range(7)]
    # Default: more than 5 contacts within 10 minutes -> review.
    assert decisions == ["allow"] * 5 + ["review"] * 2
    assert screener.screen(event(NUMBER))["recent_contacts"] >= "6"


def test_velocity_window_limit_and_action_are_configurable(screener, ddb, clock):
    for minutes_ago in (30, 20, 4, 3):
        store.put_activity(ddb, TABLE, NUMBER, f"old-{minutes_ago}", clock.now - minutes_ago * 60, 7)
    params = {"velocityLimit": "4", "velocityAction": "block"}
    # Two contacts inside 10 minutes, plus this one: 3, not more than 4.
    assert screener.screen(event(NUMBER, params))["decision"] == "allow"
    assert screener.screen(event(NUMBER, {**params, "velocityWindowMinutes": "60"})) == {
        "decision": "block", "reason": "velocity", "recent_contacts": "6", "recorded": "true"}


def test_a_retried_invocation_of_the_same_contact_is_counted_once(screener, ddb, clock):
    contact = "11111111-2222-3333-4444-555555555555"
    for offset in range(6):  # Connect retries within its 8 s budget
        clock.now += 1
        response = screener.screen(event(NUMBER, {"velocityLimit": "1"}, contact_id=contact))
        assert response["decision"] == "allow", offset
        assert response["recent_contacts"] == "1"


def test_calls_in_the_same_second_are_distinct(screener, ddb):
    # SK = epoch second alone would overwrite; the ContactId suffix keeps all four.
    for _ in range(4):
        screener.screen(event(NUMBER))
    assert screener.screen(event(NUMBER))["recent_contacts"] == "5"


def test_deny_wins_over_velocity(screener, ddb):
    deny(ddb, NUMBER)
    for _ in range(7):
        assert screener.screen(event(NUMBER))["reason"] == "deny-list"


@pytest.mark.parametrize(
    "address",
    [None, "", "   ", "anonymous", "Anonymous", "Restricted", "PRIVATE", "Unavailable", "sip:anonymous@anonymous.invalid"],
)
def test_withheld_callers_get_the_withheld_action(offline, address):
    response = offline.screen(event(address))
    assert (response["decision"], response["reason"]) == ("review", "withheld")
    assert offline.screen(event(address, {"withheldAction": "block"}))["decision"] == "block"


def test_missing_endpoint_is_withheld(offline):
    assert offline.screen(event(endpoint=False))["reason"] == "withheld"


@pytest.mark.parametrize("address", ["+266696687", "12", "not a number", "+1 206 555 0100 999 999", "#31#"])
def test_unparseable_numbers_get_the_withheld_action(offline, address):
    assert offline.screen(event(address)) == {
        "decision": "review", "reason": "unparseable", "recent_contacts": "0", "recorded": "false"}


def test_withheld_callers_cost_no_request(offline):
    counter = RequestCounter(offline.client)
    offline.screen(event("anonymous"))
    offline.screen(event("+266696687"))
    assert counter.count == 0


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        "ContactFlowEvent",
        {},
        {"Details": None},
        {"Details": {"ContactData": "x"}},
        {"Details": {"ContactData": {"CustomerEndpoint": {"Address": "+12065550100"}}}},  # no ContactId
        {"Details": {"ContactData": {"ContactId": "", "CustomerEndpoint": {"Address": "+12065550100"}}}},
        {"Details": {"ContactData": {"ContactId": "c", "CustomerEndpoint": {"Address": 12065550100}}}},
        {"Details": {"ContactData": {"ContactId": "c", "CustomerEndpoint": "+12065550100"}}},
        {"Details": {"ContactData": {"ContactId": "c"}, "Parameters": ["failMode"]}},
    ],
)
def test_malformed_events_get_the_fail_mode(offline, bad):
    response = offline.screen(bad)
    assert_string_map(response)
    assert (response["decision"], response["reason"]) == ("allow", "bad-event")


@pytest.mark.parametrize(
    "params",
    [{"velocityLimit": "many"}, {"velocityLimit": "0"}, {"deadlineMs": "99999"}, {"velocityAction": "hangup"},
     {"defaultCountry": "XX"}, {"withheldAction": {"x": 1}}],
)
def test_invalid_flow_parameters_are_a_bad_event_with_the_fail_mode(offline, params):
    response = offline.screen(event(NUMBER, {**params, "failMode": "review"}))
    assert (response["decision"], response["reason"]) == ("review", "bad-event")


def test_flow_parameters_win_over_environment(ddb, clock):
    env = {"CONNECTGUARD_FRAUD_VELOCITY_LIMIT": "1", "CONNECTGUARD_FRAUD_VELOCITY_ACTION": "block"}
    screener = Screener(TABLE, store.make_client(), env=env, clock=clock, log_key=LOG_KEY)
    screener.screen(event(NUMBER))
    assert screener.screen(event(NUMBER))["decision"] == "block"
    assert screener.screen(event(NUMBER, {"velocityLimit": "10"}))["decision"] == "allow"


def test_invalid_environment_setting_is_bad_config(offline, clock):
    screener = Screener(TABLE, offline.client, env={"CONNECTGUARD_FRAUD_VELOCITY_LIMIT": "x",
                                                    "CONNECTGUARD_FRAUD_FAIL_MODE": "block"}, clock=clock)
    assert screener.screen(event(NUMBER)) == {
        "decision": "block", "reason": "bad-config", "recent_contacts": "0", "recorded": "false"}


class RequestCounter:
    """Counts HTTP requests through botocore's public event system (one per attempt)."""

    def __init__(self, client) -> None:
        self.count = 0
        client.meta.events.register("request-created.dynamodb", self._on_request)

    def _on_request(self, **_: object) -> None:
        self.count += 1


def test_at_most_two_requests_per_decision_with_the_prefix_cache_warm(screener, ddb, clock):
    deny(ddb, "+1900", prefix=True)
    counter = RequestCounter(screener.client)
    screener.screen(event("+12065550111"))
    cold = counter.count
    assert cold == 3  # prefix list loaded once, then Query + PutItem
    for number in ("+12065550112", "+19005550113", NUMBER):
        before = counter.count
        screener.screen(event(number))
        assert counter.count - before == 2


def test_prefix_cache_expires_after_its_lifetime(ddb, clock):
    screener = Screener(TABLE, store.make_client(), env={}, clock=clock, log_key=LOG_KEY, prefix_cache_seconds=0)
    assert screener.screen(event("+19005550123"))["decision"] == "allow"
    deny(ddb, "+1900", prefix=True)
    assert screener.screen(event("+19005550123"))["reason"] == "deny-prefix"


def test_no_number_in_clear_in_logs(screener, ddb, caplog):
    caplog.set_level(logging.DEBUG, logger="connectguard.fraud")
    deny(ddb, NUMBER)
    screener.screen(event("+1 206 555 0100"))
    screener.screen(event("+1 206 555 0100", {"velocityLimit": "nope"}))
    text = "\n".join(r.getMessage() for r in caplog.records)
    for fragment in ("2065550100", "206 555 0100", "5550100"):
        assert fragment not in text
    decision_logs = [json.loads(r.getMessage()) for r in caplog.records if '"decision"' in r.getMessage()]
    expected = hmac.new(LOG_KEY, NUMBER.encode(), hashlib.sha256).hexdigest()[:20]
    assert decision_logs[0]["ani_hmac"] == expected
    assert decision_logs[0]["reason"] == "deny-list"


def test_lambda_handler_reads_its_settings_from_the_environment(ddb, monkeypatch):
    from connectguard.fraud import lambda_handler

    deny(ddb, NUMBER)
    monkeypatch.setenv("CONNECTGUARD_FRAUD_TABLE", TABLE)
    monkeypatch.setenv("CONNECTGUARD_FRAUD_DEFAULT_COUNTRY", "US")
    monkeypatch.setenv("CONNECTGUARD_FRAUD_LOG_KEY", "k")
    assert lambda_handler(event("206-555-0100"), None)["reason"] == "deny-list"
    assert lambda_handler(event("206-555-0101"), None)["decision"] == "allow"


def test_lambda_handler_without_a_table_is_bad_config_with_the_fail_mode():
    from connectguard.fraud import lambda_handler

    assert lambda_handler(event(NUMBER, {"failMode": "review"}), None) == {
        "decision": "review", "reason": "bad-config", "recent_contacts": "0", "recorded": "false"}


def test_stats_count_activity_and_mask_numbers(screener, ddb, clock):
    deny(ddb, NUMBER)
    deny(ddb, "+1900", prefix=True, expires_at=int(clock.now) - 5)  # expired, not yet deleted
    for _ in range(3):
        screener.screen(event(NUMBER))
    screener.screen(event("+12065550199"))
    store.put_activity(ddb, TABLE, "+12065550199", "yesterday", clock.now - 7200, 7)
    stats = admin.collect_stats(ddb, TABLE, clock.now).as_dict()
    assert stats["deny_list"] == {"exact": 1, "prefixes": 0, "expired_not_deleted": 1}
    activity = stats["activity"]
    assert (activity["contacts_last_hour"], activity["contacts_last_day"], activity["numbers_seen"]) == (4, 5, 2)
    assert activity["busiest_last_hour"][0] == {"number": "+1206555****", "contacts": 3}
    assert "0100" not in json.dumps(stats)
