"""run_entries (one shared exploration, answered per entry point) against a straightforward per-entry reference.

The reference below is written independently of connectguard.flows.analysis: for one entry it walks every
(unit, action, state, module call stack) configuration, inlining module calls instead of summarising them, and
collects the violations and unresolved exits it meets. The graphs are random (seeded), small, and full of
cycles (actions jump backwards, flows transfer to any flow), with modules (which may call lower-numbered
modules), dynamic and missing targets, and unseen or broken flows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import deque

import pytest
from flowkit import OTHER_ARN, SCREEN_ARN, act, content, flow, flow_arn, flow_module, instance, lam, to_flow

from connectguard.audit.registry import CheckContext
from connectguard.config import Config
from connectguard.flows.analysis import describe, run_entries
from connectguard.flows.graph import build_graph
from connectguard.flows.language import DISCONNECT, END_FLOW, INVOKE_MODULE, TRANSFER_TO_FLOW
from connectguard.flows.policies import LOG_UNSET, LoggingAnalysis, ScreeningAnalysis, ScreenState
from connectguard.inventory.model import RegionInventory, Snapshot

SCREENING = ScreeningAnalysis(["*screen*"])
LOGGING = LoggingAnalysis()
ANALYSES = [(SCREENING, ScreenState()), (LOGGING, LOG_UNSET)]


# ---------------------------------------------------------------------------------------------- random graphs

FLOW_KINDS = ["msg", "msg", "log", "lambda", "lambda", "compare", "queue", "queue", "transfer", "transfer", "module",
              "module", "module", "bye", "end", "third-party", "dead-end"]
# Modules change the state on some paths and not others, and return often: callers go on in several states.
MODULE_KINDS = ["log", "log", "lambda", "lambda", "lambda", "compare", "compare", "end", "end", "dead-end", "msg",
                "queue", "transfer", "module", "bye"]


def _random_body(rng: random.Random, flow_ids: list[str], module_ids: list[str], ring_to: str | None = None, *,
                 in_module: bool = False) -> str:
    n = rng.randint(3 if in_module else 1, 7)
    ids = [f"a{i}" for i in range(n)]

    def target() -> str:
        return "missing-action" if rng.random() < 0.03 else rng.choice(ids)

    actions = []
    for ident in ids:
        kind = rng.choice(MODULE_KINDS if in_module else FLOW_KINDS)
        if kind == "msg":
            actions.append(act(ident, "MessageParticipant", target()))
        elif kind == "log":
            actions.append(act(ident, "UpdateFlowLoggingBehavior", target(),
                               params={"FlowLoggingBehavior": rng.choice(["Enabled", "Enabled", "Disabled"])}))
        elif kind == "lambda":
            actions.append(lam(ident, target(), rng.choice([SCREEN_ARN, SCREEN_ARN, OTHER_ARN]), error=target()))
        elif kind == "compare":
            actions.append(act(ident, "Compare", target() if rng.random() < 0.5 else None,
                               params={"ComparisonValue": rng.choice(["$.External.decision", "$.Attributes.x"])},
                               conditions=[("allow", target())], errors=[("NoMatchingCondition", target())]))
        elif kind == "queue":
            actions.append(act(ident, rng.choice(["TransferContactToQueue", "DequeueContactAndTransferToQueue"]),
                               errors=[("QueueAtCapacity", target())]))
        elif kind == "transfer":
            ref = rng.choice([*flow_ids, *(flow_arn(f) for f in flow_ids), "$.Attributes.next", "no-such-flow"])
            actions.append(to_flow(ident, ref, error=target() if rng.random() < 0.5 else None))
        elif kind == "module" and module_ids:
            errors = [("NoMatchingError", target())] if rng.random() < 0.5 else None
            actions.append(act(ident, "InvokeFlowModule", target() if rng.random() < 0.9 else None,
                               params={"FlowModuleId": rng.choice([*module_ids, "no-such-module"])}, errors=errors))
        elif kind in ("bye", "module"):
            actions.append(act(ident, "DisconnectParticipant"))
        elif kind == "end":
            actions.append(act(ident, "EndFlowExecution"))
        elif kind == "third-party":
            actions.append(act(ident, "TransferParticipantToThirdParty", errors=[("NoMatchingError", target())]))
        else:
            actions.append(act(ident, "MessageParticipant"))
    if ring_to is None:
        return content("a0", *actions)
    # On a ring: the flow may go on to the next flow before anything else, so the flows form one big cycle.
    return content("r0", act("r0", "Compare", params={"ComparisonValue": "$.Attributes.x"},
                             conditions=[("here", "a0")], errors=[("NoMatchingCondition", "rt")]),
                   to_flow("rt", ring_to, error="a0"), *actions)


def random_graph(seed: int, n_flows: int = 6, n_modules: int = 3, n_entries: int = 5):
    rng = random.Random(seed)
    flow_ids = [f"f{i}" for i in range(n_flows)]
    module_ids = [f"m{i}" for i in range(n_modules)]
    modules = [flow_module(m, _random_body(rng, flow_ids, module_ids[:j], in_module=True))
               for j, m in enumerate(module_ids)]
    ringed = rng.random() < 0.5
    flows = []
    for i, f in enumerate(flow_ids):
        roll = rng.random()
        ring_to = flow_ids[(i + 1) % n_flows] if ringed else None
        body = None if roll < 0.04 else "{broken" if roll < 0.08 else _random_body(rng, flow_ids, module_ids, ring_to)
        flows.append(flow(f, body))
    entries = [rng.choice([*flow_ids, "not-a-flow"]) for _ in range(n_entries)]
    return build_graph(instance(flows, modules, entries=entries))


# ---------------------------------------------------------------------------------------------- reference

def _target(graph, action):
    """(unit key or None when the analysis cannot follow it)."""
    target = graph.call_target(action)
    if target is None or target.unit_key is None or not graph.units[target.unit_key].usable:
        return None
    return target.unit_key


def _successors_and_findings(graph, analysis, config):
    """One configuration's successors and its own findings ((kind, unit, action, reason or ""))."""
    unit_key, action_id, state, stack = config
    unit = graph.units[unit_key]
    action = unit.action(action_id)
    if action is None:
        return [], [("unresolved", unit_key, action_id, "")]
    in_module = bool(stack)
    findings, successors = [], []
    target = _target(graph, action) if action.type in (TRANSFER_TO_FLOW, INVOKE_MODULE) else None
    if action.type == TRANSFER_TO_FLOW:
        exits = target is None
    elif action.type == END_FLOW:
        exits = not in_module
    elif action.type == DISCONNECT:
        exits = True
    else:
        exits = not action.transitions and action.type != INVOKE_MODULE and not in_module
    reason = analysis.check(unit, action, state, exits=exits)
    if reason:
        findings.append(("violation", unit_key, action_id, reason))

    def follow(transitions, from_state, new_stack):
        for t in transitions:
            successors.append((unit_key, t.target, analysis.step(unit, action, from_state, t), new_stack))

    if action.type == TRANSFER_TO_FLOW:
        if target is None:
            findings.append(("unresolved", unit_key, action_id, ""))
        else:  # the contact leaves every module it was in
            successors.append((target, graph.units[target].parsed.start, state, ()))
        follow(action.transitions, state, stack)
    elif action.type == INVOKE_MODULE:
        if target is None:
            findings.append(("unresolved", unit_key, action_id, ""))
            follow(action.transitions, state, stack)
        else:
            successors.append((target, graph.units[target].parsed.start, state, (*stack, (unit_key, action_id))))
            follow([t for t in action.transitions if t.kind == "error"], state, stack)
    elif in_module and (action.type == END_FLOW or (not action.transitions and action.type != DISCONNECT)):
        caller_unit, caller_action_id = stack[-1]
        caller = graph.units[caller_unit]
        caller_action = caller.action(caller_action_id)
        for t in caller_action.transitions:
            if t.kind != "error":
                successors.append((caller_unit, t.target, analysis.step(caller, caller_action, state, t), stack[:-1]))
    else:
        follow(action.transitions, state, stack)
    return successors, findings


