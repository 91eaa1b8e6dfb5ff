"""[least-privilege] Security profiles: who can manage users, escalate, or is admin-equivalent.

Risk groups, the permission catalogue and the one definition of admin-equivalent live in
``connectguard.connect_permissions``; effective per-user access in ``connectguard.access_review``.
Every failing profile carries a proposed least-privilege permission set for its role, as a diff.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from connectguard import connect_permissions as cp
from connectguard.access_review import (
    FULL,
    INCOMPLETE,
    SCOPED,
    InstanceAccess,
    confines,
    instance_access,
    scoping_of,
)
from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label, instance_unknown
from connectguard.conventions import Practice, Severity, Status
from connectguard.inventory.model import Instance, RegionInventory, SecurityProfile

MAX_USERS_IN_EVIDENCE = 25

# What an agent profile (one granting the Contact Control Panel) should not hold: the seed's
# "don't give agents permissions to create, read, or update users", plus what can grant
# privileges or destroy evidence. Surveillance and recordings stay: supervisors take calls too.
AGENT_FORBIDDEN_GROUPS = (cp.PRIVILEGE_ESCALATION, cp.USER_RECORD_ACCESS, cp.DESTRUCTIVE)
# The permissions that let a holder make itself admin (see connect_permissions).
SELF_ESCALATION = (cp.ADMIN_EQUIVALENT_REQUIRES, *cp.ADMIN_EQUIVALENT_ANY_OF)


def _instances_with_access(ctx: CheckContext) -> Iterator[tuple[RegionInventory, Instance, InstanceAccess] | Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        access = ctx.memo(f"access:{region.region}:{instance.id}", lambda r=region, i=instance: instance_access(r, i))
        if access is None:
            yield instance_unknown(ctx, region, instance, "instance.security_profiles",
                                   "the instance's security profiles")
            continue
        yield region, instance, access


def _profiles_with_permissions(ctx: CheckContext
                               ) -> Iterator[tuple[RegionInventory, Instance, InstanceAccess, SecurityProfile] | Result]:
    """Every security profile whose permissions were seen; UNKNOWN results for the rest (and unseen instances)."""
    for item in _instances_with_access(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance, access = item
        for profile in access.profiles.values():
            if profile.permissions is None:
                yield _profile_unknown(ctx, region, instance, profile)
            else:
                yield region, instance, access, profile


def _profile_unknown(ctx: CheckContext, region: RegionInventory, instance: Instance, profile: SecurityProfile) -> Result:
    errors = ctx.snapshot.errors_for("security_profile.permissions", region=region.region, instance_id=instance.id,
                                     resource=profile.arn)
    errors = errors or ctx.snapshot.errors_for("security_profile.permissions", region=region.region,
                                               instance_id=instance.id, resource=profile.id)
    return ctx.unknown(profile.arn, f"the permissions of security profile {profile.name}", errors,
                       region=region.region)


def _holders_evidence(access: InstanceAccess, profile: SecurityProfile) -> dict:
    if access.users is None:
        return {"users": "not seen"}
    names = sorted(u.username for u in access.holders.get(profile.id, []))
    out: dict = {"users": names[:MAX_USERS_IN_EVIDENCE], "users_total": len(names)}
    if len(names) > MAX_USERS_IN_EVIDENCE:
        out["users_truncated"] = True
    return out


def _profile_evidence(access: InstanceAccess, profile: SecurityProfile, flagged: Iterable[str]) -> dict:
    flagged = sorted(set(flagged))
    return {
        "profile": profile.name,
        "profile_id": profile.id,
        "permissions": {p: cp.risk_groups(p) for p in flagged},
        "risk_groups": cp.classify(profile.permissions or ()),
        "scoping": scoping_of(profile),
        **_holders_evidence(access, profile),
    }


def proposal(profile: SecurityProfile, remove: Iterable[str], role: str) -> tuple[list[str], str]:
    """The least-privilege permission set for ``role`` and a unified diff from the current set."""
    current = sorted(set(profile.permissions or ()))
    dropped = set(remove)
    proposed = [p for p in current if p not in dropped]
    diff = difflib.unified_diff(
        [f"{p}\n" for p in current], [f"{p}\n" for p in proposed],
        fromfile=f"{profile.name} (current)", tofile=f"{profile.name} (proposed, {role})", n=0,
    )
    lines = []
    for line in diff:
        line = line.rstrip("\n")
        if line.startswith("-") and not line.startswith("---"):
            groups = cp.risk_groups(line[1:])
            line = f"{line}    # {', '.join(groups)}" if groups else line
        lines.append(line)
    return proposed, "\n".join(lines)


def _remediation(instance: Instance, profile: SecurityProfile, proposed: list[str], diff: str, why: str) -> str:
    return (
        f"{why} Proposed least-privilege permission set for security profile {profile.name}:\n{diff}\n"
        "Apply it in the admin website (Users > Security profiles) or with "
        f"`aws connect update-security-profile --instance-id {instance.id} --security-profile-id {profile.id} "
        "--permissions <the proposed list>` (the list replaces the profile's permissions; see the evidence's "
        "proposed_permissions). Give the removed permissions only to a separate administrator profile held by "
        "few people."
    )


# ------------------------------------------------------------------ agent profiles


@check(
    id="agent-profile-user-management",
    title="An agent security profile can create, read or change users or security profiles",
    practice=Practice.LEAST_PRIVILEGE,
    severity=Severity.HIGH,
    rationale="""AWS: "don't give agents permissions to create, read, or update users". Agents are the largest
    population and the most exposed to phishing and social engineering; an agent account that can edit users or
    security profiles can lock out administrators, create accounts for an attacker, or read the staff directory.
    A profile is an agent profile when it grants BasicAgentAccess (the Contact Control Panel): every user has a
    routing profile, so routing says nothing about role.""",
    remediation="""Remove user and security-profile management (Users.*, SecurityProfiles.*, AgentGrouping.Edit,
    HistoricalChanges.View) and destructive permissions from the agent profile; give them to a separate
    administrator or supervisor profile held by few people. The finding's remediation carries the proposed
    permission set as a diff.""",
    detects="""One result per security profile. FAIL when a profile granting BasicAgentAccess also grants any
    privilege-escalation or user-record-access permission (Users.Create/Edit/EditPermission/Delete/View,
    SecurityProfiles.*, AgentGrouping.Edit, HistoricalChanges.View, Users.EnableAndDisable). Severity is lowered
    to medium when the profile's access-control tags or hierarchy restrictions confine it (said in the evidence).
    UNKNOWN when the profile's permissions were not seen.""",
    before="""aws connect list-security-profile-permissions --instance-id ID --security-profile-id AGENT
{"Permissions": ["BasicAgentAccess", "OutboundCallAccess", "Users.View", "Users.Edit"]}""",
    after="""{"Permissions": ["BasicAgentAccess", "OutboundCallAccess"]}""",
)
def agent_profile_user_management(ctx: CheckContext) -> Iterator[Result]:
    for item in _profiles_with_permissions(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance, access, profile = item
        perms = set(profile.permissions)
        if cp.AGENT_MARKER not in perms:
            yield Result(profile.arn, Status.PASS, f"{profile.name} is not an agent profile (no BasicAgentAccess)",
                         evidence={"profile": profile.name, "agent_profile": False}, region=region.region)
            continue
        user_mgmt = cp.classify(perms)
        flagged = set(user_mgmt.get(cp.PRIVILEGE_ESCALATION, ())) | set(user_mgmt.get(cp.USER_RECORD_ACCESS, ()))
        if not flagged:
            yield Result(profile.arn, Status.PASS,
                         f"agent profile {profile.name} grants no user or security-profile management",
                         evidence={"profile": profile.name, "agent_profile": True,
                                   "risk_groups": user_mgmt}, region=region.region)
            continue
        evidence = _profile_evidence(access, profile, flagged)
        remove = {p for g in AGENT_FORBIDDEN_GROUPS for p in user_mgmt.get(g, ())}
        proposed, diff = proposal(profile, remove, "agent")
        evidence.update(agent_profile=True, proposed_permissions=proposed, proposed_diff=diff)
        severity, scope_note = _scoping(profile)
        yield Result(
            profile.arn, Status.FAIL,
            f"agent profile {profile.name} on {instance_label(instance)} grants "
            f"{', '.join(sorted(flagged))}{scope_note}",
            evidence=evidence, region=region.region, severity=severity,
            remediation=_remediation(instance, profile, proposed, diff,
                                     "Agents must not create, read or update users."),
        )


def _scoping(profile: SecurityProfile) -> tuple[Severity | None, str]:
    """Resource scoping (access-control tags, hierarchy) confines a risky profile: lower the severity, say why."""
    if confines(profile):
        return Severity.MEDIUM, " (confined by the profile's resource scoping: severity lowered)"
    return None, ""


# ------------------------------------------------------------- self-escalation


@check(
    id="profile-self-escalation",
    title="A non-admin security profile lets its holders make themselves admin",
    practice=Practice.LEAST_PRIVILEGE,
    severity=Severity.HIGH,
    rationale="""Users.EditPermission lets a holder assign any security profile to any user, including
    themselves and the Admin profile; SecurityProfiles.Edit or .Create lets a holder add any permission to a
    profile they hold. Either one on a profile that is not meant to be an administrator profile is a path to
    full control of the instance: re-routing calls, listening to recordings, adding accounts.""",
    remediation="""Remove Users.EditPermission, SecurityProfiles.Edit and SecurityProfiles.Create from every
    profile that is not an administrator profile; keep administrator profiles few and held by few people
    (see too-many-admins). The finding's remediation carries the proposed permission set as a diff.""",
    detects="""One result per security profile that is not itself admin-equivalent: FAIL when it grants
    Users.EditPermission, SecurityProfiles.Edit or SecurityProfiles.Create. Profiles that are admin-equivalent
    (Users.EditPermission together with SecurityProfiles.Edit or .Create) are counted by too-many-admins
    instead. Severity is lowered to medium when resource scoping confines the profile.""",
    before="""{"SecurityProfileName": "Supervisor",
 "Permissions": ["BasicAgentAccess", "ManagerListenIn", "Users.View", "Users.EditPermission"]}""",
    after="""{"SecurityProfileName": "Supervisor",
 "Permissions": ["BasicAgentAccess", "ManagerListenIn", "Users.View"]}""",
)
def profile_self_escalation(ctx: CheckContext) -> Iterator[Result]:
    for item in _profiles_with_permissions(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance, access, profile = item
        perms = set(profile.permissions)
        if cp.is_admin_equivalent(perms):
            yield Result(profile.arn, Status.PASS,
                         f"{profile.name} is an admin-equivalent profile (counted by too-many-admins)",
                         evidence={"profile": profile.name, "admin_equivalent": True}, region=region.region)
            continue
        flagged = sorted(perms & set(SELF_ESCALATION))
        if not flagged:
            yield Result(profile.arn, Status.PASS, f"{profile.name} cannot grant itself permissions",
                         evidence={"profile": profile.name, "admin_equivalent": False}, region=region.region)
            continue
        remove = set(SELF_ESCALATION) | {"SecurityProfiles.Delete"}
        proposed, diff = proposal(profile, remove & perms, "non-admin")
        evidence = _profile_evidence(access, profile, flagged)
        evidence.update(admin_equivalent=False, proposed_permissions=proposed, proposed_diff=diff)
        how = ("assign itself any security profile, Admin included" if cp.ADMIN_EQUIVALENT_REQUIRES in flagged
               else "add any permission to the profiles it holds")
        severity, scope_note = _scoping(profile)
        yield Result(
            profile.arn, Status.FAIL,
            f"non-admin profile {profile.name} on {instance_label(instance)} grants {', '.join(flagged)}: "
            f"a holder can {how}{scope_note}",
            evidence=evidence, region=region.region, severity=severity,
            remediation=_remediation(instance, profile, proposed, diff,
                                     "Only administrator profiles may grant permissions."),
        )


# ------------------------------------------------------------- admin count


@check(
    id="too-many-admins",
    title="More users hold admin-equivalent access than the configured limit",
    practice=Practice.LEAST_PRIVILEGE,
    severity=Severity.HIGH,
    rationale="""Admin-equivalent means a permission set that lets its holder grant itself any permission:
    Users.EditPermission together with SecurityProfiles.Edit or SecurityProfiles.Create. Every such account is a
    full takeover of the contact center if phished. Users can be admin-equivalent through the combination of
    two profiles that look harmless one at a time, so the count is over each user's combined profiles.""",
    remediation="""Reduce admin-equivalent access to the few people who need it ([audit] admin_limit, default 3)
    and move everyone else to profiles without Users.EditPermission / SecurityProfiles.Edit / .Create. Check the
    users listed as admin-equivalent only in combination: split or change their profiles.""",
    detects="""One result per instance. FAIL (high) when more users than [audit] admin_limit are
    admin-equivalent through unscoped profiles; FAIL (medium) when the limit is exceeded only by counting users
    whose admin-equivalent profiles are confined by access-control tags or hierarchy restrictions (said in the
    evidence); UNKNOWN when users, or the permissions of profiles they hold, were not seen and could decide it.""",
    before="""5 users hold the Admin profile; 1 more holds "UserManager" (Users.EditPermission) and
"ProfileEditor" (SecurityProfiles.Edit), admin-equivalent only in combination.""",
    after="""# connectguard.toml
[audit]
admin_limit = 3   # and no more than 3 users hold admin-equivalent access""",
)
def too_many_admins(ctx: CheckContext) -> Iterator[Result]:
    limit = ctx.config.audit.admin_limit
    for item in _instances_with_access(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance, access = item
        if access.users is None:
            yield instance_unknown(ctx, region, instance, "instance.users", "the instance's users")
            continue
        full, scoped, unknown = access.admins(FULL), access.admins(SCOPED), access.admins(INCOMPLETE)

        # Once per profile, not once per user holding it.
        admin_profile = {pid: cp.is_admin_equivalent(p.permissions or ()) for pid, p in access.profiles.items()}

        def describe(users):
            out = []
            # Evidence lists at most 100 users: describe only those (the counts above cover everyone).
            for ua in sorted(users, key=lambda u: u.user.username)[:100]:
                single = [p.name for p in ua.profiles if admin_profile.get(p.id)]
                out.append({
                    "username": ua.user.username, "user_id": ua.user.id,
                    "profiles": sorted(p.name for p in ua.profiles),
                    "admin_through": sorted(single) if single else "combination of profiles",
                    "combined_only": not single,
                    "scoped_profiles": sorted(p.name for p in ua.profiles if confines(p)),
                    # which profile gives which of the permissions that make a user admin-equivalent
                    "admin_permissions": {perm: sorted(p.name for p in ua.profiles if perm in (p.permissions or ()))
                                          for perm in SELF_ESCALATION if perm in ua.permissions},
                })
            return out

        evidence = {
            "limit": limit,
            "admin_equivalent_users": len(full),
            "scoped_admin_equivalent_users": len(scoped),
            "undetermined_users": len(unknown),
            "definition": "Users.EditPermission together with SecurityProfiles.Edit or SecurityProfiles.Create, "
                          "over the union of the user's security profiles",
            "users": describe(full),
            "scoped_users": describe(scoped),
            "undetermined": [u.user.username for u in unknown][:100],
            "combined_only_users": sorted(u.user.username for u in full + scoped
                                          if not any(admin_profile.get(p.id) for p in u.profiles)),
        }
        label = instance_label(instance)
        if len(full) > limit:
            yield Result(instance.arn, Status.FAIL,
                         f"{len(full)} users hold admin-equivalent access on {label} (limit {limit})",
                         evidence=evidence, region=region.region)
        elif len(full) + len(scoped) > limit:
            yield Result(instance.arn, Status.FAIL,
                         f"{len(full) + len(scoped)} users hold admin-equivalent access on {label} (limit {limit}), "
                         f"{len(scoped)} of them only through resource-scoped profiles (severity lowered)",
                         evidence=evidence, region=region.region, severity=Severity.MEDIUM)
        elif len(full) + len(scoped) + len(unknown) > limit:
            errors = ctx.snapshot.errors_for("security_profile.permissions", region=region.region,
                                             instance_id=instance.id)
            result = ctx.unknown(instance.arn, f"the permissions of profiles held by {len(unknown)} users", errors,
                                 region=region.region)
            result.evidence.update(evidence)
            yield result
        else:
            yield Result(instance.arn, Status.PASS,
                         f"{len(full) + len(scoped)} users hold admin-equivalent access on {label} (limit {limit})",
                         evidence=evidence, region=region.region)


# ------------------------------------------------------------- hygiene


@check(
    id="unused-security-profile",
    title="A security profile is held by no user",
    practice=Practice.LEAST_PRIVILEGE,
    severity=Severity.LOW,
    rationale="""A profile nobody holds is unreviewed access waiting to be assigned: anyone with
    Users.EditPermission can hand it out, and its permissions drift without anyone noticing. Fewer profiles
    make the quarterly access review shorter and mistakes easier to see.""",
    remediation="""Delete the profile (`aws connect delete-security-profile --instance-id ID
    --security-profile-id PID`) or, if it is kept for a reason, record that reason as a suppression with an
    expiry date.""",
    detects="One result per security profile: FAIL when no user of the instance holds it; UNKNOWN when the "
            "instance's users were not seen.",
)
def unused_security_profile(ctx: CheckContext) -> Iterator[Result]:
    for item in _instances_with_access(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance, access = item
        for profile in access.profiles.values():
            if access.users is None:
                errors = ctx.snapshot.errors_for("instance.users", region=region.region, instance_id=instance.id)
                yield ctx.unknown(profile.arn, "the instance's users", errors, region=region.region)
                continue
            holders = access.holders.get(profile.id, [])
            evidence = {"profile": profile.name, "profile_id": profile.id, "users_total": len(holders),
                        "risk_groups": cp.classify(profile.permissions or ())}
            if holders:
                yield Result(profile.arn, Status.PASS, f"{profile.name} is held by {len(holders)} user(s)",
                             evidence=evidence, region=region.region)
            else:
                yield Result(profile.arn, Status.FAIL, f"security profile {profile.name} on "
                             f"{instance_label(instance)} is held by no user", evidence=evidence,
                             region=region.region)


@check(
    id="unknown-permission-names",
    title="A security profile grants permissions connectguard cannot classify",
    practice=Practice.LEAST_PRIVILEGE,
    severity=Severity.MEDIUM,
    rationale="""connectguard classifies every permission into risk groups. A name outside its catalogue is a
    permission AWS added since, or a typo in infrastructure code that grants nothing. Either way its risk was not
    assessed, so it is reported rather than ignored.""",
    remediation="""Look the name up in the Admin Guide's "List of security profile permissions". If it is a new
    AWS permission, review whether the profile needs it (and report it to connectguard so it gets a risk
    group); if it is a typo, correct it in the code that manages the profile.""",
    detects="One result per security profile whose permissions were seen: FAIL listing the unknown names.",
)
def unknown_permission_names(ctx: CheckContext) -> Iterator[Result]:
    for item in _profiles_with_permissions(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance, access, profile = item
        unknown = cp.unknown_permissions(profile.permissions)
        evidence = {"profile": profile.name, "unknown_permissions": unknown,
                    "permissions_total": len(set(profile.permissions))}
        if unknown:
            proposed, diff = proposal(profile, unknown, "unclassified names removed until reviewed")
            evidence.update(proposed_permissions=proposed, proposed_diff=diff)
            yield Result(profile.arn, Status.FAIL,
                         f"{profile.name} grants {len(unknown)} permission name(s) not in the catalogue: "
                         f"{', '.join(unknown[:10])}", evidence=evidence, region=region.region,
                         remediation=_remediation(instance, profile, proposed, diff,
                                                  "Review each unclassified name before keeping it."))
        else:
            yield Result(profile.arn, Status.PASS, f"every permission of {profile.name} is classified",
                         evidence=evidence, region=region.region)
