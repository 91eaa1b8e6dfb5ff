"""[least-privilege] IAM principals that can change users, security profiles or flows through the API.

Security profiles govern what a user can do in the Connect admin website; IAM governs
the Connect API. An IAM principal with connect:CreateUser or connect:UpdateSecurityProfile
can make itself (or anyone) an administrator of the instance without any security
profile saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label
from connectguard.conventions import Practice, Severity, Status
from connectguard.guardrails.effective import (
    PrincipalPolicies,
    ScpChain,
    evaluate_principal,
    is_service_linked,
    principal_context,
    principal_policies,
    principal_type,
    scp_chain,
)
from connectguard.inventory.model import Instance, RegionInventory
from connectguard.policy.matching import glob_match

PROBE = "connectguard-probe"

# action -> (what it lets the principal do, the resource it is authorised against: a suffix of the
# instance ARN, or "phone-number" for the account's phone-number ARNs)
SENSITIVE_ACTIONS: dict[str, tuple[str, str]] = {
    "connect:CreateUser": ("create users", ""),
    "connect:UpdateUserSecurityProfiles": ("change users' security profiles", f"/agent/{PROBE}"),
    "connect:UpdateUserIdentityInfo": ("change users' identity (e-mail, name)", f"/agent/{PROBE}"),
    "connect:CreateSecurityProfile": ("create security profiles", ""),
    "connect:UpdateSecurityProfile": ("change security profiles", f"/security-profile/{PROBE}"),
    "connect:UpdateContactFlowContent": ("change flows", f"/contact-flow/{PROBE}"),
    "connect:CreateContactFlow": ("create flows", ""),
    "connect:AssociatePhoneNumberContactFlow": ("point phone numbers at flows", "phone-number"),
    "connect:ClaimPhoneNumber": ("claim phone numbers", "phone-number"),
}


@check(
    id="iam-principal-bypasses-security-profiles",
    title="IAM principals outside the administrators list can change Connect users, security profiles or flows",
    practice=Practice.LEAST_PRIVILEGE,
    severity=Severity.HIGH,
    rationale="""Security profiles only govern the admin website. Through the API, any IAM principal allowed
    connect:CreateUser, connect:UpdateUserSecurityProfiles or connect:UpdateSecurityProfile can make any user an
    administrator, and one allowed connect:UpdateContactFlowContent or connect:AssociatePhoneNumberContactFlow can
    re-route callers, whatever the security profiles say. connect:* in a developer or CI role is the common
    cause.""",
    remediation="""Grant these actions only to the principals listed in audit.administrators; replace connect:* in
    other roles with the read (Describe*, List*, Get*, Search*) or specific write actions they need, or add an
    explicit Deny of these actions to them (or by SCP, except the administrators).""",
    detects="""One result per instance: evaluates every IAM user and role's effective permissions (identity and
    group policies, permission boundary, and the SCP chain when read) for connect:CreateUser,
    UpdateUserSecurityProfiles, UpdateUserIdentityInfo, CreateSecurityProfile, UpdateSecurityProfile,
    UpdateContactFlowContent, CreateContactFlow, AssociatePhoneNumberContactFlow and ClaimPhoneNumber on the
    instance. FAIL names each principal beyond audit.administrators, the actions and the granting statements; a
    grant that depends on conditions is reported with the condition keys.""",
    before="""{"Sid": "DevelopersManageConnect", "Effect": "Allow", "Action": "connect:*", "Resource": "*"}""",
    after="""{"Sid": "DevelopersReadConnect", "Effect": "Allow",
 "Action": ["connect:Describe*", "connect:List*", "connect:Search*"], "Resource": "*"}""",
)
def iam_principal_bypasses_security_profiles(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        yield _evaluate(ctx, region, instance)


def _is_administrator(arn: str, ctx: CheckContext) -> bool:
    return any(glob_match(p, arn).yes for p in ctx.config.audit.administrators)


def _resource(ctx: CheckContext, instance: Instance, region: str, kind: str) -> str:
    if kind == "phone-number":
        return f"arn:{ctx.snapshot.partition}:connect:{region}:{ctx.snapshot.account_id}:phone-number/{PROBE}"
    return instance.arn + kind


def _evaluate(ctx: CheckContext, region: RegionInventory, instance: Instance) -> Result:
    snap = ctx.snapshot
    if snap.iam is None:
        return ctx.unknown(instance.arn, "the account's IAM principals and policies", snap.errors_for("iam"),
                           region=region.region)
    chain: ScpChain = ctx.memo("guardrails.scp_chain", lambda: scp_chain(snap))
    everyone: list[PrincipalPolicies] = ctx.memo("guardrails.principal_policies", lambda: principal_policies(snap))
    offenders: list[dict[str, Any]] = []
    administrators: list[str] = []
    incomplete: list[str] = []
    for pp in everyone:
        p = pp.principal
        if is_service_linked(p):
            continue
        context = principal_context(snap, p.arn, principal_type(p), region=region.region,
                                    organization_id=chain.organization_id,
                                    extra={f"aws:PrincipalTag/{k}": v for k, v in p.tags.items()})
        can: list[dict[str, Any]] = []
        for action, (what, kind) in SENSITIVE_ACTIONS.items():
            ev = evaluate_principal(pp, chain, action, _resource(ctx, instance, region.region, kind), context)
            if ev.denied:
                continue
            entry: dict[str, Any] = {"action": action, "lets_it": what, "decision": ev.decision.value,
                                     "granted_by": [m.to_json() for m in ev.granting_statements()
                                                    if m.layer == "identity policies"]}
            if ev.unresolved_keys:
                entry["depends_on"] = sorted(ev.unresolved_keys)
            can.append(entry)
        if not pp.complete:
            incomplete.append(f"{p.arn} ({', '.join(pp.unseen)})")
        if not can:
            continue
        if _is_administrator(p.arn, ctx):
            administrators.append(p.arn)
            continue
        offenders.append({"principal": p.arn, "kind": p.kind, "can": can})
    evidence: dict[str, Any] = {"instance": instance_label(instance), "principals": offenders,
                                "administrators_with_access": administrators,
                                "scps_considered": chain.usable}
    if not chain.usable:
        evidence["scps_not_considered_because"] = chain.reason
    if incomplete:
        evidence["policies_not_seen"] = incomplete
    label = instance_label(instance)
    if offenders:
        first = offenders[0]
        actions = ", ".join(c["action"].split(":", 1)[1] for c in first["can"][:4])
        return Result(instance.arn, Status.FAIL,
                      f"{len(offenders)} IAM principal(s) outside audit.administrators can change users, security "
                      f"profiles or flows of {label} through the API, e.g. {first['principal']} ({actions})",
                      evidence=evidence, region=region.region)
    if incomplete:
        return Result(instance.arn, Status.UNKNOWN, f"some principals' policies were not seen ({incomplete[0]})",
                      evidence=evidence, region=region.region)
    return Result(instance.arn, Status.PASS,
                  f"only audit.administrators can change users, security profiles or flows of {label} through the API",
                  evidence=evidence, region=region.region)
