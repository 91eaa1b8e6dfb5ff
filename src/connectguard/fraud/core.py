"""The screening decision, its settings and the table layout: pure code, no I/O.

Single-table design (table name from ``CONNECTGUARD_FRAUD_TABLE``), keys ``pk``/``sk``
(strings), TTL attribute ``expires_at`` (epoch seconds):

==========================  ===========================================  =========================
item                        pk / sk                                       attributes
==========================  ===========================================  =========================
exact deny entry            ``ANI#+12065550100`` / ``DENY``               reason, added_by,
                                                                          added_at, [expires_at],
                                                                          kind = ``DENY``
deny range (prefix)         ``PREFIX`` / ``+1900``                        same as above
contact activity            ``ANI#+12065550100`` /                       expires_at (now + 7 d),
                            ``CALL#<10-digit epoch>#<ContactId>``         contact_id
==========================  ===========================================  =========================

One Query on ``pk = ANI#n AND sk >= CALL#<window start>`` returns both the deny
entry (``DENY`` sorts after every ``CALL#``) and the activity inside the velocity
window. The ContactId suffix keeps two calls in the same second distinct. Deny items
carry ``kind`` so a sparse GSI (``deny-index``: ``kind``/``pk``) lists the deny list
without scanning activity. TTL deletion is lazy (up to ~2 days late), so every read
also filters ``expires_at > now`` in code.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from connectguard.fraud import identity

ANI_PK_PREFIX = "ANI#"
DENY_SK = "DENY"
PREFIX_PK = "PREFIX"
CALL_SK_PREFIX = "CALL#"
KIND_ATTR = "kind"
KIND_DENY = "DENY"
TTL_ATTR = "expires_at"
DENY_INDEX = "deny-index"

ALLOW, BLOCK, REVIEW = identity.DECISIONS


def ani_pk(e164: str) -> str:
    return ANI_PK_PREFIX + e164


def call_sk(epoch_seconds: int, contact_id: str) -> str:
    return f"{CALL_SK_PREFIX}{epoch_seconds:010d}#{contact_id}"


def window_start_sk(now: float, window_minutes: int) -> str:
    return f"{CALL_SK_PREFIX}{int(now) - window_minutes * 60:010d}"


def contact_id_from_sk(sk: str) -> str:
    return sk.split("#", 2)[2] if sk.count("#") >= 2 else ""


class SettingError(ValueError):
    """An invalid setting: ``source`` is ``"event"`` (flow Parameters) or ``"config"`` (environment)."""

    def __init__(self, key: str, source: str):
        self.key = key
        self.source = source
        super().__init__(f"invalid {source} setting {key}")


# (attribute, environment variable, flow parameter, default, parser kind)
_SETTINGS = (
    ("default_country", "CONNECTGUARD_FRAUD_DEFAULT_COUNTRY", "defaultCountry", "US", "country"),
    ("fail_mode", "CONNECTGUARD_FRAUD_FAIL_MODE", "failMode", ALLOW, "decision"),
    ("withheld_action", "CONNECTGUARD_FRAUD_WITHHELD_ACTION", "withheldAction", REVIEW, "decision"),
    ("velocity_limit", "CONNECTGUARD_FRAUD_VELOCITY_LIMIT", "velocityLimit", 5, "int:1:1000"),
    ("velocity_window_minutes", "CONNECTGUARD_FRAUD_VELOCITY_WINDOW_MINUTES", "velocityWindowMinutes", 10,
     "int:1:10080"),
    ("velocity_action", "CONNECTGUARD_FRAUD_VELOCITY_ACTION", "velocityAction", REVIEW, "decision"),
    ("deadline_ms", "CONNECTGUARD_FRAUD_DEADLINE_MS", "deadlineMs", 2000, "int:50:7500"),
    ("activity_ttl_days", "CONNECTGUARD_FRAUD_ACTIVITY_TTL_DAYS", "activityTtlDays", 7, "int:1:365"),
)
SETTING_NAMES = {attr: (env, param) for attr, env, param, _, _ in _SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Per-decision settings: defaults < environment variables < the flow block's Parameters."""

    default_country: str = "US"
    fail_mode: str = ALLOW
    withheld_action: str = REVIEW
    velocity_limit: int = 5  # more than this many contacts ...
    velocity_window_minutes: int = 10  # ... within this many minutes
    velocity_action: str = REVIEW
    deadline_ms: int = 2000
    activity_ttl_days: int = 7

    @classmethod
    def from_sources(
        cls,
        env: Mapping[str, str],
        params: Mapping[str, object] | None = None,
        *,
        country_ok=lambda code: True,
    ) -> Settings:
        """Raises SettingError naming the first invalid key (values are never echoed: they may be numbers)."""
        values: dict[str, object] = {}
        for attr, env_name, param_name, _default, kind in _SETTINGS:
            if env_name in env and env[env_name] != "":
                values[attr] = _parse(kind, env[env_name], env_name, "config", country_ok)
            if params and param_name in params and params[param_name] not in ("", None):
                values[attr] = _parse(kind, params[param_name], param_name, "event", country_ok)
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def fail_mode_from(cls, env: Mapping[str, str], params: Mapping[str, object] | None) -> str:
        """The fail mode alone, best effort, for when the other settings are invalid."""
        mode = ALLOW
        candidates = [env.get("CONNECTGUARD_FRAUD_FAIL_MODE")]
        if isinstance(params, Mapping):
            candidates.append(params.get("failMode"))  # type: ignore[arg-type]
        for value in candidates:
            if isinstance(value, str) and value.strip().lower() in identity.DECISIONS:
                mode = value.strip().lower()
        return mode


