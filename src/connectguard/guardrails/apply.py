"""`guardrails apply`: create or update the planned SCPs and attach them to the target.

Dry run unless asked to apply; idempotent (a policy whose content already matches is left
alone, an attached policy is not attached again); refuses when the target has no free SCP
slot (5 per root, OU or account, FullAWSAccess counting) and when the policies would deny
the caller's own ability to manage them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from connectguard.conventions import ConnectGuardError
from connectguard.guardrails.plan import DESCRIPTION, MAX_SCPS_PER_TARGET, POLICY_NAME, GuardrailPlan
from connectguard.policy import Decision, Request, RequestContext, evaluate, parse_policy, principal_layers
from connectguard.policy.evaluate import ALLOW_ALL, Layer

MANAGE_ACTIONS = ("organizations:UpdatePolicy", "organizations:AttachPolicy", "organizations:DetachPolicy",
                  "organizations:DeletePolicy", "organizations:DescribePolicy", "organizations:ListPoliciesForTarget")


class ApplyRefused(ConnectGuardError):
    """apply would do harm (no free slot, self lock-out): nothing was changed."""



@dataclass
class Step:
    operation: str  # CreatePolicy | UpdatePolicy | AttachPolicy | DetachPolicy | none
    policy: str
    detail: str
    done: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.operation, "policy": self.policy, "detail": self.detail, "done": self.done}


@dataclass
class ApplyReport:
    target: str
    applied: bool
    steps: list[Step] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    caller: str | None = None

    @property
    def changes(self) -> int:
        return sum(1 for s in self.steps if s.operation != "none")

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "mode": "apply" if self.applied else "dry-run", "caller": self.caller,
                "steps": [s.to_json() for s in self.steps], "unchanged": self.unchanged,
                "changes": self.changes}


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        out += page.get(key, [])
    return out


def caller_principal_arn(caller_arn: str) -> str:
    """aws:PrincipalArn of a caller: an assumed-role session ARN becomes its role's ARN."""
    if ":assumed-role/" in caller_arn:
        prefix, rest = caller_arn.split(":assumed-role/", 1)
        role = rest.split("/", 1)[0]
        return prefix.replace(":sts:", ":iam:") + f":role/{role}"
    return caller_arn


def lockout_reasons(plan: GuardrailPlan, caller_arn: str, *, caller_in_scope: bool,
                    caller_is_management: bool) -> list[str]:
    """Would these SCPs deny the caller managing them? Only when SCPs can bind the caller at all."""
    if caller_is_management or not caller_in_scope:
        return []
    principal = caller_principal_arn(caller_arn)
    account = principal.split(":")[4] if principal.count(":") >= 5 else ""
    layers = [Layer(name=f"planned at {plan.target}", kind="scp",
                    policies=tuple(parse_policy(p.content, p.name, "scp") for p in plan.policies)
                    + (ALLOW_ALL,)), *principal_layers([ALLOW_ALL])]
    context = RequestContext.of({"aws:PrincipalArn": principal, "aws:PrincipalAccount": account})
    reasons = []
    for action in MANAGE_ACTIONS:
        ev = evaluate(Request(action, "*", context), layers)
        if ev.decision is not Decision.ALLOW:
            reasons.append(f"{action}: {ev.reason()}")
    return reasons


