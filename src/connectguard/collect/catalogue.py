"""The call catalogue: every AWS operation the collector may make, and nothing else.

This table is the allow-list enforced where calls are made (:mod:`.caller`) and the
source of the IAM policy printed by ``connectguard permissions``, so the two cannot
drift. Page sizes are each API's largest (connect-api.md Appendix A).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

READ_PREFIXES = ("Describe", "List", "Search", "Get")

# Operations that mint credentials or sign a person in. Never called, whatever the
# catalogue says; the IAM policy denies them explicitly as well. GetFederationToken
# matches connect:Get* (and sts has one too), so a prefix rule alone would let it through.
FORBIDDEN_OPERATIONS = frozenset({"GetFederationToken", "GetFederationTokens", "AdminGetEmergencyAccessToken"})
DENIED_IAM_ACTIONS = (
    "connect:AdminGetEmergencyAccessToken",
    "connect:GetFederationToken",
    "connect:GetFederationTokens",
)


@dataclass(frozen=True)
class Operation:
    service: str  # boto3 client name
    name: str  # botocore operation name
    page_size: int | None = None  # largest MaxResults (None: not paginated, or no limit parameter)
    iam_action: str | None = None  # when it differs from "<service prefix>:<name>"
    # Credential operations that are not reads but are needed (AssumeRole for --org-role).
    credential: bool = False

    @property
    def key(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def action(self) -> str:
        return self.iam_action or f"{_IAM_PREFIX.get(self.service, self.service)}:{self.name}"


_IAM_PREFIX = {"monitoring": "cloudwatch"}

_OPS = [
    # --- Amazon Connect
    Operation("connect", "ListInstances", 10),
    Operation("connect", "DescribeInstance"),
    Operation("connect", "ListInstanceAttributes", 7),
    Operation("connect", "ListInstanceStorageConfigs", 10),
    Operation("connect", "ListSecurityProfiles", 1000),
    Operation("connect", "DescribeSecurityProfile"),
    Operation("connect", "ListSecurityProfilePermissions", 1000),
    Operation("connect", "ListSecurityProfileApplications", 1000),
    Operation("connect", "ListSecurityProfileFlowModules", 1000),
    Operation("connect", "SearchUsers", 500),
    Operation("connect", "SearchContactFlows", 100),
    Operation("connect", "DescribeContactFlow"),  # only when a search result lacks Content
    Operation("connect", "SearchContactFlowModules", 100),
    Operation("connect", "DescribeContactFlowModule"),  # likewise
    Operation("connect", "ListQueues", 1000),
    Operation("connect", "ListQuickConnects", 1000),
    Operation("connect", "ListApprovedOrigins", 25),
    Operation("connect", "ListLambdaFunctions", 25),
    Operation("connect", "ListSecurityKeys", 2),
    Operation("connect", "ListAuthenticationProfiles", 1000),
    Operation("connect", "DescribeAuthenticationProfile"),
    Operation("connect", "ListPhoneNumbersV2", 1000),
    Operation("connect", "ListFlowAssociations", 1000),
    Operation("connect", "ListIntegrationAssociations", 100),
    # --- account identity and IAM
    Operation("sts", "GetCallerIdentity"),
    Operation("sts", "AssumeRole", credential=True),  # only with --org-role
    Operation("iam", "GetAccountAuthorizationDetails", 1000),
    Operation("iam", "ListSAMLProviders"),
    Operation("iam", "GetSAMLProvider"),
    # --- Organizations (SCP chain)
    Operation("organizations", "DescribeOrganization"),
    Operation("organizations", "ListRoots", 20),
    Operation("organizations", "ListParents", 20),
    Operation("organizations", "DescribeOrganizationalUnit"),
    Operation("organizations", "ListPoliciesForTarget", 20),
    Operation("organizations", "DescribePolicy"),
    # --- organization runs (`collect --organization`, from the management side)
    Operation("organizations", "ListAccounts", 20),
    Operation("organizations", "ListAccountsForParent", 20),
    Operation("organizations", "ListOrganizationalUnitsForParent", 20),
    Operation("organizations", "ListTagsForResource"),
    Operation("ec2", "DescribeRegions"),  # in each member account: its enabled regions
    # --- regional context
    Operation("ds", "DescribeDirectories"),
    Operation("cloudtrail", "DescribeTrails"),
    Operation("cloudtrail", "GetTrailStatus"),
    Operation("cloudtrail", "GetEventSelectors"),
    Operation("logs", "DescribeLogGroups", 50),
    Operation("logs", "DescribeSubscriptionFilters", 50),
    Operation("logs", "DescribeMetricFilters", 50),
    Operation("cloudwatch", "DescribeAlarms", 100),
    Operation("kms", "DescribeKey"),
    Operation("kms", "GetKeyRotationStatus"),
    Operation("kinesis", "DescribeStreamSummary"),
    Operation("firehose", "DescribeDeliveryStream"),
    Operation("lambda", "GetFunctionConfiguration"),
    Operation("lambda", "GetPolicy"),
    # --- S3 buckets named by storage configs, trails and Firehose (IAM names differ from the API's)
    Operation("s3", "GetBucketLocation"),
    Operation("s3", "GetBucketLifecycleConfiguration", iam_action="s3:GetLifecycleConfiguration"),
    Operation("s3", "GetBucketEncryption", iam_action="s3:GetEncryptionConfiguration"),
    Operation("s3", "GetPublicAccessBlock", iam_action="s3:GetBucketPublicAccessBlock"),
    Operation("s3", "GetBucketVersioning"),
    Operation("s3", "GetObjectLockConfiguration", iam_action="s3:GetBucketObjectLockConfiguration"),
    Operation("s3", "GetBucketPolicyStatus"),
    Operation("s3", "GetBucketPolicy"),
]

CATALOGUE: dict[tuple[str, str], Operation] = {(op.service, op.name): op for op in _OPS}


def _validate() -> None:
    for op in _OPS:
        if op.name in FORBIDDEN_OPERATIONS:
            raise AssertionError(f"forbidden operation in the catalogue: {op.key}")
        if not op.credential and not op.name.startswith(READ_PREFIXES):
            raise AssertionError(f"non-read operation in the catalogue: {op.key}")


_validate()


class ForbiddenOperation(RuntimeError):
    """Raised before any request is built for an operation outside the catalogue."""


def check_allowed(service: str, operation: str) -> Operation:
    if operation in FORBIDDEN_OPERATIONS:
        raise ForbiddenOperation(f"{service}:{operation} signs someone in or mints credentials; never called")
    op = CATALOGUE.get((service, operation))
    if op is None:
        raise ForbiddenOperation(f"{service}:{operation} is not in the collector's read-only call catalogue")
    return op


def page_size(service: str, operation: str) -> int | None:
    return CATALOGUE[(service, operation)].page_size


def required_policy(org_role: str | None = None, log_archive_role: str | None = None) -> dict:
    """The IAM policy the collector needs: exactly the catalogue's actions, plus explicit denies.

    With ``org_role`` / ``log_archive_role`` it also allows assuming those roles, and nothing wider.
    """
    reads = sorted({op.action for op in _OPS if not op.credential})
    statements: list[dict] = [{"Sid": "ConnectGuardCollectReadOnly", "Effect": "Allow", "Action": reads, "Resource": "*"}]
    roles = [r for r in (org_role, log_archive_role) if r]
    if roles:
        statements.append({"Sid": "ConnectGuardAssumeReadRoles", "Effect": "Allow",
                           "Action": ["sts:AssumeRole"], "Resource": roles[0] if len(roles) == 1 else roles})
    statements.append({
        "Sid": "DenyConnectEmergencyAccessAndFederation",
        "Effect": "Deny",
        "Action": list(DENIED_IAM_ACTIONS),
        "Resource": "*",
    })
    return {"Version": "2012-10-17", "Statement": statements}


def org_role_policy_note() -> str:
    return (
        "With --org-role, the caller also needs sts:AssumeRole on that role, and the role (in the management "
        "or delegated-administrator account) needs organizations:DescribeOrganization, ListRoots, ListParents, "
        "DescribeOrganizationalUnit, ListPoliciesForTarget and DescribePolicy."
    )


def required_policy_json(org_role: str | None = None, log_archive_role: str | None = None) -> str:
    return json.dumps(required_policy(org_role, log_archive_role), indent=2) + "\n"
