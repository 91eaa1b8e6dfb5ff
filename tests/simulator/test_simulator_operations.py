"""Every served Connect operation, through a real boto3 client, checked against the world it projects."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from connectguard.simulator.operations import SERVED_OPERATIONS


def _all(client, method: str, key: str, **kwargs):  # noqa: ANN001, ANN202
    pages = client.get_paginator(method).paginate(**kwargs)
    return [item for page in pages for item in page[key]]


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def test_list_and_describe_instances_per_region(connect, estate, world) -> None:
    east = _all(connect, "list_instances", "InstanceSummaryList")
    assert {i["InstanceAlias"] for i in east} == {i.alias for i in world.regions["us-east-1"].connect_instances}
    west_client = estate.client("connect", region="eu-west-2")
    west = west_client.list_instances()["InstanceSummaryList"]
    assert [i["InstanceAlias"] for i in west] == [i.alias for i in world.regions["eu-west-2"].connect_instances]
    for summary in east:
        inst = world.instance(summary["Id"])
        described = connect.describe_instance(InstanceId=summary["Id"])["Instance"]
        assert described["IdentityManagementType"] == inst.identity_management_type
        assert described["Arn"] == summary["Arn"] == f"arn:aws:connect:us-east-1:{world.account_id}:instance/{inst.id}"
        assert described["InboundCallsEnabled"] is (inst.attributes["INBOUND_CALLS"] == "true")
    # an instance of another region is not found from this one
    with pytest.raises(ClientError) as exc:
        connect.describe_instance(InstanceId=west[0]["Id"])
    assert _code(exc) == "ResourceNotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_instance_attributes_paginate_and_describe(connect, support) -> None:
    first = connect.list_instance_attributes(InstanceId=support.id)
    assert len(first["Attributes"]) == 7 and "NextToken" in first  # the model's maximum page is 7
    everything = _all(connect, "list_instance_attributes", "Attributes", InstanceId=support.id)
    assert {a["AttributeType"]: a["Value"] for a in everything} == support.attributes
    one = connect.describe_instance_attribute(InstanceId=support.id, AttributeType="CONTACTFLOW_LOGS")
    assert one["Attribute"]["Value"] == support.attributes["CONTACTFLOW_LOGS"]


def test_storage_configs_need_a_resource_type_and_filter_by_it(connect, support) -> None:
    for kind in {sc.resource_type for sc in support.storage_configs}:
        got = _all(connect, "list_instance_storage_configs", "StorageConfigs", InstanceId=support.id,
                   ResourceType=kind)
        expected = [sc for sc in support.storage_configs if sc.resource_type == kind]
        assert [g["AssociationId"] for g in got] == [sc.association_id for sc in expected]
        for g, sc in zip(got, expected, strict=True):
            assert g["StorageType"] == sc.storage_type
            if sc.storage_type == "S3":
                assert ("EncryptionConfig" in g["S3Config"]) is (sc.kms_key is not None)
    assert connect.list_instance_storage_configs(InstanceId=support.id, ResourceType="EMAIL_MESSAGES")[
        "StorageConfigs"] == []


def test_security_profiles_permissions_and_scoping(connect, support) -> None:
    summaries = _all(connect, "list_security_profiles", "SecurityProfileSummaryList", InstanceId=support.id)
    assert {s["Id"] for s in summaries} == {p.id for p in support.security_profiles}
    for profile in support.security_profiles:
        perms = _all(connect, "list_security_profile_permissions", "Permissions", InstanceId=support.id,
                     SecurityProfileId=profile.id, PaginationConfig={"PageSize": 40})
        assert perms == profile.permissions
        described = connect.describe_security_profile(InstanceId=support.id, SecurityProfileId=profile.id)[
            "SecurityProfile"]
        assert described["SecurityProfileName"] == profile.name
        assert described.get("AllowedAccessControlTags", {}) == profile.allowed_access_control_tags
        assert described.get("TagRestrictedResources", []) == profile.tag_restricted_resources
        assert described.get("HierarchyRestrictedResources", []) == profile.hierarchy_restricted_resources
        assert "Permissions" not in described  # DescribeSecurityProfile never returns them
    scoped = next(p for p in support.security_profiles if p.allowed_access_control_tags)
    searched = _all(connect, "search_security_profiles", "SecurityProfiles", InstanceId=support.id)
    assert {s["Id"] for s in searched} == {p.id for p in support.security_profiles}
    apps_profile = next(p for p in support.security_profiles if p.applications)
    apps = connect.list_security_profile_applications(InstanceId=support.id, SecurityProfileId=apps_profile.id)
    assert [a["Namespace"] for a in apps["Applications"]] == [a.namespace for a in apps_profile.applications]
    modules = connect.list_security_profile_flow_modules(InstanceId=support.id, SecurityProfileId=scoped.id)
    assert modules["AllowedFlowModules"] == []


def test_users_search_without_criteria_returns_everyone_without_email(connect, support) -> None:
    found = _all(connect, "search_users", "Users", InstanceId=support.id, PaginationConfig={"PageSize": 100})
    assert len(found) == len(support.users) and len({u["Id"] for u in found}) == len(support.users)
    by_id = {u.id: u for u in support.users}
    for item in found:
        user = by_id[item["Id"]]
        assert item["SecurityProfileIds"] == user.security_profile_ids
        assert item["RoutingProfileId"] == user.routing_profile_id
        assert set(item.get("IdentityInfo", {})) <= {"FirstName", "LastName"}  # UserIdentityInfoLite
    page = connect.search_users(InstanceId=support.id, MaxResults=5)
    assert page["ApproximateTotalCount"] == len(support.users)
    sample = support.users[0]
    described = connect.describe_user(InstanceId=support.id, UserId=sample.id)["User"]
    assert described["IdentityInfo"]["Email"] == sample.email
    assert described["SecurityProfileIds"] == sample.security_profile_ids
    listed = _all(connect, "list_users", "UserSummaryList", InstanceId=support.id)
    assert [u["Username"] for u in listed] == [u.username for u in support.users]


def test_users_search_by_security_profile(connect, support) -> None:
    admin = next(p for p in support.security_profiles if p.name == "Admin")
    found = _all(connect, "search_users", "Users", InstanceId=support.id, SearchCriteria={
        "StringCondition": {"FieldName": "SecurityProfileId", "Value": admin.id, "ComparisonType": "EXACT"}})
    assert {u["Id"] for u in found} == {u.id for u in support.users if admin.id in u.security_profile_ids}
    with pytest.raises(ClientError) as exc:
        connect.search_users(InstanceId=support.id, SearchFilter={"TagFilter": {"OrConditions": []}})
    assert _code(exc) == "InvalidParameterException"  # unsupported is loud, not silently ignored


def test_flows_list_describe_search(connect, support) -> None:
    summaries = _all(connect, "list_contact_flows", "ContactFlowSummaryList", InstanceId=support.id)
    assert {s["Id"] for s in summaries} == {f.id for f in support.flows}
    queues_only = connect.list_contact_flows(InstanceId=support.id, ContactFlowTypes=["CUSTOMER_QUEUE"])
    assert {s["Id"] for s in queues_only["ContactFlowSummaryList"]} == {
        f.id for f in support.flows if f.type == "CUSTOMER_QUEUE"}
    searched = _all(connect, "search_contact_flows", "ContactFlows", InstanceId=support.id)
    contents = {f["Id"]: f["Content"] for f in searched}
    for flow in support.flows:
        assert contents[flow.id] == flow.content_string()
    main = next(f for f in support.flows if f.name == "Main IVR")
    described = connect.describe_contact_flow(InstanceId=support.id, ContactFlowId=main.id)["ContactFlow"]
    assert json.loads(described["Content"]) == main.content


def test_unpublished_flow_needs_the_saved_qualifier(connect, support) -> None:
    draft = next(f for f in support.flows if f.status == "SAVED")
    with pytest.raises(ClientError) as exc:
        connect.describe_contact_flow(InstanceId=support.id, ContactFlowId=draft.id)
    assert _code(exc) == "ContactFlowNotPublishedException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    saved = connect.describe_contact_flow(InstanceId=support.id, ContactFlowId=f"{draft.id}:$SAVED")
    assert saved["ContactFlow"]["Status"] == "SAVED"


def test_flow_modules(connect, support) -> None:
    listed = _all(connect, "list_contact_flow_modules", "ContactFlowModulesSummaryList", InstanceId=support.id)
    assert {m["Id"] for m in listed} == {m.id for m in support.flow_modules}
    module = support.flow_modules[0]
    described = connect.describe_contact_flow_module(InstanceId=support.id, ContactFlowModuleId=module.id)
    assert described["ContactFlowModule"]["Content"] == module.content_string()
    searched = _all(connect, "search_contact_flow_modules", "ContactFlowModules", InstanceId=support.id)
    assert {m["Id"] for m in searched} == {m.id for m in support.flow_modules}


def test_queues_quick_connects_routing(connect, support) -> None:
    assert {q["Id"] for q in _all(connect, "list_queues", "QueueSummaryList", InstanceId=support.id)} == {
        q.id for q in support.queues}
    assert {q["QueueId"] for q in _all(connect, "search_queues", "Queues", InstanceId=support.id)} == {
        q.id for q in support.queues if q.type == "STANDARD"}
    listed = _all(connect, "list_quick_connects", "QuickConnectSummaryList", InstanceId=support.id)
    assert {q["Id"] for q in listed} == {q.id for q in support.quick_connects}
    searched = _all(connect, "search_quick_connects", "QuickConnects", InstanceId=support.id)
    types = {q["QuickConnectId"]: q["QuickConnectConfig"]["QuickConnectType"] for q in searched}
    assert types == {q.id: q.type for q in support.quick_connects}
    routing = _all(connect, "list_routing_profiles", "RoutingProfileSummaryList", InstanceId=support.id)
    assert {r["Id"] for r in routing} == {r.id for r in support.routing_profiles}


def test_origins_lambdas_keys_integrations(connect, support) -> None:
    assert _all(connect, "list_approved_origins", "Origins", InstanceId=support.id) == support.approved_origins
    assert _all(connect, "list_lambda_functions", "LambdaFunctions", InstanceId=support.id) == (
        support.lambda_functions)
    keys = connect.list_security_keys(InstanceId=support.id)["SecurityKeys"]
    assert [k["Key"] for k in keys] == [k.key for k in support.security_keys]
    assert keys[0]["Key"].startswith("-----BEGIN PUBLIC KEY-----")
    integrations = _all(connect, "list_integration_associations", "IntegrationAssociationSummaryList",
                        InstanceId=support.id)
    assert [i["IntegrationArn"] for i in integrations] == [i.integration_arn for i in support.integration_associations]


def test_authentication_profiles(connect, world) -> None:
    for inst in world.regions["us-east-1"].connect_instances:
        client = connect
        listed = client.list_authentication_profiles(InstanceId=inst.id)["AuthenticationProfileSummaryList"]
        assert [p["Id"] for p in listed] == [p.id for p in inst.authentication_profiles]
        for profile in inst.authentication_profiles:
            got = client.describe_authentication_profile(InstanceId=inst.id, AuthenticationProfileId=profile.id)[
                "AuthenticationProfile"]
            assert got.get("AllowedIps", []) == profile.allowed_ips
            assert got.get("MaxSessionDuration") == profile.max_session_duration


def test_phone_numbers_and_their_flows(connect, support, world) -> None:
    by_instance = _all(connect, "list_phone_numbers_v2", "ListPhoneNumbersSummaryList", InstanceId=support.id)
    assert {n["PhoneNumberId"] for n in by_instance} == {n.id for n in support.phone_numbers}
    target = f"arn:aws:connect:us-east-1:{world.account_id}:instance/{support.id}"
    by_target = _all(connect, "list_phone_numbers_v2", "ListPhoneNumbersSummaryList", TargetArn=target)
    assert by_target == by_instance
    everything = _all(connect, "list_phone_numbers_v2", "ListPhoneNumbersSummaryList")
    assert len(everything) == sum(len(i.phone_numbers) for i in world.regions["us-east-1"].connect_instances)
    associations = _all(connect, "list_flow_associations", "FlowAssociationSummaryList", InstanceId=support.id,
                        ResourceType="VOICE_PHONE_NUMBER")
    arn_of_number = {n["PhoneNumberArn"]: n["PhoneNumberId"] for n in by_instance}
    got = {arn_of_number[a["ResourceId"]]: a["FlowId"].rsplit("/", 1)[-1] for a in associations}
    assert got == {n.id: n.flow_id for n in support.phone_numbers if n.flow_id}


def test_every_required_operation_is_served() -> None:
    required = {
        "ListInstances", "DescribeInstance", "ListInstanceAttributes", "DescribeInstanceAttribute",
        "ListInstanceStorageConfigs", "ListSecurityProfiles", "DescribeSecurityProfile",
        "ListSecurityProfilePermissions", "ListSecurityProfileApplications", "ListSecurityProfileFlowModules",
        "SearchSecurityProfiles", "SearchUsers", "ListUsers", "DescribeUser", "ListContactFlows",
        "DescribeContactFlow", "SearchContactFlows", "ListContactFlowModules", "DescribeContactFlowModule",
        "SearchContactFlowModules", "ListQueues", "SearchQueues", "ListQuickConnects", "SearchQuickConnects",
        "ListApprovedOrigins", "ListLambdaFunctions", "ListSecurityKeys", "ListAuthenticationProfiles",
        "DescribeAuthenticationProfile", "ListPhoneNumbersV2", "ListFlowAssociations",
        "ListIntegrationAssociations", "ListRoutingProfiles", "UpdateInstanceAttribute",
    }
    assert required <= SERVED_OPERATIONS


def test_unserved_and_mutating_operations_fail_loudly(connect, support) -> None:
    with pytest.raises(ClientError) as exc:
        connect.list_bots(InstanceId=support.id, LexVersion="V2")
    assert _code(exc) == "NotImplemented" and "ListBots" in str(exc.value)
    with pytest.raises(ClientError) as exc:
        connect.delete_instance(InstanceId=support.id)
    assert _code(exc) == "AccessDeniedException" and "DeleteInstance" in str(exc.value)
    assert connect.describe_instance(InstanceId=support.id)["Instance"]["Id"] == support.id  # still there


def test_update_instance_attribute_is_served_and_visible(estate, world) -> None:
    client = estate.client("connect", region="eu-west-2")
    inst = world.regions["eu-west-2"].connect_instances[0]
    before = inst.attributes["CONTACT_LENS"]
    after = "true" if before == "false" else "false"
    try:
        client.update_instance_attribute(InstanceId=inst.id, AttributeType="CONTACT_LENS", Value=after)
        got = client.describe_instance_attribute(InstanceId=inst.id, AttributeType="CONTACT_LENS")
        assert got["Attribute"]["Value"] == after
        with pytest.raises(ClientError) as exc:
            client.update_instance_attribute(InstanceId=inst.id, AttributeType="NOT_AN_ATTRIBUTE", Value="true")
        assert _code(exc) == "InvalidParameterException"
    finally:
        client.update_instance_attribute(InstanceId=inst.id, AttributeType="CONTACT_LENS", Value=before)


def test_unknown_instance_is_not_found(connect) -> None:
    with pytest.raises(ClientError) as exc:
        connect.list_users(InstanceId="00000000-0000-4000-8000-000000000000")
    assert _code(exc) == "ResourceNotFoundException"


def test_update_contact_flow_content_is_served_and_validated(connect, support) -> None:
    flow = next(f for f in support.flows if f.name == "After Hours")
    original = flow.content_string()
    doc = json.loads(original)
    doc["Actions"].insert(0, {"Identifier": "log", "Type": "UpdateFlowLoggingBehavior",
                              "Parameters": {"FlowLoggingBehavior": "Enabled"},
                              "Transitions": {"NextAction": doc["StartAction"]}})
    doc["StartAction"] = "log"
    try:
        connect.update_contact_flow_content(InstanceId=support.id, ContactFlowId=flow.id, Content=json.dumps(doc))
        got = connect.describe_contact_flow(InstanceId=support.id, ContactFlowId=flow.id)["ContactFlow"]
        assert json.loads(got["Content"]) == doc
        with pytest.raises(ClientError) as exc:
            connect.update_contact_flow_content(InstanceId=support.id, ContactFlowId=flow.id, Content="{broken")
        assert _code(exc) == "InvalidContactFlowException"
    finally:
        connect.update_contact_flow_content(InstanceId=support.id, ContactFlowId=flow.id, Content=original)
