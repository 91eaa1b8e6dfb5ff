"""[emergency-access] Who can use the instance's emergency-access login, and under what conditions?

The console's "Log in for emergency access" button calls the IAM action
connect:AdminGetEmergencyAccessToken (formerly connect:GetFederationTokens, still honoured),
which signs the caller in to the admin website as an administrator, bypassing the
identity provider and its MFA. It should be held by a short break-glass list, and every
grant should require MFA or a trusted network.
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
    evaluate_chain_only,
    evaluate_principal,
    is_service_linked,
    principal_context,
    principal_policies,
    principal_type,
    scp_chain,
)
from connectguard.guardrails.protections import saml_provider_arns
from connectguard.guardrails.verify import is_break_glass
from connectguard.inventory.model import Instance, RegionInventory
from connectguard.policy.evaluate import Decision

EMERGENCY_ACTIONS = ("connect:AdminGetEmergencyAccessToken", "connect:GetFederationTokens")
# A documentation address (RFC 5737 TEST-NET-3): no real allow-list should contain it, so a grant
# that still applies from here is not restricted by network.
UNTRUSTED_IP = "203.0.113.77"
MFA_KEY = "aws:MultiFactorAuthPresent"


@check(
    id="emergency-access-unrestricted",
    title="The emergency-access login is available beyond the break-glass list, or without MFA or IP conditions",
    practice=Practice.EMERGENCY_ACCESS,
    severity=Severity.HIGH,
    rationale="""connect:AdminGetEmergencyAccessToken (legacy name connect:GetFederationTokens) signs the caller in to
    the Connect admin website as an administrator without going through the identity provider, so the IdP's MFA and
    conditional-access rules do not apply. AWS advises using it only in emergencies. Allows add up: one grant without
    conditions defeats every conditioned one, and AdministratorAccess or connect:* grant it too.""",
    remediation="""Grant connect:AdminGetEmergencyAccessToken only to the break-glass role(s) listed in
    audit.break_glass_principals, with an MFA condition ("Bool": {"aws:MultiFactorAuthPresent": "true"}, not
    BoolIfExists) and/or an IP condition; add an explicit Deny of connect:AdminGetEmergencyAccessToken and
    connect:GetFederationTokens to every other administrator and read-only policy (AmazonConnectReadOnlyAccess
    carries such a Deny), or deny it by SCP except for the break-glass role.""",
    detects="""One result per instance. Evaluates every IAM user and role's effective permissions (identity policies,
    group policies, permission boundary and, when read, the SCP chain) for both action names on the instance ARN.
    FAIL when a principal outside audit.break_glass_principals can use it, or when any grant still applies without
    MFA from an untrusted address (203.0.113.77). The evidence lists each principal and the granting statement, and
    whether the account's root user can too (listed, not counted against the break-glass list). Detecting actual
    use belongs to the CloudTrail rules.""",
    before="""{"Effect": "Allow", "Action": "connect:*", "Resource": "*"}""",
    after="""{"Effect": "Allow", "Action": "connect:AdminGetEmergencyAccessToken",
 "Resource": "arn:aws:connect:us-east-1:111122223333:instance/0a1b2c3d-...",
 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}, "IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}}""",
)
def emergency_access_unrestricted(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        yield _evaluate(ctx, region, instance)


def _chain(ctx: CheckContext) -> ScpChain:
    return ctx.memo("guardrails.scp_chain", lambda: scp_chain(ctx.snapshot))


def _principals(ctx: CheckContext) -> list[PrincipalPolicies]:
    return ctx.memo("guardrails.principal_policies", lambda: principal_policies(ctx.snapshot))


def _evaluate(ctx: CheckContext, region: RegionInventory, instance: Instance) -> Result:
    snap = ctx.snapshot
    if snap.iam is None:
        return ctx.unknown(instance.arn, "the account's IAM principals and policies", snap.errors_for("iam"),
                           region=region.region)
    chain = _chain(ctx)
    holders: list[dict[str, Any]] = []
    incomplete: list[str] = []
    problems: list[str] = []
    for pp in _principals(ctx):
        if is_service_linked(pp.principal):
            continue
        if not pp.complete:
            incomplete.append(f"{pp.principal.arn} ({', '.join(pp.unseen)})")
        entry = _holder(ctx, chain, pp, instance, region.region)
        if entry is None:
            continue
        holders.append(entry)
        if not entry["break_glass"]:
            problems.append(f"{entry['principal']} is not on the break-glass list")
        if not entry["restricted"]:
            problems.append(f"{entry['principal']}'s grant is not restricted by an MFA or IP condition")
    root = _root(ctx, chain, instance, region.region)
    evidence: dict[str, Any] = {
        "instance": instance_label(instance),
        "principals": holders,
        "root_user": root,
        "break_glass_principals": list(ctx.config.audit.break_glass_principals),
        "scps_considered": chain.usable,
    }
    if not chain.usable:
        evidence["scps_not_considered_because"] = chain.reason
    if incomplete:
        evidence["policies_not_seen"] = incomplete
    label = instance_label(instance)
    if problems:
        return Result(instance.arn, Status.FAIL,
                      f"emergency access to {label}: {problems[0]}"
                      + (f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""),
                      evidence=evidence, region=region.region)
    if incomplete:
        return Result(instance.arn, Status.UNKNOWN,
                      f"emergency access to {label}: some principals' policies were not seen ({incomplete[0]})",
                      evidence=evidence, region=region.region)
    who = ", ".join(h["principal"] for h in holders) or "no IAM principal"
    return Result(instance.arn, Status.PASS,
                  f"emergency access to {label} is limited to {who}, behind MFA or IP conditions",
                  evidence=evidence, region=region.region)


def _holder(ctx: CheckContext, chain: ScpChain, pp: PrincipalPolicies, instance: Instance,
            region: str) -> dict[str, Any] | None:
    """How this principal can reach emergency access, or None when it cannot."""
    p = pp.principal
    base = principal_context(ctx.snapshot, p.arn, principal_type(p), region=region,
                             organization_id=chain.organization_id, extra=_tags(p))
    grants = []
    for action in EMERGENCY_ACTIONS:
        open_ev = evaluate_principal(pp, chain, action, instance.arn, base)
        if open_ev.denied:
            continue
        grants.append((action, open_ev))
    if not grants:
        return None
    # Adversarial requests: no MFA (key false; and absent, as with an IAM user's long-term access keys),
    # from an untrusted address. A grant that still applies is not restricted by MFA or IP.
    adversarial = [("MFA false (console or role session without MFA)",
                    base.with_values({MFA_KEY: False, "aws:SourceIp": UNTRUSTED_IP}))]
    if p.kind == "user":
        adversarial.append(("MFA key absent (long-term access keys)",
                            base.with_values({"aws:SourceIp": UNTRUSTED_IP}, absent=[MFA_KEY])))
    restricted = True
    unrestricted_how: list[str] = []
    notes: list[str] = []
    for action, _ in grants:
        for label, context in adversarial:
            ev = evaluate_principal(pp, chain, action, instance.arn, context)
            if ev.allowed:
                restricted = False
                grants_by = "; ".join(m.describe() for m in ev.granting_statements() if m.layer == "identity policies")
                unrestricted_how.append(f"{action} is granted with {label} from {UNTRUSTED_IP} by {grants_by}")
                if "absent" in label:
                    notes.append("BoolIfExists on aws:MultiFactorAuthPresent passes when the key is absent, as it is "
                                 "for requests signed with an IAM user's long-term access keys")
            elif ev.decision is Decision.CONDITIONAL:
                restricted = False
                unrestricted_how.append(f"{action} with {label} from {UNTRUSTED_IP} depends only on "
                                        f"{', '.join(sorted(ev.unresolved_keys))}, which is neither an MFA nor an IP "
                                        "condition")
    if saml_provider_arns(p):
        notes.append("this role is assumed through SAML: aws:MultiFactorAuthPresent reflects AWS MFA only and says "
                     "nothing about MFA done at the identity provider, so an MFA condition here cannot be satisfied "
                     "by IdP MFA; restrict by IP, or use an IAM role assumed with AWS MFA")
    action, open_ev = grants[0]
    return {
        "principal": p.arn,
        "kind": p.kind,
        "actions": [a for a, _ in grants],
        "decision": open_ev.decision.value,
        "granted_by": [m.to_json() for m in open_ev.granting_statements() if m.layer == "identity policies"],
        "break_glass": is_break_glass(p.arn, ctx.config),
        "restricted": restricted,
        **({"unrestricted_because": unrestricted_how} if unrestricted_how else {}),
        **({"notes": sorted(set(notes))} if notes else {}),
    }


def _root(ctx: CheckContext, chain: ScpChain, instance: Instance, region: str) -> dict[str, Any]:
    arn = f"arn:{ctx.snapshot.partition}:iam::{ctx.snapshot.account_id or 'unknown'}:root"
    if not chain.usable:
        return {"principal": arn, "can": True,
                "why": f"the root user can unless an SCP denies it, and the SCP chain is not usable: {chain.reason}"}
    for action in EMERGENCY_ACTIONS:
        ev = evaluate_chain_only(chain, action, instance.arn,
                                 principal_context(ctx.snapshot, arn, "Account", region=region,
                                                   organization_id=chain.organization_id))
        if not ev.denied:
            why = ev.reason() if ev.decision is Decision.CONDITIONAL else "no statement in the chain denies it"
            return {"principal": arn, "can": True, "why": f"no SCP denies {action} to the root user: {why}"}
    return {"principal": arn, "can": False, "why": "the SCP chain denies both action names to the root user"}


def _tags(principal) -> dict[str, str]:
    return {f"aws:PrincipalTag/{k}": v for k, v in principal.tags.items()}
