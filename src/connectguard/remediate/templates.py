"""Render a :class:`~connectguard.remediate.plan.Plan` as CloudFormation, Terraform and flow patches.

What CloudFormation can own without importing resources it did not create: the SNS
topic, alarms, metric filters, subscription filters and a new log group. Retention of
an existing log group and the lifecycle of an existing bucket would need the whole
group or bucket imported into a stack (and then owned by it), so they appear in the
template's Metadata as AWS CLI commands instead, and in Terraform as
``aws_s3_bucket_lifecycle_configuration`` (a resource of its own, carrying the
bucket's existing rules too) and an ``import`` block for the log group with
``prevent_destroy``. The instance attribute exists only inside the instance resource:
it is applied through the API (``fix --apply``) and shown as an AWS CLI command.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from connectguard.remediate.plan import Change, Plan, safe_name

TEMPLATE_DESCRIPTION = "connectguard fix: Amazon Connect monitoring and log export (generated; review before deploying)"


def _logical_id(prefix: str, name: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", name)
    return (prefix + "".join(w[:1].upper() + w[1:] for w in words if w))[:255]


def regions(plan: Plan) -> list[str]:
    return sorted({c.region for c in plan.changes if c.region and c.automated})


def cloudformation(plan: Plan, region: str) -> dict[str, Any]:
    """One stack per region (CloudFormation stacks are regional)."""
    resources: dict[str, Any] = {}
    outside: list[str] = []
    topics: dict[str, str] = {}
    for change in plan.changes:
        if change.region != region or not change.automated:
            continue
        p = change.params
        if change.kind == "sns-topic":
            lid = _logical_id("Topic", p["name"])
            topics[p["arn"]] = lid
            resources[lid] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": p["name"]}}
            if p.get("email"):
                resources[lid + "Email"] = {"Type": "AWS::SNS::Subscription", "Properties": {
                    "TopicArn": {"Ref": lid}, "Protocol": "email", "Endpoint": p["email"]}}
    for change in plan.changes:
        if change.region != region or not change.automated:
            continue
        p = change.params
        if change.kind == "alarm":
            action: Any = {"Ref": topics[p["topic_arn"]]} if p["topic_arn"] in topics else p["topic_arn"]
            props: dict[str, Any] = {
                "AlarmName": p["alarm_name"], "AlarmDescription": f"connectguard: {change.summary}",
                "Namespace": p["namespace"], "MetricName": p["metric_name"], "Statistic": p["statistic"],
                "Period": p["period"], "EvaluationPeriods": p["evaluation_periods"], "Threshold": p["threshold"],
                "ComparisonOperator": p["comparison"], "TreatMissingData": p["treat_missing_data"],
                "AlarmActions": [action]}
            if p["dimensions"]:
                props["Dimensions"] = [{"Name": k, "Value": v} for k, v in p["dimensions"].items()]
            resources[_logical_id("Alarm", p["alarm_name"])] = {"Type": "AWS::CloudWatch::Alarm", "Properties": props}
        elif change.kind == "metric-filter":
            resources[_logical_id("MetricFilter", p["log_group"])] = {
                "Type": "AWS::Logs::MetricFilter", "Properties": {
                    "LogGroupName": p["log_group"], "FilterName": p["filter_name"], "FilterPattern": p["pattern"],
                    "MetricTransformations": [{"MetricNamespace": p["namespace"], "MetricName": p["metric_name"],
                                               "MetricValue": "1", "DefaultValue": 0}]}}
        elif change.kind == "subscription-filter":
            props = {"LogGroupName": p["log_group"], "FilterName": p["filter_name"], "FilterPattern": p["pattern"],
                     "DestinationArn": p["destination_arn"]}
            if p.get("role_arn"):
                props["RoleArn"] = p["role_arn"]
            resources[_logical_id("Subscription", p["log_group"])] = {"Type": "AWS::Logs::SubscriptionFilter",
                                                                      "Properties": props}
        elif change.kind == "log-group":
            resources[_logical_id("LogGroup", p["log_group"])] = {
                "Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                "Properties": {"LogGroupName": p["log_group"], "RetentionInDays": p["retention_days"]}}
        elif change.kind in ("log-retention", "s3-lifecycle", "instance-attribute"):
            outside.append(change.cli)
    # Resources that must exist first (a new log group) are referenced by name: add DependsOn.
    new_groups = {r["Properties"]["LogGroupName"]: lid for lid, r in resources.items()
                  if r["Type"] == "AWS::Logs::LogGroup"}
    for res in resources.values():
        group = res["Properties"].get("LogGroupName") if res["Type"] != "AWS::Logs::LogGroup" else None
        if group in new_groups:
            res["DependsOn"] = new_groups[group]
    template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Description": TEMPLATE_DESCRIPTION,
                                "Resources": resources}
    if outside:
        template["Metadata"] = {"connectguard": {
            "not_in_this_template": "These changes modify resources this stack does not own; apply them with "
                                    "`connectguard fix --apply` or these commands:",
            "commands": outside}}
    return template


def cloudformation_yaml(template: dict[str, Any]) -> str:
    return yaml.safe_dump(template, sort_keys=False, width=120)


# ------------------------------------------------------------------------ Terraform


def _hcl_string(value: str) -> str:
    # JSON string escapes are valid HCL; HCL also interpolates ${ and %{, which must be doubled.
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def _hcl(value: Any, indent: int = 1) -> str:
    pad = "  " * indent
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _hcl_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_hcl(v, indent) for v in value) + "]"
    if isinstance(value, dict):
        inner = "\n".join(f"{pad}  {_hcl_string(k)} = {_hcl(v, indent + 1)}" for k, v in value.items())
        return "{\n" + inner + f"\n{pad}}}" if value else "{}"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def _block(head: str, attrs: dict[str, Any], blocks: list[str] = (), indent: int = 0) -> str:
    pad = "  " * indent
    lines = [f"{pad}{head} {{"]
    for key, value in attrs.items():
        lines.append(f"{pad}  {key} = {_hcl(value, indent + 1)}")
    for block in blocks:
        lines.append(block)
    lines.append(f"{pad}}}")
    return "\n".join(lines)


def _ref(expr: str) -> str:
    return f"\0{expr}\0"  # a bare expression, unquoted after rendering


def _unquote_refs(text: str) -> str:
    return re.sub(r'"\\u0000(.*?)\\u0000"', r"\1", text)


def terraform(plan: Plan, region: str) -> str:
    """One configuration per region, for `terraform plan` / `apply` (Terraform 1.5+ for import blocks)."""
    parts = [
        "# connectguard fix: Amazon Connect monitoring, log retention and export (generated; review before applying)",
        _block("terraform", {}, [_block("required_providers", {"aws": {"source": "hashicorp/aws",
                                                                          "version": ">= 5.0"}}, indent=1)]),
        _block('provider "aws"', {"region": region}),
    ]
    topics: dict[str, str] = {}
    for change in plan.changes:
        if change.region == region and change.automated and change.kind == "sns-topic":
            name = safe_name(change.params["name"]).replace("-", "_")
            topics[change.params["arn"]] = f"aws_sns_topic.{name}.arn"
            parts.append(_block(f'resource "aws_sns_topic" "{name}"', {"name": change.params["name"]}))
            if change.params.get("email"):
                parts.append(_block(f'resource "aws_sns_topic_subscription" "{name}_email"', {
                    "topic_arn": _ref(f"aws_sns_topic.{name}.arn"), "protocol": "email",
                    "endpoint": change.params["email"]}))
    for change in plan.changes:
        if change.region != region or not change.automated:
            continue
        p = change.params
        rname = safe_name(change.target).replace("-", "_").strip("_").lower() or "x"
        if change.kind == "alarm":
            attrs: dict[str, Any] = {
                "alarm_name": p["alarm_name"], "alarm_description": f"connectguard: {change.summary}",
                "namespace": p["namespace"], "metric_name": p["metric_name"], "statistic": p["statistic"],
                "period": p["period"], "evaluation_periods": p["evaluation_periods"], "threshold": p["threshold"],
                "comparison_operator": p["comparison"], "treat_missing_data": p["treat_missing_data"],
                "alarm_actions": [_ref(topics[p["topic_arn"]]) if p["topic_arn"] in topics else p["topic_arn"]]}
            if p["dimensions"]:
                attrs["dimensions"] = p["dimensions"]
            parts.append(_block(f'resource "aws_cloudwatch_metric_alarm" "{rname}"', attrs))
        elif change.kind == "metric-filter":
            parts.append(_block(f'resource "aws_cloudwatch_log_metric_filter" "{rname}"', {
                "name": p["filter_name"], "log_group_name": p["log_group"], "pattern": p["pattern"]},
                [_block("metric_transformation", {"name": p["metric_name"], "namespace": p["namespace"],
                                                  "value": "1", "default_value": "0"}, indent=1)]))
        elif change.kind == "subscription-filter":
            attrs = {"name": p["filter_name"], "log_group_name": p["log_group"], "filter_pattern": p["pattern"],
                     "destination_arn": p["destination_arn"]}
            if p.get("role_arn"):
                attrs["role_arn"] = p["role_arn"]
            parts.append(_block(f'resource "aws_cloudwatch_log_subscription_filter" "{rname}"', attrs))
        elif change.kind in ("log-group", "log-retention"):
            if change.kind == "log-retention":
                parts.append(_block("import", {"to": _ref(f"aws_cloudwatch_log_group.{rname}"),
                                               "id": p["log_group"]}))
            parts.append(_block(f'resource "aws_cloudwatch_log_group" "{rname}"', {
                "name": p["log_group"], "retention_in_days": p["retention_days"]},
                [_block("lifecycle", {"prevent_destroy": True}, indent=1)]))
        elif change.kind == "s3-lifecycle":
            parts.append(_lifecycle_block(rname, p))
        elif change.kind == "instance-attribute":
            parts.append("# Not expressible without importing the whole Connect instance; apply with "
                         "`connectguard fix --apply` or:\n# " + change.cli)
    return _unquote_refs("\n\n".join(parts)) + "\n"


def _lifecycle_block(rname: str, p: dict[str, Any]) -> str:
    blocks = []
    rules = list(p.get("existing_rules_api", [])) + [p["rule"]]
    for rule in rules:
        inner = [_block("filter", {"prefix": rule.get("Filter", {}).get("Prefix", "")}, indent=2)]
        for t in rule.get("Transitions", []):
            inner.append(_block("transition", {"days": t["Days"], "storage_class": t["StorageClass"]}, indent=2))
        if "Expiration" in rule:
            inner.append(_block("expiration", {"days": rule["Expiration"]["Days"]}, indent=2))
        blocks.append(_block("rule", {"id": rule["ID"], "status": rule["Status"]}, inner, indent=1))
    header = ("# aws_s3_bucket_lifecycle_configuration replaces the bucket's whole lifecycle configuration: the\n"
              "# bucket's existing rules are repeated here so none is lost.\n")
    return header + _block(f'resource "aws_s3_bucket_lifecycle_configuration" "{rname}"', {"bucket": p["bucket"]},
                           blocks)


def flow_patches(plan: Plan) -> dict[str, str]:
    """File name -> a reviewed-by-a-person diff per flow (never applied by connectguard).

    The diff is against the content pretty-printed with sorted keys (``json.dumps(indent=2, sort_keys=True)``);
    phone numbers and e-mail addresses in it are masked, as in the snapshot it was computed from.
    """
    out: dict[str, str] = {}
    for change in plan.of_kind("flow-patch"):
        p = change.params
        base = f"flows/{safe_name(p['instance_id'])}/{safe_name(p['flow_name'])}-{safe_name(p['flow_id'])}"
        out[base + ".diff"] = f"# {change.summary}\n# {change.cli}\n" + p["diff"]
    return out


def summary_lines(plan: Plan, change: Change | None = None) -> list[str]:
    items = [change] if change else plan.changes
    return [f"[{c.kind}] {c.summary}" for c in items]
