"""The collector cannot mutate anything or sign anyone in, whoever calls its clients."""

from __future__ import annotations

import boto3
import pytest
from collectkit import collect, faults, small_instance

from connectguard.collect.caller import AwsReader
from connectguard.collect.catalogue import CATALOGUE, ForbiddenOperation

REGION = "us-east-1"


@pytest.fixture()
def reader(estate) -> AwsReader:
    return AwsReader(boto3.Session(), max_rps=500)


def test_sign_in_and_federation_operations_never_reach_the_server(estate, reader) -> None:
    instance_id = estate.world.instances()[0][1].id
    connect = reader.client("connect", REGION)
    sts = reader.client("sts", REGION)
    with faults(estate) as sim:
        with pytest.raises(ForbiddenOperation):
            connect.get_federation_token(InstanceId=instance_id)
        with pytest.raises(ForbiddenOperation):
            reader.call("connect", REGION, "GetFederationToken", hides="instance", InstanceId=instance_id)
        with pytest.raises(ForbiddenOperation):
            sts.get_federation_token(Name="connectguard")
        assert sim.calls == {}
    assert reader.errors == []  # a refused operation is a bug to surface, not an API failure to record


@pytest.mark.parametrize("operation, params", [
    ("update_instance_attribute", {"AttributeType": "CONTACTFLOW_LOGS", "Value": "false"}),
    ("delete_instance", {}),
    ("update_security_profile", {"SecurityProfileId": "x", "Permissions": ["Users.EditPermission"]}),
    ("get_current_metric_data", {"Filters": {}, "CurrentMetrics": []}),  # a read, but not catalogued
])
def test_operations_outside_the_catalogue_are_refused_before_any_request(estate, reader, operation, params) -> None:
    instance_id = estate.world.instances()[0][1].id
    client = reader.client("connect", REGION)
    with faults(estate) as sim:
        with pytest.raises(ForbiddenOperation):
            getattr(client, operation)(InstanceId=instance_id, **params)
        assert sim.calls == {}


def test_refusal_covers_other_services_too(reader) -> None:
    with pytest.raises(ForbiddenOperation):
        reader.client("iam", REGION).create_user(UserName="x")
    with pytest.raises(ForbiddenOperation):
        reader.client("s3", REGION).put_bucket_policy(Bucket="b", Policy="{}")


def test_a_full_collection_only_reads_and_leaves_the_world_unchanged(estate) -> None:
    before = estate.world.model_dump_json()
    with faults(estate) as sim:
        snap = collect(estate, regions=[REGION], instance_ids=[small_instance(estate).id])
        served = set(sim.calls)
    assert served, "the collection reached the Connect simulator"
    for name in served:
        assert ("connect", name) in CATALOGUE
        assert name.startswith(("Describe", "List", "Search", "Get")) and name != "GetFederationToken"
    for key in snap.stats.calls:
        service, name = key.split(":", 1)
        assert (service, name) in CATALOGUE
    assert estate.world.model_dump_json() == before
