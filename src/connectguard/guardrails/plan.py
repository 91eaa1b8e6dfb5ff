"""`guardrails plan`: the deletion-guardrail SCP for the audited estate, with its real ARNs.

Pure: from a snapshot and options to policy documents (each within the 5,120-character SCP
limit, split when needed), the Organizations calls that would attach them, a check that the
target has free SCP slots, and a verification that the planned policies, attached at the
target, would make the guardrail checks pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from connectguard.config import Config
from connectguard.conventions import InputError, Status
from connectguard.guardrails.effective import ScpChain, level_name, scp_chain
from connectguard.guardrails.protections import (
    DIRECTORY,
    INSTANCE,
    RECOMMENDED,
    SIGNIN,
    Protection,
    directory_protections,
    instance_protections,
    recommended_protections,
    signin_protections,
    signin_roles,
)
from connectguard.guardrails.verify import probes, verify_protection
from connectguard.inventory.model import ScpLevel, ScpPolicy, Snapshot
from connectguard.policy import Layer, parse_policy

SCP_MAX_CHARS = 5120
MAX_SCPS_PER_TARGET = 5
POLICY_NAME = "connectguard-deletion-guardrails"
DESCRIPTION = "Denies deleting or disabling the Amazon Connect estate (written by connectguard guardrails plan)"

_SID_PREFIX = {INSTANCE: "DenyInstanceDeletion", SIGNIN: "ProtectSignin", DIRECTORY: "ProtectDirectory",
               RECOMMENDED: "KeepEvidence"}


@dataclass
class PlannedPolicy:
    name: str
    content: dict[str, Any]

    @property
    def text(self) -> str:
        """The exact text sent to Organizations (minified: the limit counts every character)."""
        return json.dumps(self.content, separators=(",", ":"), sort_keys=False)

    @property
    def size(self) -> int:
        return len(self.text)


@dataclass
class GuardrailPlan:
    target: str
    policies: list[PlannedPolicy]
    protections: list[Protection]
    break_glass: list[str]
    slots: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verification: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what could not be planned, and why

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "break_glass_principals": self.break_glass,
            "policies": [{"name": p.name, "characters": p.size, "limit": SCP_MAX_CHARS, "content": p.content}
                         for p in self.policies],
            "slots": self.slots,
            "organizations_calls": self.calls,
            "protections": [{"action": p.action, "resource": p.resource, "subject": p.subject, "family": p.family}
                            for p in self.protections],
            "verification": self.verification,
            "warnings": self.warnings,
            "not_planned": self.skipped,
        }


def estate_protections(snapshot: Snapshot, config: Config, *, recommended: bool) -> tuple[list[Protection], list[str]]:
    """Every protection the checks verify, from the snapshot; and what could not be determined."""
    from connectguard.audit.registry import CheckContext
    from connectguard.checks.mfa_not_enforced import match_directory

    out: list[Protection] = []
    skipped: list[str] = []
    ctx = CheckContext(snapshot=snapshot, config=config)
    for region in snapshot.regions:
        if region.instances is None:
            skipped.append(f"{region.region}: the region's instances were not seen")
            continue
        for instance in region.instances:
            out += instance_protections(instance)
            if instance.identity_management_type == "SAML":
                roles = signin_roles(snapshot, instance, config)
                if roles.problem:
                    skipped.append(f"{instance.arn}: sign-in role not planned: {roles.problem} "
                                   "(set audit.signin_role_patterns)")
                out += signin_protections(snapshot, roles)
            elif instance.identity_management_type == "EXISTING_DIRECTORY":
                directory, why = match_directory(ctx, region, instance)
                if directory is None:
                    skipped.append(f"{instance.arn}: directory not planned: {why} (set audit.directories)")
                else:
                    out += directory_protections(snapshot, region.region, directory)
            if recommended:
                out += recommended_protections(snapshot, region, instance)
    unique: list[Protection] = []
    seen: set[tuple[str, str]] = set()
    for p in out:
        if (p.action, p.resource) not in seen:
            seen.add((p.action, p.resource))
            unique.append(p)
    return unique, skipped


def statements_for(protections: list[Protection], break_glass: list[str]) -> list[dict[str, Any]]:
    """One Deny per (family, set of actions), naming every resource that needs exactly those actions."""
    actions_by_resource: dict[tuple[str, str], list[str]] = {}
    for p in protections:
        acts = actions_by_resource.setdefault((p.family, p.resource), [])
        if p.action not in acts:
            acts.append(p.action)
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (family, resource), actions in actions_by_resource.items():
        grouped.setdefault((family, tuple(sorted(actions))), []).append(resource)
    statements = []
    counters: dict[str, int] = {}
    for (family, actions), resources in grouped.items():
        counters[family] = counters.get(family, 0) + 1
        sid = _SID_PREFIX[family] + (str(counters[family]) if counters[family] > 1 else "")
        stmt: dict[str, Any] = {"Sid": sid, "Effect": "Deny", "Action": list(actions), "Resource": sorted(resources)}
        if break_glass:
            stmt["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": list(break_glass)}}
        statements.append(stmt)
    return statements


def _size(statements: list[dict[str, Any]]) -> int:
    return len(json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":")))


def pack(statements: list[dict[str, Any]], name: str = POLICY_NAME,
         limit: int = SCP_MAX_CHARS) -> list[PlannedPolicy]:
    """Pack statements into as few policies as fit the limit, splitting a statement's resources if needed."""
    pieces: list[dict[str, Any]] = []
    for stmt in statements:
        if _size([stmt]) <= limit:
            pieces.append(stmt)
            continue
        chunk: list[str] = []
        part = 0
        for resource in stmt["Resource"]:
            if _size([{**stmt, "Resource": [resource]}]) > limit:
                raise InputError(f"one statement for {resource} exceeds the {limit}-character SCP limit "
                                 "(too many break-glass principals?)")
            if chunk and _size([{**stmt, "Resource": [*chunk, resource]}]) > limit:
                part += 1
                pieces.append({**stmt, "Sid": f"{stmt['Sid']}Part{part}", "Resource": chunk})
                chunk = []
            chunk.append(resource)
        part += 1
        pieces.append({**stmt, "Sid": f"{stmt['Sid']}Part{part}", "Resource": chunk})
    policies: list[list[dict[str, Any]]] = [[]]
    for stmt in pieces:
        if policies[-1] and _size([*policies[-1], stmt]) > limit:
            policies.append([])
        policies[-1].append(stmt)
    names = [name] if len(policies) == 1 else [f"{name}-{i}" for i in range(1, len(policies) + 1)]
    return [PlannedPolicy(n, {"Version": "2012-10-17", "Statement": s}) for n, s in zip(names, policies, strict=True)
            if s]


