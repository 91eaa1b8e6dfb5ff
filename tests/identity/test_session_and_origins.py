"""[session-controls] authentication profiles and [approved-origins]."""

import pytest

from connectguard.checks.approved_origins import origin_problems
from connectguard.conventions import Severity, Status
from connectguard.inventory.model import AuthenticationProfile

from identity.builders import INSTANCE_ARN, audit, by_resource, denied, instance, snapshot


def _auth(pid, **kw):
    return AuthenticationProfile(id=pid, arn=f"{INSTANCE_ARN}/authentication-profile/{pid}", name=pid, **kw)


GOOD = dict(allowed_ips=["203.0.113.0/24"], max_session_duration=480, session_inactivity_handling_enabled=True,
            session_inactivity_duration=30)


def test_session_limits():
    snap = snapshot(instance(authentication_profiles=[
        _auth("good", **GOOD),
        _auth("long", **{**GOOD, "max_session_duration": 720}),
        _auth("noidle", **{**GOOD, "session_inactivity_handling_enabled": False}),
        _auth("slowidle", **{**GOOD, "session_inactivity_duration": 60}),
        _auth("partial", allowed_ips=["203.0.113.0/24"], max_session_duration=None,
              session_inactivity_handling_enabled=True, session_inactivity_duration=15),
    ]))
    found = by_resource(audit(snap, "auth-profile-session-too-long"))
    assert found["good"].status is Status.PASS
    assert found["long"].status is Status.FAIL and "720 min" in found["long"].message
    assert found["noidle"].status is Status.FAIL and "never signed out" in found["noidle"].message
    assert found["slowidle"].status is Status.FAIL
    assert found["partial"].status is Status.UNKNOWN
    found = by_resource(audit(snap, "auth-profile-session-too-long",
                              {"audit": {"max_session_minutes": 720, "max_inactivity_minutes": 60}}))
    assert found["long"].status is Status.PASS and found["slowidle"].status is Status.PASS


def test_ip_allow_list_advisory_unless_required():
    snap = snapshot(instance(authentication_profiles=[_auth("open", **{**GOOD, "allowed_ips": []}),
                                                      _auth("closed", **GOOD)]))
    found = by_resource(audit(snap, "auth-profile-no-ip-allow-list"))
    assert found["open"].status is Status.FAIL and found["open"].severity is Severity.LOW
    assert found["closed"].status is Status.PASS
    found = by_resource(audit(snap, "auth-profile-no-ip-allow-list", {"audit": {"require_ip_allow_list": True}}))
    assert found["open"].severity is Severity.MEDIUM


def test_auth_profiles_unknown_when_denied():
    snap = snapshot(instance(authentication_profiles=None),
                    errors=[denied("ListAuthenticationProfiles", "instance.authentication_profiles",
                                   instance_id="inst-1")])
    for check in ("auth-profile-no-ip-allow-list", "auth-profile-session-too-long"):
        [f] = audit(snap, check)
        assert f.status is Status.UNKNOWN and "ListAuthenticationProfiles" in f.message
    snap = snapshot(instance(authentication_profiles=[_auth("p", settings_seen=False)]),
                    errors=[denied("DescribeAuthenticationProfile", "authentication_profile", instance_id="inst-1")])
    [f] = audit(snap, "auth-profile-session-too-long")
    assert f.status is Status.UNKNOWN and "DescribeAuthenticationProfile" in f.message


@pytest.mark.parametrize("origin, fragment, severity", [
    ("http://agents.example.com", "not https", Severity.HIGH),
    ("https://*.example.com", "wildcard", Severity.HIGH),
    ("https://localhost:3000", "localhost", Severity.MEDIUM),
    ("https://app.localhost", "localhost", Severity.MEDIUM),
    ("https://203.0.113.10", "raw IP", Severity.MEDIUM),
    ("https://[2001:db8::1]", "raw IP", Severity.MEDIUM),
    ("https://agents.example.com/path?q=1", "path or query", Severity.LOW),
])
def test_unsafe_origins(origin, fragment, severity):
    problems = origin_problems(origin)
    assert any(fragment in p for p, _ in problems), problems
    assert max((s for _, s in problems), key=lambda s: s.rank) is severity


def test_exact_https_origin_is_fine():
    assert origin_problems("https://agents.example.com") == []
    assert origin_problems("https://agents.example.com:8443/") == []


def test_origins_check_results():
    snap = snapshot(instance(approved_origins=["https://agents.example.com", "http://localhost:8080"]))
    found = {f.evidence.get("origin"): f for f in audit(snap, "approved-origin-unsafe")}
    assert found["https://agents.example.com"].status is Status.PASS
    bad = found["http://localhost:8080"]
    assert bad.status is Status.FAIL and bad.severity is Severity.HIGH and "disassociate-approved-origin" in bad.remediation
    [f] = audit(snapshot(instance(approved_origins=[])), "approved-origin-unsafe")
    assert f.status is Status.PASS
    snap = snapshot(instance(approved_origins=None), errors=[denied("ListApprovedOrigins", "instance.approved_origins",
                                                                    instance_id="inst-1")])
    [f] = audit(snap, "approved-origin-unsafe")
    assert f.status is Status.UNKNOWN and "ListApprovedOrigins" in f.message
