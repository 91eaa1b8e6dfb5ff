"""The conventions every connectguard command shares ("one voice").

Severities, result statuses, practices, exit statuses and the JSON envelope live
here and nowhere else, so that `audit`, `detect`, `chat scan`, `guardrails` and
`fraud` agree on them. This module imports only the standard library: the
fraud-screening Lambda may import it at cold start.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any

from connectguard import __version__

TOOL_NAME = "connectguard"


class Severity(str, enum.Enum):
    """The one severity scale. Other scales (Sigma levels, CSP Evaluator) map onto it."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical=4 … info=0."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ValueError(
                f"unknown severity {value!r}; expected one of {', '.join(s.value for s in cls)}"
            ) from None

    @classmethod
    def from_sigma(cls, level: str | None) -> Severity:
        """Sigma levels: informational, low, medium, high, critical."""
        return _SIGMA_LEVELS.get((level or "").lower(), cls.MEDIUM)

    def __str__(self) -> str:  # click and f-strings print the value
        return self.value


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}
_SIGMA_LEVELS = {
    "informational": Severity.INFO,
    "info": Severity.INFO,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
SEVERITY_CHOICES = [s.value for s in Severity]


class Status(str, enum.Enum):
    """Result of evaluating one check against one resource.

    UNKNOWN means the input needed to decide could not be seen (an API was denied,
    throttled past its retries, or returned an error). It is never reported as PASS.
    """

    PASS = "PASS"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"
    MANUAL = "MANUAL"
    SUPPRESSED = "SUPPRESSED"

    def __str__(self) -> str:
        return self.value


class Practice(str, enum.Enum):
    """AWS "Security Best Practices for Amazon Connect", one value per practice."""

    LEAST_PRIVILEGE = "least-privilege"
    MFA = "mfa"
    IDENTITY_PROVIDER = "identity-provider"
    EMERGENCY_ACCESS = "emergency-access"
    DELETION_GUARDRAILS = "deletion-guardrails"
    FLOW_LOGGING = "flow-logging"
    MONITORING_ALERTS = "monitoring-alerts"
    LOG_RETENTION = "log-retention"
    CLOUDTRAIL = "cloudtrail"
    FRAUD_SCREENING = "fraud-screening"
    CHAT_XSS = "chat-xss"
    CHAT_CSP = "chat-csp"
    DATA_ENCRYPTION = "data-encryption"
    APPROVED_ORIGINS = "approved-origins"
    SESSION_CONTROLS = "session-controls"

    def __str__(self) -> str:
        return self.value


class ExitCode(enum.IntEnum):
    """Exit statuses shared by every command."""

    OK = 0  # nothing at or above --fail-on
    FINDINGS = 1  # something at or above --fail-on (or UNKNOWN with --fail-on-unknown)
    USAGE = 2  # usage or input error (bad flag, corrupt snapshot, malformed config)
    INCOMPLETE = 3  # finished, but part of the input could not be read or evaluated


def exit_status(
    severities: Iterable[Severity],
    *,
    fail_on: Severity = Severity.HIGH,
    unknown: int = 0,
    fail_on_unknown: bool = False,
    skipped: int = 0,
) -> ExitCode:
    """Decide a command's exit status from what it found.

    ``severities`` are those of the failing results (FAIL findings, alerts) only.
    ``unknown`` counts results that could not be evaluated; ``skipped`` counts inputs
    that could not be read (files, accounts).
    """
    if any(s.at_least(fail_on) for s in severities):
        return ExitCode.FINDINGS
    if unknown and fail_on_unknown:
        return ExitCode.FINDINGS
    if unknown or skipped:
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def isoformat(ts: _dt.datetime) -> str:
    """ISO 8601 in UTC with a Z suffix and whole seconds, as every JSON output uses."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=_dt.timezone.utc)
    return ts.astimezone(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def json_envelope(payload: Mapping[str, Any], *, generated_at: _dt.datetime | None = None) -> dict[str, Any]:
    """Every JSON document the tool writes starts with tool, version and generated_at."""
    doc: dict[str, Any] = {
        "tool": TOOL_NAME,
        "version": __version__,
        "generated_at": isoformat(generated_at or utc_now()),
    }
    doc.update(payload)
    return doc


class ConnectGuardError(Exception):
    """Base for errors reported to the user as one line, never a traceback."""

    exit_code: ExitCode = ExitCode.USAGE


class InputError(ConnectGuardError):
    """Bad input: names what is wrong and where (file, line, key)."""

    def __init__(self, what: str, where: str | None = None):
        self.what = what
        self.where = where
        super().__init__(f"{where}: {what}" if where else what)
