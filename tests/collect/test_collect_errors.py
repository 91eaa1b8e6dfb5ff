"""Mapping botocore failures to CollectionError records."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from connectguard.collect.caller import error_from_exception
from connectguard.inventory.model import HIDES


def _client_error(code: str, status: int, retries: int = 0, message: str = "denied") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": retries}}, "SearchUsers")


def test_client_error_keeps_code_status_and_attempts() -> None:
    err = error_from_exception("connect", "SearchUsers", "instance.users", _client_error("ThrottlingException", 429, 7),
                               region="us-east-1", instance_id="i-1")
    assert (err.code, err.http_status, err.attempts) == ("ThrottlingException", 429, 8)
    assert err.hides in HIDES and err.instance_id == "i-1" and err.region == "us-east-1"
    assert "ThrottlingException" in err.describe()


def test_network_errors_are_named_by_type() -> None:
    exc = EndpointConnectionError(endpoint_url="https://connect.example")
    err = error_from_exception("connect", "ListInstances", "instances", exc, region="eu-west-2")
    assert err.code == "EndpointConnectionError"


def test_html_error_pages_are_not_copied_into_the_snapshot() -> None:
    exc = _client_error("404", 404, message="<!doctype html>\n<html><title>404 Not Found</title></html>")
    err = error_from_exception("connect", "ListQueues", "instance.queues", exc)
    assert "<" not in err.message and "404" in err.message


def test_unknown_hides_key_is_a_bug() -> None:
    from connectguard.collect.caller import AwsReader

    class _Session:  # never used: record() does not touch AWS
        pass

    reader = AwsReader(_Session())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        reader.record("connect", "SearchUsers", "no-such-thing", "x")
