"""[identity-provider] SAML federation for Connect: the IAM SAML provider and the federation role.

A SAML instance signs users in through an IAM role that trusts an IAM SAML provider and allows
``connect:GetFederationToken`` on ``arn:aws:connect:REGION:ACCOUNT:instance/ID/user/${SAML:sub}``.
The role is found by what it does (SAML trust + GetFederationToken), not by its name. Time is the
snapshot's collection time, so a report is reproducible.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterator
from typing import Any

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import account_resource, each_instance, instance_label
from connectguard.conventions import Practice, Severity, Status, isoformat
from connectguard.inventory.model import IamPrincipal, Instance, RegionInventory, SamlProvider, Snapshot

FEDERATION_ACTION = "connect:GetFederationToken"
ASSUME_SAML = "sts:AssumeRoleWithSAML"


# ----------------------------------------------------------------- policy helpers


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not document:
        return []
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]


def action_matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), str(pattern).lower())


def _allows(stmt: dict[str, Any], action: str) -> bool:
    if stmt.get("Effect") != "Allow":
        return False
    if "NotAction" in stmt:
        return not any(action_matches(p, action) for p in _as_list(stmt["NotAction"]))
    return any(action_matches(p, action) for p in _as_list(stmt.get("Action")))


def _saml_trust(role: IamPrincipal) -> list[dict[str, Any]]:
    return [s for s in statements(role.trust_policy) if _allows(s, ASSUME_SAML)]


def _trusted_providers(stmts: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for s in stmts:
        principal = s.get("Principal")
        if principal == "*":
            out.append("*")
        elif isinstance(principal, dict):
            out += [str(p) for p in _as_list(principal.get("Federated"))]
            if "AWS" in principal:
                out += [f"AWS:{p}" for p in _as_list(principal["AWS"])]
    return sorted(set(out))


def _aud_conditions(stmts: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for s in stmts:
        for operator, block in (s.get("Condition") or {}).items():
            if not isinstance(block, dict):
                continue
            for key, value in block.items():
                if key.lower() == "saml:aud":
                    found[operator] = value
    return found


def role_policy_documents(snapshot: Snapshot, role: IamPrincipal) -> tuple[list[tuple[str, dict]], list[str]]:
    """(name, document) for every policy of the role whose document was seen; names of those not seen."""
    docs: list[tuple[str, dict]] = []
    unseen: list[str] = []
    for ref in role.inline_policies:
        (docs.append((f"inline:{ref.name}", ref.document)) if ref.document is not None else unseen.append(ref.name))
    managed = {p.arn: p for p in (snapshot.iam.managed_policies if snapshot.iam else [])}
    for arn in role.managed_policy_arns:
        policy = managed.get(arn)
        if policy is None or policy.document is None:
            unseen.append(arn)
        else:
            docs.append((arn, policy.document))
    return docs, unseen


def _resource_covers_instance(resource: str, instance: Instance) -> bool:
    # Policy variables (${SAML:sub}, ${aws:userid}, ...) stand for any user name.
    pattern = re.sub(r"\$\{[^}]*\}", "*", str(resource))
    return fnmatch.fnmatchcase(f"{instance.arn}/user/someone", pattern) or fnmatch.fnmatchcase(instance.arn, pattern)


def federation_roles(snapshot: Snapshot, instance: Instance) -> list[IamPrincipal]:
    """Roles that trust a SAML provider and allow GetFederationToken on this instance."""
    roles = []
    for role in (snapshot.iam.principals if snapshot.iam else []):
        if role.kind != "role" or not _saml_trust(role):
            continue
        docs, _ = role_policy_documents(snapshot, role)
        for _, doc in docs:
            if any(_allows(s, FEDERATION_ACTION) and any(_resource_covers_instance(r, instance)
                                                         for r in _as_list(s.get("Resource")))
                   for s in statements(doc)):
                roles.append(role)
                break
    return roles


def _saml_instances(ctx: CheckContext) -> Iterator[tuple[RegionInventory, Instance] | Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if instance.identity_management_type == "SAML":
            yield region, instance
        elif instance.identity_management_type is None:
            errors = ctx.snapshot.errors_for("instance", region=region.region, instance_id=instance.id)
            yield ctx.unknown(instance.arn, "the instance's identity management type", errors, region=region.region)


def _now(ctx: CheckContext) -> dt.datetime:
    ts = ctx.snapshot.collected_at
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.timezone.utc)


def _aware(ts: dt.datetime) -> dt.datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.timezone.utc)


# ----------------------------------------------------------------- provider


@check(
    id="saml-provider-certificate",
    title="The IAM SAML provider's signing certificate is expired or about to expire",
    practice=Practice.IDENTITY_PROVIDER,
    severity=Severity.HIGH,
    rationale="""When the IdP's signing certificate in the IAM SAML provider expires (or the IdP rolls its
    certificate without the metadata being updated in IAM), every SAML sign-in to Connect fails and agents
    cannot take contacts. Teams then reach for the emergency login, which bypasses the IdP's MFA.""",
    remediation="""Download the IdP's current metadata and update the provider before the certificate expires:
    `aws iam update-saml-provider --saml-provider-arn ARN --saml-metadata-document file://metadata.xml`. Plan the
    IdP's certificate roll-over so the new certificate is in the metadata before the old one expires.""",
    detects="""Evaluated when the account has a SAML instance: one result per IAM SAML provider. FAIL (high)
    when a signing certificate or the provider's ValidUntil is past at collection time; FAIL (medium) when one
    expires within [audit] certificate_warning_days (default 30); UNKNOWN when the providers or their metadata
    were not seen, or the metadata carried no certificate.""",
    before="""aws iam get-saml-provider --saml-provider-arn arn:aws:iam::111122223333:saml-provider/Okta
# signing certificate notAfter: 2026-11-30 (in 4 days)""",
    after="""aws iam update-saml-provider --saml-provider-arn arn:aws:iam::111122223333:saml-provider/Okta \\
  --saml-metadata-document file://okta-metadata-2027.xml""",
)
def saml_provider_certificate(ctx: CheckContext) -> Iterator[Result]:
    done = False
    for item in _saml_instances(ctx):
        if isinstance(item, Result):
            yield item
            continue
        if done:
            continue
        region, _instance = item
        done = True
        providers = ctx.snapshot.saml_providers
        if providers is None:
            errors = ctx.snapshot.errors_for("saml_providers")
            yield ctx.unknown(account_resource(ctx), "the account's IAM SAML providers", errors, region=region.region)
            continue
        if not providers:
            yield Result(account_resource(ctx), Status.FAIL, "the account has a SAML instance but no IAM SAML "
                         "provider: SAML sign-in cannot work", evidence={"saml_providers": []}, region=region.region)
            continue
        for provider in providers:
            yield _evaluate_provider(ctx, provider, region.region)


