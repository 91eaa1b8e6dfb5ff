"""A loopback, fault-injecting HTTP proxy for DynamoDB, for reliability tests and benchmarks.

Put it in front of a moto server (``moto.server.ThreadedMotoServer``) or DynamoDB
Local and point the client at it (``AWS_ENDPOINT_URL_DYNAMODB`` or ``endpoint_url``).
Faults are injected on the wire, so botocore's own retry and timeout handling runs
for real (nothing in boto3 or botocore is patched). Not part of the Lambda artifact.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# kind -> (HTTP status, DynamoDB error type); None status = no HTTP answer at all
_ERRORS = {
    "throttle": (400, "com.amazonaws.dynamodb.v20120810#ThrottlingException"),
    "capacity": (400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"),
    "internal": (500, "com.amazonaws.dynamodb.v20120810#InternalServerError"),
    "unavailable": (503, "com.amazonaws.dynamodb.v20120810#ServiceUnavailableException"),
}
FAULT_KINDS = (*_ERRORS, "slow", "reset")


class FaultProxy:
    """Forwards to ``upstream``; with probability ``rate`` answers with a fault instead.

    Faults: ``throttle``/``capacity`` (400), ``internal`` (500), ``unavailable`` (503),
    ``slow`` (waits ``slow_seconds`` before forwarding: a timeout for a short deadline),
    ``reset`` (closes the connection without an answer). ``counts`` records requests and faults;
    ``operations`` limits injection to those DynamoDB operations (``X-Amz-Target``).
    """

    def __init__(self, upstream: str, *, rate: float = 0.0, kinds: tuple[str, ...] = FAULT_KINDS,
                 slow_seconds: float = 1.0, seed: int = 7, operations: tuple[str, ...] | None = None,
                 max_faults: int | None = None):
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.rate = rate
        self.kinds = kinds
        self.slow_seconds = slow_seconds
        self.operations = operations  # e.g. ("PutItem",): inject only into these operations
        self.max_faults = max_faults  # stop injecting after this many
        self.counts: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._local = threading.local()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                operation = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
                fault = proxy._pick(operation)
                if fault == "reset":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault in _ERRORS:
                    status, error_type = _ERRORS[fault]
                    payload = json.dumps({"__type": error_type, "message": f"injected {fault}"}).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/x-amz-json-1.0")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if fault == "slow":
                    time.sleep(proxy.slow_seconds)
                status, headers, data = proxy._forward(self.path, dict(self.headers), body)
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                return

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the default backlog of 5 drops bursts of connections
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                return  # clients that gave up (deadline passed) close their sockets: expected

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _pick(self, operation: str) -> str | None:
        with self._lock:
            self.counts["requests"] += 1
            if self.operations is not None and operation not in self.operations:
                return None
            injected = sum(v for k, v in self.counts.items() if k != "requests")
            if self.max_faults is not None and injected >= self.max_faults:
                return None
            if self.rate and self._random.random() < self.rate:
                kind = self._random.choice(self.kinds)
                self.counts[kind] += 1
                return kind
            return None

    def _forward(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = getattr(self._local, "conn", None)
        for attempt in range(2):
            if conn is None:
                conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
                self._local.conn = conn
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = self._local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SilentServer:
    """Accepts TCP connections and never answers: every request times out."""

    def __init__(self) -> None:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)

    @property
    def url(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self._sock.close()
