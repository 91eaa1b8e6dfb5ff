"""The collector turns a simulated estate into a snapshot that matches the world it was seeded from.

Expectations come from the world object (and the estate's id map), not from numbers.
"""

from __future__ import annotations

import json

import pytest
from collectkit import collect

from connectguard.collect.catalogue import CATALOGUE, required_policy
from connectguard.collect.privacy import key_fingerprint, mask_phone_number, mask_username, scrub_text
from connectguard.inventory.model import Snapshot


@pytest.fixture(scope="module")
def snapshot(estate) -> Snapshot:
    return collect(estate, org_role=estate.ids["organization"]["reader_role"])


def _instance(snapshot: Snapshot, instance_id: str):
    for _region, inst in snapshot.instances():
        if inst.id == instance_id:
            return inst
    raise AssertionError(f"instance {instance_id} not collected")


def test_complete_run_records_no_errors(snapshot: Snapshot) -> None:
    assert snapshot.errors == []
    assert snapshot.account_id == "123456789012"
    assert sum(snapshot.stats.calls.values()) > 0


def test_instances_match_the_world(snapshot: Snapshot, estate) -> None:
    world = estate.world
    got = {(r.region, i.id) for r, i in snapshot.instances()}
    assert got == {(region, inst.id) for region, inst in world.instances()}
    for _region, w in world.instances():
        inst = _instance(snapshot, w.id)
        assert inst.alias == w.alias
        assert inst.identity_management_type == w.identity_management_type
        assert inst.attributes == w.attributes
        assert inst.tags == w.tags


def test_users_and_security_profiles_match_the_world(snapshot: Snapshot, estate) -> None:
    for _region, w in estate.world.instances():
        inst = _instance(snapshot, w.id)
        users = {u.id: u for u in inst.users}
        assert set(users) == {u.id for u in w.users}
        for wu in w.users:
            assert users[wu.id].security_profile_ids == wu.security_profile_ids
            assert users[wu.id].routing_profile_id == wu.routing_profile_id
            assert users[wu.id].username == mask_username(wu.username)
        profiles = {p.id: p for p in inst.security_profiles}
        assert set(profiles) == {p.id for p in w.security_profiles}
        for wp in w.security_profiles:
            p = profiles[wp.id]
            assert p.name == wp.name
            assert p.permissions == sorted(set(wp.permissions))
            assert p.allowed_access_control_tags == wp.allowed_access_control_tags
            assert p.hierarchy_restricted_resources == wp.hierarchy_restricted_resources
            assert p.allowed_access_control_hierarchy_group_id == wp.allowed_access_control_hierarchy_group_id
            assert sorted(a["Namespace"] for a in p.applications) == sorted(a.namespace for a in wp.applications)
            assert sorted(p.allowed_flow_modules) == sorted(wp.flow_module_ids)
            assert p.scoping_seen


def test_flows_and_modules_carry_their_content(snapshot: Snapshot, estate) -> None:
    for _region, w in estate.world.instances():
        inst = _instance(snapshot, w.id)
        flows = {f.id: f for f in inst.flows}
        assert set(flows) == {f.id for f in w.flows}
        for wf in w.flows:
            f = flows[wf.id]
            assert (f.type, f.state, f.status) == (wf.type, wf.state, wf.status)
            expected = scrub_text(wf.content_string())
            try:
                assert json.loads(f.content) == json.loads(expected)
            except ValueError:  # deliberately malformed content travels as it is
                assert f.content == expected
        modules = {m.id: m for m in inst.flow_modules}
        assert set(modules) == {m.id for m in w.flow_modules}
        for wm in w.flow_modules:
            assert modules[wm.id].content is not None


def test_instance_settings_match_the_world(snapshot: Snapshot, estate) -> None:
    for _region, w in estate.world.instances():
        inst = _instance(snapshot, w.id)
        for rtype in {c.resource_type for c in w.storage_configs}:
            want = {c.association_id: c for c in w.storage_configs if c.resource_type == rtype}
            got = {c.association_id: c for c in inst.storage_configs[rtype]}
            assert set(got) == set(want)
            for aid, wc in want.items():
                assert got[aid].storage_type == wc.storage_type
                assert got[aid].s3_bucket == wc.bucket_name
                assert (got[aid].kms_key_id is None) == (wc.kms_key is None)
        assert {q.id for q in inst.queues} == {q.id for q in w.queues}
        assert {(q.id, q.type) for q in inst.quick_connects} == {(q.id, q.type) for q in w.quick_connects}
        assert sorted(inst.approved_origins) == sorted(w.approved_origins)
        assert sorted(inst.lambda_functions) == sorted(w.lambda_functions)
        assert sorted(k.key_sha256 for k in inst.security_keys) == sorted(key_fingerprint(k.key) for k in w.security_keys)
        auth = {a.id: a for a in inst.authentication_profiles}
        for wa in w.authentication_profiles:
            a = auth[wa.id]
            assert (a.allowed_ips, a.max_session_duration, a.session_inactivity_duration) == (
                wa.allowed_ips, wa.max_session_duration, wa.session_inactivity_duration)
        numbers = {n.id: n for n in inst.phone_numbers}
        assert set(numbers) == {n.id for n in w.phone_numbers}
        flows_by_id = {f.id: f.arn for f in inst.flows}
        for wn in w.phone_numbers:
            assert numbers[wn.id].number_masked == mask_phone_number(wn.number)
            if wn.flow_id:
                assert inst.flow_associations[numbers[wn.id].arn] == flows_by_id[wn.flow_id]
        assert {a.id for a in inst.integration_associations} == {a.id for a in w.integration_associations}


