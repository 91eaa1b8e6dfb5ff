"""Collecting Amazon Connect instances: the cheapest calls, at each API's largest page.

Choices (see docs/collect.md for the call counts):

* users: one SearchUsers sweep at 500/page gives profiles and routing profile per user
  (ListUsers + N DescribeUser would be 1 + N calls);
* flows and modules: SearchContactFlows / SearchContactFlowModules at 100/page return
  Content inline (DescribeContactFlow only for a result that lacks it);
* security profiles: ListSecurityProfiles at 1000/page (SearchSecurityProfiles pages at
  100 and returns neither scoping nor permissions), then per profile
  DescribeSecurityProfile (scoping) and ListSecurityProfilePermissions, plus
  ListSecurityProfileApplications and ListSecurityProfileFlowModules: each per-profile
  operation has its own quota, so the four run side by side and the extra two add
  calls but no wall time;
* storage configs: ListInstanceStorageConfigs once per resource type (it is required).

Each per-profile operation runs as one sequential stream so that every operation's
bucket is kept busy and the run's wall time is set by the most-called operation.
"""

from __future__ import annotations

import json
from typing import Any

from connectguard.collect.caller import ABSENT, AwsReader
from connectguard.collect.privacy import key_fingerprint, mask_phone_number, mask_username, scrub_text, sha256_text
from connectguard.collect.tasks import URGENT, TaskGroup
from connectguard.connect_model import connect_enum
from connectguard.inventory.model import (
    AuthenticationProfile,
    Flow,
    FlowModule,
    Instance,
    IntegrationAssociation,
    PhoneNumber,
    QuickConnect,
    Queue,
    SecurityKey,
    SecurityProfile,
    StorageConfig,
    User,
)



def list_instances(reader: AwsReader, region: str, only: set[str] | None) -> list[Instance] | None:
    summaries = reader.pages("connect", region, "ListInstances", "InstanceSummaryList", hides="instances",
                             absent_codes=())
    if summaries is None:
        return None
    out = []
    for s in summaries:
        if only and s.get("Id") not in only and s.get("Arn") not in only:
            continue
        out.append(Instance(
            id=s["Id"], arn=s["Arn"], alias=s.get("InstanceAlias"),
            identity_management_type=s.get("IdentityManagementType"), status=s.get("InstanceStatus"),
            created_time=s.get("CreatedTime"), service_role=s.get("ServiceRole"),
            inbound_calls_enabled=s.get("InboundCallsEnabled"), outbound_calls_enabled=s.get("OutboundCallsEnabled"),
            access_url=s.get("InstanceAccessUrl"),
        ))
    return out


