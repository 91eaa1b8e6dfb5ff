"""The one configuration file, ``connectguard.toml``: every threshold and site choice.

Each feature owns one section (a model below). Every setting has a documented
default (docs/configuration.md is generated from these models' descriptions), so
an empty or absent file is a valid configuration. Unknown keys are an input error
naming the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectguard.conventions import InputError, Severity

DEFAULT_CONFIG_NAME = "connectguard.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CollectConfig(_Section):
    max_rps: float = Field(
        1.0,
        gt=0,
        description="Requests per second per Connect API operation (and per other-service operation). "
        "Connect's quota is 2/s, burst 5, per account and region, shared with production: the default "
        "takes half.",
    )
    regions: list[str] = Field(default_factory=list, description="Regions to collect (default: the session's).")
    instance_ids: list[str] = Field(default_factory=list, description="Only these instances (default: all).")
    org_role: str | None = Field(
        None, description="Role ARN in the management (or delegated administrator) account to read the SCP chain."
    )
    log_archive_role: str | None = Field(
        None, description="Role ARN to read an organization trail's bucket in a log-archive account."
    )
    concurrency: int = Field(8, ge=1, le=64, description="Independent API operations run at once.")
    max_attempts: int = Field(8, ge=1, le=20, description="Attempts per call before a throttle is recorded.")


class AuditConfig(_Section):
    fail_on: Severity = Field(Severity.HIGH, description="Default for --fail-on.")
    admin_limit: int = Field(3, ge=0, description="Most users allowed to hold admin-equivalent access per instance.")
    break_glass_principals: list[str] = Field(
        default_factory=list,
        description="IAM principal ARNs (wildcards allowed) allowed to use emergency access; also the exception "
        "allowed in deletion-guardrail SCPs.",
    )
    administrators: list[str] = Field(
        default_factory=list,
        description="IAM principal ARNs (wildcards allowed) allowed to manage Connect users, profiles and flows "
        "through the API.",
    )
    signin_role_patterns: list[str] = Field(
        default_factory=list,
        description="IAM role ARNs or names (wildcards allowed) that SAML users sign in to Connect through, in "
        "addition to the roles found automatically (trusting a SAML provider and granting "
        "connect:GetFederationToken). Their deletion and trust changes must be denied by SCP.",
    )
    retention_days: int = Field(365, ge=1, description="Minimum CloudWatch Logs retention for flow logs.")
    archive_transition_days: int = Field(
        90, ge=1, description="S3 objects should move to an infrequent-access or Glacier class within this many days."
    )
    expiration_days: int | None = Field(
        None, description="When set, S3 log and recording buckets must expire objects within this many days."
    )
    require_object_lock: bool = Field(False, description="Require versioning and Object Lock on log buckets.")
    require_customer_managed_keys: bool = Field(
        False, description="Require customer-managed KMS keys (not AWS-managed) for storage configs and logs."
    )
    certificate_warning_days: int = Field(30, ge=0, description="Warn when a SAML certificate expires this soon.")
    max_session_minutes: int = Field(480, description="Longest acceptable authentication-profile session.")
    max_inactivity_minutes: int = Field(30, description="Longest acceptable inactivity timeout.")
    require_ip_allow_list: bool = Field(False, description="Authentication profiles must carry an IP allow-list.")
    directories: dict[str, str] = Field(
        default_factory=dict,
        description="Instance id -> Directory Service directory id, for EXISTING_DIRECTORY instances when a region "
        "holds more than one directory.",
    )
    entry_flows: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Instance id (or ARN, or alias) -> flow ids (or ARNs) that start chat, task or email contacts "
        "(voice entry flows are found from phone numbers).",
    )
    suppressions: str | None = Field(None, description="YAML file of accepted risks (see docs/suppressions.md).")
    screening_lambda_patterns: list[str] = Field(
        default_factory=lambda: ["*screen*", "*fraud*", "connectguard*"],
        description="Lambda function-name patterns (case-insensitive wildcards) that identify a caller-screening "
        "Lambda in flows.",
    )
    screening_decision_keys: list[str] = Field(
        default_factory=lambda: ["decision"],
        description="Keys of the screening Lambda's result ($.External.<key>) a flow must branch on.",
    )
    alarm_metrics: list[str] = Field(
        default_factory=lambda: ["ContactFlowErrors", "ContactFlowFatalErrors", "ThrottledCalls",
                                 "CallsBreachingConcurrencyQuota", "MisconfiguredPhoneNumbers",
                                 "CallRecordingUploadError", "ConcurrentCallsPercentage"],
        description="AWS/Connect metrics that must each have a CloudWatch alarm with an action, per instance.",
    )
    chat_source: list[str] = Field(default_factory=list, description="Chat front-end source paths to scan.")
    chat_url: str | None = Field(None, description="Chat page URL whose Content-Security-Policy is evaluated.")
    chat_regions: list[str] = Field(default_factory=list, description="Regions the chat page connects to.")


class DetectConfig(_Section):
    connect_role_patterns: list[str] = Field(
        default_factory=lambda: ["*Connect*"],
        description="IAM role-name patterns Connect sign-in depends on (for role deletion/trust-change rules).",
    )
    access_denied_threshold: int = Field(10, ge=2, description="AccessDenied events from one principal ...")
    access_denied_window_minutes: int = Field(5, ge=1, description="... within this many minutes is an alert.")


class FraudConfig(_Section):
    table: str | None = Field(None, description="DynamoDB table (default: $CONNECTGUARD_FRAUD_TABLE).")
    default_country: str = Field("US", description="Country for numbers in national format.")


class FixConfig(_Section):
    sns_topic_name: str = Field("connectguard-connect-alarms",
                                description="SNS topic `connectguard fix` creates for the alarms it adds.")
    alarm_email: str | None = Field(None, description="E-mail address subscribed to that topic (optional).")
    log_destination_arn: str | None = Field(
        None, description="Where flow logs are streamed for long-term storage: a Firehose delivery stream, Kinesis "
        "stream or CloudWatch Logs destination ARN (subscription filter target; `{region}` is replaced by the log "
        "group's region). Unset: no filter is generated.")
    log_destination_role_arn: str | None = Field(
        None, description="IAM role CloudWatch Logs assumes to write to a Firehose or Kinesis destination.")


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collect: CollectConfig = Field(default_factory=CollectConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    detect: DetectConfig = Field(default_factory=DetectConfig)
    fraud: FraudConfig = Field(default_factory=FraudConfig)
    fix: FixConfig = Field(default_factory=FixConfig)
    source: str | None = Field(None, exclude=True, description="Where this configuration was read from.")


def load_config(path: str | Path | None = None, *, search_cwd: bool = True) -> Config:
    """Read ``path``, or ./connectguard.toml when present, or return the defaults."""
    if path is None:
        candidate = Path(DEFAULT_CONFIG_NAME)
        if not (search_cwd and candidate.is_file()):
            return Config()
        path = candidate
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such configuration file", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read configuration: {exc}", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML: {exc}", str(path)) from None
    return parse_config(data, source=str(path))


def parse_config(data: dict[str, Any], *, source: str = "<config>") -> Config:
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        msg = "unknown setting" if first["type"] == "extra_forbidden" else first["msg"]
        raise InputError(f"{msg}: {loc}", source) from None
    config.source = source
    return config


def config_reference_markdown() -> str:
    """docs/configuration.md: every setting, its default and what it does."""
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `connectguard checks --config-reference`; do not edit by hand. -->",
        "",
        f"connectguard reads `{DEFAULT_CONFIG_NAME}` from the working directory, or the file given with "
        "`--config`. Every setting is optional; unknown settings are an error.",
        "",
    ]
    for section_name, field in Config.model_fields.items():
        if section_name == "source":
            continue
        model = field.annotation
        lines += [f"## [{section_name}]", "", "| setting | default | meaning |", "|---|---|---|"]
        for name, sub in model.model_fields.items():  # type: ignore[union-attr]
            default = sub.get_default(call_default_factory=True)
            if isinstance(default, Severity):
                default = default.value
            lines.append(f"| `{name}` | `{default!r}` | {sub.description or ''} |")
        lines.append("")
    return "\n".join(lines)
