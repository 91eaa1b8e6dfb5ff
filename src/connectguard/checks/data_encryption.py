"""[data-encryption] Contact-record and agent-event streams, the flow log group, and public access to Connect buckets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label, instance_unknown
from connectguard.checks._logging_common import find_log_group, flow_log_group_name, key_is_aws_managed
from connectguard.conventions import Practice, Severity, Status

_ENCRYPTED = {"KMS", "ENABLED", "ENABLING", "UPDATING_KEY"}


@check(
    id="stream-not-encrypted",
    title="A Kinesis or Firehose stream receiving contact records or agent events is not encrypted",
    practice=Practice.DATA_ENCRYPTION,
    severity=Severity.MEDIUM,
    rationale="""Contact trace records carry callers' phone numbers, queue and agent details and contact attributes;
    agent events carry agent activity. A stream without server-side encryption stores them in clear for its
    retention period.""",
    remediation="""Kinesis: `aws kinesis start-stream-encryption --stream-name S --encryption-type KMS --key-id KEY`.
    Firehose: `aws firehose start-delivery-stream-encryption --delivery-stream-name S
    --delivery-stream-encryption-configuration-input KeyType=CUSTOMER_MANAGED_CMK,KeyARN=KEY`.""",
    detects="""One result per KINESIS_STREAM / KINESIS_FIREHOSE storage config (contact trace records, agent
    events, real-time analysis segments): FAIL when the stream is not encrypted (or, with `[audit]
    require_customer_managed_keys`, uses an AWS-managed key); UNKNOWN when the stream was not seen.""",
    before="""aws kinesis describe-stream-summary --stream-name connect-ctr
{"StreamDescriptionSummary": {"EncryptionType": "NONE"}}""",
    after="""aws kinesis start-stream-encryption --stream-name connect-ctr --encryption-type KMS \\
  --key-id alias/connect-streams""",
)
def stream_not_encrypted(ctx: CheckContext) -> Iterator[Result]:
    require_cmk = ctx.config.audit.require_customer_managed_keys
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if instance.storage_configs is None:
            yield instance_unknown(ctx, region, instance, "instance.storage_configs", "the instance's storage configs")
            continue
        streams = {s.arn: s for s in region.streams}
        for resource_type, configs in sorted(instance.storage_configs.items()):
            for config in configs or []:
                arn = config.kinesis_stream_arn if config.storage_type == "KINESIS_STREAM" else (
                    config.firehose_arn if config.storage_type == "KINESIS_FIREHOSE" else None)
                if not arn:
                    continue
                stream = streams.get(arn)
                label = f"{resource_type} of {instance_label(instance)}"
                if stream is None or stream.encryption is None:
                    hides = "kinesis_stream" if config.storage_type == "KINESIS_STREAM" else "firehose_stream"
                    errors = [e for e in ctx.snapshot.errors_for(hides, region=region.region)
                              if e.resource in (None, arn, arn.rsplit("/", 1)[-1])]
                    yield ctx.unknown(arn, f"the encryption of the stream receiving {label}", errors,
                                      region=region.region)
                    continue
                evidence = {"stream": arn, "kind": stream.kind, "encryption": stream.encryption,
                            "kms_key_id": stream.kms_key_id, "resource_type": resource_type}
                if stream.encryption.upper() not in _ENCRYPTED:
                    yield Result(arn, Status.FAIL, f"stream {stream.name or arn} receiving {label} is not encrypted "
                                 f"({stream.encryption})", evidence=evidence, region=region.region)
                    continue
                if require_cmk:
                    managed = key_is_aws_managed(region, stream.kms_key_id) if stream.kms_key_id else True
                    if managed is None:
                        yield Result(arn, Status.UNKNOWN, f"stream {stream.name or arn}: cannot tell whether key "
                                     f"{stream.kms_key_id} is customer-managed", evidence=evidence,
                                     region=region.region)
                        continue
                    if managed:
                        yield Result(arn, Status.FAIL, f"stream {stream.name or arn} receiving {label} uses an "
                                     "AWS-managed key; a customer-managed key is required", evidence=evidence,
                                     region=region.region)
                        continue
                yield Result(arn, Status.PASS, f"stream {stream.name or arn} receiving {label} is encrypted",
                             evidence=evidence, region=region.region)


@check(
    id="flow-log-group-not-encrypted",
    title="The flow log group is not encrypted with a KMS key",
    practice=Practice.DATA_ENCRYPTION,
    severity=Severity.LOW,
    rationale="""Flow logs hold contact attributes, Lambda inputs and outputs and, depending on the flows, callers'
    numbers or answers. A customer-managed KMS key on the log group puts reading them behind kms:Decrypt.""",
    remediation="""`aws logs associate-kms-key --log-group-name /aws/connect/ALIAS --kms-key-id KEY_ARN` (the key
    policy must allow logs.REGION.amazonaws.com).""",
    detects="One result per instance whose flow log group exists: FAIL without a KMS key.",
    before="""{"logGroupName": "/aws/connect/acme"}""",
    after="""aws logs associate-kms-key --log-group-name /aws/connect/acme \\
  --kms-key-id arn:aws:kms:us-east-1:111122223333:key/...""",
)
def flow_log_group_not_encrypted(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if region.log_groups is None:
            errors = ctx.snapshot.errors_for("log_groups", region=region.region)
            yield ctx.unknown(instance.arn, "the region's log groups", errors, region=region.region)
            continue
        group = find_log_group(region, flow_log_group_name(instance))
        if group is None:
            continue  # flow-log-retention-short reports the missing group
        resource = group.arn or f"arn:{ctx.snapshot.partition}:logs:{region.region}:{ctx.account}:log-group:{group.name}"
        evidence = {"log_group": group.name, "kms_key_id": group.kms_key_id}
        if group.kms_key_id:
            yield Result(resource, Status.PASS, f"{group.name} is encrypted with {group.kms_key_id}",
                         evidence=evidence, region=region.region)
        else:
            yield Result(resource, Status.FAIL, f"{group.name} is not encrypted with a KMS key", evidence=evidence,
                         region=region.region)


def public_statements(policy: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Allow statements granting to everyone (Principal "*" or {"AWS": "*"}) without a narrowing condition."""
    if not policy:
        return []
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    out = []
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        everyone = principal == "*" or aws == "*" or (isinstance(aws, list) and "*" in aws)
        if everyone and not st.get("Condition"):
            out.append(st)
    return out