def slot_check(chain: ScpChain, snapshot: Snapshot, target: str, planned: list[PlannedPolicy]) -> dict[str, Any]:
    """At most 5 SCPs per root, OU or account (FullAWSAccess counts); ours replace same-named ones."""
    levels = snapshot.organization.scp_chain if snapshot.organization and snapshot.organization.scp_chain else []
    level = next((lvl for lvl in levels if lvl.target_id == target), None)
    if level is None or level.policies is None:
        return {"target": target, "known": False,
                "note": "the target's attached SCPs are not in the snapshot; `guardrails apply` checks them live"}
    ours = {p.name for p in planned}
    attached = [p.name for p in level.policies]
    already = [n for n in attached if n in ours or n.startswith(POLICY_NAME)]
    after = len(attached) - len(already) + len(planned)
    return {"target": target, "known": True, "level": level_name(level), "attached": attached,
            "after_apply": after, "limit": MAX_SCPS_PER_TARGET, "fits": after <= MAX_SCPS_PER_TARGET}


def build_plan(snapshot: Snapshot, config: Config, *, target: str | None = None,
               break_glass: list[str] | None = None, recommended: bool = False,
               name: str = POLICY_NAME) -> GuardrailPlan:
    if snapshot.account_id is None and target is None:
        raise InputError("the snapshot does not name its account; pass --target")
    target = target or snapshot.account_id or ""
    break_glass = list(config.audit.break_glass_principals if break_glass is None else break_glass)
    protections, skipped = estate_protections(snapshot, config, recommended=recommended)
    if not protections:
        raise InputError("nothing to protect: the snapshot has no Connect instance")
    policies = pack(statements_for(protections, break_glass), name)
    chain = scp_chain(snapshot)
    plan = GuardrailPlan(target=target, policies=policies, protections=protections, break_glass=break_glass,
                         skipped=skipped)
    plan.slots = slot_check(chain, snapshot, target, policies)
    if plan.slots.get("known") and not plan.slots["fits"]:
        plan.warnings.append(f"{target} would carry {plan.slots['after_apply']} SCPs; at most "
                             f"{MAX_SCPS_PER_TARGET} can be attached (FullAWSAccess counts): attach at a parent OU, "
                             "or merge SCPs")
    if chain.status == "management":
        plan.warnings.append(chain.reason + ": attaching this SCP will not protect instances in that account")
    if target.startswith("r-"):
        plan.warnings.append("attaching at the root applies to every account; the ARNs limit the effect to this "
                             "estate's resources")
    for p in policies:
        plan.calls.append(f"aws organizations create-policy --type SERVICE_CONTROL_POLICY --name {p.name} "
                          f"--description '{DESCRIPTION}' --content file://{p.name}.json   "
                          f"# or update-policy when {p.name} exists")
        plan.calls.append(f"aws organizations attach-policy --policy-id <id of {p.name}> --target-id {target}")
    plan.verification = verify_plan(snapshot, config, plan, chain)
    return plan


