"""Pagination limits, the quota emulation and every fault kind, through real boto3 clients."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from connectguard.simulator import Fault, SimulatedEstate, demo_world


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


@pytest.mark.parametrize(
    ("method", "limit", "extra"),
    [
        ("list_instance_attributes", 7, {}),
        ("list_instance_storage_configs", 10, {"ResourceType": "CALL_RECORDINGS"}),
        ("list_users", 1000, {}),
        ("search_users", 500, {}),
        ("search_contact_flows", 100, {}),
        ("list_approved_origins", 25, {}),
        ("list_security_keys", 2, {}),
    ],
)
def test_max_results_up_to_the_model_limit(connect, support, method: str, limit: int, extra: dict) -> None:
    getattr(connect, method)(InstanceId=support.id, MaxResults=limit, **extra)  # the limit itself is fine
    with pytest.raises(ClientError) as exc:
        getattr(connect, method)(InstanceId=support.id, MaxResults=limit + 1, **extra)
    assert _code(exc) == "InvalidParameterException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_pages_cover_everything_once(connect, support) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs = {"InstanceId": support.id, "MaxResults": 17}
        if token:
            kwargs["NextToken"] = token
        page = connect.list_users(**kwargs)
        assert len(page["UserSummaryList"]) <= 17
        seen += [u["Id"] for u in page["UserSummaryList"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [u.id for u in support.users]
    assert pages == -(-len(support.users) // 17)


def test_next_token_is_opaque_and_bound_to_its_query(connect, support, world) -> None:
    token = connect.list_users(InstanceId=support.id, MaxResults=2)["NextToken"]
    with pytest.raises(ClientError) as exc:
        connect.list_users(InstanceId=support.id, NextToken="not-a-token")
    assert _code(exc) == "InvalidParameterException"
    other = world.instance("acme-sales")
    with pytest.raises(ClientError) as exc:  # a token of one instance's listing is not valid for another
        connect.list_users(InstanceId=other.id, NextToken=token)
    assert _code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:  # nor for another operation
        connect.list_contact_flows(InstanceId=support.id, NextToken=token)
    assert _code(exc) == "InvalidParameterException"


def test_quota_throttles_past_the_burst_then_adaptive_retries_succeed() -> None:
    world = demo_world()
    with SimulatedEstate(world, moto=False, quota=True) as estate:
        impatient = estate.client("connect", retries={"mode": "standard", "total_max_attempts": 1})
        outcomes = []
        for _ in range(12):  # burst 5 at 2/s: a tight loop of 12 outruns the bucket unless it takes > 3.5 s
            try:
                impatient.list_instances()
                outcomes.append("ok")
            except ClientError as exc:
                outcomes.append(exc.response["Error"]["Code"])
        assert outcomes[:5] == ["ok"] * 5
        assert "ThrottlingException" in outcomes[5:]
        assert estate.connect.throttles["ListInstances"] == outcomes.count("ThrottlingException")
        # the bucket is per operation: another operation still has its burst
        impatient.describe_instance(InstanceId=world.regions["us-east-1"].connect_instances[0].id)
        # botocore's adaptive retry mode absorbs the 429s
        patient = estate.client("connect", retries={"mode": "adaptive", "total_max_attempts": 10})
        estate.connect.reset_counters()
        for _ in range(6):
            assert patient.list_instances()["InstanceSummaryList"]
        assert estate.connect.throttles["ListInstances"] > 0
        assert estate.connect.calls["ListInstances"] == 6 + estate.connect.throttles["ListInstances"]


def test_throttle_fault_n_times_then_standard_retries_succeed(estate, support) -> None:
    estate.connect.clear_faults()
    estate.connect.reset_counters()
    estate.connect.throttle("ListSecurityProfiles", times=2)
    client = estate.client("connect", retries={"mode": "standard", "total_max_attempts": 3})
    client.list_security_profiles(InstanceId=support.id)
    assert estate.connect.calls["ListSecurityProfiles"] == 3
    assert estate.connect.throttles["ListSecurityProfiles"] == 2
    # spent: the next call is not throttled
    client.list_security_profiles(InstanceId=support.id)
    assert estate.connect.throttles["ListSecurityProfiles"] == 2


def test_probabilistic_throttle_is_seeded(support) -> None:
    def run() -> list[str]:
        with SimulatedEstate(demo_world(), moto=False, quota=False, seed=3,
                             faults=[Fault.throttle("ListQueues", probability=0.5)]) as estate:
            client = estate.client("connect", retries={"mode": "standard", "total_max_attempts": 1})
            out = []
            for _ in range(20):
                try:
                    client.list_queues(InstanceId=support.id)
                    out.append("ok")
                except ClientError as exc:
                    out.append(exc.response["Error"]["Code"])
            return out

    first = run()
    assert set(first) == {"ok", "ThrottlingException"}
    assert run() == first


def test_error_fault_is_a_retried_5xx(estate, support) -> None:
    estate.connect.clear_faults()
    estate.connect.reset_counters()
    estate.connect.fail("ListQueues", status=503, times=1)
    client = estate.client("connect", retries={"mode": "standard", "total_max_attempts": 2})
    client.list_queues(InstanceId=support.id)
    assert estate.connect.calls["ListQueues"] == 2
    estate.connect.fail("ListQueues")  # always
    with pytest.raises(ClientError) as exc:
        client.list_queues(InstanceId=support.id)
    assert _code(exc) == "InternalServiceException"
    estate.connect.clear_faults()


def test_access_denied_for_one_security_profile_only(connect, estate, support) -> None:
    denied, allowed = support.security_profiles[0], support.security_profiles[1]
    estate.connect.deny("ListSecurityProfilePermissions", resource_ids=[denied.id])
    with pytest.raises(ClientError) as exc:
        connect.list_security_profile_permissions(InstanceId=support.id, SecurityProfileId=denied.id)
    assert _code(exc) == "AccessDeniedException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert connect.list_security_profile_permissions(InstanceId=support.id, SecurityProfileId=allowed.id)[
        "Permissions"] == allowed.permissions[:100]


def test_access_denied_always(connect, estate, support) -> None:
    estate.connect.deny("SearchUsers")
    with pytest.raises(ClientError) as exc:
        connect.search_users(InstanceId=support.id)
    assert _code(exc) == "AccessDeniedException"
    assert connect.list_users(InstanceId=support.id, MaxResults=1)["UserSummaryList"]  # other operations unaffected


def test_latency_fault_delays_the_response(estate, support) -> None:
    estate.connect.clear_faults()
    estate.connect.slow("ListRoutingProfiles", 1.5, times=1)
    hasty = estate.client("connect", retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=0.3)
    with pytest.raises(ReadTimeoutError):
        hasty.list_routing_profiles(InstanceId=support.id)
    assert hasty.list_routing_profiles(InstanceId=support.id)["RoutingProfileSummaryList"]  # fault spent


def test_faults_name_real_operations(estate) -> None:
    with pytest.raises(ValueError, match="not a Connect operation"):
        estate.connect.throttle("ListUserz")


def test_environment_points_boto3_at_the_estate(estate, monkeypatch, world) -> None:
    import boto3

    for name, value in estate.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = boto3.client("connect", config=Config(retries={"total_max_attempts": 1}))
    aliases = [i["InstanceAlias"] for i in client.list_instances()["InstanceSummaryList"]]
    assert aliases == [i.alias for i in world.regions[estate.env["AWS_DEFAULT_REGION"]].connect_instances]


def test_concurrent_clients_are_served_and_counted(estate, support) -> None:
    from concurrent.futures import ThreadPoolExecutor

    estate.connect.clear_faults()
    estate.connect.reset_counters()
    users = support.users[:40]

    def describe(user_id: str) -> str:
        client = estate.client("connect", retries={"mode": "standard", "total_max_attempts": 1})
        return client.describe_user(InstanceId=support.id, UserId=user_id)["User"]["Id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(describe, [u.id for u in users]))
    assert got == [u.id for u in users]
    assert estate.connect.calls["DescribeUser"] == len(users)
    assert estate.connect.violations == []


def test_quota_buckets_are_per_region(world) -> None:
    with SimulatedEstate(world, moto=False, quota=True) as estate:
        east = estate.client("connect", region="us-east-1", retries={"mode": "standard", "total_max_attempts": 1})
        west = estate.client("connect", region="eu-west-2", retries={"mode": "standard", "total_max_attempts": 1})
        for _ in range(5):  # spend us-east-1's burst for ListInstances
            east.list_instances()
        for _ in range(5):  # eu-west-2 has a burst of its own
            west.list_instances()
        assert estate.connect.throttles["ListInstances"] == 0
        with pytest.raises(ClientError) as exc:
            for _ in range(10):
                east.list_instances()
        assert _code(exc) == "ThrottlingException"