def reference(graph, analysis, unit_key, state):
    """Every finding reachable from one entry: {(kind, unit, action, reason)} (reason "" for unresolved)."""
    start = (unit_key, graph.units[unit_key].parsed.start, state, ())
    seen, queue, found = {start}, deque([start]), set()
    while queue:
        successors, findings = _successors_and_findings(graph, analysis, queue.popleft())
        found.update(findings)
        for nxt in successors:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return found


def assert_real_path(graph, analysis, unit_key, state, path, finding):
    """``path`` is a walk the contact can take from the entry, ending where ``finding`` happens."""
    start = (unit_key, graph.units[unit_key].parsed.start, state, ())
    assert (path[0].unit, path[0].action) == start[:2], path
    configs = {start}
    for step in path[1:]:
        configs = {nxt for c in configs for nxt in _successors_and_findings(graph, analysis, c)[0]
                   if nxt[:2] == (step.unit, step.action)}
        assert configs, f"no way from the previous step to {step} on {path}"
    assert any(finding in _successors_and_findings(graph, analysis, c)[1] for c in configs), (finding, path)


def _keys(result):
    return ({("violation", v.unit, v.action, v.reason) for v in result.violations}
            | {("unresolved", u.unit, u.action, "") for u in result.unresolved})


def _sources(graph, state):
    return sorted({(e.unit_key, state) for e in graph.entry_points if e.unit_key is not None}, key=lambda s: s[0])


