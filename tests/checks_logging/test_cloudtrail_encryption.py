from logkit import LOG_GROUP, error, instance, results, s3_config, snapshot, statuses, trail

from connectguard.conventions import Status
from connectguard.inventory.model import KmsKey, LogGroup, S3Bucket, StorageConfig, StreamEncryption

# ------------------------------------------------------------------ cloudtrail


def test_covering_trail_passes_and_gaps_fail():
    assert statuses(snapshot(trails=[trail()]), "trail-not-covering-connect") == [Status.PASS]
    for bad in (dict(is_multi_region=False, home_region="eu-west-1"), dict(is_logging=False),
                dict(management_events=False), dict(read_write_type="ReadOnly"), dict(excludes_connect_events=True)):
        [f] = results(snapshot(trails=[trail(**bad)]), "trail-not-covering-connect")
        assert f.status is Status.FAIL, bad
    assert statuses(snapshot(trails=[]), "trail-not-covering-connect") == [Status.FAIL]


def test_single_region_trail_homed_in_the_region_covers_it():
    assert statuses(snapshot(trails=[trail(is_multi_region=False)]), "trail-not-covering-connect") == [Status.PASS]


def test_trails_or_status_unseen_is_unknown():
    assert statuses(snapshot(trails=None, errors=[error("cloudtrail")]), "trail-not-covering-connect") == [
        Status.UNKNOWN]
    [f] = results(snapshot(trails=[trail(is_logging=None)]), "trail-not-covering-connect")
    assert f.status is Status.UNKNOWN


def test_validation_and_kms_on_covering_trails():
    snap = snapshot(trails=[trail(log_file_validation=False, kms_key_id=None)])
    assert statuses(snap, "trail-log-validation-off") == [Status.FAIL]
    assert statuses(snap, "trail-not-kms-encrypted") == [Status.FAIL]
    snap = snapshot(trails=[trail()])
    assert statuses(snap, "trail-log-validation-off") == [Status.PASS]
    assert statuses(snap, "trail-not-kms-encrypted") == [Status.PASS]
    unseen = snapshot(trails=None, errors=[error("cloudtrail")])
    assert statuses(unseen, "trail-log-validation-off") == [Status.UNKNOWN]
    assert statuses(unseen, "trail-not-kms-encrypted") == [Status.UNKNOWN]
    # a trail that does not cover the Connect region is not judged
    assert results(snapshot(trails=[trail(is_multi_region=False, home_region="eu-west-1",
                                          log_file_validation=False)]), "trail-log-validation-off") == []


# ------------------------------------------------------------------ data-encryption

CTR = "arn:aws:kinesis:us-east-1:123456789012:stream/ctr"
EVENTS = "arn:aws:firehose:us-east-1:123456789012:deliverystream/agent-events"


def _streams_snap(streams, **inst_kw):
    configs = {"CONTACT_TRACE_RECORDS": [StorageConfig(resource_type="CONTACT_TRACE_RECORDS",
                                                       storage_type="KINESIS_STREAM", kinesis_stream_arn=CTR)],
               "AGENT_EVENTS": [StorageConfig(resource_type="AGENT_EVENTS", storage_type="KINESIS_FIREHOSE",
                                              firehose_arn=EVENTS)]}
    return snapshot(instance([], storage_configs=configs, **inst_kw), streams=streams,
                    kms_keys=[KmsKey(key_id="cmk", arn="arn:aws:kms:us-east-1:123456789012:key/cmk",
                                     manager="CUSTOMER")])


def test_streams_encrypted_unencrypted_unseen():
    streams = [StreamEncryption(arn=CTR, kind="kinesis", encryption="KMS", kms_key_id="alias/aws/kinesis"),
               StreamEncryption(arn=EVENTS, kind="firehose", encryption="DISABLED")]
    found = {f.resource: f.status for f in results(_streams_snap(streams), "stream-not-encrypted")}
    assert found == {CTR: Status.PASS, EVENTS: Status.FAIL}
    found = {f.resource: f.status for f in results(_streams_snap(streams[:1]), "stream-not-encrypted")}
    assert found == {CTR: Status.PASS, EVENTS: Status.UNKNOWN}


