"""The [deletion-guardrails] checks over snapshots built in the test."""

from __future__ import annotations

from connectguard.audit.engine import run_audit
from connectguard.audit.registry import all_checks
from connectguard.config import Config
from connectguard.conventions import Status
from connectguard.inventory.model import CollectionError, OrganizationContext, ScpLevel

from .estate import (
    ACCOUNT,
    SAML_PROVIDER,
    admin_role,
    chain,
    deny,
    directory,
    full,
    iam,
    instance,
    instance_arn,
    org,
    policy_doc,
    role_arn,
    scp,
    signin_role,
    snapshot,
)

SIGNIN_ACTIONS = ["iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy", "iam:DetachRolePolicy"]


def findings(snap, check_id, config=None):
    checks = [c for c in all_checks() if c.meta.id == check_id]
    assert checks, check_id
    return {f.resource: f for f in run_audit(snap, config or Config(), checks).findings}


def bg_config(*patterns):
    return Config.model_validate({"audit": {"break_glass_principals": list(patterns)}})


def guarded(*statements, where="ou"):
    policy = scp("p-guard", policy_doc(*statements), "connect-guardrails")
    return org(chain(**{where: [full(), policy]}))


def test_one_instance_protected_the_other_not():
    organization = guarded(deny("DenyDelete", ["connect:DeleteInstance"], [instance_arn("i-prod")]))
    got = findings(snapshot([instance("i-prod"), instance("i-test")], organization), "instance-deletion-not-denied")
    prod, test = got[instance_arn("i-prod")], got[instance_arn("i-test")]
    assert prod.status is Status.PASS
    denial = prod.evidence["protections"][0]["denied_by"][0]
    assert (denial["policy"], denial["sid"], denial["layer"]) == (
        "connect-guardrails (p-guard)", "DenyDelete", "OU ou-ab12-contact (ContactCenters)")
    assert test.status is Status.FAIL
    assert "nothing in the SCP chain denies it" in test.message
    assert prod.evidence["scp_chain"][0].startswith("root r-ab12")


def test_wildcards_and_implicit_deny_protect():
    wildcard = guarded(deny("DenyConnectDeletes", ["Connect:Delete*"], ["arn:aws:connect:*:*:instance/*"]),
                       where="root")
    assert findings(snapshot([instance("i-1")], wildcard), "instance-deletion-not-denied")[
        instance_arn("i-1")].status is Status.PASS
    # An allow-list at the OU that does not include connect:DeleteInstance denies it implicitly.
    allow_list = scp("p-allow", policy_doc({"Effect": "Allow", "Action": ["connect:Describe*", "s3:*"],
                                            "Resource": "*"}), "allow-list")
    got = findings(snapshot([instance("i-1")], org(chain(ou=[allow_list]))), "instance-deletion-not-denied")
    f = got[instance_arn("i-1")]
    assert f.status is Status.PASS
    assert f.evidence["protections"][0]["denied_by"][0]["implicit"] is True


def test_misspelled_action_and_other_instance_protect_nothing():
    typo = guarded(deny("Typo", ["connect:DeleteInstances"], [instance_arn("i-1")]))
    f = findings(snapshot([instance("i-1")], typo), "instance-deletion-not-denied")[instance_arn("i-1")]
    assert f.status is Status.FAIL
    assert "did you mean connect:DeleteInstance?" in f.evidence["notes"][0]
    not_action = guarded({"Sid": "AllButDescribe", "Effect": "Deny", "NotAction": "connect:DeleteInstance",
                          "Resource": "*"})
    assert findings(snapshot([instance("i-1")], not_action), "instance-deletion-not-denied")[
        instance_arn("i-1")].status is Status.FAIL


def test_break_glass_exception_passes_only_when_configured():
    statement = deny("DenyDelete", ["connect:DeleteInstance"], [instance_arn("i-1")],
                     {"ArnNotLike": {"aws:PrincipalArn": role_arn("BreakGlass")}})
    snap = snapshot([instance("i-1")], guarded(statement), iam(admin_role(), admin_role("BreakGlass")))
    passing = findings(snap, "instance-deletion-not-denied", bg_config(role_arn("BreakGlass")))[instance_arn("i-1")]
    assert passing.status is Status.PASS
    assert passing.evidence["protections"][0]["break_glass_exempt"] == [role_arn("BreakGlass")]
    failing = findings(snap, "instance-deletion-not-denied")[instance_arn("i-1")]
    assert failing.status is Status.FAIL
    assert [e["principal"] for e in failing.evidence["protections"][0]["not_denied_for"]] == [role_arn("BreakGlass")]


