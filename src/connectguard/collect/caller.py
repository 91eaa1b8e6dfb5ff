"""The single place where the collector calls AWS.

Every client is made here and gets four hooks on its own event emitter (botocore's
public ``client.meta.events``):

* ``before-parameter-build``: refuse any operation outside the read-only catalogue
  (:mod:`.catalogue`), before a request is even built;
* ``before-send``: wait for a token from the (service, operation, region) bucket, on
  every attempt, retries included;
* ``needs-retry``: count the attempt and its throttling, and decide retries ourselves
  (throttling and 5xx, bounded by ``max_attempts``, exponential back-off with jitter),
  telling the bucket to slow down when the server throttled anyway;
* botocore's own retries are off, so nothing retries behind the bucket's back.

Failures become :class:`CollectionError` records naming what they hid; callers get
``None`` and leave the field unseen.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from connectguard import __version__
from connectguard.collect.catalogue import check_allowed
from connectguard.collect.ratelimit import RateLimiter
from connectguard.inventory.model import HIDES, CollectionError

THROTTLE_CODES = frozenset({
    "ThrottlingException", "Throttling", "TooManyRequestsException", "LimitExceededException",
    "RequestLimitExceeded", "SlowDown", "RequestThrottled", "ThrottledException", "RequestThrottledException",
    "ProvisionedThroughputExceededException",
})
TRANSIENT_CODES = frozenset({"InternalServiceException", "InternalFailure", "ServiceUnavailable",
                             "InternalError", "ServiceUnavailableException", "RequestTimeout"})

# botocore service-id (hyphenated, as in event names) -> boto3 client name, for the ones that differ.
_CLIENT_NAME = {"cloudwatch-logs": "logs", "directory-service": "ds", "cloudwatch": "cloudwatch"}

ABSENT = object()  # "the API said it does not exist": data, not an error


class Stats:
    """Per-operation counters of HTTP attempts and throttles, filled from event hooks."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.errors = 0
        self._lock = threading.Lock()
        self.listener: Callable[[str], None] | None = None

    def count(self, key: str, throttled: bool) -> None:
        with self._lock:
            self.calls[key] += 1
            if throttled:
                self.throttled[key] += 1
        if self.listener is not None:
            self.listener(key)


def _error_code(response: Any, exception: Exception | None) -> tuple[str | None, int | None]:
    if exception is not None:
        return type(exception).__name__, None
    if not response:
        return None, None
    http, parsed = response
    status = getattr(http, "status_code", None)
    code = (parsed or {}).get("Error", {}).get("Code") if status and status >= 300 else None
    return code, status


