"""Regional context (Directory Service, CloudTrail, CloudWatch) and the resources Connect points at."""

from __future__ import annotations

import threading
from typing import Any

from connectguard.collect.account import decode_policy_document
from connectguard.collect.caller import ABSENT, AwsReader
from connectguard.inventory.model import (
    Alarm,
    Directory,
    KmsKey,
    LambdaFunction,
    LifecycleRule,
    LogGroup,
    MetricFilter,
    RadiusInfo,
    S3Bucket,
    StreamEncryption,
    SubscriptionFilter,
    Trail,
)

CONNECT_LOG_PREFIX = "/aws/connect/"
CONNECT_EVENT_SOURCE = "connect.amazonaws.com"


def arn_region(arn: str | None) -> str | None:
    if not arn or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 3 else None


def arn_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


# ---------------------------------------------------------------------- Directory Service


def collect_directories(r: AwsReader, region: str) -> list[Directory] | None:
    items = r.pages("ds", region, "DescribeDirectories", "DirectoryDescriptions", hides="directories")
    if items is None:
        return None
    out = []
    for d in items:
        owner = d.get("OwnerDirectoryDescription") or {}
        settings = d.get("RadiusSettings") or owner.get("RadiusSettings") or {}
        status = d.get("RadiusStatus") or owner.get("RadiusStatus")
        # RadiusSettings.SharedSecret is never copied (moto echoes it back).
        radius = RadiusInfo(status=status, authentication_protocol=settings.get("AuthenticationProtocol"),
                            servers_count=len(settings.get("RadiusServers") or []) + len(
                                settings.get("RadiusServersIpv6") or []),
                            port=settings.get("RadiusPort"))
        out.append(Directory(id=d["DirectoryId"], name=d.get("Name"), short_name=d.get("ShortName"),
                             alias=d.get("Alias"), type=d.get("Type"), stage=d.get("Stage"), radius=radius))
    return out


# ---------------------------------------------------------------------- CloudTrail


class TrailCache:
    """Multi-region trails show up in every region; their status is read once, in their home region."""

    def __init__(self) -> None:
        self.status: dict[str, tuple[Any, Any]] = {}
        self.lock = threading.Lock()  # regions are collected in parallel; read each trail once


def collect_trails(r: AwsReader, region: str, cache: TrailCache) -> list[Trail] | None:
    resp = r.call("cloudtrail", region, "DescribeTrails", includeShadowTrails=True, hides="cloudtrail")
    if resp is None:
        return None
    out = []
    for t in resp.get("trailList") or []:
        arn = t.get("TrailARN") or t["Name"]
        home = t.get("HomeRegion") or region
        trail = Trail(name=t["Name"], arn=arn, home_region=home, is_multi_region=bool(t.get("IsMultiRegionTrail")),
                      is_organization_trail=bool(t.get("IsOrganizationTrail")), s3_bucket=t.get("S3BucketName"),
                      kms_key_id=t.get("KmsKeyId"), log_file_validation=bool(t.get("LogFileValidationEnabled")),
                      cloudwatch_log_group_arn=t.get("CloudWatchLogsLogGroupArn"))
        with cache.lock:
            if arn not in cache.status:
                status = r.call("cloudtrail", home, "GetTrailStatus", Name=arn, hides="trail.status", resource=arn)
                selectors = r.call("cloudtrail", home, "GetEventSelectors", TrailName=arn, hides="trail.status",
                                   resource=arn)
                cache.status[arn] = (status, selectors)
            status, selectors = cache.status[arn]
        if status:
            trail.is_logging = bool(status.get("IsLogging"))
        if selectors:
            trail.management_events, trail.read_write_type, trail.excludes_connect_events = _selectors(selectors)
        out.append(trail)
    return out


def _selectors(resp: dict[str, Any]) -> tuple[bool, str | None, bool]:
    management = False
    rw: str | None = None
    excludes = False
    for sel in resp.get("EventSelectors") or []:
        if sel.get("IncludeManagementEvents", True):
            management = True
            rw = sel.get("ReadWriteType", "All") if rw in (None, sel.get("ReadWriteType")) else "All"
            if CONNECT_EVENT_SOURCE in (sel.get("ExcludeManagementEventSources") or []):
                excludes = True
    for sel in resp.get("AdvancedEventSelectors") or []:
        fields = {f.get("Field"): f for f in sel.get("FieldSelectors") or []}
        category = fields.get("eventCategory", {})
        if "Management" not in (category.get("Equals") or []):
            continue
        management = True
        ro = fields.get("readOnly", {}).get("Equals") or []
        sel_rw = "All" if not ro else ("ReadOnly" if ro == ["true"] else "WriteOnly" if ro == ["false"] else "All")
        rw = sel_rw if rw in (None, sel_rw) else "All"
        source = fields.get("eventSource", {})
        if CONNECT_EVENT_SOURCE in (source.get("NotEquals") or []) or (
                source.get("Equals") and CONNECT_EVENT_SOURCE not in source["Equals"]):
            excludes = True
    return management, rw, excludes


# ---------------------------------------------------------------------- CloudWatch


