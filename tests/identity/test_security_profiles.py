"""[least-privilege] checks over hand-built snapshots: PASS, FAIL and UNKNOWN."""

from connectguard import connect_permissions as cp
from connectguard.conventions import Severity, Status

from identity.builders import audit, by_resource, denied, instance, profile, snapshot, user

ADMIN = ["BasicAgentAccess", "Users.Create", "Users.Edit", "Users.EditPermission", "Users.View",
         "SecurityProfiles.Create", "SecurityProfiles.Edit", "SecurityProfiles.View"]


def test_agent_profile_with_user_management_fails_with_a_least_privilege_diff():
    snap = snapshot(instance(
        security_profiles=[
            profile("agentplus", ["BasicAgentAccess", "OutboundCallAccess", "Users.Edit", "Users.View",
                                  "DeleteCallRecordings", "ManagerListenIn"]),
            profile("agent", ["BasicAgentAccess", "OutboundCallAccess", "ContactSearch.View"]),
            profile("analyst", ["AccessMetrics", "Users.View"]),  # not an agent profile
        ],
        users=[user("alice", "agentplus"), user("bob", "agent")],
    ))
    found = by_resource(audit(snap, "agent-profile-user-management"))
    bad = found["agentplus"]
    assert bad.status is Status.FAIL and bad.severity is Severity.HIGH
    assert bad.evidence["permissions"] == {"Users.Edit": [cp.PRIVILEGE_ESCALATION], "Users.View": [cp.USER_RECORD_ACCESS]}
    assert bad.evidence["users"] == ["alice"] and bad.evidence["scoping"]["scoped"] is False
    # The proposal drops user management and destructive permissions, keeps the agent's work and supervision.
    assert bad.evidence["proposed_permissions"] == ["BasicAgentAccess", "ManagerListenIn", "OutboundCallAccess"]
    diff = bad.evidence["proposed_diff"]
    assert "-Users.Edit" in diff and "-DeleteCallRecordings    # destructive" in diff
    assert not [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert diff in bad.remediation and "update-security-profile" in bad.remediation
    assert found["agent"].status is Status.PASS
    assert found["analyst"].status is Status.PASS and found["analyst"].evidence["agent_profile"] is False


def test_scoping_lowers_the_severity_and_is_said_in_the_evidence():
    snap = snapshot(instance(security_profiles=[
        profile("scoped", ["BasicAgentAccess", "Users.Edit"], hierarchy_restricted_resources=["User"],
                allowed_access_control_hierarchy_group_id="hg-1"),
    ], users=[user("u1", "scoped")]))
    [f] = audit(snap, "agent-profile-user-management")
    assert f.status is Status.FAIL and f.severity is Severity.MEDIUM
    assert f.evidence["scoping"]["scoped"] is True and "resource scoping" in f.message


def test_unseen_scoping_is_treated_as_unscoped():
    snap = snapshot(instance(security_profiles=[
        profile("p", ["BasicAgentAccess", "Users.Edit"], allowed_access_control_tags={"a": "b"}, scoping_seen=False),
    ]))
    [f] = audit(snap, "agent-profile-user-management")
    assert f.severity is Severity.HIGH and f.evidence["scoping"]["scoping_seen"] is False


def test_denied_permission_list_is_unknown_and_quotes_the_error():
    p = profile("hidden", None)
    snap = snapshot(instance(security_profiles=[p, profile("ok", ["BasicAgentAccess"])]),
                    errors=[denied("ListSecurityProfilePermissions", "security_profile.permissions",
                                   instance_id="inst-1", resource=p.arn)])
    for check in ("agent-profile-user-management", "profile-self-escalation", "unknown-permission-names"):
        found = by_resource(audit(snap, check))
        assert found["hidden"].status is Status.UNKNOWN, check
        assert "AccessDeniedException" in found["hidden"].message
        assert found["ok"].status is Status.PASS


def test_denied_profile_listing_makes_every_least_privilege_check_unknown():
    snap = snapshot(instance(security_profiles=None),
                    errors=[denied("ListSecurityProfiles", "instance.security_profiles", instance_id="inst-1")])
    for check in ("agent-profile-user-management", "profile-self-escalation", "too-many-admins",
                  "unused-security-profile", "unknown-permission-names"):
        [f] = audit(snap, check)
        assert f.status is Status.UNKNOWN and "ListSecurityProfiles" in f.message, check


def test_non_admin_profile_that_can_grant_permissions_fails():
    snap = snapshot(instance(security_profiles=[
        profile("teamlead", ["BasicAgentAccess", "Users.View", "Users.EditPermission"]),
        profile("editor", ["SecurityProfiles.Edit", "SecurityProfiles.View"]),
        profile("admin", ADMIN),
        profile("plain", ["BasicAgentAccess"]),
    ], users=[user("t", "teamlead")]))
    found = by_resource(audit(snap, "profile-self-escalation"))
    assert found["teamlead"].status is Status.FAIL and "Admin included" in found["teamlead"].message
    assert found["teamlead"].evidence["proposed_permissions"] == ["BasicAgentAccess", "Users.View"]
    assert found["editor"].status is Status.FAIL and "add any permission" in found["editor"].message
    assert found["admin"].status is Status.PASS and found["admin"].evidence["admin_equivalent"] is True
    assert found["plain"].status is Status.PASS


def _admins_snapshot(n_full: int, *, combined: bool = False, scoped: int = 0, unseen: int = 0):
    profiles = [profile("admin", ADMIN), profile("ep", ["Users.EditPermission"]),
                profile("spe", ["SecurityProfiles.Edit"]),
                profile("tagadmin", ADMIN, allowed_access_control_tags={"Region": "EMEA"},
                        tag_restricted_resources=["User"]),
                profile("hidden", None)]
    users = [user(f"admin{i}", "admin") for i in range(n_full)]
    if combined:
        users.append(user("combo", "ep", "spe"))
    users += [user(f"scoped{i}", "tagadmin") for i in range(scoped)]
    users += [user(f"unseen{i}", "hidden") for i in range(unseen)]
    return snapshot(instance(security_profiles=profiles, users=users))


def test_admin_count_includes_users_admin_only_through_two_profiles():
    [f] = audit(_admins_snapshot(3, combined=True), "too-many-admins")
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert f.evidence["admin_equivalent_users"] == 4 and f.evidence["combined_only_users"] == ["combo"]
    combo = [u for u in f.evidence["users"] if u["username"] == "combo"][0]
    assert combo["admin_through"] == "combination of profiles" and combo["profiles"] == ["ep", "spe"]
    assert combo["admin_permissions"] == {"Users.EditPermission": ["ep"], "SecurityProfiles.Edit": ["spe"]}
    [f] = audit(_admins_snapshot(3), "too-many-admins")
    assert f.status is Status.PASS


def test_admin_limit_is_configurable():
    [f] = audit(_admins_snapshot(3), "too-many-admins", {"audit": {"admin_limit": 2}})
    assert f.status is Status.FAIL and f.evidence["limit"] == 2


def test_scoped_admins_exceeding_the_limit_fail_at_lower_severity():
    [f] = audit(_admins_snapshot(2, scoped=2), "too-many-admins")
    assert f.status is Status.FAIL and f.severity is Severity.MEDIUM
    assert f.evidence["scoped_admin_equivalent_users"] == 2 and "resource-scoped" in f.message


def test_admin_count_is_unknown_when_unseen_profiles_could_decide_it():
    [f] = audit(_admins_snapshot(3, unseen=1), "too-many-admins")
    assert f.status is Status.UNKNOWN and f.evidence["undetermined"] == ["unseen0"]
    [f] = audit(_admins_snapshot(4, unseen=1), "too-many-admins")  # already over: decided
    assert f.status is Status.FAIL


def test_admin_count_unknown_when_users_denied():
    snap = snapshot(instance(security_profiles=[profile("admin", ADMIN)], users=None),
                    errors=[denied("SearchUsers", "instance.users", instance_id="inst-1")])
    [f] = audit(snap, "too-many-admins")
    assert f.status is Status.UNKNOWN and "SearchUsers" in f.message
    [f] = audit(snap, "unused-security-profile")
    assert f.status is Status.UNKNOWN


def test_unused_profile_is_low_hygiene_finding():
    snap = snapshot(instance(security_profiles=[profile("used", ["BasicAgentAccess"]), profile("legacy", [])],
                             users=[user("u", "used")]))
    found = by_resource(audit(snap, "unused-security-profile"))
    assert found["legacy"].status is Status.FAIL and found["legacy"].severity is Severity.LOW
    assert found["used"].status is Status.PASS


def test_unknown_permission_names_are_reported_not_ignored():
    snap = snapshot(instance(security_profiles=[
        profile("pilot", ["BasicAgentAccess", "Users.Edt", "FancyNewThing.Access"]),
        profile("fine", ["BasicAgentAccess", "EvaluationReviews.Anything"]),  # a documented family prefix
    ]))
    found = by_resource(audit(snap, "unknown-permission-names"))
    assert found["pilot"].status is Status.FAIL
    assert found["pilot"].evidence["unknown_permissions"] == ["FancyNewThing.Access", "Users.Edt"]
    assert found["pilot"].evidence["proposed_permissions"] == ["BasicAgentAccess"]
    assert found["fine"].status is Status.PASS
