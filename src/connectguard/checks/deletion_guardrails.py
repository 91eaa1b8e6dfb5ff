"""[deletion-guardrails] Is deleting the instance, its sign-in role or its directory denied by SCP?

An administrator of the account can delete an instance (and with it users, flows and
data) or the IAM role SAML users sign in through (locking every user out). Only a
service control policy limits what administrators of a member account can do. These
checks evaluate the effective SCP chain (root -> OUs -> account) with the offline policy
evaluator (connectguard.policy) for every principal in the account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label
from connectguard.checks.mfa_not_enforced import match_directory
from connectguard.conventions import Practice, Severity, Status
from connectguard.guardrails.effective import ScpChain, scp_chain
from connectguard.guardrails.protections import (
    Protection,
    directory_protections,
    instance_protections,
    recommended_protections,
    signin_protections,
    signin_roles,
)
from connectguard.guardrails.verify import (
    ProtectionVerdict,
    misspelled_action_notes,
    probes,
    service_linked_role_notes,
    verify_protection,
)
from connectguard.inventory.model import Instance, RegionInventory

PLAN_HINT = ("`connectguard guardrails plan` writes the SCP for this estate with its real ARNs; "
             "`connectguard guardrails apply --target OU_OR_ACCOUNT --apply` attaches it.")

SCP_EXAMPLE_BEFORE = """# SCPs on the path root -> OU -> account: only FullAWSAccess
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"""


def _chain(ctx: CheckContext) -> ScpChain:
    return ctx.memo("guardrails.scp_chain", lambda: scp_chain(ctx.snapshot))


def _probes(ctx: CheckContext):
    return ctx.memo("guardrails.probes", lambda: probes(ctx.snapshot))


def _verdicts(ctx: CheckContext, protections: list[Protection]) -> list[ProtectionVerdict]:
    cache: dict[tuple[str, str], ProtectionVerdict] = ctx.memo("guardrails.verdicts", dict)
    out = []
    for p in protections:
        key = (p.action, p.resource)
        if key not in cache:
            cache[key] = verify_protection(ctx.snapshot, _chain(ctx), p, ctx.config, _probes(ctx),
                                           ctx.memo("guardrails.probe_contexts", dict))
        out.append(cache[key])
    return out


def _chain_problem(ctx: CheckContext, chain: ScpChain, resource: str, region: str, what: str) -> Result:
    """Management account / no organization / SCPs disabled are FAIL; a chain we could not read is UNKNOWN."""
    evidence: dict[str, Any] = {"scp_chain": chain.status, "reason": chain.reason}
    if chain.status == "unknown":
        errors = ctx.snapshot.errors_for("organization")
        evidence["collection_errors"] = [e.model_dump(exclude_none=True) for e in errors]
        return Result(resource, Status.UNKNOWN, f"could not evaluate whether {what} is denied: {chain.reason}",
                      evidence=evidence, region=region, remediation=f"To evaluate it, {chain.fix}.")
    return Result(resource, Status.FAIL, f"{what} is not denied by any SCP: {chain.reason}", evidence=evidence,
                  region=region, remediation=chain.fix)


def _result(ctx: CheckContext, resource: str, region: str, what: str, verdicts: list[ProtectionVerdict],
            evidence: dict[str, Any]) -> Result:
    failing = [v for v in verdicts if v.status is Status.FAIL]
    evidence = {**evidence, "protections": [v.to_json() for v in verdicts],
                "scp_chain": [layer.name for layer in _chain(ctx).layers]}
    notes = service_linked_role_notes(_chain(ctx))
    notes += misspelled_action_notes(_chain(ctx), sorted({v.protection.action for v in verdicts}))
    if notes:
        evidence["notes"] = notes
    if failing:
        return Result(resource, Status.FAIL, f"{what}: {failing[0].summary}"
                      + (f" (and {len(failing) - 1} more unprotected action(s))" if len(failing) > 1 else ""),
                      evidence=evidence, region=region)
    return Result(resource, Status.PASS, f"{what}: every required action is denied by the SCP chain "
                  f"({len(verdicts)} checked)", evidence=evidence, region=region)


@check(
    id="instance-deletion-not-denied",
    title="Deleting the Connect instance is not denied by a service control policy",
    practice=Practice.DELETION_GUARDRAILS,
    severity=Severity.HIGH,
    rationale="""Anyone with administrator rights in the account (or a stolen administrator session) can call
    connect:DeleteInstance, which deletes the instance's users, flows, queues, phone-number claims and
    configuration; it cannot be undone. A service control policy is the only control that binds the account's own
    administrators. A Deny that holds only under a condition (a principal tag, an unresolved variable) is
    conditional protection and is reported as FAIL, except for the configured break-glass principals.""",
    remediation=f"""Attach an SCP that denies connect:DeleteInstance on the instance ARN at the account, its OU or
    the root, optionally excepting a break-glass role with ArnNotLike aws:PrincipalArn. {PLAN_HINT} SCPs never
    restrict the organization's management account: keep Connect instances in member accounts.""",
    detects="""One result per instance. PASS when every IAM user and role, the root user and any principal created
    later are denied (break-glass principals from audit.break_glass_principals excepted); FAIL with the policy,
    statement and level that decide; FAIL in the management account, outside an organization or with SCPs
    disabled; UNKNOWN when the SCP chain could not be read (collect with --org-role).""",
    before=SCP_EXAMPLE_BEFORE,
    after="""{"Version": "2012-10-17", "Statement": [{"Sid": "ConnectGuardDenyInstanceDeletion", "Effect": "Deny",
  "Action": "connect:DeleteInstance",
  "Resource": "arn:aws:connect:us-east-1:111122223333:instance/0a1b2c3d-...",
  "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/BreakGlass"}}}]}""",
)
def instance_deletion_not_denied(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        what = f"deleting instance {instance_label(instance)}"
        chain = _chain(ctx)
        if not chain.usable:
            yield _chain_problem(ctx, chain, instance.arn, region.region, what)
            continue
        yield _result(ctx, instance.arn, region.region, what, _verdicts(ctx, instance_protections(instance)),
                      {"instance": instance_label(instance)})


@check(
    id="signin-role-change-not-denied",
    title="Deleting or changing the IAM role SAML users sign in through is not denied by SCP",
    practice=Practice.DELETION_GUARDRAILS,
    severity=Severity.HIGH,
    rationale="""With SAML, users reach Connect through one IAM role. If it is deleted, or its trust policy or
    permissions are changed, nobody can sign in; AWS notes that recovering means deleting and recreating the users,
    losing their data. Deleting or replacing the SAML provider it trusts has the same effect (or lets another IdP
    in). (The Connect service-linked role is not at stake: IAM refuses DeleteRole on service-linked roles and SCPs
    do not apply to them.)""",
    remediation=f"""Deny iam:DeleteRole, iam:UpdateAssumeRolePolicy, iam:DeleteRolePolicy and iam:DetachRolePolicy on
    the sign-in role and iam:DeleteSAMLProvider / iam:UpdateSAMLProvider on its provider in an SCP. {PLAN_HINT}
    When the role is not found automatically, name it in audit.signin_role_patterns.""",
    detects="""One result per SAML instance, with a verdict per action and resource. The sign-in roles are the
    roles that trust a SAML provider and grant connect:GetFederationToken on the instance's users, plus any matching
    audit.signin_role_patterns. UNKNOWN when IAM or the SCP chain could not be read or no sign-in role is found.""",
    before=SCP_EXAMPLE_BEFORE,
    after="""{"Sid": "ConnectGuardProtectSigninRole", "Effect": "Deny",
 "Action": ["iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy", "iam:DetachRolePolicy"],
 "Resource": "arn:aws:iam::111122223333:role/ConnectSAMLSignIn"}""",
)
def signin_role_change_not_denied(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if instance.identity_management_type != "SAML":
            continue
        what = f"changing the sign-in role of {instance_label(instance)}"
        resource = f"{instance.arn}/signin-role"
        chain = _chain(ctx)
        if not chain.usable:
            yield _chain_problem(ctx, chain, resource, region.region, what)
            continue
        roles = signin_roles(ctx.snapshot, instance, ctx.config)
        if roles.problem:
            errors = ctx.snapshot.errors_for("iam")
            yield Result(resource, Status.UNKNOWN, f"cannot tell which IAM role users of {instance_label(instance)} "
                         f"sign in through: {roles.problem}",
                         evidence={"collection_errors": [e.model_dump(exclude_none=True) for e in errors],
                                   "notes": service_linked_role_notes(chain)},
                         region=region.region,
                         remediation='Name the role in connectguard.toml: [audit] signin_role_patterns = '
                                     '["arn:aws:iam::ACCOUNT:role/ROLE"]')
            continue
        verdicts = _verdicts(ctx, signin_protections(ctx.snapshot, roles))
        yield _result(ctx, resource, region.region, what, verdicts,
                      {"instance": instance_label(instance),
                       "signin_roles": [{"role": r.arn, "how_found": roles.how[r.arn],
                                         "saml_providers": roles.providers[r.arn]} for r in roles.roles]})


@check(
    id="directory-deletion-not-denied",
    title="Deleting the instance's directory or disabling its RADIUS MFA is not denied by SCP",
    practice=Practice.DELETION_GUARDRAILS,
    severity=Severity.HIGH,
    rationale="""Users of an EXISTING_DIRECTORY instance sign in against an AWS Directory Service directory.
    ds:DeleteDirectory locks them all out; ds:DisableRadius silently removes their second factor.""",
    remediation=f"""Deny ds:DeleteDirectory and ds:DisableRadius on the directory ARN in an SCP. {PLAN_HINT}""",
    detects="""One result per EXISTING_DIRECTORY instance; UNKNOWN when its directory cannot be identified (map it
    in audit.directories) or the SCP chain could not be read.""",
    before=SCP_EXAMPLE_BEFORE,
    after="""{"Sid": "ConnectGuardProtectDirectory", "Effect": "Deny", "Action": ["ds:DeleteDirectory",
 "ds:DisableRadius"], "Resource": "arn:aws:ds:us-east-1:111122223333:directory/d-1234567890"}""",
)
def directory_deletion_not_denied(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if instance.identity_management_type != "EXISTING_DIRECTORY":
            continue
        what = f"deleting the directory of {instance_label(instance)}"
        resource = f"{instance.arn}/directory"
        chain = _chain(ctx)
        if not chain.usable:
            yield _chain_problem(ctx, chain, resource, region.region, what)
            continue
        directory, why = match_directory(ctx, region, instance)
        if directory is None:
            errors = ctx.snapshot.errors_for("directories", region=region.region) if why == "unseen" else []
            yield Result(resource, Status.UNKNOWN, f"cannot tell which directory {instance_label(instance)} uses: "
                         f"{'the directories were not read' if why == 'unseen' else why}",
                         evidence={"collection_errors": [e.model_dump(exclude_none=True) for e in errors]},
                         region=region.region,
                         remediation=f'Map it in connectguard.toml: [audit.directories] "{instance.id}" = "d-..."')
            continue
        verdicts = _verdicts(ctx, directory_protections(ctx.snapshot, region.region, directory))
        yield _result(ctx, resource, region.region, what, verdicts,
                      {"instance": instance_label(instance), "directory_id": directory.id})


@check(
    id="recommended-guardrails-missing",
    title="Storage, logging, trail or recording-bucket changes are not denied by SCP",
    practice=Practice.DELETION_GUARDRAILS,
    severity=Severity.MEDIUM,
    rationale="""Beyond deletion, an intruder covers their tracks by disassociating the recording storage,
    turning off flow logging, stopping or deleting the CloudTrail trail, or deleting the recording bucket. Denying
    these in the same SCP keeps the evidence.""",
    remediation=f"""Deny connect:DisassociateInstanceStorageConfig and connect:UpdateInstanceAttribute on the
    instance, cloudtrail:StopLogging and cloudtrail:DeleteTrail on the trail(s), and s3:DeleteBucket on the
    recording buckets. {PLAN_HINT} (The plan includes these unless --required-only.)""",
    detects="""One result per instance, with a verdict per action and resource (trails of the instance's region
    and the S3 buckets of its storage configs).""",
    before=SCP_EXAMPLE_BEFORE,
    after="""{"Sid": "ConnectGuardKeepEvidence", "Effect": "Deny", "Action": ["cloudtrail:StopLogging",
 "cloudtrail:DeleteTrail"], "Resource": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"}""",
)
def recommended_guardrails_missing(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        yield _recommended(ctx, region, instance)


def _recommended(ctx: CheckContext, region: RegionInventory, instance: Instance) -> Result:
    what = f"evidence-destroying changes to {instance_label(instance)}"
    resource = f"{instance.arn}/recommended-guardrails"
    chain = _chain(ctx)
    if not chain.usable:
        return _chain_problem(ctx, chain, resource, region.region, what)
    protections = recommended_protections(ctx.snapshot, region, instance)
    result = _result(ctx, resource, region.region, what, _verdicts(ctx, protections),
                     {"instance": instance_label(instance)})
    unseen = []
    if region.trails is None:
        unseen.append("the region's trails")
    if instance.storage_configs is None or any(v is None for v in instance.storage_configs.values()):
        unseen.append("the instance's storage configs (recording buckets)")
    if unseen and result.status is Status.PASS:
        result.status = Status.UNKNOWN
        result.message = f"{what}: what was seen is protected, but {' and '.join(unseen)} were not seen"
    elif unseen:
        result.evidence["not_seen"] = unseen
    return result
