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

:func:`run` answers for all sources together (what the flow-logging checks need, per flow
reached). :func:`run_entries` answers per source from one shared exploration: it keeps the
node graph, summarises what each node reaches (strongly connected components first, from
the sinks), and reads each source's findings and paths off those summaries, so many entry
flows into one big graph cost one pass, not one pass each.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

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
    expanded: int = 0  # nodes the exploration expanded, in every scope (a work counter for cost tests)

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

_VIOLATION = "violation"
_UNRESOLVED = "unresolved"


class _Item:
    """A finding local to one node of the top-level graph (for a module summary node: inside the module)."""

    __slots__ = ("_inner_path", "action", "action_type", "grade", "inner", "key", "kind", "reason", "state", "unit")

    def __init__(self, kind: str, unit: str, action: str, action_type: str, reason: str, state: State,
                 inner: Trail | None = None):
        self.kind, self.unit, self.action, self.action_type = kind, unit, action, action_type
        self.reason, self.state, self.inner = reason, state, inner
        self.key = (kind, unit, action, reason)
        # Findings are kept per grade: unresolved ones together, violations per reason.
        self.grade = (kind,) if kind == _UNRESOLVED else (kind, reason)
        self._inner_path: Path | None = None

    @property
    def inner_path(self) -> Path:
        """The steps inside the module from its start to the finding (empty for a finding at the node itself)."""
        if self._inner_path is None:
            self._inner_path = self.inner.tail()[0] if self.inner is not None else ()
        return self._inner_path


@dataclass(frozen=True)
class _ModuleNode:
    """Stands for the inside of a module entered with ``state``: one node however many call sites use it."""

    module: str
    state: State


class _Recorder:
    """The top-level node graph one exploration built: successors (with the steps in between) and local findings."""

    def __init__(self) -> None:
        self.edges: dict[Node | _ModuleNode, list[tuple[Node | _ModuleNode, Path]]] = {}
        self.items: dict[Node | _ModuleNode, list[_Item]] = {}

    def add(self, node: Node | _ModuleNode, item: _Item) -> None:
        self.items.setdefault(node, []).append(item)

    def module_node(self, module: str, state: State, summary: _Summary) -> _ModuleNode:
        node = _ModuleNode(module, state)
        if node not in self.edges:
            self.edges[node] = []  # what follows the module is an edge of each call site, not of the module
            for v in summary.violations:
                self.add(node, _Item(_VIOLATION, v.unit, v.action, v.action_type, v.reason, v.state, v.trail))
            for u in summary.unresolved:
                self.add(node, _Item(_UNRESOLVED, u.unit, u.action, "", u.reason, u.state, u.trail))
        return node


