"""Helpers shared by the SARIF, ASFF and HTML formats: check metadata, stable ids, pseudo-paths."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from connectguard.audit.findings import Finding
from connectguard.audit.registry import CheckMeta, all_checks
from connectguard.conventions import Severity

DOCS_URL = "https://github.com/connectguard/connectguard/blob/main/docs/checks.md"


def check_metadata() -> dict[str, CheckMeta]:
    return {c.meta.id: c.meta for c in all_checks()}


def finding_key(finding: Finding) -> str:
    """What identifies a finding across runs: account, region, check and resource (never the message)."""
    return "|".join([finding.account or "", finding.region or "", finding.check, finding.resource])


def finding_digest(finding: Finding) -> str:
    return hashlib.sha256(finding_key(finding).encode("utf-8")).hexdigest()


def parse_arn(resource: str) -> dict[str, str] | None:
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return {"partition": parts[1], "service": parts[2], "region": parts[3], "account": parts[4],
            "resource": parts[5]}


def pseudo_path(finding: Finding) -> str:
    """A repository-relative path standing for an AWS resource (GitHub rejects an ARN as a location).

    ``connectguard/<account>/<region or "global">/<service>/<resource path>``: the ARN's resource part split
    on '/', each segment percent-encoded (':' becomes %3A) and an empty segment written '_'. Two resources
    never share a path, and a resource keeps its path across runs, so code scanning tracks it.
    """
    arn = parse_arn(finding.resource)
    account = finding.account or (arn or {}).get("account") or "unknown-account"
    if arn is None:
        return f"connectguard/{_seg(account)}/{_seg(finding.region or 'global')}/other/{_seg(finding.resource)}"
    region = arn["region"] or finding.region or "global"
    segments = "/".join(_seg(s) for s in arn["resource"].split("/"))
    return f"connectguard/{_seg(arn['account'] or account)}/{_seg(region)}/{_seg(arn['service'])}/{segments}"


def _seg(segment: str) -> str:
    return quote(segment, safe="") or "_"


SEVERITY_SCORE = {  # GitHub code scanning's security-severity: critical >= 9.0, high 7.0-8.9, medium 4.0-6.9
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
