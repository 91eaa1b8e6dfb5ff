"""The snapshot: a typed, versioned, JSON-serialisable picture of one account's Connect estate.

Fail-closed convention, used by every collection in this model:

* a field whose value is ``None`` was **not seen** (its API call failed, or the
  collector was not allowed to read it); an empty list means "seen, and empty";
* each failure is recorded once in ``Snapshot.errors`` as a :class:`CollectionError`
  whose ``hides`` names what it hid (see :data:`HIDES`), with the region, instance and
  resource it concerned. Checks turn a ``None`` into UNKNOWN and quote that error.

Privacy: the snapshot never holds e-mail addresses, personal names or phone numbers in
clear (phone numbers are masked), nor secrets (RADIUS shared secrets are dropped).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Bump when the shape changes; keep reading older versions in inventory.io or refuse
# them there with a clear message.
SCHEMA_VERSION = 1


class _Model(BaseModel):
    # Unknown keys are an error when reading a snapshot: a typo or a newer format must
    # not be silently dropped.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --------------------------------------------------------------------------- errors

# What a collection error can hide. Checks ask for these names; keep them in sync with
# docs/snapshot.md.
HIDES = {
    "instances": "the region's list of Connect instances",
    "instance": "an instance's description",
    "instance.attributes": "an instance's attributes (CONTACTFLOW_LOGS, ...)",
    "instance.storage_configs": "an instance's storage configs of one resource type",
    "instance.security_profiles": "an instance's security profiles",
    "security_profile": "one security profile's description (scoping)",
    "security_profile.permissions": "one security profile's permission list",
    "security_profile.applications": "one security profile's application permissions",
    "security_profile.flow_modules": "one security profile's allowed flow modules",
    "instance.users": "an instance's users",
    "instance.flows": "an instance's flows and their content",
    "flow.content": "one flow's content",
    "instance.flow_modules": "an instance's flow modules",
    "flow_module.content": "one flow module's content",
    "instance.queues": "an instance's queues",
    "instance.quick_connects": "an instance's quick connects",
    "instance.approved_origins": "an instance's approved origins",
    "instance.lambda_functions": "an instance's associated Lambda functions",
    "instance.security_keys": "an instance's security keys",
    "instance.authentication_profiles": "an instance's authentication profiles",
    "authentication_profile": "one authentication profile's settings",
    "instance.phone_numbers": "an instance's phone numbers",
    "instance.flow_associations": "which flow each phone number starts",
    "instance.integration_associations": "an instance's integration associations",
    "directories": "the region's Directory Service directories (RADIUS)",
    "account": "the account's identity (account id and partition, from sts:GetCallerIdentity)",
    "iam": "the account's IAM principals and policies",
    "saml_providers": "the account's IAM SAML providers",
    "organization": "the account's organization and SCP chain",
    "cloudtrail": "the region's CloudTrail trails",
    "trail.status": "one trail's logging status or selectors",
    "log_groups": "the region's Connect CloudWatch log groups",
    "log_group.filters": "one log group's subscription or metric filters",
    "alarms": "the region's CloudWatch alarms",
    "s3_bucket": "one S3 bucket's configuration",
    "kms_key": "one KMS key's description",
    "kinesis_stream": "one Kinesis data stream's encryption",
    "firehose_stream": "one Firehose delivery stream's encryption",
    "lambda_function": "one Lambda function's configuration or resource policy",
}


class CollectionError(_Model):
    """One API call that failed, and what it hid."""

    service: str  # "connect", "iam", "ds", ...
    operation: str  # botocore operation name, e.g. "ListSecurityProfilePermissions"
    hides: str  # a key of HIDES
    code: str  # AccessDeniedException, ThrottlingException, InternalServiceException, ...
    message: str = ""
    region: str | None = None
    instance_id: str | None = None
    resource: str | None = None  # ARN or id of the resource concerned, when narrower than the instance
    http_status: int | None = None
    attempts: int = 1

    def describe(self) -> str:
        where = self.resource or self.instance_id or self.region or "account"
        return f"{self.service}:{self.operation} failed with {self.code} ({where}): {self.message}".rstrip(": ")


# ------------------------------------------------------------------------- connect


class StorageConfig(_Model):
    association_id: str | None = None
    resource_type: str
    storage_type: Literal["S3", "KINESIS_VIDEO_STREAM", "KINESIS_STREAM", "KINESIS_FIREHOSE"] | str
    s3_bucket: str | None = None
    s3_prefix: str | None = None
    kms_key_id: str | None = None  # EncryptionConfig.KeyId (S3 and Kinesis Video); None = no Connect-side KMS
    kinesis_video_prefix: str | None = None
    kinesis_video_retention_hours: int | None = None
    kinesis_stream_arn: str | None = None
    firehose_arn: str | None = None


class SecurityProfile(_Model):
    id: str
    arn: str
    name: str
    description: str | None = None
    type: str | None = None  # AWS_MANAGED | CUSTOMER_MANAGED
    allowed_access_control_tags: dict[str, str] = Field(default_factory=dict)
    tag_restricted_resources: list[str] = Field(default_factory=list)
    hierarchy_restricted_resources: list[str] = Field(default_factory=list)
    allowed_access_control_hierarchy_group_id: str | None = None
    # None = not seen (see Snapshot.errors); [] = seen, grants nothing.
    permissions: list[str] | None = None
    applications: list[dict[str, Any]] | None = None
    allowed_flow_modules: list[str] | None = None
    # False when DescribeSecurityProfile failed: the scoping fields above are then unknown.
    scoping_seen: bool = True

    @property
    def is_scoped(self) -> bool:
        return bool(
            self.allowed_access_control_tags
            or self.hierarchy_restricted_resources
            or self.allowed_access_control_hierarchy_group_id
        )


class User(_Model):
    id: str
    arn: str
    username: str
    security_profile_ids: list[str] = Field(default_factory=list)
    routing_profile_id: str | None = None
    hierarchy_group_id: str | None = None
    directory_user_id: str | None = None


class Flow(_Model):
    id: str
    arn: str
    name: str
    type: str | None = None  # CONTACT_FLOW, CUSTOMER_QUEUE, ...
    state: str | None = None  # ACTIVE | ARCHIVED
    status: str | None = None  # PUBLISHED | SAVED
    description: str | None = None
    content: str | None = None  # flow-language JSON as returned (a string); None = not seen
    content_sha256: str | None = None


class FlowModule(_Model):
    id: str
    arn: str
    name: str
    state: str | None = None
    status: str | None = None
    description: str | None = None
    content: str | None = None
    content_sha256: str | None = None


class Queue(_Model):
    id: str
    arn: str
    name: str | None = None
    type: str | None = None  # STANDARD | AGENT


class QuickConnect(_Model):
    id: str
    arn: str
    name: str | None = None
    type: str | None = None  # USER | QUEUE | PHONE_NUMBER


class SecurityKey(_Model):
    association_id: str
    creation_time: dt.datetime | None = None
    # A public key is no secret, but a fingerprint is all an audit or a diff needs.
    key_sha256: str


class AuthenticationProfile(_Model):
    id: str
    arn: str
    name: str
    is_default: bool = False
    allowed_ips: list[str] = Field(default_factory=list)
    blocked_ips: list[str] = Field(default_factory=list)
    periodic_session_duration: int | None = None  # minutes
    max_session_duration: int | None = None  # minutes
    session_inactivity_duration: int | None = None  # minutes
    session_inactivity_handling_enabled: bool | None = None
    settings_seen: bool = True  # False when DescribeAuthenticationProfile failed


class PhoneNumber(_Model):
    id: str
    arn: str
    # Masked: country code and the last two digits, e.g. "+1*******67". Never the number in clear.
    number_masked: str | None = None
    country_code: str | None = None
    type: str | None = None  # TOLL_FREE | DID | ...
    target_arn: str | None = None  # the instance (or traffic distribution group), not a flow
    description: str | None = None


class IntegrationAssociation(_Model):
    id: str
    arn: str | None = None
    integration_type: str | None = None
    integration_arn: str | None = None
    source_application_url: str | None = None
    source_type: str | None = None


class Instance(_Model):
    id: str
    arn: str
    alias: str | None = None
    identity_management_type: str | None = None  # SAML | CONNECT_MANAGED | EXISTING_DIRECTORY
    status: str | None = None
    created_time: dt.datetime | None = None
    service_role: str | None = None
    inbound_calls_enabled: bool | None = None
    outbound_calls_enabled: bool | None = None
    access_url: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    attributes: dict[str, str] | None = None
    # Per resource type; a type whose listing failed maps to None.
    storage_configs: dict[str, list[StorageConfig] | None] | None = None
    security_profiles: list[SecurityProfile] | None = None
    users: list[User] | None = None
    flows: list[Flow] | None = None
    flow_modules: list[FlowModule] | None = None
    queues: list[Queue] | None = None
    quick_connects: list[QuickConnect] | None = None
    approved_origins: list[str] | None = None
    lambda_functions: list[str] | None = None
    security_keys: list[SecurityKey] | None = None
    authentication_profiles: list[AuthenticationProfile] | None = None
    phone_numbers: list[PhoneNumber] | None = None
    # phone number ARN -> flow ARN (ListFlowAssociations, ResourceType VOICE_PHONE_NUMBER)
    flow_associations: dict[str, str] | None = None
    integration_associations: list[IntegrationAssociation] | None = None

    def attribute(self, name: str) -> str | None:
        return None if self.attributes is None else self.attributes.get(name)


# ------------------------------------------------------------ account-side context


class PolicyDocumentRef(_Model):
    """A policy attached to a principal: managed (by ARN) or inline (by name)."""

    name: str
    arn: str | None = None  # managed policies
    document: dict[str, Any] | None = None  # None = not seen


class IamPrincipal(_Model):
    kind: Literal["user", "role", "group"]
    name: str
    arn: str
    path: str = "/"
    trust_policy: dict[str, Any] | None = None  # roles only
    inline_policies: list[PolicyDocumentRef] = Field(default_factory=list)
    managed_policy_arns: list[str] = Field(default_factory=list)
    permissions_boundary_arn: str | None = None
    groups: list[str] = Field(default_factory=list)  # users: group names
    tags: dict[str, str] = Field(default_factory=dict)


class ManagedPolicy(_Model):
    arn: str
    name: str
    default_version_id: str | None = None
    document: dict[str, Any] | None = None


class SamlProvider(_Model):
    arn: str
    valid_until: dt.datetime | None = None
    create_date: dt.datetime | None = None
    # Parsed from the metadata document: signing certificates' validity and the IdP entity id.
    entity_id: str | None = None
    signing_certificates_not_after: list[dt.datetime] = Field(default_factory=list)
    metadata_seen: bool = True


class IamContext(_Model):
    principals: list[IamPrincipal] = Field(default_factory=list)
    managed_policies: list[ManagedPolicy] = Field(default_factory=list)


class ScpPolicy(_Model):
    id: str
    name: str
    arn: str | None = None
    aws_managed: bool = False
    content: dict[str, Any] | None = None  # None = not seen


class ScpLevel(_Model):
    """One level of the chain root -> OUs -> account, and the SCPs attached there."""

    target_id: str
    target_type: Literal["ROOT", "ORGANIZATIONAL_UNIT", "ACCOUNT"]
    name: str | None = None
    policies: list[ScpPolicy] | None = None  # None = not seen


class OrganizationContext(_Model):
    organization_id: str | None = None
    management_account_id: str | None = None
    is_management_account: bool | None = None
    scp_enabled: bool | None = None
    # Root first, account last. None = not read (no --org-role, or denied; see errors).
    scp_chain: list[ScpLevel] | None = None
    read_via_role: str | None = None  # the --org-role used, if any


class RadiusInfo(_Model):
    status: str | None = None  # Creating | Completed | Failed; None = RADIUS not configured
    authentication_protocol: str | None = None  # PAP | CHAP | MS-CHAPv1 | MS-CHAPv2
    servers_count: int = 0
    port: int | None = None
    # SharedSecret is deliberately absent: the collector drops it.


class Directory(_Model):
    id: str
    name: str | None = None
    short_name: str | None = None
    alias: str | None = None
    type: str | None = None  # SimpleAD | ADConnector | MicrosoftAD | SharedMicrosoftAD
    stage: str | None = None
    radius: RadiusInfo = Field(default_factory=RadiusInfo)


class Trail(_Model):
    name: str
    arn: str
    home_region: str | None = None
    is_multi_region: bool = False
    is_organization_trail: bool = False
    s3_bucket: str | None = None
    kms_key_id: str | None = None
    log_file_validation: bool = False
    cloudwatch_log_group_arn: str | None = None
    is_logging: bool | None = None  # None = status not seen
    # Management events included? None = selectors not seen.
    management_events: bool | None = None
    read_write_type: str | None = None
    excludes_connect_events: bool | None = None


class MetricFilter(_Model):
    name: str
    pattern: str
    metric_namespace: str | None = None
    metric_name: str | None = None


class SubscriptionFilter(_Model):
    name: str
    destination_arn: str
    pattern: str = ""


class LogGroup(_Model):
    name: str
    arn: str | None = None
    retention_days: int | None = None  # None = never expire
    kms_key_id: str | None = None
    subscription_filters: list[SubscriptionFilter] | None = None
    metric_filters: list[MetricFilter] | None = None


class Alarm(_Model):
    name: str
    arn: str | None = None
    namespace: str | None = None
    metric_name: str | None = None
    dimensions: dict[str, str] = Field(default_factory=dict)
    actions_enabled: bool = True
    alarm_actions: list[str] = Field(default_factory=list)
    # Metric-math alarms: the metrics they read, "namespace/metric" each.
    metrics: list[str] = Field(default_factory=list)


class LifecycleRule(_Model):
    id: str | None = None
    enabled: bool = True
    prefix: str | None = None
    transitions: list[dict[str, Any]] = Field(default_factory=list)  # {"days": 30, "storage_class": "STANDARD_IA"}
    expiration_days: int | None = None


class S3Bucket(_Model):
    name: str
    region: str | None = None
    # Each None = that part was not seen (see errors); empty/False = seen and absent.
    lifecycle_rules: list[LifecycleRule] | None = None
    encryption: dict[str, Any] | None = None  # {"algorithm": "aws:kms", "kms_key_id": ...}; {} = no default encryption
    public_access_block: dict[str, bool] | None = None
    versioning: str | None = None  # Enabled | Suspended | "" (never enabled)
    object_lock: bool | None = None
    policy_is_public: bool | None = None
    policy: dict[str, Any] | None = None


class KmsKey(_Model):
    key_id: str
    arn: str | None = None
    manager: str | None = None  # AWS | CUSTOMER
    state: str | None = None
    rotation_enabled: bool | None = None
    # How storage configs, trails, log groups, buckets or streams referred to this key (alias, ARN or id),
    # so a check can find the key a reference points at.
    referenced_as: list[str] = Field(default_factory=list)


class StreamEncryption(_Model):
    arn: str
    name: str | None = None
    kind: Literal["kinesis", "firehose"]
    encryption: str | None = None  # NONE | KMS | ENABLED ...; None = not seen
    kms_key_id: str | None = None
    destination_bucket: str | None = None  # firehose S3 destination


class LambdaFunction(_Model):
    arn: str
    name: str
    runtime: str | None = None
    resource_policy: dict[str, Any] | None = None  # None = none set or not seen (see errors)
    configuration_seen: bool = True


class RegionInventory(_Model):
    region: str
    instances: list[Instance] | None = None
    directories: list[Directory] | None = None
    trails: list[Trail] | None = None
    log_groups: list[LogGroup] | None = None
    alarms: list[Alarm] | None = None
    kms_keys: list[KmsKey] = Field(default_factory=list)
    streams: list[StreamEncryption] = Field(default_factory=list)
    lambda_functions: list[LambdaFunction] = Field(default_factory=list)


class CollectionStats(_Model):
    calls: dict[str, int] = Field(default_factory=dict)  # "connect:SearchUsers" -> count
    throttled: dict[str, int] = Field(default_factory=dict)
    duration_seconds: float = 0.0
    max_rps: float | None = None


class Snapshot(_Model):
    schema_version: int = SCHEMA_VERSION
    tool_version: str
    collected_at: dt.datetime
    account_id: str | None = None
    partition: str = "aws"
    regions: list[RegionInventory] = Field(default_factory=list)
    iam: IamContext | None = None
    saml_providers: list[SamlProvider] | None = None
    organization: OrganizationContext | None = None
    s3_buckets: list[S3Bucket] = Field(default_factory=list)
    errors: list[CollectionError] = Field(default_factory=list)
    stats: CollectionStats = Field(default_factory=CollectionStats)

    # ----------------------------------------------------------- lookups for checks

    def instances(self) -> list[tuple[RegionInventory, Instance]]:
        return [(r, i) for r in self.regions for i in (r.instances or [])]

    def errors_for(
        self,
        hides: str | tuple[str, ...],
        *,
        region: str | None = None,
        instance_id: str | None = None,
        resource: str | None = None,
    ) -> list[CollectionError]:
        """The recorded failures that hid ``hides`` for this region/instance/resource."""
        wanted = (hides,) if isinstance(hides, str) else hides
        out = []
        for err in self.errors:
            if err.hides not in wanted:
                continue
            if region is not None and err.region not in (None, region):
                continue
            if instance_id is not None and err.instance_id not in (None, instance_id):
                continue
            if resource is not None and err.resource not in (None, resource):
                continue
            out.append(err)
        return out

    def bucket(self, name: str) -> S3Bucket | None:
        for b in self.s3_buckets:
            if b.name == name:
                return b
        return None
