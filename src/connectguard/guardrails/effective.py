"""From a snapshot to evaluator layers: the SCP chain and each IAM principal's policies.

Pure: reads the snapshot model only. Everything that could not be seen is reported with
the reason (never silently treated as "no policy").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectguard.inventory.model import IamPrincipal, OrganizationContext, ScpLevel, Snapshot
from connectguard.policy import (
    ALLOW_ALL,
    Layer,
    Policy,
    PolicyError,
    Request,
    RequestContext,
    evaluate,
    parse_policy,
    principal_layers,
)
from connectguard.policy.evaluate import Decision, Evaluation, action_applies

ORG_ROLE_FIX = ("collect with `connectguard collect --org-role arn:aws:iam::MANAGEMENT_ACCOUNT:role/ROLE` "
                "(a role in the management or delegated-administrator account that can read the SCP chain)")


@dataclass
class ScpChain:
    """The effective SCP chain of the audited account, or why it cannot be used.

    ``status``: "ok" (layers hold root -> OUs -> account), "unknown" (not seen),
    "management" (SCPs never restrict the management account), "no-organization",
    "disabled" (SCPs are not enabled in the organization).
    """

    status: str
    layers: list[Layer] = field(default_factory=list)
    reason: str = ""
    fix: str = ""
    levels: list[ScpLevel] = field(default_factory=list)
    organization_id: str | None = None

    @property
    def usable(self) -> bool:
        return self.status == "ok"


def level_name(level: ScpLevel) -> str:
    kind = {"ROOT": "root", "ORGANIZATIONAL_UNIT": "OU", "ACCOUNT": "account"}[level.target_type]
    return f"{kind} {level.target_id}" + (f" ({level.name})" if level.name else "")


def scp_chain(snapshot: Snapshot) -> ScpChain:
    org: OrganizationContext | None = snapshot.organization
    if org is None:
        errors = snapshot.errors_for("organization")
        why = errors[0].describe() if errors else "the collector did not record the organization"
        return ScpChain("unknown", reason=f"the account's organization was not read ({why})", fix=ORG_ROLE_FIX)
    if org.is_management_account:
        return ScpChain("management", organization_id=org.organization_id,
                        reason=f"the account is the organization's management account "
                               f"({org.management_account_id}); SCPs never restrict the management account",
                        fix="Move the Connect instance to a member account; keep workloads out of the management "
                            "account.")
    if org.organization_id is None and org.scp_chain == []:
        return ScpChain("no-organization", reason="the account is not in an AWS Organization, so no SCP applies",
                        fix="Join the account to an organization (as a member account) and attach the "
                            "guardrail SCP: `connectguard guardrails plan`.")
    if org.scp_enabled is False:
        return ScpChain("disabled", organization_id=org.organization_id,
                        reason="service control policies are not enabled in the organization, so none applies",
                        fix="Enable the SERVICE_CONTROL_POLICY policy type on the root "
                            "(`aws organizations enable-policy-type`), then attach the guardrail SCP.")
    if org.scp_chain is None:
        errors = snapshot.errors_for("organization")
        why = errors[0].describe() if errors else "only the management account or a delegated administrator can " \
                                                  "read it"
        return ScpChain("unknown", organization_id=org.organization_id,
                        reason=f"the SCP chain was not read ({why})", fix=ORG_ROLE_FIX)
    layers: list[Layer] = []
    for level in org.scp_chain:
        name = level_name(level)
        if level.policies is None:
            errors = snapshot.errors_for("organization", resource=level.target_id)
            why = errors[0].describe() if errors else "not recorded"
            return ScpChain("unknown", organization_id=org.organization_id,
                            reason=f"the SCPs attached to {name} were not read ({why})", fix=ORG_ROLE_FIX)
        policies = []
        for scp in level.policies:
            if scp.content is None:
                return ScpChain("unknown", organization_id=org.organization_id,
                                reason=f"the content of SCP {scp.name} ({scp.id}) at {name} was not read",
                                fix=ORG_ROLE_FIX)
            try:
                policies.append(parse_policy(scp.content, f"{scp.name} ({scp.id})", "scp"))
            except PolicyError as exc:
                return ScpChain("unknown", organization_id=org.organization_id,
                                reason=f"SCP at {name} cannot be evaluated: {exc}",
                                fix="Fix the policy document; AWS would not normally accept it.")
        layers.append(Layer(name=name, kind="scp", policies=tuple(policies)))
    return ScpChain("ok", layers=layers, levels=list(org.scp_chain), organization_id=org.organization_id)


# ----------------------------------------------------------------- principals


@dataclass
class PrincipalPolicies:
    principal: IamPrincipal
    identity: list[Policy]
    boundary: list[Policy] | None
    unseen: list[str]  # policies whose documents were not seen or could not be parsed

    @property
    def complete(self) -> bool:
        return not self.unseen


def is_service_linked(principal: IamPrincipal) -> bool:
    return principal.kind == "role" and principal.path.startswith("/aws-service-role/")


def principal_policies(snapshot: Snapshot) -> list[PrincipalPolicies]:
    """Users and roles (not groups) with every identity policy that reaches them."""
    iam = snapshot.iam
    if iam is None:
        return []
    managed = {p.arn: p for p in iam.managed_policies}
    groups = {p.name: p for p in iam.principals if p.kind == "group"}
    parsed: dict[str, Policy | None] = {}
    out: list[PrincipalPolicies] = []

    def managed_policy(arn: str, unseen: list[str]) -> Policy | None:
        if arn not in parsed:
            doc = managed.get(arn)
            parsed[arn] = None
            if doc is not None and doc.document is not None:
                try:
                    parsed[arn] = parse_policy(doc.document, doc.name)
                except PolicyError:
                    parsed[arn] = None
        if parsed[arn] is None:
            unseen.append(arn)
        return parsed[arn]

    def inline(owner: IamPrincipal, unseen: list[str]) -> list[Policy]:
        policies = []
        for ref in owner.inline_policies:
            label = f"{owner.name}/{ref.name} (inline)"
            if ref.document is None:
                unseen.append(label)
                continue
            try:
                policies.append(parse_policy(ref.document, label))
            except PolicyError:
                unseen.append(label)
        return policies

    for principal in iam.principals:
        if principal.kind == "group":
            continue
        unseen: list[str] = []
        identity = inline(principal, unseen)
        identity += [p for arn in principal.managed_policy_arns if (p := managed_policy(arn, unseen))]
        for group_name in principal.groups:
            group = groups.get(group_name)
            if group is None:
                unseen.append(f"group {group_name}")
                continue
            identity += inline(group, unseen)
            identity += [p for arn in group.managed_policy_arns if (p := managed_policy(arn, unseen))]
        boundary = None
        if principal.permissions_boundary_arn:
            b = managed_policy(principal.permissions_boundary_arn, unseen)
            boundary = [b] if b else []
        out.append(PrincipalPolicies(principal, identity, boundary, unseen))
    return out


def principal_context(snapshot: Snapshot, principal_arn: str, principal_type: str, *, region: str | None,
                      organization_id: str | None, extra: dict[str, Any] | None = None) -> RequestContext:
    """What we know of any request this principal makes; everything else stays unresolved."""
    values: dict[str, Any] = {
        "aws:PrincipalArn": principal_arn,
        "aws:PrincipalAccount": snapshot.account_id or "",
        "aws:PrincipalType": principal_type,
        "aws:PrincipalIsAWSService": False,
    }
    if region:
        values["aws:RequestedRegion"] = region
    if organization_id:
        values["aws:PrincipalOrgID"] = organization_id
    if principal_type == "User":
        values["aws:username"] = principal_arn.rsplit("/", 1)[-1]
    values.update(extra or {})
    return RequestContext.of({k: v for k, v in values.items() if v != ""})


def evaluate_principal(pp: PrincipalPolicies, chain: ScpChain, action: str, resource: str,
                       context: RequestContext) -> Evaluation:
    if not any(st.effect == "Allow" and action_applies(st, action) for p in pp.identity for st in p.statements):
        # Nothing the principal holds names the action: an implicit deny, whatever else applies.
        return Evaluation(request=Request(action, resource, context), decision=Decision.DENY,
                          missing_allow=["identity policies"])
    layers = list(chain.layers) if chain.usable else []
    layers += principal_layers(pp.identity, pp.boundary)
    return evaluate(Request(action, resource, context), layers)


def evaluate_chain_only(chain: ScpChain, action: str, resource: str, context: RequestContext) -> Evaluation:
    """The SCP chain with an identity that allows everything (an administrator)."""
    return evaluate(Request(action, resource, context), [*chain.layers, *principal_layers([ALLOW_ALL])])


def principal_type(principal: IamPrincipal) -> str:
    return "User" if principal.kind == "user" else "AssumedRole"
