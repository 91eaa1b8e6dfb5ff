from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectguard.chat.scanner import scan_source

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def scan() -> Callable[..., list]:
    """Scan a snippet; returns its findings."""

    def run(source: str, name: str = "snippet.js", **kwargs):
        return scan_source(source.encode(), name, **kwargs).findings

    return run


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str | list[str]], bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        status, headers, body = self.routes.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for k, v in headers.items():
            for value in v if isinstance(v, list) else [v]:
                self.send_header(k, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def web() -> Iterator[tuple[str, dict]]:
    """A local HTTP server on 127.0.0.1; tests fill ``routes`` {path: (status, headers, body)}."""
    routes: dict = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", routes
    finally:
        server.shutdown()
        server.server_close()
