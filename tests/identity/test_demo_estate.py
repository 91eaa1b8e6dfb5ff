"""The checks over the simulated demo estate, collected by the real collector: failing somewhere, passing
somewhere, and UNKNOWN (never PASS) where the simulator denies the API."""

from collections import defaultdict

import pytest

from connectguard.audit.engine import run_audit
from connectguard.audit.registry import select_checks
from connectguard.conventions import Status

from identity.estate import collect_demo

MY_PRACTICES = ["least-privilege", "mfa", "identity-provider", "session-controls", "approved-origins"]
MY_CHECKS = {"agent-profile-user-management", "profile-self-escalation", "too-many-admins",
             "unused-security-profile", "unknown-permission-names", "mfa-not-enforced", "saml-provider-certificate",
             "saml-federation-role", "auth-profile-no-ip-allow-list", "auth-profile-session-too-long",
             "approved-origin-unsafe"}
# The demo world (src/connectguard/simulator/worlds.py, not ours) has no EXISTING_DIRECTORY instance on a
# directory with RADIUS Completed (so mfa-not-enforced never PASSes there) and no SAML certificate close to
# expiry (so saml-provider-certificate never FAILs there). identity.estate.complement_world supplies both.
FROM_COMPLEMENT = {("mfa-not-enforced", Status.PASS), ("saml-provider-certificate", Status.FAIL)}


@pytest.fixture(scope="module")
def demo_report():
    checks = [c for c in select_checks(MY_PRACTICES) if c.meta.id in MY_CHECKS]
    return run_audit(collect_demo(), None, checks)


@pytest.fixture(scope="module")
def complement_report():
    checks = [c for c in select_checks(MY_PRACTICES) if c.meta.id in MY_CHECKS]
    return run_audit(collect_demo("complement"), None, checks)


def test_every_check_fails_somewhere_and_passes_somewhere(demo_report, complement_report):
    statuses = defaultdict(set)
    for f in demo_report.findings:
        statuses[f.check].add(f.status)
    assert set(statuses) == MY_CHECKS
    for check in MY_CHECKS:
        for wanted in (Status.FAIL, Status.PASS):
            if (check, wanted) not in FROM_COMPLEMENT:
                assert wanted in statuses[check], (check, wanted)
    assert Status.MANUAL in statuses["mfa-not-enforced"]  # the SAML instance
    for check, wanted in FROM_COMPLEMENT:
        assert wanted in {f.status for f in complement_report.findings if f.check == check}, (check, wanted)


def test_radius_and_expiring_certificate_through_the_collector(complement_report):
    by_check = defaultdict(list)
    for f in complement_report.findings:
        by_check[f.check].append(f)
    [mfa_dir] = [f for f in by_check["mfa-not-enforced"] if f.status is Status.PASS]
    assert mfa_dir.evidence["radius_status"] == "Completed"
    assert mfa_dir.evidence["radius_authentication_protocol"] == "MS-CHAPv2"
    [cert] = by_check["saml-provider-certificate"]
    assert cert.status is Status.FAIL and cert.severity.value == "medium" and "ExpiringIdP" in cert.resource


def test_demo_findings_name_the_seeded_misconfigurations(demo_report):
    fails = [f for f in demo_report.findings if f.status is Status.FAIL]

    def messages(check):
        return " | ".join(f.message for f in fails if f.check == check)

    assert "AgentPlus" in messages("agent-profile-user-management")
    assert "TeamLeadPermissions" in messages("profile-self-escalation")
    assert "LegacyIVRTester" in messages("unused-security-profile")
    assert "FutureFeatures" in messages("unknown-permission-names")
    assert "ConnectSAMLFederationLegacy" in messages("saml-federation-role")
    origins = messages("approved-origin-unsafe")
    for bad in ("http://chat.acme.example", "https://*.acme.example", "http://localhost:3000", "https://203.0.113.10"):
        assert bad in origins
    [admins] = [f for f in fails if f.check == "too-many-admins"]
    assert admins.evidence["combined_only_users"]  # admin-equivalent only through two profiles
    assert admins.evidence["scoped_admin_equivalent_users"] >= 1  # the tag-scoped RegionalAdmin


def test_denied_apis_in_the_simulator_make_results_unknown():
    snap = collect_demo("denied")
    checks = [c for c in select_checks(MY_PRACTICES) if c.meta.id in MY_CHECKS]
    report = run_audit(snap, None, checks)
    by_check = defaultdict(list)
    for f in report.findings:
        by_check[f.check].append(f)
    for check in ("agent-profile-user-management", "profile-self-escalation", "unknown-permission-names",
                  "approved-origin-unsafe", "auth-profile-no-ip-allow-list", "auth-profile-session-too-long"):
        assert by_check[check], check
        assert all(f.status is Status.UNKNOWN for f in by_check[check]), check
        assert all("AccessDenied" in f.message for f in by_check[check]), check
    # With every profile's permissions hidden, admins cannot be counted: never a PASS.
    assert all(f.status is not Status.PASS for f in by_check["too-many-admins"])