def _check_paths(graph, analysis, key, state, result):
    for v in result.violations:
        assert_real_path(graph, analysis, key, state, v.path, ("violation", v.unit, v.action, v.reason))
    for u in result.unresolved:
        assert_real_path(graph, analysis, key, state, u.path, ("unresolved", u.unit, u.action, ""))


# ---------------------------------------------------------------------------------------------- equivalence

@pytest.mark.parametrize("analysis, state", ANALYSES, ids=["screening", "logging"])
def test_shared_run_finds_exactly_what_each_entry_alone_reaches(analysis, state):
    compared = 0
    for seed in range(150):
        graph = random_graph(seed)
        sources = _sources(graph, state)
        runs = run_entries(graph, analysis, sources, keep=10_000)  # nothing left out: the sets must be equal
        for key, _ in sources:
            if not graph.units[key].usable:
                assert runs.result(key, state).violations == []
                continue
            expected = reference(graph, analysis, key, state)
            result = runs.result(key, state)
            assert _keys(result) == expected, f"seed {seed}, entry {key}"
            _check_paths(graph, analysis, key, state, result)
            compared += 1
    assert compared > 300  # most entries are analysable


@pytest.mark.parametrize("analysis, state", ANALYSES, ids=["screening", "logging"])
def test_with_a_small_keep_the_verdicts_stay_exact_and_the_listed_findings_real(analysis, state):
    for seed in range(150, 250):
        graph = random_graph(seed, n_flows=10, n_modules=3, n_entries=8)
        sources = _sources(graph, state)
        runs = run_entries(graph, analysis, sources, keep=1)
        for key, _ in sources:
            if not graph.units[key].usable:
                continue
            expected = reference(graph, analysis, key, state)
            result = runs.result(key, state)
            got = _keys(result)
            assert got <= expected, f"seed {seed}, entry {key}"
            # which reasons are reached, and whether anything is unresolved, is exact
            assert {k[3] for k in got if k[0] == "violation"} == {k[3] for k in expected if k[0] == "violation"}
            assert bool(result.unresolved) == any(k[0] == "unresolved" for k in expected)
            assert len(result.unresolved) <= 1
            _check_paths(graph, analysis, key, state, result)


def test_shortened_paths_are_the_end_of_the_full_path():
    checked = 0
    for seed in range(40):
        graph = random_graph(seed, n_flows=12, n_modules=2, n_entries=6)
        runs = run_entries(graph, LOGGING, _sources(graph, LOG_UNSET))
        for key, _ in _sources(graph, LOG_UNSET):
            for finding in [*runs.result(key, LOG_UNSET).violations, *runs.result(key, LOG_UNSET).unresolved]:
                full = finding.path
                assert full[0] == finding.trail.root
                for limit in (1, 2, 3, 5, 8):
                    steps, cut = finding.tail(limit)
                    assert len(steps) == min(limit, len(full)) and steps == full[len(full) - len(steps):]
                    assert cut == (len(steps) < len(full))
                    segments, _text = describe(graph, finding, limit)
                    assert (segments[1] == {"elided": True}) if cut else {"elided": True} not in segments
                    checked += 1
    assert checked > 200


