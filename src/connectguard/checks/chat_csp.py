"""[chat-csp] The chat page's Content-Security-Policy.

Reads the policies fetched from `[audit] chat_url` and their evaluation
(``extra["chat_csp"]``, produced by ``connectguard.chat.audit_inputs``); does no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.conventions import Practice, Severity, Status


@check(
    id="chat-csp-weak",
    title="Chat page has no Content-Security-Policy, or a weak one",
    practice=Practice.CHAT_CSP,
    severity=Severity.HIGH,
    rationale="""A Content-Security-Policy is the second line of defence when chat content does reach an HTML
    sink: with a nonce-based script-src an injected <script> or event handler does not run, and a narrow
    connect-src stops injected code from sending the transcript elsewhere. Policies with 'unsafe-inline',
    wildcards, or allow-listed hosts that serve JSONP (such as *.cloudfront.net or cdn.jsdelivr.net) can be
    bypassed.""",
    remediation="""Send the policy printed by `connectguard chat csp generate --region <region>` as a
    Content-Security-Policy response header, with a fresh nonce on every response and on every <script> tag;
    disable chatjs client-side metrics (disableCSM: true). Re-check with
    `connectguard chat csp evaluate --url <page> --region <region>`.""",
    detects="""Fetches `[audit] chat_url` (or --chat-url) and evaluates its enforced CSP headers and <meta>
    policies like Google's CSP Evaluator, plus connect-src against the Connect chat endpoints of
    `[audit] chat_regions`. FAIL with the worst finding's severity (high when there is no enforced policy);
    PASS when only informational notes remain; UNKNOWN when the page could not be fetched.""",
    before="""Content-Security-Policy: script-src 'self' 'unsafe-inline' https://*.cloudfront.net; connect-src *""",
    after="""Content-Security-Policy: script-src 'nonce-R4nd0m...' 'strict-dynamic' https: 'unsafe-inline';
  object-src 'none'; base-uri 'none'; connect-src 'self' https://participant.connect.us-east-1.amazonaws.com
  wss://*.transport.connect.us-east-1.amazonaws.com; frame-ancestors 'self'""",
    needs=("chat_csp",),
)
def chat_csp_weak(ctx: CheckContext) -> Iterator[Result]:
    doc: dict[str, Any] = ctx.extra["chat_csp"]
    url = doc.get("url", "")
    if doc.get("error"):
        yield Result(url, Status.UNKNOWN, f"could not evaluate: {doc['error']}", evidence={"error": doc["error"]})
        return
    policies = doc.get("policies", [])
    enforced = [p for p in policies if p.get("delivery") != "report-only"]
    if not enforced:
        what = "only a report-only policy" if policies else "no Content-Security-Policy header or <meta> policy"
        yield Result(url, Status.FAIL, f"the chat page sends {what}: nothing limits what injected script can do",
                     severity=Severity.HIGH, evidence={"policies": policies})
        return
    findings = [f for p in enforced for f in p.get("findings", [])]
    failing = [f for f in findings if Severity.parse(f["severity"]).at_least(Severity.LOW)]
    evidence = {"policies": [p["policy"] for p in enforced], "findings": findings}
    if not failing:
        yield Result(url, Status.PASS, f"the chat page's policy has no weakness ({len(findings)} informational "
                     "notes)", evidence=evidence)
        return
    failing.sort(key=lambda f: -Severity.parse(f["severity"]).rank)
    worst = failing[0]
    counts: dict[str, int] = {}
    for f in failing:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    yield Result(url, Status.FAIL, f"{worst['directive']}: {worst['message']} ({summary} in total)",
                 severity=Severity.parse(worst["severity"]), evidence=evidence)
