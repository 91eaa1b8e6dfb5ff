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
from connectguard.flows.language import (
    DISCONNECT,
    END_FLOW,
    INVOKE_MODULE,
    TRANSFER_TO_FLOW,
    Action,
    Transition,
)

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


class Trail:
    """How the exploration reached a node: walked back lazily, so recording a violation costs O(1).

    ``parent`` is the exploration's own map (node -> (previous node, steps in between));
    ``prefix`` is the caller's trail for a node inside a module summary. Only the paths a
    report shows are ever materialised, and :meth:`tail` bounds that work.
    """

    __slots__ = ("node", "parent", "prefix", "source")

    def __init__(self, parent: dict, node: Node, source: Step, prefix: Trail | None = None):
        self.parent = parent
        self.node = node
        self.source = source  # where this scope's exploration started
        self.prefix = prefix

    def with_prefix(self, prefix: Trail) -> Trail:
        inner = self.prefix.with_prefix(prefix) if self.prefix is not None else prefix
        return Trail(self.parent, self.node, self.source, inner)

    @property
    def root(self) -> Step:
        """The entry point the whole path starts from."""
        return self.prefix.root if self.prefix is not None else self.source

    def tail(self, limit: int | None = None) -> tuple[Path, bool]:
        """The last ``limit`` steps (all when None), and whether earlier steps were left out."""
        steps: list[Step] = []
        cur: Node | None = self.node
        while cur is not None:
            steps.append(Step(cur[0], cur[1]))
            prev, via = self.parent[cur]
            steps.extend(reversed(via))
            if limit is not None and len(steps) >= limit and (prev is not None or self.prefix is not None):
                return tuple(reversed(steps[:limit])), True
            cur = prev
        own = tuple(reversed(steps))
        if self.prefix is None:
            return own, False
        rest = None if limit is None else limit - len(own)
        if rest is not None and rest <= 0:
            return own[-limit:], True  # type: ignore[index]
        before, cut = self.prefix.tail(rest)
        return before + own, cut


def _trail_path(trail: Trail, extra: Path = ()) -> Path:
    return trail.tail()[0] + extra


@dataclass(frozen=True)
class Violation:
    unit: str
    action: str
    action_type: str
    reason: str
    state: State
    trail: Trail = field(repr=False, compare=False)

    @property
    def path(self) -> Path:
        """The whole path from the entry point (can be long: reports use :meth:`tail`)."""
        return _trail_path(self.trail)

    def tail(self, limit: int) -> tuple[Path, bool]:
        return self.trail.tail(limit)


@dataclass(frozen=True)
class Unresolved:
    unit: str
    action: str
    reason: str
    state: State
    trail: Trail = field(repr=False, compare=False)

    @property
    def path(self) -> Path:
        return _trail_path(self.trail)

    def tail(self, limit: int) -> tuple[Path, bool]:
        return self.trail.tail(limit)


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
    transfers: list[tuple[str, State, Trail]] = field(default_factory=list)  # target flow, state, trail
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
        origin: dict[Node, Step] = {}  # the source each node was first reached from
        queue: deque[Node] = deque()
        recorded: set[tuple[str, str, str]] = set()

        def trail(node: Node) -> Trail:
            return Trail(parent, node, origin[node])

        def push(node: Node, prev: Node | None, via: Path = (), *, start: Step | None = None) -> None:
            if node not in parent:
                parent[node] = (prev, via)
                origin[node] = start if prev is None else origin[prev]  # type: ignore[assignment]
                queue.append(node)

        def violation(unit_key: str, action: Action, reason: str, state: State, where: Trail) -> None:
            key = (unit_key, action.id, reason)
            if key not in recorded:
                recorded.add(key)
                out.violations.append(Violation(unit_key, action.id, action.type, reason, state, where))

        def unresolved(node: Node, reason: str) -> None:
            out.unresolved.append(Unresolved(node[0], node[1], reason, node[2], trail(node)))

        for unit_key, state in sources:
            unit = self.graph.units.get(unit_key)
            if unit is None or not unit.usable or unit.parsed.start is None:
                continue
            push((unit_key, unit.parsed.start, state), None, start=Step(unit_key, unit.parsed.start))

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
                violation(unit_key, action, reason, state, trail(node))

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
                        out.transfers.append((tunit.key, state, trail(node)))
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
                    here = trail(node)
                    for v in summary_.violations:
                        module_action = self.graph.units[v.unit].action(v.action)
                        assert module_action is not None
                        violation(v.unit, module_action, v.reason, v.state, v.trail.with_prefix(here))
                    for u in summary_.unresolved:
                        out.unresolved.append(Unresolved(u.unit, u.action, u.reason, u.state,
                                                         u.trail.with_prefix(here)))
                    out.reached |= summary_.reached
                    for flow_key, tstate, inner in summary_.transfers:
                        flow = self.graph.units[flow_key]
                        if module is None:
                            via = inner.tail()[0]  # bounded by the module's size
                            push((flow_key, flow.parsed.start, tstate), node, via)  # type: ignore[arg-type]
                        else:
                            assert isinstance(out, _Summary)
                            out.transfers.append((flow_key, tstate, inner.with_prefix(here)))
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
                if state not in out.returns:
                    out.returns[state] = trail(node).tail()[0]  # once per state: bounded by the module's size
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


def render_path(graph: FlowGraph, path: Path, *, elided_after: Step | None = None) -> list[dict[str, object]]:
    """A path as segments per flow/module: ``[{"kind", "name", "id", "actions": [ids]}]``.

    With ``elided_after`` (the entry step of a path whose middle was left out), the first
    segment is that entry and the second is ``{"elided": true}``.
    """
    segments: list[dict[str, object]] = []
    if elided_after is not None:
        segments += render_path(graph, (elided_after,)) + [{"elided": True}]
    for step in path:
        unit = graph.units.get(step.unit)
        last = segments[-1] if segments else None
        if last is not None and last.get("id") == step.unit:
            last["actions"].append(step.action)  # type: ignore[union-attr]
            continue
        segments.append({
            "kind": unit.kind if unit else "flow",
            "name": unit.name if unit else step.unit,
            "id": step.unit,
            "actions": [step.action],
        })
    return segments


def path_text(graph: FlowGraph, path: Path, *, elided_after: Step | None = None) -> str:
    return " -> ".join("..." if seg.get("elided") else
                       f"{seg['name']}[{' > '.join(seg['actions'])}]"  # type: ignore[arg-type]
                       for seg in render_path(graph, path, elided_after=elided_after))


def describe(graph: FlowGraph, finding: Violation | Unresolved, limit: int = 40) -> tuple[list[dict[str, object]], str]:
    """The evidence for one violation: its path (the last ``limit`` steps after the entry) as segments and text."""
    steps, cut = finding.tail(limit)
    root = finding.trail.root if cut else None
    return render_path(graph, steps, elided_after=root), path_text(graph, steps, elided_after=root)
