"""Forward data-flow over a :class:`~connectguard.flows.graph.FlowGraph`, with witness paths.

An :class:`Analysis` says how each action changes a small, hashable state (logging
on/off, screened or not) and which (action, state) pairs are violations. :func:`run`
explores (unit, action, state) triples breadth-first from the given sources, so each
triple is visited once (linear in the graph size times the number of states) and the
first path found to a violation is a shortest one.

* ``TransferToFlow`` continues in the target flow with the current state (a contact's
  logging behaviour carries over a transfer).
* ``InvokeFlowModule`` is analysed once per (module, state) as a summary: the states
  the module can return with, the violations inside it, and transfers out of it. The
  caller continues with each returned state, so a module shared by many flows is not
  re-explored and paths do not leak from one call site to another.
* Targets that are dynamic, unknown, or whose content was not seen or could not be
  parsed are *unresolved*: the analysis cannot see past them, and checks report what
  they hid instead of passing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from connectguard.flows.graph import FlowGraph, FlowUnit
from connectguard.flows.language import DISCONNECT, END_FLOW, INVOKE_MODULE, TRANSFER_TO_FLOW, Action, Transition

State = Hashable


@dataclass(frozen=True)
class Step:
    unit: str  # flow or module id
    action: str  # action Identifier


Path = tuple[Step, ...]


class Analysis(Protocol):
    def step(self, unit: FlowUnit, action: Action, state: State, transition: Transition) -> State:
        """The state on ``transition`` out of ``action`` entered with ``state``."""

    def check(self, unit: FlowUnit, action: Action, state: State, *, exits: bool) -> str | None:
        """A violation reason when ``action`` is reached with ``state``; ``exits``: the contact
        leaves the analysable graph here (the flow ends, or transfers somewhere unresolved)."""


@dataclass(frozen=True)
class Violation:
    unit: str
    action: str
    action_type: str
    reason: str
    state: State
    path: Path


@dataclass(frozen=True)
class Unresolved:
    unit: str
    action: str
    reason: str
    state: State
    path: Path


@dataclass
class AnalysisResult:
    violations: list[Violation] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)  # unit keys reached (flows and modules)

    def violations_in(self, unit_key: str) -> list[Violation]:
        return [v for v in self.violations if v.unit == unit_key]


@dataclass
class _Summary:
    returns: dict[State, Path] = field(default_factory=dict)  # state on return -> internal path
    transfers: list[tuple[str, State, Path]] = field(default_factory=list)  # target flow, state, internal path
    violations: list[Violation] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)


Node = tuple[str, str, State]


class _Runner:
    def __init__(self, graph: FlowGraph, analysis: Analysis):
        self.graph = graph
        self.analysis = analysis
        self.summaries: dict[tuple[str, State], _Summary] = {}
        self.in_progress: set[tuple[str, State]] = set()

    # ------------------------------------------------------------------ exploration

    def explore(self, sources: Iterable[tuple[str, State]], *, module: str | None = None,
                summary: _Summary | None = None) -> AnalysisResult | _Summary:
        """BFS over one scope: every flow (module=None), or the inside of one module."""
        out = summary if summary is not None else AnalysisResult()
        parent: dict[Node, tuple[Node | None, Path]] = {}
        queue: deque[Node] = deque()
        recorded: set[tuple[str, str, str]] = set()

        def path_to(node: Node) -> Path:
            steps: list[Step] = []
            cur: Node | None = node
            while cur is not None:
                steps.append(Step(cur[0], cur[1]))
                prev, via = parent[cur]
                steps.extend(reversed(via))
                cur = prev
            return tuple(reversed(steps))

        def push(node: Node, prev: Node | None, via: Path = ()) -> None:
            if node not in parent:
                parent[node] = (prev, via)
                queue.append(node)

        def violation(node: Node, action: Action, reason: str, prefix: Path = (), path: Path | None = None) -> None:
            key = (node[0], action.id, reason) if path is None else (path[-1].unit, path[-1].action, reason)
            if key in recorded:
                return
            recorded.add(key)
            full = path if path is not None else path_to(node)
            out.violations.append(Violation(full[-1].unit, full[-1].action, action.type, reason, node[2], full))

        def unresolved(node: Node, reason: str, extra: Path = ()) -> None:
            out.unresolved.append(Unresolved(node[0], node[1], reason, node[2], path_to(node) + extra))

        for unit_key, state in sources:
            unit = self.graph.units.get(unit_key)
            if unit is None or not unit.usable or unit.parsed.start is None:
                continue
            push((unit_key, unit.parsed.start, state), None)

        while queue:
            node = queue.popleft()
            unit_key, action_id, state = node
            unit = self.graph.units[unit_key]
            out.reached.add(unit_key)
            action = unit.action(action_id)
            if action is None:  # a transition to a missing action: the flow stops here
                unresolved(node, f"transition to unknown action {action_id!r} in {unit.label}")
                continue
            target = self.graph.call_target(action)
            exits = False
            if action.type == TRANSFER_TO_FLOW:
                exits = target is None or target.unit_key is None or not self.graph.units[target.unit_key].usable
            elif action.type == END_FLOW:
                exits = module is None
            elif action.type == DISCONNECT:
                exits = True
            elif not action.transitions and action.type != INVOKE_MODULE:
                exits = module is None  # a dead end ends the contact in a flow; returns from a module
            reason = self.analysis.check(unit, action, state, exits=exits)
            if reason:
                violation(node, action, reason)

            if action.type == TRANSFER_TO_FLOW and target is not None:
                if target.unit_key is None:
                    unresolved(node, target.reason)
                else:
                    tunit = self.graph.units[target.unit_key]
                    if not tunit.usable:
                        unresolved(node, _unusable_reason(tunit))
                    elif module is None:
                        push((tunit.key, tunit.parsed.start, state), node)  # type: ignore[arg-type]
                    else:
                        assert isinstance(out, _Summary)
                        out.transfers.append((tunit.key, state, path_to(node)))
                for t in action.transitions:  # error branches of the transfer
                    push((unit_key, t.target, self.analysis.step(unit, action, state, t)), node)
                continue

            if action.type == INVOKE_MODULE and target is not None:
                returns: dict[State, Path]
                if target.unit_key is None or not self.graph.units[target.unit_key].usable:
                    why = target.reason if target.unit_key is None else _unusable_reason(
                        self.graph.units[target.unit_key])
                    unresolved(node, why)
                    returns = {state: ()}  # cannot see inside: continue as if it changed nothing
                else:
                    summary_ = self.summary(target.unit_key, state)
                    prefix = path_to(node)
                    for v in summary_.violations:
                        violation(node, action, v.reason, path=prefix + v.path)
                    for u in summary_.unresolved:
                        out.unresolved.append(Unresolved(u.unit, u.action, u.reason, u.state, prefix + u.path))
                    out.reached |= summary_.reached
                    for flow_key, tstate, via in summary_.transfers:
                        flow = self.graph.units[flow_key]
                        if module is None:
                            push((flow_key, flow.parsed.start, tstate), node, via)  # type: ignore[arg-type]
                        else:
                            assert isinstance(out, _Summary)
                            out.transfers.append((flow_key, tstate, prefix + via))
                    returns = summary_.returns
                for t in action.transitions:
                    if t.kind == "error":
                        push((unit_key, t.target, self.analysis.step(unit, action, state, t)), node)
                    else:
                        for rstate, via in returns.items():
                            push((unit_key, t.target, self.analysis.step(unit, action, rstate, t)), node, via)
                continue

            if module is not None and (action.type == END_FLOW or
                                       (not action.transitions and action.type != DISCONNECT)):
                assert isinstance(out, _Summary)
                out.returns.setdefault(state, path_to(node))
                continue
            for t in action.transitions:
                push((unit_key, t.target, self.analysis.step(unit, action, state, t)), node)
        return out

    def summary(self, module_key: str, state: State) -> _Summary:
        key = (module_key, state)
        if key in self.summaries:
            return self.summaries[key]
        if key in self.in_progress:  # a module that (indirectly) invokes itself: assume it returns unchanged
            return _Summary(returns={state: ()})
        self.in_progress.add(key)
        result = _Summary()
        self.explore([(module_key, state)], module=module_key, summary=result)
        self.in_progress.discard(key)
        self.summaries[key] = result
        return result


def _unusable_reason(unit: FlowUnit) -> str:
    if not unit.content_seen:
        return f"the content of {unit.kind} {unit.label} was not seen"
    return f"the content of {unit.kind} {unit.label} cannot be parsed: {'; '.join(unit.parsed.problems[:2])}"


def run(graph: FlowGraph, analysis: Analysis, sources: Iterable[tuple[str, State]]) -> AnalysisResult:
    """Explore from ``sources`` ((unit key, initial state) pairs) and collect violations."""
    result = _Runner(graph, analysis).explore(list(sources))
    assert isinstance(result, AnalysisResult)
    return result


def render_path(graph: FlowGraph, path: Path) -> list[dict[str, object]]:
    """A path as segments per flow/module: ``[{"flow": name, "id": ..., "actions": [ids]}]``."""
    segments: list[dict[str, object]] = []
    for step in path:
        unit = graph.units.get(step.unit)
        if segments and segments[-1]["id"] == step.unit:
            segments[-1]["actions"].append(step.action)  # type: ignore[union-attr]
            continue
        segments.append({
            "kind": unit.kind if unit else "flow",
            "name": unit.name if unit else step.unit,
            "id": step.unit,
            "actions": [step.action],
        })
    return segments


def path_text(graph: FlowGraph, path: Path) -> str:
    return " -> ".join(f"{seg['name']}[{' > '.join(seg['actions'])}]"  # type: ignore[arg-type]
                       for seg in render_path(graph, path))
