"""``--emit eventbridge``: a CloudFormation template paging within a minute on single-event rules.

Each single-event rule whose condition is a conjunction of per-field value lists (Sigma's
usual ``selection`` shape) becomes an EventBridge rule on "AWS API Call via CloudTrail"
events, targeting one SNS topic. Values match with ``equals-ignore-case`` (Sigma
equality is case-insensitive) or ``prefix``/``suffix``/``wildcard`` for wildcard values.
Correlation rules, and rules with ``not``, ``or`` across fields, regexes or null tests,
cannot be expressed as event patterns: they stay with the batch engine and are listed.

EventBridge receives CloudTrail events only where a trail logs management events; IAM,
Organizations and other global services deliver them in us-east-1. State
``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`` also delivers read-only calls.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionOR
from sigma.types import SigmaString, SpecialChars

from connectguard.detect.rules import DetectionRule, RuleSet


class NotExpressible(Exception):
    pass


def _source(event_source: str) -> str:
    return "aws." + event_source.split(".", 1)[0]


def _value(v: object) -> Any:
    if not isinstance(v, SigmaString):
        raise NotExpressible(f"value type {type(v).__name__}")
    parts = list(v)
    if not v.contains_special():
        return {"equals-ignore-case": v.to_plain()}
    plain = [p for p in parts if isinstance(p, str)]
    if len(plain) == 1 and parts[-1] == SpecialChars.WILDCARD_MULTI and parts[0] == plain[0] and len(parts) == 2:
        return {"prefix": {"equals-ignore-case": plain[0]}}
    if len(plain) == 1 and parts[0] == SpecialChars.WILDCARD_MULTI and parts[-1] == plain[0] and len(parts) == 2:
        return {"suffix": {"equals-ignore-case": plain[0]}}
    if all(isinstance(p, str) or p == SpecialChars.WILDCARD_MULTI for p in parts):
        # EventBridge wildcard matching is case-sensitive: the pattern is kept as written.
        return {"wildcard": "".join(p if isinstance(p, str) else "*" for p in parts)}
    raise NotExpressible("single-character wildcard")


def _leaves(node: object) -> list[ConditionFieldEqualsValueExpression]:
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return [node]
    raise NotExpressible(type(node).__name__)


def pattern_for(rule: DetectionRule) -> dict[str, Any]:
    """The EventBridge event pattern equivalent to ``rule``; NotExpressible when there is none."""
    conditions = [c.parsed for c in rule.sigma.detection.parsed_condition]
    if len(conditions) != 1:
        raise NotExpressible("several conditions")
    fields: dict[str, list[Any]] = {}

    def add_conjunct(node: object) -> None:
        if isinstance(node, ConditionAND):
            for a in node.args:
                add_conjunct(a)
            return
        leaves = node.args if isinstance(node, ConditionOR) else [node]
        flat = [leaf for x in leaves for leaf in _leaves(x)]
        names = {leaf.field for leaf in flat}
        if len(names) != 1 or None in names:
            raise NotExpressible("'or' across different fields")
        name = names.pop()
        if name in fields:
            raise NotExpressible(f"field {name} constrained twice")
        fields[name] = [_value(leaf.value) for leaf in flat]

    add_conjunct(conditions[0])
    sources = fields.pop("eventSource", None)
    if not sources or not all("equals-ignore-case" in s for s in sources):
        raise NotExpressible("no exact eventSource")
    detail: dict[str, Any] = {"eventSource": [s["equals-ignore-case"] for s in sources]}
    for name, values in fields.items():
        node = detail
        parts = name.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise NotExpressible(f"field {name} overlaps another")
        # eventName is case-sensitive in CloudTrail; exact names keep the pattern cheap.
        if name == "eventName" and all("equals-ignore-case" in v for v in values):
            node[parts[-1]] = [v["equals-ignore-case"] for v in values]
        else:
            node[parts[-1]] = values
    return {
        "source": sorted({_source(s["equals-ignore-case"]) for s in sources}),
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": detail,
    }


def _logical_id(key: str) -> str:
    return "Rule" + "".join(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", key) if w)[:200]


def template(ruleset: RuleSet) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(CloudFormation template, [(rule key, why it stays with the batch engine)])."""
    resources: dict[str, Any] = {
        # EventBridge cannot publish to a topic encrypted with the AWS-managed key (alias/aws/sns):
        # the topic gets a customer-managed key whose policy lets EventBridge use it.
        "AlertTopicKey": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "Description": "connectguard detections topic",
                "EnableKeyRotation": True,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministers",
                            "Effect": "Allow",
                            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        {
                            "Sid": "EventBridgePublishes",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                        },
                    ],
                },
            },
        },
        "AlertTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "DisplayName": "connectguard detections",
                "KmsMasterKeyId": {"Ref": "AlertTopicKey"},
            },
        },
        "AlertTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "AlertTopic"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "AllowEventBridge",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": {"Ref": "AlertTopic"},
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    }],
                },
            },
        },
        "AlertSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasEmail",
            "Properties": {"TopicArn": {"Ref": "AlertTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlertEmail"}},
        },
    }
    batch_only: list[tuple[str, str]] = []
    for rule in ruleset.rules:
        if not rule.generate:
            continue
        if not rule.eventbridge:
            batch_only.append((rule.key, "marked batch-only in the rule"))
            continue
        try:
            pattern = pattern_for(rule)
        except NotExpressible as exc:
            batch_only.append((rule.key, f"not expressible as an event pattern: {exc}"))
            continue
        resources[_logical_id(rule.key)] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Name": f"connectguard-{rule.key}"[:64],
                "Description": f"{rule.title} ({rule.severity.value})"[:512],
                "State": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
                "EventPattern": pattern,
                "Targets": [{"Arn": {"Ref": "AlertTopic"}, "Id": "sns"}],
            },
        }
    for corr in ruleset.correlations:
        batch_only.append((corr.key, "correlation rule: needs several events (run `connectguard detect` or Athena)"))
    doc = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "connectguard: page on Amazon Connect CloudTrail detections within a minute (EventBridge -> SNS). "
        "Deploy in every account and Region running Amazon Connect, and in us-east-1 for IAM and Organizations events.",
        "Parameters": {
            "AlertEmail": {"Type": "String", "Default": "", "Description": "Optional e-mail subscribed to the topic."},
        },
        "Conditions": {"HasEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]}},
        "Resources": resources,
        "Outputs": {"AlertTopicArn": {"Value": {"Ref": "AlertTopic"}}},
        "Metadata": {"connectguard": {"batch_only_rules": [{"rule": k, "reason": r} for k, r in batch_only]}},
    }
    return doc, batch_only


def template_json(ruleset: RuleSet) -> str:
    return json.dumps(template(ruleset)[0], indent=2) + "\n"
