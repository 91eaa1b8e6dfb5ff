"""Ready-made worlds: a deliberately mis-configured demo contact center, and a benchmark world.

Everything is generated from a seeded ``random.Random``: the same call returns the
same world (ids included), so tests can derive their expectations from the world
object rather than hard-coding them. docs/simulator.md lists each deliberate
misconfiguration and the practice it exercises.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from functools import lru_cache
from typing import Any

from connectguard.simulator.world import (
    EPOCH,
    Alarm,
    AuthenticationProfile,
    Bucket,
    ConnectInstance,
    Directory,
    FirehoseStream,
    Flow,
    FlowModule,
    Iam,
    IamPolicy,
    IamRole,
    IamUser,
    IntegrationAssociation,
    KinesisStream,
    KmsKey,
    LambdaFunction,
    LogGroup,
    Organization,
    OrganizationalUnit,
    PhoneNumber,
    Queue,
    QuickConnect,
    RadiusSettings,
    Region,
    RoutingProfile,
    SamlProvider,
    Scp,
    SecurityKey,
    SecurityProfile,
    SecurityProfileApplication,
    StorageConfig,
    Trail,
    User,
    World,
    default_attributes,
)

ACCOUNT = "123456789012"

# --------------------------------------------------------------------------- permission vocabulary

AGENT_PERMISSIONS = [
    "BasicAgentAccess", "OutboundCallAccess", "AudioDeviceSettings.Access", "VideoContact.Access",
    "TransferContact.Enabled", "StopContact.Enabled", "MyContacts.View", "Wisdom.View",
    "CustomViews.Access", "Cobrowse.Access", "RealtimeContactLens.View",
]
MANAGER_PERMISSIONS = [
    "AccessMetrics", "AccessMetrics.RealTimeMetrics.Access", "AccessMetrics.HistoricalMetrics.Access",
    "AgentTimeCard.View", "ContactSearch.View", "ContactAttributes.View", "ListenCallRecordings",
    "DownloadCallRecordings", "ManagerListenIn", "ManagerBargeIn", "Users.View", "Users.Create", "Users.Edit",
    "Users.EnableAndDisable", "RoutingPolicies.View", "RoutingPolicies.Edit", "Queues.View", "Queues.Edit",
    "HoursOfOperation.View", "HoursOfOperation.Edit", "TransferDestinations.View", "SecurityProfiles.View",
    "PhoneNumbers.View", "ContactFlows.View", "AgentStates.View", "AgentGrouping.View",
]
QA_PERMISSIONS = [
    "AccessMetrics", "AgentTimeCard.View", "ContactAttributes.View", "ContactSearch.View",
    "ListenCallRecordings", "Evaluation.View", "EvaluationForms.View", "RedactedData.View",
]
ADMIN_PERMISSIONS = sorted(set(
    AGENT_PERMISSIONS + MANAGER_PERMISSIONS + QA_PERMISSIONS + [
        f"{area}.{verb}"
        for area, verbs in {
            "Users": ["Create", "Delete", "Edit", "EditPermission", "EnableAndDisable", "View"],
            "SecurityProfiles": ["Create", "Delete", "Edit", "View"],
            "AgentGrouping": ["Create", "Edit", "EnableAndDisable", "View"],
            "AgentStates": ["Create", "Edit", "EnableAndDisable", "View"],
            "RoutingPolicies": ["Create", "Delete", "Edit", "View"],
            "Queues": ["Create", "Delete", "Edit", "EditExpressions", "EnableAndDisable", "Purge", "View"],
            "TransferDestinations": ["Create", "Delete", "Edit", "View"],
            "HoursOfOperation": ["Create", "Delete", "Edit", "View"],
            "ContactFlows": ["Create", "Delete", "Edit", "Publish", "View"],
            "ContactFlowModules": ["Create", "Delete", "Edit", "Execute", "Publish", "View"],
            "Prompts": ["Create", "Delete", "Edit", "View"],
            "PhoneNumbers": ["Claim", "Edit", "Release", "View"],
            "Views": ["Create", "Edit", "Remove", "View"],
            "Bots": ["Create", "Edit", "View"],
            "Rules": ["Create", "Delete", "Edit", "View"],
            "MetricsReports": ["Create", "Delete", "Edit", "Publish", "Schedule", "Share", "View"],
            "CallRecordings.Unredacted": ["Access", "DownloadButton"],
            "ContactTranscripts.Unredacted": ["Access", "DownloadButton"],
            "CustomerProfiles": ["Create", "Edit", "View"],
            "Cases": ["Create", "Edit", "View"],
            "TaskTemplates": ["Create", "Delete", "Edit", "View"],
            "EvaluationForms": ["Create", "Delete", "Edit", "View"],
        }.items()
        for verb in verbs
    ] + ["DeleteCallRecordings", "UnredactedData.View", "HistoricalChanges.View", "ScreenRecording.Download"]
))
UNKNOWN_PERMISSIONS = ["AgentWorkspace.Copilot.Access", "DataLake.Export"]  # names newer than connectguard's catalogue

FIRST_NAMES = ["Ada", "Ben", "Chloe", "Dev", "Elif", "Farah", "Gus", "Hana", "Ivan", "Jo", "Kemal", "Lena",
               "Mo", "Nia", "Omar", "Pia", "Quinn", "Ravi", "Sofia", "Tariq", "Uma", "Vik", "Wen", "Yara", "Zoe"]
LAST_NAMES = ["Abbott", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones",
              "Khan", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Quist", "Rossi", "Singh", "Tanaka"]


class _Ids:
    """Deterministic UUIDs from a seeded generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


# --------------------------------------------------------------------------- flow language helpers


