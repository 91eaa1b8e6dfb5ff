"""What the deletion guardrails must protect, per instance, with real ARNs from the snapshot.

Shared by the audit checks (verify) and by `guardrails plan` (write the SCP), so both
always agree on the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectguard.config import Config
from connectguard.inventory.model import Directory, IamPrincipal, Instance, RegionInventory, Snapshot
from connectguard.policy import PolicyError, Request, RequestContext, evaluate, parse_policy, principal_layers
from connectguard.policy.matching import glob_match

INSTANCE = "instance"
SIGNIN = "signin"
DIRECTORY = "directory"
RECOMMENDED = "recommended"

SIGNIN_ROLE_ACTIONS = ("iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy",
                       "iam:DetachRolePolicy")
SAML_PROVIDER_ACTIONS = ("iam:DeleteSAMLProvider", "iam:UpdateSAMLProvider")
DIRECTORY_ACTIONS = ("ds:DeleteDirectory", "ds:DisableRadius")
INSTANCE_RECOMMENDED_ACTIONS = ("connect:DisassociateInstanceStorageConfig", "connect:UpdateInstanceAttribute")
TRAIL_ACTIONS = ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail")


@dataclass(frozen=True)
class Protection:
    family: str  # INSTANCE | SIGNIN | DIRECTORY | RECOMMENDED
    action: str
    resource: str
    subject: str  # what the resource is, for people: "sign-in role ConnectSSO"
    why: str
    home_region: str | None = None  # for ARNs without a region (S3 buckets): where requests go

    @property
    def region(self) -> str | None:
        """aws:RequestedRegion of the protected request (IAM is global and answers in us-east-1)."""
        parts = self.resource.split(":")
        if len(parts) > 3 and parts[3]:
            return parts[3]
        if self.home_region:
            return self.home_region
        return "us-east-1" if self.action.lower().startswith("iam:") else None


@dataclass
class SigninRoles:
    roles: list[IamPrincipal] = field(default_factory=list)
    providers: dict[str, list[str]] = field(default_factory=dict)  # role ARN -> SAML provider ARNs it trusts
    how: dict[str, str] = field(default_factory=dict)  # role ARN -> why we think users sign in through it
    problem: str | None = None  # set when the roles could not be determined


def instance_protections(instance: Instance) -> list[Protection]:
    return [Protection(INSTANCE, "connect:DeleteInstance", instance.arn, f"instance {instance.alias or instance.id}",
                       "deleting the instance deletes its users, flows, queues, phone-number claims and data")]


def saml_provider_arns(role: IamPrincipal) -> list[str]:
    out: list[str] = []
    for stmt in _statements(role.trust_policy):
        if stmt.get("Effect") != "Allow":
            continue
        actions = stmt.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        if not any(glob_match(a, "sts:AssumeRoleWithSAML", ignore_case=True).yes for a in actions if
                   isinstance(a, str)):
            continue
        principal = stmt.get("Principal") or {}
        federated = principal.get("Federated") if isinstance(principal, dict) else None
        for arn in [federated] if isinstance(federated, str) else federated or []:
            if isinstance(arn, str) and ":saml-provider/" in arn and arn not in out:
                out.append(arn)
    return out


def _statements(doc: dict | None) -> list[dict]:
    if not isinstance(doc, dict):
        return []
    stmts = doc.get("Statement") or []
    stmts = [stmts] if isinstance(stmts, dict) else stmts
    return [s for s in stmts if isinstance(s, dict)]


def signin_roles(snapshot: Snapshot, instance: Instance, config: Config) -> SigninRoles:
    """The IAM roles a SAML instance's users sign in through.

    A role counts when its trust policy lets a SAML provider assume it AND its policies grant
    connect:GetFederationToken on this instance's users (the documented federation setup), or
    when it matches ``audit.signin_role_patterns``.
    """
    found = SigninRoles()
    if snapshot.iam is None:
        found.problem = "the account's IAM roles were not read"
        return found
    managed = {p.arn: p for p in snapshot.iam.managed_policies}
    patterns = config.audit.signin_role_patterns
    probe = Request("connect:GetFederationToken", f"{instance.arn}/user/connectguard-probe", RequestContext())
    for role in snapshot.iam.principals:
        if role.kind != "role":
            continue
        by_pattern = any(glob_match(p, role.arn).yes or glob_match(p, role.name).yes for p in patterns)
        providers = saml_provider_arns(role)
        grants = False
        if providers:
            policies = []
            for ref in role.inline_policies:
                if ref.document is not None:
                    policies.append(_safe_parse(ref.document, f"{role.name}/{ref.name}"))
            for arn in role.managed_policy_arns:
                doc = managed.get(arn)
                if doc is not None and doc.document is not None:
                    policies.append(_safe_parse(doc.document, doc.name))
            verdict = evaluate(probe, principal_layers([p for p in policies if p is not None]))
            grants = not verdict.denied
        if by_pattern or (providers and grants):
            found.roles.append(role)
            found.providers[role.arn] = providers
            found.how[role.arn] = (
                "matches audit.signin_role_patterns" if by_pattern and not grants
                else f"trusts SAML provider(s) {', '.join(providers)} and grants connect:GetFederationToken on "
                     "this instance's users"
            )
    if not found.roles:
        found.problem = ("no IAM role both trusts a SAML provider (sts:AssumeRoleWithSAML) and grants "
                         f"connect:GetFederationToken on {instance.arn}/user/*")
    return found


def _safe_parse(doc: dict, name: str):
    try:
        return parse_policy(doc, name)
    except PolicyError:
        return None


def signin_protections(snapshot: Snapshot, roles: SigninRoles) -> list[Protection]:
    out: list[Protection] = []
    for role in roles.roles:
        if role.path.startswith("/aws-service-role/"):
            continue  # SCPs do not apply to service-linked roles; see service_linked_role_notes
        for action in SIGNIN_ROLE_ACTIONS:
            out.append(Protection(SIGNIN, action, role.arn, f"sign-in role {role.name}",
                                  "users sign in through this role: deleting or changing it locks every user out, "
                                  "and recreating it means recreating users, losing their data"))
        for provider in roles.providers.get(role.arn, []):
            for action in SAML_PROVIDER_ACTIONS:
                p = Protection(SIGNIN, action, provider, f"SAML provider {provider.rsplit('/', 1)[-1]}",
                               "the sign-in role trusts this provider: deleting it or replacing its metadata "
                               "breaks (or hijacks) every user's sign-in")
                if p not in out:
                    out.append(p)
    return out


def directory_arn(snapshot: Snapshot, region: str, directory: Directory) -> str:
    return f"arn:{snapshot.partition}:ds:{region}:{snapshot.account_id or '*'}:directory/{directory.id}"


def directory_protections(snapshot: Snapshot, region: str, directory: Directory) -> list[Protection]:
    arn = directory_arn(snapshot, region, directory)
    return [Protection(DIRECTORY, action, arn, f"directory {directory.id}",
                       "users sign in against this directory: deleting it, or disabling its RADIUS MFA, "
                       "locks users out or removes their second factor") for action in DIRECTORY_ACTIONS]


def recording_buckets(instance: Instance) -> list[str]:
    buckets: list[str] = []
    for configs in (instance.storage_configs or {}).values():
        for config in configs or []:
            if config.storage_type == "S3" and config.s3_bucket and config.s3_bucket not in buckets:
                buckets.append(config.s3_bucket)
    return buckets


def recommended_protections(snapshot: Snapshot, region: RegionInventory, instance: Instance) -> list[Protection]:
    label = instance.alias or instance.id
    out = [Protection(RECOMMENDED, action, instance.arn, f"instance {label}",
                      "disassociating storage or turning off flow logging removes the record of what happened")
           for action in INSTANCE_RECOMMENDED_ACTIONS]
    for trail in region.trails or []:
        for action in TRAIL_ACTIONS:
            out.append(Protection(RECOMMENDED, action, trail.arn, f"trail {trail.name}",
                                  "stopping or deleting the trail hides who deleted what"))
    for bucket in recording_buckets(instance):
        seen = snapshot.bucket(bucket)
        out.append(Protection(RECOMMENDED, "s3:DeleteBucket", f"arn:{snapshot.partition}:s3:::{bucket}",
                              f"bucket {bucket}", "the bucket holds the instance's recordings, transcripts or "
                              "reports", home_region=seen.region if seen and seen.region else None))
    return out