@check(
    id="recording-bucket-public",
    title="A bucket holding recordings, transcripts or reports does not block public access",
    practice=Practice.DATA_ENCRYPTION,
    severity=Severity.HIGH,
    rationale="""Call recordings and chat transcripts are among the most sensitive data a contact center holds. An
    S3 bucket without all four Block Public Access settings can be opened to the world by one policy or ACL
    change; a policy granting to "*" already has.""",
    remediation="""`aws s3api put-public-access-block --bucket B --public-access-block-configuration
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`, and remove
    statements granting to Principal "*" without conditions.""",
    detects="""One result per bucket named by an S3 storage config: FAIL when any Block Public Access setting is
    off, or the bucket policy is public (per S3's policy status, or an unconditioned Allow to "*"); UNKNOWN when
    either was not seen.""",
    before="""{"BlockPublicAcls": false, "IgnorePublicAcls": false, "BlockPublicPolicy": false,
 "RestrictPublicBuckets": false}""",
    after="""{"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true,
 "RestrictPublicBuckets": true}""",
)
def recording_bucket_public(ctx: CheckContext) -> Iterator[Result]:
    from connectguard.checks._logging_common import s3_storage_configs

    buckets: dict[str, list[str]] = {}
    regions: dict[str, str] = {}
    for region, instance in ctx.snapshot.instances():
        for config in s3_storage_configs(instance):
            buckets.setdefault(config.s3_bucket, []).append(f"{instance_label(instance)} {config.resource_type}")
            regions.setdefault(config.s3_bucket, region.region)
    for name, uses in sorted(buckets.items()):
        resource = f"arn:{ctx.snapshot.partition}:s3:::{name}"
        bucket = ctx.snapshot.bucket(name)
        if bucket is None or bucket.public_access_block is None:
            errors = ctx.snapshot.errors_for("s3_bucket", resource=name)
            yield ctx.unknown(resource, f"the public access settings of bucket {name}", errors,
                              region=regions.get(name))
            continue
        block = bucket.public_access_block
        off = [k for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
               if not block.get(k, False)]
        granted = public_statements(bucket.policy)
        evidence = {"bucket": name, "uses": uses, "public_access_block": block,
                    "policy_is_public": bucket.policy_is_public, "public_statements": granted}
        problems = []
        if off:
            problems.append(f"Block Public Access is off for {', '.join(off)}")
        if bucket.policy_is_public or granted:
            problems.append("its bucket policy grants access to the public")
        if problems:
            yield Result(resource, Status.FAIL, f"bucket {name} ({uses[0]}): {'; '.join(problems)}",
                         evidence=evidence, region=regions.get(name))
        elif bucket.policy_is_public is None and bucket.policy is None and ctx.snapshot.errors_for(
                "s3_bucket", resource=name):
            yield ctx.unknown(resource, f"the bucket policy of {name}", ctx.snapshot.errors_for(
                "s3_bucket", resource=name), region=regions.get(name))
        else:
            yield Result(resource, Status.PASS, f"bucket {name} blocks public access", evidence=evidence,
                         region=regions.get(name))
