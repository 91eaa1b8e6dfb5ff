"""Snapshot builders for the guardrail tests: an organization, IAM principals, instances."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectguard.inventory.model import (
    Directory,
    IamContext,
    IamPrincipal,
    Instance,
    ManagedPolicy,
    OrganizationContext,
    PolicyDocumentRef,
    RadiusInfo,
    RegionInventory,
    ScpLevel,
    ScpPolicy,
    Snapshot,
    StorageConfig,
    Trail,
)

ACCOUNT = "222233334444"
MGMT = "999988887777"
REGION = "us-east-1"
FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def instance_arn(iid: str) -> str:
    return f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{iid}"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


SAML_PROVIDER = f"arn:aws:iam::{ACCOUNT}:saml-provider/CorpIdP"


def scp(pid: str, content: dict | None, name: str | None = None) -> ScpPolicy:
    return ScpPolicy(id=pid, name=name or pid, content=content, aws_managed=pid == "p-FullAWSAccess")


def full() -> ScpPolicy:
    return scp("p-FullAWSAccess", FULL_ACCESS, "FullAWSAccess")


def chain(root: list[ScpPolicy] | None = None, ou: list[ScpPolicy] | None = None,
          account: list[ScpPolicy] | None = None) -> list[ScpLevel]:
    return [
        ScpLevel(target_id="r-ab12", target_type="ROOT", name="Root", policies=root or [full()]),
        ScpLevel(target_id="ou-ab12-contact", target_type="ORGANIZATIONAL_UNIT", name="ContactCenters",
                 policies=ou or [full()]),
        ScpLevel(target_id=ACCOUNT, target_type="ACCOUNT", policies=account or [full()]),
    ]


def org(levels: list[ScpLevel] | None, *, management: bool = False) -> OrganizationContext:
    return OrganizationContext(organization_id="o-example12", management_account_id=ACCOUNT if management else MGMT,
                               is_management_account=management, scp_enabled=True, scp_chain=levels)


def deny(sid: str, actions: list[str], resources: list[str], condition: dict | None = None) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": resources}
    if condition:
        stmt["Condition"] = condition
    return stmt


def policy_doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def signin_role(name: str = "ConnectSSO") -> IamPrincipal:
    return IamPrincipal(
        kind="role", name=name, arn=role_arn(name),
        trust_policy=policy_doc({"Effect": "Allow", "Principal": {"Federated": SAML_PROVIDER},
                                 "Action": "sts:AssumeRoleWithSAML",
                                 "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}),
        inline_policies=[PolicyDocumentRef(name="connect-federation", document=policy_doc(
            {"Effect": "Allow", "Action": "connect:GetFederationToken",
             "Resource": f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/*/user/${{aws:userid}}"}))],
    )


def admin_role(name: str = "Admin") -> IamPrincipal:
    return IamPrincipal(kind="role", name=name, arn=role_arn(name), managed_policy_arns=[ADMIN_POLICY_ARN],
                        trust_policy=policy_doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                 "Action": "sts:AssumeRole"}))


def iam(*principals: IamPrincipal, extra_managed: list[ManagedPolicy] = ()) -> IamContext:
    return IamContext(principals=list(principals),
                      managed_policies=[ManagedPolicy(arn=ADMIN_POLICY_ARN, name="AdministratorAccess",
                                                      document=FULL_ACCESS), *extra_managed])


def instance(iid: str, kind: str = "SAML", alias: str | None = None, bucket: str | None = "acme-recordings") -> Instance:
    configs = {"CALL_RECORDINGS": [StorageConfig(association_id="a-" + iid, resource_type="CALL_RECORDINGS",
                                                 storage_type="S3", s3_bucket=bucket, s3_prefix="rec")]} \
        if bucket else {}
    return Instance(id=iid, arn=instance_arn(iid), alias=alias or iid, identity_management_type=kind,
                    storage_configs=configs, attributes={"CONTACTFLOW_LOGS": "true"})


def snapshot(instances: list[Instance], organization: OrganizationContext | None, iam_ctx: IamContext | None = None,
             *, directories: list[Directory] | None = None, trails: list[Trail] | None = None) -> Snapshot:
    region = RegionInventory(region=REGION, instances=instances,
                             directories=directories if directories is not None else [],
                             trails=trails if trails is not None else [])
    return Snapshot(tool_version="0.1.0", collected_at=dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc),
                    account_id=ACCOUNT, regions=[region], iam=iam_ctx if iam_ctx is not None else iam(admin_role()),
                    saml_providers=[], organization=organization)


def directory(did: str = "d-1234567890") -> Directory:
    return Directory(id=did, type="MicrosoftAD", radius=RadiusInfo(status="Completed"))