def _parse(kind: str, raw: object, key: str, source: str, country_ok) -> object:
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        raise SettingError(key, source)
    text = str(raw).strip()
    if kind == "decision":
        if text.lower() not in identity.DECISIONS:
            raise SettingError(key, source)
        return text.lower()
    if kind == "country":
        if not (len(text) == 2 and text.isalpha() and country_ok(text)):
            raise SettingError(key, source)
        return text.upper()
    _, low, high = kind.split(":")
    try:
        number = int(text)
    except ValueError:
        raise SettingError(key, source) from None
    if not int(low) <= number <= int(high):
        raise SettingError(key, source)
    return number


@dataclass(frozen=True)
class DenyEntry:
    """One deny-list entry: an exact number or a prefix (range)."""

    value: str  # E.164 number or prefix
    is_prefix: bool = False
    reason: str = ""
    added_by: str = ""
    added_at: int | None = None
    expires_at: int | None = None

    def active(self, now: float) -> bool:
        # TTL deletion is lazy: an expired entry may still be in the table.
        return self.expires_at is None or self.expires_at > now


class PrefixIndex:
    """Longest-prefix match over the active prefix entries; O(number length) per lookup."""

    def __init__(self, entries: Iterable[DenyEntry] = ()):
        self._by_prefix = {e.value: e for e in entries if e.is_prefix}
        self._lengths = sorted({len(p) for p in self._by_prefix}, reverse=True)

    def __len__(self) -> int:
        return len(self._by_prefix)

    def entries(self) -> list[DenyEntry]:
        return list(self._by_prefix.values())

    def match(self, e164: str, now: float) -> DenyEntry | None:
        for length in self._lengths:
            if length > len(e164):
                continue
            entry = self._by_prefix.get(e164[:length])
            if entry is not None and entry.active(now):
                return entry
        return None


@dataclass(frozen=True)
class Activity:
    """What the one Query returned for a number: its deny entry and recent contacts."""

    deny: DenyEntry | None = None
    previous_contacts: int = 0  # in the window, excluding the contact being screened
    truncated: bool = False  # the Query hit its Limit: at least this many


@dataclass(frozen=True)
class Decision:
    decision: str
    reason: str
    recent_contacts: int = 0
    entry: DenyEntry | None = None
    recorded: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def response(self) -> dict[str, str]:
        """The flat string map returned to the flow ($.External.<key>)."""
        out = {
            identity.DECISION_KEY: self.decision,
            identity.REASON_KEY: self.reason,
            "recent_contacts": str(self.recent_contacts),
            "recorded": "true" if self.recorded else "false",
        }
        out.update(self.extra)
        return out


def fail(settings_fail_mode: str, reason: str) -> Decision:
    return Decision(settings_fail_mode, reason)


def decide(e164: str, activity: Activity, prefixes: PrefixIndex, settings: Settings, now: float) -> Decision:
    """Deny entry > denied range > velocity > allow. ``recent_contacts`` includes this contact."""
    recent = activity.previous_contacts + 1
    if activity.deny is not None and activity.deny.active(now):
        return Decision(BLOCK, "deny-list", recent, activity.deny)
    prefix_entry = prefixes.match(e164, now)
    if prefix_entry is not None:
        return Decision(BLOCK, "deny-prefix", recent, prefix_entry)
    if recent > settings.velocity_limit:
        return Decision(settings.velocity_action, "velocity", recent)
    return Decision(ALLOW, "ok", recent)


def query_limit(settings: Settings) -> int:
    """Items the Query needs to see: the deny item, a retried invocation of this same
    contact, and ``velocity_limit`` other contacts (enough to know the limit is exceeded)."""
    return settings.velocity_limit + 2


def activity_from_items(
    items: Iterable[Mapping[str, object]], contact_id: str, now: float, *, limit: int | None = None
) -> Activity:
    """Interpret the Query's items (plain dicts: sk, expires_at, reason, added_at, added_by)."""
    deny = None
    previous = 0
    seen = 0
    for item in items:
        seen += 1
        sk = str(item.get("sk", ""))
        if sk == DENY_SK:
            deny = entry_from_item(item, value="", is_prefix=False)
        elif sk.startswith(CALL_SK_PREFIX):
            expires = item.get(TTL_ATTR)
            if expires is not None and int(expires) <= now:  # type: ignore[arg-type]
                continue
            # Connect retries a throttled or failed invocation of the same contact.
            if contact_id_from_sk(sk) != contact_id:
                previous += 1
    return Activity(deny, previous, truncated=limit is not None and seen >= limit)


def entry_from_item(item: Mapping[str, object], *, value: str, is_prefix: bool) -> DenyEntry:
    def _int(name: str) -> int | None:
        raw = item.get(name)
        return None if raw is None else int(raw)  # type: ignore[call-overload]

    return DenyEntry(
        value=value,
        is_prefix=is_prefix,
        reason=str(item.get("reason", "")),
        added_by=str(item.get("added_by", "")),
        added_at=_int("added_at"),
        expires_at=_int(TTL_ATTR),
    )


def number_digest(key: bytes, e164: str) -> str:
    """Keyed HMAC-SHA256 of a number for logs: a plain hash is reversed by hashing every number."""
    return hmac.new(key, e164.encode(), hashlib.sha256).hexdigest()[:20]


# Table definition shared by `connectguard fraud init` and the CloudFormation template.
KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRIBUTE_DEFINITIONS = [
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "S"},
    {"AttributeName": KIND_ATTR, "AttributeType": "S"},
]
GLOBAL_SECONDARY_INDEXES = [
    {
        "IndexName": DENY_INDEX,
        "KeySchema": [{"AttributeName": KIND_ATTR, "KeyType": "HASH"}, {"AttributeName": "pk", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }
]
