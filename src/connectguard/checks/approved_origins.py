"""[approved-origins] The domains allowed to embed the Contact Control Panel and agent applications."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from urllib.parse import urlsplit

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label, instance_unknown
from connectguard.conventions import Practice, Severity, Status


def origin_problems(origin: str) -> list[tuple[str, Severity]]:
    """What is wrong with one approved origin, each with its severity; [] when it is fine."""
    problems: list[tuple[str, Severity]] = []
    text = origin.strip()
    if "*" in text:
        problems.append(("contains a wildcard: any matching site can embed the CCP", Severity.HIGH))
    try:
        parts = urlsplit(text if "://" in text else f"//{text}")
        host = (parts.hostname or "").lower()
        scheme = parts.scheme.lower()
    except ValueError:
        return [*problems, ("is not a valid origin", Severity.MEDIUM)]
    if scheme != "https":
        problems.append((f"is not https ({scheme or 'no scheme'}): the embedding page and its session can be "
                         "tampered with in transit", Severity.HIGH))
    if not host:
        problems.append(("has no host name", Severity.MEDIUM))
    elif host == "localhost" or host.endswith(".localhost"):
        problems.append(("is localhost: any local process or developer page can embed the CCP", Severity.MEDIUM))
    else:
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            pass
        else:
            problems.append(("is a raw IP address: no certificate names it and it changes hands", Severity.MEDIUM))
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        problems.append(("carries a path or query: an origin is scheme://host[:port]", Severity.LOW))
    return problems


@check(
    id="approved-origin-unsafe",
    title="An approved origin allows embedding from an unsafe site",
    practice=Practice.APPROVED_ORIGINS,
    severity=Severity.MEDIUM,
    rationale="""Approved origins are the sites allowed to embed the Contact Control Panel and agent
    applications. The embedding page controls the agent's session: a wildcard admits every matching site,
    http admits whoever is on the network path, and localhost or raw IPs admit developer machines and addresses
    nobody owns for long. A page there can drive the CCP with the agent's access.""",
    remediation="""Keep only the exact https origins of your agent desktop: `aws connect
    disassociate-approved-origin --instance-id ID --origin http://...` for each unsafe one, and
    `aws connect associate-approved-origin --instance-id ID --origin https://agent.example.com`.""",
    detects="""One result per approved origin (PASS or FAIL), plus a PASS for an instance with none. FAIL when an
    origin is not https, contains a wildcard (high), names localhost or a raw IP address (medium), or carries a
    path or query (low). UNKNOWN when the instance's approved origins were not seen.""",
    before="""aws connect list-approved-origins --instance-id ID
{"Origins": ["http://agents.example.com", "https://*.example.com", "https://localhost:3000", "https://10.0.0.5"]}""",
    after="""{"Origins": ["https://agents.example.com"]}""",
)
def approved_origin_unsafe(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        if instance.approved_origins is None:
            yield instance_unknown(ctx, region, instance, "instance.approved_origins", "the instance's approved origins")
            continue
        if not instance.approved_origins:
            yield Result(instance.arn, Status.PASS, f"{instance_label(instance)} has no approved origins",
                         evidence={"approved_origins": []}, region=region.region)
            continue
        for origin in instance.approved_origins:
            resource = f"{instance.arn}/approved-origin/{origin}"
            problems = origin_problems(origin)
            evidence = {"origin": origin, "instance": instance_label(instance),
                        "problems": [p for p, _ in problems]}
            if not problems:
                yield Result(resource, Status.PASS, f"approved origin {origin} is an exact https origin",
                             evidence=evidence, region=region.region)
                continue
            worst = max((s for _, s in problems), key=lambda s: s.rank)
            yield Result(resource, Status.FAIL,
                         f"approved origin {origin} on {instance_label(instance)} " + "; ".join(p for p, _ in problems),
                         evidence=evidence, region=region.region, severity=worst,
                         remediation=f"Remove it: `aws connect disassociate-approved-origin --instance-id "
                         f"{instance.id} --origin '{origin}'`, and associate the exact https origin of your agent "
                         "desktop instead, if one is needed.")
