"""Perform a plan's AWS-side changes through boto3: idempotent, additive, reported one by one.

Every applier reads the current state first and writes only what differs, so a second
apply reports every change as ``unchanged``. Nothing is deleted: an S3 lifecycle
configuration is written back with every existing rule kept; an alarm or filter that
already exists under connectguard's name is left alone when it already matches;
retention is only ever lengthened. Flow-content patches and manual items are
``skipped`` (they are for a person to review).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connectguard.remediate.plan import LIFECYCLE_RULE_ID, Change, Plan

ClientFactory = Callable[[str, str | None], Any]  # (service, region) -> boto3 client


@dataclass
class Outcome:
    key: str
    kind: str
    target: str
    status: str  # changed | unchanged | skipped | failed | planned
    detail: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def apply_plan(plan: Plan, clients: ClientFactory, *, dry_run: bool = True) -> list[Outcome]:
    """Apply (or, with ``dry_run``, only list) each change in order: topics before the alarms that use them."""
    order = {"sns-topic": 0, "log-group": 1, "instance-attribute": 1}
    outcomes = []
    topic_arns: dict[str, str] = {}
    for change in sorted(plan.changes, key=lambda c: order.get(c.kind, 2)):
        if not change.automated:
            outcomes.append(Outcome(change.key, change.kind, change.target, "skipped",
                                    "for a person to review (see the written patch or the remediation)"))
            continue
        if dry_run:
            outcomes.append(Outcome(change.key, change.kind, change.target, "planned", change.summary))
            continue
        applier = _APPLIERS[change.kind]
        try:
            status, detail = applier(change, clients, topic_arns)
        except (ClientError, BotoCoreError) as exc:
            status, detail = "failed", f"{type(exc).__name__}: {exc}"
        outcomes.append(Outcome(change.key, change.kind, change.target, status, detail))
    return outcomes


def _instance_attribute(change: Change, clients: ClientFactory, _: dict) -> tuple[str, str]:
    p = change.params
    connect = clients("connect", change.region)
    current = connect.describe_instance_attribute(InstanceId=p["instance_id"], AttributeType=p["attribute"])
    if str(current.get("Attribute", {}).get("Value", "")).lower() == p["value"]:
        return "unchanged", f"{p['attribute']} is already {p['value']}"
    connect.update_instance_attribute(InstanceId=p["instance_id"], AttributeType=p["attribute"], Value=p["value"])
    return "changed", f"set {p['attribute']} to {p['value']}"


def _find_group(logs: Any, name: str) -> dict | None:
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name):
        for group in page.get("logGroups", []):
            if group["logGroupName"] == name:
                return group
    return None


def _log_group(change: Change, clients: ClientFactory, _: dict) -> tuple[str, str]:
    logs = clients("logs", change.region)
    name = change.params["log_group"]
    if _find_group(logs, name) is None:
        logs.create_log_group(logGroupName=name)
        _, detail = _log_retention(change, clients, _)
        return "changed", f"created {name}; {detail}"
    return _log_retention(change, clients, _)


def _log_retention(change: Change, clients: ClientFactory, _: dict) -> tuple[str, str]:
    logs = clients("logs", change.region)
    name, days = change.params["log_group"], change.params["retention_days"]
    group = _find_group(logs, name)
    if group is None:
        return "failed", f"log group {name} does not exist (any more)"
    current = group.get("retentionInDays")
    if current is not None and current >= days:
        return "unchanged", f"retention is already {current} days"
    logs.put_retention_policy(logGroupName=name, retentionInDays=days)
    return "changed", f"retention {current or 'never expire'} -> {days} days"


def _sns_topic(change: Change, clients: ClientFactory, topic_arns: dict) -> tuple[str, str]:
    sns = clients("sns", change.region)
    name = change.params["name"]
    existing = None
    for page in sns.get_paginator("list_topics").paginate():
        for t in page.get("Topics", []):
            if t["TopicArn"].rsplit(":", 1)[-1] == name:
                existing = t["TopicArn"]
    if existing is None:
        existing = sns.create_topic(Name=name)["TopicArn"]
        status = "changed"
        detail = f"created topic {existing}"
    else:
        status, detail = "unchanged", f"topic {existing} exists"
    topic_arns[change.params["arn"]] = existing
    email = change.params.get("email")
    if email:
        subs = [s for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=existing)
                for s in page.get("Subscriptions", [])]
        if not any(s.get("Endpoint") == email for s in subs):
            sns.subscribe(TopicArn=existing, Protocol="email", Endpoint=email)
            status, detail = "changed", detail + "; subscribed the alarm e-mail address (confirmation pending)"
    return status, detail


def _alarm(change: Change, clients: ClientFactory, topic_arns: dict) -> tuple[str, str]:
    cw = clients("cloudwatch", change.region)
    p = change.params
    topic = topic_arns.get(p["topic_arn"], p["topic_arn"])
    wanted = {
        "AlarmName": p["alarm_name"], "AlarmDescription": f"connectguard: {change.summary}",
        "Namespace": p["namespace"], "MetricName": p["metric_name"], "Statistic": p["statistic"],
        "Period": p["period"], "EvaluationPeriods": p["evaluation_periods"], "Threshold": float(p["threshold"]),
        "ComparisonOperator": p["comparison"], "TreatMissingData": p["treat_missing_data"],
        "AlarmActions": [topic], "ActionsEnabled": True,
        "Dimensions": [{"Name": k, "Value": v} for k, v in p["dimensions"].items()],
    }
    found = cw.describe_alarms(AlarmNames=[p["alarm_name"]]).get("MetricAlarms", [])
    if found and _same_alarm(found[0], wanted):
        return "unchanged", f"alarm {p['alarm_name']} exists"
    cw.put_metric_alarm(**wanted)
    return "changed", f"{'updated' if found else 'created'} alarm {p['alarm_name']} -> {topic}"


def _same_alarm(current: dict, wanted: dict) -> bool:
    for key, value in wanted.items():
        have = current.get(key)
        if key == "Dimensions":
            have = sorted((d["Name"], d["Value"]) for d in have or [])
            value = sorted((d["Name"], d["Value"]) for d in value)
        elif key == "Threshold":
            have = float(have) if have is not None else None
        if have != value:
            return False
    return True


def _metric_filter(change: Change, clients: ClientFactory, _: dict) -> tuple[str, str]:
    logs = clients("logs", change.region)
    p = change.params
    current = logs.describe_metric_filters(logGroupName=p["log_group"], filterNamePrefix=p["filter_name"])
    for f in current.get("metricFilters", []):
        t = (f.get("metricTransformations") or [{}])[0]
        if (f["filterName"] == p["filter_name"] and f.get("filterPattern") == p["pattern"]
                and t.get("metricName") == p["metric_name"] and t.get("metricNamespace") == p["namespace"]):
            return "unchanged", f"metric filter {p['filter_name']} exists"
    logs.put_metric_filter(logGroupName=p["log_group"], filterName=p["filter_name"], filterPattern=p["pattern"],
                           metricTransformations=[{"metricName": p["metric_name"], "metricNamespace": p["namespace"],
                                                   "metricValue": "1", "defaultValue": 0.0}])
    return "changed", f"created metric filter {p['filter_name']} on {p['log_group']}"


def _subscription_filter(change: Change, clients: ClientFactory, _: dict) -> tuple[str, str]:
    logs = clients("logs", change.region)
    p = change.params
    current = logs.describe_subscription_filters(logGroupName=p["log_group"]).get("subscriptionFilters", [])
    if any(f.get("destinationArn") == p["destination_arn"] for f in current):
        return "unchanged", f"{p['log_group']} already streams to {p['destination_arn']}"
    if len(current) >= 2:  # CloudWatch Logs allows two per group; never replace someone else's
        return "failed", f"{p['log_group']} already has {len(current)} subscription filters (the maximum)"
    kwargs = {"logGroupName": p["log_group"], "filterName": p["filter_name"], "filterPattern": p["pattern"],
              "destinationArn": p["destination_arn"]}
    if p.get("role_arn"):
        kwargs["roleArn"] = p["role_arn"]
    logs.put_subscription_filter(**kwargs)
    return "changed", f"{p['log_group']} now streams to {p['destination_arn']}"


def _s3_lifecycle(change: Change, clients: ClientFactory, _: dict) -> tuple[str, str]:
    s3 = clients("s3", change.region)
    p = change.params
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=p["bucket"]).get("Rules", [])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchLifecycleConfiguration":
            raise
        rules = []
    ours = next((r for r in rules if r.get("ID") == LIFECYCLE_RULE_ID), None)
    if ours is not None and _same_rule(ours, p["rule"]):
        return "unchanged", f"bucket {p['bucket']} already has rule {LIFECYCLE_RULE_ID}"
    kept = [r for r in rules if r.get("ID") != LIFECYCLE_RULE_ID]
    s3.put_bucket_lifecycle_configuration(Bucket=p["bucket"], LifecycleConfiguration={"Rules": kept + [p["rule"]]})
    return "changed", f"added rule {LIFECYCLE_RULE_ID} to bucket {p['bucket']} ({len(kept)} existing rule(s) kept)"


def _same_rule(current: dict, wanted: dict) -> bool:
    def norm(rule: dict) -> tuple:
        return (rule.get("Status"), tuple((t.get("Days"), t.get("StorageClass")) for t in rule.get("Transitions", [])),
                (rule.get("Expiration") or {}).get("Days"))
    return norm(current) == norm(wanted)


_APPLIERS: dict[str, Callable[[Change, ClientFactory, dict], tuple[str, str]]] = {
    "instance-attribute": _instance_attribute,
    "log-group": _log_group,
    "log-retention": _log_retention,
    "sns-topic": _sns_topic,
    "alarm": _alarm,
    "metric-filter": _metric_filter,
    "subscription-filter": _subscription_filter,
    "s3-lifecycle": _s3_lifecycle,
}