class AwsReader:
    """Makes read-only, rate-limited, recorded calls for one collection run."""

    def __init__(
        self,
        session: boto3.Session,
        *,
        max_rps: float = 1.0,
        max_attempts: int = 8,
        concurrency: int = 8,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.session = session
        self.max_attempts = max_attempts
        self.limiter = limiter or RateLimiter(max_rps)
        self.stats = Stats()
        self.errors: list[CollectionError] = []
        self._errors_lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._clients_lock = threading.Lock()
        self._concurrency = concurrency
        self._backoff_sleep = sleep
        self._rng = random.Random()

    def derived(self, session: boto3.Session) -> AwsReader:
        """A reader for other credentials (--org-role) that shares limiter, stats and errors."""
        other = AwsReader(session, max_attempts=self.max_attempts, concurrency=self._concurrency,
                          limiter=self.limiter, sleep=self._backoff_sleep)
        other.stats = self.stats
        other.errors = self.errors
        other._errors_lock = self._errors_lock
        return other

    # ------------------------------------------------------------------ clients

    def client(self, service: str, region: str | None) -> Any:
        key = (service, region or "")
        with self._clients_lock:  # boto3 sessions are not thread-safe; clients are
            found = self._clients.get(key)
            if found is None:
                found = self.session.client(
                    service,
                    region_name=region,
                    config=BotoConfig(
                        retries={"total_max_attempts": 1, "mode": "standard"},
                        max_pool_connections=max(10, self._concurrency * 2),
                        user_agent_extra=f"connectguard/{__version__}",
                        connect_timeout=10,
                        read_timeout=60,
                    ),
                )
                self._install_hooks(found, service, region or found.meta.region_name or "")
                self._clients[key] = found
            return found

    def _install_hooks(self, client: Any, service: str, region: str) -> None:
        events = client.meta.events

        def refuse_unlisted(model: Any = None, **_: Any) -> None:
            check_allowed(service, model.name)

        def take_token(event_name: str = "", **_: Any) -> None:
            operation = event_name.rsplit(".", 1)[-1]
            self.limiter.bucket(service, operation, region).acquire()

        def retry_decision(event_name: str = "", response: Any = None, attempts: int = 1,
                           caught_exception: Exception | None = None, **_: Any) -> float | None:
            operation = event_name.rsplit(".", 1)[-1]
            code, status = _error_code(response, caught_exception)
            throttled = code in THROTTLE_CODES or status == 429
            self.stats.count(f"{service}:{operation}", throttled)
            bucket = self.limiter.bucket(service, operation, region)
            if code is None and caught_exception is None:
                bucket.on_success()
                return None
            transient = throttled or code in TRANSIENT_CODES or (status is not None and status >= 500) or (
                caught_exception is not None and isinstance(caught_exception, BotoCoreError))
            # Throttling is expected under a shared quota and gets every attempt; a 5xx or a
            # network error is retried a little, then recorded (the run must finish).
            limit = self.max_attempts if throttled else min(3, self.max_attempts)
            if not transient or attempts >= limit:
                return None
            if throttled:
                bucket.on_throttled()
            # Full jitter on an exponential base; the bucket adds the pacing on the next before-send.
            delay = self._rng.uniform(0, min(20.0, 0.1 * (2 ** attempts)))
            if self._backoff_sleep is not None:
                self._backoff_sleep(delay)
                return 0.0001  # non-None: retry; the (injected) sleep already waited
            return delay

        events.register_first("before-parameter-build", refuse_unlisted)
        events.register("before-send", take_token)
        events.register_first("needs-retry", retry_decision)

    # ------------------------------------------------------------------ calls

    def call(
        self,
        service: str,
        region: str | None,
        operation: str,
        *,
        hides: str,
        instance_id: str | None = None,
        resource: str | None = None,
        absent_codes: Iterable[str] = (),
        **params: Any,
    ) -> Any:
        """One call. Returns the response, ``ABSENT`` for an ``absent_codes`` error, or None (recorded)."""
        try:
            method = getattr(self.client(service, region), _snake(operation))
            return method(**params)
        except ClientError as exc:
            if _code(exc) in set(absent_codes):
                return ABSENT
            self.record(service, operation, hides, exc, region=region, instance_id=instance_id, resource=resource)
        except BotoCoreError as exc:
            self.record(service, operation, hides, exc, region=region, instance_id=instance_id, resource=resource)
        return None

    def pages(
        self,
        service: str,
        region: str | None,
        operation: str,
        result_key: str | tuple[str, ...],
        *,
        hides: str,
        instance_id: str | None = None,
        resource: str | None = None,
        page_size: int | None = None,
        absent_codes: Iterable[str] = (),
        **params: Any,
    ) -> Any:
        """Every item of a paginated listing, at the catalogue's page size; None if any page failed.

        A listing that fails half-way is not returned in part: a partial user list read
        as complete would hide exactly the users that were not seen.
        With a tuple ``result_key`` returns a dict key -> items.
        """
        op = check_allowed(service, operation)
        size = page_size or op.page_size
        keys = (result_key,) if isinstance(result_key, str) else result_key
        out: dict[str, list[Any]] = {k: [] for k in keys}
        try:
            paginator = self.client(service, region).get_paginator(_snake(operation))
            config = {"PageSize": size} if size else {}
            for page in paginator.paginate(**params, PaginationConfig=config):
                for k in keys:
                    out[k].extend(page.get(k) or [])
        except ClientError as exc:
            if _code(exc) in set(absent_codes):
                return ABSENT
            self.record(service, operation, hides, exc, region=region, instance_id=instance_id, resource=resource)
            return None
        except BotoCoreError as exc:
            self.record(service, operation, hides, exc, region=region, instance_id=instance_id, resource=resource)
            return None
        return out[keys[0]] if isinstance(result_key, str) else out

    # ------------------------------------------------------------------ errors

    def record(
        self,
        service: str,
        operation: str,
        hides: str,
        exc: Exception | str,
        *,
        region: str | None = None,
        instance_id: str | None = None,
        resource: str | None = None,
        code: str | None = None,
    ) -> CollectionError:
        if hides not in HIDES:
            raise ValueError(f"unknown 'hides' key {hides!r}")
        error = error_from_exception(service, operation, hides, exc, region=region, instance_id=instance_id,
                                     resource=resource)
        if code:
            error.code = code
        with self._errors_lock:
            self.errors.append(error)
            self.stats.errors += 1
        return error


def error_from_exception(service: str, operation: str, hides: str, exc: Exception | str, *,
                         region: str | None = None, instance_id: str | None = None,
                         resource: str | None = None) -> CollectionError:
    """Map a botocore exception (or a message) to a CollectionError."""
    code, message, status, attempts = "Error", str(exc), None, 1
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        code = err.get("Code") or "ClientError"
        message = err.get("Message") or ""
        status = meta.get("HTTPStatusCode")
        attempts = int(meta.get("RetryAttempts") or 0) + 1
    elif isinstance(exc, Exception):
        code = type(exc).__name__
    message = " ".join(message.split())
    if message.startswith("<"):  # an HTML error page from a proxy or an emulator: not worth keeping
        message = f"HTTP {status}" if status else "unparseable error response"
    return CollectionError(service=service, operation=operation, hides=hides, code=code, message=message[:300],
                           region=region, instance_id=instance_id, resource=resource, http_status=status,
                           attempts=attempts)


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _snake(operation: str) -> str:
    return _SNAKE_CACHE.get(operation) or _SNAKE_CACHE.setdefault(operation, _to_snake(operation))


_SNAKE_CACHE: dict[str, str] = {"ListPhoneNumbersV2": "list_phone_numbers_v2", "ListSAMLProviders":
                                "list_saml_providers", "GetSAMLProvider": "get_saml_provider"}


def _to_snake(name: str) -> str:
    from botocore import xform_name

    return xform_name(name)
