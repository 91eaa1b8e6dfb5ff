"""A loopback Amazon Connect simulator speaking the REST-JSON protocol.

A real boto3 ``connect`` client pointed at it (``endpoint_url`` or
``AWS_ENDPOINT_URL_CONNECT``) works unmodified. Routes, parameter locations and
output shapes come from botocore's own Connect service model; each served operation
is a small projection of the world (:mod:`connectguard.simulator.operations`) and
every response is validated against the operation's output shape before it leaves
(a violation is a loud 500 naming the path). Around the operations sit AWS's default
quota (token bucket per operation, account and region: 2/s, burst 5) and a fault
injector (throttles, 5xx, latency, AccessDenied), with per-operation counters.
"""

from __future__ import annotations

import json
import random
import re
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import botocore.session
from botocore.model import OperationModel, ServiceModel

from connectguard.simulator import operations
from connectguard.simulator.operations import ApiError, OpContext
from connectguard.simulator.shapes import ShapeViolation, project, validate
from connectguard.simulator.world import World

DEFAULT_RATE = 2.0  # AWS's default Connect API quota: 2 requests/s ...
DEFAULT_BURST = 5  # ... burst 5, per operation, account and region


_MODEL: ServiceModel | None = None
_MODEL_LOCK = threading.Lock()


def connect_model() -> ServiceModel:
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            _MODEL = botocore.session.get_session().get_service_model("connect")
        return _MODEL


# --------------------------------------------------------------------------- faults


@dataclass
class Fault:
    """One injected fault on one operation.

    ``times``: how many matching calls it affects (None: all); ``probability``: the
    chance each matching call is affected (None: 1); ``resource_ids``: only calls naming
    one of these ids (path or body parameters), e.g. one security profile.
    """

    operation: str
    kind: Literal["throttle", "error", "latency", "access_denied"]
    times: int | None = None
    probability: float | None = None
    status: int = 500
    seconds: float = 0.0
    resource_ids: frozenset[str] | None = None
    hits: int = 0

    @classmethod
    def throttle(cls, operation: str, *, times: int | None = None, probability: float | None = None) -> Fault:
        return cls(operation, "throttle", times=times, probability=probability)

    @classmethod
    def error(
        cls, operation: str, *, status: int = 500, times: int | None = None, probability: float | None = None
    ) -> Fault:
        if not 500 <= status <= 599:
            raise ValueError("error faults are 5xx; use access_denied for 403")
        return cls(operation, "error", times=times, probability=probability, status=status)

    @classmethod
    def latency(cls, operation: str, seconds: float, *, times: int | None = None) -> Fault:
        return cls(operation, "latency", times=times, seconds=seconds)

    @classmethod
    def access_denied(
        cls, operation: str, *, resource_ids: Iterable[str] | None = None, times: int | None = None
    ) -> Fault:
        ids = frozenset(resource_ids) if resource_ids is not None else None
        return cls(operation, "access_denied", times=times, resource_ids=ids)

    def _applies(self, operation: str, ids: set[str], rng: random.Random) -> bool:
        if self.operation not in (operation, "*"):
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        if self.resource_ids is not None and not (self.resource_ids & ids):
            return False
        if self.probability is not None and rng.random() >= self.probability:
            return False
        self.hits += 1
        return True


class _TokenBucket:
    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


_ACCESS_KEY = re.compile(r"Credential=([A-Z0-9]+)/")


# --------------------------------------------------------------------------- routing


@dataclass
class _Route:
    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    specificity: tuple[int, int]


def _build_routes(model: ServiceModel) -> list[_Route]:
    routes = []
    for name in model.operation_names:
        op = model.operation_model(name)
        uri = op.http["requestUri"].split("?", 1)[0]
        regex = ""
        literal = 0
        for part in re.split(r"(\{[^}]+\})", uri):
            if part.startswith("{"):
                label = part[1:-1]
                greedy = label.endswith("+")
                label = label.rstrip("+")
                regex += f"(?P<{label}>.+)" if greedy else f"(?P<{label}>[^/]+)"
            else:
                regex += re.escape(part)
                literal += len(part)
        routes.append(_Route(op, op.http["method"], re.compile(f"^{regex}$"), (literal, -uri.count("{"))))
    routes.sort(key=lambda r: r.specificity, reverse=True)
    return routes


# --------------------------------------------------------------------------- the simulator


@dataclass
class _Reply:
    status: int
    body: dict[str, Any]
    error_type: str | None = None


@dataclass
class Violation:
    operation: str
    message: str


