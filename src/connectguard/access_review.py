"""Who holds what: user -> security profiles -> permissions -> risk groups.

The one pure model of effective access in an instance, shared by the least-privilege
checks, `connectguard access-review` (the quarterly evidence auditors ask for) and
`connectguard diff`. Linear in users x profiles-per-user (at most 10 per user).

Fail closed: a profile whose permission list was not seen makes every holder's effective
access *incomplete*; such users are never reported as "not admin-equivalent".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from connectguard import connect_permissions as cp
from connectguard.conventions import json_envelope
from connectguard.inventory.model import Instance, RegionInventory, SecurityProfile, Snapshot, User

# Admin-equivalence (the one definition is connect_permissions.is_admin_equivalent):
FULL = "admin-equivalent"  # the union of the user's *unscoped* profiles is admin-equivalent
SCOPED = "admin-equivalent-scoped"  # only with resource-scoped profiles: confined by tags/hierarchy
NOT_ADMIN = "not-admin-equivalent"
INCOMPLETE = "unknown"  # some profile's permissions were not seen, and the seen ones do not already decide


def scoping_of(profile: SecurityProfile) -> dict[str, Any]:
    """The profile's resource scoping, as evidence."""
    return {
        "scoped": profile.is_scoped,
        "scoping_seen": profile.scoping_seen,
        "allowed_access_control_tags": dict(profile.allowed_access_control_tags),
        "tag_restricted_resources": list(profile.tag_restricted_resources),
        "hierarchy_restricted_resources": list(profile.hierarchy_restricted_resources),
        "allowed_access_control_hierarchy_group_id": profile.allowed_access_control_hierarchy_group_id,
    }


def confines(profile: SecurityProfile) -> bool:
    """True when resource scoping confines what the profile's permissions reach.

    Unseen scoping (DescribeSecurityProfile failed) is treated as unscoped: the worse case.
    """
    return profile.scoping_seen and profile.is_scoped


@dataclass
class UserAccess:
    user: User
    profiles: list[SecurityProfile]
    missing_profile_ids: list[str]  # ids the user holds that are not among the instance's profiles
    permissions: set[str]  # union of the seen profiles' permissions
    unseen_profiles: list[SecurityProfile]  # held profiles whose permission list was not seen
    admin: str  # FULL | SCOPED | NOT_ADMIN | INCOMPLETE

    @property
    def complete(self) -> bool:
        return not self.unseen_profiles and not self.missing_profile_ids


@dataclass
class InstanceAccess:
    region: str
    instance: Instance
    profiles: dict[str, SecurityProfile]
    users: list[UserAccess] | None  # None = users not seen
    holders: dict[str, list[User]] = field(default_factory=dict)  # profile id -> users

    def admins(self, kind: str) -> list[UserAccess]:
        return [u for u in (self.users or []) if u.admin == kind]


def admin_status(profiles: list[SecurityProfile], *, complete: bool) -> str:
    seen = [p for p in profiles if p.permissions is not None]
    unscoped = set().union(*[set(p.permissions or ()) for p in seen if not confines(p)])
    if cp.is_admin_equivalent(unscoped):
        return FULL
    if complete:
        every = set().union(*[set(p.permissions or ()) for p in seen])
        return SCOPED if cp.is_admin_equivalent(every) else NOT_ADMIN
    return INCOMPLETE


def instance_access(region: RegionInventory, instance: Instance) -> InstanceAccess | None:
    """None when the instance's security profiles were not seen."""
    if instance.security_profiles is None:
        return None
    profiles = {p.id: p for p in instance.security_profiles}
    if instance.users is None:
        return InstanceAccess(region.region, instance, profiles, None)
    holders: dict[str, list[User]] = {pid: [] for pid in profiles}
    users: list[UserAccess] = []
    # Thousands of users share a handful of profile combinations: work out each combination's access once
    # (users of one combination share the same, read-only permission set).
    combos: dict[tuple[str, ...], tuple[list[SecurityProfile], list[str], set[str], list[SecurityProfile], str]] = {}
    for user in instance.users:
        key = tuple(user.security_profile_ids)
        combo = combos.get(key)
        if combo is None:
            held = [profiles[pid] for pid in key if pid in profiles]
            missing = [pid for pid in key if pid not in profiles]
            unseen = [p for p in held if p.permissions is None]
            perms = set().union(*[set(p.permissions or ()) for p in held])
            combo = combos[key] = (held, missing, perms, unseen,
                                   admin_status(held, complete=not unseen and not missing))
        held, missing, perms, unseen, status = combo
        for p in held:
            holders[p.id].append(user)
        users.append(UserAccess(user, held, missing, perms, unseen, status))
    return InstanceAccess(region.region, instance, profiles, users, holders)


def snapshot_access(snapshot: Snapshot) -> Iterator[InstanceAccess | tuple[RegionInventory, Instance | None]]:
    """Every instance's access; (region, None) for a region whose instances were not seen,
    (region, instance) for an instance whose profiles were not seen."""
    for region in snapshot.regions:
        if region.instances is None:
            yield region, None
            continue
        for instance in region.instances:
            access = instance_access(region, instance)
            yield access if access is not None else (region, instance)


# ---------------------------------------------------------------- review export

REVIEW_COLUMNS = [
    "account", "region", "instance_id", "instance_alias", "user_id", "username", "user_admin_equivalence",
    "security_profile_id", "security_profile_name", "profile_scoped", "permission", "risk_groups", "status",
]


