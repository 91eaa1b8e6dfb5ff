"""[flow-logging] Paths through the flows on which nothing is logged.

The CONTACTFLOW_LOGS attribute (checked by flow-logs-disabled, and by Security Hub
Connect.2) only creates the log group: a flow writes to it only after a Set logging
behavior block has turned logging on for the contact. These checks follow every path
from every entry point across TransferToFlow and InvokeFlowModule, carrying the logging
state, and report the path on which a Lambda call, a transfer or the end of the
contact happens with logging off.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label, instance_unknown
from connectguard.conventions import Practice, Severity, Status
from connectguard.flows.analysis import AnalysisResult, describe, run
from connectguard.flows.graph import FlowGraph, FlowUnit, instance_graph
from connectguard.flows.patch import enable_disabled_blocks, enable_logging_at_start
from connectguard.flows.policies import LOG_OFF, LOG_UNSET, LoggingAnalysis, logging_value
from connectguard.inventory.model import Instance, RegionInventory

MAX_PATHS = 10


def logging_analysis(ctx: CheckContext, graph: FlowGraph) -> AnalysisResult:
    """One run from every entry point at once (each (action, state) is visited once)."""
    sources = sorted({(e.unit_key, LOG_UNSET) for e in graph.entry_points if e.unit_key is not None})
    return ctx.memo(f"flow-logging:{graph.instance_arn}", lambda: run(graph, LoggingAnalysis(), sources))


def _content(ctx: CheckContext, instance: Instance, unit: FlowUnit) -> str | None:
    # Indexed once per instance: a scan per failing flow would be quadratic in the number of flows.
    def index() -> dict[tuple[str, str], str | None]:
        out = {("flow", f.id): f.content for f in instance.flows or []}
        out.update({("module", m.id): m.content for m in instance.flow_modules or []})
        return out
    return ctx.memo(f"flow-contents:{instance.arn}", index).get((unit.kind, unit.key))


def _graph_or_unknown(ctx: CheckContext, region: RegionInventory, instance: Instance) -> FlowGraph | Result:
    if instance.flows is None:
        return instance_unknown(ctx, region, instance, "instance.flows", "the instance's flows")
    return instance_graph(ctx, instance)


@check(
    id="flow-path-without-logging",
    title="A flow invokes a Lambda, transfers or ends the contact with flow logging off",
    practice=Practice.FLOW_LOGGING,
    severity=Severity.MEDIUM,
    rationale="""Turning on flow logs for the instance (all that Security Hub control Connect.2 checks) only creates
    the CloudWatch log group: a flow writes to it only after a Set logging behavior block has enabled logging for
    the contact. An instance can therefore pass Connect.2 and log nothing, so failed Lambda calls, abuse of the IVR
    and mis-routed calls leave no trace and no alarm can fire.""",
    remediation="""Add a Set logging behavior block (Enabled) as the first block of every entry flow (or before the
    first Lambda call, transfer or disconnect on every path), and publish the flow. The finding carries the exact
    flow-content change as a diff to review (`connectguard fix` writes it to a file); it is never applied
    automatically.""",
    detects="""Follows every path from each entry point (phone-number flows from ListFlowAssociations, plus the
    chat/task/email flows in `[audit] entry_flows`) across Transfer to flow and Invoke module blocks, carrying the
    logging state. One result per flow or module reached: FAIL with the path (flow names and action ids) on which
    logging is off, UNKNOWN when a path leaves for a flow the audit cannot see (dynamic target, content not seen or
    not parseable), PASS otherwise.""",
    before="""{"StartAction": "greet", "Actions": [
  {"Identifier": "greet", "Type": "MessageParticipant", "Transitions": {"NextAction": "lookup"}},
  {"Identifier": "lookup", "Type": "InvokeLambdaFunction", ...}]}""",
    after="""{"StartAction": "log-on", "Actions": [
  {"Identifier": "log-on", "Type": "UpdateFlowLoggingBehavior",
   "Parameters": {"FlowLoggingBehavior": "Enabled"}, "Transitions": {"NextAction": "greet"}},
  {"Identifier": "greet", ...}, {"Identifier": "lookup", ...}]}""",
)
def flow_path_without_logging(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        graph = _graph_or_unknown(ctx, region, instance)
        if isinstance(graph, Result):
            yield graph
            continue
        yield from _evaluate_logging(ctx, region, instance, graph)


def _entry_unknowns(ctx: CheckContext, region: RegionInventory, instance: Instance,
                    graph: FlowGraph) -> Iterator[Result]:
    if not graph.associations_seen:
        yield instance_unknown(ctx, region, instance, "instance.flow_associations",
                               "which flow each phone number starts (voice entry points)",
                               resource=f"{instance.arn}/flow-associations")
    reported: set[str] = set()
    for entry in graph.entry_points:
        if entry.unit_key is None:
            if entry.ref in reported:
                continue
            reported.add(entry.ref)
            yield Result(entry.ref, Status.UNKNOWN,
                         f"entry flow {entry.ref} ({entry.channel.lower()}, from {entry.source_label}) is not among "
                         f"the flows of {instance_label(instance)}",
                         evidence={"entry": entry.ref, "channel": entry.channel}, region=region.region)
        else:
            unit = graph.unit(entry.unit_key)
            if not unit.usable and unit.key not in reported:
                reported.add(unit.key)
                errors = ctx.snapshot.errors_for("flow.content", region=region.region, instance_id=instance.id,
                                                 resource=unit.arn) if not unit.content_seen else []
                what = "content was not seen" if not unit.content_seen else \
                    f"content cannot be parsed ({'; '.join(unit.parsed.problems[:2])})"
                yield Result(unit.arn, Status.UNKNOWN, f"entry flow {unit.label}: {what}",
                             evidence={"problems": unit.parsed.problems,
                                       "collection_errors": [e.model_dump(exclude_none=True) for e in errors]},
                             region=region.region)


def _evaluate_logging(ctx: CheckContext, region: RegionInventory, instance: Instance,
                      graph: FlowGraph) -> Iterator[Result]:
    yield from _entry_unknowns(ctx, region, instance, graph)
    if not graph.entry_points:
        if graph.associations_seen:
            yield Result(instance.arn, Status.MANUAL,
                         f"{instance_label(instance)} has no phone number associated with a flow and no entry flows "
                         "configured: name chat, task and email entry flows in [audit] entry_flows",
                         region=region.region,
                         remediation=f'connectguard.toml: [audit.entry_flows] "{instance.id}" = ["<flow id>"]')
        return
    result = logging_analysis(ctx, graph)
    attribute = instance.attribute("CONTACTFLOW_LOGS")
    violations_of: dict[str, list] = {}
    for v in result.violations:
        violations_of.setdefault(v.unit, []).append(v)
    unresolved_of: dict[str, list] = {}
    for u in result.unresolved:
        unresolved_of.setdefault(u.unit, []).append(u)
    for key in sorted(result.reached, key=lambda k: (graph.unit(k).kind, graph.unit(k).name, k)):
        unit = graph.unit(key)
        violations = violations_of.get(key, [])
        unresolved = unresolved_of.get(key, [])
        base = {"flow": unit.name, "flow_id": unit.key, "kind": unit.kind, "flow_type": unit.flow_type,
                "instance_attribute_CONTACTFLOW_LOGS": attribute}
        if violations:
            paths = []
            for v in violations[:MAX_PATHS]:
                segments, text = describe(graph, v)
                paths.append({"action": v.action, "action_type": v.action_type, "reason": v.reason,
                              "logging_state": v.state, "path": segments, "path_text": text})
            first = violations[0]
            remediation = _proposed_fix(_content(ctx, instance, unit), unit, violations)
            yield Result(unit.arn, Status.FAIL,
                         f"{unit.kind} {unit.label} {first.reason} at action {first.action} "
                         f"(path: {paths[0]['path_text']})"
                         + (f"; {len(violations) - 1} more" if len(violations) > 1 else ""),
                         evidence={**base, "violations": paths, "violation_count": len(violations)},
                         region=region.region, remediation=remediation)
        elif unresolved:
            yield Result(unit.arn, Status.UNKNOWN,
                         f"{unit.kind} {unit.label} logs on every path the audit can follow, but "
                         f"{unresolved[0].reason}",
                         evidence={**base, "unresolved": [{"action": u.action, "reason": u.reason,
                                                           "path_text": describe(graph, u)[1]}
                                                          for u in unresolved[:MAX_PATHS]]},
                         region=region.region)
        else:
            yield Result(unit.arn, Status.PASS,
                         f"{unit.kind} {unit.label} has logging on before every Lambda call, transfer and end",
                         evidence=base, region=region.region)


def _proposed_fix(content: str | None, unit: FlowUnit, violations) -> str:
    if content is None:
        return ""
    off = [v for v in violations if v.state == LOG_OFF]
    parts = []
    if off:
        disabled = [a.id for a in unit.parsed.actions.values() if logging_value(a) == "Disabled"]
        patched = enable_disabled_blocks(content, disabled) if disabled else None
        if patched:
            parts.append("Change the Set logging behavior block(s) that disable logging in this flow to Enabled "
                         "(review, then update the flow content and publish):\n" + patched[1])
        else:
            parts.append("Logging is turned off upstream of this flow (see the path): change that block to Enabled.")
    if len(off) < len(violations):
        patched = enable_logging_at_start(content)
        if patched:
            parts.append("Add a Set logging behavior (Enabled) block as the first block of this "
                         f"{unit.kind} (review, then update the content and publish):\n" + patched[1])
    return "\n\n".join(parts)


@check(
    id="flow-disables-logging",
    title="A flow turns flow logging off",
    practice=Practice.FLOW_LOGGING,
    severity=Severity.MEDIUM,
    rationale="""A Set logging behavior block set to Disabled stops logging for the rest of the contact, including
    the flows it is transferred to: whatever happens after it (Lambda failures, transfers, abuse) is invisible.
    Turning logging off to save cost or hide sensitive prompts is better done by not logging those values.""",
    remediation="""Set the block's FlowLoggingBehavior to Enabled (or remove it), and keep sensitive values out of
    the logs by not setting them as contact attributes before the block.""",
    detects="""One FAIL per published flow or module that contains a Set logging behavior block with
    FlowLoggingBehavior Disabled, whether or not it is reachable from an entry point; the evidence names the
    blocks.""",
    before="""{"Identifier": "quiet", "Type": "UpdateFlowLoggingBehavior",
 "Parameters": {"FlowLoggingBehavior": "Disabled"}, "Transitions": {"NextAction": "lookup"}}""",
    after="""{"Identifier": "quiet", "Type": "UpdateFlowLoggingBehavior",
 "Parameters": {"FlowLoggingBehavior": "Enabled"}, "Transitions": {"NextAction": "lookup"}}""",
)
def flow_disables_logging(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        graph = _graph_or_unknown(ctx, region, instance)
        if isinstance(graph, Result):
            yield graph
            continue
        for unit in sorted(graph.units.values(), key=lambda u: (u.kind, u.name, u.key)):
            if not unit.published or not unit.usable:
                continue
            disabled = [a.id for a in unit.parsed.actions.values() if logging_value(a) == "Disabled"]
            evidence = {"flow": unit.name, "flow_id": unit.key, "kind": unit.kind, "disabling_actions": disabled}
            if disabled:
                content = _content(ctx, instance, unit)
                patched = enable_disabled_blocks(content, disabled) if content else None
                yield Result(unit.arn, Status.FAIL,
                             f"{unit.kind} {unit.label} turns logging off at {', '.join(disabled)}",
                             evidence=evidence, region=region.region,
                             remediation=("Review and apply this flow-content change, then publish:\n" + patched[1])
                             if patched else None)
            elif any(logging_value(a) == "Enabled" for a in unit.parsed.actions.values()):
                yield Result(unit.arn, Status.PASS, f"{unit.kind} {unit.label} never turns logging off",
                             evidence=evidence, region=region.region)


@check(
    id="flow-content-malformed",
    title="A published flow's content cannot be parsed",
    practice=Practice.FLOW_LOGGING,
    severity=Severity.LOW,
    rationale="""Content that is not valid flow language (not JSON, no Actions list, a StartAction that names no
    action) cannot be analysed: no logging, screening or routing property can be verified for the contacts that
    reach it, and Connect may reject or mis-run it.""",
    remediation="""Open the flow in the flow designer, fix or re-import it, and publish; or export it with
    `aws connect describe-contact-flow` and validate the JSON.""",
    detects="""FAIL per published flow or module whose content is malformed (with the parser's reasons); UNKNOWN
    when the content was not collected.""",
    before='''"Content": "{\\"Version\\": \\"2019-10-30\\", \\"Actions\\": "''',
    after='''"Content": "{\\"Version\\": \\"2019-10-30\\", \\"StartAction\\": \\"a\\", \\"Actions\\": [...]}"''',
)
def flow_content_malformed(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        graph = _graph_or_unknown(ctx, region, instance)
        if isinstance(graph, Result):
            yield graph
            continue
        for unit in sorted(graph.units.values(), key=lambda u: (u.kind, u.name, u.key)):
            if not unit.published:
                continue
            if not unit.content_seen:
                hides = "flow.content" if unit.kind == "flow" else "flow_module.content"
                errors = ctx.snapshot.errors_for(hides, region=region.region, instance_id=instance.id)
                errors = [e for e in errors if e.resource in (None, unit.arn, unit.key)]
                yield ctx.unknown(unit.arn, f"the content of {unit.kind} {unit.label}", errors, region=region.region)
            elif unit.parsed.malformed:
                yield Result(unit.arn, Status.FAIL, f"{unit.kind} {unit.label} cannot be parsed: "
                             f"{'; '.join(unit.parsed.problems[:3])}",
                             evidence={"flow": unit.name, "flow_id": unit.key, "problems": unit.parsed.problems},
                             region=region.region)
            else:
                yield Result(unit.arn, Status.PASS, f"{unit.kind} {unit.label} parses",
                             evidence={"warnings": unit.parsed.problems} if unit.parsed.problems else {},
                             region=region.region)
