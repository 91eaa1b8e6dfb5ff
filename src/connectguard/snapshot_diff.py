"""What changed between two snapshots that matters for security.

Flow and phone-number changes made in the admin website never reach CloudTrail, so comparing
snapshots is how they are seen. Pure: two Snapshots in, a list of Changes out, linear in their size.
Instances are matched by id; what either snapshot did not see is reported as not comparable, never as
"removed" or "added".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connectguard import connect_permissions as cp
from connectguard.access_review import FULL, SCOPED, instance_access
from connectguard.conventions import Severity, isoformat, json_envelope
from connectguard.inventory.model import Instance, RegionInventory, Snapshot


@dataclass
class Change:
    kind: str
    severity: Severity
    region: str
    instance: str  # id
    resource: str
    message: str
    before: Any = None
    after: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity.value, "region": self.region, "instance": self.instance,
                "resource": self.resource, "message": self.message, "before": self.before, "after": self.after}


@dataclass
class SnapshotDiff:
    old_collected_at: Any
    new_collected_at: Any
    account: str | None
    changes: list[Change] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)  # what one side did not see

    def to_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for c in self.changes:
            counts[c.kind] = counts.get(c.kind, 0) + 1
        return json_envelope({
            "account": self.account,
            "old_collected_at": isoformat(self.old_collected_at),
            "new_collected_at": isoformat(self.new_collected_at),
            "changes": [c.to_json() for c in self.changes],
            "not_compared": self.not_compared,
            "summary": {"changes": len(self.changes), "by_kind": dict(sorted(counts.items())),
                        "not_compared": len(self.not_compared)},
        })


def diff_snapshots(old: Snapshot, new: Snapshot) -> SnapshotDiff:
    result = SnapshotDiff(old.collected_at, new.collected_at, new.account_id or old.account_id)
    if old.account_id and new.account_id and old.account_id != new.account_id:
        result.not_compared.append(f"the snapshots are of different accounts ({old.account_id}, {new.account_id})")
        return result
    old_regions = {r.region: r for r in old.regions}
    for region in new.regions:
        before = old_regions.get(region.region)
        if before is None:
            result.not_compared.append(f"{region.region}: not in the old snapshot")
            continue
        if before.instances is None or region.instances is None:
            side = "old" if before.instances is None else "new"
            result.not_compared.append(f"{region.region}: instances not seen in the {side} snapshot")
            continue
        _diff_trails(result, before, region)
        old_instances = {i.id: i for i in before.instances}
        for inst in region.instances:
            prev = old_instances.pop(inst.id, None)
            if prev is None:
                result.changes.append(Change("instance-added", Severity.MEDIUM, region.region, inst.id, inst.arn,
                                             f"new instance {inst.alias or inst.id}"))
                continue
            _diff_instance(result, before, region, prev, inst)
        for gone in old_instances.values():
            result.changes.append(Change("instance-removed", Severity.HIGH, region.region, gone.id, gone.arn,
                                         f"instance {gone.alias or gone.id} is gone"))
    _diff_saml(result, old, new)
    order = {s: i for i, s in enumerate(Severity)}
    result.changes.sort(key=lambda c: (order[c.severity], c.region, c.instance, c.kind, c.resource))
    return result


def _sets(old: Iterable[Any] | None, new: Iterable[Any] | None) -> tuple[set, set]:
    o, n = set(old or ()), set(new or ())
    return n - o, o - n


def _diff_instance(result: SnapshotDiff, old_region: RegionInventory, region: RegionInventory, old: Instance,
                   new: Instance) -> None:
    add = result.changes.append
    r, iid, label = region.region, new.id, new.alias or new.id

    def unseen(what: str, a: Any, b: Any) -> bool:
        if a is None or b is None:
            side = "old" if a is None else "new"
            result.not_compared.append(f"{r}/{iid}: {what} not seen in the {side} snapshot")
            return True
        return False

    # logging
    if not unseen("attributes", old.attributes, new.attributes):
        for attr in sorted(set(old.attributes or {}) | set(new.attributes or {})):
            a, b = (old.attributes or {}).get(attr), (new.attributes or {}).get(attr)
            if a == b:
                continue
            turned_off = attr == "CONTACTFLOW_LOGS" and str(a).lower() == "true" and str(b).lower() != "true"
            add(Change("logging-turned-off" if turned_off else "attribute-changed",
                       Severity.HIGH if turned_off else Severity.LOW, r, iid, f"{new.arn}/attribute/{attr}",
                       f"{attr} on {label}: {a} -> {b}", a, b))
    # approved origins
    if not unseen("approved origins", old.approved_origins, new.approved_origins):
        added, removed = _sets(old.approved_origins, new.approved_origins)
        for o in sorted(added):
            add(Change("origin-added", Severity.MEDIUM, r, iid, f"{new.arn}/approved-origin/{o}",
                       f"approved origin {o} added on {label}", None, o))
        for o in sorted(removed):
            add(Change("origin-removed", Severity.INFO, r, iid, f"{new.arn}/approved-origin/{o}",
                       f"approved origin {o} removed on {label}", o, None))
    _diff_profiles(result, region, old, new, unseen)
    _diff_flows(result, region, old, new, unseen)
    _diff_phone_numbers(result, region, old, new, unseen)
    _diff_auth_profiles(result, region, old, new, unseen)
    _diff_storage(result, region, old, new, unseen)


def _diff_profiles(result: SnapshotDiff, region: RegionInventory, old: Instance, new: Instance, unseen) -> None:
    add = result.changes.append
    r, iid, label = region.region, new.id, new.alias or new.id
    if unseen("security profiles", old.security_profiles, new.security_profiles):
        return
    old_p = {p.id: p for p in old.security_profiles or []}
    for p in new.security_profiles or []:
        before = old_p.get(p.id)
        if before is None:
            add(Change("profile-added", Severity.LOW, r, iid, p.arn, f"security profile {p.name} created on {label}",
                       None, sorted(p.permissions or [])))
            continue
        if before.permissions is None or p.permissions is None:
            unseen(f"permissions of profile {p.name}", before.permissions, p.permissions)
        else:
            added, removed = _sets(before.permissions, p.permissions)
            if added:
                groups = cp.classify(added)
                became_admin = not cp.is_admin_equivalent(before.permissions) and cp.is_admin_equivalent(p.permissions)
                severity = Severity.CRITICAL if became_admin else Severity.HIGH if groups else Severity.MEDIUM
                add(Change("permissions-added", severity, r, iid, p.arn,
                           f"profile {p.name} on {label} gained {', '.join(sorted(added))}"
                           + (" and is now admin-equivalent" if became_admin else ""),
                           None, {"permissions": sorted(added), "risk_groups": groups}))
            if removed:
                add(Change("permissions-removed", Severity.INFO, r, iid, p.arn,
                           f"profile {p.name} on {label} lost {', '.join(sorted(removed))}",
                           sorted(removed), None))
        scope_before = (dict(before.allowed_access_control_tags), sorted(before.hierarchy_restricted_resources),
                        before.allowed_access_control_hierarchy_group_id)
        scope_after = (dict(p.allowed_access_control_tags), sorted(p.hierarchy_restricted_resources),
                       p.allowed_access_control_hierarchy_group_id)
        if before.scoping_seen and p.scoping_seen and scope_before != scope_after:
            add(Change("profile-scoping-changed", Severity.MEDIUM if before.is_scoped and not p.is_scoped
                       else Severity.LOW, r, iid, p.arn, f"resource scoping of profile {p.name} on {label} changed",
                       list(scope_before), list(scope_after)))
    new_ids = {p.id for p in new.security_profiles or []}
    for p in old.security_profiles or []:
        if p.id not in new_ids:
            add(Change("profile-removed", Severity.INFO, r, iid, p.arn, f"security profile {p.name} deleted on {label}"))
    # users and admin-equivalence
    if unseen("users", old.users, new.users):
        return
    a_old, a_new = instance_access(region, old), instance_access(region, new)
    if a_old is None or a_new is None or a_old.users is None or a_new.users is None:
        return
    old_users = {u.user.id: u for u in a_old.users}
    names = {p.id: p.name for p in new.security_profiles or []} | {p.id: p.name for p in old.security_profiles or []}
    for ua in a_new.users:
        prev = old_users.get(ua.user.id)
        was = prev.admin if prev else None
        if ua.admin in (FULL, SCOPED) and was not in (FULL, SCOPED):
            scoped = " (through resource-scoped profiles)" if ua.admin == SCOPED else ""
            add(Change("new-admin-equivalent-user", Severity.MEDIUM if ua.admin == SCOPED else Severity.CRITICAL,
                       r, iid, ua.user.arn, f"user {ua.user.username} on {label} is now admin-equivalent{scoped}",
                       was, ua.admin))
        if prev is None:
            add(Change("user-added", Severity.LOW, r, iid, ua.user.arn, f"user {ua.user.username} added on {label}",
                       None, sorted(names.get(i, i) for i in ua.user.security_profile_ids)))
            continue
        added, removed = _sets(prev.user.security_profile_ids, ua.user.security_profile_ids)
        if added or removed:
            add(Change("user-profiles-changed", Severity.MEDIUM if added else Severity.INFO, r, iid, ua.user.arn,
                       f"user {ua.user.username} on {label}: profiles "
                       + ", ".join([f"+{names.get(i, i)}" for i in sorted(added)]
                                   + [f"-{names.get(i, i)}" for i in sorted(removed)]),
                       sorted(names.get(i, i) for i in prev.user.security_profile_ids),
                       sorted(names.get(i, i) for i in ua.user.security_profile_ids)))
    new_user_ids = {u.user.id for u in a_new.users}
    for uid, prev in old_users.items():
        if uid not in new_user_ids:
            add(Change("user-removed", Severity.INFO, r, iid, prev.user.arn,
                       f"user {prev.user.username} removed from {label}"))


def _diff_flows(result: SnapshotDiff, region: RegionInventory, old: Instance, new: Instance, unseen) -> None:
    add = result.changes.append
    r, iid, label = region.region, new.id, new.alias or new.id
    for kind, a, b in (("flow", old.flows, new.flows), ("flow-module", old.flow_modules, new.flow_modules)):
        if unseen(f"{kind}s", a, b):
            continue
        old_f = {f.id: f for f in a or []}
        for f in b or []:
            prev = old_f.pop(f.id, None)
            if prev is None:
                add(Change(f"{kind}-added", Severity.MEDIUM, r, iid, f.arn, f"{kind} {f.name} created on {label}",
                           None, f.content_sha256))
                continue
            if prev.content_sha256 is None or f.content_sha256 is None:
                if prev.content_sha256 != f.content_sha256:
                    unseen(f"content of {kind} {f.name}", prev.content_sha256, f.content_sha256)
                continue
            if prev.content_sha256 != f.content_sha256:
                add(Change(f"{kind}-content-changed", Severity.HIGH, r, iid, f.arn,
                           f"content of {kind} {f.name} on {label} changed (FlowContentSha256)",
                           prev.content_sha256, f.content_sha256))
            if prev.name != f.name:
                add(Change(f"{kind}-renamed", Severity.LOW, r, iid, f.arn, f"{kind} {prev.name} renamed to {f.name}",
                           prev.name, f.name))
        for gone in old_f.values():
            add(Change(f"{kind}-removed", Severity.MEDIUM, r, iid, gone.arn, f"{kind} {gone.name} deleted on {label}"))


def _diff_phone_numbers(result: SnapshotDiff, region: RegionInventory, old: Instance, new: Instance, unseen) -> None:
    add = result.changes.append
    r, iid, label = region.region, new.id, new.alias or new.id
    numbers = {p.arn: p for p in (old.phone_numbers or []) + (new.phone_numbers or [])}

    def shown(arn: str) -> str:
        p = numbers.get(arn)
        return (p.number_masked or p.id) if p else arn.rsplit("/", 1)[-1]

    flows = {f.arn: f.name for f in (old.flows or []) + (new.flows or [])}
    if not unseen("flow associations", old.flow_associations, new.flow_associations):
        a, b = old.flow_associations or {}, new.flow_associations or {}
        for arn in sorted(set(a) | set(b)):
            if a.get(arn) != b.get(arn):
                add(Change("phone-number-reassociated", Severity.HIGH, r, iid, arn,
                           f"phone number {shown(arn)} on {label} now starts "
                           f"{flows.get(b.get(arn) or '', b.get(arn)) or 'no flow'} "
                           f"(was {flows.get(a.get(arn) or '', a.get(arn)) or 'no flow'})", a.get(arn), b.get(arn)))
    if not unseen("phone numbers", old.phone_numbers, new.phone_numbers):
        before = {p.arn: p for p in old.phone_numbers or []}
        for p in new.phone_numbers or []:
            prev = before.pop(p.arn, None)
            if prev is None:
                add(Change("phone-number-claimed", Severity.MEDIUM, r, iid, p.arn,
                           f"phone number {shown(p.arn)} claimed on {label}"))
            elif prev.target_arn != p.target_arn:
                add(Change("phone-number-retargeted", Severity.HIGH, r, iid, p.arn,
                           f"phone number {shown(p.arn)} moved to another target", prev.target_arn, p.target_arn))
        for gone in before.values():
            add(Change("phone-number-released", Severity.MEDIUM, r, iid, gone.arn,
                       f"phone number {shown(gone.arn)} released from {label}"))


def _diff_auth_profiles(result: SnapshotDiff, region: RegionInventory, old: Instance, new: Instance, unseen) -> None:
    add = result.changes.append
    r, iid, label = region.region, new.id, new.alias or new.id
    if unseen("authentication profiles", old.authentication_profiles, new.authentication_profiles):
        return
    before = {p.id: p for p in old.authentication_profiles or []}
    for p in new.authentication_profiles or []:
        prev = before.get(p.id)
        if prev is None or not (prev.settings_seen and p.settings_seen):
            continue
        added, removed = _sets(prev.allowed_ips, p.allowed_ips)
        if added or removed:
            opened = bool(prev.allowed_ips) and not p.allowed_ips
            add(Change("ip-allow-list-changed", Severity.HIGH if opened else Severity.MEDIUM, r, iid, p.arn,
                       f"IP allow-list of authentication profile {p.name} on {label} "
                       + ("removed" if opened else f"changed (+{len(added)} -{len(removed)})"),
                       sorted(prev.allowed_ips), sorted(p.allowed_ips)))
        for attr in ("max_session_duration", "session_inactivity_duration", "session_inactivity_handling_enabled"):
            a, b = getattr(prev, attr), getattr(p, attr)
            if a != b:
                add(Change("session-setting-changed", Severity.LOW, r, iid, p.arn,
                           f"{attr} of authentication profile {p.name} on {label}: {a} -> {b}", a, b))


def _diff_storage(result: SnapshotDiff, region: RegionInventory, old: Instance, new: Instance, unseen) -> None:
    if old.storage_configs is None or new.storage_configs is None:
        return
    add = result.changes.append
    r, iid, label = region.region, new.id, new.alias or new.id
    for rtype in sorted(set(old.storage_configs) | set(new.storage_configs)):
        a, b = old.storage_configs.get(rtype), new.storage_configs.get(rtype)
        if a is None or b is None:
            continue
        keys_a = {c.association_id: c.kms_key_id for c in a}
        for c in b:
            if c.association_id in keys_a and keys_a[c.association_id] and not c.kms_key_id:
                add(Change("storage-encryption-removed", Severity.HIGH, r, iid,
                           f"{new.arn}/storage-config/{c.association_id}",
                           f"{rtype} storage on {label} no longer has a KMS key", keys_a[c.association_id], None))


def _diff_trails(result: SnapshotDiff, old: RegionInventory, new: RegionInventory) -> None:
    if old.trails is None or new.trails is None:
        return
    before = {t.arn: t for t in old.trails}
    for trail in new.trails:
        prev = before.get(trail.arn)
        if prev is not None and prev.is_logging is True and trail.is_logging is False:
            result.changes.append(Change("logging-turned-off", Severity.HIGH, new.region, "", trail.arn,
                                         f"CloudTrail trail {trail.name} stopped logging", True, False))
    now = {t.arn for t in new.trails}
    for arn, prev in before.items():
        if arn not in now:
            result.changes.append(Change("trail-removed", Severity.HIGH, new.region, "", arn,
                                         f"CloudTrail trail {prev.name} is gone"))


def _diff_saml(result: SnapshotDiff, old: Snapshot, new: Snapshot) -> None:
    if old.saml_providers is None or new.saml_providers is None:
        if old.saml_providers != new.saml_providers:
            result.not_compared.append("IAM SAML providers not seen in one snapshot")
        return
    added, removed = _sets((p.arn for p in old.saml_providers), (p.arn for p in new.saml_providers))
    for arn in sorted(added):
        result.changes.append(Change("saml-provider-added", Severity.HIGH, "global", "", arn,
                                     f"IAM SAML provider {arn} added"))
    for arn in sorted(removed):
        result.changes.append(Change("saml-provider-removed", Severity.MEDIUM, "global", "", arn,
                                     f"IAM SAML provider {arn} removed"))
