"""[log-retention] Flow log retention, long-term export, and lifecycle of the buckets that hold logs and recordings."""

from __future__ import annotations

from collections.abc import Iterator

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label
from connectguard.checks._logging_common import (
    all_trails,
    find_log_group,
    flow_log_group_name,
    lifecycle_gaps,
    s3_storage_configs,
)
from connectguard.conventions import Practice, Severity, Status
from connectguard.inventory.model import Instance, LogGroup, RegionInventory


def _group_or_result(ctx: CheckContext, region: RegionInventory, instance: Instance,
                     report_missing: bool) -> LogGroup | Result | None:
    name = flow_log_group_name(instance)
    if region.log_groups is None:
        errors = ctx.snapshot.errors_for("log_groups", region=region.region)
        return ctx.unknown(instance.arn, f"log group {name}", errors, region=region.region)
    group = find_log_group(region, name)
    if group is None and report_missing:
        logs_on = instance.attribute("CONTACTFLOW_LOGS")
        why = " (flow logs are turned off on the instance)" if logs_on == "false" else ""
        return Result(instance.arn, Status.FAIL, f"{instance_label(instance)} has no flow log group {name}{why}",
                      evidence={"log_group": name, "CONTACTFLOW_LOGS": logs_on}, region=region.region)
    return group


def _group_arn(ctx: CheckContext, region: RegionInventory, group: LogGroup) -> str:
    return group.arn or f"arn:{ctx.snapshot.partition}:logs:{region.region}:{ctx.account}:log-group:{group.name}"


@check(
    id="flow-log-retention-short",
    title="The flow log group is missing, never expires, or keeps logs for less than the required time",
    practice=Practice.LOG_RETENTION,
    severity=Severity.LOW,
    rationale="""Connect creates /aws/connect/ALIAS with no retention: logs are kept (and billed) forever, and
    nobody decided how long they are needed. Too short a retention loses the evidence an investigation of fraud or
    an outage needs.""",
    remediation="""Set a retention of at least `[audit] retention_days` (default 365):
    `aws logs put-retention-policy --log-group-name /aws/connect/ALIAS --retention-in-days 365`, or
    `connectguard fix --apply`. Export older logs to S3 for longer, cheaper storage.""",
    detects="""One result per instance: FAIL when /aws/connect/ALIAS does not exist, has no retention period
    (never expires), or keeps less than `--retention-days` / `[audit] retention_days`.""",
    before="""aws logs describe-log-groups --log-group-name-prefix /aws/connect/acme
{"logGroups": [{"logGroupName": "/aws/connect/acme"}]}""",
    after="""aws logs put-retention-policy --log-group-name /aws/connect/acme --retention-in-days 365""",
)
def flow_log_retention_short(ctx: CheckContext) -> Iterator[Result]:
    wanted = ctx.config.audit.retention_days
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        group = _group_or_result(ctx, region, instance, report_missing=True)
        if not isinstance(group, LogGroup):
            if group is not None:
                yield group
            continue
        evidence = {"log_group": group.name, "retention_days": group.retention_days, "required_days": wanted}
        resource = _group_arn(ctx, region, group)
        if group.retention_days is None:
            yield Result(resource, Status.FAIL, f"{group.name} never expires: no retention period is set",
                         evidence=evidence, region=region.region)
        elif group.retention_days < wanted:
            yield Result(resource, Status.FAIL, f"{group.name} keeps logs {group.retention_days} days, "
                         f"less than the required {wanted}", evidence=evidence, region=region.region)
        else:
            yield Result(resource, Status.PASS, f"{group.name} keeps logs {group.retention_days} days",
                         evidence=evidence, region=region.region)