class _Runner:
    def __init__(self, graph: FlowGraph, analysis: Analysis, record: _Recorder | None = None):
        self.graph = graph
        self.analysis = analysis
        self.summaries: dict[tuple[str, State], _Summary] = {}
        self.in_progress: set[tuple[str, State]] = set()
        self.record = record  # when set, the top-level scope's node graph is kept for per-entry summaries
        self.expanded = 0  # nodes taken off a queue, in every scope (the unit of work; see run_entries)
        self._transfer_paths: dict[int, tuple[Trail, Path]] = {}

    # ------------------------------------------------------------------ exploration

    def explore(self, sources: Iterable[tuple[str, State]], *, module: str | None = None,
                summary: _Summary | None = None) -> AnalysisResult | _Summary:
        """BFS over one scope: every flow (module=None), or the inside of one module."""
        out = summary if summary is not None else AnalysisResult()
        record = self.record if module is None else None
        parent: dict[Node, tuple[Node | None, Path]] = {}
        origin: dict[Node, Step] = {}  # the source each node was first reached from
        queue: deque[Node] = deque()
        recorded: set[tuple[str, str, str]] = set()
        merged: set[tuple[str, State]] = set()  # module summaries whose findings are already in `out`
        sent: set[tuple[str, State]] = set()  # (flow, state) transfers already passed up from this module

        def trail(node: Node) -> Trail:
            return Trail(parent, node, origin[node])

        def push(node: Node, prev: Node | None, via: Path = (), *, start: Step | None = None) -> None:
            if record is not None and prev is not None:
                record.edges[prev].append((node, via))
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
            if record is not None:
                record.add(node, _Item(_UNRESOLVED, node[0], node[1], "", reason, node[2]))
            out.unresolved.append(Unresolved(node[0], node[1], reason, node[2], trail(node)))

        for unit_key, state in sources:
            unit = self.graph.units.get(unit_key)
            if unit is None or not unit.usable or unit.parsed.start is None:
                continue
            push((unit_key, unit.parsed.start, state), None, start=Step(unit_key, unit.parsed.start))

        while queue:
            node = queue.popleft()
            self.expanded += 1
            if record is not None:
                record.edges[node] = []
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
                if record is not None:
                    record.add(node, _Item(_VIOLATION, unit_key, action.id, action.type, reason, state))
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
                        if (tunit.key, state) not in sent:  # the caller keeps the first path anyway
                            sent.add((tunit.key, state))
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
                    if record is not None:
                        record.edges[node].append((record.module_node(target.unit_key, state, summary_), ()))
                    if (target.unit_key, state) not in merged:
                        # Once per (module, state) and scope: the findings inside are the same from every call
                        # site, and the first call site reached has the shortest path to them.
                        merged.add((target.unit_key, state))
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
                            push((flow_key, flow.parsed.start, tstate), node,  # type: ignore[arg-type]
                                 self._inner_path(inner))
                        else:
                            assert isinstance(out, _Summary)
                            if (flow_key, tstate) not in sent:
                                sent.add((flow_key, tstate))
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

    def _inner_path(self, inner: Trail) -> Path:
        """A module-internal trail as steps, built once however many call sites use it."""
        cached = self._transfer_paths.get(id(inner))
        if cached is None:
            cached = self._transfer_paths[id(inner)] = (inner, inner.tail()[0])  # keeps `inner` alive: ids stay unique
        return cached[1]

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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an exploration allocates its many small tuples.

    Those allocations trigger full collections, and each one rescans the whole heap -- with a 100,000-user
    snapshot loaded, that was 80% of the screening analysis's time. The exploration creates no reference cycles
    that would need collecting meanwhile; the previous setting is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run(graph: FlowGraph, analysis: Analysis, sources: Iterable[tuple[str, State]]) -> AnalysisResult:
    """Explore from ``sources`` ((unit key, initial state) pairs) and collect violations."""
    runner = _Runner(graph, analysis)
    with _collector_paused():
        result = runner.explore(list(sources))
    assert isinstance(result, AnalysisResult)
    result.expanded = runner.expanded
    return result


@dataclass
class EntryResult:
    """What one entry point reaches: up to ``keep`` violations per reason and ``keep`` unresolved exits, each
    with a real path from the entry, nearest first (by the length of that path)."""

    violations: list[Violation] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)


