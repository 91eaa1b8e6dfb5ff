"""Content Security Policy: parse, evaluate (as Google's CSP Evaluator does) and generate.

The evaluator is a Python port of google/csp-evaluator (Apache-2.0; see
``data/csp_evaluator/NOTICE``): the same parser rules (split on ';', lower-case directive
names, the first duplicate directive wins, keywords and schemes lower-cased), the same
effective-policy rules for CSP3 (a nonce or hash makes 'unsafe-inline' ignored;
'strict-dynamic' makes hosts, schemes, 'self' and 'unsafe-inline' ignored), the same
checks and the same allow-list bypass data. Its severities are mapped onto the one
connectguard scale: HIGH -> high; MEDIUM and HIGH_MAYBE -> medium; SYNTAX, STRICT_CSP and
MEDIUM_MAYBE -> low; INFO -> info; IGNORED/NONE entries are not reported.

On top of CSP Evaluator, with ``regions``: what an Amazon Connect chat page needs in
connect-src (the Participant Service endpoint and the WebSocket transport of each
region) and nothing much broader, because connect-src is the channel a successful
injection would use to send the transcript elsewhere.

Everything here is pure: fetching a policy from a URL lives in ``connectguard.chat.fetch``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from connectguard.conventions import InputError, Severity

KEYWORDS = frozenset({
    "'self'", "'none'", "'unsafe-inline'", "'unsafe-eval'", "'wasm-eval'", "'wasm-unsafe-eval'",
    "'strict-dynamic'", "'unsafe-hashed-attributes'", "'unsafe-hashes'", "'report-sample'", "'block'",
    "'allow'", "'inline-speculation-rules'",
})
DIRECTIVES = frozenset({
    "child-src", "connect-src", "default-src", "font-src", "frame-src", "img-src", "media-src", "object-src",
    "script-src", "script-src-attr", "script-src-elem", "style-src", "style-src-attr", "style-src-elem",
    "prefetch-src", "manifest-src", "worker-src", "base-uri", "plugin-types", "sandbox", "disown-opener",
    "form-action", "frame-ancestors", "navigate-to", "report-to", "report-uri", "block-all-mixed-content",
    "upgrade-insecure-requests", "reflected-xss", "referrer", "require-sri-for", "trusted-types",
    "require-trusted-types-for", "webrtc",
})
FETCH_DIRECTIVES = frozenset({
    "child-src", "connect-src", "default-src", "font-src", "frame-src", "img-src", "manifest-src", "media-src",
    "object-src", "script-src", "script-src-attr", "script-src-elem", "style-src", "style-src-attr",
    "style-src-elem", "worker-src",
})
DIRECTIVES_CAUSING_XSS = ("script-src", "script-src-attr", "script-src-elem", "object-src", "base-uri")
URL_SCHEMES_CAUSING_XSS = ("data:", "http:", "https:")
# Directives a <meta> policy cannot deliver (CSP3 §3.3): browsers ignore them there.
META_IGNORED = ("frame-ancestors", "report-uri", "sandbox")

STRICT_NONCE = re.compile(r"^'nonce-[a-zA-Z0-9+/_-]+[=]{0,2}'$")
NONCE = re.compile(r"^'nonce-(.+)'$")
STRICT_HASH = re.compile(r"^'(sha256|sha384|sha512)-[a-zA-Z0-9+/_-]+[=]{0,2}'$")
URL_SCHEME = re.compile(r"^[a-zA-Z][+a-zA-Z0-9.-]*:$")
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$")

# CSP Evaluator severity -> connectguard severity (None: not reported).
_SEVERITY_MAP = {
    "HIGH": Severity.HIGH, "SYNTAX": Severity.LOW, "MEDIUM": Severity.MEDIUM, "HIGH_MAYBE": Severity.MEDIUM,
    "STRICT_CSP": Severity.LOW, "MEDIUM_MAYBE": Severity.LOW, "INFO": Severity.INFO,
}


@dataclass(frozen=True)
class CspFinding:
    check: str
    directive: str
    severity: Severity
    message: str
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.value
        if d["value"] is None:
            del d["value"]
        return d


@dataclass
class Policy:
    """One parsed policy. ``delivery`` is header, report-only, meta or text (given on the command line)."""

    directives: dict[str, list[str]] = field(default_factory=dict)
    raw: str = ""
    delivery: str = "text"

    def copy(self) -> Policy:
        return Policy({k: list(v) for k, v in self.directives.items()}, self.raw, self.delivery)

    def __str__(self) -> str:
        return "; ".join(" ".join([d, *v]) for d, v in self.directives.items())

    def effective_directive(self, directive: str) -> str:
        if directive in self.directives:
            return directive
        if directive in ("script-src-attr", "script-src-elem") and "script-src" in self.directives:
            return "script-src"
        if directive in ("style-src-attr", "style-src-elem") and "style-src" in self.directives:
            return "style-src"
        if directive in FETCH_DIRECTIVES:
            return "default-src"
        return directive

    def effective_directives(self, directives: tuple[str, ...] | list[str]) -> list[str]:
        out: list[str] = []
        for d in directives:
            e = self.effective_directive(d)
            if e not in out:
                out.append(e)
        return out

    def values(self, directive: str) -> list[str]:
        return self.directives.get(self.effective_directive(directive), [])

    def has_nonces(self, directive: str = "script-src") -> bool:
        return any(STRICT_NONCE.match(v) for v in self.values(directive))

    def has_hashes(self, directive: str = "script-src") -> bool:
        return any(STRICT_HASH.match(v) for v in self.values(directive))

    def has_strict_dynamic(self, directive: str = "script-src") -> bool:
        return "'strict-dynamic'" in self.values(directive)


def _normalize_value(value: str) -> str:
    lower = value.lower()
    if lower in KEYWORDS or URL_SCHEME.match(value):
        return lower
    return value


def parse_policy(text: str, delivery: str = "text") -> Policy:
    """Parse one serialized policy (CSP Evaluator's parser rules)."""
    policy = Policy(raw=text.strip(), delivery=delivery)
    for token in text.split(";"):
        parts = token.split()
        if not parts:
            continue
        name = parts[0].lower()
        if name in policy.directives:
            continue  # the first occurrence wins, as in browsers
        values: list[str] = []
        for v in parts[1:]:
            v = _normalize_value(v.strip())
            if v not in values:
                values.append(v)
        policy.directives[name] = values
    return policy


def parse_header(value: str, delivery: str = "header") -> list[Policy]:
    """A header value may carry several policies separated by commas; each is enforced."""
    return [parse_policy(p, delivery) for p in value.split(",") if p.strip()]


# ----- CSP Evaluator port ---------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _bypass_data(name: str) -> dict[str, Any]:
    text = resources.files("connectguard.chat").joinpath(f"data/csp_evaluator/{name}.json").read_text("utf-8")
    return json.loads(text)


def _scheme_free(url: str) -> str:
    url = re.sub(r"^\w[+\w.-]*://", "", url, flags=re.IGNORECASE)
    return re.sub(r"^//", "", url)


def _split(url: str) -> tuple[str, str]:
    """(hostname, path) of a CSP source or a bypass URL, wildcards kept as '*'."""
    u = url.replace(":*", "").replace("*", "wildcard-placeholder", 1)
    if u.startswith("//"):
        u = "https:" + u
    try:
        parts = urlsplit(u)
        host = (parts.hostname or "").replace("wildcard-placeholder", "*")
    except ValueError:
        return "", "/"
    return host.lower(), parts.path or "/"


def match_wildcard_urls(csp_url: str, urls: list[str]) -> str | None:
    """The hostname of the first URL in ``urls`` that the CSP source ``csp_url`` allows (utils.matchWildcardUrls)."""
    host, path = _split(csp_url)
    if not host:
        return None
    has_wildcard = host.startswith("*.")
    wildcard_free = host[1:] if has_wildcard else host
    has_path = path != "/"
    for url in urls:
        domain, url_path = _split(url)
        if not domain.endswith(wildcard_free):
            continue
        if not has_wildcard and host != domain:
            continue
        if has_path:
            if path.endswith("/"):
                if not url_path.startswith(path):
                    continue
            elif url_path != path:
                continue
        return domain
    return None


def _hostname(value: str) -> str:
    return _split("//" + _scheme_free(value))[0]


def effective_policy(policy: Policy) -> Policy:
    """The CSP3 effective policy (csp.ts getEffectiveCsp)."""
    eff = policy.copy()
    for d in ("script-src", "script-src-attr", "script-src-elem"):
        directive = eff.effective_directive(d)
        values = policy.directives.get(directive, [])
        eff_values = eff.directives.get(directive)
        if eff_values is None:
            continue
        if (eff.has_nonces(directive) or eff.has_hashes(directive)) and "'unsafe-inline'" in values:
            if "'unsafe-inline'" in eff_values:
                eff_values.remove("'unsafe-inline'")
        if policy.has_strict_dynamic(directive):
            for v in values:
                if (not v.startswith("'") or v in ("'self'", "'unsafe-inline'")) and v in eff_values:
                    eff_values.remove(v)
    return eff


def _f(check: str, severity: str, directive: str, message: str, value: str | None = None) -> CspFinding:
    return CspFinding(check, directive, _SEVERITY_MAP[severity], message, value)


def _check_unsafe_inline(p: Policy) -> list[CspFinding]:
    out = []
    for d in p.effective_directives(("script-src", "script-src-attr", "script-src-elem")):
        values = p.directives.get(d, [])
        if "'unsafe-inline'" in values:
            out.append(_f("script-unsafe-inline", "HIGH", d, "'unsafe-inline' allows the execution of unsafe "
                          "in-page scripts and event handlers.", "'unsafe-inline'"))
        if "'unsafe-hashes'" in values:
            out.append(_f("script-unsafe-hashes", "MEDIUM_MAYBE", d, "'unsafe-hashes', while safer than "
                          "'unsafe-inline', allows the execution of unsafe in-page scripts and event handlers as "
                          "long as their hashes appear in the CSP. Please refactor them to no longer use inline scripts if "
                          "possible.", "'unsafe-hashes'"))
    return out


def _check_unsafe_eval(p: Policy) -> list[CspFinding]:
    return [_f("script-unsafe-eval", "MEDIUM_MAYBE", d, "'unsafe-eval' allows the execution of code injected "
               "into DOM APIs such as eval().", "'unsafe-eval'")
            for d in p.effective_directives(("script-src", "script-src-attr", "script-src-elem"))
            if "'unsafe-eval'" in p.directives.get(d, [])]


def _check_plain_schemes(p: Policy) -> list[CspFinding]:
    return [_f("plain-url-schemes", "HIGH", d, f"{v} URI in {d} allows the execution of unsafe scripts.", v)
            for d in p.effective_directives(DIRECTIVES_CAUSING_XSS) for v in p.directives.get(d, [])
            if v in URL_SCHEMES_CAUSING_XSS]


def _check_wildcards(p: Policy) -> list[CspFinding]:
    return [_f("plain-wildcard", "HIGH", d, f"{d} should not allow '*' as source", v)
            for d in p.effective_directives(DIRECTIVES_CAUSING_XSS) for v in p.directives.get(d, [])
            if _scheme_free(v) == "*"]


def _check_missing(p: Policy) -> list[CspFinding]:
    out = []
    objects = p.directives.get("object-src", p.directives.get("default-src"))
    if not objects:
        out.append(_f("missing-directives", "HIGH", "object-src", "Missing object-src allows the injection of "
                      "plugins which can execute JavaScript. Can you set it to 'none'?"))
    if "script-src" not in p.directives and "default-src" not in p.directives:
        out.append(_f("missing-directives", "HIGH", "script-src", "script-src directive is missing."))
    if "base-uri" not in p.directives and (p.has_nonces() or (p.has_hashes() and p.has_strict_dynamic())):
        out.append(_f("missing-directives", "HIGH", "base-uri", "Missing base-uri allows the injection of base "
                      "tags. They can be used to set the base URL for all relative (script) URLs to an "
                      "attacker controlled domain. Can you set it to 'none' or 'self'?"))
    return out


def _check_base_uri_info(p: Policy) -> list[CspFinding]:
    """Not a CSP Evaluator finding: without nonces a <base> tag can still redirect relative script URLs."""
    if "base-uri" in p.directives or p.has_nonces() or (p.has_hashes() and p.has_strict_dynamic()):
        return []
    return [_f("missing-base-uri", "INFO", "base-uri", "base-uri is not set: an injected <base> tag can redirect "
               "relative URLs. Set base-uri 'none' (or 'self').")]


def _check_script_allowlist_bypass(p: Policy) -> list[CspFinding]:
    out = []
    jsonp = _bypass_data("jsonp")
    angular = _bypass_data("angular")
    for d in p.effective_directives(("script-src", "script-src-elem")):
        values = p.directives.get(d, [])
        if "'none'" in values:
            continue
        for v in values:
            if v == "'self'":
                out.append(_f("script-allowlist-bypass", "MEDIUM_MAYBE", d, "'self' can be problematic if you host "
                              "JSONP, AngularJS or user uploaded files.", v))
                continue
            if v.startswith("'") or URL_SCHEME.match(v) or "." not in v:
                continue
            url = "//" + _scheme_free(v)
            angular_hit = match_wildcard_urls(url, angular["urls"])
            jsonp_hit = match_wildcard_urls(url, jsonp["urls"])
            if jsonp_hit and jsonp_hit in jsonp["needsEval"] and "'unsafe-eval'" not in values:
                jsonp_hit = None
            if jsonp_hit or angular_hit:
                what = " and".join(x for x in (" JSONP endpoints" if jsonp_hit else "",
                                                " Angular libraries" if angular_hit else "") if x)
                domain = angular_hit or jsonp_hit
                out.append(_f("script-allowlist-bypass", "HIGH", d,
                              f"{domain} is known to host{what} which allow to bypass this CSP.", v))
            else:
                out.append(_f("script-allowlist-bypass", "MEDIUM_MAYBE", d, "No bypass found; make sure that this "
                              "URL doesn't serve JSONP replies or Angular libraries.", v))
    return out


def _check_flash(p: Policy) -> list[CspFinding]:
    d = p.effective_directive("object-src")
    plugin_types = p.directives.get("plugin-types")
    if plugin_types is not None and "application/x-shockwave-flash" not in plugin_types:
        return []
    out = []
    for v in p.directives.get(d, []):
        if v == "'none'":
            return []
        hit = match_wildcard_urls("//" + _scheme_free(v), _bypass_data("flash")["urls"])
        if hit:
            out.append(_f("object-allowlist-bypass", "HIGH", d,
                          f"{hit} is known to host Flash files which allow to bypass this CSP.", v))
        elif d == "object-src":
            out.append(_f("object-allowlist-bypass", "MEDIUM_MAYBE", d,
                          "Can you restrict object-src to 'none' only?", v))
    return out


def _check_ip_source(p: Policy) -> list[CspFinding]:
    out = []
    for d, values in p.directives.items():
        for v in values:
            host = _hostname(v)
            if (host.startswith("[") and host.endswith("]")) or re.fullmatch(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", host):
                msg = (f"{d} directive allows localhost as source. Please make sure to remove this in production "
                       "environments." if host == "127.0.0.1" else
                       f"{d} directive has an IP-Address as source: {host} (will be ignored by browsers!). ")
                out.append(_f("ip-source", "INFO", d, msg, v))
    return out


def _check_nonce_length(p: Policy) -> list[CspFinding]:
    out = []
    for d, values in p.directives.items():
        for v in values:
            m = NONCE.match(v)
            if not m:
                continue
            if len(m.group(1)) < 8:
                out.append(_f("nonce-length", "MEDIUM", d, "Nonces should be at least 8 characters long.", v))
            if not STRICT_NONCE.match(v):
                out.append(_f("nonce-charset", "INFO", d, "Nonces should only use the base64 charset.", v))
    return out


def _check_src_http(p: Policy) -> list[CspFinding]:
    return [_f("src-http", "MEDIUM", d, "Use HTTPS to send violation reports securely." if d == "report-uri"
               else "Allow only resources downloaded over HTTPS.", v)
            for d, values in p.directives.items() for v in values if v.startswith("http://")]


_DEPRECATED = {
    "reflected-xss": "reflected-xss is deprecated since CSP2. Please, use the X-XSS-Protection header instead.",
    "referrer": "referrer is deprecated since CSP2. Please, use the Referrer-Policy header instead.",
    "disown-opener": "disown-opener is deprecated since CSP3. Please, use the Cross Origin Opener Policy header "
                     "instead.",
    "prefetch-src": "prefetch-src is deprecated since CSP3. Be aware that this feature may cease to work at any time.",
}


def _check_deprecated(p: Policy) -> list[CspFinding]:
    return [_f("deprecated-directive", "INFO", d, msg) for d, msg in _DEPRECATED.items() if d in p.directives]


def _check_unknown_directive(p: Policy) -> list[CspFinding]:
    return [_f("unknown-directive", "SYNTAX", d, "CSP directives don't end with a colon." if d.endswith(":")
               else f'Directive "{d}" is not a known CSP directive.') for d in p.directives if d not in DIRECTIVES]


def _check_missing_semicolon(p: Policy) -> list[CspFinding]:
    return [_f("missing-semicolon", "SYNTAX", d, f'Did you forget the semicolon? "{v}" seems to be a directive, '
               "not a value.", v) for d, values in p.directives.items() for v in values if v in DIRECTIVES]


def _check_invalid_keyword(p: Policy) -> list[CspFinding]:
    out = []
    bare = {k.strip("'") for k in KEYWORDS}
    for d, values in p.directives.items():
        for v in values:
            if v in bare or v.startswith("nonce-") or re.match(r"^(sha256|sha384|sha512)-", v):
                out.append(_f("invalid-keyword", "SYNTAX", d, f'Did you forget to surround "{v}" with single-ticks?',
                              v))
                continue
            if not v.startswith("'"):
                continue
            if d == "require-trusted-types-for":
                if v == "'script'":
                    continue
            elif d == "trusted-types":
                if v in ("'allow-duplicates'", "'none'"):
                    continue
            elif v in KEYWORDS or STRICT_HASH.match(v) or STRICT_NONCE.match(v):
                continue
            out.append(_f("invalid-keyword", "SYNTAX", d, f"{v} seems to be an invalid CSP keyword.", v))
    return out


# STRICTCSP_CHECKS (strictcsp_checks.ts): the move from allow-lists to nonces/hashes + 'strict-dynamic'.
def _check_strict_csp(p: Policy) -> list[CspFinding]:
    out = []
    d = p.effective_directive("script-src")
    values = p.directives.get(d, [])
    schemes_or_hosts = [v for v in values if not v.startswith("'")]
    strict_dynamic = "'strict-dynamic'" in values
    nonce_or_hash = any(STRICT_NONCE.match(v) or STRICT_HASH.match(v) for v in values)
    if schemes_or_hosts and not strict_dynamic:
        out.append(_f("strict-dynamic", "STRICT_CSP", d, "Host allowlists can frequently be bypassed. Consider "
                      "using 'strict-dynamic' in combination with CSP nonces or hashes.", schemes_or_hosts[0]))
    if strict_dynamic and not nonce_or_hash:
        out.append(_f("strict-dynamic-not-standalone", "INFO", d, "'strict-dynamic' without a CSP nonce/hash will "
                      "block all scripts.", "'strict-dynamic'"))
    if nonce_or_hash and "'unsafe-inline'" not in values:
        out.append(_f("unsafe-inline-fallback", "STRICT_CSP", d, "Consider adding 'unsafe-inline' (ignored by "
                      "browsers supporting nonces/hashes) to be backward compatible with older browsers."))
    if strict_dynamic and not any(v in ("http:", "https:", "*") or "." in v for v in values):
        out.append(_f("allowlist-fallback", "STRICT_CSP", d, "Consider adding https: and http: url schemes "
                      "(ignored by browsers supporting 'strict-dynamic') to be backward compatible with older "
                      "browsers."))
    if "'script'" not in p.directives.get("require-trusted-types-for", []):
        out.append(_f("require-trusted-types-for-scripts", "INFO", "require-trusted-types-for",
                      "Consider requiring Trusted Types for scripts to lock down DOM XSS injection sinks. You can "
                      "do this by adding \"require-trusted-types-for 'script'\" to your policy."))
    return out


def _check_reporting(p: Policy) -> list[CspFinding]:
    if p.directives.get("report-uri"):
        return []
    if p.directives.get("report-to"):
        return [_f("report-to-only", "INFO", "report-to", "This policy only provides a reporting destination via "
                   "the 'report-to' directive, which only Chromium-based browsers support; also add 'report-uri'.")]
    return [_f("reporting-destination-missing", "INFO", "report-uri", "This policy does not configure a reporting "
               "destination, which makes it difficult to maintain and to notice injection attempts.")]


_EFFECTIVE_CHECKS = (
    _check_unsafe_inline, _check_unsafe_eval, _check_plain_schemes, _check_wildcards, _check_missing,
    _check_script_allowlist_bypass, _check_flash, _check_ip_source, _check_nonce_length, _check_src_http,
    _check_deprecated, _check_unknown_directive, _check_missing_semicolon, _check_invalid_keyword,
)


def evaluate_default_checks(policy: Policy) -> list[CspFinding]:
    """CSP Evaluator's DEFAULT_CHECKS on the CSP3 effective policy, and nothing else."""
    eff = effective_policy(policy)
    findings: list[CspFinding] = []
    for check in _EFFECTIVE_CHECKS:
        findings.extend(check(eff))
    return findings


def evaluate(policy: Policy, regions: tuple[str, ...] | list[str] = ()) -> list[CspFinding]:
    """Every finding for one policy, worst first: CSP Evaluator's default and strict-CSP checks, reporting,
    delivery, and with ``regions`` what a Connect chat page needs."""
    findings = evaluate_default_checks(policy)
    findings.extend(_check_base_uri_info(policy))
    findings.extend(_check_strict_csp(policy))
    findings.extend(_check_reporting(policy))
    findings.extend(_check_delivery(policy))
    if regions:
        findings.extend(check_connect_chat(policy, regions))
    return sort_findings(findings)


def sort_findings(findings: list[CspFinding]) -> list[CspFinding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.directive, f.check))


def _check_delivery(p: Policy) -> list[CspFinding]:
    out = []
    if p.delivery == "report-only":
        out.append(CspFinding("report-only", "*", Severity.MEDIUM, "The policy is delivered as "
                              "Content-Security-Policy-Report-Only: it reports violations but blocks nothing."))
    if p.delivery == "meta":
        for d in META_IGNORED:
            if d in p.directives:
                out.append(CspFinding("meta-ignored-directive", d, Severity.LOW, f"{d} is ignored in a <meta> "
                                      "policy; send it as an HTTP response header.", None))
    return out


# ----- Amazon Connect chat needs --------------------------------------------------------------------

def validate_regions(regions: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for r in regions:
        r = r.strip().lower()
        if not REGION.match(r):
            raise InputError(f"not an AWS Region name: {r!r} (expected e.g. us-east-1)", "--region")
        if r not in out:
            out.append(r)
    return tuple(out)


def participant_endpoint(region: str) -> str:
    return f"https://participant.connect.{region}.amazonaws.com"


def websocket_transport(region: str) -> str:
    return f"wss://*.transport.connect.{region}.amazonaws.com"


def _source_allows(source: str, url: str) -> bool:
    """Whether a CSP source expression allows ``url`` (scheme, host with wildcard, port ignored)."""
    src = source.lower()
    scheme = url.split(":", 1)[0] + ":"
    if src == "*":
        return scheme not in ("data:", "blob:", "filesystem:")
    if URL_SCHEME.match(src):
        return src == scheme or (src == "https:" and scheme == "wss:") or (src == "http:" and scheme in ("https:", "ws:", "wss:"))
    if src.startswith("'"):
        return False
    src_scheme = src.split("://", 1)[0] + ":" if "://" in src else None
    if src_scheme and src_scheme != scheme and not (src_scheme == "https:" and scheme == "wss:") \
            and not (src_scheme == "http:" and scheme in ("https:", "ws:", "wss:")):
        return False
    src_host, _ = _split("//" + _scheme_free(src))
    url_host, _ = _split("//" + _scheme_free(url))
    if not src_host:
        return False
    if src_host == "*":
        return True
    if src_host.startswith("*."):
        # A host wildcard covers subdomains; a source wildcard also covers the needed wildcard host.
        return url_host.endswith(src_host[1:])
    return src_host == url_host


# Sources in connect-src that reach much more than Connect: any of these lets injected script
# send the transcript or tokens to a host the attacker controls (an S3 bucket, API Gateway, ...).
_BROAD_AWS = re.compile(r"^(?:[a-z]+://)?\*\.(?:amazonaws\.com|aws|cloudfront\.net|execute-api\.[a-z0-9-]+\.amazonaws\.com"
                        r"|s3\.amazonaws\.com|s3\.[a-z0-9-]+\.amazonaws\.com|[a-z0-9-]+\.amazonaws\.com)$")


def check_connect_chat(policy: Policy, regions: tuple[str, ...] | list[str]) -> list[CspFinding]:
    """connect-src must allow the Participant Service and WebSocket transport, and not much more."""
    out: list[CspFinding] = []
    d = policy.effective_directive("connect-src")
    values = policy.directives.get(d)
    if values is None:
        out.append(CspFinding("connect-chat-unrestricted", "connect-src", Severity.MEDIUM,
                              "Neither connect-src nor default-src is set: script may connect anywhere, so an "
                              "injected script can send the chat transcript to any host. Set connect-src to "
                              "'self' plus the Participant Service and WebSocket hosts."))
        return out
    for region in regions:
        for needed, what in ((participant_endpoint(region), "Participant Service endpoint"),
                             (websocket_transport(region), "chat WebSocket transport")):
            probe = needed.replace("*.", "x.") if "*." in needed else needed
            if not any(_source_allows(v, needed) or _source_allows(v, probe) for v in values):
                out.append(CspFinding("connect-chat-missing-endpoint", d, Severity.MEDIUM,
                                      f"{d} does not allow the {what} for {region} ({needed}): chat will fail, "
                                      "and a blocked chat invites someone to loosen the policy in a hurry. Add it.",
                                      needed))
    for v in values:
        low = v.lower()
        if low == "*" or low in ("https:", "http:", "wss:", "ws:"):
            out.append(CspFinding("connect-chat-too-broad", d, Severity.MEDIUM,
                                  f"{d} allows {v}: injected script could send the chat transcript and participant "
                                  "tokens to any host. List the Connect hosts instead.", v))
        elif _BROAD_AWS.match(low):
            out.append(CspFinding("connect-chat-too-broad", d, Severity.MEDIUM,
                                  f"{d} allows {v}, which includes hosts anyone can create (S3 buckets, API "
                                  "Gateway stages, CloudFront distributions): an exfiltration channel. Allow "
                                  "participant.connect.<region>.amazonaws.com and "
                                  "wss://*.transport.connect.<region>.amazonaws.com only.", v))
        else:
            m = re.search(r"(?:participant|transport)\.connect\.([a-z0-9-]+)\.amazonaws\.com", low)
            if m and m.group(1) not in regions:
                out.append(CspFinding("connect-chat-unneeded-region", d, Severity.LOW,
                                      f"{d} allows {v} for {m.group(1)}, which is not among the chat regions "
                                      f"({', '.join(regions)}). Remove it if the page does not use that region.", v))
            if low.startswith("ws://"):
                out.append(CspFinding("connect-chat-insecure-websocket", d, Severity.MEDIUM,
                                      f"{d} allows an unencrypted WebSocket ({v}).", v))
    return out


# ----- generator ---------------------------------------------------------------------------------------

DEFAULT_NONCE_PLACEHOLDER = "NONCE_PLACEHOLDER"
CSM_TELEMETRY = "https://ieluqbvv.telemetry.connect.{region}.amazonaws.com"


@dataclass
class GeneratedPolicy:
    directives: dict[str, list[str]]
    explanations: dict[str, str]
    notes: list[str]

    @property
    def header_value(self) -> str:
        return "; ".join(" ".join([d, *v]) for d, v in self.directives.items())


def generate(regions: list[str] | tuple[str, ...], *, widget: bool = False,
             nonce: str = DEFAULT_NONCE_PLACEHOLDER, report_uri: str | None = None,
             instance_url: str | None = None, csm: bool = False,
             attachment_hosts: list[str] | tuple[str, ...] = ()) -> GeneratedPolicy:
    """A strict, nonce-based policy for a page that embeds Connect chat.

    ``nonce`` is a placeholder the server replaces with a fresh random value on every response
    (at least 128 bits, base64): a constant nonce is no protection.
    """
    regions = validate_regions(regions)
    if not regions:
        raise InputError("at least one --region is needed", "--region")
    if not STRICT_NONCE.match(f"'nonce-{nonce}'") or len(nonce) < 8:
        raise InputError("the nonce placeholder must be at least 8 base64 characters", "--nonce-placeholder")
    csm = csm or widget
    connect = ["'self'"]
    for r in regions:
        connect += [participant_endpoint(r), websocket_transport(r)]
    if csm:
        connect += [CSM_TELEMETRY.format(region=r) for r in regions]
    widget_host = None
    if widget:
        widget_host = (instance_url or "https://*.my.connect.aws").rstrip("/")
        if not widget_host.startswith("https://"):
            raise InputError("the instance URL must start with https://", "--instance-url")
        connect.append(widget_host)
    connect += [h for h in attachment_hosts if h not in connect]
    d: dict[str, list[str]] = {
        "default-src": ["'self'"],
        "script-src": [f"'nonce-{nonce}'", "'strict-dynamic'", "https:", "'unsafe-inline'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "connect-src": connect,
        "img-src": ["'self'", "data:", "blob:", *attachment_hosts],
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
    }
    if csm:
        d["worker-src"] = ["'self'", "blob:"]
    if widget and widget_host:
        d["frame-src"] = ["'self'", widget_host]
    if report_uri:
        d["report-uri"] = [report_uri]
    explain = {
        "default-src": "Anything not listed below comes only from this origin.",
        "script-src": f"Only scripts carrying the per-response nonce run; 'strict-dynamic' lets them load the "
                      f"{'widget bundle' if widget else 'chatjs bundle'} and its chunks. https: and 'unsafe-inline' "
                      "are ignored by CSP3 browsers and only keep old browsers working. Put nonce=\"…\" on every "
                      "<script> tag, including the "
                      + ("widget snippet." if widget else "one that loads amazon-connect-chatjs."),
        "object-src": "No plugins: <object>/<embed> can run script.",
        "base-uri": "An injected <base> tag cannot redirect relative script URLs.",
        "connect-src": "The Participant Service REST endpoint and the chat WebSocket transport of each region "
                       "(the WebSocket URL comes from CreateParticipantConnection and matches "
                       "*.transport.connect.<region>.amazonaws.com); nothing broader, so injected script cannot "
                       "send the transcript elsewhere."
                       + (" The client-side-metrics telemetry host is included because chatjs CSM is on."
                          if csm else " chatjs client-side metrics must be off: ChatSession.create({..., "
                          "disableCSM: true}) — CSM injects an inline script and a blob: worker."),
        "img-src": "Images from this origin, inline data: and blob: previews of attachments.",
        "style-src": "'unsafe-inline' because CSS-in-JS libraries inject <style> tags; replace it with the nonce "
                     "if yours supports one.",
        "font-src": "Fonts from this origin.",
        "frame-ancestors": "Only this origin may frame the chat page (clickjacking).",
        "form-action": "Forms submit only to this origin.",
    }
    if csm:
        explain["worker-src"] = "chatjs client-side metrics run in a worker created from a blob: URL."
    if widget and widget_host:
        explain["frame-src"] = "The hosted communications widget's host (the instance's my.connect.aws URL)."
    if report_uri:
        explain["report-uri"] = "Violations are reported here: a spike is an injection attempt or a breakage."
    notes = [
        f"Replace {nonce} with a fresh random value (16+ bytes, base64) on every response, in the header and in "
        "each <script nonce=…> attribute.",
    ]
    if not attachment_hosts:
        notes.append("Chat attachments are uploaded to and downloaded from pre-signed S3 URLs; if the page uses "
                     "attachments, add the exact bucket host with --attachment-host (the host pattern is not "
                     "documented by AWS, so none is assumed).")
    if widget and not instance_url:
        notes.append("Pass --instance-url https://<alias>.my.connect.aws to pin the widget host instead of "
                     "*.my.connect.aws.")
    if not report_uri:
        notes.append("Add --report-uri to collect violation reports.")
    return GeneratedPolicy(d, explain, notes)