# ---------------------------------------------------------------------------------------------- cost

def _ring(n_flows: int, n_entries: int):
    """A TransferToFlow ring of ``n_flows`` flows (6 actions each, a shared module) with one unscreened queue
    transfer, and ``n_entries`` phone numbers spread over the ring."""
    mod = flow_module("m", content("l", lam("l", "r", OTHER_ARN), act("r", "EndFlowExecution")))
    flows = []
    for i in range(n_flows):
        nxt = f"f{(i + 1) % n_flows}"
        first = "q" if i == n_flows // 2 else "s"
        flows.append(flow(f"f{i}", content(
            first, act("q", "TransferContactToQueue", errors=[("QueueAtCapacity", "s")]),
            lam("s", "c", SCREEN_ARN, error="c"),
            act("c", "InvokeFlowModule", "d", params={"FlowModuleId": "m"}),
            act("d", "Compare", params={"ComparisonValue": "$.Attributes.x"}, conditions=[("1", "t")],
                errors=[("NoMatchingCondition", "t")]),
            to_flow("t", nxt, error="bye"), act("bye", "DisconnectParticipant"))))
    step = n_flows // n_entries
    inst = instance(flows, [mod], entries=[f"f{k * step}" for k in range(n_entries)])
    return Snapshot(tool_version="t", collected_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), account_id="123456789012",
                    regions=[RegionInventory(region="us-east-1", instances=[inst])])


def _check_cost(snap):
    """Run entry-flow-not-screened and read the work counters of the shared analysis it used."""
    from connectguard.checks.fraud_screening import entry_flow_not_screened, screening_runs
    from connectguard.flows.graph import instance_graph

    ctx = CheckContext(snapshot=snap, config=Config())
    results = list(entry_flow_not_screened(ctx))
    runs = screening_runs(ctx, instance_graph(ctx, snap.regions[0].instances[0]))  # the memoised run
    return results, runs


def test_cost_grows_linearly_with_flows_and_entry_points():
    counts = {}
    for n in (40, 80, 160):
        results, runs = _check_cost(_ring(n, n // 2))
        assert len(results) == n // 2 and any(r.status.value == "FAIL" for r in results)
        assert runs.summarised > 0  # the summaries did work (there is a violation to reach)
        counts[n] = (runs.expanded, runs.summarised)
    for small, big in ((40, 80), (80, 160)):
        assert counts[big][0] <= 2.2 * counts[small][0], counts
        assert counts[big][1] <= 2.2 * counts[small][1], counts


def test_one_exploration_per_entry_would_grow_quadratically():
    # The same counter on the approach the shared run replaces (each entry explored on its own): the test
    # above would catch a return to it.
    per_entry = {}
    for n in (40, 80):
        graph = build_graph(_ring(n, n // 2).regions[0].instances[0])
        per_entry[n] = sum(run_entries(graph, SCREENING, [source]).expanded
                           for source in _sources(graph, ScreenState()))
    assert per_entry[80] >= 3.5 * per_entry[40], per_entry


def test_flow_logging_check_cost_grows_linearly():
    from connectguard.checks.flow_logging_paths import flow_path_without_logging, logging_analysis
    from connectguard.flows.graph import instance_graph

    counts = {}
    for n in (40, 80, 160):
        snap = _ring(n, n // 2)
        ctx = CheckContext(snapshot=snap, config=Config())
        results = list(flow_path_without_logging(ctx))
        assert len(results) == n + 1 and all(r.status.value == "FAIL" for r in results)  # nothing logs
        counts[n] = logging_analysis(ctx, instance_graph(ctx, snap.regions[0].instances[0])).expanded
    assert counts[80] <= 2.2 * counts[40] and counts[160] <= 2.2 * counts[80], counts