def verify_plan(snapshot: Snapshot, config: Config, plan: GuardrailPlan, chain: ScpChain) -> list[dict[str, Any]]:
    """Would the guardrail checks pass with the planned policies attached at the target?"""
    if not chain.usable:
        return [{"status": "not verified", "reason": chain.reason}]
    levels = list(chain.levels)
    if not any(level.target_id == plan.target for level in levels):
        return [{"status": "not verified",
                 "reason": f"target {plan.target} is not on the account's SCP chain "
                           f"({', '.join(level_name(lv) for lv in levels)})"}]
    layers: list[Layer] = []
    for level, layer in zip(levels, chain.layers, strict=True):
        extra = tuple(parse_policy(p.content, p.name, "scp") for p in plan.policies) \
            if level.target_id == plan.target else ()
        kept = tuple(p for p in layer.policies if not p.name.startswith(POLICY_NAME))
        layers.append(Layer(name=layer.name, kind="scp", policies=kept + extra))
    planned_chain = ScpChain("ok", layers=layers, levels=levels, organization_id=chain.organization_id)
    probe_list = probes(snapshot)
    contexts: dict = {}
    out = []
    for p in plan.protections:
        verdict = verify_protection(snapshot, planned_chain, p, config, probe_list, contexts)
        out.append({"action": p.action, "resource": p.resource,
                    "status": "would pass" if verdict.status is Status.PASS else "would still fail",
                    "summary": verdict.summary})
    return out


def attach_to_snapshot(snapshot: Snapshot, plan: GuardrailPlan) -> Snapshot:
    """A copy of the snapshot with the plan's policies attached at the target (for what-if audits)."""
    copy = snapshot.model_copy(deep=True)
    if copy.organization is None or copy.organization.scp_chain is None:
        return copy
    for level in copy.organization.scp_chain:
        if level.target_id == plan.target and level.policies is not None:
            level.policies = [p for p in level.policies if not p.name.startswith(POLICY_NAME)]
            level.policies += [ScpPolicy(id=f"p-planned-{i}", name=p.name, content=p.content)
                               for i, p in enumerate(plan.policies)]
    return copy


def levels_summary(levels: list[ScpLevel]) -> list[str]:
    return [level_name(lv) for lv in levels]