def collect_log_groups(r: AwsReader, region: str) -> list[LogGroup] | None:
    items = r.pages("logs", region, "DescribeLogGroups", "logGroups", logGroupNamePrefix=CONNECT_LOG_PREFIX,
                    hides="log_groups")
    if items is None:
        return None
    out = []
    for g in items:
        group = LogGroup(name=g["logGroupName"], arn=g.get("arn"), retention_days=g.get("retentionInDays"),
                         kms_key_id=g.get("kmsKeyId"))
        subs = r.pages("logs", region, "DescribeSubscriptionFilters", "subscriptionFilters",
                       logGroupName=group.name, hides="log_group.filters", resource=group.arn or group.name)
        if subs is not None:
            group.subscription_filters = [SubscriptionFilter(name=s.get("filterName", ""),
                                                             destination_arn=s.get("destinationArn", ""),
                                                             pattern=s.get("filterPattern") or "") for s in subs]
        metrics = r.pages("logs", region, "DescribeMetricFilters", "metricFilters", logGroupName=group.name,
                          hides="log_group.filters", resource=group.arn or group.name)
        if metrics is not None:
            group.metric_filters = []
            for m in metrics:
                transforms = m.get("metricTransformations") or [{}]
                group.metric_filters.append(MetricFilter(
                    name=m.get("filterName", ""), pattern=m.get("filterPattern") or "",
                    metric_namespace=transforms[0].get("metricNamespace"),
                    metric_name=transforms[0].get("metricName")))
        out.append(group)
    return out


def collect_alarms(r: AwsReader, region: str) -> list[dict[str, Any]] | None:
    """Every metric alarm; :func:`relevant_alarms` keeps the Connect ones once log groups are known."""
    return r.pages("cloudwatch", region, "DescribeAlarms", "MetricAlarms", hides="alarms")


def relevant_alarms(raw: list[dict[str, Any]], log_groups: list[LogGroup] | None) -> list[Alarm]:
    metrics_of_interest = {(f.metric_namespace, f.metric_name) for g in log_groups or []
                           for f in g.metric_filters or []}
    out = []
    for a in raw:
        metrics = [f"{q['MetricStat']['Metric'].get('Namespace')}/{q['MetricStat']['Metric'].get('MetricName')}"
                   for q in a.get("Metrics") or [] if q.get("MetricStat", {}).get("Metric")]
        pairs = {(a.get("Namespace"), a.get("MetricName"))} | {_split_metric(m) for m in metrics}
        namespaces = {p[0] for p in pairs}
        if "AWS/Connect" not in namespaces and not (pairs & metrics_of_interest):
            continue
        out.append(Alarm(name=a["AlarmName"], arn=a.get("AlarmArn"), namespace=a.get("Namespace"),
                         metric_name=a.get("MetricName"),
                         dimensions={d["Name"]: d.get("Value", "") for d in a.get("Dimensions") or []},
                         actions_enabled=bool(a.get("ActionsEnabled", True)),
                         alarm_actions=list(a.get("AlarmActions") or []), metrics=metrics))
    return out


def _split_metric(m: str) -> tuple[str, str]:
    # Namespaces contain "/" (AWS/Connect): the metric name is after the last one.
    ns, _, name = m.rpartition("/")
    return ns, name


# ---------------------------------------------------------------------- resources Connect points at


def collect_stream(r: AwsReader, arn: str, kind: str, fallback_region: str) -> StreamEncryption | None:
    region = arn_region(arn) or fallback_region
    name = arn_name(arn)
    if kind == "kinesis":
        resp = r.call("kinesis", region, "DescribeStreamSummary", StreamARN=arn, hides="kinesis_stream", resource=arn)
        if resp is None:
            return StreamEncryption(arn=arn, name=name, kind="kinesis")
        d = resp.get("StreamDescriptionSummary", {})
        return StreamEncryption(arn=arn, name=d.get("StreamName", name), kind="kinesis",
                                encryption=d.get("EncryptionType") or "NONE", kms_key_id=d.get("KeyId"))
    resp = r.call("firehose", region, "DescribeDeliveryStream", DeliveryStreamName=name, hides="firehose_stream",
                  resource=arn)
    if resp is None:
        return StreamEncryption(arn=arn, name=name, kind="firehose")
    d = resp.get("DeliveryStreamDescription", {})
    enc = d.get("DeliveryStreamEncryptionConfiguration") or {}
    bucket = None
    for dest in d.get("Destinations") or []:
        s3 = dest.get("ExtendedS3DestinationDescription") or dest.get("S3DestinationDescription") or {}
        if s3.get("BucketARN"):
            bucket = s3["BucketARN"].split(":::")[-1]
            break
    return StreamEncryption(arn=arn, name=name, kind="firehose", encryption=enc.get("Status") or "DISABLED",
                            kms_key_id=enc.get("KeyARN"), destination_bucket=bucket)


