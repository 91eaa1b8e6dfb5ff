"""The HTML report in real headless Chromium: injected payloads do not run, nothing loads from the network.

Needs /usr/bin/chromium (Debian: `apt-get install -y chromium`). The report is served from a loopback HTTP
server that records every request; payloads try to load from that same server, so a payload that ran, or
a resource the page fetched, would show up as a request.
"""

import http.server
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from connectguard.audit.findings import Finding
from connectguard.conventions import Practice, Severity, Status
from connectguard.report import render

CHROMIUM = os.environ.get("CONNECTGUARD_CHROMIUM", "/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (Path(CHROMIUM).exists() or shutil.which("chromium")),
                       reason="headless Chromium not installed: apt-get install -y chromium"),
]


def chromium_args(profile_dir):
    return [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--no-default-browser-check", "--hide-scrollbars",
            f"--user-data-dir={profile_dir}"]


class Server:
    """Serves one page on 127.0.0.1 and records every request path."""

    def __init__(self):
        self.requests, self.pages = [], {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - stdlib name
                server.requests.append(self.path)
                body = server.pages.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                if body:
                    self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _leaky_payloads(base):
    """Names that would fetch from the recording server (or change the title) if they ever ran or loaded."""
    return [
        f"<img src=\"{base}/leak-img\" onerror=\"document.title='XSS'\">",
        f"<script src=\"{base}/leak-script\"></script><script>document.title='XSS'</script>",
        f"</pre><link rel=stylesheet href=\"{base}/leak-css\"><style>@import '{base}/leak-import';</style>",
        f"\"><iframe src=\"{base}/leak-frame\"></iframe><svg onload=\"fetch('{base}/leak-fetch')\">",
        f"<form action=\"{base}/leak-form\"><button autofocus onfocus=\"document.title='XSS'\">",
    ]


def _report_with(demo_report, names):
    report = demo_report
    extra = []
    for i, name in enumerate(names):
        extra.append(Finding(
            check="flow-logs-disabled", practice=Practice.FLOW_LOGGING, status=Status.FAIL, severity=Severity.HIGH,
            title="Flow logging is turned off on the instance", resource=f"arn:aws:connect:us-east-1:"
            f"{report.account}:instance/x/contact-flow/{i}", account=report.account, region="us-east-1",
            message=f"flow {name} writes no logs", evidence={"flow_name": name}, remediation=name))
    copy = report.__class__(**{**report.__dict__, "findings": [*report.findings, *extra]})
    return copy


def _dump_dom(url, tmp_path):
    result = subprocess.run([*chromium_args(tmp_path / "profile"), "--virtual-time-budget=3000", "--dump-dom", url],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_payloads_do_not_run_and_nothing_loads_from_the_network(demo_report, tmp_path):
    with Server() as server:
        page = render(_report_with(demo_report, _leaky_payloads(server.url)), "html", title="connectguard test")
        server.pages["/report.html"] = page.encode()
        dom = _dump_dom(f"{server.url}/report.html", tmp_path)
    assert "<title>connectguard test</title>" in dom  # no payload changed the title
    assert "XSS" not in re.sub(r"&lt;.*?&gt;|'XSS'|document\.title=", "", dom.split("</head>", 1)[0])
    # Our own script ran (so scripts were enabled): it wrote the count of shown findings.
    assert re.search(r'<span id="shown">\d+ of \d+ findings shown</span>', dom)
    # The only request the page ever made was for itself (favicon aside, which CSP blocks from loading).
    assert [p for p in server.requests if p not in ("/report.html", "/favicon.ico")] == [], server.requests
    assert not any(p.startswith("/leak") for p in server.requests)


def test_screenshot(demo_report, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(demo_report, "html"), encoding="utf-8")
    shot = tmp_path / "shot.png"
    result = subprocess.run([*chromium_args(tmp_path / "profile"), f"--screenshot={shot}", "--window-size=1280,1600",
                             page.as_uri()], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a rendered page, not a blank image
    if os.environ.get("CONNECTGUARD_UPDATE_SCREENSHOT"):
        target = Path(__file__).resolve().parents[2] / "docs" / "report-screenshot.png"
        target.write_bytes(data)