def _action(ident: str, kind: str, params: dict[str, Any] | None = None, nxt: str | None = None,
            errors: list[str] | None = None, conditions: list[tuple[str, str, str]] | None = None
            ) -> dict[str, Any]:
    transitions: dict[str, Any] = {}
    if nxt:
        transitions["NextAction"] = nxt
    if errors is not None and nxt:
        transitions["Errors"] = [{"NextAction": nxt if e != "NoMatchingError" else nxt, "ErrorType": e}
                                 for e in errors]
    if conditions:
        transitions["Conditions"] = [
            {"NextAction": target, "Condition": {"Operator": operator, "Operands": [operand]}}
            for target, operator, operand in conditions
        ]
    return {"Identifier": ident, "Type": kind, "Parameters": params or {}, "Transitions": transitions}


def _flow_doc(actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2019-10-30", "StartAction": actions[0]["Identifier"],
            "Metadata": {"entryPointPosition": {"x": 40, "y": 40}}, "Actions": actions}


def _logging(ident: str, enabled: bool, nxt: str) -> dict[str, Any]:
    return _action(ident, "UpdateFlowLoggingBehavior",
                   {"FlowLoggingBehavior": "Enabled" if enabled else "Disabled"}, nxt)


def _lambda(ident: str, arn: str, nxt: str, error_to: str) -> dict[str, Any]:
    a = _action(ident, "InvokeLambdaFunction",
                {"LambdaFunctionARN": arn, "InvocationTimeLimitSeconds": "8", "InvocationType": "SYNCHRONOUS",
                 "ResponseValidation": {"ResponseType": "STRING_MAP"}}, nxt)
    a["Transitions"]["Errors"] = [{"NextAction": error_to, "ErrorType": "NoMatchingError"}]
    return a


def _queue_transfer(ident: str, queue_arn: str, end: str) -> list[dict[str, Any]]:
    set_q = _action(f"{ident}-set", "UpdateContactTargetQueue", {"QueueId": queue_arn}, f"{ident}-xfer")
    set_q["Transitions"]["Errors"] = [{"NextAction": end, "ErrorType": "NoMatchingError"}]
    xfer = _action(f"{ident}-xfer", "TransferContactToQueue", {}, end)
    xfer["Transitions"]["Errors"] = [{"NextAction": end, "ErrorType": "QueueAtCapacity"},
                                     {"NextAction": end, "ErrorType": "NoMatchingError"}]
    return [set_q, xfer]


def _end(ident: str = "end") -> dict[str, Any]:
    return _action(ident, "DisconnectParticipant")


def _say(ident: str, text: str, nxt: str) -> dict[str, Any]:
    return _action(ident, "MessageParticipant", {"Text": text}, nxt)


# --------------------------------------------------------------------------- keys