def _evaluate_provider(ctx: CheckContext, provider: SamlProvider, region: str) -> Result:
    now = _now(ctx)
    warn_days = ctx.config.audit.certificate_warning_days
    evidence: dict[str, Any] = {
        "provider": provider.arn,
        "entity_id": provider.entity_id,
        "valid_until": isoformat(provider.valid_until) if provider.valid_until else None,
        "signing_certificates_not_after": [isoformat(t) for t in provider.signing_certificates_not_after],
        "evaluated_at": isoformat(now),
        "warning_days": warn_days,
    }
    if not provider.metadata_seen:
        errors = ctx.snapshot.errors_for("saml_providers", resource=provider.arn)
        result = ctx.unknown(provider.arn, "the SAML provider's metadata", errors, region=region)
        result.evidence.update(evidence)
        return result
    dates = [("signing certificate", _aware(t)) for t in provider.signing_certificates_not_after]
    if provider.valid_until:
        dates.append(("provider ValidUntil", _aware(provider.valid_until)))
    if not provider.signing_certificates_not_after:
        return Result(provider.arn, Status.UNKNOWN, "the SAML provider's metadata carries no signing certificate "
                      "connectguard could read", evidence=evidence, region=region)
    what, earliest = min(dates, key=lambda d: d[1])
    days = (earliest - now).total_seconds() / 86400
    if days < 0:
        return Result(provider.arn, Status.FAIL, f"{what} of {provider.arn} expired on {isoformat(earliest)}",
                      evidence=evidence, region=region)
    if days <= warn_days:
        return Result(provider.arn, Status.FAIL, f"{what} of {provider.arn} expires on {isoformat(earliest)} "
                      f"(in {int(days)} days)", evidence=evidence, region=region, severity=Severity.MEDIUM)
    return Result(provider.arn, Status.PASS, f"{what} of {provider.arn} is valid until {isoformat(earliest)}",
                  evidence=evidence, region=region)


# ----------------------------------------------------------------- role