@check(
    id="flow-logs-not-exported",
    title="Flow logs stay only in CloudWatch Logs: no subscription filter sends them to long-term storage",
    practice=Practice.LOG_RETENTION,
    severity=Severity.LOW,
    rationale="""AWS recommends moving logs to cost-efficient storage as soon as practical and keeping them in S3 in
    their native format for audit (then Standard-IA and Glacier), or in a central log platform. CloudWatch Logs
    storage costs more and its retention is all-or-nothing.""",
    remediation="""Add a subscription filter on /aws/connect/ALIAS to a Firehose delivery stream writing to S3 (or
    to a central logging account's destination or OpenSearch): set `[fix] log_destination_arn` (and
    `log_destination_role_arn` for Firehose/Kinesis) and run `connectguard fix`.""",
    detects="""One result per instance whose flow log group exists: FAIL when it has no subscription filter;
    UNKNOWN when its filters were not seen. Any destination (Firehose, Kinesis, Lambda, a cross-account CloudWatch
    Logs destination) counts.""",
    before="""aws logs describe-subscription-filters --log-group-name /aws/connect/acme
{"subscriptionFilters": []}""",
    after="""aws logs put-subscription-filter --log-group-name /aws/connect/acme --filter-name to-s3 \\
  --filter-pattern "" --destination-arn arn:aws:firehose:...:deliverystream/connect-logs \\
  --role-arn arn:aws:iam::...:role/cwlogs-to-firehose""",
)
def flow_logs_not_exported(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        group = _group_or_result(ctx, region, instance, report_missing=False)
        if not isinstance(group, LogGroup):
            if group is not None:
                yield group
            continue
        resource = _group_arn(ctx, region, group)
        if group.subscription_filters is None:
            errors = [e for e in ctx.snapshot.errors_for("log_group.filters", region=region.region)
                      if e.resource in (None, group.name, group.arn)]
            yield ctx.unknown(resource, f"the subscription filters of {group.name}", errors, region=region.region)
            continue
        evidence = {"log_group": group.name,
                    "subscription_filters": [f.model_dump() for f in group.subscription_filters]}
        if group.subscription_filters:
            dest = group.subscription_filters[0].destination_arn
            evidence["destination_services"] = sorted({_service(f.destination_arn)
                                                       for f in group.subscription_filters})
            yield Result(resource, Status.PASS, f"{group.name} is streamed to {dest}", evidence=evidence,
                         region=region.region)
        else:
            yield Result(resource, Status.FAIL, f"{group.name} has no subscription filter: flow logs never leave "
                         "CloudWatch Logs", evidence=evidence, region=region.region)


def _service(arn: str) -> str:
    """``arn:aws:firehose:...`` -> ``firehose`` (a Logs destination in another account shows as ``logs``)."""
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else "unknown"


def log_buckets(ctx: CheckContext) -> dict[str, dict]:
    """Buckets holding Connect data or CloudTrail logs -> {"uses": [...], "prefixes": [...], "region": ...}."""
    out: dict[str, dict] = {}
    for region, instance in ctx.snapshot.instances():
        for config in s3_storage_configs(instance):
            entry = out.setdefault(config.s3_bucket, {"uses": [], "prefixes": [], "region": region.region})
            entry["uses"].append(f"{instance_label(instance)} {config.resource_type}")
            if config.s3_prefix:
                entry["prefixes"].append(config.s3_prefix)
    for trail in all_trails(ctx) or []:
        if trail.s3_bucket:
            entry = out.setdefault(trail.s3_bucket, {"uses": [], "prefixes": [], "region": trail.home_region})
            entry["uses"].append(f"CloudTrail trail {trail.name}"
                                 + (" (organization trail)" if trail.is_organization_trail else ""))
            entry.setdefault("org_trail", trail.is_organization_trail)
    return out


def _bucket_unknown(ctx: CheckContext, name: str, info: dict, what: str) -> Result:
    errors = ctx.snapshot.errors_for("s3_bucket", resource=name)
    result = ctx.unknown(f"arn:{ctx.snapshot.partition}:s3:::{name}", what, errors, region=info.get("region"))
    if info.get("org_trail") and not errors:
        result.message = (f"could not evaluate: bucket {name} of an organization trail is not readable from this "
                          "account (usually in a log-archive account); set [collect] log_archive_role to read it")
    result.evidence["uses"] = info["uses"]
    return result


@check(
    id="log-bucket-lifecycle-missing",
    title="A bucket holding Connect recordings, reports or CloudTrail logs has no archive/expiry lifecycle",
    practice=Practice.LOG_RETENTION,
    severity=Severity.LOW,
    rationale="""Recordings, transcripts, reports and CloudTrail logs accumulate forever in S3 Standard unless
    lifecycle rules move them to Standard-IA or Glacier and expire them when the retention policy says so. Keeping
    personal data longer than needed is itself a compliance finding.""",
    remediation="""Add a lifecycle rule that transitions objects to STANDARD_IA or GLACIER within `[audit]
    archive_transition_days` (and expires them within `[audit] expiration_days` when set): `connectguard fix
    --check log-bucket-lifecycle-missing` writes Terraform, or applies it with `--apply` (existing rules are
    kept).""",
    detects="""One result per bucket named by an S3 storage config or a trail: FAIL listing what the enabled rules
    that cover the used prefixes lack; UNKNOWN when the bucket's lifecycle was not seen (an organization trail's
    bucket in another account needs `[collect] log_archive_role`).""",
    before="""aws s3api get-bucket-lifecycle-configuration --bucket acme-recordings
An error occurred (NoSuchLifecycleConfiguration)""",
    after="""{"Rules": [{"ID": "connectguard-archive", "Status": "Enabled", "Filter": {"Prefix": ""},
  "Transitions": [{"Days": 90, "StorageClass": "GLACIER"}], "Expiration": {"Days": 2555}}]}""",
)
def log_bucket_lifecycle_missing(ctx: CheckContext) -> Iterator[Result]:
    audit = ctx.config.audit
    for name, info in sorted(log_buckets(ctx).items()):
        bucket = ctx.snapshot.bucket(name)
        resource = f"arn:{ctx.snapshot.partition}:s3:::{name}"
        if bucket is None or bucket.lifecycle_rules is None:
            yield _bucket_unknown(ctx, name, info, f"the lifecycle of bucket {name}")
            continue
        gaps, rules = lifecycle_gaps(bucket, info["prefixes"], audit.archive_transition_days, audit.expiration_days)
        evidence = {"bucket": name, "uses": info["uses"], "prefixes": info["prefixes"], "applicable_rules": rules}
        if gaps:
            yield Result(resource, Status.FAIL, f"bucket {name} ({'; '.join(info['uses'][:2])}): {'; '.join(gaps)}",
                         evidence=evidence, region=info.get("region"))
        else:
            yield Result(resource, Status.PASS, f"bucket {name} archives and expires objects per policy",
                         evidence=evidence, region=info.get("region"))


@check(
    id="log-bucket-object-lock-missing",
    title="A log or recording bucket lacks versioning and Object Lock where compliance requires them",
    practice=Practice.LOG_RETENTION,
    severity=Severity.MEDIUM,
    rationale="""When a compliance programme requires logs and recordings to be immutable, versioning and S3 Object
    Lock keep an attacker (or a mistake) from deleting or overwriting them before their retention ends.""",
    remediation="""Enable versioning and Object Lock (`aws s3api put-object-lock-configuration`), with a default
    retention matching the policy. Object Lock on an existing bucket needs versioning first.""",
    detects="""Only when `[audit] require_object_lock = true`: one result per bucket named by a storage config or
    a trail, FAIL unless versioning is Enabled and Object Lock is on.""",
    before="""aws s3api get-object-lock-configuration --bucket acme-recordings
An error occurred (ObjectLockConfigurationNotFoundError)""",
    after="""aws s3api put-object-lock-configuration --bucket acme-recordings --object-lock-configuration \\
  '{"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}}}'""",
)
def log_bucket_object_lock_missing(ctx: CheckContext) -> Iterator[Result]:
    if not ctx.config.audit.require_object_lock:
        return
    for name, info in sorted(log_buckets(ctx).items()):
        bucket = ctx.snapshot.bucket(name)
        resource = f"arn:{ctx.snapshot.partition}:s3:::{name}"
        if bucket is None or bucket.versioning is None or bucket.object_lock is None:
            yield _bucket_unknown(ctx, name, info, f"the versioning and Object Lock of bucket {name}")
            continue
        evidence = {"bucket": name, "uses": info["uses"], "versioning": bucket.versioning,
                    "object_lock": bucket.object_lock}
        if bucket.versioning == "Enabled" and bucket.object_lock:
            yield Result(resource, Status.PASS, f"bucket {name} is versioned with Object Lock", evidence=evidence,
                         region=info.get("region"))
        else:
            missing = [w for w, ok in (("versioning", bucket.versioning == "Enabled"),
                                       ("Object Lock", bucket.object_lock)) if not ok]
            yield Result(resource, Status.FAIL, f"bucket {name} lacks {' and '.join(missing)}", evidence=evidence,
                         region=info.get("region"))
