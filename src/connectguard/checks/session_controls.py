"""[session-controls] Authentication profiles: IP allow-lists, session and inactivity durations."""

from __future__ import annotations

from collections.abc import Iterator

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label, instance_unknown
from connectguard.conventions import Practice, Severity, Status
from connectguard.inventory.model import AuthenticationProfile, Instance, RegionInventory


def _profiles(ctx: CheckContext) -> Iterator[tuple[RegionInventory, Instance, AuthenticationProfile] | Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if instance.authentication_profiles is None:
            yield instance_unknown(ctx, region, instance, "instance.authentication_profiles",
                                   "the instance's authentication profiles")
            continue
        for profile in instance.authentication_profiles:
            if not profile.settings_seen:
                errors = ctx.snapshot.errors_for("authentication_profile", region=region.region,
                                                 instance_id=instance.id, resource=profile.arn)
                yield ctx.unknown(profile.arn, f"the settings of authentication profile {profile.name}", errors,
                                  region=region.region)
                continue
            yield region, instance, profile


@check(
    id="auth-profile-no-ip-allow-list",
    title="An authentication profile lets users sign in from any IP address",
    practice=Practice.SESSION_CONTROLS,
    severity=Severity.MEDIUM,
    rationale="""An authentication profile's AllowedIps restricts where users of the profile can sign in to the
    admin website and the agent workspace. Without it, a stolen password (or session) works from anywhere.
    The emergency admin login is not covered: restrict it with an aws:SourceIp condition on
    connect:AdminGetEmergencyAccessToken.""",
    remediation="""Add the corporate egress and VPN CIDRs to the profile's allowed IP addresses (admin website:
    Security > Authentication profiles; API: `aws connect update-authentication-profile --instance-id ID
    --authentication-profile-id PID --allowed-ips 203.0.113.0/24`).""",
    detects="""One result per authentication profile. FAIL when AllowedIps is empty: severity medium when
    [audit] require_ip_allow_list is true, low (advisory) otherwise. UNKNOWN when the profiles or the profile's
    settings were not seen.""",
    before="""{"Name": "Default", "AllowedIps": [], "BlockedIps": []}""",
    after="""{"Name": "Default", "AllowedIps": ["203.0.113.0/24", "198.51.100.10/32"], "BlockedIps": []}""",
)
def auth_profile_no_ip_allow_list(ctx: CheckContext) -> Iterator[Result]:
    required = ctx.config.audit.require_ip_allow_list
    for item in _profiles(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance, profile = item
        evidence = {"profile": profile.name, "is_default": profile.is_default, "allowed_ips": profile.allowed_ips,
                    "blocked_ips": profile.blocked_ips, "required_by_configuration": required}
        if profile.allowed_ips:
            yield Result(profile.arn, Status.PASS, f"{profile.name} allows sign-in only from "
                         f"{len(profile.allowed_ips)} CIDR range(s)", evidence=evidence, region=region.region)
        else:
            note = "" if required else " (advisory: [audit] require_ip_allow_list is false)"
            yield Result(profile.arn, Status.FAIL,
                         f"authentication profile {profile.name} on {instance_label(instance)} has no IP allow-list"
                         f"{note}", evidence=evidence, region=region.region,
                         severity=None if required else Severity.LOW)


@check(
    id="auth-profile-session-too-long",
    title="An authentication profile keeps sessions alive too long or never times out inactive users",
    practice=Practice.SESSION_CONTROLS,
    severity=Severity.MEDIUM,
    rationale="""Long sessions and no inactivity timeout leave signed-in admin and agent sessions open on shared
    or unattended workstations and extend the life of a stolen session token.""",
    remediation="""Set the profile's maximum session duration to at most [audit] max_session_minutes (default
    480) and enable session inactivity handling with a timeout of at most [audit] max_inactivity_minutes
    (default 30): `aws connect update-authentication-profile --instance-id ID --authentication-profile-id PID
    --max-session-duration 480 --session-inactivity-handling-enabled --session-inactivity-duration 30`.""",
    detects="""One result per authentication profile. FAIL when MaxSessionDuration exceeds [audit]
    max_session_minutes, when inactivity handling is disabled, or when SessionInactivityDuration exceeds [audit]
    max_inactivity_minutes; UNKNOWN when a duration needed to decide was not reported.""",
    before="""{"MaxSessionDuration": 720, "SessionInactivityHandlingEnabled": false}""",
    after="""{"MaxSessionDuration": 480, "SessionInactivityHandlingEnabled": true, "SessionInactivityDuration": 30}""",
)
def auth_profile_session_too_long(ctx: CheckContext) -> Iterator[Result]:
    max_session = ctx.config.audit.max_session_minutes
    max_idle = ctx.config.audit.max_inactivity_minutes
    for item in _profiles(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance, profile = item
        evidence = {
            "profile": profile.name, "max_session_duration": profile.max_session_duration,
            "periodic_session_duration": profile.periodic_session_duration,
            "session_inactivity_handling_enabled": profile.session_inactivity_handling_enabled,
            "session_inactivity_duration": profile.session_inactivity_duration,
            "limits": {"max_session_minutes": max_session, "max_inactivity_minutes": max_idle},
        }
        problems: list[str] = []
        missing: list[str] = []
        if profile.max_session_duration is None:
            missing.append("MaxSessionDuration")
        elif profile.max_session_duration > max_session:
            problems.append(f"sessions last up to {profile.max_session_duration} min (limit {max_session})")
        if profile.session_inactivity_handling_enabled is None:
            missing.append("SessionInactivityHandlingEnabled")
        elif not profile.session_inactivity_handling_enabled:
            problems.append("inactive sessions are never signed out")
        elif profile.session_inactivity_duration is None:
            missing.append("SessionInactivityDuration")
        elif profile.session_inactivity_duration > max_idle:
            problems.append(f"inactivity timeout is {profile.session_inactivity_duration} min (limit {max_idle})")
        label = f"authentication profile {profile.name} on {instance_label(instance)}"
        if problems:
            yield Result(profile.arn, Status.FAIL, f"{label}: " + "; ".join(problems), evidence=evidence,
                         region=region.region)
        elif missing:
            yield Result(profile.arn, Status.UNKNOWN, f"{label}: {', '.join(missing)} not reported",
                         evidence=evidence, region=region.region)
        else:
            yield Result(profile.arn, Status.PASS, f"{label}: sessions and inactivity timeout within limits",
                         evidence=evidence, region=region.region)
