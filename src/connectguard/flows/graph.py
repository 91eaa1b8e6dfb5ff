"""One instance's flows and modules as a cross-flow graph, with its entry points.

Nodes are (unit, action) pairs where a unit is a flow or a flow module. Edges are the
actions' transitions; ``TransferToFlow`` and ``InvokeFlowModule`` are resolved to the
unit they name (by id or ARN) so analyses can follow a contact across flows. A target
that is dynamic (``$.Attributes.x``) or not among the instance's flows stays
unresolved and is reported as such, never guessed.

Entry points: the flow each phone number starts (ListFlowAssociations, channel
VOICE), plus the chat/task/email entry flows named in ``[audit] entry_flows``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from connectguard.flows.language import (
    INVOKE_MODULE,
    TRANSFER_TO_FLOW,
    Action,
    ParsedFlow,
    is_dynamic,
    parse_content,
)
from connectguard.inventory.model import Instance


@dataclass
class FlowUnit:
    """A flow or a flow module, parsed."""

    key: str  # the flow or module id
    arn: str
    name: str
    kind: Literal["flow", "module"]
    flow_type: str | None
    published: bool
    parsed: ParsedFlow
    content_seen: bool = True

    @property
    def label(self) -> str:
        return f"{self.name} ({self.key})"

    @property
    def usable(self) -> bool:
        return self.content_seen and not self.parsed.malformed

    def action(self, action_id: str) -> Action | None:
        return self.parsed.actions.get(action_id)


@dataclass(frozen=True)
class EntryPoint:
    unit_key: str | None  # None when the named flow is not among the instance's flows
    ref: str  # what named it (flow ARN or id)
    channel: str  # VOICE | CONFIGURED (chat, task or email flows from the configuration)
    source: str  # phone number ARN, or "config"
    source_label: str = ""  # masked phone number, or "connectguard.toml"


@dataclass(frozen=True)
class CallTarget:
    """Where a TransferToFlow / InvokeFlowModule action goes."""

    unit_key: str | None
    ref: Any
    reason: str = ""  # why it is unresolved ("" when resolved)


@dataclass
class FlowGraph:
    instance_id: str
    instance_arn: str
    units: dict[str, FlowUnit] = field(default_factory=dict)
    entry_points: list[EntryPoint] = field(default_factory=list)
    flows_seen: bool = True  # False: ListContactFlows (or content collection) failed
    modules_seen: bool = True
    associations_seen: bool = True
    _by_ref: dict[str, str] = field(default_factory=dict)

    def unit(self, key: str) -> FlowUnit:
        return self.units[key]

    def resolve(self, ref: Any, kind: Literal["flow", "module"]) -> CallTarget:
        if ref is None or ref == "":
            return CallTarget(None, ref, f"no {'ContactFlowId' if kind == 'flow' else 'FlowModuleId'} given")
        if is_dynamic(ref):
            return CallTarget(None, ref, f"target is chosen at run time ({ref})")
        if not isinstance(ref, str):
            return CallTarget(None, ref, f"target {ref!r} is not a string")
        key = self._by_ref.get(ref) or self._by_ref.get(_normalise_ref(ref))
        if key is None:
            seen = self.flows_seen if kind == "flow" else self.modules_seen
            why = "is not among the instance's " + ("flows" if kind == "flow" else "flow modules")
            if not seen:
                why += " (which were not collected)"
            return CallTarget(None, ref, f"{kind} {ref} {why}")
        if self.units[key].kind != kind:
            return CallTarget(None, ref, f"{ref} names a {self.units[key].kind}, not a {kind}")
        return CallTarget(key, ref)

    def call_target(self, action: Action) -> CallTarget | None:
        if action.type == TRANSFER_TO_FLOW:
            return self.resolve(action.param("ContactFlowId"), "flow")
        if action.type == INVOKE_MODULE:
            return self.resolve(action.param("FlowModuleId"), "module")
        return None

    def malformed_units(self) -> list[FlowUnit]:
        return [u for u in self.units.values() if u.content_seen and u.parsed.malformed]


def _normalise_ref(ref: str) -> str:
    """``arn:...:instance/I/contact-flow/F:$SAVED`` or ``F:1`` -> ``F`` (the id)."""
    tail = ref.rsplit("/", 1)[-1]
    return tail.split(":", 1)[0]


def build_graph(instance: Instance, configured_entry_flows: Mapping[str, Iterable[str]] | None = None) -> FlowGraph:
    """Parse every flow and module of ``instance`` and find its entry points."""
    graph = FlowGraph(instance_id=instance.id, instance_arn=instance.arn,
                      flows_seen=instance.flows is not None, modules_seen=instance.flow_modules is not None,
                      associations_seen=instance.flow_associations is not None)
    for flow in instance.flows or []:
        unit = FlowUnit(key=flow.id, arn=flow.arn, name=flow.name, kind="flow", flow_type=flow.type,
                        published=_is_published(flow.status, flow.state), parsed=parse_content(flow.content),
                        content_seen=flow.content is not None)
        _add(graph, unit)
    for module in instance.flow_modules or []:
        unit = FlowUnit(key=module.id, arn=module.arn, name=module.name, kind="module", flow_type=None,
                        published=_is_published(module.status, module.state), parsed=parse_content(module.content),
                        content_seen=module.content is not None)
        _add(graph, unit)

    masked = {p.arn: (p.number_masked or p.id) for p in instance.phone_numbers or []}
    seen_entries: set[tuple[str, str]] = set()
    for number_arn, flow_ref in sorted((instance.flow_associations or {}).items()):
        target = graph.resolve(flow_ref, "flow")
        graph.entry_points.append(EntryPoint(target.unit_key, flow_ref, "VOICE", number_arn,
                                             masked.get(number_arn, number_arn.rsplit("/", 1)[-1])))
        seen_entries.add((flow_ref, "VOICE"))
    configured = configured_entry_flows or {}
    refs = configured.get(instance.id) or configured.get(instance.arn) or configured.get(instance.alias or "") or []
    for ref in refs:
        if (ref, "CONFIGURED") in seen_entries:
            continue
        seen_entries.add((ref, "CONFIGURED"))
        target = graph.resolve(ref, "flow")
        graph.entry_points.append(EntryPoint(target.unit_key, ref, "CONFIGURED", "config", "connectguard.toml"))
    return graph


def _add(graph: FlowGraph, unit: FlowUnit) -> None:
    graph.units[unit.key] = unit
    graph._by_ref[unit.key] = unit.key
    graph._by_ref[unit.arn] = unit.key


def _is_published(status: str | None, state: str | None) -> bool:
    # Modules and older listings may omit Status; only an explicit SAVED or ARCHIVED rules a unit out.
    return status != "SAVED" and state != "ARCHIVED"


def instance_graph(ctx: Any, instance: Instance) -> FlowGraph:
    """The graph of ``instance``, built once per audit run and shared by every flow check."""
    entry_flows = ctx.config.audit.entry_flows
    return ctx.memo(f"flow-graph:{instance.arn}", lambda: build_graph(instance, entry_flows))
