"""The world: a typed model of one simulated AWS account, and its loader.

One world feeds both halves of the simulated estate: the Connect simulator
(:mod:`connectguard.simulator.connect_server`) projects the Connect part onto
botocore's output shapes, and :mod:`connectguard.simulator.seed` writes the rest
into moto through boto3. Field names are snake_case; world files (JSON or YAML)
use the same names. Unknown keys are an error so a typo in a world file is not
silently ignored.

Cross-service references use names the world controls (a KMS key's alias, a
directory's DNS name) because moto generates some ids; the estate resolves them
after seeding and records the mapping (:attr:`SimulatedEstate.ids`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from connectguard.connect_model import connect_enum
from connectguard.conventions import InputError

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account: ARNs agree across services
EPOCH = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.timezone.utc)  # default timestamps: deterministic


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- Connect


class StorageConfig(_M):
    """One instance storage config. ``kms_key`` is a KMS key alias (``alias/x``) or ARN."""

    association_id: str
    resource_type: str  # an InstanceStorageResourceType of the installed botocore model (validated below)
    storage_type: Literal["S3", "KINESIS_VIDEO_STREAM", "KINESIS_STREAM", "KINESIS_FIREHOSE"]
    bucket_name: str | None = None
    bucket_prefix: str | None = None
    kms_key: str | None = None
    video_prefix: str | None = None
    retention_hours: int | None = None
    stream_name: str | None = None  # Kinesis data stream (KINESIS_STREAM)
    firehose_name: str | None = None  # Firehose delivery stream (KINESIS_FIREHOSE)

    @model_validator(mode="after")
    def _complete(self) -> StorageConfig:
        if self.resource_type not in connect_enum("InstanceStorageResourceType"):
            raise ValueError(f"resource_type {self.resource_type!r} is not an InstanceStorageResourceType")
        needs = {
            "S3": ("bucket_name", "bucket_prefix"),
            "KINESIS_VIDEO_STREAM": ("video_prefix", "retention_hours", "kms_key"),
            "KINESIS_STREAM": ("stream_name",),
            "KINESIS_FIREHOSE": ("firehose_name",),
        }[self.storage_type]
        missing = [n for n in needs if getattr(self, n) is None]
        if missing:
            raise ValueError(f"storage type {self.storage_type} needs {', '.join(missing)}")
        return self


class SecurityProfileApplication(_M):
    namespace: str
    permissions: list[str] = Field(default_factory=list)
    type: Literal["MCP", "THIRD_PARTY_APPLICATION"] = "THIRD_PARTY_APPLICATION"


class SecurityProfile(_M):
    id: str
    name: str
    description: str | None = None
    type: Literal["AWS_MANAGED", "CUSTOMER_MANAGED"] = "CUSTOMER_MANAGED"
    permissions: list[str] = Field(default_factory=list)
    allowed_access_control_tags: dict[str, str] = Field(default_factory=dict)
    tag_restricted_resources: list[str] = Field(default_factory=list)
    hierarchy_restricted_resources: list[str] = Field(default_factory=list)
    allowed_access_control_hierarchy_group_id: str | None = None
    applications: list[SecurityProfileApplication] = Field(default_factory=list)
    flow_module_ids: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    last_modified: dt.datetime = EPOCH


class User(_M):
    id: str
    username: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile: str | None = None
    security_profile_ids: list[str] = Field(min_length=1, max_length=10)
    routing_profile_id: str
    directory_user_id: str | None = None
    hierarchy_group_id: str | None = None
    phone_type: Literal["SOFT_PHONE", "DESK_PHONE"] = "SOFT_PHONE"
    after_contact_work_seconds: int = 0
    tags: dict[str, str] = Field(default_factory=dict)
    last_modified: dt.datetime = EPOCH


FlowType = Literal[
    "CONTACT_FLOW",
    "CUSTOMER_QUEUE",
    "CUSTOMER_HOLD",
    "CUSTOMER_WHISPER",
    "AGENT_HOLD",
    "AGENT_WHISPER",
    "OUTBOUND_WHISPER",
    "AGENT_TRANSFER",
    "QUEUE_TRANSFER",
    "CAMPAIGN",
]


class Flow(_M):
    """A flow. ``content`` is flow-language JSON (a dict) or a raw string (e.g. malformed content)."""

    id: str
    name: str
    type: FlowType = "CONTACT_FLOW"
    state: Literal["ACTIVE", "ARCHIVED"] = "ACTIVE"
    status: Literal["PUBLISHED", "SAVED"] = "PUBLISHED"
    description: str | None = None
    content: dict[str, Any] | str
    tags: dict[str, str] = Field(default_factory=dict)
    last_modified: dt.datetime = EPOCH

    def content_string(self) -> str:
        return self.content if isinstance(self.content, str) else json.dumps(self.content, separators=(",", ":"))


class FlowModule(_M):
    id: str
    name: str
    state: Literal["ACTIVE", "ARCHIVED"] = "ACTIVE"
    status: Literal["PUBLISHED", "SAVED"] = "PUBLISHED"
    description: str | None = None
    content: dict[str, Any] | str
    tags: dict[str, str] = Field(default_factory=dict)

    def content_string(self) -> str:
        return self.content if isinstance(self.content, str) else json.dumps(self.content, separators=(",", ":"))


class Queue(_M):
    id: str
    name: str
    type: Literal["STANDARD", "AGENT"] = "STANDARD"
    description: str | None = None
    status: Literal["ENABLED", "DISABLED"] = "ENABLED"
    hours_of_operation_id: str | None = None
    max_contacts: int | None = None
    outbound_flow_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    last_modified: dt.datetime = EPOCH


class QuickConnect(_M):
    id: str
    name: str
    type: Literal["USER", "QUEUE", "PHONE_NUMBER", "FLOW"]
    description: str | None = None
    user_id: str | None = None
    queue_id: str | None = None
    flow_id: str | None = None
    phone_number: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    last_modified: dt.datetime = EPOCH


class RoutingProfile(_M):
    id: str
    name: str
    last_modified: dt.datetime = EPOCH


class SecurityKey(_M):
    association_id: str
    key: str  # PEM public key
    creation_time: dt.datetime = EPOCH


class AuthenticationProfile(_M):
    id: str
    name: str
    description: str | None = None
    is_default: bool = False
    allowed_ips: list[str] = Field(default_factory=list)
    blocked_ips: list[str] = Field(default_factory=list)
    periodic_session_duration: int | None = Field(None, ge=10, le=60)
    max_session_duration: int | None = Field(None, ge=360, le=720)
    session_inactivity_duration: int | None = Field(None, ge=15, le=720)
    session_inactivity_handling_enabled: bool | None = None
    created: dt.datetime = EPOCH
    last_modified: dt.datetime = EPOCH


class PhoneNumber(_M):
    id: str
    number: str  # E.164
    country_code: str = "US"
    type: Literal["TOLL_FREE", "DID", "UIFN", "SHARED", "THIRD_PARTY_TF", "THIRD_PARTY_DID", "SHORT_CODE"] = "DID"
    description: str | None = None
    flow_id: str | None = None  # the flow this number starts (ListFlowAssociations)


class IntegrationAssociation(_M):
    id: str
    integration_type: str
    integration_arn: str
    source_application_url: str | None = None
    source_application_name: str | None = None
    source_type: Literal["SALESFORCE", "ZENDESK", "CASES"] | None = None
    last_modified: dt.datetime = EPOCH


def instance_attribute_types() -> tuple[str, ...]:
    """InstanceAttributeType values of the installed botocore model (newer models add values)."""
    return connect_enum("InstanceAttributeType")


def default_attributes() -> dict[str, str]:
    values = dict.fromkeys(instance_attribute_types(), "false")
    values.update(INBOUND_CALLS="true", OUTBOUND_CALLS="true", CONTACTFLOW_LOGS="true", EARLY_MEDIA="true")
    return values


class ConnectInstance(_M):
    id: str
    alias: str = Field(min_length=1, max_length=45)
    identity_management_type: Literal["SAML", "CONNECT_MANAGED", "EXISTING_DIRECTORY"]
    directory_name: str | None = None  # EXISTING_DIRECTORY: the Directory Service directory's DNS name
    status: Literal["CREATION_IN_PROGRESS", "ACTIVE", "CREATION_FAILED"] = "ACTIVE"
    created: dt.datetime = EPOCH
    service_role: str | None = None
    attributes: dict[str, str] = Field(default_factory=default_attributes)
    storage_configs: list[StorageConfig] = Field(default_factory=list)
    security_profiles: list[SecurityProfile] = Field(default_factory=list)
    users: list[User] = Field(default_factory=list)
    routing_profiles: list[RoutingProfile] = Field(default_factory=list)
    flows: list[Flow] = Field(default_factory=list)
    flow_modules: list[FlowModule] = Field(default_factory=list)
    queues: list[Queue] = Field(default_factory=list)
    quick_connects: list[QuickConnect] = Field(default_factory=list)
    approved_origins: list[str] = Field(default_factory=list)
    lambda_functions: list[str] = Field(default_factory=list)  # function ARNs
    security_keys: list[SecurityKey] = Field(default_factory=list)
    authentication_profiles: list[AuthenticationProfile] = Field(default_factory=list)
    phone_numbers: list[PhoneNumber] = Field(default_factory=list)
    integration_associations: list[IntegrationAssociation] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ConnectInstance:
        unknown = set(self.attributes) - set(instance_attribute_types())
        if unknown:
            raise ValueError(f"unknown instance attribute(s): {', '.join(sorted(unknown))}")
        if self.identity_management_type == "EXISTING_DIRECTORY" and not self.directory_name:
            raise ValueError("an EXISTING_DIRECTORY instance needs directory_name")
        profile_ids = {p.id for p in self.security_profiles}
        routing_ids = {r.id for r in self.routing_profiles}
        for user in self.users:
            missing = [p for p in user.security_profile_ids if p not in profile_ids]
            if missing:
                raise ValueError(f"user {user.username!r} names unknown security profile(s) {missing}")
            if routing_ids and user.routing_profile_id not in routing_ids:
                raise ValueError(f"user {user.username!r} names unknown routing profile {user.routing_profile_id!r}")
        flow_ids = {f.id for f in self.flows}
        for number in self.phone_numbers:
            if number.flow_id is not None and number.flow_id not in flow_ids:
                raise ValueError(f"phone number {number.id!r} names unknown flow {number.flow_id!r}")
        for kind, items in (
            ("security profile", self.security_profiles),
            ("user", self.users),
            ("flow", self.flows),
            ("flow module", self.flow_modules),
            ("queue", self.queues),
        ):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"duplicate {kind} id {item.id!r}")
                seen.add(item.id)
        return self


# --------------------------------------------------------------------------- other services (moto)


class RadiusSettings(_M):
    servers: list[str] = Field(default_factory=lambda: ["10.0.0.10"])
    port: int = 1812
    timeout: int = 5
    retries: int = 3
    protocol: Literal["PAP", "CHAP", "MS-CHAPv1", "MS-CHAPv2"] = "PAP"
    shared_secret: str = "simulated-radius-secret"  # noqa: S105 - a fake secret for a fake server


class Directory(_M):
    name: str  # DNS name, e.g. corp.example.com; instances refer to it by this
    short_name: str | None = None
    type: Literal["MicrosoftAD", "ADConnector", "SimpleAD"] = "MicrosoftAD"
    radius: RadiusSettings | None = None  # None: RADIUS MFA not configured


class KmsKey(_M):
    alias: str  # alias/<name>
    description: str = ""
    rotation: bool = False


class KinesisStream(_M):
    name: str
    kms_key: str | None = None  # alias or ARN; None = unencrypted


class FirehoseStream(_M):
    name: str
    bucket: str
    kms_key: str | None = None  # server-side encryption with a customer key; None = not encrypted


class LambdaFunction(_M):
    name: str
    runtime: str = "python3.12"
    role: str = "connectguard-lambda-exec"  # IAM role name in this world
    # resource-policy statements: principal service (connect.amazonaws.com) + optional source ARN/account
    permissions: list[dict[str, str]] = Field(default_factory=list)


class LogGroup(_M):
    name: str
    retention_days: int | None = None
    kms_key: str | None = None
    subscription_filters: list[dict[str, str]] = Field(default_factory=list)  # name, pattern, destination
    metric_filters: list[dict[str, str]] = Field(default_factory=list)  # name, pattern, metric_name, namespace


class Alarm(_M):
    name: str
    namespace: str = "AWS/Connect"
    metric_name: str
    dimensions: dict[str, str] = Field(default_factory=dict)
    threshold: float = 1.0
    comparison: str = "GreaterThanOrEqualToThreshold"
    statistic: str = "Sum"
    period: int = 300
    evaluation_periods: int = 1
    sns_topic: str | None = None  # topic name; created when set


class Trail(_M):
    name: str
    bucket: str
    multi_region: bool = True
    log_file_validation: bool = False
    kms_key: str | None = None
    logging: bool = True
    include_management_events: bool = True
    read_write_type: Literal["All", "ReadOnly", "WriteOnly"] = "All"
    log_group: str | None = None


class Region(_M):
    connect_instances: list[ConnectInstance] = Field(default_factory=list)
    directories: list[Directory] = Field(default_factory=list)
    kms_keys: list[KmsKey] = Field(default_factory=list)
    kinesis_streams: list[KinesisStream] = Field(default_factory=list)
    firehose_streams: list[FirehoseStream] = Field(default_factory=list)
    lambda_functions: list[LambdaFunction] = Field(default_factory=list)
    log_groups: list[LogGroup] = Field(default_factory=list)
    alarms: list[Alarm] = Field(default_factory=list)
    trails: list[Trail] = Field(default_factory=list)


class Bucket(_M):
    name: str
    region: str = "us-east-1"
    versioning: bool = False
    object_lock: bool = False
    kms_key: str | None = None  # default encryption with this key (alias); None = SSE-S3 default
    public_access_block: bool = False
    lifecycle_days: int | None = None  # expiration/transition rule; None = no lifecycle
    policy: dict[str, Any] | None = None


class IamPolicy(_M):
    name: str
    document: dict[str, Any]
    path: str = "/"


class IamRole(_M):
    name: str
    trust_policy: dict[str, Any]
    path: str = "/"
    managed_policies: list[str] = Field(default_factory=list)  # names of world policies or AWS-managed ARNs
    inline_policies: dict[str, dict[str, Any]] = Field(default_factory=dict)
    permissions_boundary: str | None = None  # a world policy name or ARN
    description: str = ""


class IamUser(_M):
    name: str
    managed_policies: list[str] = Field(default_factory=list)
    inline_policies: dict[str, dict[str, Any]] = Field(default_factory=dict)
    permissions_boundary: str | None = None


class SamlProvider(_M):
    name: str
    entity_id: str = "https://idp.example.com/saml"
    metadata_xml: str | None = None  # None: generated at seeding with a fresh self-signed certificate
    certificate_days: int = Field(365, ge=1)  # validity of that generated certificate, from now


class Iam(_M):
    policies: list[IamPolicy] = Field(default_factory=list)
    roles: list[IamRole] = Field(default_factory=list)
    users: list[IamUser] = Field(default_factory=list)
    saml_providers: list[SamlProvider] = Field(default_factory=list)


class Scp(_M):
    name: str
    document: dict[str, Any]
    description: str = ""
    targets: list[str] = Field(default_factory=list)  # "root", an OU name, or "account"


class OrganizationalUnit(_M):
    name: str
    parent: str = "root"  # "root" or another OU name
    contains_account: bool = False


class Organization(_M):
    """The organization. The simulated account is a member; the management account is another one."""

    management_account_id: str = "210987654321"
    feature_set: Literal["ALL"] = "ALL"
    organizational_units: list[OrganizationalUnit] = Field(default_factory=list)
    scps: list[Scp] = Field(default_factory=list)


class World(_M):
    account_id: str = Field(DEFAULT_ACCOUNT_ID, pattern=r"^\d{12}$")
    name: str = "world"
    regions: dict[str, Region] = Field(default_factory=dict)
    iam: Iam = Field(default_factory=Iam)
    buckets: list[Bucket] = Field(default_factory=list)
    organization: Organization | None = None

    def instances(self) -> list[tuple[str, ConnectInstance]]:
        return [(name, inst) for name, region in self.regions.items() for inst in region.connect_instances]

    def instance(self, instance_id_or_alias: str) -> ConnectInstance:
        for _, inst in self.instances():
            if instance_id_or_alias in (inst.id, inst.alias):
                return inst
        raise KeyError(instance_id_or_alias)


def load_world(path: str | Path) -> World:
    """Read a world file (JSON or YAML). A bad file is one :class:`InputError` line naming file and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read world file: {exc.strerror or exc}", str(path)) from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", f"{path}:{exc.lineno}:{exc.colno}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(f"not valid YAML: {problem}", where) from None
    if not isinstance(data, dict):
        raise InputError("a world file must hold a mapping at the top level", str(path))
    try:
        return World.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more error(s))" if exc.error_count() > 1 else ""
        raise InputError(f"{first['msg']}{more}", f"{path}: {loc}") from None
