"""[monitoring-alerts] CloudWatch alarms on the metrics that signal trouble or abuse."""

from __future__ import annotations

from collections.abc import Iterator

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label
from connectguard.checks._logging_common import alarm_acts, alarm_covers, find_log_group, flow_log_group_name
from connectguard.conventions import Practice, Severity, Status

CONNECT_NAMESPACE = "AWS/Connect"


@check(
    id="connect-alarms-missing",
    title="No CloudWatch alarm with an action watches a Connect trouble or abuse metric",
    practice=Practice.MONITORING_ALERTS,
    severity=Severity.MEDIUM,
    rationale="""Flow errors, throttled and over-quota calls, misconfigured numbers, failed recording uploads and a
    sudden rise in concurrent calls (toll fraud, call floods) show up in the AWS/Connect metrics first. Without an
    alarm that notifies someone, they are noticed when customers complain.""",
    remediation="""Create an alarm per metric with the instance's InstanceId dimension and an SNS action:
    `connectguard fix --check connect-alarms-missing` writes CloudFormation and Terraform (alarms and an SNS topic),
    or creates them with `--apply`.""",
    detects="""One result per instance: FAIL listing each metric in `[audit] alarm_metrics` (default:
    ContactFlowErrors, ContactFlowFatalErrors, ThrottledCalls, CallsBreachingConcurrencyQuota,
    MisconfiguredPhoneNumbers, CallRecordingUploadError, ConcurrentCallsPercentage) with no alarm, or whose alarms
    have no enabled action; UNKNOWN when the region's alarms were not seen.""",
    before="""aws cloudwatch describe-alarms --query "MetricAlarms[?Namespace=='AWS/Connect']"
[]""",
    after="""aws cloudwatch put-metric-alarm --alarm-name connect-ID-ThrottledCalls --namespace AWS/Connect \\
  --metric-name ThrottledCalls --dimensions Name=InstanceId,Value=ID Name=MetricGroup,Value=VoiceCalls \\
  --statistic Sum --period 300 --evaluation-periods 1 --threshold 1 \\
  --comparison-operator GreaterThanOrEqualToThreshold --alarm-actions arn:aws:sns:...:connect-alarms""",
)
def connect_alarms_missing(ctx: CheckContext) -> Iterator[Result]:
    metrics = ctx.config.audit.alarm_metrics
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if region.alarms is None:
            errors = ctx.snapshot.errors_for("alarms", region=region.region)
            yield ctx.unknown(instance.arn, "the region's CloudWatch alarms", errors, region=region.region)
            continue
        missing, silent, covered = [], [], {}
        for metric in metrics:
            alarms = [a for a in region.alarms
                      if alarm_covers(a, CONNECT_NAMESPACE, metric, {"InstanceId": instance.id})]
            acting = [a.name for a in alarms if alarm_acts(a)]
            if acting:
                covered[metric] = acting
            elif alarms:
                silent.append(metric)
            else:
                missing.append(metric)
        evidence = {"instance_id": instance.id, "missing": missing, "alarms_without_action": silent,
                    "covered": covered}
        if missing or silent:
            parts = []
            if missing:
                parts.append(f"no alarm on {', '.join(missing)}")
            if silent:
                parts.append(f"alarms without an enabled action on {', '.join(silent)}")
            yield Result(instance.arn, Status.FAIL, f"{instance_label(instance)}: {'; '.join(parts)}",
                         evidence=evidence, region=region.region)
        else:
            yield Result(instance.arn, Status.PASS,
                         f"{instance_label(instance)}: every watched Connect metric has an alarm with an action",
                         evidence=evidence, region=region.region)


@check(
    id="flow-log-error-alarm-missing",
    title="No metric filter and alarm catch errors in the flow logs",
    practice=Practice.MONITORING_ALERTS,
    severity=Severity.LOW,
    rationale="""Flow logs record each failed Lambda call, failed transfer and error branch taken, with the flow
    and block. A metric filter on those entries and an alarm on its metric turn them into a notification; the
    AWS/Connect ContactFlowErrors metric alone does not say which block failed or why.""",
    remediation="""Add a metric filter on /aws/connect/ALIAS matching error results (for example
    `{ $.Results = "Error" || $.ExternalResults.isSuccess = "false" }`) and an alarm on its metric:
    `connectguard fix --check flow-log-error-alarm-missing`.""",
    detects="""One result per instance whose flow log group exists: FAIL when no metric filter's pattern mentions
    errors or no alarm with an action watches that filter's metric; UNKNOWN when filters or alarms were not
    seen.""",
    before="""aws logs describe-metric-filters --log-group-name /aws/connect/acme
{"metricFilters": []}""",
    after="""aws logs put-metric-filter --log-group-name /aws/connect/acme --filter-name flow-errors \\
  --filter-pattern '"Error"' \\
  --metric-transformations metricName=FlowLogErrors,metricNamespace=ConnectGuard/acme,metricValue=1""",
)
def flow_log_error_alarm_missing(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        name = flow_log_group_name(instance)
        if region.log_groups is None:
            errors = ctx.snapshot.errors_for("log_groups", region=region.region)
            yield ctx.unknown(instance.arn, "the region's log groups", errors, region=region.region)
            continue
        group = find_log_group(region, name)
        if group is None:
            continue  # flow-log-retention-short reports the missing group
        resource = group.arn or f"arn:{ctx.snapshot.partition}:logs:{region.region}:{ctx.account}:log-group:{name}"
        if group.metric_filters is None:
            errors = [e for e in ctx.snapshot.errors_for("log_group.filters", region=region.region)
                      if e.resource in (None, name, group.arn)]
            yield ctx.unknown(resource, f"the metric filters of {name}", errors, region=region.region)
            continue
        error_filters = [f for f in group.metric_filters if "error" in f.pattern.lower() and f.metric_name]
        if error_filters and region.alarms is None:
            errors = ctx.snapshot.errors_for("alarms", region=region.region)
            yield ctx.unknown(resource, "the region's CloudWatch alarms", errors, region=region.region)
            continue
        alarmed = [f.name for f in error_filters
                   if any(alarm_acts(a) and alarm_covers(a, f.metric_namespace or "", f.metric_name or "")
                          for a in region.alarms or [])]
        evidence = {"log_group": name, "error_filters": [f.name for f in error_filters], "alarmed_filters": alarmed}
        if alarmed:
            yield Result(resource, Status.PASS, f"{name}: errors are counted by filter {alarmed[0]} and alarmed",
                         evidence=evidence, region=region.region)
        elif error_filters:
            yield Result(resource, Status.FAIL, f"{name}: metric filter {error_filters[0].name} counts errors but "
                         "no alarm with an action watches its metric", evidence=evidence, region=region.region)
        else:
            yield Result(resource, Status.FAIL, f"{name}: no metric filter counts errors in the flow logs",
                         evidence=evidence, region=region.region)