class ConnectSimulator:
    """The Connect side of a simulated estate; start it with :meth:`start` or ``with``."""

    def __init__(
        self,
        world: World,
        *,
        quota: bool = True,
        faults: Iterable[Fault] | None = None,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        other_accounts: Iterable[World] = (),
        account_of: Callable[[str], str | None] | None = None,
    ):
        self.world = world
        self.quota = quota
        self.rate = rate
        self.burst = burst
        self.references = operations.References(world)
        # Organization estates: one world per account, chosen by the request's access key
        # (``account_of`` maps it to an account, e.g. through moto's STS for assumed roles).
        self._worlds = {w.account_id: (w, operations.References(w)) for w in other_accounts}
        self._worlds[world.account_id] = (world, self.references)
        self._account_of = account_of
        self.calls: Counter[str] = Counter()
        self.throttles: Counter[str] = Counter()
        self.violations: list[Violation] = []
        self._faults: list[Fault] = list(faults or [])
        self._buckets: dict[tuple[str, str, str], _TokenBucket] = {}
        self._lock = threading.Lock()  # counters, buckets, faults
        self.world_lock = threading.RLock()  # the world, for mutations
        self._rng = random.Random(seed)
        self._model = connect_model()
        self._routes = _build_routes(self._model)
        self._host = host
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> str:
        if self._server is not None:
            return self.url
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="connect-simulator", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> ConnectSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the Connect simulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    # ---------------------------------------------------------------- faults and counters

    def add_fault(self, fault: Fault) -> Fault:
        self._check_operation(fault.operation)
        with self._lock:
            self._faults.append(fault)
        return fault

    def throttle(self, operation: str, *, times: int | None = None, probability: float | None = None) -> Fault:
        return self.add_fault(Fault.throttle(operation, times=times, probability=probability))

    def fail(
        self, operation: str, *, status: int = 500, times: int | None = None, probability: float | None = None
    ) -> Fault:
        return self.add_fault(Fault.error(operation, status=status, times=times, probability=probability))

    def slow(self, operation: str, seconds: float, *, times: int | None = None) -> Fault:
        return self.add_fault(Fault.latency(operation, seconds, times=times))

    def deny(self, operation: str, *, resource_ids: Iterable[str] | None = None, times: int | None = None) -> Fault:
        return self.add_fault(Fault.access_denied(operation, resource_ids=resource_ids, times=times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset_counters(self) -> None:
        with self._lock:
            self.calls.clear()
            self.throttles.clear()
            self.violations.clear()

    def reset_quota(self) -> None:
        with self._lock:
            self._buckets.clear()

    def _check_operation(self, name: str) -> None:
        if name != "*" and name not in self._model.operation_names:
            raise ValueError(f"{name!r} is not a Connect operation")

    # ---------------------------------------------------------------- one request

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Reply:
        parsed = urllib.parse.urlsplit(raw_path)
        path = parsed.path
        route, path_params = self._match(method, path)
        if route is None:
            return _Reply(404, {"Message": f"connect simulator: no Connect operation matches {method} {path}"},
                          "UnknownOperationException")
        op = route.operation
        name = op.name
        region = _region_from(headers)
        world, references = self._world_for(headers)
        with self._lock:
            self.calls[name] += 1
        try:
            params = _parse_input(op, path_params, urllib.parse.parse_qs(parsed.query, keep_blank_values=True), body)
        except ApiError as err:
            return _Reply(err.status, {"Message": err.message}, err.code)
        ids = _ids_in(params)

        # quota first: a throttled call never reaches the fault injector or the world
        if self.quota:
            with self._lock:
                key = (name, world.account_id, region)
                bucket = self._buckets.get(key)
                if bucket is None:
                    bucket = self._buckets[key] = _TokenBucket(self.rate, self.burst)
                allowed = bucket.take()
                if not allowed:
                    self.throttles[name] += 1
            if not allowed:
                return _Reply(429, {"Message": "Rate exceeded"}, "ThrottlingException")

        with self._lock:
            fired = [f for f in self._faults if f._applies(name, ids, self._rng)]
        for fault in fired:
            if fault.kind == "latency":
                time.sleep(fault.seconds)
        for fault in fired:
            if fault.kind == "throttle":
                with self._lock:
                    self.throttles[name] += 1
                return _Reply(429, {"Message": "Rate exceeded"}, "ThrottlingException")
            if fault.kind == "error":
                return _Reply(fault.status, {"Message": f"injected fault: {name} failed"}, "InternalServiceException")
            if fault.kind == "access_denied":
                return _Reply(
                    403,
                    {"Message": f"User is not authorized to perform: connect:{name} (injected by the simulator)"},
                    "AccessDeniedException",
                )

        handler = operations.HANDLERS.get(name)
        if handler is None:
            if operations.is_mutation(name):
                return _Reply(
                    403,
                    {"Message": f"connect simulator refuses mutating operation {name}; it serves only "
                     f"{', '.join(sorted(operations.MUTATIONS))}"},
                    "AccessDeniedException",
                )
            return _Reply(
                501,
                {"Message": f"connect simulator does not serve operation {name} "
                 "(add it to connectguard.simulator.operations)"},
                "NotImplemented",
            )
        ctx = OpContext(
            world=world, region=region, account=world.account_id, params=params,
            references=references, lock=self.world_lock, operation=op,
        )
        try:
            result = handler.run(ctx)
            output = project(result, op.output_shape) if op.output_shape is not None else {}
            if op.output_shape is not None:
                validate(output, op.output_shape)
        except ApiError as err:
            return _Reply(err.status, {"Message": err.message}, err.code)
        except ShapeViolation as exc:
            message = f"connect simulator bug: {name} response violates the model at {exc.path}: {exc.problem}"
            self.violations.append(Violation(name, message))
            print(message, file=sys.stderr)
            return _Reply(500, {"Message": message}, "InternalServiceException")
        except Exception as exc:  # a simulator bug: loud, with its name
            message = f"connect simulator bug in {name}: {type(exc).__name__}: {exc}"
            self.violations.append(Violation(name, message))
            print(message, file=sys.stderr)
            return _Reply(500, {"Message": message}, "InternalServiceException")
        return _Reply(200, output)

    def _world_for(self, headers: dict[str, str]) -> tuple[World, operations.References]:
        if self._account_of is None or len(self._worlds) == 1:
            return self.world, self.references
        found = _ACCESS_KEY.search(headers.get("authorization", ""))
        account = self._account_of(found.group(1)) if found else None
        return self._worlds.get(account or "", (self.world, self.references))

    def _match(self, method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
        for route in self._routes:
            if route.method != method:
                continue
            m = route.pattern.match(path)
            if m:
                return route, {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
        return None, {}


def _region_from(headers: dict[str, str]) -> str:
    auth = headers.get("authorization", "")
    m = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/", auth)
    return m.group(1) if m else "us-east-1"


def _ids_in(params: dict[str, Any]) -> set[str]:
    ids = set()
    for value in params.values():
        if isinstance(value, str):
            ids.add(value)
            ids.add(value.split(":", 1)[0] if not value.startswith("arn:") else value)
    return ids


def _parse_input(op: OperationModel, path_params: dict[str, str], query: dict[str, list[str]], body: bytes
                 ) -> dict[str, Any]:
    shape = op.input_shape
    params: dict[str, Any] = {}
    if shape is None:
        return params
    payload: dict[str, Any] = {}
    if body:
        try:
            payload = json.loads(body)
        except ValueError:
            raise ApiError("InvalidParameterException", 400, "request body is not JSON") from None
        if not isinstance(payload, dict):
            raise ApiError("InvalidParameterException", 400, "request body is not a JSON object")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in path_params:
                params[name] = path_params[wire]
        elif location == "querystring":
            if wire in query:
                values = query[wire]
                params[name] = values if member.type_name == "list" else _scalar(values[-1], member.type_name, name)
        elif location in ("header", "headers"):
            continue
        elif name in payload:
            params[name] = payload[name]
    missing = [n for n in shape.required_members if n not in params]
    if missing:
        raise ApiError("InvalidParameterException", 400, f"{op.name}: missing required parameter(s) {missing}")
    limit = shape.members.get("MaxResults")
    if limit is not None and "MaxResults" in params:
        value = params["MaxResults"]
        low, high = limit.metadata.get("min", 1), limit.metadata.get("max")
        if not isinstance(value, int) or value < low or (high is not None and value > high):
            raise ApiError(
                "InvalidParameterException", 400,
                f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy constraint: "
                f"Member must have value less than or equal to {high}" if high is not None
                else f"invalid MaxResults {value}",
            )
    return params


def _scalar(raw: str, kind: str, name: str) -> Any:
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            raise ApiError("InvalidParameterException", 400, f"{name} must be an integer") from None
    if kind == "boolean":
        return raw.lower() == "true"
    return raw


def _make_handler(sim: ConnectSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid the 40 ms ACK stall
        server_version = "connectguard-connect-simulator"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = sim.handle(self.command, self.path, headers, body)
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            if reply.error_type:
                self.send_header("x-amzn-ErrorType", reply.error_type)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return  # quiet: tests and the CLI print what matters

    return Handler


__all__ = ["ConnectSimulator", "Fault", "Violation", "connect_model"]
