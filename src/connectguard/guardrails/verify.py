"""Is an action on a resource denied, by the effective SCP chain, for every principal?

"Every principal" is checked concretely and in general: each IAM user and role in the
snapshot, the account's root user, and a synthetic principal standing for any principal
created later. Each request carries what we know (principal ARN, type, account,
organization, region, tags); any other condition key stays unresolved, so a Deny that
depends on it is conditional protection, never protection.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from connectguard.config import Config
from connectguard.conventions import Status
from connectguard.guardrails.effective import ScpChain, evaluate_chain_only, is_service_linked, principal_context
from connectguard.guardrails.protections import Protection
from connectguard.inventory.model import Snapshot
from connectguard.policy import Layer, Policy, Request, RequestContext, statement_applies
from connectguard.policy.evaluate import Decision, Evaluation
from connectguard.policy.matching import glob_match

ANY_OTHER_PRINCIPAL = "role/connectguard-any-other-principal"


@dataclass(frozen=True)
class Probe:
    arn: str
    type: str  # User | AssumedRole | Account
    label: str
    tags: tuple[tuple[str, str], ...] = ()


@dataclass
class ProtectionVerdict:
    protection: Protection
    status: Status  # PASS | FAIL
    summary: str
    denied_by: list[dict[str, Any]] = field(default_factory=list)
    not_denied: list[dict[str, Any]] = field(default_factory=list)  # principal, decision, reason, depends_on
    break_glass: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"action": self.protection.action, "resource": self.protection.resource,
                               "subject": self.protection.subject, "status": self.status.value,
                               "summary": self.summary}
        if self.denied_by:
            doc["denied_by"] = self.denied_by
        if self.not_denied:
            doc["not_denied_for"] = self.not_denied[:MAX_LISTED]
            if len(self.not_denied) > MAX_LISTED:
                doc["not_denied_for_more"] = len(self.not_denied) - MAX_LISTED
        if self.break_glass:
            doc["break_glass_exempt"] = self.break_glass
        return doc


def is_break_glass(arn: str, config: Config) -> bool:
    return any(glob_match(p, arn).yes for p in config.audit.break_glass_principals)


def probes(snapshot: Snapshot) -> list[Probe]:
    account = snapshot.account_id or "111111111111"
    partition = snapshot.partition
    out = []
    for p in (snapshot.iam.principals if snapshot.iam else []):
        if p.kind == "group" or is_service_linked(p):
            continue
        out.append(Probe(p.arn, "User" if p.kind == "user" else "AssumedRole", f"{p.kind} {p.name}",
                         tuple(sorted(p.tags.items()))))
    out.append(Probe(f"arn:{partition}:iam::{account}:root", "Account", "the account's root user"))
    out.append(Probe(f"arn:{partition}:iam::{account}:{ANY_OTHER_PRINCIPAL}", "AssumedRole",
                     "any principal created later (synthetic)"))
    return out


MAX_LISTED = 20


def _context(snapshot: Snapshot, chain: ScpChain, probe: Probe, region: str | None,
             cache: dict[tuple[str, str | None], RequestContext]) -> RequestContext:
    """Each probe's request context, built once per region for one snapshot and chain."""
    key = (probe.arn, region)
    ctx = cache.get(key)
    if ctx is None:
        tags = {f"aws:PrincipalTag/{k}": v for k, v in probe.tags}
        ctx = cache[key] = principal_context(snapshot, probe.arn, probe.type, region=region,
                                             organization_id=chain.organization_id, extra=tags)
    return ctx


def _reduce(chain: ScpChain, protection: Protection, open_ctx: RequestContext) -> ScpChain:
    request = Request(protection.action, protection.resource, open_ctx)
    layers = []
    for layer in chain.layers:
        policies = tuple(
            Policy(name=p.name, kind=p.kind, statements=tuple(st for st in p.statements
                                                              if not statement_applies(st, request).no))
            for p in layer.policies)
        layers.append(Layer(name=layer.name, kind=layer.kind, policies=policies))
    return ScpChain(chain.status, layers=layers, levels=chain.levels, organization_id=chain.organization_id)


def _denials(ev: Evaluation) -> list[dict[str, Any]]:
    if ev.explicit_denies:
        return [m.to_json() for m in ev.explicit_denies]
    return [{"implicit": True, "layer": layer, "reason": f"no SCP at {layer} allows the action"}
            for layer in ev.missing_allow]


