"""AWS policy evaluation over layers: SCP levels, permission boundary, identity policies.

Follows AWS's documented logic for a request within one account:

1. an explicit Deny in any applicable policy ends the evaluation: Deny;
2. every layer must allow: each SCP level from the root through each OU to the account,
   the permission boundary when the principal has one, and the identity policies. A layer
   with no applicable Allow is an implicit Deny (naming that layer);
3. otherwise Allow.

Three-valued: when a Deny or the only Allow of a layer depends on condition keys the
request context does not supply, the answer is Conditional with those keys. A Deny that
applies only under a condition is never reported as a Deny.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from connectguard.policy.conditions import evaluate_conditions
from connectguard.policy.document import Policy, Statement
from connectguard.policy.matching import NO, YES, Outcome, action_match, all_of, any_of, arn_match, negate
from connectguard.policy.request import Request

LayerKind = Literal["scp", "boundary", "identity"]


class Decision(str, enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"
    CONDITIONAL = "Conditional"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Layer:
    """Policies that together must allow a request: one SCP level, the boundary, or the identity policies."""

    name: str  # e.g. "root r-ab12", "ou ou-ab12-xyz (Contact centers)", "account 111122223333", "identity"
    kind: LayerKind
    policies: tuple[Policy, ...]


@dataclass(frozen=True)
class StatementMatch:
    """A statement that applies to the request, fully (unresolved empty) or under conditions."""

    layer: str
    policy: str
    index: int
    sid: str | None
    effect: str
    unresolved: frozenset[str] = frozenset()

    @property
    def conditional(self) -> bool:
        return bool(self.unresolved)

    def describe(self) -> str:
        sid = f"Sid {self.sid}" if self.sid else f"statement {self.index}"
        cond = f", depending on {', '.join(sorted(self.unresolved))}" if self.unresolved else ""
        return f"{self.effect} in {self.policy!r} ({sid}) at {self.layer}{cond}"

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"layer": self.layer, "policy": self.policy, "statement": self.index,
                               "sid": self.sid, "effect": self.effect}
        if self.unresolved:
            doc["depends_on"] = sorted(self.unresolved)
        return doc


@dataclass
class Evaluation:
    request: Request
    decision: Decision
    explicit_denies: list[StatementMatch] = field(default_factory=list)
    conditional_denies: list[StatementMatch] = field(default_factory=list)
    allows: dict[str, list[StatementMatch]] = field(default_factory=dict)  # layer -> applicable Allows
    missing_allow: list[str] = field(default_factory=list)  # layers without any applicable Allow
    unresolved_keys: frozenset[str] = frozenset()

    @property
    def denied(self) -> bool:
        return self.decision is Decision.DENY

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    @property
    def explicit(self) -> bool:
        return bool(self.explicit_denies)

    def granting_statements(self) -> list[StatementMatch]:
        return [m for layer in self.allows.values() for m in layer]

    def reason(self) -> str:
        if self.explicit_denies:
            return "explicitly denied by " + "; ".join(m.describe() for m in self.explicit_denies)
        if self.missing_allow:
            return "implicitly denied: nothing allows it at " + ", ".join(self.missing_allow)
        if self.decision is Decision.CONDITIONAL:
            parts = []
            if self.conditional_denies:
                parts.append("denied only under conditions: "
                             + "; ".join(m.describe() for m in self.conditional_denies))
            conditional_layers = [n for n, ms in self.allows.items() if ms and all(m.conditional for m in ms)]
            if conditional_layers:
                parts.append("allowed only under conditions at " + ", ".join(conditional_layers))
            return "; ".join(parts) + f" (depends on {', '.join(sorted(self.unresolved_keys))})"
        per_layer = [f"{layer} by {ms[0].policy!r} ({f'Sid {ms[0].sid}' if ms[0].sid else f'statement {ms[0].index}'})"
                     for layer, ms in self.allows.items() if ms]
        return "allowed: no Deny applies, and it is allowed at " + "; ".join(per_layer)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.request.action,
            "resource": self.request.resource,
            "decision": self.decision.value,
            "reason": self.reason(),
            "explicit_denies": [m.to_json() for m in self.explicit_denies],
            "conditional_denies": [m.to_json() for m in self.conditional_denies],
            "allows": {k: [m.to_json() for m in v] for k, v in self.allows.items()},
            "missing_allow": list(self.missing_allow),
            "unresolved_keys": sorted(self.unresolved_keys),
        }


def action_applies(statement: Statement, action: str) -> bool:
    key = ("a", action)
    hit = statement.match_cache.get(key)
    if hit is None:
        if statement.actions is not None:
            hit = any(action_match(p, action) for p in statement.actions)
        else:
            hit = not any(action_match(p, action) for p in statement.not_actions or ())
        statement.match_cache[key] = hit
    return hit


def resource_applies(statement: Statement, request: Request) -> Outcome:
    if not statement.has_resource_variables:
        key = ("r", request.resource)
        hit = statement.match_cache.get(key)
        if hit is None:
            hit = statement.match_cache[key] = _resource_applies(statement, request.resource, None)
        return hit
    return _resource_applies(statement, request.resource, request.context.values)


def _resource_applies(statement: Statement, resource: str, variables) -> Outcome:
    if statement.resources is not None:
        return any_of(_resource_match(p, resource, variables) for p in statement.resources)
    return negate(any_of(_resource_match(p, resource, variables) for p in statement.not_resources or ()))


def _resource_match(pattern: str, resource: str, variables) -> Outcome:
    if pattern == "*":
        return YES
    if resource == "*":
        return NO  # an action without resource-level permissions is matched only by "*"
    return arn_match(pattern, resource, variables=variables)


def statement_applies(statement: Statement, request: Request) -> Outcome:
    if not action_applies(statement, request.action):
        return NO
    resource = resource_applies(statement, request)
    if resource.no:
        return NO
    if not statement.conditions:
        return resource
    return all_of([resource, evaluate_conditions(statement.conditions, request.context, statement.policy)])


def evaluate(request: Request, layers: Sequence[Layer]) -> Evaluation:
    """Evaluate ``request`` against ``layers``; every layer must allow and no Deny may apply."""
    result = Evaluation(request=request, decision=Decision.ALLOW)
    keys: set[str] = set()
    for layer in layers:
        allows: list[StatementMatch] = []
        for policy in layer.policies:
            for statement in policy.statements:
                outcome = statement_applies(statement, request)
                if outcome is NO or outcome.no:
                    continue
                match = StatementMatch(layer=layer.name, policy=policy.name, index=statement.index,
                                       sid=statement.sid, effect=statement.effect, unresolved=outcome.unresolved)
                if statement.effect == "Deny":
                    (result.conditional_denies if outcome.maybe else result.explicit_denies).append(match)
                    if outcome.maybe:
                        keys |= outcome.unresolved
                else:
                    allows.append(match)
        result.allows[layer.name] = allows
        if not allows:
            result.missing_allow.append(layer.name)
        elif all(m.conditional for m in allows):
            for m in allows:
                keys |= m.unresolved
    if result.explicit_denies or result.missing_allow:
        result.decision = Decision.DENY
    elif result.conditional_denies or keys:
        result.decision = Decision.CONDITIONAL
        result.unresolved_keys = frozenset(keys)
    return result


def scp_layers(levels: Iterable[tuple[str, Iterable[Policy]]]) -> list[Layer]:
    return [Layer(name=name, kind="scp", policies=tuple(policies)) for name, policies in levels]


def principal_layers(identity: Iterable[Policy], boundary: Iterable[Policy] | None = None) -> list[Layer]:
    layers = []
    if boundary is not None:
        layers.append(Layer(name="permissions boundary", kind="boundary", policies=tuple(boundary)))
    layers.append(Layer(name="identity policies", kind="identity", policies=tuple(identity)))
    return layers


ALLOW_ALL = Policy(name="(any identity policy, e.g. AdministratorAccess)", kind="identity", statements=(
    Statement(policy="(any identity policy, e.g. AdministratorAccess)", index=0, sid=None, effect="Allow",
              actions=("*",), not_actions=None, resources=("*",), not_resources=None),
))
