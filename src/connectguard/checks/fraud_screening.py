"""[fraud-screening] Inbound calls reach a queue without being screened.

Screening (the seed practice: check incoming contacts against a deny list and prior
activity before taking action) only works if every voice entry flow calls the
screening Lambda before the first transfer to a queue, branches on its decision, is
allowed to call it (the function is associated with the instance), and nobody else
can (its resource policy for connect.amazonaws.com is scoped by SourceArn or
SourceAccount). The flow graph is the one the flow-logging checks use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label, instance_unknown
from connectguard.conventions import Practice, Severity, Status
from connectguard.flows.analysis import EntryRuns, Violation, describe, run, run_entries
from connectguard.flows.graph import FlowGraph, instance_graph
from connectguard.flows.policies import FAIL_OPEN_REASON, ScreeningAnalysis, ScreenState, lambda_name
from connectguard.inventory.model import LambdaFunction, RegionInventory

MAX_PATHS = 10


UNSCREENED_ON_ERROR_NOTE = ("on a screening error (timeout, throttling, missing permission) the contact continues "
                            "unscreened to normal handling, by design: a fault in screening never drops a caller")


def _analysis(ctx: CheckContext) -> ScreeningAnalysis:
    audit = ctx.config.audit
    return ScreeningAnalysis(audit.screening_lambda_patterns, audit.screening_decision_keys)


def screening_lambdas(ctx: CheckContext, graph: FlowGraph) -> dict[str, list[str]]:
    """Screening Lambda ARNs invoked in flows reachable from voice entry points -> the flows that invoke them."""
    return ctx.memo(f"screening-lambdas:{graph.instance_arn}", lambda: _screening_lambdas(ctx, graph))


def _screening_lambdas(ctx: CheckContext, graph: FlowGraph) -> dict[str, list[str]]:
    analysis = _analysis(ctx)
    sources = sorted({(e.unit_key, ScreenState()) for e in graph.entry_points
                      if e.unit_key is not None and e.channel == "VOICE"}, key=lambda s: s[0])
    reached = run(graph, analysis, sources).reached if sources else set()
    out: dict[str, list[str]] = {}
    for key in sorted(reached):
        unit = graph.unit(key)
        for action in unit.parsed.actions.values():
            if analysis.is_screening_lambda(action):
                out.setdefault(action.param("LambdaFunctionARN"), []).append(unit.label)
    return out


def screening_runs(ctx: CheckContext, graph: FlowGraph) -> EntryRuns:
    """Every entry flow analysed in one shared exploration (linear in the graph, however many entry flows)."""
    def compute() -> EntryRuns:
        sources = sorted({(e.unit_key, ScreenState()) for e in graph.entry_points if e.unit_key is not None},
                         key=lambda s: s[0])
        # keep: MAX_PATHS paths per reason are enough for the evidence, and which reasons are reached stays exact.
        return run_entries(graph, _analysis(ctx), sources, keep=MAX_PATHS)
    return ctx.memo(f"screening-entries:{graph.instance_arn}", compute)


def _paths(graph: FlowGraph, findings: list[Violation]) -> list[dict[str, Any]]:
    out = []
    for v in findings[:MAX_PATHS]:
        segments, text = describe(graph, v)
        out.append({"action": v.action, "flow_id": v.unit, "reason": v.reason, "path": segments, "path_text": text})
    return out


@check(
    id="entry-flow-not-screened",
    title="An inbound flow transfers callers to a queue without a screening decision",
    practice=Practice.FRAUD_SCREENING,
    severity=Severity.HIGH,
    rationale="""Toll fraud, robocall floods and known abusive callers reach agents unless the entry flow checks the
    caller first (deny list, recent-call velocity) and acts on the answer. A screen that some path skips, or whose
    decision the flow never branches on, protects nothing on that path. The screening Lambda's error branch is
    different: a fault in screening must never drop a legitimate caller, so sending it on to normal handling is the
    intended design.""",
    remediation="""In every voice entry flow, invoke the screening Lambda before the first Transfer to queue (build
    and deploy it with `connectguard fraud package`, then `connectguard fraud template`; see docs/fraud.md), add a
    Check contact attributes block on $.External.decision with branches for block and review, and send the
    Lambda's error branch on to normal handling so a screening fault never drops a caller.""",
    detects="""One result per entry flow. Voice entry flows (from phone numbers) FAIL when some path reaches a
    Transfer to queue before a screening Lambda (matched by `[audit] screening_lambda_patterns`) returned and the
    flow branched on its decision; the evidence is that path. A path that reaches the queue only through the
    Lambda's error branch is by design (a screening fault must not drop callers): it does not fail the flow, and
    the evidence notes it. Chat/task/email entry flows from `[audit] entry_flows` are evaluated the same way and
    reported at info. UNKNOWN when a path leaves for a flow the audit cannot see. All entry flows are analysed in
    one pass over the flow graph.""",
    before="""greet -> TransferContactToQueue""",
    after="""greet -> InvokeLambdaFunction(connectguard-screen) -> Compare($.External.decision:
  allow -> TransferContactToQueue; block -> DisconnectParticipant; review -> review queue)
  error branch -> TransferContactToQueue (continues unscreened: a fault never drops a caller)""",
)
def entry_flow_not_screened(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if instance.flows is None:
            yield instance_unknown(ctx, region, instance, "instance.flows", "the instance's flows")
            continue
        graph = instance_graph(ctx, instance)
        if not graph.associations_seen:
            yield instance_unknown(ctx, region, instance, "instance.flow_associations",
                                   "which flow each phone number starts", resource=f"{instance.arn}/flow-associations")
        sources_of: dict[str, list[str]] = {}
        for entry in graph.entry_points:
            if entry.unit_key is not None:
                sources_of.setdefault(entry.unit_key, []).append(entry.source_label)
        runs: EntryRuns | None = None
        done: set[str] = set()
        for entry in graph.entry_points:
            key = entry.unit_key
            severity = None if entry.channel == "VOICE" else Severity.INFO
            if key is None:
                if entry.ref not in done:
                    done.add(entry.ref)
                    yield Result(entry.ref, Status.UNKNOWN, f"entry flow {entry.ref} is not among the flows of "
                                 f"{instance_label(instance)}", region=region.region, severity=severity)
                continue
            if key in done:
                continue
            done.add(key)
            unit = graph.unit(key)
            channel = "voice" if entry.channel == "VOICE" else "chat/task/email"
            base: dict[str, Any] = {"flow": unit.name, "flow_id": unit.key, "channel": channel,
                                    "entered_from": sources_of[key][:10]}
            if not unit.usable:
                yield Result(unit.arn, Status.UNKNOWN, f"entry flow {unit.label}: content not seen or not parseable",
                             evidence={**base, "problems": unit.parsed.problems}, region=region.region,
                             severity=severity)
                continue
            if runs is None:
                runs = screening_runs(ctx, graph)
            result = runs.result(key, ScreenState())
            violations = [v for v in result.violations if v.reason != FAIL_OPEN_REASON]
            on_error = [v for v in result.violations if v.reason == FAIL_OPEN_REASON]
            if on_error:
                base["note"] = UNSCREENED_ON_ERROR_NOTE
                base["unscreened_on_error"] = _paths(graph, on_error)
            if violations:
                paths = _paths(graph, violations)
                yield Result(
                    unit.arn, Status.FAIL,
                    f"{channel} entry flow {unit.label}: {violations[0].reason} (path: {paths[0]['path_text']})",
                    evidence={**base, "violations": paths}, region=region.region, severity=severity)
            elif result.unresolved:
                yield Result(unit.arn, Status.UNKNOWN,
                             f"{channel} entry flow {unit.label} screens on every path the audit can follow, but "
                             f"{result.unresolved[0].reason}",
                             evidence={**base, "unresolved": [u.reason for u in result.unresolved[:MAX_PATHS]]},
                             region=region.region, severity=severity)
            else:
                yield Result(unit.arn, Status.PASS,
                             f"{channel} entry flow {unit.label} screens callers and branches on the decision before "
                             "every queue transfer" + ("; on a screening error the contact continues unscreened, by "
                                                       "design" if on_error else ""),
                             evidence=base, region=region.region)


def _find_function(region: RegionInventory, arn: str) -> LambdaFunction | None:
    name = lambda_name(arn)
    for fn in region.lambda_functions:
        if fn.arn == arn or fn.name == name or lambda_name(fn.arn) == name:
            return fn
    return None


def _unqualified(arn: str) -> str:
    parts = arn.split(":")
    return ":".join(parts[:7]) if len(parts) > 7 and parts[5] == "function" else arn


@check(
    id="screening-lambda-not-associated",
    title="A flow calls a screening Lambda the instance is not allowed to invoke",
    practice=Practice.FRAUD_SCREENING,
    severity=Severity.HIGH,
    rationale="""A Lambda function must be associated with the instance (ListLambdaFunctions) for flows to call it;
    otherwise every call takes the error branch and screening silently never happens.""",
    remediation="""`aws connect associate-lambda-function --instance-id ID --function-arn ARN` (and give the
    function a resource policy for connect.amazonaws.com scoped to the instance ARN).""",
    before="""aws connect list-lambda-functions --instance-id ID
{"LambdaFunctions": []}""",
    after="""aws connect associate-lambda-function --instance-id ID \\
  --function-arn arn:aws:lambda:us-east-1:111122223333:function:connectguard-screen""",
)
def screening_lambda_not_associated(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if instance.flows is None:
            continue  # entry-flow-not-screened reports the unseen flows
        used = screening_lambdas(ctx, instance_graph(ctx, instance))
        if not used:
            continue
        if instance.lambda_functions is None:
            for arn in sorted(used):
                yield instance_unknown(ctx, region, instance, "instance.lambda_functions",
                                       "the instance's associated Lambda functions", resource=arn)
            continue
        associated = {_unqualified(a) for a in instance.lambda_functions}
        for arn, flows in sorted(used.items()):
            evidence = {"function": arn, "invoked_by": flows, "instance": instance_label(instance)}
            if _unqualified(arn) in associated:
                yield Result(arn, Status.PASS, f"screening Lambda {lambda_name(arn)} is associated with "
                             f"{instance_label(instance)}", evidence=evidence, region=region.region)
            else:
                yield Result(arn, Status.FAIL, f"screening Lambda {lambda_name(arn)} is invoked by "
                             f"{', '.join(flows[:3])} but not associated with {instance_label(instance)}",
                             evidence=evidence, region=region.region)


def unscoped_connect_statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """Allow statements for connect.amazonaws.com without an aws:SourceArn / aws:SourceAccount condition."""
    out = []
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        services: list[str] = []
        if isinstance(principal, dict):
            svc = principal.get("Service", [])
            services = [svc] if isinstance(svc, str) else list(svc)
        if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*"):
            out.append(st)
            continue
        if "connect.amazonaws.com" not in services:
            continue
        keys = {k.lower() for cond in (st.get("Condition") or {}).values() if isinstance(cond, dict) for k in cond}
        if not keys & {"aws:sourcearn", "aws:sourceaccount"}:
            out.append(st)
    return out


@check(
    id="screening-lambda-policy-unscoped",
    title="The screening Lambda can be invoked by any Connect instance in any account",
    practice=Practice.FRAUD_SCREENING,
    severity=Severity.HIGH,
    rationale="""A resource policy that lets connect.amazonaws.com invoke the function without an aws:SourceArn
    (or aws:SourceAccount) condition lets any Connect instance, in any account, call it: a confused deputy that can
    probe the deny list or run up cost. The function then also sees other people's callers' numbers.""",
    remediation="""Remove the statement and add one scoped to the instance: `aws lambda add-permission
    --function-name F --statement-id connect-ID --action lambda:InvokeFunction --principal connect.amazonaws.com
    --source-arn arn:aws:connect:REGION:ACCOUNT:instance/ID --source-account ACCOUNT`.""",
    detects="""One result per screening Lambda invoked from a voice entry path: FAIL when a statement for
    connect.amazonaws.com (or a public principal) has no SourceArn/SourceAccount condition, or when the function
    has no resource policy (Connect cannot call it, so screening never runs); UNKNOWN when the function or its
    policy was not seen.""",
    before="""{"Effect": "Allow", "Principal": {"Service": "connect.amazonaws.com"}, "Action": "lambda:InvokeFunction",
 "Resource": "arn:aws:lambda:...:function:connectguard-screen"}""",
    after="""{"Effect": "Allow", "Principal": {"Service": "connect.amazonaws.com"}, "Action": "lambda:InvokeFunction",
 "Resource": "...", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:connect:...:instance/ID"},
 "StringEquals": {"aws:SourceAccount": "111122223333"}}}""",
)
def screening_lambda_policy_unscoped(ctx: CheckContext) -> Iterator[Result]:
    seen: set[str] = set()
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if instance.flows is None:
            continue
        for arn in sorted(screening_lambdas(ctx, instance_graph(ctx, instance))):
            if _unqualified(arn) in seen:
                continue
            seen.add(_unqualified(arn))
            fn = _find_function(region, arn)
            errors = [e for e in ctx.snapshot.errors_for("lambda_function", region=region.region)
                      if e.resource in (None, arn, _unqualified(arn), lambda_name(arn))]
            if fn is None:
                yield ctx.unknown(arn, f"Lambda function {lambda_name(arn)}", errors, region=region.region)
                continue
            if fn.resource_policy is None:
                if errors or not fn.configuration_seen:
                    yield ctx.unknown(arn, f"the resource policy of {fn.name}", errors, region=region.region)
                else:
                    yield Result(arn, Status.FAIL, f"screening Lambda {fn.name} has no resource policy: Connect "
                                 "cannot invoke it, so calls take the error branch unscreened",
                                 evidence={"function": arn}, region=region.region, severity=Severity.MEDIUM)
                continue
            bad = unscoped_connect_statements(fn.resource_policy)
            if bad:
                yield Result(arn, Status.FAIL, f"screening Lambda {fn.name} lets connect.amazonaws.com invoke it "
                             "without a SourceArn/SourceAccount condition",
                             evidence={"function": arn, "statements": bad}, region=region.region)
            else:
                yield Result(arn, Status.PASS, f"screening Lambda {fn.name}'s policy is scoped to a source",
                             evidence={"function": arn}, region=region.region)