def verify_protection(snapshot: Snapshot, chain: ScpChain, protection: Protection, config: Config,
                      probe_list: list[Probe] | None = None,
                      contexts: dict[tuple[str, str | None], RequestContext] | None = None) -> ProtectionVerdict:
    """PASS when the chain denies the action for every probe except configured break-glass principals."""
    assert chain.usable, "verify only a usable chain"
    region = protection.region
    # Fast path: a Deny that holds without knowing the principal holds for all of them.
    open_ctx = principal_context(snapshot, "", "", region=region, organization_id=chain.organization_id)
    open_ctx = RequestContext.of({k: v for k, v in open_ctx.values.items()
                                  if k not in ("aws:principalarn", "aws:principaltype", "aws:principalisawsservice")})
    general = evaluate_chain_only(chain, protection.action, protection.resource, open_ctx)
    if general.denied:
        return ProtectionVerdict(protection, Status.PASS,
                                 f"{protection.action} on {protection.subject} is denied for every principal: "
                                 f"{general.reason()}", denied_by=_denials(general))
    denied_by: dict[str, dict[str, Any]] = {}
    not_denied: list[dict[str, Any]] = []
    exempt: list[str] = []
    # Only statements that may apply without knowing the principal can apply for some principal
    # (adding known keys only resolves conditions): evaluate each probe against those alone.
    reduced = _reduce(chain, protection, open_ctx)
    for probe in probe_list if probe_list is not None else probes(snapshot):
        ev = evaluate_chain_only(reduced, protection.action, protection.resource,
                                 _context(snapshot, chain, probe, region, contexts if contexts is not None else {}))
        if ev.denied:
            for d in _denials(ev):
                denied_by.setdefault(repr(sorted(d.items())), d)
            continue
        if is_break_glass(probe.arn, config):
            exempt.append(probe.arn)
            continue
        entry: dict[str, Any] = {"principal": probe.arn, "who": probe.label, "decision": ev.decision.value}
        if len(not_denied) < MAX_LISTED:  # the reason is costly to write; the evidence lists the first ones
            entry["reason"] = ev.reason() if ev.decision is Decision.CONDITIONAL else \
                "no statement at any level of the SCP chain denies it"
            if ev.decision is Decision.CONDITIONAL:
                entry["depends_on"] = sorted(ev.unresolved_keys)
                entry["conditional_denies"] = [m.to_json() for m in ev.conditional_denies]
        elif ev.decision is Decision.CONDITIONAL:
            entry["depends_on"] = sorted(ev.unresolved_keys)
        not_denied.append(entry)
    if not not_denied:
        extra = f" except configured break-glass principal(s) {', '.join(exempt)}" if exempt else ""
        return ProtectionVerdict(protection, Status.PASS,
                                 f"{protection.action} on {protection.subject} is denied for every principal{extra}",
                                 denied_by=list(denied_by.values()), break_glass=exempt)
    first = not_denied[0]
    if any(e["decision"] == Decision.CONDITIONAL.value for e in not_denied):
        conditional = next(e for e in not_denied if e["decision"] == Decision.CONDITIONAL.value)
        how = (f"denied only under a condition on {', '.join(conditional['depends_on'])} "
               f"(conditional protection is not protection)")
    else:
        how = "nothing in the SCP chain denies it"
    summary = (f"{protection.action} on {protection.subject} is not denied for {len(not_denied)} principal(s), "
               f"e.g. {first['who']}: {how}")
    return ProtectionVerdict(protection, Status.FAIL, summary, denied_by=list(denied_by.values()),
                             not_denied=not_denied, break_glass=exempt)


def service_linked_role_notes(chain: ScpChain) -> list[str]:
    """SCP statements that name a service-linked role protect nothing: say so."""
    notes = []
    for layer in chain.layers:
        for policy in layer.policies:
            for st in policy.statements:
                for r in (st.resources or ()) + (st.not_resources or ()):
                    if "aws-service-role/" in r or "AWSServiceRoleFor" in r:
                        notes.append(
                            f"{policy.name} statement {st.sid or st.index} at {layer.name} names the service-linked "
                            f"role {r}: SCPs do not apply to service-linked roles and IAM already refuses "
                            "DeleteRole on them, so this statement protects nothing. Protect the SAML sign-in role "
                            "users federate through instead.")
    return notes


def misspelled_action_notes(chain: ScpChain, wanted: list[str]) -> list[str]:
    """A Deny naming an action that does not exist protects nothing: flag near misses of the ones we need."""
    by_lower = {a.lower(): a for a in wanted}
    notes = []
    for layer in chain.layers:
        for policy in layer.policies:
            for st in policy.statements:
                if st.effect != "Deny":
                    continue
                for action in st.actions or ():
                    lowered = action.lower()
                    if "*" in action or "?" in action or lowered in by_lower:
                        continue
                    close = difflib.get_close_matches(lowered, list(by_lower), n=1, cutoff=0.85)
                    if close:
                        notes.append(f"{policy.name} statement {st.sid or st.index} at {layer.name} denies {action}, "
                                     f"which is not an action this guardrail needs (did you mean "
                                     f"{by_lower[close[0]]}?): a misspelled action in a Deny protects nothing")
    return notes
