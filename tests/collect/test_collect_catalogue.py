"""The call catalogue: read-only, largest pages, and the IAM policy derived from it."""

from __future__ import annotations

import json

import botocore.session
import pytest
from click.testing import CliRunner

from connectguard.cli import cli
from connectguard.collect.catalogue import (
    CATALOGUE,
    DENIED_IAM_ACTIONS,
    FORBIDDEN_OPERATIONS,
    ForbiddenOperation,
    check_allowed,
    required_policy,
)

_SESSION = botocore.session.get_session()


def _limit_key(service: str, operation: str) -> str | None:
    try:
        paginator = _SESSION.get_paginator_model(service).get_paginator(operation)
    except ValueError:
        return None
    return paginator.get("limit_key")


@pytest.mark.parametrize("op", list(CATALOGUE.values()), ids=lambda op: op.key)
def test_every_catalogued_operation_exists_in_the_service_model(op) -> None:
    model = _SESSION.get_service_model(op.service)
    assert op.name in model.operation_names


@pytest.mark.parametrize("op", [op for op in CATALOGUE.values() if op.page_size], ids=lambda op: op.key)
def test_page_sizes_are_each_apis_largest(op) -> None:
    model = _SESSION.get_service_model(op.service).operation_model(op.name)
    limit_key = _limit_key(op.service, op.name)
    assert limit_key, f"{op.key} has a page size but no paginator"
    member = model.input_shape.members[limit_key]
    declared_max = member.metadata.get("max")
    if declared_max is not None:
        assert op.page_size == declared_max


def test_paginated_connect_operations_all_have_a_page_size() -> None:
    for op in CATALOGUE.values():
        if op.service == "connect" and _limit_key(op.service, op.name):
            assert op.page_size, f"{op.key} would page at the server's default size"


def test_forbidden_operations_are_refused_even_if_they_look_like_reads() -> None:
    for name in FORBIDDEN_OPERATIONS:
        for service in ("connect", "sts"):
            with pytest.raises(ForbiddenOperation):
                check_allowed(service, name)
    with pytest.raises(ForbiddenOperation):
        check_allowed("connect", "UpdateInstanceAttribute")
    with pytest.raises(ForbiddenOperation):
        check_allowed("connect", "GetCurrentMetricData")  # a read, but not one the collector needs
    assert check_allowed("connect", "SearchUsers").page_size == 500


def test_only_reads_and_assume_role_are_catalogued() -> None:
    for op in CATALOGUE.values():
        assert op.name.startswith(("Describe", "List", "Search", "Get")) or op.key == "sts:AssumeRole"
        assert op.name not in FORBIDDEN_OPERATIONS


def test_policy_allows_every_read_and_denies_emergency_access_and_federation() -> None:
    policy = required_policy()
    allow, deny = policy["Statement"]
    assert len(required_policy("arn:aws:iam::210987654321:role/r")["Statement"]) == 3
    assert allow["Effect"] == "Allow" and deny["Effect"] == "Deny"
    assert set(deny["Action"]) == set(DENIED_IAM_ACTIONS)
    for op in CATALOGUE.values():
        if not op.credential:
            assert op.action in allow["Action"]
    assert not any("*" in a for a in allow["Action"])  # no wildcard that would grant GetFederationToken
    assert not set(allow["Action"]) & set(deny["Action"])


def test_permissions_command_prints_the_policy() -> None:
    result = CliRunner().invoke(cli, ["permissions"])
    assert result.exit_code == 0
    assert json.loads(result.output) == required_policy()
    text = CliRunner().invoke(cli, ["permissions", "--format", "text"])
    assert "deny  connect:AdminGetEmergencyAccessToken" in text.output
