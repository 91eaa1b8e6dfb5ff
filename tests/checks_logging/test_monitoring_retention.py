from logkit import (
    INSTANCE_ID,
    LOG_GROUP,
    error,
    good_alarms,
    instance,
    results,
    s3_config,
    snapshot,
    statuses,
    trail,
)

from connectguard.conventions import Status
from connectguard.inventory.model import (
    Alarm,
    LifecycleRule,
    LogGroup,
    MetricFilter,
    S3Bucket,
    SubscriptionFilter,
)

# ------------------------------------------------------------------ connect-alarms-missing

def test_alarms_on_every_metric_with_actions_pass():
    assert statuses(snapshot(alarms=good_alarms()), "connect-alarms-missing") == [Status.PASS]


def test_missing_metric_and_alarm_without_action_or_for_other_instance_fail():
    alarms = good_alarms()
    alarms = [a for a in alarms if a.metric_name != "ThrottledCalls"]
    silent = next(a for a in alarms if a.metric_name == "ContactFlowErrors")
    silent.alarm_actions = []
    other = next(a for a in alarms if a.metric_name == "MisconfiguredPhoneNumbers")
    other.dimensions = {"InstanceId": "another-instance"}
    [finding] = results(snapshot(alarms=alarms), "connect-alarms-missing")
    assert finding.status is Status.FAIL
    assert set(finding.evidence["missing"]) == {"ThrottledCalls", "MisconfiguredPhoneNumbers"}
    assert finding.evidence["alarms_without_action"] == ["ContactFlowErrors"]


def test_metric_math_alarm_counts_and_configured_metric_list_is_used():
    alarms = [Alarm(name="math", metrics=["AWS/Connect/ThrottledCalls"], alarm_actions=["arn:sns"])]
    config = {"audit": {"alarm_metrics": ["ThrottledCalls"]}}
    assert statuses(snapshot(alarms=alarms), "connect-alarms-missing", config) == [Status.PASS]


def test_alarms_unseen_is_unknown():
    snap = snapshot(alarms=None, errors=[error("alarms")])
    assert statuses(snap, "connect-alarms-missing") == [Status.UNKNOWN]


# ------------------------------------------------------------------ flow-log-error-alarm-missing

def _group(**kw):
    values = dict(name=LOG_GROUP, retention_days=400, subscription_filters=[], metric_filters=[])
    values.update(kw)
    return LogGroup(**values)


def test_error_metric_filter_with_alarm_passes_and_without_fails():
    mf = MetricFilter(name="errs", pattern='{ $.Results = "Error" }', metric_namespace="CG", metric_name="FlowErr")
    alarm = Alarm(name="a", namespace="CG", metric_name="FlowErr", alarm_actions=["arn:sns"])
    assert statuses(snapshot(log_groups=[_group(metric_filters=[mf])], alarms=[alarm]),
                    "flow-log-error-alarm-missing") == [Status.PASS]
    [f] = results(snapshot(log_groups=[_group(metric_filters=[mf])], alarms=[]), "flow-log-error-alarm-missing")
    assert f.status is Status.FAIL and "no alarm" in f.message
    [f] = results(snapshot(log_groups=[_group()]), "flow-log-error-alarm-missing")
    assert f.status is Status.FAIL and "no metric filter" in f.message
    assert statuses(snapshot(log_groups=[_group(metric_filters=None)]), "flow-log-error-alarm-missing") == [
        Status.UNKNOWN]


# ------------------------------------------------------------------ flow-log-retention-short

def test_retention_pass_short_never_missing_and_unknown():
    assert statuses(snapshot(log_groups=[_group(retention_days=400)]), "flow-log-retention-short") == [Status.PASS]
    [f] = results(snapshot(log_groups=[_group(retention_days=30)]), "flow-log-retention-short")
    assert f.status is Status.FAIL and "30 days" in f.message
    [f] = results(snapshot(log_groups=[_group(retention_days=None)]), "flow-log-retention-short")
    assert f.status is Status.FAIL and "never expires" in f.message
    off = instance([], attributes={"CONTACTFLOW_LOGS": "false"})
    [f] = results(snapshot(off, log_groups=[]), "flow-log-retention-short")
    assert f.status is Status.FAIL and "turned off" in f.message
    assert statuses(snapshot(log_groups=None), "flow-log-retention-short") == [Status.UNKNOWN]


