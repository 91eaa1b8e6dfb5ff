"""[mfa] RADIUS on the directory, [identity-provider] SAML provider and federation role."""

import datetime as dt

import pytest

from connectguard.conventions import Severity, Status
from connectguard.inventory.model import (
    Directory,
    IamContext,
    IamPrincipal,
    ManagedPolicy,
    PolicyDocumentRef,
    RadiusInfo,
    SamlProvider,
)

from identity.builders import ACCOUNT, COLLECTED, INSTANCE_ARN, audit, denied, instance, snapshot

PROVIDER = f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"
AUD = {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}


def _directory_snapshot(radius: RadiusInfo, **kw):
    return snapshot(instance(identity_management_type="EXISTING_DIRECTORY"),
                    directories=[Directory(id="d-1", type="MicrosoftAD", radius=radius)], **kw)


@pytest.mark.parametrize("radius, status, severity", [
    (RadiusInfo(status="Completed", authentication_protocol="MS-CHAPv2"), Status.PASS, None),
    (RadiusInfo(status="Completed", authentication_protocol="PAP"), Status.FAIL, Severity.MEDIUM),
    (RadiusInfo(status="Failed", authentication_protocol="MS-CHAPv2"), Status.FAIL, Severity.HIGH),
    (RadiusInfo(), Status.FAIL, Severity.HIGH),
])
def test_radius_must_be_completed_and_not_pap(radius, status, severity):
    [f] = audit(_directory_snapshot(radius), "mfa-not-enforced")
    assert f.status is status
    if severity:
        assert f.severity is severity
    assert f.evidence["directory_id"] == "d-1"


def test_radius_unknown_when_directories_denied():
    snap = snapshot(instance(identity_management_type="EXISTING_DIRECTORY"), directories=None,
                    errors=[denied("DescribeDirectories", "directories", service="ds")])
    [f] = audit(snap, "mfa-not-enforced")
    assert f.status is Status.UNKNOWN and "DescribeDirectories" in f.message


def _role(name, trust_statements, policy_statements, **kw):
    return IamPrincipal(kind="role", name=name, arn=f"arn:aws:iam::{ACCOUNT}:role/{name}",
                        trust_policy={"Version": "2012-10-17", "Statement": trust_statements},
                        inline_policies=[PolicyDocumentRef(name="federate", document={
                            "Version": "2012-10-17", "Statement": policy_statements})], **kw)


GOOD_TRUST = [{"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithSAML",
               "Condition": AUD}]
GOOD_POLICY = [{"Effect": "Allow", "Action": "connect:GetFederationToken",
                "Resource": f"{INSTANCE_ARN}/user/${{SAML:sub}}"}]


def _saml_snapshot(*roles, providers=None, **kw):
    providers = providers if providers is not None else [
        SamlProvider(arn=PROVIDER, signing_certificates_not_after=[COLLECTED + dt.timedelta(days=300)])]
    return snapshot(instance(identity_management_type="SAML"), iam=IamContext(principals=list(roles)),
                    saml_providers=providers, **kw)


def test_federation_role_that_is_tight_passes():
    [f] = audit(_saml_snapshot(_role("ConnectSaml", GOOD_TRUST, GOOD_POLICY)), "saml-federation-role")
    assert f.status is Status.PASS and f.resource.endswith("role/ConnectSaml")


