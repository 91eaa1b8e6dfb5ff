"""Account-wide context: identity, IAM, SAML providers, the organization's SCP chain."""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.parse
from typing import Any

import boto3

from connectguard.collect.caller import ABSENT, AwsReader
from connectguard.inventory.model import (
    IamContext,
    IamPrincipal,
    ManagedPolicy,
    OrganizationContext,
    PolicyDocumentRef,
    SamlProvider,
    ScpLevel,
    ScpPolicy,
)


def decode_policy_document(doc: Any) -> dict[str, Any] | None:
    """IAM documents arrive as dicts (botocore decodes them) or URL-encoded JSON strings."""
    if doc is None:
        return None
    if isinstance(doc, dict):
        return doc
    if isinstance(doc, str):
        for text in (doc, urllib.parse.unquote(doc)):
            try:
                value = json.loads(text)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in (items or []) if "Key" in t}


def collect_iam(reader: AwsReader, region: str | None) -> IamContext | None:
    got = reader.pages("iam", region, "GetAccountAuthorizationDetails",
                       ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"), hides="iam")
    if got is None:
        return None
    principals: list[IamPrincipal] = []
    for kind, key, name_key, policies_key in (("user", "UserDetailList", "UserName", "UserPolicyList"),
                                              ("group", "GroupDetailList", "GroupName", "GroupPolicyList"),
                                              ("role", "RoleDetailList", "RoleName", "RolePolicyList")):
        for p in got[key]:
            principals.append(IamPrincipal(
                kind=kind, name=p[name_key], arn=p["Arn"], path=p.get("Path") or "/",
                trust_policy=decode_policy_document(p.get("AssumeRolePolicyDocument")) if kind == "role" else None,
                inline_policies=[PolicyDocumentRef(name=i["PolicyName"],
                                                   document=decode_policy_document(i.get("PolicyDocument")))
                                 for i in p.get(policies_key) or []],
                managed_policy_arns=[m["PolicyArn"] for m in p.get("AttachedManagedPolicies") or []],
                permissions_boundary_arn=(p.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
                groups=list(p.get("GroupList") or []) if kind == "user" else [],
                tags=_tags(p.get("Tags")),
            ))
    policies = []
    for pol in got["Policies"]:
        default = pol.get("DefaultVersionId")
        document = None
        for version in pol.get("PolicyVersionList") or []:
            if version.get("IsDefaultVersion") or version.get("VersionId") == default:
                document = decode_policy_document(version.get("Document"))
                break
        policies.append(ManagedPolicy(arn=pol["Arn"], name=pol.get("PolicyName") or pol["Arn"],
                                      default_version_id=default, document=document))
    return IamContext(principals=principals, managed_policies=policies)


# ---------------------------------------------------------------------- SAML

_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
_DS = "http://www.w3.org/2000/09/xmldsig#"


def parse_saml_metadata(xml: str) -> tuple[str | None, list[dt.datetime]]:
    """Entity id and each signing certificate's notAfter, from an IdP metadata document.

    Parsed with defusedxml (no entities, no external references): the document comes
    from the account and is not trusted. Raises ValueError when it cannot be parsed.
    """
    from cryptography import x509
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    except Exception as exc:  # noqa: BLE001 - defusedxml raises several types
        raise ValueError(f"unparseable SAML metadata: {type(exc).__name__}") from None
    descriptors = [root] if root.tag == f"{{{_MD}}}EntityDescriptor" else root.iter(f"{{{_MD}}}EntityDescriptor")
    entity_id = None
    not_after: list[dt.datetime] = []
    for ed in descriptors:
        entity_id = entity_id or ed.get("entityID")
        for kd in ed.iter(f"{{{_MD}}}KeyDescriptor"):
            if kd.get("use") not in (None, "signing"):
                continue
            for cert_el in kd.iter(f"{{{_DS}}}X509Certificate"):
                der = base64.b64decode("".join((cert_el.text or "").split()))
                cert = x509.load_der_x509_certificate(der)
                not_after.append(cert.not_valid_after_utc)
    return entity_id, sorted(set(not_after))


def collect_saml_providers(reader: AwsReader, region: str | None) -> list[SamlProvider] | None:
    resp = reader.call("iam", region, "ListSAMLProviders", hides="saml_providers")
    if resp is None:
        return None
    out = []
    for p in resp.get("SAMLProviderList") or []:
        provider = SamlProvider(arn=p["Arn"], valid_until=p.get("ValidUntil"), create_date=p.get("CreateDate"))
        got = reader.call("iam", region, "GetSAMLProvider", SAMLProviderArn=p["Arn"], hides="saml_providers",
                          resource=p["Arn"])
        if not got:
            provider.metadata_seen = False
        else:
            try:
                provider.entity_id, provider.signing_certificates_not_after = parse_saml_metadata(
                    got.get("SAMLMetadataDocument") or "")
            except (ValueError, TypeError) as exc:
                provider.metadata_seen = False
                reader.record("iam", "GetSAMLProvider", "saml_providers", ValueError(str(exc)), resource=p["Arn"])
        out.append(provider)
    return out


# ---------------------------------------------------------------------- Organizations


def assumed_reader(reader: AwsReader, role_arn: str, region: str | None, hides: str) -> AwsReader | None:
    """A reader with an assumed role's credentials, sharing the caller's rate limiter, stats and errors."""
    resp = reader.call("sts", region, "AssumeRole", RoleArn=role_arn, RoleSessionName="connectguard-collect",
                       DurationSeconds=3600, hides=hides, resource=role_arn)
    if not resp:
        return None
    creds = resp["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name=region)
    return reader.derived(session)


def collect_organization(reader: AwsReader, account_id: str | None, region: str | None,
                         org_role: str | None) -> OrganizationContext | None:
    ctx = OrganizationContext(read_via_role=org_role)
    desc = reader.call("organizations", region, "DescribeOrganization", hides="organization",
                       absent_codes=("AWSOrganizationsNotInUseException",))
    if desc is None:
        return None
    if desc is ABSENT:  # not in an organization: no SCP applies (data, not an error)
        ctx.is_management_account = False
        ctx.scp_enabled = False
        ctx.scp_chain = []
        return ctx
    org = desc.get("Organization", {})
    ctx.organization_id = org.get("Id")
    ctx.management_account_id = org.get("MasterAccountId")
    ctx.is_management_account = bool(account_id and account_id == ctx.management_account_id)
    if org.get("AvailablePolicyTypes"):
        ctx.scp_enabled = any(p.get("Type") == "SERVICE_CONTROL_POLICY" and p.get("Status") == "ENABLED"
                              for p in org["AvailablePolicyTypes"])
    if not account_id:
        return ctx
    source = reader
    if org_role:
        source = assumed_reader(reader, org_role, region, "organization")
        if source is None:
            return ctx
    ctx.scp_chain = _scp_chain(source, account_id, region, ctx)
    return ctx


def _scp_chain(r: AwsReader, account_id: str, region: str | None, ctx: OrganizationContext) -> list[ScpLevel] | None:
    levels = [ScpLevel(target_id=account_id, target_type="ACCOUNT")]
    child = account_id
    for _ in range(8):  # OUs nest at most five deep
        parents = r.pages("organizations", region, "ListParents", "Parents", ChildId=child, hides="organization",
                          resource=child)
        if not parents:
            return None
        parent = parents[0]
        ptype = parent.get("Type")
        levels.append(ScpLevel(target_id=parent["Id"], target_type="ROOT" if ptype == "ROOT" else "ORGANIZATIONAL_UNIT"))
        if ptype == "ROOT":
            break
        child = parent["Id"]
    else:
        return None
    levels.reverse()
    roots = r.pages("organizations", region, "ListRoots", "Roots", hides="organization")
    for root in roots or []:
        if root.get("Id") == levels[0].target_id:
            levels[0].name = root.get("Name")
            types = root.get("PolicyTypes") or []
            ctx.scp_enabled = any(t.get("Type") == "SERVICE_CONTROL_POLICY" and t.get("Status") == "ENABLED"
                                  for t in types)
    cache: dict[str, dict | None] = {}
    for level in levels:
        if level.target_type == "ORGANIZATIONAL_UNIT":
            ou = r.call("organizations", region, "DescribeOrganizationalUnit", OrganizationalUnitId=level.target_id,
                        hides="organization", resource=level.target_id)
            if ou:
                level.name = ou.get("OrganizationalUnit", {}).get("Name")
        attached = r.pages("organizations", region, "ListPoliciesForTarget", "Policies", TargetId=level.target_id,
                           Filter="SERVICE_CONTROL_POLICY", hides="organization", resource=level.target_id)
        if attached is None:
            continue
        policies = []
        for summary in attached:
            pid = summary["Id"]
            if pid not in cache:
                got = r.call("organizations", region, "DescribePolicy", PolicyId=pid, hides="organization",
                             resource=summary.get("Arn") or pid)
                cache[pid] = decode_policy_document((got or {}).get("Policy", {}).get("Content")) if got else None
            policies.append(ScpPolicy(id=pid, name=summary.get("Name") or pid, arn=summary.get("Arn"),
                                      aws_managed=bool(summary.get("AwsManaged")), content=cache[pid]))
        level.policies = policies
    return levels
