"""[chat-xss] DOM-based XSS in the chat front end (the customer's chat page or custom widget).

Reads the result of `connectguard chat scan` over the configured source paths
(``extra["chat_scan"]``, produced by ``connectguard.chat.audit_inputs``); does no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.conventions import Practice, Severity, Status


@check(
    id="chat-dom-xss",
    title="Chat front end renders untrusted data as HTML, code or a link",
    practice=Practice.CHAT_XSS,
    severity=Severity.HIGH,
    rationale="""Chat messages, display names, attachment names and interactive-message fields arrive over the
    Participant Service WebSocket from whoever holds a participant token, including a compromised bot or agent
    desktop. A chat page that writes them into innerHTML, dangerouslySetInnerHTML, v-html, jQuery .html() or an
    href runs the sender's script in the customer's browser, next to the customer's session and the chat
    transcript. AWS recommends output encoding, never rendering chat content with innerHTML, and letting a
    framework such as React escape it.""",
    remediation="""Render chat content as text (textContent, React/Vue text bindings). Where HTML is truly
    needed, sanitize at the sink with DOMPurify.sanitize(). Allow only https: URLs from messages (check
    new URL(u).protocol). Check event.origin in every postMessage listener. Then add a strict
    Content-Security-Policy (`connectguard chat csp generate`).""",
    detects="""Runs `connectguard chat scan` over `[audit] chat_source` (or --chat-source): FAIL per sink line —
    high for chat/URL data reaching an HTML or code sink, medium for a URL sink, low for any other non-literal
    HTML/URL sink and for message listeners that never check event.origin; UNKNOWN for files that could not be
    read or parsed completely; PASS per source path with nothing found.""",
    before="""session.onMessage((event) => {
  log.innerHTML += `<p>${event.data.DisplayName}: ${event.data.Content}</p>`;
});""",
    after="""session.onMessage((event) => {
  const p = document.createElement("p");
  p.textContent = `${event.data.DisplayName}: ${event.data.Content}`;
  log.append(p);
});""",
    needs=("chat_scan",),
)
def chat_dom_xss(ctx: CheckContext) -> Iterator[Result]:
    scan: dict[str, Any] = ctx.extra["chat_scan"]
    by_location: dict[str, list[dict[str, Any]]] = {}
    for f in scan.get("findings", []):
        by_location.setdefault(f"{f['file']}:{f['line']}", []).append(f)
    for resource, findings in by_location.items():
        worst = max(findings, key=lambda f: Severity.parse(f["severity"]).rank)
        others = f" (+{len(findings) - 1} more on this line)" if len(findings) > 1 else ""
        yield Result(
            resource=resource,
            status=Status.FAIL,
            severity=Severity.parse(worst["severity"]),
            message=f"{worst['rule']}: {worst['message']}{others}",
            evidence={"findings": [{k: f.get(k) for k in ("rule", "severity", "sink", "source", "column")}
                                   for f in findings]},
        )
    for error in scan.get("errors", []):
        where = f"{error['file']}:{error['line']}" if error.get("line") else error["file"]
        yield Result(resource=where, status=Status.UNKNOWN,
                     message=f"could not evaluate: {error['message']}", evidence={"error": error})
    flagged = {f["file"] for f in scan.get("findings", [])} | {e["file"] for e in scan.get("errors", [])}
    for path in scan.get("paths", []):
        if not any(_within(f, path) for f in flagged):
            if scan.get("files_scanned", 0) == 0:
                yield Result(path, Status.UNKNOWN, "could not evaluate: no chat front-end files were found under "
                             "this path (.js .jsx .ts .tsx .html .vue .svelte)")
            else:
                yield Result(path, Status.PASS, "no DOM-XSS sink reachable by chat data, and no unsafe sink, found",
                             evidence={"files_scanned": scan.get("files_scanned", 0)})


def _within(file: str, root: str) -> bool:
    root = root.rstrip("/")
    return file == root or file.startswith(root + "/")
