"""[data-encryption] Storage configs without a KMS key on Connect's side."""

from __future__ import annotations

from collections.abc import Iterator

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label, instance_unknown
from connectguard.checks._logging_common import key_is_aws_managed
from connectguard.conventions import Practice, Severity, Status
from connectguard.inventory.model import Instance, RegionInventory, StorageConfig


@check(
    id="storage-not-kms-encrypted",
    title="Recordings, transcripts or reports are stored in S3 without a KMS key",
    practice=Practice.DATA_ENCRYPTION,
    severity=Severity.MEDIUM,
    rationale="""Call recordings, chat transcripts and exported reports hold customers' personal data. With a KMS
    key on the storage config, Connect encrypts each object with a key whose use is logged and can be revoked;
    without one, anyone who can read the bucket reads the recordings.""",
    remediation="""Associate a KMS key with the storage config: `aws connect update-instance-storage-config
    --instance-id ID --association-id AID --resource-type CALL_RECORDINGS --storage-config
    'StorageType=S3,S3Config={BucketName=B,BucketPrefix=P,EncryptionConfig={EncryptionType=KMS,KeyId=KEY_ARN}}'`.
    Kinesis Video configs always carry a key.""",
    detects="""One result per S3 storage config (all resource types): FAIL when it has no EncryptionConfig.
    With `[audit] require_customer_managed_keys`, S3 and Kinesis Video configs also FAIL when their key is
    AWS-managed (alias/aws/...), and are UNKNOWN when the key was not seen. Resource types whose listing failed are
    UNKNOWN.""",
    before="""{"StorageType": "S3", "S3Config": {"BucketName": "acme-recordings", "BucketPrefix": "connect"}}""",
    after="""{"StorageType": "S3", "S3Config": {"BucketName": "acme-recordings", "BucketPrefix": "connect",
  "EncryptionConfig": {"EncryptionType": "KMS", "KeyId": "arn:aws:kms:us-east-1:111122223333:key/..."}}}""",
)
def storage_not_kms_encrypted(ctx: CheckContext) -> Iterator[Result]:
    require_cmk = ctx.config.audit.require_customer_managed_keys
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if instance.storage_configs is None:
            yield instance_unknown(ctx, region, instance, "instance.storage_configs", "the instance's storage configs")
            continue
        for resource_type, configs in sorted(instance.storage_configs.items()):
            resource = f"{instance.arn}/storage-config/{resource_type}"
            if configs is None:
                errors = [e for e in ctx.snapshot.errors_for("instance.storage_configs", region=region.region,
                                                              instance_id=instance.id)
                          if e.resource in (None, resource_type)]
                yield ctx.unknown(resource, f"{resource_type} storage configs", errors, region=region.region)
                continue
            for config in configs:
                if config.storage_type == "KINESIS_VIDEO_STREAM":
                    if require_cmk and config.kms_key_id:
                        yield _customer_key_result(region, instance, resource_type, config)
                    continue
                if config.storage_type != "S3":
                    continue
                where = f"s3://{config.s3_bucket}/{config.s3_prefix or ''}"
                evidence = {"resource_type": resource_type, "association_id": config.association_id,
                            "bucket": config.s3_bucket, "prefix": config.s3_prefix, "kms_key_id": config.kms_key_id}
                res = f"{instance.arn}/storage-config/{config.association_id or resource_type}"
                if config.kms_key_id and require_cmk:
                    yield _customer_key_result(region, instance, resource_type, config)
                elif config.kms_key_id:
                    yield Result(res, Status.PASS, f"{resource_type} of {instance_label(instance)} to {where} "
                                 "is encrypted with a KMS key", evidence=evidence, region=region.region)
                else:
                    yield Result(res, Status.FAIL, f"{resource_type} of {instance_label(instance)} go to {where} "
                                 "without a KMS key", evidence=evidence, region=region.region)


def _customer_key_result(region: RegionInventory, instance: Instance, resource_type: str,
                         config: StorageConfig) -> Result:
    ref = config.kms_key_id or ""
    res = f"{instance.arn}/storage-config/{config.association_id or resource_type}"
    managed = key_is_aws_managed(region, ref)
    evidence = {"resource_type": resource_type, "storage_type": config.storage_type, "kms_key_id": ref,
                "association_id": config.association_id}
    label = f"{resource_type} ({config.storage_type}) of {instance_label(instance)}"
    if managed is None:
        return Result(res, Status.UNKNOWN, f"{label}: cannot tell whether KMS key {ref} is customer-managed "
                      "(the key was not seen)", evidence=evidence, region=region.region)
    if managed:
        return Result(res, Status.FAIL, f"{label} uses the AWS-managed key {ref}; a customer-managed key is "
                      "required", evidence=evidence, region=region.region)
    return Result(res, Status.PASS, f"{label} uses customer-managed key {ref}", evidence=evidence,
                  region=region.region)
