"""Chat front-end security: a DOM-XSS scanner for chat pages and a CSP evaluator/generator.

Tree-sitter (the ``chat`` extra) is imported only by the scanner modules; the audit checks
in ``connectguard.checks.chat_*`` read plain dicts and import nothing from here.
"""

from __future__ import annotations

from typing import Any

# Keys of CheckContext.extra that the chat checks declare in ``needs``.
SCAN_KEY = "chat_scan"
CSP_KEY = "chat_csp"


def audit_inputs(config: Any, source_paths: list[str], url: str | None) -> dict[str, Any]:
    """Do the chat I/O for an audit and return the ``extra`` dict for CheckContext.

    ``chat_scan`` (when source paths are given): the scan result as a dict, plus the paths.
    ``chat_csp`` (when a URL is given): the page's policies and their findings, or the error
    that stopped the fetch (the check then reports UNKNOWN, never PASS).
    """
    extra: dict[str, Any] = {}
    audit_config = getattr(config, "audit", None)
    regions = list(getattr(audit_config, "chat_regions", []) or [])
    if source_paths:
        from connectguard.chat.scanner import scan_paths

        result = scan_paths(source_paths)
        extra[SCAN_KEY] = {"paths": [str(p) for p in source_paths], **result.to_dict()}
    if url:
        extra[CSP_KEY] = csp_audit_input(url, regions)
    return extra


def csp_audit_input(url: str, regions: list[str]) -> dict[str, Any]:
    from connectguard.chat.csp import evaluate, validate_regions
    from connectguard.chat.fetch import fetch_page_csp
    from connectguard.conventions import ConnectGuardError

    doc: dict[str, Any] = {"url": url, "regions": regions, "policies": [], "error": None}
    try:
        valid_regions = validate_regions(regions)
        page = fetch_page_csp(url)
    except ConnectGuardError as exc:
        doc["error"] = str(exc)
        return doc
    for policy in page.policies:
        doc["policies"].append({
            "policy": policy.raw,
            "delivery": policy.delivery,
            "findings": [f.to_dict() for f in evaluate(policy, valid_regions)],
        })
    return doc
