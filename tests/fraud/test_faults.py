"""Faults on the wire (moto server behind a fault-injecting proxy): no exception, the fail mode, always a string map."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto.server import ThreadedMotoServer

from connectguard.fraud import admin, core, store
from connectguard.fraud.handler import Screener, lambda_handler, reset_default_screener
from connectguard.fraud.testing import FaultProxy, SilentServer

from .conftest import LOG_KEY, TABLE, event

DECISIONS = 400  # bench/bench_fraud.py --faults runs 10,000 (minutes against moto)


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_connection_refused_is_error_with_fail_mode(monkeypatch):
    silent = SilentServer()
    url = silent.url
    silent.close()  # nothing listens there now: connection refused
    screener = Screener(TABLE, store.make_client(endpoint_url=url, region="us-east-1"), env={}, log_key=LOG_KEY)
    assert screener.screen(event("+12065550100")) == {
        "decision": "allow", "reason": "error", "recent_contacts": "0", "recorded": "false"}
    assert screener.screen(event("+12065550100", {"failMode": "block"}))["decision"] == "block"


def test_a_hanging_dynamodb_hits_the_deadline():
    silent = SilentServer()
    try:
        screener = Screener(TABLE, store.make_client(endpoint_url=silent.url, region="us-east-1"), env={},
                            log_key=LOG_KEY)
        response = screener.screen(event("+12065550100", {"deadlineMs": "150", "failMode": "review"}))
        assert (response["decision"], response["reason"]) == ("review", "timeout")
    finally:
        silent.close()


def test_the_lambda_context_deadline_is_respected():
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 400  # less than the 2 s default deadline

    silent = SilentServer()
    try:
        screener = Screener(TABLE, store.make_client(endpoint_url=silent.url, region="us-east-1"), env={},
                            log_key=LOG_KEY)
        assert screener.screen(event("+12065550100"), Context())["reason"] == "timeout"
    finally:
        silent.close()


def test_thousands_of_decisions_under_injected_faults(moto_url, monkeypatch):
    setup = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_url)
    admin.init_table(setup, TABLE)
    rng = random.Random(5)
    denied = {f"+1206555{n:04d}" for n in rng.sample(range(10_000), 40)}
    admin.put_entries(setup, TABLE, [core.DenyEntry(n, False, "t") for n in denied], added_by="t", now=1.0)
    admin.put_entries(setup, TABLE, [core.DenyEntry("+1900", True, "t")], added_by="t", now=1.0)
    pool_numbers = sorted(denied) + [f"+1206555{n:04d}" for n in range(300)] + [f"+1900555{n:04d}" for n in range(20)]

    def expected(number: str) -> tuple[str, str]:
        if number in denied:
            return ("block", "deny-list")
        if number.startswith("+1900"):
            return ("block", "deny-prefix")
        return ("allow", "ok")

    with FaultProxy(moto_url, rate=0.12, slow_seconds=1.5) as proxy:
        monkeypatch.setenv("CONNECTGUARD_FRAUD_TABLE", TABLE)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.url)
        monkeypatch.setenv("CONNECTGUARD_FRAUD_DEADLINE_MS", "1000")
        monkeypatch.setenv("CONNECTGUARD_FRAUD_FAIL_MODE", "review")  # distinct from every true decision
        monkeypatch.setenv("CONNECTGUARD_FRAUD_LOG_KEY", "k")
        reset_default_screener()
        calls = [(rng.choice(pool_numbers), f"c-{i}") for i in range(DECISIONS)]

        def one(call: tuple[str, str]) -> tuple[str, object]:
            number, contact = call
            return number, lambda_handler(event(number, {"velocityLimit": "1000"}, contact_id=contact))

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(one, calls))  # an escaping exception would re-raise here

    reasons: Counter[str] = Counter()
    for number, response in results:
        assert isinstance(response, dict)
        assert set(response) == {"decision", "reason", "recent_contacts", "recorded"}
        assert all(isinstance(v, str) for v in response.values())
        reasons[response["reason"]] += 1
        if response["reason"] in ("error", "timeout"):
            assert response["decision"] == "review"
        else:
            assert (response["decision"], response["reason"]) == expected(number)
    assert len(results) == DECISIONS
    # The faults did reach the handler, both kinds of fail-mode answer occurred, and most decisions stood.
    assert sum(proxy.counts[k] for k in ("throttle", "capacity", "internal", "unavailable", "slow", "reset")) > 0
    assert reasons["error"] > 0 and reasons["timeout"] > 0
    assert reasons["ok"] + reasons["deny-list"] + reasons["deny-prefix"] > DECISIONS * 0.7
    reset_default_screener()


@pytest.fixture
def served_table(moto_url) -> str:
    setup = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_url)
    if admin.describe(setup, TABLE) is not None:
        setup.delete_table(TableName=TABLE)
    admin.init_table(setup, TABLE)
    admin.put_entry(setup, TABLE, core.DenyEntry("+12065550100", False, "t"), added_by="t", now=1.0)
    return moto_url


@pytest.mark.parametrize("kind", ["throttle", "capacity", "internal", "unavailable", "reset"])
def test_a_failed_write_keeps_the_decision_but_says_it_was_not_recorded(served_table, kind):
    with FaultProxy(served_table, rate=1.0, kinds=(kind,), operations=("PutItem",)) as proxy:
        screener = Screener(TABLE, store.make_client(endpoint_url=proxy.url, region="us-east-1"), env={},
                            log_key=LOG_KEY)
        assert screener.screen(event("+12065550100")) == {
            "decision": "block", "reason": "deny-list", "recent_contacts": "1", "recorded": "false"}
    assert proxy.counts[kind] == 2  # the write and its one retry


@pytest.mark.parametrize("kind", ["throttle", "capacity", "internal", "unavailable", "reset"])
def test_a_failed_read_takes_the_fail_mode(served_table, kind):
    with FaultProxy(served_table, rate=1.0, kinds=(kind,), operations=("Query",)) as proxy:
        screener = Screener(TABLE, store.make_client(endpoint_url=proxy.url, region="us-east-1"), env={},
                            log_key=LOG_KEY)
        response = screener.screen(event("+12065550100", {"failMode": "review"}))
    assert (response["decision"], response["reason"]) == ("review", "error")


def test_one_throttle_is_absorbed_by_the_retry(served_table):
    with FaultProxy(served_table, rate=1.0, kinds=("throttle",), operations=("Query",), max_faults=1) as proxy:
        screener = Screener(TABLE, store.make_client(endpoint_url=proxy.url, region="us-east-1"), env={},
                            log_key=LOG_KEY)
        response = screener.screen(event("+12065550100"))
    assert proxy.counts["throttle"] == 1
    assert (response["decision"], response["reason"], response["recorded"]) == ("block", "deny-list", "true")
