"""Faults injected in the simulator: the snapshot is still complete, each failure is recorded
against what it hid, and the audit turns what was hidden into UNKNOWN, never PASS."""

from __future__ import annotations

import boto3
from collectkit import collect, faults, small_instance

from connectguard.audit.engine import run_audit
from connectguard.collect.caller import AwsReader
from connectguard.collect.regional import collect_bucket
from connectguard.config import AuditConfig, Config
from connectguard.conventions import Status
from connectguard.inventory.model import HIDES, Snapshot

REGION = "us-east-1"


def _no_check_crashed(report) -> None:
    crashed = [f for f in report.findings if f.message.startswith("check ") and " failed: " in f.message]
    assert crashed == []


def _instances(estate):
    return [small_instance(estate, REGION)]


def collect_small(estate, **options):
    return collect(estate, regions=[REGION], instance_ids=[small_instance(estate, REGION).id], **options)


def _errors_are_well_formed(snap: Snapshot) -> None:
    for err in snap.errors:
        assert err.hides in HIDES
        assert err.region is not None


def test_throttling_bursts_are_absorbed_by_retries(estate) -> None:
    with faults(estate) as sim:
        sim.throttle("SearchUsers", times=3)
        sim.throttle("ListSecurityProfilePermissions", times=4)
        snap = collect_small(estate, max_attempts=8)
    assert snap.errors == []
    assert snap.stats.throttled["connect:SearchUsers"] == 3
    assert snap.stats.throttled["connect:ListSecurityProfilePermissions"] == 4
    for inst in _instances(estate):
        collected = next(i for _r, i in snap.instances() if i.id == inst.id)
        assert len(collected.users) == len(inst.users)
        assert all(p.permissions is not None for p in collected.security_profiles)


def test_persistent_throttling_is_recorded_after_bounded_attempts(estate) -> None:
    with faults(estate) as sim:
        sim.throttle("ListQueues")
        snap = collect_small(estate, max_attempts=3)
        calls = sim.calls["ListQueues"]
    instances = _instances(estate)
    errors = [e for e in snap.errors if e.operation == "ListQueues"]
    assert {e.instance_id for e in errors} == {i.id for i in instances}
    assert all(e.hides == "instance.queues" and e.code == "ThrottlingException" and e.attempts == 3 for e in errors)
    assert calls == 3 * len(instances)  # bounded: exactly max_attempts each
    assert all(i.queues is None for _r, i in snap.instances())
    assert all(i.users is not None for _r, i in snap.instances())  # the rest is complete


def test_denied_attributes_make_flow_logging_unknown(estate) -> None:
    with faults(estate) as sim:
        sim.deny("ListInstanceAttributes")
        snap = collect_small(estate)
    _errors_are_well_formed(snap)
    assert {(e.instance_id, e.hides, e.code) for e in snap.errors} == {
        (i.id, "instance.attributes", "AccessDeniedException") for i in _instances(estate)}
    report = run_audit(snap)
    _no_check_crashed(report)
    for _r, inst in snap.instances():
        assert inst.attributes is None
        statuses = {f.status for f in report.findings if f.check == "flow-logs-disabled" and f.resource == inst.arn}
        assert statuses == {Status.UNKNOWN}


def test_one_denied_profile_hides_only_that_profile(estate) -> None:
    target = _instances(estate)[0]
    profile = max(target.security_profiles, key=lambda p: len(p.permissions))  # the most powerful one
    with faults(estate) as sim:
        sim.deny("ListSecurityProfilePermissions", resource_ids=[profile.id])
        snap = collect_small(estate)
    inst = next(i for _r, i in snap.instances() if i.id == target.id)
    seen = {p.id: p for p in inst.security_profiles}
    assert seen[profile.id].permissions is None
    assert all(p.permissions is not None for pid, p in seen.items() if pid != profile.id)
    [err] = snap.errors
    assert (err.hides, err.resource, err.instance_id) == ("security_profile.permissions", seen[profile.id].arn,
                                                          target.id)
    report = run_audit(snap)
    _no_check_crashed(report)
    # Nothing that reads that profile's permissions, or the admin count they feed, may pass unseen.
    permission_checks = {"profile-self-escalation", "agent-profile-user-management", "unknown-permission-names"}
    for f in report.findings:
        if f.resource == seen[profile.id].arn and f.check in permission_checks:
            assert f.status != Status.PASS, f
    # With a limit the hidden profile's holders could exceed, the admin count is undecidable: UNKNOWN.
    holders = sum(profile.id in u.security_profile_ids for u in target.users)
    assert holders >= 1
    config = Config(audit=AuditConfig(admin_limit=holders - 1))
    admins = [f for f in run_audit(snap, config).findings if f.check == "too-many-admins" and f.resource == inst.arn]
    assert [f.status for f in admins] == [Status.UNKNOWN]


def test_server_errors_are_recorded_and_the_rest_is_collected(estate) -> None:
    with faults(estate) as sim:
        sim.fail("SearchUsers", status=500)
        sim.fail("DescribeSecurityProfile", status=503, times=2)  # transient: recovers
        snap = collect_small(estate)
    errors = [e for e in snap.errors]
    assert {e.operation for e in errors} == {"SearchUsers"}
    assert all(e.http_status == 500 and e.attempts == 3 and e.hides == "instance.users" for e in errors)
    for _r, inst in snap.instances():
        assert inst.users is None
        assert all(p.scoping_seen for p in inst.security_profiles)
    report = run_audit(snap)
    _no_check_crashed(report)
    for _r, inst in snap.instances():
        for f in report.findings:
            if f.check == "too-many-admins" and f.resource == inst.arn:
                assert f.status == Status.UNKNOWN


def test_denied_list_instances_hides_the_region(estate) -> None:
    with faults(estate) as sim:
        sim.deny("ListInstances")
        snap = collect_small(estate)
    [inv] = snap.regions
    assert inv.instances is None
    [err] = [e for e in snap.errors if e.hides == "instances"]
    assert err.region == REGION and err.code == "AccessDeniedException"
    report = run_audit(snap)
    _no_check_crashed(report)
    hidden = {i.arn for _r, i in snap.instances()} | {f"instance/{i.id}" for i in _instances(estate)}
    for f in report.findings:
        assert not (f.status == Status.PASS and any(h in f.resource for h in hidden))
    assert any(f.status == Status.UNKNOWN and f.practice.value == "flow-logging" for f in report.findings)


def test_a_missing_bucket_is_one_error_not_eight(estate) -> None:
    trail_bucket = next(t.bucket for r in estate.world.regions.values() for t in r.trails)
    reader = AwsReader(boto3.Session(), max_rps=500)
    gone = collect_bucket(reader, "connectguard-no-such-bucket-123", REGION)
    assert (gone.versioning, gone.encryption, gone.policy) == (None, None, None)
    [err] = reader.errors
    assert (err.code, err.hides, err.resource) == ("NoSuchBucket", "s3_bucket", "connectguard-no-such-bucket-123")
    present = collect_bucket(reader, trail_bucket, REGION)
    assert present.versioning is not None and len(reader.errors) == 1