@lru_cache(maxsize=8)
def _public_key_pem(seed: int) -> str:
    """A deterministic EC public key (PEM) for ListSecurityKeys: derived from the seed, never secret."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.derive_private_key(10**20 + seed, ec.SECP256R1())
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# --------------------------------------------------------------------------- the demo world


def demo_world(seed: int = 7) -> World:
    """A realistic, deliberately mis-configured contact center (see docs/simulator.md)."""
    rng = random.Random(seed)
    new_id = _Ids(rng)
    east, west = "us-east-1", "eu-west-2"

    def lambda_arn(region: str, name: str, account: str = ACCOUNT) -> str:
        return f"arn:aws:lambda:{region}:{account}:function:{name}"

    screen_east = lambda_arn(east, "connectguard-screen-caller")
    crm_east = lambda_arn(east, "acme-crm-lookup")
    survey_east = lambda_arn(east, "acme-post-call-survey")
    auth_east = lambda_arn(east, "acme-authenticate-caller")
    foreign_lambda = lambda_arn(east, "partner-ivr-hook", account="444455556666")  # another account
    screen_west = lambda_arn(west, "connectguard-screen-caller")

    support = _support_instance(rng, new_id, east, screen_east, crm_east, survey_east, auth_east, foreign_lambda)
    sales = _sales_instance(rng, new_id, east, crm_east)
    eu = _eu_instance(rng, new_id, west, screen_west)

    exec_role = "connectguard-lambda-exec"
    connect_perm = [{"principal": "connect.amazonaws.com", "source_account": ACCOUNT}]
    east_region = Region(
        connect_instances=[support, sales],
        directories=[
            Directory(name="sales-ad.acme.example", short_name="SALESAD", type="MicrosoftAD",
                      radius=RadiusSettings(servers=["10.20.0.10", "10.20.1.10"], protocol="MS-CHAPv2")),
            # A directory left without RADIUS MFA (no instance uses it yet).
            Directory(name="legacy-ad.acme.example", short_name="LEGACY", type="MicrosoftAD", radius=None),
        ],
        kms_keys=[
            KmsKey(alias="alias/connect-recordings", description="Connect call recordings", rotation=True),
            KmsKey(alias="alias/connect-streams", description="Connect CTR stream", rotation=False),
        ],
        kinesis_streams=[
            KinesisStream(name="acme-support-ctr"),  # unencrypted
            KinesisStream(name="acme-sales-ctr", kms_key="alias/connect-streams"),
        ],
        firehose_streams=[FirehoseStream(name="acme-support-agent-events", bucket="acme-connect-agent-events")],
        lambda_functions=[
            LambdaFunction(name="connectguard-screen-caller", role=exec_role, permissions=connect_perm),
            LambdaFunction(name="acme-crm-lookup", role=exec_role,
                           permissions=[{"principal": "connect.amazonaws.com"}]),  # no source condition
            LambdaFunction(name="acme-post-call-survey", role=exec_role, permissions=connect_perm),
            LambdaFunction(name="acme-authenticate-caller", role=exec_role, permissions=connect_perm),
            LambdaFunction(name="acme-log-forwarder", role=exec_role,
                           permissions=[{"principal": "logs.amazonaws.com", "source_account": ACCOUNT}]),
        ],
        log_groups=[
            LogGroup(
                name="/aws/connect/acme-support", retention_days=400,
                subscription_filters=[{"name": "to-siem", "pattern": "",
                                       "destination": lambda_arn(east, "acme-log-forwarder")}],
                metric_filters=[{"name": "flow-errors", "pattern": '{ $.Results = "Error" }',
                                 "metric_name": "FlowErrors", "namespace": "Acme/Connect"}],
            ),
            LogGroup(name="/aws/connect/acme-sales"),  # never expires
        ],
        alarms=[
            Alarm(name="acme-support-throttled-calls", metric_name="ThrottledCalls",
                  dimensions={"InstanceId": support.id, "MetricGroup": "VoiceCalls"}, sns_topic="connect-alerts"),
            Alarm(name="acme-support-flow-fatal-errors", metric_name="ContactFlowFatalErrors",
                  dimensions={"InstanceId": support.id, "MetricGroup": "ContactFlow"}, sns_topic="connect-alerts"),
        ],
        trails=[Trail(name="acme-management-trail", bucket="acme-cloudtrail-logs", multi_region=True,
                      log_file_validation=False, kms_key=None)],
    )
    west_region = Region(
        connect_instances=[eu],
        # RADIUS MFA configured (MS-CHAPv2): acme-eu's users sign in with a second factor.
        directories=[Directory(name="corp.acme.example", short_name="CORP", type="MicrosoftAD",
                               radius=RadiusSettings(servers=["10.40.0.10"], protocol="MS-CHAPv2"))],
        kms_keys=[KmsKey(alias="alias/connect-eu", description="Connect EU data", rotation=True)],
        firehose_streams=[FirehoseStream(name="acme-eu-agent-events", bucket="acme-eu-agent-events",
                                         kms_key="alias/connect-eu")],
        lambda_functions=[LambdaFunction(name="connectguard-screen-caller", role=exec_role,
                                         permissions=connect_perm)],
        log_groups=[LogGroup(name="/aws/connect/acme-eu", retention_days=90, kms_key="alias/connect-eu",
                             metric_filters=[{"name": "flow-errors", "pattern": '{ $.Results = "Error" }',
                                              "metric_name": "FlowErrors", "namespace": "Acme/ConnectEU"}])],
        # The EU team's own trail: log-file validation and KMS on (the management trail has neither).
        trails=[Trail(name="acme-eu-trail", bucket="acme-eu-cloudtrail-logs", multi_region=False,
                      log_file_validation=True, kms_key="alias/connect-eu")],
        # acme-eu is watched properly: an alarm with an action on every Connect trouble metric, and on the
        # errors its flow logs count.
        alarms=[
            *[Alarm(name=f"acme-eu-{metric}", metric_name=metric, dimensions={"InstanceId": eu.id},
                    sns_topic="connect-eu-alerts")
              for metric in ("ContactFlowErrors", "ContactFlowFatalErrors", "ThrottledCalls",
                             "CallsBreachingConcurrencyQuota", "MisconfiguredPhoneNumbers",
                             "CallRecordingUploadError", "ConcurrentCallsPercentage")],
            Alarm(name="acme-eu-flow-log-errors", namespace="Acme/ConnectEU", metric_name="FlowErrors",
                  sns_topic="connect-eu-alerts"),
        ],
    )

    buckets = [
        Bucket(name="acme-connect-recordings", region=east, versioning=True, kms_key="alias/connect-recordings",
               public_access_block=True, lifecycle_days=365),
        Bucket(name="acme-connect-chat-transcripts", region=east),  # no lifecycle, no public-access block
        Bucket(name="acme-connect-agent-events", region=east, public_access_block=True),
        Bucket(name="acme-cloudtrail-logs", region=east, public_access_block=True, policy=_trail_bucket_policy(
            "acme-cloudtrail-logs")),
        Bucket(name="acme-eu-recordings", region=west, versioning=True, object_lock=True,
               kms_key="alias/connect-eu", public_access_block=True, lifecycle_days=730),
        Bucket(name="acme-eu-agent-events", region=west, public_access_block=True, lifecycle_days=90),
        Bucket(name="acme-eu-cloudtrail-logs", region=west, versioning=True, public_access_block=True,
               lifecycle_days=400, policy=_trail_bucket_policy("acme-eu-cloudtrail-logs")),
    ]

    return World(
        account_id=ACCOUNT,
        name="acme-demo",
        regions={east: east_region, west: west_region},
        iam=_demo_iam(support, sales, eu, east, west),
        buckets=buckets,
        organization=_demo_organization(support, east),
    )


def _default_profiles(new_id: _Ids) -> dict[str, SecurityProfile]:
    return {
        "Admin": SecurityProfile(id=new_id(), name="Admin", type="AWS_MANAGED",
                                 description="An administrator can perform all actions available.",
                                 permissions=ADMIN_PERMISSIONS),
        "Agent": SecurityProfile(id=new_id(), name="Agent", type="AWS_MANAGED",
                                 description="An agent is a user of the system that is focused on customer care "
                                 "and/or sales. Their role is unlikely to be technical.",
                                 permissions=["BasicAgentAccess", "OutboundCallAccess", "AccessMetrics",
                                              "ContactSearch.View", "ListenCallRecordings", "Users.View"]),
        "CallCenterManager": SecurityProfile(id=new_id(), name="CallCenterManager", type="AWS_MANAGED",
                                             description="A call center manager (or call center admin) manages the "
                                             "day-to-day aspects of the call center.",
                                             permissions=MANAGER_PERMISSIONS),
        "QualityAnalyst": SecurityProfile(id=new_id(), name="QualityAnalyst", type="AWS_MANAGED",
                                          description="A quality analyst works to improve the customer experience "
                                          "and keeps track of live service metrics.",
                                          permissions=QA_PERMISSIONS),
    }


def _routing_profiles(new_id: _Ids) -> list[RoutingProfile]:
    return [RoutingProfile(id=new_id(), name=n) for n in ("Basic Routing Profile", "Support", "Sales", "Billing")]


def _users(rng: random.Random, new_id: _Ids, prefix: str, count: int, profile_pool: list[SecurityProfile],
           routing: list[RoutingProfile], directory: bool = False) -> list[User]:
    users = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = f"{first.lower()}.{last.lower()}{n}"
        profile = rng.choice(profile_pool)
        users.append(User(
            id=new_id(), username=f"{prefix}{username}", first_name=first, last_name=last,
            email=f"{username}@acme.example", security_profile_ids=[profile.id],
            routing_profile_id=rng.choice(routing).id,
            directory_user_id=new_id() if directory else None,
            after_contact_work_seconds=rng.choice([0, 30, 60]),
            last_modified=EPOCH + dt.timedelta(days=rng.randint(0, 300)),
        ))
    return users


def _queues(new_id: _Ids, names: list[str]) -> list[Queue]:
    return [Queue(id=new_id(), name=n, max_contacts=50) for n in names]


def _support_instance(rng: random.Random, new_id: _Ids, region: str, screen: str, crm: str, survey: str,
                      auth: str, foreign: str) -> ConnectInstance:
    iid = new_id()
    base = f"arn:aws:connect:{region}:{ACCOUNT}:instance/{iid}"
    profiles = _default_profiles(new_id)
    custom = {
        # an agent profile that can also edit users (privilege escalation from the floor)
        "AgentPlus": SecurityProfile(id=new_id(), name="AgentPlus", description="Agents who fix their own records",
                                     permissions=["BasicAgentAccess", "OutboundCallAccess", "Users.Edit",
                                                  "Users.View"]),
        # a non-admin profile that can change anyone's security profiles
        "TeamLeadPermissions": SecurityProfile(id=new_id(), name="TeamLeadPermissions",
                                               description="Team leads assign profiles",
                                               permissions=["BasicAgentAccess", "Users.View", "Users.EditPermission",
                                                            "AccessMetrics"]),
        # with TeamLeadPermissions, admin-equivalent only together
        "ProfileEditor": SecurityProfile(id=new_id(), name="ProfileEditor", description="Edits security profiles",
                                         permissions=["SecurityProfiles.View", "SecurityProfiles.Edit",
                                                      "SecurityProfiles.Create"]),
        "LegacyIVRTester": SecurityProfile(id=new_id(), name="LegacyIVRTester", description="Nobody uses this",
                                           permissions=["ChatTestMode", "ContactFlows.View", "ContactFlows.Edit"]),
        # an admin scoped by access-control tags: admin-equivalent, but only over tagged resources
        "RegionalAdmin": SecurityProfile(id=new_id(), name="RegionalAdmin", description="Admin for EMEA resources",
                                         permissions=ADMIN_PERMISSIONS,
                                         allowed_access_control_tags={"Region": "EMEA"},
                                         tag_restricted_resources=["User", "SecurityProfile", "Queue",
                                                                   "RoutingProfile"]),
        "FutureFeatures": SecurityProfile(id=new_id(), name="FutureFeatures", description="Pilot of new features",
                                          permissions=["BasicAgentAccess", *UNKNOWN_PERMISSIONS],
                                          applications=[SecurityProfileApplication(
                                              namespace="crm.acme.example", permissions=["ACCESS"])]),
        "SupervisorsEMEA": SecurityProfile(id=new_id(), name="SupervisorsEMEA",
                                           description="Supervisors restricted by hierarchy",
                                           permissions=["AccessMetrics", "ManagerListenIn", "ContactSearch.View",
                                                        "Users.View"],
                                           hierarchy_restricted_resources=["User"],
                                           allowed_access_control_hierarchy_group_id=new_id()),
    }
    teams = []
    for n in range(24):  # dozens of team profiles with agent-ish permission subsets
        extra = rng.sample(["ListenCallRecordings", "ContactSearch.View", "AccessMetrics", "Queues.View",
                            "TransferDestinations.View", "RealtimeContactLens.View", "ManagerListenIn"], k=2)
        teams.append(SecurityProfile(id=new_id(), name=f"Team{n:02d}-Agents", description=f"Agents of team {n:02d}",
                                     permissions=sorted({"BasicAgentAccess", *rng.sample(AGENT_PERMISSIONS, k=3),
                                                         *extra}),
                                     last_modified=EPOCH + dt.timedelta(days=n)))
    all_profiles = [*profiles.values(), *custom.values(), *teams]
    routing = _routing_profiles(new_id)

    users = _users(rng, new_id, "", 260, [profiles["Agent"], *teams], routing)
    staff = _users(rng, new_id, "ops.", 20, [profiles["CallCenterManager"], profiles["QualityAnalyst"]], routing)
    admins = _users(rng, new_id, "admin.", 5, [profiles["Admin"]], routing)  # more than 3 admins
    for u in admins[:2]:  # two admins also carry a second profile
        u.security_profile_ids.append(profiles["CallCenterManager"].id)
    specials = _users(rng, new_id, "special.", 4, [profiles["Agent"]], routing)
    specials[0].security_profile_ids = [custom["TeamLeadPermissions"].id, custom["ProfileEditor"].id]
    specials[1].security_profile_ids = [custom["RegionalAdmin"].id]
    specials[2].security_profile_ids = [custom["AgentPlus"].id]
    specials[3].security_profile_ids = [custom["TeamLeadPermissions"].id]
    for u in users[:6]:
        u.security_profile_ids = [custom["AgentPlus"].id]
    for u in users[6:9]:
        u.security_profile_ids = [custom["FutureFeatures"].id]
    for u in staff[:3]:
        u.security_profile_ids = [custom["SupervisorsEMEA"].id]
    # "Unused": LegacyIVRTester and ProfileEditor alone are held only as described above.

    queues = _queues(new_id, ["BasicQueue", "Support", "Billing", "Escalations", "Callbacks"])
    q = {x.name: f"{base}/queue/{x.id}" for x in queues}
    module_auth = FlowModule(id=new_id(), name="Authenticate Caller", content=_flow_doc([
        _logging("log", True, "auth"),
        _lambda("auth", auth, "ok", "fail"),
        _action("ok", "EndFlowExecution"),
        _action("fail", "EndFlowExecution"),
    ]))
    module_survey = FlowModule(id=new_id(), name="Post-call Survey", content=_flow_doc([
        _lambda("survey", survey, "done", "done"),  # no logging block in the module
        _action("done", "EndFlowExecution"),
    ]))

    escalations = Flow(id=new_id(), name="Escalations", description="Tier 3: no logging block", content=_flow_doc([
        _say("hello", "Connecting you to a specialist.", "esc-set"),
        *_queue_transfer("esc", q["Escalations"], "end"),
        _end(),
    ]))
    tier2 = Flow(id=new_id(), name="Support Tier 2", content=_flow_doc([
        _logging("log", True, "crm"),
        _lambda("crm", crm, "to-esc", "to-esc"),
        _action("to-esc", "TransferToFlow", {"ContactFlowId": f"{base}/contact-flow/{escalations.id}"}, "end"),
        _end(),
    ]))
    main_ivr = Flow(id=new_id(), name="Main IVR", description="Entry flow: screens callers first",
                    content=_flow_doc([
                        _logging("log", True, "record"),
                        _action("record", "UpdateContactRecordingBehavior",
                                {"RecordingBehavior": {"RecordedParticipants": ["Agent", "Customer"]}}, "screen"),
                        _lambda("screen", screen, "decide", "main-set"),
                        _action("decide", "Compare", {"ComparisonValue": "$.External.decision"}, "main-set",
                                conditions=[("blocked", "Equals", "block")]),
                        _say("blocked", "We cannot take your call.", "end"),
                        *_queue_transfer("main", q["Support"], "end"),
                        _end(),
                    ]))
    support_entry = Flow(id=new_id(), name="Support Entry", content=_flow_doc([
        _logging("log", True, "auth"),
        _action("auth", "InvokeFlowModule", {"FlowModuleId": module_auth.id}, "to-t2"),
        _action("to-t2", "TransferToFlow", {"ContactFlowId": f"{base}/contact-flow/{tier2.id}"}, "end"),
        _end(),
    ]))
    billing = Flow(id=new_id(), name="Billing Line", description="Entry flow: no caller screening",
                   content=_flow_doc([
                       _logging("log", True, "crm"),
                       _lambda("crm", crm, "bill-set", "bill-set"),
                       *_queue_transfer("bill", q["Billing"], "end"),
                       _end(),
                   ]))
    late_logging = Flow(id=new_id(), name="Callback Line", description="Logs only after calling the CRM",
                        content=_flow_doc([
                            _lambda("crm", crm, "log", "log"),
                            _logging("log", True, "cb-set"),
                            *_queue_transfer("cb", q["Callbacks"], "end"),
                            _end(),
                        ]))
    no_logging = Flow(id=new_id(), name="After Hours", description="No logging block at all", content=_flow_doc([
        _say("closed", "We are closed. Please call again during business hours.", "end"),
        _end(),
    ]))
    disabled_logging = Flow(id=new_id(), name="Legacy Survey", description="Turns flow logging off",
                            content=_flow_doc([
                                _logging("log", False, "survey"),
                                _lambda("survey", survey, "mod", "end"),
                                _action("mod", "InvokeFlowModule", {"FlowModuleId": module_survey.id}, "end"),
                                _end(),
                            ]))
    partner = Flow(id=new_id(), name="Partner Hand-off", description="Calls a Lambda in another account",
                   content=_flow_doc([
                       _logging("log", True, "partner"),
                       _lambda("partner", foreign, "end", "end"),
                       _end(),
                   ]))
    malformed = Flow(id=new_id(), name="Imported IVR (broken)", description="Malformed content",
                     content='{"Version": "2019-10-30", "StartAction": "a1", "Actions": [{"Identifier": "a1", ')
    draft = Flow(id=new_id(), name="New IVR (draft)", status="SAVED", content=_flow_doc([
        _say("hi", "Welcome to the new IVR.", "end"), _end(),
    ]))
    archived = Flow(id=new_id(), name="Old Main IVR", state="ARCHIVED", content=_flow_doc([
        _say("hi", "Welcome.", "end"), _end(),
    ]))
    defaults = [
        Flow(id=new_id(), name=name, type=kind, content=_flow_doc([
            _action("start", "MessageParticipant", {"Text": "Please hold."}, "end"),
            _action("end", "EndFlowExecution"),
        ]))
        for name, kind in [
            ("Default customer queue", "CUSTOMER_QUEUE"), ("Default customer hold", "CUSTOMER_HOLD"),
            ("Default customer whisper", "CUSTOMER_WHISPER"), ("Default agent hold", "AGENT_HOLD"),
            ("Default agent whisper", "AGENT_WHISPER"), ("Default outbound", "OUTBOUND_WHISPER"),
            ("Default agent transfer", "AGENT_TRANSFER"), ("Default queue transfer", "QUEUE_TRANSFER"),
        ]
    ]
    seasonal = [
        Flow(id=new_id(), name=f"Seasonal Campaign {n}", content=_flow_doc([
            _logging("log", True, "msg"),
            _say("msg", f"Seasonal message {n}.", "s-set"),
            *_queue_transfer("s", q["BasicQueue"], "end"),
            _end(),
        ]))
        for n in range(1, 9)
    ]
    flows = [main_ivr, support_entry, tier2, escalations, billing, late_logging, no_logging, disabled_logging,
             partner, malformed, draft, archived, *defaults, *seasonal]

    numbers = [
        PhoneNumber(id=new_id(), number="+18005550100", type="TOLL_FREE", description="Main line",
                    flow_id=main_ivr.id),
        PhoneNumber(id=new_id(), number="+12125550101", description="Billing", flow_id=billing.id),
        PhoneNumber(id=new_id(), number="+12125550102", description="Support", flow_id=support_entry.id),
        PhoneNumber(id=new_id(), number="+12125550103", description="Callbacks", flow_id=late_logging.id),
        PhoneNumber(id=new_id(), number="+12125550104", description="Unassigned"),
    ]
    quick_connects = [
        QuickConnect(id=new_id(), name="Escalations queue", type="QUEUE", queue_id=queues[3].id,
                     flow_id=defaults[7].id),
        QuickConnect(id=new_id(), name="Supervisor desk", type="USER", user_id=admins[0].id,
                     flow_id=defaults[6].id),
        QuickConnect(id=new_id(), name="Fraud desk", type="PHONE_NUMBER", phone_number="+12125550199"),
    ]
    attributes = default_attributes()
    attributes.update(CONTACT_LENS="true", ENHANCED_CONTACT_MONITORING="true")
    return ConnectInstance(
        id=iid, alias="acme-support", identity_management_type="CONNECT_MANAGED",
        created=EPOCH - dt.timedelta(days=700), attributes=attributes,
        storage_configs=[
            StorageConfig(association_id=new_id(), resource_type="CALL_RECORDINGS", storage_type="S3",
                          bucket_name="acme-connect-recordings", bucket_prefix="connect/acme-support/CallRecordings",
                          kms_key="alias/connect-recordings"),
            StorageConfig(association_id=new_id(), resource_type="CHAT_TRANSCRIPTS", storage_type="S3",
                          bucket_name="acme-connect-chat-transcripts",
                          bucket_prefix="connect/acme-support/ChatTranscripts"),  # no KMS
            StorageConfig(association_id=new_id(), resource_type="MEDIA_STREAMS",
                          storage_type="KINESIS_VIDEO_STREAM", video_prefix="acme-support-live",
                          retention_hours=24, kms_key="alias/aws/kinesisvideo"),  # AWS-managed key
            StorageConfig(association_id=new_id(), resource_type="CONTACT_TRACE_RECORDS",
                          storage_type="KINESIS_STREAM", stream_name="acme-support-ctr"),  # stream unencrypted
            StorageConfig(association_id=new_id(), resource_type="AGENT_EVENTS", storage_type="KINESIS_FIREHOSE",
                          firehose_name="acme-support-agent-events"),  # delivery stream unencrypted
        ],
        security_profiles=all_profiles,
        users=[*admins, *specials, *staff, *users],
        routing_profiles=routing,
        flows=flows,
        flow_modules=[module_auth, module_survey],
        queues=queues,
        quick_connects=quick_connects,
        approved_origins=["https://www.acme.example", "http://chat.acme.example", "https://*.acme.example",
                          "http://localhost:3000", "https://203.0.113.10"],
        lambda_functions=[screen, crm, survey, auth],  # the foreign Lambda is not associated
        security_keys=[SecurityKey(association_id=new_id(), key=_public_key_pem(1))],
        authentication_profiles=[
            AuthenticationProfile(id=new_id(), name="Default", description="Default authentication profile",
                                  is_default=True, periodic_session_duration=60, max_session_duration=720,
                                  session_inactivity_duration=720, session_inactivity_handling_enabled=False),
        ],
        phone_numbers=numbers,
        integration_associations=[
            IntegrationAssociation(id=new_id(), integration_type="APPLICATION",
                                   integration_arn=f"arn:aws:app-integrations:{region}:{ACCOUNT}:application/crm",
                                   source_application_url="https://acme.my.salesforce.com",
                                   source_application_name="Salesforce", source_type="SALESFORCE"),
        ],
        tags={"Environment": "production"},
    )


def _sales_instance(rng: random.Random, new_id: _Ids, region: str, crm: str) -> ConnectInstance:
    iid = new_id()
    base = f"arn:aws:connect:{region}:{ACCOUNT}:instance/{iid}"
    profiles = _default_profiles(new_id)
    routing = _routing_profiles(new_id)
    users = _users(rng, new_id, "", 60, [profiles["Agent"]], routing, directory=True)
    admins = _users(rng, new_id, "admin.", 2, [profiles["Admin"]], routing, directory=True)
    queues = _queues(new_id, ["BasicQueue", "Sales"])
    entry = Flow(id=new_id(), name="Sales Entry", description="Entry flow with screening but no logging",
                 content=_flow_doc([
                     _lambda("crm", crm, "route", "sales-set"),
                     _action("route", "Compare", {"ComparisonValue": "$.External.tier"}, "sales-set",
                             conditions=[("vip", "Equals", "gold")]),
                     _say("vip", "Thank you for being a gold customer.", "sales-set"),
                     *_queue_transfer("sales", f"{base}/queue/{queues[1].id}", "end"),
                     _end(),
                 ]))
    attributes = default_attributes()
    attributes["CONTACTFLOW_LOGS"] = "false"
    return ConnectInstance(
        id=iid, alias="acme-sales", identity_management_type="SAML",
        created=EPOCH - dt.timedelta(days=300), attributes=attributes,
        storage_configs=[
            StorageConfig(association_id=new_id(), resource_type="CALL_RECORDINGS", storage_type="S3",
                          bucket_name="acme-connect-recordings", bucket_prefix="connect/acme-sales/CallRecordings"),
            StorageConfig(association_id=new_id(), resource_type="CONTACT_TRACE_RECORDS",
                          storage_type="KINESIS_STREAM", stream_name="acme-sales-ctr"),  # encrypted stream
        ],
        security_profiles=list(profiles.values()),
        users=[*admins, *users],
        routing_profiles=routing,
        flows=[entry],
        queues=queues,
        approved_origins=["https://sales.acme.example"],
        lambda_functions=[crm],
        authentication_profiles=[
            AuthenticationProfile(id=new_id(), name="Default", is_default=True, max_session_duration=720,
                                  session_inactivity_duration=720, session_inactivity_handling_enabled=False),
        ],
        phone_numbers=[PhoneNumber(id=new_id(), number="+16465550110", description="Sales", flow_id=entry.id)],
    )


def _eu_instance(rng: random.Random, new_id: _Ids, region: str, screen: str) -> ConnectInstance:
    iid = new_id()
    base = f"arn:aws:connect:{region}:{ACCOUNT}:instance/{iid}"
    profiles = _default_profiles(new_id)
    routing = _routing_profiles(new_id)
    users = _users(rng, new_id, "", 40, [profiles["Agent"], profiles["QualityAnalyst"]], routing, directory=True)
    admins = _users(rng, new_id, "admin.", 2, [profiles["Admin"]], routing, directory=True)
    queues = _queues(new_id, ["BasicQueue", "EU Support"])
    entry = Flow(id=new_id(), name="EU Entry", description="Entry flow: logging, screening, then queue",
                 content=_flow_doc([
                     _logging("log", True, "screen"),
                     _lambda("screen", screen, "decide", "eu-set"),
                     _action("decide", "Compare", {"ComparisonValue": "$.External.decision"}, "eu-set",
                             conditions=[("blocked", "Equals", "block")]),
                     _end("blocked"),
                     *_queue_transfer("eu", f"{base}/queue/{queues[1].id}", "end"),
                     _end(),
                 ]))
    return ConnectInstance(
        id=iid, alias="acme-eu", identity_management_type="EXISTING_DIRECTORY", directory_name="corp.acme.example",
        created=EPOCH - dt.timedelta(days=200),
        storage_configs=[
            StorageConfig(association_id=new_id(), resource_type="CALL_RECORDINGS", storage_type="S3",
                          bucket_name="acme-eu-recordings", bucket_prefix="connect/acme-eu/CallRecordings",
                          kms_key="alias/connect-eu"),
            StorageConfig(association_id=new_id(), resource_type="AGENT_EVENTS", storage_type="KINESIS_FIREHOSE",
                          firehose_name="acme-eu-agent-events"),  # encrypted delivery stream
        ],
        security_profiles=list(profiles.values()),
        users=[*admins, *users],
        routing_profiles=routing,
        flows=[entry],
        queues=queues,
        approved_origins=["https://eu.acme.example"],
        lambda_functions=[screen],
        authentication_profiles=[
            AuthenticationProfile(id=new_id(), name="Office only", is_default=True,
                                  description="Office network, short sessions",
                                  allowed_ips=["198.51.100.0/24", "203.0.113.0/28"], periodic_session_duration=10,
                                  max_session_duration=360, session_inactivity_duration=15,
                                  session_inactivity_handling_enabled=True),
        ],
        phone_numbers=[PhoneNumber(id=new_id(), number="+442079460111", country_code="GB",
                                   description="EU support", flow_id=entry.id)],
    )


def _trail_bucket_policy(bucket: str) -> dict[str, Any]:
    return _policy(
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
    )


def _demo_iam(support: ConnectInstance, sales: ConnectInstance, eu: ConnectInstance, east: str, west: str) -> Iam:
    saml_arn = f"arn:aws:iam::{ACCOUNT}:saml-provider/AcmeIdP"
    sales_arn = f"arn:aws:connect:{east}:{ACCOUNT}:instance/{sales.id}"
    support_arn = f"arn:aws:connect:{east}:{ACCOUNT}:instance/{support.id}"
    root = f"arn:aws:iam::{ACCOUNT}:root"
    federate = _policy({"Effect": "Allow", "Action": "connect:GetFederationToken",
                        "Resource": f"{sales_arn}/user/${{aws:userid}}"})
    return Iam(
        policies=[
            IamPolicy(name="ConnectUserAdministration", document=_policy(
                {"Sid": "ManageConnectUsers", "Effect": "Allow",
                 "Action": ["connect:CreateUser", "connect:DeleteUser", "connect:UpdateUserSecurityProfiles",
                            "connect:UpdateSecurityProfile", "connect:CreateSecurityProfile",
                            "connect:Describe*", "connect:List*"],
                 "Resource": "*"})),
            IamPolicy(name="ConnectReadOnlyAudit", document=_policy(
                {"Effect": "Allow", "Action": ["connect:Describe*", "connect:List*", "connect:Search*",
                                               "ds:DescribeDirectories"], "Resource": "*"},
                {"Sid": "DenyConnectEmergencyAccess", "Effect": "Deny",
                 "Action": ["connect:AdminGetEmergencyAccessToken", "connect:GetFederationToken"],
                 "Resource": "*"})),
            IamPolicy(name="ConnectBoundary", document=_policy(
                {"Effect": "Allow", "Action": ["connect:*", "logs:*", "s3:GetObject"], "Resource": "*"},
                {"Effect": "Deny", "Action": "connect:DeleteInstance", "Resource": "*"})),
        ],
        roles=[
            IamRole(name="ConnectSAMLFederation", description="Sales agents sign in through the IdP",
                    trust_policy=_policy({"Effect": "Allow", "Principal": {"Federated": saml_arn},
                                          "Action": "sts:AssumeRoleWithSAML",
                                          "Condition": {"StringEquals": {
                                              "SAML:aud": "https://signin.aws.amazon.com/saml"}}}),
                    inline_policies={"federate": federate}),
            IamRole(name="ConnectSAMLFederationLegacy", description="Old federation role: no SAML:aud condition",
                    trust_policy=_policy({"Effect": "Allow", "Principal": {"Federated": saml_arn},
                                          "Action": "sts:AssumeRoleWithSAML"}),
                    inline_policies={"federate": federate}),
            IamRole(name="ConnectOpsAdmin", description="Operations: can use emergency access without conditions",
                    trust_policy=_policy({"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole"}),
                    inline_policies={"connect-admin": _policy(
                        {"Effect": "Allow", "Action": ["connect:*", "ds:DescribeDirectories"], "Resource": "*"})}),
            IamRole(name="ConnectBreakGlass", description="Break-glass emergency access, MFA required",
                    trust_policy=_policy({"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole",
                                          "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}),
                    inline_policies={"emergency": _policy(
                        {"Effect": "Allow",
                         "Action": ["connect:AdminGetEmergencyAccessToken", "connect:DescribeInstance",
                                    "connect:ListInstances", "ds:DescribeDirectories"],
                         "Resource": "*",
                         "Condition": {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}})},
                    permissions_boundary="ConnectBoundary"),
            IamRole(name="connectguard-auditor", description="Read-only auditor",
                    trust_policy=_policy({"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole"}),
                    managed_policies=["ConnectReadOnlyAudit"]),
            IamRole(name="connectguard-lambda-exec", description="Execution role of the Lambda functions",
                    trust_policy=_policy({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                          "Action": "sts:AssumeRole"}),
                    inline_policies={"logs": _policy({"Effect": "Allow", "Action": ["logs:CreateLogStream",
                                                                                     "logs:PutLogEvents"],
                                                      "Resource": "*"})}),
        ],
        users=[
            IamUser(name="connect-automation", managed_policies=["ConnectUserAdministration"],
                    inline_policies={"support-instance": _policy(
                        {"Effect": "Allow", "Action": "connect:UpdateUserHierarchy",
                         "Resource": f"{support_arn}/*"})}),
        ],
        saml_providers=[
            SamlProvider(name="AcmeIdP", entity_id="https://idp.acme.example/saml2"),
            # The IdP being retired: its signing certificate expires in 20 days.
            SamlProvider(name="AcmeLegacyIdP", entity_id="https://legacy-idp.acme.example/saml2",
                         certificate_days=20),
        ],
    )


def _demo_organization(support: ConnectInstance, region: str) -> Organization:
    support_arn = f"arn:aws:connect:{region}:{ACCOUNT}:instance/{support.id}"
    return Organization(
        management_account_id="210987654321",
        organizational_units=[
            OrganizationalUnit(name="Workloads"),
            OrganizationalUnit(name="ContactCenter", parent="Workloads", contains_account=True),
        ],
        scps=[
            Scp(name="ProtectConnectSupport", description="Deny deleting the acme-support instance",
                targets=["ContactCenter"],
                document=_policy({"Sid": "DenyConnectInstanceDeletion", "Effect": "Deny",
                                  "Action": ["connect:DeleteInstance"], "Resource": [support_arn]})),
            Scp(name="DenyLeavingOrganization", description="Members may not leave", targets=["root"],
                document=_policy({"Effect": "Deny", "Action": "organizations:LeaveOrganization",
                                  "Resource": "*"})),
        ],
    )


# --------------------------------------------------------------------------- benchmark world


def bench_world(users: int = 10_000, profiles: int = 300, flows: int = 1_000, seed: int = 11, *,
                account_id: str = ACCOUNT, region: str = "us-east-1", alias: str = "bench") -> World:
    """One instance (one large one for the collector benchmark; small ones for simulated organizations).

    Connect only, no other services.
    """
    rng = random.Random(seed)
    new_id = _Ids(rng)
    base_profiles = list(_default_profiles(new_id).values())
    extra = [
        SecurityProfile(id=new_id(), name=f"Profile{n:04d}",
                        permissions=sorted(set(rng.sample(ADMIN_PERMISSIONS, k=rng.randint(3, 25)))))
        for n in range(max(0, profiles - len(base_profiles)))
    ]
    all_profiles = (base_profiles + extra)[:profiles] if profiles >= 1 else base_profiles[:1]
    routing = _routing_profiles(new_id)
    people = [
        User(id=new_id(), username=f"user{n:05d}", first_name="Bench", last_name=f"User{n}",
             security_profile_ids=[p.id for p in rng.sample(all_profiles, k=min(len(all_profiles), rng.randint(1, 3)))],
             routing_profile_id=rng.choice(routing).id)
        for n in range(users)
    ]
    flow_list = [
        Flow(id=new_id(), name=f"Flow {n:04d}", content=_flow_doc([
            _logging("log", n % 3 != 0, "msg"),
            _say("msg", f"Flow {n}", "end"),
            _end(),
        ]))
        for n in range(flows)
    ]
    inst = ConnectInstance(id=new_id(), alias=alias, identity_management_type="CONNECT_MANAGED",
                           security_profiles=all_profiles, users=people, routing_profiles=routing, flows=flow_list)
    return World(account_id=account_id, name=alias, regions={region: Region(connect_instances=[inst])})
