"""The Lambda handler: ``connectguard.fraud.lambda_handler``.

Contract with the flow (InvokeLambdaFunction, ResponseValidation STRING_MAP): the
event is Connect's ContactFlowEvent; the answer is a flat map of strings read as
``$.External.decision`` (``allow`` | ``block`` | ``review``), ``$.External.reason``,
``$.External.recent_contacts`` and ``$.External.recorded``. It never raises: a
malformed event, an invalid setting, a DynamoDB error or the deadline passing all
return the configured fail mode's decision (default ``allow``), so a fault in
screening never drops a legitimate caller.

Imports only the standard library, boto3 and phonenumbers (lite).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from connectguard.fraud import core, numbers, store

LOG_KEY_ENV = "CONNECTGUARD_FRAUD_LOG_KEY"
TABLE_ENV = "CONNECTGUARD_FRAUD_TABLE"
PREFIX_CACHE_SECONDS = 60.0
# Leave the runtime this much of the function's own timeout to return the answer.
CONTEXT_MARGIN_MS = 250

log = logging.getLogger("connectguard.fraud")
if log.level == logging.NOTSET:
    log.setLevel(logging.INFO)


class BadEvent(ValueError):
    """The event is not a usable ContactFlowEvent (the message names the field, never a value)."""


@dataclass(frozen=True)
class ParsedEvent:
    contact_id: str
    address: str | None
    params: Mapping[str, object]


def parse_event(event: object) -> ParsedEvent:
    if not isinstance(event, Mapping):
        raise BadEvent("event")
    details = event.get("Details")
    if not isinstance(details, Mapping):
        raise BadEvent("Details")
    contact = details.get("ContactData")
    if not isinstance(contact, Mapping):
        raise BadEvent("Details.ContactData")
    params = details.get("Parameters")
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise BadEvent("Details.Parameters")
    contact_id = contact.get("ContactId")
    if not isinstance(contact_id, str) or not contact_id.strip() or len(contact_id) > 256:
        raise BadEvent("Details.ContactData.ContactId")
    endpoint = contact.get("CustomerEndpoint")
    address: str | None = None
    if endpoint is not None:
        if not isinstance(endpoint, Mapping):
            raise BadEvent("Details.ContactData.CustomerEndpoint")
        raw = endpoint.get("Address")
        if raw is not None and not isinstance(raw, str):
            raise BadEvent("Details.ContactData.CustomerEndpoint.Address")
        address = raw
    return ParsedEvent(contact_id.strip(), address, params)


class _Outcome:
    """What the I/O threads hand back to the thread that enforces the deadline."""

    __slots__ = ("activity", "prefixes", "read_error", "write_error", "read_done", "write_done")

    def __init__(self) -> None:
        self.activity: core.Activity | None = None
        self.prefixes: core.PrefixIndex | None = None
        self.read_error: BaseException | None = None
        self.write_error: BaseException | None = None
        self.read_done = threading.Event()
        self.write_done = threading.Event()


class Screener:
    """Screens contacts against one table. Thread-safe; one per process in the Lambda."""

    def __init__(
        self,
        table: str,
        client: Any,
        *,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        log_key: bytes | None = None,
        prefix_cache_seconds: float = PREFIX_CACHE_SECONDS,
    ):
        self.table = table
        self.client = client
        self.env = dict(os.environ if env is None else env)
        self.clock = clock
        self.log_key = log_key or _log_key(self.env)
        self.prefix_cache_seconds = prefix_cache_seconds
        self._prefixes: core.PrefixIndex | None = None
        self._prefixes_loaded_at = float("-inf")
        self._prefix_lock = threading.Lock()

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Screener:
        env = dict(os.environ if env is None else env)
        table = env.get(TABLE_ENV, "").strip()
        if not table:
            raise core.SettingError(TABLE_ENV, "config")
        settings = core.Settings.from_sources(env, None, country_ok=numbers.is_supported_country)
        return cls(table, store.make_client(deadline_ms=settings.deadline_ms), env=env)

    # -- the Lambda path ------------------------------------------------------------------

    def screen(self, event: object, context: object = None) -> dict[str, str]:
        """Decide for one ContactFlowEvent. Never raises; always a flat map of strings."""
        started = time.perf_counter()
        params = _params_of(event)
        fail_mode = core.Settings.fail_mode_from(self.env, params)
        digest = ""
        try:
            parsed = parse_event(event)
            settings = core.Settings.from_sources(self.env, parsed.params, country_ok=numbers.is_supported_country)
            fail_mode = settings.fail_mode
            number = numbers.normalise(parsed.address, settings.default_country)
            if number.status != numbers.OK:
                decision = core.Decision(settings.withheld_action, number.status)
            else:
                assert number.e164 is not None
                digest = core.number_digest(self.log_key, number.e164)
                decision = self._screen_number(number.e164, parsed.contact_id, settings, _budget_ms(settings, context))
        except BadEvent as exc:
            decision = core.fail(fail_mode, "bad-event")
            log.warning(json.dumps({"event": "bad-event", "field": str(exc)}))
        except core.SettingError as exc:
            decision = core.fail(fail_mode, "bad-event" if exc.source == "event" else "bad-config")
            log.warning(json.dumps({"event": decision.reason, "setting": exc.key}))
        except Exception as exc:  # a bug must still not drop the caller
            decision = core.fail(fail_mode, "error")
            log.error(json.dumps({"event": "internal-error", "error": type(exc).__name__}))
        response = decision.response()
        if log.isEnabledFor(logging.INFO):
            record = {"event": "decision", "contact_id": _contact_id_of(event), "ani_hmac": digest, **response,
                      "ms": round((time.perf_counter() - started) * 1000, 1)}
            log.info(json.dumps(record))
        return response

    def _screen_number(self, e164: str, contact_id: str, settings: core.Settings, budget_ms: float) -> core.Decision:
        """The two requests run on a worker thread so this one can keep the deadline.

        Read first, then write: the decision needs only the read, and one request at a
        time keeps a contact's own write out of the Query's Limit.
        """
        deadline = time.monotonic() + budget_ms / 1000.0
        now = self.clock()
        outcome = _Outcome()
        threading.Thread(target=self._io, args=(e164, contact_id, settings, now, outcome), daemon=True).start()
        if not outcome.read_done.wait(max(0.0, deadline - time.monotonic())):
            log.warning(json.dumps({"event": "timeout", "budget_ms": budget_ms}))
            return core.fail(settings.fail_mode, "timeout")
        if outcome.read_error is not None:
            log.warning(json.dumps({"event": "dynamodb-error", "error": _error_code(outcome.read_error)}))
            return core.fail(settings.fail_mode, "error")
        assert outcome.activity is not None and outcome.prefixes is not None
        decision = core.decide(e164, outcome.activity, outcome.prefixes, settings, now)
        # The decision is known; a slow or failed write only means this contact is not counted.
        recorded = outcome.write_done.wait(max(0.0, deadline - time.monotonic())) and outcome.write_error is None
        if outcome.write_error is not None:
            log.warning(json.dumps({"event": "record-failed", "error": _error_code(outcome.write_error)}))
        return replace(decision, recorded=recorded)

    def _io(self, e164: str, contact_id: str, settings: core.Settings, now: float, outcome: _Outcome) -> None:
        self._read(e164, contact_id, settings, now, outcome)
        self._write(e164, contact_id, settings, now, outcome)

    def _read(self, e164: str, contact_id: str, settings: core.Settings, now: float, outcome: _Outcome) -> None:
        try:
            outcome.prefixes = self.prefixes(now)
            limit = core.query_limit(settings)
            items = store.query_number(
                self.client, self.table, e164, core.window_start_sk(now, settings.velocity_window_minutes), limit
            )
            outcome.activity = core.activity_from_items(items, contact_id, now, limit=limit)
        except BaseException as exc:  # noqa: BLE001 - reported to the deciding thread
            outcome.read_error = exc
        finally:
            outcome.read_done.set()

    def _write(self, e164: str, contact_id: str, settings: core.Settings, now: float, outcome: _Outcome) -> None:
        try:
            store.put_activity(self.client, self.table, e164, contact_id, now, settings.activity_ttl_days)
        except BaseException as exc:  # noqa: BLE001
            outcome.write_error = exc
        finally:
            outcome.write_done.set()

    # -- shared with the admin `check` -----------------------------------------------------

    def prefixes(self, now: float) -> core.PrefixIndex:
        """The deny ranges, cached for up to ``prefix_cache_seconds`` (monotonic clock)."""
        mono = time.monotonic()
        cached = self._prefixes
        if cached is not None and mono - self._prefixes_loaded_at < self.prefix_cache_seconds:
            return cached
        with self._prefix_lock:
            if self._prefixes is not None and time.monotonic() - self._prefixes_loaded_at < self.prefix_cache_seconds:
                return self._prefixes
            loaded = core.PrefixIndex(store.load_prefixes(self.client, self.table))
            self._prefixes = loaded
            self._prefixes_loaded_at = time.monotonic()
            return loaded

    def evaluate(self, e164: str, settings: core.Settings, *, contact_id: str = "") -> core.Decision:
        """What the Lambda would decide now for ``e164``, without recording a contact. Raises on errors."""
        now = self.clock()
        limit = core.query_limit(settings)
        items = store.query_number(
            self.client, self.table, e164, core.window_start_sk(now, settings.velocity_window_minutes), limit
        )
        activity = core.activity_from_items(items, contact_id, now, limit=limit)
        # `check` answers for the next contact: it would be this many plus one.
        return core.decide(e164, activity, self.prefixes(now), settings, now)


def _log_key(env: Mapping[str, str]) -> bytes:
    key = env.get(LOG_KEY_ENV, "")
    if key:
        return key.encode()
    # Without a configured key, digests are still irreversible but only correlate
    # within one execution environment.
    log.warning(json.dumps({"event": "no-log-key", "hint": f"set {LOG_KEY_ENV} to correlate numbers across logs"}))
    return os.urandom(32)


def _params_of(event: object) -> Mapping[str, object] | None:
    if isinstance(event, Mapping):
        details = event.get("Details")
        if isinstance(details, Mapping) and isinstance(details.get("Parameters"), Mapping):
            return details["Parameters"]
    return None


def _contact_id_of(event: object) -> str:
    try:
        value = event["Details"]["ContactData"]["ContactId"]  # type: ignore[index]
    except (KeyError, TypeError, IndexError):
        return ""
    return value[:64] if isinstance(value, str) else ""


def _budget_ms(settings: core.Settings, context: object) -> float:
    budget = float(settings.deadline_ms)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        try:
            budget = min(budget, float(remaining()) - CONTEXT_MARGIN_MS)
        except (TypeError, ValueError):
            pass
    return max(budget, 1.0)


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__


_default: Screener | None = None
_default_lock = threading.Lock()


def default_screener() -> Screener:
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Screener.from_environment()
    return _default


def reset_default_screener() -> None:
    """Forget the process-wide screener (tests change the environment between cases)."""
    global _default
    _default = None


def lambda_handler(event: object, context: object = None) -> dict[str, str]:
    """Entry point: ``connectguard.fraud.lambda_handler``."""
    try:
        screener = default_screener()
    except core.SettingError as exc:
        log.error(json.dumps({"event": "bad-config", "setting": exc.key}))
        return core.fail(core.Settings.fail_mode_from(os.environ, _params_of(event)), "bad-config").response()
    except Exception as exc:  # e.g. no region: the function is misconfigured
        log.error(json.dumps({"event": "bad-config", "error": type(exc).__name__}))
        return core.fail(core.Settings.fail_mode_from(os.environ, _params_of(event)), "bad-config").response()
    return screener.screen(event, context)