def test_exception_wider_than_break_glass_list_fails():
    statement = deny("DenyDelete", ["connect:DeleteInstance"], [instance_arn("i-1")],
                     {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Admin*"}})
    snap = snapshot([instance("i-1")], guarded(statement), iam(admin_role("AdminBreakGlass"), admin_role("AdminDev")))
    f = findings(snap, "instance-deletion-not-denied", bg_config(role_arn("AdminBreakGlass")))[instance_arn("i-1")]
    assert f.status is Status.FAIL
    assert [e["principal"] for e in f.evidence["protections"][0]["not_denied_for"]] == [role_arn("AdminDev")]


def test_deny_naming_only_todays_principals_misses_future_ones():
    statement = deny("DenyDelete", ["connect:DeleteInstance"], [instance_arn("i-1")],
                     {"ArnLike": {"aws:PrincipalArn": [role_arn("Admin"), f"arn:aws:iam::{ACCOUNT}:root"]}})
    f = findings(snapshot([instance("i-1")], guarded(statement)), "instance-deletion-not-denied")[instance_arn("i-1")]
    assert f.status is Status.FAIL
    assert f.evidence["protections"][0]["not_denied_for"][0]["who"] == "any principal created later (synthetic)"


def test_conditional_deny_is_reported_as_fail_with_the_condition():
    statement = deny("DenyUnlessPlatform", ["connect:DeleteInstance"], [instance_arn("i-1")],
                     {"StringNotEquals": {"aws:PrincipalTag/team": "platform"}})
    f = findings(snapshot([instance("i-1")], guarded(statement)), "instance-deletion-not-denied")[instance_arn("i-1")]
    assert f.status is Status.FAIL
    assert "conditional protection is not protection" in f.message
    entry = f.evidence["protections"][0]["not_denied_for"][0]
    assert entry["decision"] == "Conditional"
    assert entry["depends_on"] == ["aws:PrincipalTag/team"]
    assert entry["conditional_denies"][0]["sid"] == "DenyUnlessPlatform"


def test_management_account_fails_whatever_the_policies_say():
    organization = org(chain(root=[full(), scp("p-guard", policy_doc(
        deny("D", ["connect:DeleteInstance"], ["*"])))]), management=True)
    f = findings(snapshot([instance("i-1")], organization), "instance-deletion-not-denied")[instance_arn("i-1")]
    assert f.status is Status.FAIL
    assert "management account" in f.message


def test_unreadable_chain_is_unknown_with_the_flag_that_fixes_it():
    organization = OrganizationContext(organization_id="o-example12", management_account_id="999988887777",
                                       is_management_account=False, scp_enabled=True, scp_chain=None)
    snap = snapshot([instance("i-1")], organization)
    snap.errors.append(CollectionError(service="organizations", operation="ListParents", hides="organization",
                                       code="AccessDeniedException", message="not authorized"))
    f = findings(snap, "instance-deletion-not-denied")[instance_arn("i-1")]
    assert f.status is Status.UNKNOWN
    assert "--org-role" in f.remediation
    assert f.evidence["collection_errors"][0]["operation"] == "ListParents"
    # One level whose attachments were not read is enough to make it UNKNOWN.
    levels = chain()
    levels[1] = ScpLevel(target_id="ou-ab12-contact", target_type="ORGANIZATIONAL_UNIT", policies=None)
    f = findings(snapshot([instance("i-1")], org(levels)), "instance-deletion-not-denied")[instance_arn("i-1")]
    assert f.status is Status.UNKNOWN and "ou-ab12-contact" in f.message


def test_no_organization_and_malformed_scp():
    lone = OrganizationContext(is_management_account=False, scp_enabled=False, scp_chain=[])
    f = findings(snapshot([instance("i-1")], lone), "instance-deletion-not-denied")[instance_arn("i-1")]
    assert f.status is Status.FAIL and "not in an AWS Organization" in f.message
    broken = guarded({"Sid": "X", "Effect": "Deny", "Action": "connect:DeleteInstance", "Resorce": "*"})
    f = findings(snapshot([instance("i-1")], broken), "instance-deletion-not-denied")[instance_arn("i-1")]
    assert f.status is Status.UNKNOWN
    assert "connect-guardrails (p-guard)" in f.message and "Statement[0] (Sid X).Resorce" in f.message


def test_signin_role_found_and_checked():
    statements = [deny("ProtectRole", SIGNIN_ACTIONS, [role_arn("ConnectSSO")])]
    snap = snapshot([instance("i-1")], guarded(*statements), iam(admin_role(), signin_role()))
    f = findings(snap, "signin-role-change-not-denied")[instance_arn("i-1") + "/signin-role"]
    assert f.status is Status.FAIL  # the SAML provider is not protected
    assert f.evidence["signin_roles"][0]["role"] == role_arn("ConnectSSO")
    assert f.evidence["signin_roles"][0]["saml_providers"] == [SAML_PROVIDER]
    failing = {(p["action"], p["status"]) for p in f.evidence["protections"]}
    assert ("iam:DeleteRole", "PASS") in failing and ("iam:DeleteSAMLProvider", "FAIL") in failing
    statements.append(deny("ProtectIdP", ["iam:DeleteSAMLProvider", "iam:UpdateSAMLProvider"], [SAML_PROVIDER]))
    snap = snapshot([instance("i-1")], guarded(*statements), iam(admin_role(), signin_role()))
    assert findings(snap, "signin-role-change-not-denied")[instance_arn("i-1") + "/signin-role"].status is Status.PASS


def test_signin_role_not_found_is_unknown_and_slr_deny_is_called_out():
    slr = "arn:aws:iam::*:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect*"
    snap = snapshot([instance("i-1")], guarded(deny("ProtectSLR", ["iam:DeleteRole"], [slr])), iam(admin_role()))
    f = findings(snap, "signin-role-change-not-denied")[instance_arn("i-1") + "/signin-role"]
    assert f.status is Status.UNKNOWN
    assert "signin_role_patterns" in f.remediation
    assert "SCPs do not apply to service-linked roles" in f.evidence["notes"][0]
    # Named by configuration instead of found automatically:
    config = Config.model_validate({"audit": {"signin_role_patterns": ["Admin"]}})
    f = findings(snap, "signin-role-change-not-denied", config)[instance_arn("i-1") + "/signin-role"]
    assert f.status is Status.FAIL and f.evidence["signin_roles"][0]["how_found"].startswith("matches")


def test_directory_instance():
    did = "d-1234567890"
    statements = [deny("ProtectDir", ["ds:DeleteDirectory", "ds:DisableRadius"],
                       [f"arn:aws:ds:us-east-1:{ACCOUNT}:directory/{did}"])]
    snap = snapshot([instance("i-1", kind="EXISTING_DIRECTORY")], guarded(*statements), directories=[directory(did)])
    f = findings(snap, "directory-deletion-not-denied")[instance_arn("i-1") + "/directory"]
    assert f.status is Status.PASS
    snap = snapshot([instance("i-1", kind="EXISTING_DIRECTORY")], guarded(*statements),
                    directories=[directory("d-other00000")])
    assert findings(snap, "directory-deletion-not-denied")[instance_arn("i-1") + "/directory"].status is Status.FAIL


def test_recommended_protections_cover_trail_and_bucket():
    from connectguard.inventory.model import Trail

    trail = Trail(name="org-trail", arn=f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-trail")
    statements = [deny("KeepEvidence", ["connect:DisassociateInstanceStorageConfig",
                                        "connect:UpdateInstanceAttribute"], [instance_arn("i-1")]),
                  deny("KeepTrail", ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"], [trail.arn])]
    snap = snapshot([instance("i-1")], guarded(*statements), trails=[trail])
    f = findings(snap, "recommended-guardrails-missing")[instance_arn("i-1") + "/recommended-guardrails"]
    assert f.status is Status.FAIL
    unprotected = [p["resource"] for p in f.evidence["protections"] if p["status"] == "FAIL"]
    assert unprotected == ["arn:aws:s3:::acme-recordings"]
