"""Amazon Connect security-profile permissions: the catalogue, risk groups and admin-equivalence.

This is the single definition used by the audit checks, the access review, the snapshot
diff and the CloudTrail rules. Permission names are the case-sensitive strings
ListSecurityProfilePermissions returns (AWS Admin Guide, "List of security profile
permissions", plus names seen in real exports). Pure data and functions; stdlib only.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

# --------------------------------------------------------------------- risk groups

PRIVILEGE_ESCALATION = "privilege-escalation"
USER_RECORD_ACCESS = "user-record-access"
RECORDING_PII = "recording-pii-exposure"
CALL_PATH_TAMPERING = "call-path-tampering"
DESTRUCTIVE = "destructive"
SURVEILLANCE = "surveillance"

RISK_GROUP_DESCRIPTIONS = {
    PRIVILEGE_ESCALATION: "can create or change users, their permissions or security profiles",
    USER_RECORD_ACCESS: "can read user records or security profiles (the seed: agents must not read users)",
    RECORDING_PII: "can listen to, download or read unredacted recordings, transcripts or customer data",
    CALL_PATH_TAMPERING: "can change where calls go: flows, modules, phone numbers, quick connects, queues",
    DESTRUCTIVE: "can delete recordings, users, profiles or purge queues",
    SURVEILLANCE: "can listen in on or barge into live contacts",
}

# Patterns use fnmatch syntax over the exact, case-sensitive names. A permission may be
# in several groups (Users.Delete is both escalation-adjacent and destructive).
RISK_GROUPS: dict[str, tuple[str, ...]] = {
    PRIVILEGE_ESCALATION: (
        "Users.Create", "Users.Edit", "Users.EditPermission", "Users.Delete",
        "SecurityProfiles.Create", "SecurityProfiles.Edit", "SecurityProfiles.Delete",
        "AgentGrouping.Edit",
    ),
    USER_RECORD_ACCESS: ("Users.View", "SecurityProfiles.View", "HistoricalChanges.View", "Users.EnableAndDisable"),
    RECORDING_PII: (
        "ListenCallRecordings", "DownloadCallRecordings", "CallRecordings.Unredacted.*",
        "ContactTranscripts.Unredacted.*", "UnredactedData.View", "ScreenRecording.Download",
        "ScreenRecording.Access", "AutomatedVoiceInteraction.Recordings.Unredacted.*",
        "AutomatedVoiceInteraction.Transcripts.Unredacted.*", "CustomerProfiles.View",
        "CustomerProfiles.Segments.Export",
    ),
    CALL_PATH_TAMPERING: (
        "ContactFlows.Create", "ContactFlows.Edit", "ContactFlows.Publish", "ContactFlows.Delete",
        "ContactFlowModules.Create", "ContactFlowModules.Edit", "ContactFlowModules.Publish",
        "ContactFlowModules.Delete", "PhoneNumbers.Claim", "PhoneNumbers.Edit", "PhoneNumbers.Release",
        "TransferDestinations.Create", "TransferDestinations.Edit", "TransferDestinations.Delete",
        "Queues.Edit", "Queues.Create", "Queues.Delete",
    ),
    DESTRUCTIVE: (
        "DeleteCallRecordings", "ScreenRecording.Delete", "Queues.Purge", "Users.Delete",
        "SecurityProfiles.Delete", "ContactFlows.Delete", "ContactFlowModules.Delete",
    ),
    SURVEILLANCE: ("ManagerListenIn", "ManagerBargeIn"),
}

AGENT_MARKER = "BasicAgentAccess"  # access to the Contact Control Panel: the holder works as an agent

# "Admin-equivalent": the holder can grant itself any permission — edit any user's security
# profiles (Users.EditPermission) and define what a profile grants (SecurityProfiles.Edit or
# .Create). Resource scoping (access-control tags, hierarchy restrictions) can confine it;
# the checks lower the severity and say so in the evidence.
ADMIN_EQUIVALENT_REQUIRES = "Users.EditPermission"
ADMIN_EQUIVALENT_ANY_OF = ("SecurityProfiles.Edit", "SecurityProfiles.Create")


def is_admin_equivalent(permissions: Iterable[str]) -> bool:
    perms = set(permissions)
    return ADMIN_EQUIVALENT_REQUIRES in perms and any(p in perms for p in ADMIN_EQUIVALENT_ANY_OF)


def risk_groups(permission: str) -> list[str]:
    """The risk groups a permission belongs to (empty for low-risk permissions)."""
    return [group for group, patterns in RISK_GROUPS.items() if _matches(permission, patterns)]


def classify(permissions: Iterable[str]) -> dict[str, list[str]]:
    """Group -> the sorted permissions of ``permissions`` in that group (only non-empty groups)."""
    out: dict[str, list[str]] = {}
    for perm in sorted(set(permissions)):
        for group in risk_groups(perm):
            out.setdefault(group, []).append(perm)
    return out


def unknown_permissions(permissions: Iterable[str]) -> list[str]:
    """Names not in the catalogue: reported, never ignored (a new AWS permission, or a typo)."""
    return sorted(p for p in set(permissions) if not is_known(p))


def is_known(permission: str) -> bool:
    if permission in KNOWN_PERMISSIONS:
        return True
    return any(permission.startswith(prefix) for prefix in KNOWN_PREFIXES)


def _matches(permission: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(permission, pattern) for pattern in patterns)


def _expand(spec: str) -> list[str]:
    """'Users.Create|Edit|View' -> ['Users.Create', 'Users.Edit', 'Users.View']."""
    if "|" not in spec:
        return [spec]
    head, _, tail = spec.rpartition(".")
    first, *rest = tail.split("|")
    return [f"{head}.{first}"] + [f"{head}.{r}" for r in rest]


_CATALOGUE = """
BasicAgentAccess OutboundCallAccess RealtimeContactLens.View VoiceId.Access RestrictTaskCreation.Access
AudioDeviceSettings.Access VideoContact.Access OutboundEmail.Create SelfAssignContacts.Access
TransferContact.Enabled StopContact.Enabled UpdateContactSchedule.Enabled ManualAssignAnyContact.Enable
ManualAssignMyContacts.Enable Cobrowse.Access CustomViews.Access Wisdom.View StaffCalendar.View StaffCalendar.Edit
MyContacts.View ChatTestMode
Users.Create|Delete|Edit|EditPermission|EnableAndDisable|View AgentGrouping.Create|Edit|EnableAndDisable|View
AgentStates.Create|Edit|EnableAndDisable|View HistoricalChanges.View
SecurityProfiles.Create|Delete|Edit|View
RoutingPolicies.Create|Delete|Edit|View Queues.Create|Delete|Edit|EditExpressions|EnableAndDisable|Purge|View
TransferDestinations.Create|Delete|Edit|View HoursOfOperation.Create|Delete|Edit|View
TaskTemplates.Create|Delete|Edit|View PredefinedAttributes.Create|Delete|Edit|View
EmailAddresses.Create|Edit|Remove|View
ContactFlows.Create|Delete|Edit|Publish|View ContactFlowModules.Create|Delete|Edit|Execute|Publish|View
Prompts.Create|Delete|Edit|View PhoneNumbers.Claim|Edit|Release|View Views.Create|Edit|Remove|View
Bots.Create|Edit|View DataTables.Create|Delete|Edit|EditExpressionValues|ManageValues|View
Workspaces.Assign|Create|Delete|Edit|EditVisibility|View TestCases.Create|Delete|Edit|Execute|Publish|View
FileAttachments.Configurations.Edit|View
AccessMetrics AccessMetrics.RealTimeMetrics.Access AccessMetrics.HistoricalMetrics.Access
AccessMetrics.AgentActivityAudit.Access AccessMetrics.Dashboards.Access AccessMetrics.DashboardsWithMyData.View
Analytics.PerformanceMetrics.Access RealTimeMetrics.Access HistoricalMetrics.Access AgentActivityAudit.Access
AgentTimeCard.View MetricsReports.Create|Delete|Edit|Publish|Schedule|Share|View ReportSchedules.Create|Delete|Edit|View
ReportsAdmin.Access|Delete|Publish|Schedule|View CustomMetrics.Create|Delete|Edit|Publish|View
ContactSearch.View ContactSearchWithCharacteristics.Access|View ContactSearchWithKeywords.Access|View
ContactSearchSampleContacts.View ContactSearchQuickViewWidget.Create|Delete|Edit|View ConfigureContactAttributes.View
ContactAttributes.View RestrictContactAccessByHierarchy.View ContactRecording.Access
ListenCallRecordings DownloadCallRecordings DeleteCallRecordings RedactedData.View UnredactedData.View
CallRecordings.Redacted.Access CallRecordings.Redacted.DownloadButton CallRecordings.Unredacted.Access
CallRecordings.Unredacted.DownloadButton ContactTranscripts.Redacted.Access ContactTranscripts.Unredacted.Access
ContactTranscripts.Unredacted.DownloadButton
AutomatedVoiceInteraction.Recordings.Redacted.Access AutomatedVoiceInteraction.Recordings.Redacted.DownloadButton
AutomatedVoiceInteraction.Recordings.Unredacted.Access AutomatedVoiceInteraction.Recordings.Unredacted.DownloadButton
AutomatedVoiceInteraction.Transcripts.Redacted.Access AutomatedVoiceInteraction.Transcripts.Unredacted.Access
Transcript.View Audio.View ScreenRecording.Access|Delete|Download GraphTrends.View ContactLensCustomVocabulary.Edit|View
ContactLensPostContactSummary.View ThemeDetection.Create|Delete|View ManagerListenIn ManagerBargeIn
Rules.Create|Delete|Edit|View RulesGenerativeAI.Create|Delete|Edit|View Evaluation.Create|Delete|Edit|View
EvaluationForms.Create|Delete|Edit|View EvaluationAssistant.Access VoiceIdAttributesAndSearch.View
VoiceIdUpdateSpeakerId.Access Forecasting.Edit|Publish|View Capacity.Edit|Publish|View ForecastScheduleInterval.Edit|View
Scheduling.Edit|Publish|View TeamCalendar.Edit|View TimeOff.Approve|Edit|View TimeOffBalance.Edit|View
CustomerProfiles.Create|Edit|View CustomerProfiles.Segments.Create|Delete|Export|View Cases.Create|Edit|View
CaseHistory.View Campaigns.Create|Delete|Edit|Manage|View ContentManagement.Create|Delete|Edit|View
QConnectAIAgents.Create|Delete|Edit|View
"""

KNOWN_PERMISSIONS: frozenset[str] = frozenset(p for spec in _CATALOGUE.split() for p in _expand(spec))
# Families documented only as "Family.*" in the Admin Guide; any member is known.
KNOWN_PREFIXES: tuple[str, ...] = (
    "EvaluationCalibrationSessions.", "EvaluationReviewRequest.", "EvaluationReviews.", "CoachingSessions.",
    "MyCoachingSessions.", "CustomerProfiles.CalculatedAttributes.", "CustomerProfiles.ProfileExplorer.",
    "CaseFields.", "CaseTemplates.", "ContentManagement.MessageTemplates.", "QConnectAIPrompts.",
    "QConnectGuardrails.",
)
