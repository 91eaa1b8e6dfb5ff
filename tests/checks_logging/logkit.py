"""Snapshots for the logging, retention, CloudTrail, encryption and screening checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flowkit import ACCOUNT, INSTANCE_ARN, INSTANCE_ID, REGION, instance

from connectguard.audit.engine import run_audit
from connectguard.audit.registry import select_checks
from connectguard.config import Config, parse_config
from connectguard.conventions import Status
from connectguard.inventory.model import (
    Alarm,
    CollectionError,
    Instance,
    LogGroup,
    RegionInventory,
    Snapshot,
    StorageConfig,
    Trail,
)

__all__ = ["ACCOUNT", "INSTANCE_ARN", "INSTANCE_ID", "REGION", "instance"]

LOG_GROUP = "/aws/connect/acme"


def good_alarms(metrics=None) -> list[Alarm]:
    metrics = metrics or Config().audit.alarm_metrics
    return [Alarm(name=f"acme-{m}", namespace="AWS/Connect", metric_name=m, dimensions={"InstanceId": INSTANCE_ID},
                  alarm_actions=[f"arn:aws:sns:{REGION}:{ACCOUNT}:ops"]) for m in metrics]


def snapshot(inst: Instance | None = None, *, errors: list[CollectionError] = (), buckets=(), **region_fields: Any
             ) -> Snapshot:
    region_fields.setdefault("log_groups", [LogGroup(name=LOG_GROUP, retention_days=400, subscription_filters=[],
                                                     metric_filters=[])])
    region_fields.setdefault("alarms", [])
    region_fields.setdefault("trails", [])
    inst = inst if inst is not None else instance([])
    return Snapshot(tool_version="test", collected_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                    account_id=ACCOUNT, regions=[RegionInventory(region=REGION, instances=[inst], **region_fields)],
                    s3_buckets=list(buckets), errors=list(errors))


def results(snap: Snapshot, check_id: str, config: dict | None = None):
    cfg = parse_config(config or {})
    return [f for f in run_audit(snap, cfg, select_checks([check_id])).findings if f.check == check_id]


def statuses(snap: Snapshot, check_id: str, config: dict | None = None) -> list[Status]:
    return [f.status for f in results(snap, check_id, config)]


def s3_config(bucket: str, rtype: str = "CALL_RECORDINGS", key: str | None = None, prefix: str = "connect/"
              ) -> StorageConfig:
    return StorageConfig(association_id=f"a-{bucket}-{rtype}", resource_type=rtype, storage_type="S3",
                         s3_bucket=bucket, s3_prefix=prefix, kms_key_id=key)


def trail(**kw: Any) -> Trail:
    values = dict(name="main", arn=f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main", home_region=REGION,
                  is_multi_region=True, s3_bucket="acme-trail", log_file_validation=True,
                  kms_key_id="arn:aws:kms:us-east-1:123456789012:key/k", is_logging=True, management_events=True,
                  read_write_type="All", excludes_connect_events=False)
    values.update(kw)
    return Trail(**values)


def error(hides: str, **kw: Any) -> CollectionError:
    values = dict(service="x", operation="Op", hides=hides, code="AccessDeniedException", region=REGION)
    values.update(kw)
    return CollectionError(**values)