class InstanceCollector:
    """Fills one Instance; each public method is one independent task."""

    def __init__(self, reader: AwsReader, region: str, instance: Instance, group: TaskGroup) -> None:
        self.r = reader
        self.region = region
        self.inst = instance
        self.group = group

    def _kw(self, hides: str, resource: str | None = None) -> dict[str, Any]:
        return {"hides": hides, "instance_id": self.inst.id, "resource": resource}

    def spawn_all(self) -> None:
        # The security-profile listing goes first: its per-profile streams are the long pole.
        self.group.spawn(self.security_profiles, priority=URGENT)
        for task in (self.users, self.flows, self.storage_configs, self.flow_modules,
                     self.describe, self.attributes, self.queues, self.quick_connects, self.approved_origins,
                     self.lambda_functions, self.security_keys, self.authentication_profiles, self.phone_numbers,
                     self.flow_associations, self.integration_associations):
            self.group.spawn(task)

    # ------------------------------------------------------------------ instance

    def describe(self) -> None:
        resp = self.r.call("connect", self.region, "DescribeInstance", InstanceId=self.inst.id, **self._kw("instance"))
        if not resp:
            return
        d = resp.get("Instance", {})
        self.inst.tags = dict(d.get("Tags") or {})
        for field, key in (("alias", "InstanceAlias"), ("identity_management_type", "IdentityManagementType"),
                           ("status", "InstanceStatus"), ("service_role", "ServiceRole"),
                           ("access_url", "InstanceAccessUrl"), ("created_time", "CreatedTime"),
                           ("inbound_calls_enabled", "InboundCallsEnabled"),
                           ("outbound_calls_enabled", "OutboundCallsEnabled")):
            if d.get(key) is not None:
                setattr(self.inst, field, d[key])

    def attributes(self) -> None:
        items = self.r.pages("connect", self.region, "ListInstanceAttributes", "Attributes", InstanceId=self.inst.id,
                             **self._kw("instance.attributes"))
        if items is not None:
            self.inst.attributes = {a["AttributeType"]: str(a.get("Value", "")) for a in items}

    def storage_configs(self) -> None:
        result: dict[str, list[StorageConfig] | None] = {}
        for rtype in connect_enum("InstanceStorageResourceType"):
            items = self.r.pages("connect", self.region, "ListInstanceStorageConfigs", "StorageConfigs",
                                 InstanceId=self.inst.id, ResourceType=rtype,
                                 **self._kw("instance.storage_configs", f"{self.inst.arn}/storage/{rtype}"))
            result[rtype] = None if items is None else [_storage_config(rtype, c) for c in items]
        self.inst.storage_configs = result

    # ------------------------------------------------------------------ security profiles

    def security_profiles(self) -> None:
        items = self.r.pages("connect", self.region, "ListSecurityProfiles", "SecurityProfileSummaryList",
                             InstanceId=self.inst.id, **self._kw("instance.security_profiles"))
        if items is None:
            return
        profiles = [SecurityProfile(id=s["Id"], arn=s["Arn"], name=s.get("Name") or s["Id"], type=s.get("Type"))
                    for s in items]
        self.inst.security_profiles = profiles
        for stream in (self._describe_profiles, self._profile_permissions, self._profile_applications,
                       self._profile_flow_modules):
            self.group.spawn(stream, profiles, priority=URGENT)

    def _describe_profiles(self, profiles: list[SecurityProfile]) -> None:
        for p in profiles:
            resp = self.r.call("connect", self.region, "DescribeSecurityProfile", InstanceId=self.inst.id,
                               SecurityProfileId=p.id, **self._kw("security_profile", p.arn))
            if not resp:
                p.scoping_seen = False
                continue
            d = resp.get("SecurityProfile", {})
            p.description = scrub_text(d.get("Description"))
            p.type = d.get("Type") or p.type
            p.allowed_access_control_tags = dict(d.get("AllowedAccessControlTags") or {})
            p.tag_restricted_resources = list(d.get("TagRestrictedResources") or [])
            p.hierarchy_restricted_resources = list(d.get("HierarchyRestrictedResources") or [])
            p.allowed_access_control_hierarchy_group_id = d.get("AllowedAccessControlHierarchyGroupId")

    def _profile_permissions(self, profiles: list[SecurityProfile]) -> None:
        for p in profiles:
            items = self.r.pages("connect", self.region, "ListSecurityProfilePermissions", "Permissions",
                                 InstanceId=self.inst.id, SecurityProfileId=p.id,
                                 **self._kw("security_profile.permissions", p.arn))
            p.permissions = None if items is None else sorted(set(items))

    def _profile_applications(self, profiles: list[SecurityProfile]) -> None:
        for p in profiles:
            items = self.r.pages("connect", self.region, "ListSecurityProfileApplications", "Applications",
                                 InstanceId=self.inst.id, SecurityProfileId=p.id,
                                 **self._kw("security_profile.applications", p.arn))
            p.applications = None if items is None else [dict(a) for a in items]

    def _profile_flow_modules(self, profiles: list[SecurityProfile]) -> None:
        for p in profiles:
            items = self.r.pages("connect", self.region, "ListSecurityProfileFlowModules", "AllowedFlowModules",
                                 InstanceId=self.inst.id, SecurityProfileId=p.id,
                                 **self._kw("security_profile.flow_modules", p.arn))
            if items is None:
                p.allowed_flow_modules = None
            else:
                p.allowed_flow_modules = [m.get("FlowModuleId", "") if isinstance(m, dict) else str(m) for m in items]

    # ------------------------------------------------------------------ users, flows

    def users(self) -> None:
        items = self.r.pages("connect", self.region, "SearchUsers", "Users", InstanceId=self.inst.id,
                             **self._kw("instance.users"))
        if items is None:
            return
        # IdentityInfo (names) and PhoneConfig (desk phone numbers) are deliberately not read.
        self.inst.users = [
            User(id=u["Id"], arn=u["Arn"], username=mask_username(u.get("Username") or u["Id"]),
                 security_profile_ids=list(u.get("SecurityProfileIds") or []),
                 routing_profile_id=u.get("RoutingProfileId"), hierarchy_group_id=u.get("HierarchyGroupId"),
                 directory_user_id=u.get("DirectoryUserId"))
            for u in items
        ]

    def flows(self) -> None:
        items = self.r.pages("connect", self.region, "SearchContactFlows", "ContactFlows", InstanceId=self.inst.id,
                             **self._kw("instance.flows"))
        if items is None:
            return
        flows = []
        for f in items:
            content = f.get("Content")
            if content is None:
                content = self._describe_content("DescribeContactFlow", "ContactFlowId", "ContactFlow", f,
                                                 "flow.content")
            flows.append(Flow(id=f["Id"], arn=f["Arn"], name=f.get("Name") or f["Id"], type=f.get("Type"),
                              state=f.get("State"), status=f.get("Status"),
                              description=scrub_text(f.get("Description")), content=scrub_text(content),
                              content_sha256=f.get("FlowContentSha256") or (sha256_text(content) if content else None)))
        self.inst.flows = flows

    def flow_modules(self) -> None:
        items = self.r.pages("connect", self.region, "SearchContactFlowModules", "ContactFlowModules",
                             InstanceId=self.inst.id, **self._kw("instance.flow_modules"))
        if items is None:
            return
        modules = []
        for m in items:
            content = m.get("Content")
            if content is None:
                content = self._describe_content("DescribeContactFlowModule", "ContactFlowModuleId",
                                                 "ContactFlowModule", m, "flow_module.content")
            modules.append(FlowModule(
                id=m["Id"], arn=m["Arn"], name=m.get("Name") or m["Id"], state=m.get("State"),
                status=m.get("Status"), description=scrub_text(m.get("Description")), content=scrub_text(content),
                content_sha256=m.get("FlowModuleContentSha256") or (sha256_text(content) if content else None)))
        self.inst.flow_modules = modules

    def _describe_content(self, operation: str, id_param: str, result: str, item: dict, hides: str) -> str | None:
        resp = self.r.call("connect", self.region, operation, InstanceId=self.inst.id, **{id_param: item["Id"]},
                           **self._kw(hides, item["Arn"]), absent_codes=("ContactFlowNotPublishedException",))
        if resp is not None and resp is not ABSENT:
            return (resp.get(result) or {}).get("Content")
        if resp is ABSENT:  # saved but never published: read the saved version
            resp = self.r.call("connect", self.region, operation, InstanceId=self.inst.id,
                               **{id_param: f"{item['Id']}:$SAVED"}, **self._kw(hides, item["Arn"]))
            if resp:
                return (resp.get(result) or {}).get("Content")
        return None

    # ------------------------------------------------------------------ the rest

    def _simple(self, operation: str, key: str, hides: str, **params: Any) -> list[Any] | None:
        return self.r.pages("connect", self.region, operation, key, InstanceId=self.inst.id, **params,
                            **self._kw(hides))

    def queues(self) -> None:
        items = self._simple("ListQueues", "QueueSummaryList", "instance.queues")
        if items is not None:
            self.inst.queues = [Queue(id=q["Id"], arn=q["Arn"], name=q.get("Name"), type=q.get("QueueType"))
                                for q in items]

    def quick_connects(self) -> None:
        items = self._simple("ListQuickConnects", "QuickConnectSummaryList", "instance.quick_connects")
        if items is not None:
            self.inst.quick_connects = [
                QuickConnect(id=q["Id"], arn=q["Arn"], name=scrub_text(q.get("Name")), type=q.get("QuickConnectType"))
                for q in items]

    def approved_origins(self) -> None:
        items = self._simple("ListApprovedOrigins", "Origins", "instance.approved_origins")
        if items is not None:
            self.inst.approved_origins = list(items)

    def lambda_functions(self) -> None:
        items = self._simple("ListLambdaFunctions", "LambdaFunctions", "instance.lambda_functions")
        if items is not None:
            self.inst.lambda_functions = list(items)

    def security_keys(self) -> None:
        items = self._simple("ListSecurityKeys", "SecurityKeys", "instance.security_keys")
        if items is not None:
            self.inst.security_keys = [
                SecurityKey(association_id=k.get("AssociationId", ""), creation_time=k.get("CreationTime"),
                            key_sha256=key_fingerprint(k.get("Key") or ""))
                for k in items]

    def authentication_profiles(self) -> None:
        items = self._simple("ListAuthenticationProfiles", "AuthenticationProfileSummaryList",
                             "instance.authentication_profiles")
        if items is None:
            return
        profiles = []
        for s in items:
            prof = AuthenticationProfile(id=s["Id"], arn=s["Arn"], name=s.get("Name") or s["Id"],
                                         is_default=bool(s.get("IsDefault")))
            resp = self.r.call("connect", self.region, "DescribeAuthenticationProfile", InstanceId=self.inst.id,
                               AuthenticationProfileId=s["Id"], **self._kw("authentication_profile", s["Arn"]))
            if resp:
                d = resp.get("AuthenticationProfile", {})
                prof.is_default = bool(d.get("IsDefault", prof.is_default))
                prof.allowed_ips = list(d.get("AllowedIps") or [])
                prof.blocked_ips = list(d.get("BlockedIps") or [])
                prof.periodic_session_duration = d.get("PeriodicSessionDuration")
                prof.max_session_duration = d.get("MaxSessionDuration")
                prof.session_inactivity_duration = d.get("SessionInactivityDuration")
                prof.session_inactivity_handling_enabled = d.get("SessionInactivityHandlingEnabled")
            else:
                prof.settings_seen = False
            profiles.append(prof)
        self.inst.authentication_profiles = profiles

    def phone_numbers(self) -> None:
        items = self._simple("ListPhoneNumbersV2", "ListPhoneNumbersSummaryList", "instance.phone_numbers")
        if items is not None:
            self.inst.phone_numbers = [
                PhoneNumber(id=n["PhoneNumberId"], arn=n["PhoneNumberArn"],
                            number_masked=mask_phone_number(n.get("PhoneNumber")),
                            country_code=n.get("PhoneNumberCountryCode"), type=n.get("PhoneNumberType"),
                            target_arn=n.get("TargetArn"), description=scrub_text(n.get("PhoneNumberDescription")))
                for n in items]

    def flow_associations(self) -> None:
        items = self._simple("ListFlowAssociations", "FlowAssociationSummaryList", "instance.flow_associations",
                             ResourceType="VOICE_PHONE_NUMBER")
        if items is not None:
            self.inst.flow_associations = {a["ResourceId"]: a["FlowId"] for a in items
                                           if a.get("ResourceId") and a.get("FlowId")}

    def integration_associations(self) -> None:
        items = self._simple("ListIntegrationAssociations", "IntegrationAssociationSummaryList",
                             "instance.integration_associations")
        if items is not None:
            self.inst.integration_associations = [
                IntegrationAssociation(id=a.get("IntegrationAssociationId", ""), arn=a.get("IntegrationAssociationArn"),
                                       integration_type=a.get("IntegrationType"),
                                       integration_arn=a.get("IntegrationArn"),
                                       source_application_url=a.get("SourceApplicationUrl"),
                                       source_type=a.get("SourceType"))
                for a in items]


def _storage_config(rtype: str, c: dict[str, Any]) -> StorageConfig:
    s3 = c.get("S3Config") or {}
    kvs = c.get("KinesisVideoStreamConfig") or {}
    enc = s3.get("EncryptionConfig") or kvs.get("EncryptionConfig") or {}
    return StorageConfig(
        association_id=c.get("AssociationId"), resource_type=rtype, storage_type=c.get("StorageType", ""),
        s3_bucket=s3.get("BucketName"), s3_prefix=s3.get("BucketPrefix"), kms_key_id=enc.get("KeyId"),
        kinesis_video_prefix=kvs.get("Prefix"), kinesis_video_retention_hours=kvs.get("RetentionPeriodHours"),
        kinesis_stream_arn=(c.get("KinesisStreamConfig") or {}).get("StreamArn"),
        firehose_arn=(c.get("KinesisFirehoseConfig") or {}).get("FirehoseArn"),
    )


def parse_flow_content(content: str | None) -> Any:
    if content is None:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None