def collect_lambda(r: AwsReader, arn: str, fallback_region: str) -> LambdaFunction:
    region = arn_region(arn) or fallback_region
    fn = LambdaFunction(arn=arn, name=arn_name(arn) if ":function:" not in arn else arn.split(":function:")[1].split(":")[0])
    conf = r.call("lambda", region, "GetFunctionConfiguration", FunctionName=arn, hides="lambda_function", resource=arn)
    if conf:
        fn.runtime = conf.get("Runtime")
        fn.name = conf.get("FunctionName") or fn.name
    else:
        fn.configuration_seen = False
    pol = r.call("lambda", region, "GetPolicy", FunctionName=arn, hides="lambda_function", resource=arn,
                 absent_codes=("ResourceNotFoundException",))
    if pol and pol is not ABSENT:
        fn.resource_policy = decode_policy_document(pol.get("Policy"))
    return fn


def collect_kms_key(r: AwsReader, ref: str, region: str) -> KmsKey:
    resp = r.call("kms", region, "DescribeKey", KeyId=ref, hides="kms_key", resource=ref)
    if resp is None:
        return KmsKey(key_id=ref, referenced_as=[ref])
    meta = resp.get("KeyMetadata", {})
    key = KmsKey(key_id=meta.get("KeyId", ref), arn=meta.get("Arn"), manager=meta.get("KeyManager"),
                 state=meta.get("KeyState"), referenced_as=[ref])
    rot = r.call("kms", region, "GetKeyRotationStatus", KeyId=meta.get("Arn") or ref, hides="kms_key", resource=ref)
    if rot:
        key.rotation_enabled = bool(rot.get("KeyRotationEnabled"))
    return key


_S3_ABSENT = ("NoSuchLifecycleConfiguration", "ServerSideEncryptionConfigurationNotFoundError",
              "NoSuchPublicAccessBlockConfiguration", "ObjectLockConfigurationNotFoundError", "NoSuchBucketPolicy")


def collect_bucket(r: AwsReader, name: str, default_region: str) -> S3Bucket:
    bucket = S3Bucket(name=name)
    loc = r.call("s3", default_region, "GetBucketLocation", Bucket=name, hides="s3_bucket", resource=name,
                 absent_codes=("NoSuchBucket",))
    if loc is ABSENT:  # named by a storage config or trail, but gone: one error, nothing else to read
        r.record("s3", "GetBucketLocation", "s3_bucket", "the bucket does not exist", region=default_region,
                 resource=name, code="NoSuchBucket")
        return bucket
    if loc:
        bucket.region = loc.get("LocationConstraint") or "us-east-1"
        if bucket.region == "EU":
            bucket.region = "eu-west-1"
    region = bucket.region or default_region

    def get(op: str) -> Any:
        return r.call("s3", region, op, Bucket=name, hides="s3_bucket", resource=name, absent_codes=_S3_ABSENT)

    lc = get("GetBucketLifecycleConfiguration")
    if lc is ABSENT:
        bucket.lifecycle_rules = []
    elif lc:
        bucket.lifecycle_rules = [_lifecycle_rule(rule) for rule in lc.get("Rules") or []]
    enc = get("GetBucketEncryption")
    if enc is ABSENT:
        bucket.encryption = {}
    elif enc:
        rules = (enc.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        default = (rules[0].get("ApplyServerSideEncryptionByDefault") or {}) if rules else {}
        bucket.encryption = {"algorithm": default.get("SSEAlgorithm"), "kms_key_id": default.get("KMSMasterKeyID"),
                             "bucket_key": bool(rules[0].get("BucketKeyEnabled")) if rules else False}
    pab = get("GetPublicAccessBlock")
    if pab is ABSENT:
        bucket.public_access_block = {}
    elif pab:
        bucket.public_access_block = {k: bool(v) for k, v in (pab.get("PublicAccessBlockConfiguration") or {}).items()}
    ver = get("GetBucketVersioning")
    if ver:
        bucket.versioning = ver.get("Status") or ""
    lock = get("GetObjectLockConfiguration")
    if lock is ABSENT:
        bucket.object_lock = False
    elif lock:
        bucket.object_lock = (lock.get("ObjectLockConfiguration") or {}).get("ObjectLockEnabled") == "Enabled"
    status = get("GetBucketPolicyStatus")
    if status is ABSENT:
        bucket.policy_is_public = False
    elif status:
        bucket.policy_is_public = bool((status.get("PolicyStatus") or {}).get("IsPublic"))
    policy = get("GetBucketPolicy")
    if policy is ABSENT:
        bucket.policy = {}
    elif policy:
        bucket.policy = decode_policy_document(policy.get("Policy")) or {}
    return bucket


def _lifecycle_rule(rule: dict[str, Any]) -> LifecycleRule:
    flt = rule.get("Filter") or {}
    prefix = rule.get("Prefix") if rule.get("Prefix") is not None else flt.get("Prefix", (flt.get("And") or {}).get("Prefix"))
    return LifecycleRule(
        id=rule.get("ID"), enabled=rule.get("Status") == "Enabled", prefix=prefix,
        transitions=[{"days": t.get("Days"), "storage_class": t.get("StorageClass")} for t in rule.get("Transitions") or []],
        expiration_days=(rule.get("Expiration") or {}).get("Days"),
    )