@pytest.mark.parametrize("trust, policy, expected", [
    ([{**GOOD_TRUST[0], "Condition": {}}], GOOD_POLICY, "SAML:aud"),
    ([{**GOOD_TRUST[0], "Principal": {"Federated": [PROVIDER, f"arn:aws:iam::{ACCOUNT}:saml-provider/Other"]}}],
     GOOD_POLICY, "names 2 providers"),
    ([{**GOOD_TRUST[0], "Principal": "*"}], GOOD_POLICY, "any principal"),
    ([{**GOOD_TRUST[0], "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/Deleted"}}],
     GOOD_POLICY, "do not exist"),
    (GOOD_TRUST, [{"Effect": "Allow", "Action": ["connect:GetFederationToken", "s3:GetObject"], "Resource": "*"}],
     "s3:GetObject"),
    (GOOD_TRUST, [{"Effect": "Allow", "Action": "connect:*", "Resource": "*"}], "connect:*"),
    (GOOD_TRUST, [{"Effect": "Allow", "Action": "connect:GetFederationToken",
                   "Resource": f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/*"}], "not confined"),
])
def test_federation_role_problems_fail(trust, policy, expected):
    [f] = audit(_saml_snapshot(_role("R", trust, policy)), "saml-federation-role")
    assert f.status is Status.FAIL and expected in f.message, f.message
    assert f.evidence["problems"]


def test_federation_role_with_unseen_managed_policy_is_unknown():
    role = _role("R", GOOD_TRUST, GOOD_POLICY, managed_policy_arns=["arn:aws:iam::aws:policy/Unseen"])
    snap = _saml_snapshot(role)
    snap.iam.managed_policies = [ManagedPolicy(arn="arn:aws:iam::aws:policy/Unseen", name="Unseen", document=None)]
    [f] = audit(snap, "saml-federation-role")
    assert f.status is Status.UNKNOWN and "Unseen" in f.message


def test_federation_unknown_when_iam_denied_and_manual_when_no_role():
    snap = snapshot(instance(identity_management_type="SAML"), iam=None, saml_providers=[],
                    errors=[denied("GetAccountAuthorizationDetails", "iam", service="iam", region=None)])
    [f] = audit(snap, "saml-federation-role")
    assert f.status is Status.UNKNOWN and "GetAccountAuthorizationDetails" in f.message
    unrelated = _role("Other", GOOD_TRUST, [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    [f] = audit(_saml_snapshot(unrelated), "saml-federation-role")
    assert f.status is Status.MANUAL


def test_non_saml_instances_get_no_federation_results():
    snap = snapshot(instance(identity_management_type="CONNECT_MANAGED"), iam=IamContext(), saml_providers=[])
    assert audit(snap, "saml-federation-role") == [] and audit(snap, "saml-provider-certificate") == []


@pytest.mark.parametrize("days, status, severity", [
    (-1, Status.FAIL, Severity.HIGH),
    (10, Status.FAIL, Severity.MEDIUM),
    (29, Status.FAIL, Severity.MEDIUM),
    (31, Status.PASS, None),
])
def test_certificate_expiry_relative_to_collection_time(days, status, severity):
    providers = [SamlProvider(arn=PROVIDER, signing_certificates_not_after=[
        COLLECTED + dt.timedelta(days=400), COLLECTED + dt.timedelta(days=days, hours=1)])]
    [f] = audit(_saml_snapshot(providers=providers), "saml-provider-certificate")
    assert f.status is status and f.resource == PROVIDER
    if severity:
        assert f.severity is severity


def test_certificate_warning_days_is_configurable():
    providers = [SamlProvider(arn=PROVIDER, signing_certificates_not_after=[COLLECTED + dt.timedelta(days=45)])]
    [f] = audit(_saml_snapshot(providers=providers), "saml-provider-certificate",
                {"audit": {"certificate_warning_days": 60}})
    assert f.status is Status.FAIL


def test_certificate_unknown_when_metadata_or_providers_unseen():
    providers = [SamlProvider(arn=PROVIDER, metadata_seen=False)]
    [f] = audit(_saml_snapshot(providers=providers), "saml-provider-certificate")
    assert f.status is Status.UNKNOWN
    snap = _saml_snapshot(providers=[])
    snap.saml_providers = None
    snap.errors.append(denied("ListSAMLProviders", "saml_providers", service="iam", region=None))
    [f] = audit(snap, "saml-provider-certificate")
    assert f.status is Status.UNKNOWN and "ListSAMLProviders" in f.message
