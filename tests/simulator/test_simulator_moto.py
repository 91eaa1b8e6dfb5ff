"""The moto side: what seeding leaves behind, read back through boto3 like a collector would."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from base64 import b64decode
from collections.abc import Iterator

import pytest
from cryptography import x509

from connectguard.simulator import SimulatedEstate, demo_world
from connectguard.simulator.world import World


@pytest.fixture(scope="module")
def moto_world() -> World:
    return demo_world()


@pytest.fixture(scope="module")
def moto_estate(moto_world: World) -> Iterator[SimulatedEstate]:
    with SimulatedEstate(moto_world, quota=False) as running:
        yield running


def test_environment_has_both_endpoints(moto_estate: SimulatedEstate) -> None:
    env = moto_estate.env
    assert env["AWS_ENDPOINT_URL"] == moto_estate.moto_url
    assert env["AWS_ENDPOINT_URL_CONNECT"] == moto_estate.connect.url
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert env["AWS_ENDPOINT_URL_CONNECT"].startswith("http://127.0.0.1:")
    assert moto_estate.client("sts").get_caller_identity()["Account"] == moto_estate.world.account_id


def test_iam_roles_policies_and_saml_provider(moto_estate: SimulatedEstate, moto_world: World) -> None:
    iam = moto_estate.client("iam")
    roles = {r["RoleName"]: r for r in iam.list_roles()["Roles"]}
    for role in moto_world.iam.roles:
        got = roles[role.name]
        trust = got["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        assert trust == role.trust_policy
        inline = iam.list_role_policies(RoleName=role.name)["PolicyNames"]
        assert sorted(inline) == sorted(role.inline_policies)
    boundary = iam.get_role(RoleName="ConnectBreakGlass")["Role"]["PermissionsBoundary"]
    assert boundary["PermissionsBoundaryArn"].endswith(":policy/ConnectBoundary")
    federation = roles["ConnectSAMLFederation"]["AssumeRolePolicyDocument"]
    assert "SAML:aud" in json.dumps(federation)
    assert "SAML:aud" not in json.dumps(roles["ConnectSAMLFederationLegacy"]["AssumeRolePolicyDocument"])
    attached = iam.list_attached_user_policies(UserName="connect-automation")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["ConnectUserAdministration"]

    providers = iam.list_saml_providers()["SAMLProviderList"]
    assert len(providers) == len(moto_world.iam.saml_providers)
    provider = next(p for p in providers if p["Arn"].endswith("/" + moto_world.iam.saml_providers[0].name))
    metadata = iam.get_saml_provider(SAMLProviderArn=provider["Arn"])["SAMLMetadataDocument"]
    root = ET.fromstring(metadata)
    assert root.get("entityID") == moto_world.iam.saml_providers[0].entity_id
    cert_text = root.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate").text
    cert = x509.load_der_x509_certificate(b64decode(cert_text))
    assert cert.issuer == cert.subject  # self-signed


def test_directories_and_radius_state(moto_estate: SimulatedEstate, moto_world: World) -> None:
    for region_name, region in moto_world.regions.items():
        ds = moto_estate.client("ds", region_name)
        got = {d["Name"]: d for d in ds.describe_directories()["DirectoryDescriptions"]}
        for directory in region.directories:
            description = got[directory.name]
            assert description["DirectoryId"] == moto_estate.ids["directories"][f"{region_name}:{directory.name}"]
            if directory.radius is None:
                assert description.get("RadiusStatus") is None
            else:
                assert description["RadiusStatus"] == "Completed"
    eu = moto_world.instance("acme-eu")
    assert f"eu-west-2:{eu.directory_name}" in moto_estate.ids["directories"]


def test_trail_and_its_bucket(moto_estate: SimulatedEstate, moto_world: World) -> None:
    [spec] = moto_world.regions["us-east-1"].trails
    ct = moto_estate.client("cloudtrail")
    [trail] = ct.describe_trails()["trailList"]
    assert (trail["Name"], trail["IsMultiRegionTrail"], trail["LogFileValidationEnabled"]) == (
        spec.name, True, spec.log_file_validation)
    assert "KmsKeyId" not in trail
    assert ct.get_trail_status(Name=spec.name)["IsLogging"] is True
    selectors = ct.get_event_selectors(TrailName=spec.name)["EventSelectors"]
    assert selectors[0]["ReadWriteType"] == "All"
    s3 = moto_estate.client("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=spec.bucket)["Policy"])
    assert any(s.get("Principal", {}).get("Service") == "cloudtrail.amazonaws.com" for s in policy["Statement"])


def test_scp_protects_one_instance_through_the_member_accounts_ou(
    moto_estate: SimulatedEstate, moto_world: World
) -> None:
    ids = moto_estate.ids["organization"]
    member_view = moto_estate.client("organizations").describe_organization()["Organization"]
    assert member_view["MasterAccountId"] == ids["management_account"] != moto_world.account_id

    sts = moto_estate.client("sts")
    creds = sts.assume_role(RoleArn=ids["reader_role"], RoleSessionName="test")["Credentials"]
    import boto3

    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=moto_estate.moto_url,
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    [parent] = org.list_parents(ChildId=moto_world.account_id)["Parents"]
    assert parent["Id"] == ids["ou:ContactCenter"]
    attached = {p["Name"]: p["Id"] for p in org.list_policies_for_target(
        TargetId=parent["Id"], Filter="SERVICE_CONTROL_POLICY")["Policies"]}
    assert "ProtectConnectSupport" in attached
    content = json.loads(org.describe_policy(PolicyId=attached["ProtectConnectSupport"])["Policy"]["Content"])
    protected = content["Statement"][0]["Resource"]
    support, sales = moto_world.instance("acme-support"), moto_world.instance("acme-sales")
    assert any(support.id in r for r in protected) and not any(sales.id in r for r in protected)


def test_kms_key_ids_agree_between_moto_and_connect(moto_estate: SimulatedEstate, moto_world: World) -> None:
    support = moto_world.instance("acme-support")
    client = moto_estate.client("connect")
    [recordings] = client.list_instance_storage_configs(InstanceId=support.id, ResourceType="CALL_RECORDINGS")[
        "StorageConfigs"]
    key_arn = recordings["S3Config"]["EncryptionConfig"]["KeyId"]
    assert key_arn == moto_estate.ids["kms"]["us-east-1:alias/connect-recordings"]
    kms = moto_estate.client("kms")
    assert kms.describe_key(KeyId=key_arn)["KeyMetadata"]["KeySpec"] == "SYMMETRIC_DEFAULT"
    [ctr] = client.list_instance_storage_configs(InstanceId=support.id, ResourceType="CONTACT_TRACE_RECORDS")[
        "StorageConfigs"]
    stream = moto_estate.client("kinesis").describe_stream_summary(
        StreamARN=ctr["KinesisStreamConfig"]["StreamArn"])["StreamDescriptionSummary"]
    assert stream["EncryptionType"] == "NONE"


def test_logs_alarms_buckets_lambda(moto_estate: SimulatedEstate, moto_world: World) -> None:
    logs = moto_estate.client("logs")
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups(logGroupNamePrefix="/aws/connect/")["logGroups"]}
    for spec in moto_world.regions["us-east-1"].log_groups:
        assert groups[spec.name].get("retentionInDays") == spec.retention_days
    filters = logs.describe_subscription_filters(logGroupName="/aws/connect/acme-support")["subscriptionFilters"]
    assert [f["filterName"] for f in filters] == ["to-siem"]
    alarms = moto_estate.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert {a["Namespace"] for a in alarms} == {"AWS/Connect"}
    assert all(a["AlarmActions"] == [moto_estate.ids["sns"]["us-east-1:connect-alerts"]] for a in alarms)
    s3 = moto_estate.client("s3")
    for bucket in moto_world.buckets:
        if bucket.region != "us-east-1":
            continue
        try:
            s3.get_bucket_lifecycle_configuration(Bucket=bucket.name)
            has_lifecycle = True
        except s3.exceptions.ClientError:
            has_lifecycle = False
        assert has_lifecycle is (bucket.lifecycle_days is not None)
    policy = json.loads(moto_estate.client("lambda").get_policy(FunctionName="acme-crm-lookup")["Policy"])
    assert "Condition" not in policy["Statement"][0]  # the deliberately unconditioned resource policy