@check(
    id="saml-federation-role",
    title="The Connect SAML federation role trusts too much or grants more than GetFederationToken",
    practice=Practice.IDENTITY_PROVIDER,
    severity=Severity.HIGH,
    rationale="""The federation role is the door between the IdP and Connect. If it trusts more than the one
    IAM SAML provider, a second (or wildcard) provider can sign anyone in; without a `SAML:aud` condition an
    assertion minted for another AWS sign-in endpoint is accepted; and permissions beyond
    `connect:GetFederationToken` on this instance give every agent who signs in AWS API access beyond Connect.""",
    remediation="""Trust exactly one IAM SAML provider, for `sts:AssumeRoleWithSAML` only, with
    `"Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}`; allow only
    `connect:GetFederationToken` on `arn:aws:connect:REGION:ACCOUNT:instance/ID/user/${SAML:sub}`.""",
    detects="""One result per SAML instance and federation role (a role whose trust allows sts:AssumeRoleWithSAML
    and whose policies allow connect:GetFederationToken on the instance). FAIL when the trust names a wildcard,
    several providers, an AWS principal, or a provider that does not exist; when no statement carries a SAML:aud
    condition; or when any Allow in the role's policies grants another action or another instance. UNKNOWN
    when IAM or one of the role's policies was not seen; MANUAL when no federation role is found in the
    account.""",
    before="""Trust: {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"},
         "Action": "sts:AssumeRoleWithSAML"}
Policy: {"Effect": "Allow", "Action": "connect:*", "Resource": "*"}""",
    after="""Trust: {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"},
         "Action": "sts:AssumeRoleWithSAML",
         "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}
Policy: {"Effect": "Allow", "Action": "connect:GetFederationToken",
         "Resource": "arn:aws:connect:us-east-1:111122223333:instance/ID/user/${SAML:sub}"}""",
)
def saml_federation_role(ctx: CheckContext) -> Iterator[Result]:
    snapshot = ctx.snapshot
    for item in _saml_instances(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if snapshot.iam is None:
            yield ctx.unknown(instance.arn, "the account's IAM roles", snapshot.errors_for("iam"),
                              region=region.region)
            continue
        roles = federation_roles(snapshot, instance)
        if not roles:
            yield Result(instance.arn, Status.MANUAL,
                         f"no role in this account trusts a SAML provider and allows {FEDERATION_ACTION} on "
                         f"{instance_label(instance)}: if federation goes through another account, audit it there",
                         evidence={"roles_examined": len(snapshot.iam.principals)}, region=region.region)
            continue
        for role in roles:
            yield _evaluate_role(ctx, region, instance, role)


def _evaluate_role(ctx: CheckContext, region: RegionInventory, instance: Instance, role: IamPrincipal) -> Result:
    snapshot = ctx.snapshot
    trust = _saml_trust(role)
    trusted = _trusted_providers(statements(role.trust_policy))
    aud = _aud_conditions(trust)
    problems: list[str] = []
    known = None if snapshot.saml_providers is None else {p.arn for p in snapshot.saml_providers}
    saml_trusted = [p for p in trusted if not p.startswith("AWS:")]
    if "*" in trusted:
        problems.append("the trust policy allows any principal (\"*\")")
    if len(saml_trusted) > 1:
        problems.append(f"the trust policy names {len(saml_trusted)} providers: {', '.join(saml_trusted)}")
    other = [p for p in trusted if p.startswith("AWS:")]
    if other:
        problems.append(f"the trust policy also admits AWS principals: {', '.join(p[4:] for p in other)}")
    missing = [p for p in saml_trusted if p != "*" and known is not None and p not in known]
    if missing:
        problems.append(f"trusted provider(s) do not exist: {', '.join(missing)}")
    if not aud:
        problems.append("no statement carries a SAML:aud condition")
    docs, unseen = role_policy_documents(snapshot, role)
    extra_actions: set[str] = set()
    foreign_resources: set[str] = set()
    for name, doc in docs:
        for s in statements(doc):
            if s.get("Effect") != "Allow":
                continue
            if "NotAction" in s:
                extra_actions.add(f"NotAction {_as_list(s['NotAction'])} ({name})")
                continue
            for a in _as_list(s.get("Action")):
                if str(a).lower() != FEDERATION_ACTION.lower():
                    extra_actions.add(str(a))
            if any(action_matches(a, FEDERATION_ACTION) for a in _as_list(s.get("Action"))):
                for r in _as_list(s.get("Resource")) + [f"NotResource {x}" for x in _as_list(s.get("NotResource"))]:
                    if not str(r).startswith(f"{instance.arn}/user/"):
                        foreign_resources.add(str(r))
    if extra_actions:
        problems.append(f"the role's policies allow more than {FEDERATION_ACTION}: {', '.join(sorted(extra_actions))}")
    if foreign_resources:
        problems.append("GetFederationToken is not confined to this instance's users: "
                        + ", ".join(sorted(foreign_resources)))
    evidence = {
        "role": role.arn, "instance": instance_label(instance), "trusted_principals": trusted,
        "saml_aud_condition": aud or None, "policies": [n for n, _ in docs], "policies_not_seen": unseen,
        "extra_actions": sorted(extra_actions), "resources_beyond_instance": sorted(foreign_resources),
        "problems": problems,
    }
    if problems:
        return Result(role.arn, Status.FAIL, f"federation role {role.name} for {instance_label(instance)}: "
                      + "; ".join(problems), evidence=evidence, region=region.region)
    if unseen or known is None:
        hides = "iam" if unseen else "saml_providers"
        what = f"policies {', '.join(unseen)} of role {role.name}" if unseen else "the account's IAM SAML providers"
        result = ctx.unknown(role.arn, what, snapshot.errors_for(hides), region=region.region)
        result.evidence.update(evidence)
        return result
    return Result(role.arn, Status.PASS, f"federation role {role.name} trusts only {saml_trusted[0]} with a "
                  f"SAML:aud condition and allows only {FEDERATION_ACTION} on {instance_label(instance)}",
                  evidence=evidence, region=region.region)