def test_regional_context_matches_the_world(snapshot: Snapshot, estate) -> None:
    regions = {r.region: r for r in snapshot.regions}
    for name, w in estate.world.regions.items():
        inv = regions[name]
        dirs = {d.name: d for d in inv.directories}
        for wd in w.directories:
            assert dirs[wd.name].type == wd.type
            assert (dirs[wd.name].radius.status == "Completed") == (wd.radius is not None)
        assert {t.name for t in w.trails} <= {t.name for t in inv.trails}
        trails = {t.name: t for t in inv.trails}
        for wt in w.trails:
            assert trails[wt.name].is_logging == wt.logging
            assert trails[wt.name].log_file_validation == wt.log_file_validation
        groups = {g.name: g for g in inv.log_groups}
        for wg in w.log_groups:
            if wg.name.startswith("/aws/connect/"):
                assert groups[wg.name].retention_days == wg.retention_days
                assert {f.name for f in groups[wg.name].metric_filters} == {f["name"] for f in wg.metric_filters}
        assert {a.name for a in w.alarms if a.namespace == "AWS/Connect"} <= {a.name for a in inv.alarms}
        for wf in w.lambda_functions:
            referenced = any(wf.name in arn for _r, i in estate.world.instances() for arn in i.lambda_functions)
            if referenced:
                assert wf.name in {f.name for r in snapshot.regions for f in r.lambda_functions}


def test_account_context_matches_the_world(snapshot: Snapshot, estate) -> None:
    world = estate.world
    roles = {p.name: p for p in snapshot.iam.principals if p.kind == "role"}
    for wr in world.iam.roles:
        assert roles[wr.name].trust_policy == wr.trust_policy
        assert {i.name: i.document for i in roles[wr.name].inline_policies} == wr.inline_policies
    assert {p.entity_id for p in snapshot.saml_providers} == {p.entity_id for p in world.iam.saml_providers}
    assert all(p.signing_certificates_not_after for p in snapshot.saml_providers)
    org = snapshot.organization
    assert org.management_account_id == world.organization.management_account_id
    assert org.is_management_account is False
    chain = org.scp_chain
    assert [lvl.target_type for lvl in chain][0] == "ROOT" and chain[-1].target_type == "ACCOUNT"
    attached = {name for lvl in chain for name in (p.name for p in lvl.policies or [])}
    assert {s.name for s in world.organization.scps} <= attached
    for lvl in chain:
        for p in lvl.policies:
            wanted = next((s for s in world.organization.scps if s.name == p.name), None)
            if wanted is not None:
                assert p.content == wanted.document


def test_buckets_named_by_storage_and_trails_are_read(snapshot: Snapshot, estate) -> None:
    named = {c.bucket_name for _r, i in estate.world.instances() for c in i.storage_configs if c.bucket_name}
    named |= {t.bucket for r in estate.world.regions.values() for t in r.trails}
    got = {b.name: b for b in snapshot.s3_buckets}
    assert named <= set(got)
    for wb in estate.world.buckets:
        if wb.name in got:
            b = got[wb.name]
            assert (b.versioning == "Enabled") == wb.versioning
            assert b.object_lock == wb.object_lock
            assert bool(b.lifecycle_rules) == (wb.lifecycle_days is not None)
            assert (b.policy != {}) == (wb.policy is not None)


def test_snapshot_holds_no_phone_number_email_name_or_secret(snapshot: Snapshot, estate) -> None:
    text = snapshot.model_dump_json()
    for _region, w in estate.world.instances():
        for u in w.users:
            for value in (u.email, u.mobile):
                if value:
                    assert value not in text
            if u.first_name and u.last_name:
                assert f"{u.first_name} {u.last_name}" not in text
                assert f'"{u.first_name}"' not in text
        for n in w.phone_numbers:
            assert n.number not in text and n.number.lstrip("+") not in text
        for q in w.quick_connects:
            if q.phone_number:
                assert q.phone_number not in text
        for k in w.security_keys:
            body = "".join(k.key.strip().splitlines()[1:-1])
            assert body[:40] not in text
    for r in estate.world.regions.values():
        for d in r.directories:
            if d.radius:
                assert d.radius.shared_secret not in text
    assert "SharedSecret" not in text and "IdentityInfo" not in text


def test_every_call_made_is_allowed_by_the_printed_policy(snapshot: Snapshot, estate) -> None:
    role = estate.ids["organization"]["reader_role"]
    policy = required_policy(role)
    allowed = {a for st in policy["Statement"] if st["Effect"] == "Allow" for a in st["Action"]}
    denied = {a for st in policy["Statement"] if st["Effect"] == "Deny" for a in st["Action"]}
    assert "sts:AssumeRole" in snapshot.stats.calls  # the --org-role path was exercised
    for key in snapshot.stats.calls:
        service, operation = key.split(":", 1)
        action = CATALOGUE[(service, operation)].action
        assert action in allowed and action not in denied, key
    assert any(k.startswith("organizations:") for k in snapshot.stats.calls)


def test_connect_calls_are_counted_like_the_server_counts_them(estate) -> None:
    from collectkit import faults, small_instance

    with faults(estate) as sim:
        snap = collect(estate, regions=["us-east-1"], instance_ids=[small_instance(estate).id])
        ours = {k.split(":", 1)[1]: v for k, v in snap.stats.calls.items() if k.startswith("connect:")}
        assert ours == dict(sim.calls)