def test_stream_with_aws_managed_key_fails_when_customer_keys_required():
    streams = [StreamEncryption(arn=CTR, kind="kinesis", encryption="KMS", kms_key_id="alias/aws/kinesis"),
               StreamEncryption(arn=EVENTS, kind="firehose", encryption="ENABLED", kms_key_id="cmk")]
    found = {f.resource: f.status for f in results(_streams_snap(streams), "stream-not-encrypted",
                                                   {"audit": {"require_customer_managed_keys": True}})}
    assert found == {CTR: Status.FAIL, EVENTS: Status.PASS}


def test_storage_config_customer_managed_key_requirement():
    configs = {"CALL_RECORDINGS": [s3_config("rec", key="alias/aws/s3")],
               "CHAT_TRANSCRIPTS": [s3_config("chat", "CHAT_TRANSCRIPTS", key="cmk")],
               "MEDIA_STREAMS": [StorageConfig(association_id="kv", resource_type="MEDIA_STREAMS",
                                               storage_type="KINESIS_VIDEO_STREAM", kms_key_id="unknown-key")]}
    snap = snapshot(instance([], storage_configs=configs),
                    kms_keys=[KmsKey(key_id="cmk", manager="CUSTOMER")])
    plain = {f.resource.rsplit("/", 1)[-1]: f.status for f in results(snap, "storage-not-kms-encrypted")}
    assert plain == {"a-rec-CALL_RECORDINGS": Status.PASS, "a-chat-CHAT_TRANSCRIPTS": Status.PASS}
    strict = {f.resource.rsplit("/", 1)[-1]: f.status for f in results(
        snap, "storage-not-kms-encrypted", {"audit": {"require_customer_managed_keys": True}})}
    assert strict == {"a-rec-CALL_RECORDINGS": Status.FAIL, "a-chat-CHAT_TRANSCRIPTS": Status.PASS,
                      "kv": Status.UNKNOWN}


def test_flow_log_group_kms():
    assert statuses(snapshot(log_groups=[LogGroup(name=LOG_GROUP, kms_key_id="arn:k")]),
                    "flow-log-group-not-encrypted") == [Status.PASS]
    assert statuses(snapshot(log_groups=[LogGroup(name=LOG_GROUP)]), "flow-log-group-not-encrypted") == [Status.FAIL]
    assert statuses(snapshot(log_groups=None), "flow-log-group-not-encrypted") == [Status.UNKNOWN]


BLOCK_ALL = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
                          True)


def _bucket_snap(bucket):
    inst = instance([], storage_configs={"CALL_RECORDINGS": [s3_config("rec")]})
    return snapshot(inst, buckets=[bucket] if bucket else [])


def test_recording_bucket_public_access():
    assert statuses(_bucket_snap(S3Bucket(name="rec", public_access_block=BLOCK_ALL, policy_is_public=False)),
                    "recording-bucket-public") == [Status.PASS]
    partial = {**BLOCK_ALL, "BlockPublicPolicy": False}
    [f] = results(_bucket_snap(S3Bucket(name="rec", public_access_block=partial)), "recording-bucket-public")
    assert f.status is Status.FAIL and "BlockPublicPolicy" in f.message
    public = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
    [f] = results(_bucket_snap(S3Bucket(name="rec", public_access_block=BLOCK_ALL, policy=public)),
                  "recording-bucket-public")
    assert f.status is Status.FAIL and f.evidence["public_statements"]
    scoped = {"Statement": [{**public["Statement"][0], "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o"}}}]}
    assert statuses(_bucket_snap(S3Bucket(name="rec", public_access_block=BLOCK_ALL, policy=scoped)),
                    "recording-bucket-public") == [Status.PASS]
    assert statuses(_bucket_snap(None), "recording-bucket-public") == [Status.UNKNOWN]
