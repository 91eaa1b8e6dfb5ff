"""[emergency-access] and [least-privilege] IAM-bypass checks over snapshots built in the test."""

from __future__ import annotations

from connectguard.config import Config
from connectguard.conventions import Status
from connectguard.inventory.model import IamPrincipal, ManagedPolicy, PolicyDocumentRef

from .estate import (
    ACCOUNT,
    admin_role,
    chain,
    deny,
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
from .test_deletion_checks import findings

I1 = instance_arn("i-1")
EMERGENCY = "connect:AdminGetEmergencyAccessToken"


def role(name, *statements, kind="role", boundary=None):
    arn = role_arn(name) if kind == "role" else f"arn:aws:iam::{ACCOUNT}:user/{name}"
    return IamPrincipal(kind=kind, name=name, arn=arn, permissions_boundary_arn=boundary,
                        inline_policies=[PolicyDocumentRef(name="inline", document=policy_doc(*statements))])


def grant(action=EMERGENCY, resource=I1, condition=None, sid="Grant"):
    stmt = {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        stmt["Condition"] = condition
    return stmt


MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
MFA_IF_EXISTS = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}
IP = {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}
BG = Config.model_validate({"audit": {"break_glass_principals": [role_arn("BreakGlass"),
                                                                   f"arn:aws:iam::{ACCOUNT}:user/breakglass"]}})


def emergency(*principals, organization=None, config=BG):
    snap = snapshot([instance("i-1")], organization or org(chain()), iam(*principals))
    return findings(snap, "emergency-access-unrestricted", config)[I1]


def test_only_break_glass_with_mfa_passes_and_root_is_listed():
    f = emergency(role("BreakGlass", grant(condition=MFA)), role("Reader", grant("connect:Describe*")))
    assert f.status is Status.PASS, f.message
    assert [p["principal"] for p in f.evidence["principals"]] == [role_arn("BreakGlass")]
    assert f.evidence["principals"][0]["restricted"] is True
    assert f.evidence["root_user"]["can"] is True  # listed, not counted against the break-glass list


def test_administrator_access_reaches_emergency_login():
    f = emergency(role("BreakGlass", grant(condition=MFA)), admin_role())
    assert f.status is Status.FAIL
    admin = next(p for p in f.evidence["principals"] if p["principal"] == role_arn("Admin"))
    assert admin["break_glass"] is False and admin["restricted"] is False
    assert admin["granted_by"][0]["policy"] == "AdministratorAccess"


def test_unconditional_grant_defeats_conditioned_one():
    f = emergency(role("BreakGlass", grant(condition=MFA, sid="WithMfa"), grant(sid="Plain")))
    assert f.status is Status.FAIL
    entry = f.evidence["principals"][0]
    assert entry["restricted"] is False
    assert "not restricted by an MFA or IP condition" in f.message


def test_legacy_action_name_counts():
    f = emergency(role("Ops", grant("connect:GetFederationTokens")))
    assert f.status is Status.FAIL
    assert f.evidence["principals"][0]["actions"] == ["connect:GetFederationTokens"]


def test_bool_if_exists_lets_long_term_keys_through_for_users_only():
    user = role("breakglass", grant(condition=MFA_IF_EXISTS), kind="user")
    f = emergency(user)
    assert f.status is Status.FAIL
    entry = f.evidence["principals"][0]
    assert any("absent" in why for why in entry["unrestricted_because"])
    assert any("BoolIfExists" in n for n in entry["notes"])
    # A role session always carries the key: BoolIfExists true then requires MFA.
    assert emergency(role("BreakGlass", grant(condition=MFA_IF_EXISTS))).status is Status.PASS


def test_ip_condition_restricts_and_saml_role_gets_the_mfa_note():
    assert emergency(role("BreakGlass", grant(condition=IP))).status is Status.PASS
    saml = signin_role("BreakGlass")
    saml.inline_policies.append(PolicyDocumentRef(name="emergency", document=policy_doc(grant(condition=MFA))))
    f = emergency(saml)
    assert f.status is Status.PASS
    assert any("says nothing about MFA done at the identity provider" in n for n in f.evidence["principals"][0]["notes"])


def test_explicit_deny_and_scp_remove_holders():
    read_only_deny = deny("DenyConnectEmergencyAccess", [EMERGENCY, "connect:GetFederationTokens"], ["*"])
    admin = admin_role()
    admin.inline_policies.append(PolicyDocumentRef(name="deny-emergency", document=policy_doc(read_only_deny)))
    f = emergency(admin, role("BreakGlass", grant(condition=MFA)))
    assert f.status is Status.PASS, f.message
    # Denied by SCP for everyone but the break-glass role (and for root):
    guard = scp("p-guard", policy_doc(deny("NoEmergency", [EMERGENCY, "connect:GetFederationTokens"], ["*"],
                                           {"ArnNotLike": {"aws:PrincipalArn": role_arn("BreakGlass")}})))
    f = emergency(admin_role(), role("BreakGlass", grant(condition=MFA)), organization=org(chain(ou=[full(), guard])))
    assert f.status is Status.PASS, f.message
    assert f.evidence["root_user"]["can"] is False


def test_unseen_managed_policy_is_unknown_not_pass():
    missing = IamPrincipal(kind="role", name="Ops", arn=role_arn("Ops"),
                           managed_policy_arns=[f"arn:aws:iam::{ACCOUNT}:policy/ops"])
    snap = snapshot([instance("i-1")], org(chain()),
                    iam(missing, role("BreakGlass", grant(condition=MFA)),
                        extra_managed=[ManagedPolicy(arn=f"arn:aws:iam::{ACCOUNT}:policy/ops", name="ops")]))
    f = findings(snap, "emergency-access-unrestricted", BG)[I1]
    assert f.status is Status.UNKNOWN
    assert "policy/ops" in f.evidence["policies_not_seen"][0]


# ------------------------------------------------------------ bypass security profiles

def bypass(*principals, admins=(), organization=None):
    config = Config.model_validate({"audit": {"administrators": list(admins)}})
    snap = snapshot([instance("i-1")], organization or org(chain()), iam(*principals))
    return findings(snap, "iam-principal-bypasses-security-profiles", config)[I1]


def test_connect_star_developer_role_is_reported_with_statement():
    dev = role("Developer", grant("connect:*", "*", sid="DevelopersManageConnect"))
    reader = role("Reader", grant(["connect:Describe*", "connect:List*"], "*"))
    f = bypass(dev, reader, admin_role(), admins=[role_arn("Admin")])
    assert f.status is Status.FAIL
    assert [p["principal"] for p in f.evidence["principals"]] == [role_arn("Developer")]
    can = {c["action"]: c for c in f.evidence["principals"][0]["can"]}
    assert set(can) >= {"connect:CreateUser", "connect:UpdateSecurityProfile", "connect:ClaimPhoneNumber"}
    assert can["connect:CreateUser"]["granted_by"][0]["sid"] == "DevelopersManageConnect"
    assert f.evidence["administrators_with_access"] == [role_arn("Admin")]


def test_scoped_grants_on_other_instance_and_boundary():
    other = role("OtherTeam", grant("connect:*", instance_arn("i-2") + "*"))
    f = bypass(other)
    assert f.status is Status.PASS, f.message
    bounded = role("Bounded", grant("connect:*", "*"), boundary=f"arn:aws:iam::{ACCOUNT}:policy/read-only")
    boundary = ManagedPolicy(arn=f"arn:aws:iam::{ACCOUNT}:policy/read-only", name="read-only",
                             document=policy_doc(grant(["connect:Describe*", "connect:List*"], "*")))
    snap = snapshot([instance("i-1")], org(chain()), iam(bounded, extra_managed=[boundary]))
    assert findings(snap, "iam-principal-bypasses-security-profiles")[I1].status is Status.PASS


def test_conditional_grant_reports_its_keys():
    tagged = role("Tagged", grant("connect:UpdateContactFlowContent", "*",
                                  {"StringEquals": {"aws:ResourceTag/owner": "${aws:PrincipalTag/team}"}}))
    f = bypass(tagged)
    assert f.status is Status.FAIL
    entry = f.evidence["principals"][0]["can"][0]
    assert entry["decision"] == "Conditional" and "aws:ResourceTag/owner" in entry["depends_on"]
