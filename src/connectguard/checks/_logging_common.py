"""Helpers shared by the logging, retention, CloudTrail and encryption checks."""

from __future__ import annotations

from collections.abc import Iterator

from connectguard.audit.registry import CheckContext
from connectguard.inventory.model import (
    Alarm,
    Instance,
    KmsKey,
    LifecycleRule,
    LogGroup,
    RegionInventory,
    S3Bucket,
    StorageConfig,
    Trail,
)

ARCHIVE_CLASSES = frozenset({"STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR",
                             "DEEP_ARCHIVE"})


def flow_log_group_name(instance: Instance) -> str:
    return f"/aws/connect/{instance.alias or instance.id}"


def find_log_group(region: RegionInventory, name: str) -> LogGroup | None:
    for group in region.log_groups or []:
        if group.name == name:
            return group
    return None


def alarm_covers(alarm: Alarm, namespace: str, metric: str, dimensions: dict[str, str] | None = None) -> bool:
    """The alarm watches ``namespace/metric`` (for these dimension values, when the alarm names them)."""
    if alarm.namespace == namespace and alarm.metric_name == metric:
        return all(alarm.dimensions.get(k) == v for k, v in (dimensions or {}).items())
    return f"{namespace}/{metric}" in alarm.metrics


def alarm_acts(alarm: Alarm) -> bool:
    return alarm.actions_enabled and bool(alarm.alarm_actions)


def s3_storage_configs(instance: Instance) -> Iterator[StorageConfig]:
    for configs in (instance.storage_configs or {}).values():
        for config in configs or []:
            if config.storage_type == "S3" and config.s3_bucket:
                yield config


def all_trails(ctx: CheckContext) -> list[Trail] | None:
    """Every trail seen in any region, once; None when no region's trails were seen."""
    seen: dict[str, Trail] = {}
    any_seen = False
    for region in ctx.snapshot.regions:
        if region.trails is None:
            continue
        any_seen = True
        for trail in region.trails:
            seen.setdefault(trail.arn, trail)
    return list(seen.values()) if any_seen else None


def find_kms_key(region: RegionInventory, ref: str) -> KmsKey | None:
    short = ref.rsplit("/", 1)[-1] if ref.startswith("arn:") and ":key/" in ref else ref
    for key in region.kms_keys:
        if ref in (key.key_id, key.arn) or short == key.key_id or ref in key.referenced_as:
            return key
    return None


def key_is_aws_managed(region: RegionInventory, ref: str) -> bool | None:
    """True for AWS-managed keys (alias/aws/...), False for customer-managed, None when unknown."""
    if ref.startswith("alias/aws/") or ":alias/aws/" in ref:
        return True
    key = find_kms_key(region, ref)
    if key is None or key.manager is None:
        return None
    return key.manager == "AWS"


def rule_days(item: dict, *names: str) -> int | None:
    for name in names:
        value = item.get(name)
        if isinstance(value, int):
            return value
    return None


def lifecycle_gaps(bucket: S3Bucket, prefixes: list[str], transition_days: int,
                   expiration_days: int | None) -> tuple[list[str], list[dict]]:
    """What the bucket's lifecycle lacks for objects under ``prefixes`` ([] = fine), and the rules that apply."""
    rules: list[LifecycleRule] = [r for r in bucket.lifecycle_rules or [] if r.enabled and _applies(r, prefixes)]
    gaps = []
    transition_ok = any(
        (rule_days(t, "days", "Days") or 0) <= transition_days
        and str(t.get("storage_class") or t.get("StorageClass") or "").upper() in ARCHIVE_CLASSES
        for r in rules for t in r.transitions)
    if not transition_ok:
        gaps.append(f"no enabled rule moves objects to Standard-IA or Glacier within {transition_days} days")
    if expiration_days is not None and not any(
            r.expiration_days is not None and r.expiration_days <= expiration_days for r in rules):
        gaps.append(f"no enabled rule expires objects within {expiration_days} days")
    return gaps, [r.model_dump(exclude_none=True) for r in rules]


def _applies(rule: LifecycleRule, prefixes: list[str]) -> bool:
    if not rule.prefix or not prefixes:
        return True
    return all(p.startswith(rule.prefix) for p in prefixes)