@dataclass
class Review:
    rows: list[dict[str, str]]
    users: list[dict[str, Any]]
    incomplete: list[str]  # what could not be seen, one line each

    def to_json(self) -> dict[str, Any]:
        return json_envelope({"users": self.users, "incomplete": self.incomplete,
                              "summary": {"users": len(self.users), "rows": len(self.rows),
                                          "incomplete": len(self.incomplete)}})


def build_review(snapshot: Snapshot) -> Review:
    """One row per (user, profile, permission); a profile whose permissions were not seen gets one
    row whose status says so, so an auditor never mistakes "not seen" for "grants nothing"."""
    account = snapshot.account_id or ""
    # Classifying a name is pattern matching: do it once per distinct permission, not once per row.
    groups_of: dict[str, list[str]] = {}
    known: dict[str, bool] = {}

    def classify(perm: str) -> tuple[list[str], bool]:
        if perm not in groups_of:
            groups_of[perm], known[perm] = cp.risk_groups(perm), cp.is_known(perm)
        return groups_of[perm], known[perm]

    rows: list[dict[str, str]] = []
    users_out: list[dict[str, Any]] = []
    incomplete: list[str] = []
    for item in snapshot_access(snapshot):
        if isinstance(item, tuple):
            region, instance = item
            where = f"{region.region}" if instance is None else f"{region.region}/{instance.id}"
            what = "instances" if instance is None else "security profiles"
            errs = snapshot.errors_for("instances" if instance is None else "instance.security_profiles",
                                       region=region.region, instance_id=None if instance is None else instance.id)
            incomplete.append(f"{where}: {what} not seen" + (f" ({errs[0].describe()})" if errs else ""))
            continue
        inst = item.instance
        if item.users is None:
            errs = snapshot.errors_for("instance.users", region=item.region, instance_id=inst.id)
            incomplete.append(f"{item.region}/{inst.id}: users not seen" + (f" ({errs[0].describe()})" if errs else ""))
            continue
        base = {"account": account, "region": item.region, "instance_id": inst.id, "instance_alias": inst.alias or ""}
        for ua in sorted(item.users, key=lambda u: u.user.username):
            u = ua.user
            profiles_out = []
            ubase = {**base, "user_id": u.id, "username": u.username, "user_admin_equivalence": ua.admin}
            for p in sorted(ua.profiles, key=lambda p: p.name):
                pbase = {**ubase, "security_profile_id": p.id, "security_profile_name": p.name,
                         "profile_scoped": "yes" if confines(p) else "no"}
                if p.permissions is None:
                    rows.append({**pbase, "permission": "", "risk_groups": "", "status": "permissions not seen"})
                    incomplete.append(f"{item.region}/{inst.id}: permissions of profile {p.name} ({p.id}) not seen")
                    profiles_out.append({"id": p.id, "name": p.name, "scoping": scoping_of(p), "permissions": None})
                    continue
                perms_out = []
                for perm in sorted(set(p.permissions)):
                    groups, is_known = classify(perm)
                    status = "ok" if is_known else "unknown permission name"
                    rows.append({**pbase, "permission": perm, "risk_groups": ";".join(groups), "status": status})
                    perms_out.append({"permission": perm, "risk_groups": groups, "known": is_known})
                if not p.permissions:
                    rows.append({**pbase, "permission": "", "risk_groups": "", "status": "grants nothing"})
                profiles_out.append({"id": p.id, "name": p.name, "scoping": scoping_of(p), "permissions": perms_out})
            for pid in ua.missing_profile_ids:
                rows.append({**ubase, "security_profile_id": pid, "security_profile_name": "",
                             "profile_scoped": "", "permission": "", "risk_groups": "",
                             "status": "profile not among the instance's profiles"})
                incomplete.append(f"{item.region}/{inst.id}: user {u.username} holds unlisted profile {pid}")
            if not u.security_profile_ids:
                rows.append({**ubase, "security_profile_id": "", "security_profile_name": "", "profile_scoped": "",
                             "permission": "", "risk_groups": "", "status": "no security profile"})
            users_out.append({
                "account": account, "region": item.region, "instance_id": inst.id, "instance_alias": inst.alias,
                "user_id": u.id, "username": u.username, "admin_equivalence": ua.admin,
                "risk_groups": _classify_cached(ua.permissions, classify), "security_profiles": profiles_out,
                "missing_profile_ids": ua.missing_profile_ids,
            })
    return Review(rows, users_out, incomplete)


def _classify_cached(permissions: set[str], classify) -> dict[str, list[str]]:
    """connect_permissions.classify, with the per-name classification memoised by the caller."""
    out: dict[str, list[str]] = {}
    for perm in sorted(permissions):
        for group in classify(perm)[0]:
            out.setdefault(group, []).append(perm)
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """Usernames come from the account: a cell starting with = + - @ would run as a spreadsheet formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


# Columns whose values come from the account (names people typed); the rest are ids and connectguard's words.
_ACCOUNT_TEXT = ("instance_alias", "username", "security_profile_name", "permission")


def review_csv(review: Review) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REVIEW_COLUMNS)
    for row in review.rows:
        for key in _ACCOUNT_TEXT:
            value = row.get(key, "")
            if value.startswith(_FORMULA_START):
                row = {**row, key: "'" + value}
        writer.writerow([row.get(col, "") for col in REVIEW_COLUMNS])
    return buffer.getvalue()
