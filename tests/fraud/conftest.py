from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from connectguard.fraud import admin, store
from connectguard.fraud.handler import Screener, reset_default_screener

TABLE = "cg-fraud-test"
LOG_KEY = b"test-log-key"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("CONNECTGUARD_FRAUD_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    reset_default_screener()
    yield
    reset_default_screener()


@pytest.fixture(scope="module")
def _mocked_aws() -> Iterator[None]:
    # One moto mock per module (starting one costs about a second on a loaded machine);
    # each test gets a fresh table from `ddb`.
    with mock_aws():
        yield


@pytest.fixture
def ddb(_mocked_aws) -> Iterator[object]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    admin.init_table(client, TABLE)
    yield client
    client.delete_table(TableName=TABLE)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def screener(ddb, clock) -> Screener:
    return Screener(TABLE, store.make_client(), env={}, clock=clock, log_key=LOG_KEY)


def event(address: object = "+12065550100", params: dict | None = None, contact_id: str | None = None,
          endpoint: bool = True) -> dict:
    contact: dict = {
        "Attributes": {},
        "Channel": "VOICE",
        "ContactId": contact_id or str(uuid.uuid4()),
        "InitialContactId": "x",
        "InitiationMethod": "INBOUND",
        "InstanceARN": "arn:aws:connect:us-east-1:123456789012:instance/abc",
        "SystemEndpoint": {"Address": "+18005550199", "Type": "TELEPHONE_NUMBER"},
    }
    if endpoint:
        contact["CustomerEndpoint"] = {"Address": address, "Type": "TELEPHONE_NUMBER"}
    return {"Name": "ContactFlowEvent", "Details": {"ContactData": contact, "Parameters": params or {}}}


@pytest.fixture
def offline(clock) -> Screener:
    """A screener whose DynamoDB endpoint does not exist: for decisions that must make no request
    (any request would turn the answer into reason=error)."""
    client = store.make_client(endpoint_url="http://127.0.0.1:9", region="us-east-1")
    return Screener(TABLE, client, env={}, clock=clock, log_key=LOG_KEY)
