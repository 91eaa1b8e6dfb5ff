"""From audit findings to a remediation plan (pure: a snapshot and a configuration in, changes out).

The plan is derived from the same checks the audit runs, so applying it is exactly
what closes those findings. Each :class:`Change` names the check it closes, what it
does, its parameters, and the equivalent AWS CLI command; ``automated`` says whether
``fix --apply`` performs it (flow-content changes never are: they are written as
patches for a person to review).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from connectguard.audit.engine import run_audit
from connectguard.audit.registry import select_checks
from connectguard.checks._logging_common import find_log_group, flow_log_group_name
from connectguard.config import Config
from connectguard.conventions import InputError, Status
from connectguard.flows.patch import enable_disabled_blocks, enable_logging_at_start
from connectguard.inventory.model import Instance, LifecycleRule, RegionInventory, Snapshot

# Checks `fix` can act on, and the practice-level checks it only reports with their remediation.
FIXABLE = (
    "flow-logs-disabled",
    "flow-log-retention-short",
    "flow-logs-not-exported",
    "connect-alarms-missing",
    "flow-log-error-alarm-missing",
    "log-bucket-lifecycle-missing",
    "flow-path-without-logging",
    "flow-disables-logging",
)
REPORTED = (
    "trail-not-covering-connect",
    "trail-log-validation-off",
    "trail-not-kms-encrypted",
    "flow-log-group-not-encrypted",
    "stream-not-encrypted",
    "recording-bucket-public",
    "log-bucket-object-lock-missing",
)

LIFECYCLE_RULE_ID = "connectguard-archive"
FLOW_ERROR_NAMESPACE = "ConnectGuard/FlowLogs"
FLOW_ERROR_PATTERN = '?"Error" ?"error" ?"Failed"'

# Dimensions Connect publishes each metric with (besides InstanceId). Per-flow metrics get one alarm per flow.
_METRIC_GROUPS = {
    "ThrottledCalls": "VoiceCalls",
    "CallsBreachingConcurrencyQuota": "VoiceCalls",
    "MisconfiguredPhoneNumbers": "VoiceCalls",
    "ConcurrentCalls": "VoiceCalls",
    "ConcurrentCallsPercentage": "VoiceCalls",
    "CallsPerInterval": "VoiceCalls",
    "MissedCalls": "VoiceCalls",
    "CallBackNotDialableNumber": "VoiceCalls",
    "CallRecordingUploadError": "CallRecordings",
    "ContactFlowErrors": "ContactFlow",
    "ContactFlowFatalErrors": "ContactFlow",
}
_PER_FLOW = {"ContactFlowErrors", "ContactFlowFatalErrors"}
# (statistic, threshold): ConcurrentCallsPercentage is a share of the concurrency quota.
_THRESHOLDS = {"ConcurrentCallsPercentage": ("Maximum", 80.0)}


@dataclass
class Change:
    key: str  # stable identity, e.g. "log-retention:us-east-1:/aws/connect/acme"
    check: str  # the check whose finding this closes
    kind: str  # instance-attribute | log-group | log-retention | sns-topic | alarm | metric-filter |
    #            subscription-filter | s3-lifecycle | flow-patch | manual
    region: str | None
    target: str
    summary: str
    params: dict[str, Any] = field(default_factory=dict)
    cli: str = ""
    automated: bool = True
    templated: bool = True  # expressible as a stand-alone CloudFormation/Terraform resource

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    findings_considered: int = 0
    unknown: int = 0  # results the checks could not evaluate: nothing could be planned for them

    def add(self, change: Change) -> None:
        if all(c.key != change.key for c in self.changes):
            self.changes.append(change)

    def of_kind(self, *kinds: str) -> list[Change]:
        return [c for c in self.changes if c.kind in kinds]

    def to_json(self) -> dict[str, Any]:
        return {"changes": [c.to_json() for c in self.changes], "notes": self.notes,
                "findings_considered": self.findings_considered, "unknown": self.unknown}


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "x"


def _cli(*parts: str) -> str:
    return " ".join(shlex.quote(p) for p in parts)


def build_plan(snapshot: Snapshot, config: Config, only: Iterable[str] = ()) -> Plan:
    """Audit the fixable (and reported) checks and plan a change for each FAIL finding."""
    wanted = [c for c in (*FIXABLE, *REPORTED)]
    only = [o.strip() for v in only for o in v.split(",") if o.strip()]
    if only:
        unknown = sorted(set(only) - set(wanted))
        if unknown:
            raise InputError(f"fix has no remediation for check(s) {', '.join(unknown)}; it handles: "
                             f"{', '.join(wanted)}")
        wanted = [c for c in wanted if c in only]
    report = run_audit(snapshot, config, select_checks(wanted))
    failing = [f for f in report.findings if f.status is Status.FAIL]
    plan = Plan(findings_considered=len(failing))
    instances = {i.arn: (r, i) for r, i in snapshot.instances()}
    by_check: dict[str, list] = {}
    for f in failing:
        by_check.setdefault(f.check, []).append(f)
    unknown_count = plan.unknown = sum(1 for f in report.findings if f.status is Status.UNKNOWN)
    if unknown_count:
        plan.notes.append(f"{unknown_count} result(s) could not be evaluated (UNKNOWN); nothing is planned for them. "
                          "Run `connectguard audit` to see why.")

    for f in by_check.get("flow-logs-disabled", []):
        region, inst = instances[f.resource]
        plan.add(Change(
            key=f"instance-attribute:{inst.id}:CONTACTFLOW_LOGS", check=f.check, kind="instance-attribute",
            region=region.region, target=inst.arn, templated=False,
            summary=f"turn on flow logs (CONTACTFLOW_LOGS) on instance {inst.alias or inst.id}",
            params={"instance_id": inst.id, "attribute": "CONTACTFLOW_LOGS", "value": "true"},
            cli=_cli("aws", "connect", "update-instance-attribute", "--region", region.region, "--instance-id",
                     inst.id, "--attribute-type", "CONTACTFLOW_LOGS", "--value", "true")))

    days = config.audit.retention_days
    for region, inst in snapshot.instances():
        if not any(f.resource in (inst.arn,) or f.resource.endswith(f":log-group:{flow_log_group_name(inst)}")
                   or f.evidence.get("log_group") == flow_log_group_name(inst)
                   for f in by_check.get("flow-log-retention-short", [])):
            continue
        _plan_retention(plan, region, inst, days)

    if by_check.get("connect-alarms-missing") or by_check.get("flow-log-error-alarm-missing"):
        _plan_alarms(plan, snapshot, config, instances, by_check)

    for f in by_check.get("flow-logs-not-exported", []):
        group = f.evidence.get("log_group")
        region = f.region or ""
        dest, role = config.fix.log_destination_arn, config.fix.log_destination_role_arn
        # Subscription destinations must be in the log group's region: "{region}" in the ARNs is replaced.
        dest = dest.replace("{region}", region) if dest else dest
        role = role.replace("{region}", region) if role else role
        if not dest:
            plan.add(Change(key=f"manual:flow-logs-not-exported:{group}", check=f.check, kind="manual", region=region,
                            target=group, automated=False, templated=False,
                            summary=f"stream {group} to long-term storage: set [fix] log_destination_arn (a Firehose "
                            "delivery stream writing to S3, or a central logging destination) and run fix again"))
            continue
        params = {"log_group": group, "filter_name": "connectguard-export", "pattern": "", "destination_arn": dest}
        cli = ["aws", "logs", "put-subscription-filter", "--region", region, "--log-group-name", group,
               "--filter-name", "connectguard-export", "--filter-pattern", "", "--destination-arn", dest]
        if role:
            params["role_arn"] = role
            cli += ["--role-arn", role]
        plan.add(Change(key=f"subscription-filter:{region}:{group}", check=f.check, kind="subscription-filter",
                        region=region, target=group, summary=f"stream {group} to {dest}", params=params,
                        cli=_cli(*cli)))

    for f in by_check.get("log-bucket-lifecycle-missing", []):
        _plan_lifecycle(plan, snapshot, config, f)

    for f in by_check.get("flow-path-without-logging", []) + by_check.get("flow-disables-logging", []):
        _plan_flow_patch(plan, instances, f)

    for check_id in REPORTED:
        for f in by_check.get(check_id, []):
            plan.add(Change(key=f"manual:{check_id}:{f.resource}", check=check_id, kind="manual", region=f.region,
                            target=f.resource, summary=f"{f.message} — {f.remediation}", automated=False,
                            templated=False))
    return plan


def _plan_retention(plan: Plan, region: RegionInventory, inst: Instance, days: int) -> None:
    name = flow_log_group_name(inst)
    group = find_log_group(region, name)
    if group is None:
        plan.add(Change(key=f"log-group:{region.region}:{name}", check="flow-log-retention-short", kind="log-group",
                        region=region.region, target=name,
                        summary=f"create {name} with a {days}-day retention (Connect writes flow logs there once "
                        "CONTACTFLOW_LOGS is on)", params={"log_group": name, "retention_days": days},
                        cli=_cli("aws", "logs", "create-log-group", "--region", region.region, "--log-group-name",
                                 name) + " && " + _cli("aws", "logs", "put-retention-policy", "--region",
                                                       region.region, "--log-group-name", name,
                                                       "--retention-in-days", str(days))))
        return
    target_days = _allowed_retention(max(days, group.retention_days or 0))
    plan.add(Change(key=f"log-retention:{region.region}:{name}", check="flow-log-retention-short",
                    kind="log-retention", region=region.region, target=name,
                    summary=f"set the retention of {name} to {target_days} days (was "
                    f"{group.retention_days or 'never expire'})",
                    params={"log_group": name, "retention_days": target_days, "current": group.retention_days},
                    cli=_cli("aws", "logs", "put-retention-policy", "--region", region.region, "--log-group-name",
                             name, "--retention-in-days", str(target_days))))


# CloudWatch Logs accepts only these retention periods.
_RETENTION_VALUES = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                     3288, 3653)


def _allowed_retention(days: int) -> int:
    for value in _RETENTION_VALUES:
        if value >= days:
            return value
    return _RETENTION_VALUES[-1]


def _plan_alarms(plan: Plan, snapshot: Snapshot, config: Config, instances, by_check) -> None:
    topic_for: dict[str, str] = {}

    def topic(region: str) -> str:
        if region not in topic_for:
            name = config.fix.sns_topic_name
            arn = f"arn:{snapshot.partition}:sns:{region}:{snapshot.account_id or 'ACCOUNT'}:{name}"
            topic_for[region] = arn
            params: dict[str, Any] = {"name": name, "arn": arn}
            cli = _cli("aws", "sns", "create-topic", "--region", region, "--name", name)
            if config.fix.alarm_email:
                params["email"] = config.fix.alarm_email
                cli += " && " + _cli("aws", "sns", "subscribe", "--region", region, "--topic-arn", arn, "--protocol",
                                     "email", "--notification-endpoint", config.fix.alarm_email)
            plan.add(Change(key=f"sns-topic:{region}:{name}", check="connect-alarms-missing", kind="sns-topic",
                            region=region, target=name, summary=f"create SNS topic {name} for alarm notifications",
                            params=params, cli=cli))
        return topic_for[region]

    for f in by_check.get("connect-alarms-missing", []):
        region, inst = instances[f.resource]
        label = inst.alias or inst.id
        metrics = list(f.evidence.get("missing", [])) + list(f.evidence.get("alarms_without_action", []))
        flows = sorted({fl.name for fl in inst.flows or [] if fl.status != "SAVED" and fl.state != "ARCHIVED"
                        and (fl.type in (None, "CONTACT_FLOW"))})
        for metric in metrics:
            dims = {"InstanceId": inst.id}
            if metric in _METRIC_GROUPS:
                dims["MetricGroup"] = _METRIC_GROUPS[metric]
            targets = [(f"connectguard-{safe_name(label)}-{metric}", dims)]
            if metric in _PER_FLOW:
                targets = [(f"connectguard-{safe_name(label)}-{metric}-{_flow_suffix(name)}",
                            {**dims, "ContactFlowName": name}) for name in flows]
                if not flows:
                    plan.notes.append(f"{metric} is published per flow name; {label} has no published flow, so no "
                                      "alarm is planned for it")
            statistic, threshold = _THRESHOLDS.get(metric, ("Sum", 1.0))
            for name, dimensions in targets:
                _add_alarm(plan, "connect-alarms-missing", region.region, name, "AWS/Connect", metric, dimensions,
                           statistic, threshold, topic(region.region),
                           f"alarm on {metric} for {label}" + (f" flow {dimensions['ContactFlowName']}"
                                                               if "ContactFlowName" in dimensions else ""))

    for f in by_check.get("flow-log-error-alarm-missing", []):
        group = f.evidence["log_group"]
        region = f.region or ""
        metric = f"FlowLogErrors-{safe_name(group.rsplit('/', 1)[-1])}"
        existing = f.evidence.get("error_filters") or []
        if not existing:
            plan.add(Change(key=f"metric-filter:{region}:{group}", check=f.check, kind="metric-filter", region=region,
                            target=group, summary=f"count errors in {group} as {FLOW_ERROR_NAMESPACE}/{metric}",
                            params={"log_group": group, "filter_name": "connectguard-flow-errors",
                                    "pattern": FLOW_ERROR_PATTERN, "namespace": FLOW_ERROR_NAMESPACE,
                                    "metric_name": metric},
                            cli=_cli("aws", "logs", "put-metric-filter", "--region", region, "--log-group-name", group,
                                     "--filter-name", "connectguard-flow-errors", "--filter-pattern",
                                     FLOW_ERROR_PATTERN, "--metric-transformations",
                                     f"metricName={metric},metricNamespace={FLOW_ERROR_NAMESPACE},metricValue=1,"
                                     "defaultValue=0")))
            namespace = FLOW_ERROR_NAMESPACE
        else:
            # An error filter exists but nothing alarms on it: alarm on its metric, leave the filter alone.
            region_inv = next(r for r in snapshot.regions if r.region == region)
            lg = find_log_group(region_inv, group)
            mf = next(m for m in (lg.metric_filters if lg else []) or [] if m.name == existing[0])
            namespace, metric = mf.metric_namespace or FLOW_ERROR_NAMESPACE, mf.metric_name or metric
        _add_alarm(plan, f.check, region, f"connectguard-{safe_name(group)}-errors", namespace, metric, {}, "Sum", 1.0,
                   topic(region), f"alarm on errors in {group}")


def _flow_suffix(name: str) -> str:
    """A readable, unique alarm-name suffix for a flow name (names that differ only in punctuation stay apart)."""
    import hashlib

    return f"{safe_name(name)[:40]}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"


def _add_alarm(plan: Plan, check: str, region: str, name: str, namespace: str, metric: str,
               dimensions: dict[str, str], statistic: str, threshold: float, topic_arn: str, summary: str) -> None:
    params = {"alarm_name": name, "namespace": namespace, "metric_name": metric, "dimensions": dimensions,
              "statistic": statistic, "threshold": threshold, "period": 300, "evaluation_periods": 1,
              "comparison": "GreaterThanOrEqualToThreshold", "treat_missing_data": "notBreaching",
              "topic_arn": topic_arn}
    dims = [f"Name={k},Value={v}" for k, v in dimensions.items()]
    cli = ["aws", "cloudwatch", "put-metric-alarm", "--region", region, "--alarm-name", name, "--namespace",
           namespace, "--metric-name", metric, "--statistic", statistic, "--period", "300", "--evaluation-periods",
           "1", "--threshold", str(threshold), "--comparison-operator", "GreaterThanOrEqualToThreshold",
           "--treat-missing-data", "notBreaching", "--alarm-actions", topic_arn]
    if dims:
        cli += ["--dimensions", *dims]
    plan.add(Change(key=f"alarm:{region}:{name}", check=check, kind="alarm", region=region, target=name,
                    summary=summary, params=params, cli=_cli(*cli)))


def lifecycle_rule(config: Config) -> dict[str, Any]:
    """The rule `fix` adds: Standard-IA, then Glacier, then (when configured) expiry."""
    days = config.audit.archive_transition_days
    expire = config.audit.expiration_days
    if days >= 30:  # S3 refuses Standard-IA transitions before 30 days
        transitions = [{"Days": days, "StorageClass": "STANDARD_IA"}, {"Days": days + 90, "StorageClass": "GLACIER"}]
    else:
        transitions = [{"Days": days, "StorageClass": "GLACIER"}]
    if expire is not None:
        transitions = [t for t in transitions if t["Days"] < expire] or [{"Days": 0, "StorageClass": "GLACIER"}]
    rule: dict[str, Any] = {"ID": LIFECYCLE_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
                            "Transitions": transitions}
    if expire is not None:
        rule["Expiration"] = {"Days": expire}
    return rule


def rule_to_api(rule: LifecycleRule) -> dict[str, Any]:
    """A snapshot lifecycle rule back in PutBucketLifecycleConfiguration shape (to keep existing rules)."""
    out: dict[str, Any] = {"ID": rule.id or "rule", "Status": "Enabled" if rule.enabled else "Disabled",
                           "Filter": {"Prefix": rule.prefix or ""}}
    trans = []
    for t in rule.transitions:
        d = t.get("days", t.get("Days"))
        sc = t.get("storage_class", t.get("StorageClass"))
        if d is not None and sc:
            trans.append({"Days": d, "StorageClass": sc})
    if trans:
        out["Transitions"] = trans
    if rule.expiration_days is not None:
        out["Expiration"] = {"Days": rule.expiration_days}
    return out


def _plan_lifecycle(plan: Plan, snapshot: Snapshot, config: Config, finding) -> None:
    name = finding.evidence["bucket"]
    bucket = snapshot.bucket(name)
    rule = lifecycle_rule(config)
    existing = [r for r in (bucket.lifecycle_rules or [] if bucket else []) if r.id != LIFECYCLE_RULE_ID]
    rules = [rule_to_api(r) for r in existing] + [rule]
    plan.add(Change(
        key=f"s3-lifecycle:{name}", check=finding.check, kind="s3-lifecycle", region=(bucket.region if bucket else None)
        or finding.region, target=name,
        summary=f"add lifecycle rule {LIFECYCLE_RULE_ID} to bucket {name} ({', '.join(finding.evidence['uses'][:2])}); "
        f"{len(existing)} existing rule(s) kept",
        params={"bucket": name, "rule": rule, "existing_rule_ids": [r.id for r in existing],
                "existing_rules_api": [rule_to_api(r) for r in existing]},
        cli=_cli("aws", "s3api", "put-bucket-lifecycle-configuration", "--bucket", name, "--lifecycle-configuration",
                 json.dumps({"Rules": rules}, separators=(",", ":")))))


def _plan_flow_patch(plan: Plan, instances, finding) -> None:
    evidence = finding.evidence
    flow_id, kind = evidence.get("flow_id"), evidence.get("kind", "flow")
    for region, inst in instances.values():
        units = inst.flows if kind == "flow" else inst.flow_modules
        unit = next((u for u in units or [] if u.arn == finding.resource or u.id == flow_id), None)
        if unit is None or unit.content is None:
            continue
        key = f"flow-patch:{inst.id}:{unit.id}"
        if finding.check == "flow-disables-logging" or any(
                v.get("logging_state") == "off" for v in evidence.get("violations", [])):
            patched = enable_disabled_blocks(unit.content)
        else:
            patched = None
        if patched is None:
            patched = enable_logging_at_start(unit.content)
        if patched is None:
            return
        new_doc, diff = patched
        existing = next((c for c in plan.changes if c.key == key), None)
        if existing is not None:
            return
        # The snapshot's copy of the content has phone numbers and e-mail addresses masked, so only the change is
        # proposed: a person applies it to the flow's current content (in the designer, or with these commands).
        if kind == "flow":
            read = _cli("aws", "connect", "describe-contact-flow", "--region", region.region, "--instance-id",
                        inst.id, "--contact-flow-id", unit.id, "--query", "ContactFlow.Content", "--output", "text")
            write = _cli("aws", "connect", "update-contact-flow-content", "--region", region.region,
                         "--instance-id", inst.id, "--contact-flow-id", unit.id, "--content", "file://content.json")
        else:
            read = _cli("aws", "connect", "describe-contact-flow-module", "--region", region.region, "--instance-id",
                        inst.id, "--contact-flow-module-id", unit.id, "--query", "ContactFlowModule.Content",
                        "--output", "text")
            write = _cli("aws", "connect", "update-contact-flow-module-content", "--region", region.region,
                         "--instance-id", inst.id, "--contact-flow-module-id", unit.id, "--content",
                         "file://content.json")
        del new_doc
        plan.add(Change(key=key, check=finding.check, kind="flow-patch", region=region.region, target=unit.arn,
                        automated=False, templated=False,
                        summary=f"{kind} {unit.name}: {finding.message.split(' (path:')[0]} — review the patch",
                        params={"instance_id": inst.id, "flow_id": unit.id, "flow_name": unit.name, "kind": kind,
                                "diff": diff},
                        cli=f"{read} > content.json  # apply the reviewed change, then:  {write}"))
        return
