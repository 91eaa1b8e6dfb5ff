import datetime as dt

import pytest

from connectguard.inventory.model import (
    CollectionError,
    Directory,
    Instance,
    RadiusInfo,
    RegionInventory,
    Snapshot,
    StorageConfig,
)

ACCOUNT = "123456789012"


def arn(region, iid):
    return f"arn:aws:connect:{region}:{ACCOUNT}:instance/{iid}"


@pytest.fixture
def small_snapshot():
    """Two regions: one fully seen, one whose ListInstances was denied."""
    east = RegionInventory(
        region="us-east-1",
        instances=[
            Instance(id="i-managed", arn=arn("us-east-1", "i-managed"), alias="managed",
                     identity_management_type="CONNECT_MANAGED", attributes={"CONTACTFLOW_LOGS": "true"},
                     storage_configs={"CALL_RECORDINGS": [StorageConfig(
                         association_id="a1", resource_type="CALL_RECORDINGS", storage_type="S3",
                         s3_bucket="rec", s3_prefix="p", kms_key_id="arn:aws:kms:us-east-1:123456789012:key/k")]}),
            Instance(id="i-dir", arn=arn("us-east-1", "i-dir"), alias="dir",
                     identity_management_type="EXISTING_DIRECTORY", attributes=None, storage_configs=None),
        ],
        directories=[Directory(id="d-1", radius=RadiusInfo(status="Completed"))],
    )
    west = RegionInventory(region="eu-west-2", instances=None, directories=None)
    return Snapshot(
        tool_version="0.1.0", collected_at=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc), account_id=ACCOUNT,
        regions=[east, west],
        errors=[
            CollectionError(service="connect", operation="ListInstances", hides="instances",
                            code="AccessDeniedException", message="denied", region="eu-west-2", http_status=403),
            CollectionError(service="connect", operation="ListInstanceAttributes", hides="instance.attributes",
                            code="ThrottlingException", region="us-east-1", instance_id="i-dir", attempts=8),
            CollectionError(service="connect", operation="ListInstanceStorageConfigs",
                            hides="instance.storage_configs", code="InternalServiceException",
                            region="us-east-1", instance_id="i-dir", http_status=500),
        ],
    )