def apply_plan(plan: GuardrailPlan, organizations: Any, sts: Any, *, apply: bool) -> ApplyReport:
    """Bring the target to the plan. With apply=False only report the steps."""
    caller = sts.get_caller_identity()
    report = ApplyReport(target=plan.target, applied=apply, caller=caller.get("Arn"))
    org = organizations.describe_organization()["Organization"]
    management = org.get("MasterAccountId")
    in_scope = _caller_in_scope(organizations, caller.get("Account", ""), plan.target)
    reasons = lockout_reasons(plan, caller.get("Arn", ""), caller_in_scope=in_scope,
                              caller_is_management=caller.get("Account") == management)
    if reasons:
        raise ApplyRefused(f"refusing to attach: the policies would deny the caller ({caller.get('Arn')}) "
                           f"managing them: {reasons[0]}")

    existing = {p["Name"]: p for p in _pages(organizations, "list_policies", "Policies",
                                             Filter="SERVICE_CONTROL_POLICY")}
    attached = _pages(organizations, "list_policies_for_target", "Policies", TargetId=plan.target,
                      Filter="SERVICE_CONTROL_POLICY")
    attached_ids = {p["Id"] for p in attached}
    planned_names = {p.name for p in plan.policies}
    stale = [p for p in attached if p["Name"].startswith(POLICY_NAME) and p["Name"] not in planned_names]
    to_attach = [p for p in plan.policies if existing.get(p.name, {}).get("Id") not in attached_ids]
    after = len(attached) - len(stale) + len(to_attach)
    if to_attach and after > MAX_SCPS_PER_TARGET:
        names = ", ".join(p["Name"] for p in attached)
        raise ApplyRefused(f"refusing to attach: {plan.target} already has {len(attached)} SCP(s) ({names}); "
                           f"attaching {len(to_attach)} more would exceed the limit of {MAX_SCPS_PER_TARGET} "
                           "(FullAWSAccess counts). Attach at a parent OU or merge policies.")

    ids: dict[str, str | None] = {}
    for planned in plan.policies:
        current = existing.get(planned.name)
        if current is None:
            step = Step("CreatePolicy", planned.name, f"{planned.size} characters")
            if apply:
                got = organizations.create_policy(Content=planned.text, Description=DESCRIPTION,
                                                  Name=planned.name, Type="SERVICE_CONTROL_POLICY")
                ids[planned.name] = got["Policy"]["PolicySummary"]["Id"]
                step.done = True
            else:
                ids[planned.name] = None
            report.steps.append(step)
            continue
        ids[planned.name] = current["Id"]
        content = organizations.describe_policy(PolicyId=current["Id"])["Policy"].get("Content") or "{}"
        try:
            same = json.loads(content) == planned.content
        except json.JSONDecodeError:
            same = False
        if same:
            report.unchanged.append(f"{planned.name} ({current['Id']}): content already matches")
        else:
            step = Step("UpdatePolicy", planned.name, f"{current['Id']}: content differs from the plan")
            if apply:
                organizations.update_policy(PolicyId=current["Id"], Content=planned.text)
                step.done = True
            report.steps.append(step)
    for old in stale:
        step = Step("DetachPolicy", old["Name"], f"{old['Id']} from {plan.target}: no longer part of the plan")
        if apply:
            organizations.detach_policy(PolicyId=old["Id"], TargetId=plan.target)
            step.done = True
        report.steps.append(step)
    for planned in plan.policies:
        pid = ids.get(planned.name)
        if pid is not None and pid in attached_ids:
            report.unchanged.append(f"{planned.name} ({pid}): already attached to {plan.target}")
            continue
        step = Step("AttachPolicy", planned.name, f"{pid or '<new policy id>'} to {plan.target}")
        if apply and pid is not None:
            organizations.attach_policy(PolicyId=pid, TargetId=plan.target)
            step.done = True
        report.steps.append(step)
    return report


def _caller_in_scope(organizations: Any, caller_account: str, target: str) -> bool:
    """Is the caller's account the target or below it (so the SCP would bind the caller)?"""
    if not caller_account:
        return True  # unknown: assume the worst
    if caller_account == target:
        return True
    child = caller_account
    for _ in range(8):
        try:
            parents = organizations.list_parents(ChildId=child).get("Parents", [])
        except Exception:  # noqa: BLE001 - cannot tell: assume the caller is bound
            return True
        if not parents:
            return False
        child = parents[0]["Id"]
        if child == target:
            return True
        if parents[0].get("Type") == "ROOT":
            return False
    return True