def test_retention_threshold_is_configurable():
    snap = snapshot(log_groups=[_group(retention_days=90)])
    assert statuses(snap, "flow-log-retention-short", {"audit": {"retention_days": 60}}) == [Status.PASS]
    assert statuses(snap, "flow-log-retention-short", {"audit": {"retention_days": 120}}) == [Status.FAIL]


# ------------------------------------------------------------------ flow-logs-not-exported

def test_subscription_filter_pass_fail_unknown():
    sub = SubscriptionFilter(name="s3", destination_arn="arn:aws:firehose:us-east-1:1:deliverystream/logs")
    [f] = results(snapshot(log_groups=[_group(subscription_filters=[sub])]), "flow-logs-not-exported")
    assert f.status is Status.PASS and f.evidence["destination_services"] == ["firehose"]
    assert statuses(snapshot(log_groups=[_group()]), "flow-logs-not-exported") == [Status.FAIL]
    assert statuses(snapshot(log_groups=[_group(subscription_filters=None)]), "flow-logs-not-exported") == [
        Status.UNKNOWN]


# ------------------------------------------------------------------ log-bucket-lifecycle-missing

ARCHIVE = LifecycleRule(id="a", transitions=[{"days": 30, "storage_class": "GLACIER"}], expiration_days=2000)


def _lifecycle_snap(rules, *, trails=(), name="rec"):
    inst = instance([], storage_configs={"CALL_RECORDINGS": [s3_config(name)]})
    return snapshot(inst, trails=list(trails), buckets=[S3Bucket(name=name, lifecycle_rules=rules)])


def test_bucket_lifecycle_pass_and_fail_cases():
    assert statuses(_lifecycle_snap([ARCHIVE]), "log-bucket-lifecycle-missing") == [Status.PASS]
    assert statuses(_lifecycle_snap([]), "log-bucket-lifecycle-missing") == [Status.FAIL]
    late = LifecycleRule(id="late", transitions=[{"days": 400, "storage_class": "GLACIER"}])
    assert statuses(_lifecycle_snap([late]), "log-bucket-lifecycle-missing") == [Status.FAIL]
    disabled = ARCHIVE.model_copy(update={"enabled": False})
    assert statuses(_lifecycle_snap([disabled]), "log-bucket-lifecycle-missing") == [Status.FAIL]
    other_prefix = ARCHIVE.model_copy(update={"prefix": "reports/"})
    assert statuses(_lifecycle_snap([other_prefix]), "log-bucket-lifecycle-missing") == [Status.FAIL]
    [f] = results(_lifecycle_snap([ARCHIVE]), "log-bucket-lifecycle-missing", {"audit": {"expiration_days": 365}})
    assert f.status is Status.FAIL and "365" in f.message


def test_trail_bucket_is_checked_and_org_trail_bucket_elsewhere_is_unknown_with_reason():
    snap = _lifecycle_snap([ARCHIVE], trails=[trail(s3_bucket="org-archive", is_organization_trail=True)])
    found = {f.resource: f for f in results(snap, "log-bucket-lifecycle-missing")}
    assert found["arn:aws:s3:::rec"].status is Status.PASS
    org = found["arn:aws:s3:::org-archive"]
    assert org.status is Status.UNKNOWN and "log_archive_role" in org.message


def test_bucket_lifecycle_not_seen_is_unknown():
    snap = _lifecycle_snap(None, )
    snap.errors.append(error("s3_bucket", resource="rec"))
    [f] = results(snap, "log-bucket-lifecycle-missing")
    assert f.status is Status.UNKNOWN and "AccessDenied" in f.message


def test_object_lock_only_when_required():
    inst = instance([], storage_configs={"CALL_RECORDINGS": [s3_config("rec")]})
    locked = S3Bucket(name="rec", versioning="Enabled", object_lock=True)
    plain = S3Bucket(name="rec", versioning="", object_lock=False)
    assert results(snapshot(inst, buckets=[plain]), "log-bucket-object-lock-missing") == []
    required = {"audit": {"require_object_lock": True}}
    assert statuses(snapshot(inst, buckets=[locked]), "log-bucket-object-lock-missing", required) == [Status.PASS]
    assert statuses(snapshot(inst, buckets=[plain]), "log-bucket-object-lock-missing", required) == [Status.FAIL]
    assert statuses(snapshot(inst, buckets=[]), "log-bucket-object-lock-missing", required) == [Status.UNKNOWN]
    assert INSTANCE_ID