class EntryRuns:
    """Per-entry results of one shared exploration (see :func:`run_entries`)."""

    def __init__(self, graph: FlowGraph, runner: _Runner, combined: AnalysisResult, keep: int):
        self.graph = graph
        self.combined = combined  # the union over every source, as :func:`run` returns it
        self.keep = keep
        self.expanded = runner.expanded
        assert runner.record is not None
        self._record = runner.record
        # node -> finding key -> (steps from the node to the finding, next node or None, steps between, finding)
        self._hop: dict[Any, dict[tuple[str, str, str, str], tuple[int, Any, Path, _Item]]] = {}
        self._anchors: dict[tuple[tuple[str, str, str, str], int], dict[Any, tuple[Any, Any]]] = {}
        self.summarised = 0  # (node, finding) pairs written: at most nodes x grades x keep
        self._summarise()

    # ------------------------------------------------------------------ summaries

    def _summarise(self) -> None:
        edges, items = self._record.edges, self._record.items
        if not items:
            return  # nothing to find anywhere: every entry's summary is empty
        self._backwards: dict[Any, list[tuple[Any, Path]]] = {}
        for node, successors in edges.items():
            for succ, via in successors:
                if succ != node:
                    self._backwards.setdefault(succ, []).append((node, via))
        # Only nodes that reach some finding need a summary (the others' is empty).
        relevant = set(items)
        stack = list(items)
        while stack:
            for prev, _via in self._backwards.get(stack.pop(), ()):
                if prev not in relevant:
                    relevant.add(prev)
                    stack.append(prev)
        for component in _components(edges, relevant):
            if len(component) == 1:
                self._summarise_one(component[0])
            else:
                self._summarise_cycle(component)

    def _exits(self, node: Any, inside: set | None) -> Iterator[tuple[int, Any, Path, _Item]]:
        """Ways to a finding from ``node``: its own findings, and those of successors outside its component."""
        own = _step_count(node)
        for item in self._record.items.get(node, ()):
            yield own + len(item.inner_path), None, (), item
        for succ, via in self._record.edges[node]:
            if succ == node or (inside is not None and succ in inside):
                continue
            table = self._hop.get(succ)  # summarised already (components come sinks first), or reaches nothing
            if table:
                base = own + len(via)
                for dist, _n, _v, item in table.values():
                    yield base + dist, succ, via, item

    def _keep(self, best: dict[tuple[str, str, str, str], tuple[int, Any, Path, _Item]]) -> list:
        """The finding keys to keep: the ``keep`` nearest per grade."""
        if len(best) <= self.keep:
            return list(best)
        by_grade: dict[tuple[str, ...], list[tuple[int, tuple[str, str, str, str]]]] = {}
        for key, entry in best.items():
            by_grade.setdefault(entry[3].grade, []).append((entry[0], key))
        kept = []
        for ranked in by_grade.values():
            if len(ranked) > self.keep:
                ranked.sort()
                del ranked[self.keep:]
            kept.extend(key for _d, key in ranked)
        return kept

    def _summarise_one(self, node: Any) -> None:
        successors = self._record.edges[node]
        if len(successors) == 1 and node not in self._record.items and successors[0][0] != node:
            # The common case, a step along a chain: the successor's summary, one hop further.
            succ, via = successors[0]
            base = _step_count(node) + len(via)
            table = self._hop.get(succ) or {}
            self._hop[node] = {key: (base + dist, succ, via, item) for key, (dist, _n, _v, item) in table.items()}
            self.summarised += len(table)
            return
        best: dict[tuple[str, str, str, str], tuple[int, Any, Path, _Item]] = {}
        for entry in self._exits(node, None):
            key = entry[3].key
            if key not in best or entry[0] < best[key][0]:
                best[key] = entry
        self._hop[node] = {key: best[key] for key in self._keep(best)}
        self.summarised += len(self._hop[node])

    def _summarise_cycle(self, component: list) -> None:
        # Every node of a strongly connected component reaches the same findings. For each kept finding, a
        # breadth-first walk backwards inside the component from the nodes where it leaves (or is) gives every
        # node a next hop: the pointers form a tree towards the finding, so paths are real and finite.
        inside = set(component)
        exits: dict[tuple[str, str, str, str], dict[Any, tuple[int, Any, Path, _Item]]] = {}
        best: dict[tuple[str, str, str, str], tuple[int, Any, Path, _Item]] = {}
        for node in component:
            for entry in self._exits(node, inside):
                key = entry[3].key
                at = exits.setdefault(key, {})
                if node not in at or entry[0] < at[node][0]:
                    at[node] = entry
                if key not in best or entry[0] < best[key][0]:
                    best[key] = entry
        backwards = {node: [(prev, via) for prev, via in self._backwards.get(node, ()) if prev in inside]
                     for node in component}
        for node in component:
            self._hop[node] = {}
        for key in self._keep(best):
            queue: deque = deque()
            for node, entry in sorted(exits[key].items(), key=lambda item: item[1][0]):
                self._hop[node][key] = entry
                queue.append(node)
            while queue:
                node = queue.popleft()
                dist, _n, _v, item = self._hop[node][key]
                for prev, via in backwards[node]:
                    if key not in self._hop[prev]:
                        self._hop[prev][key] = (_step_count(prev) + len(via) + dist, node, via, item)
                        queue.append(prev)
        self.summarised += sum(len(self._hop[node]) for node in component)

    # ------------------------------------------------------------------ results

    def result(self, unit_key: str, state: State) -> EntryResult:
        """The findings reachable from the start of ``unit_key`` entered with ``state`` (empty when the unit was
        not among the sources, or cannot be analysed)."""
        unit = self.graph.units.get(unit_key)
        out = EntryResult()
        if unit is None or not unit.usable or unit.parsed.start is None:
            return out
        node = (unit_key, unit.parsed.start, state)
        table = self._hop.get(node, {})
        for key, (_dist, _n, _v, item) in sorted(table.items(), key=lambda kv: (kv[1][0], kv[0])):
            where = _HopTrail(self, node, key)
            if item.kind == _VIOLATION:
                out.violations.append(Violation(item.unit, item.action, item.action_type, item.reason, item.state,
                                                where))  # type: ignore[arg-type]
            else:
                out.unresolved.append(Unresolved(item.unit, item.action, item.reason, item.state,
                                                 where))  # type: ignore[arg-type]
        return out

    def _anchor(self, start: Any, key: tuple[str, str, str, str], limit: int) -> tuple[Any, Any]:
        """(the node before, the first node) of the last stretch of at most ``limit`` steps on the path from
        ``start``; memoised per finding and limit, so describing many entries walks each node once."""
        memo = self._anchors.setdefault((key, limit), {})
        walked = []
        prev, node = None, start
        while True:
            if node in memo:
                answer = memo[node]
                break
            dist, succ, _via, _item = self._hop[node][key]
            if dist <= limit or succ is None:
                answer = (prev, node)
                break
            walked.append(node)
            prev, node = node, succ
        for node in walked:
            memo[node] = answer
        return answer

    def _steps_from(self, node: Any, key: tuple[str, str, str, str]) -> list[Step]:
        steps: list[Step] = []
        while True:
            _dist, succ, via, item = self._hop[node][key]
            if not isinstance(node, _ModuleNode):
                steps.append(Step(node[0], node[1]))
            if succ is None:
                steps.extend(item.inner_path)
                return steps
            steps.extend(via)
            node = succ


class _HopTrail:
    """A path from an entry node to a finding, read from the summaries' next hops (same interface as Trail)."""

    __slots__ = ("key", "runs", "start")

    def __init__(self, runs: EntryRuns, start: Any, key: tuple[str, str, str, str]):
        self.runs, self.start, self.key = runs, start, key

    @property
    def root(self) -> Step:
        return Step(self.start[0], self.start[1])

    def tail(self, limit: int | None = None) -> tuple[Path, bool]:
        runs = self.runs
        total = runs._hop[self.start][self.key][0]
        if limit is None or total <= limit:
            return tuple(runs._steps_from(self.start, self.key)), False
        before, first = runs._anchor(self.start, self.key, limit)
        steps = runs._steps_from(first, self.key)
        if len(steps) > limit:  # the finding is deep inside a module
            return tuple(steps[-limit:]), True
        if before is not None:
            _dist, _succ, via, _item = runs._hop[before][self.key]
            lead = [Step(before[0], before[1]), *via] if not isinstance(before, _ModuleNode) else list(via)
            steps = lead[max(0, len(lead) - (limit - len(steps))):] + steps
        return tuple(steps), True


def _step_count(node: Any) -> int:
    return 0 if isinstance(node, _ModuleNode) else 1


def _components(edges: dict[Any, list[tuple[Any, Path]]], nodes: set[Any]) -> list[list[Any]]:
    """Strongly connected components of the subgraph on ``nodes`` (Tarjan, iterative), successors first."""
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    on_stack: set[Any] = set()
    stack: list[Any] = []
    out: list[list[Any]] = []
    for root in [n for n in edges if n in nodes]:  # exploration order (not the set's): same paths every run
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(edges[root]))]
        while work:
            node, successors = work[-1]
            descended = False
            for succ, _via in successors:
                if succ not in nodes:
                    continue
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(edges[succ])))
                    descended = True
                    break
                if succ in on_stack and index[succ] < low[node]:
                    low[node] = index[succ]
            if descended:
                continue
            work.pop()
            if work and low[node] < low[work[-1][0]]:
                low[work[-1][0]] = low[node]
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
    return out


def run_entries(graph: FlowGraph, analysis: Analysis, sources: Iterable[tuple[str, State]], *,
                keep: int = 10) -> EntryRuns:
    """Analyse every source at once and answer per source, in time linear in the graph.

    One exploration from all ``sources`` builds the node graph (each (unit, action, state) once; a module is
    one node per state it is entered with). Then, strongly connected components first from the sinks, every
    node gets a summary of the findings it reaches -- at most ``keep`` per grade (unresolved exits; violations
    per reason) -- with the next hop towards each, so the per-source answer is read off its start node and its
    paths are followed hop by hop. Which reasons (and whether unresolved exits) a source reaches is exact;
    beyond ``keep`` of one reason, the nearest are listed. Total work: O((nodes + edges) x grades x keep).
    """
    runner = _Runner(graph, analysis, _Recorder())
    with _collector_paused():
        combined = runner.explore(list(sources))
        assert isinstance(combined, AnalysisResult)
        combined.expanded = runner.expanded
        return EntryRuns(graph, runner, combined, keep)


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
