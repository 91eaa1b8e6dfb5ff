"""The CSP evaluator (against Google's CSP Evaluator as an oracle), the Connect checks and the generator."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from connectguard.chat import csp
from connectguard.chat.fetch import fetch_page_csp, meta_policies, policies_from_html_file
from connectguard.conventions import InputError, Severity

ORACLE = json.loads((Path(__file__).parent / "data" / "csp_oracle.json").read_text())


@pytest.mark.parametrize("case", ORACLE["cases"], ids=lambda c: c["policy"][:60])
def test_default_checks_match_csp_evaluator(case):
    """Same findings (severity mapped, directive, value, message) as csp_evaluator 1.1.8 on Node."""
    expected = Counter((csp._SEVERITY_MAP[s], d, v, m) for s, d, v, m in case["findings"])
    got = Counter((f.severity, f.directive, f.value, f.message)
                  for f in csp.evaluate_default_checks(csp.parse_policy(case["policy"])))
    assert got == expected


def test_parser_rules():
    p = csp.parse_policy("Script-Src 'SELF' HTTPS: https://A.example.com 'self'; script-src *;  ; img-src")
    assert p.directives == {"script-src": ["'self'", "https:", "https://A.example.com"], "img-src": []}
    assert len(csp.parse_header("script-src 'self', object-src 'none'")) == 2


def test_effective_policy_drops_what_nonces_and_strict_dynamic_override():
    p = csp.parse_policy("script-src 'nonce-abcdefgh' 'strict-dynamic' https: 'self' 'unsafe-inline' a.com")
    assert csp.effective_policy(p).directives["script-src"] == ["'nonce-abcdefgh'", "'strict-dynamic'"]


CLASSIC_WEAK = {
    "script-src 'self' 'unsafe-inline'; object-src 'none'": ("script-unsafe-inline", Severity.HIGH),
    "default-src *": ("plain-wildcard", Severity.HIGH),
    "script-src https: data:; object-src 'none'": ("plain-url-schemes", Severity.HIGH),
    "script-src 'self' https://*.cloudfront.net; object-src 'none'": ("script-allowlist-bypass", Severity.HIGH),
    "script-src 'self'": ("missing-directives", Severity.HIGH),
    "img-src 'self'": ("missing-directives", Severity.HIGH),
    "script-src 'nonce-abcdefgh'; object-src 'none'": ("missing-directives", Severity.HIGH),
    "script-src 'nonce-abc' 'strict-dynamic'; object-src 'none'; base-uri 'none'": ("nonce-length", Severity.MEDIUM),
    "script-src http://scripts.example.com; object-src 'none'": ("src-http", Severity.MEDIUM),
    "script-src 'self' 'unsafe-eval'; object-src 'none'": ("script-unsafe-eval", Severity.LOW),
    "script-src 'self'; object-src 'none'; reflected-xss block": ("deprecated-directive", Severity.INFO),
    "script-src 'self'; object-src 'none'": ("reporting-destination-missing", Severity.INFO),
}


@pytest.mark.parametrize("policy", list(CLASSIC_WEAK))
def test_classic_weak_policies_are_flagged(policy):
    check, severity = CLASSIC_WEAK[policy]
    findings = csp.evaluate(csp.parse_policy(policy))
    assert any(f.check == check and f.severity is severity for f in findings), findings


def test_cloudfront_bypass_names_a_known_jsonp_host():
    findings = csp.evaluate(csp.parse_policy("script-src https://*.cloudfront.net; object-src 'none'"))
    bypass = [f for f in findings if f.check == "script-allowlist-bypass"]
    assert bypass[0].severity is Severity.HIGH and "cloudfront.net is known to host JSONP" in bypass[0].message


def test_match_wildcard_urls_paths():
    urls = ["//ajax.googleapis.com/ajax/services/feed/find", "//www.google.com/jsapi"]
    assert csp.match_wildcard_urls("//*.googleapis.com", urls) == "ajax.googleapis.com"
    assert csp.match_wildcard_urls("//ajax.googleapis.com/ajax/", urls) == "ajax.googleapis.com"
    assert csp.match_wildcard_urls("//ajax.googleapis.com/other/", urls) is None
    assert csp.match_wildcard_urls("//google.com", urls) is None


def _checks(policy: str, regions=("us-east-1",)) -> list[tuple[str, Severity, str | None]]:
    return [(f.check, f.severity, f.value) for f in csp.check_connect_chat(csp.parse_policy(policy), regions)]


def test_connect_src_must_allow_the_participant_service_and_websocket():
    found = _checks("default-src 'self'")
    assert ("connect-chat-missing-endpoint", Severity.MEDIUM, "https://participant.connect.us-east-1.amazonaws.com") in found
    assert ("connect-chat-missing-endpoint", Severity.MEDIUM, "wss://*.transport.connect.us-east-1.amazonaws.com") in found
    exact = ("connect-src 'self' https://participant.connect.us-east-1.amazonaws.com "
             "wss://*.transport.connect.us-east-1.amazonaws.com")
    assert _checks(exact) == []
    # The other region is missing; the one not asked for is reported as unneeded.
    found = _checks(exact, ("eu-west-2",))
    assert {c for c, _, _ in found} == {"connect-chat-missing-endpoint", "connect-chat-unneeded-region"}


@pytest.mark.parametrize("value", ["*", "https:", "wss:", "https://*.amazonaws.com", "*.amazonaws.com",
                                   "https://*.s3.us-east-1.amazonaws.com", "https://*.cloudfront.net"])
def test_connect_src_broader_than_needed(value):
    found = _checks(f"connect-src 'self' {value}")
    assert ("connect-chat-too-broad", Severity.MEDIUM, value) in found


def test_wildcards_that_cover_the_endpoints_do_not_count_as_missing():
    for value in ("*", "https:", "*.amazonaws.com"):
        assert [c for c, _, _ in _checks(f"connect-src {value}")] == ["connect-chat-too-broad"]


def test_connect_src_absent_everywhere_is_unrestricted():
    assert _checks("script-src 'self'") == [("connect-chat-unrestricted", Severity.MEDIUM, None)]


def test_regions_are_validated():
    with pytest.raises(InputError):
        csp.validate_regions(["us-east-1", "moon-1"])
    assert csp.validate_regions(["US-EAST-1", "us-gov-west-1", "us-east-1"]) == ("us-east-1", "us-gov-west-1")


@pytest.mark.parametrize("kwargs", [
    {"regions": ["us-east-1"]},
    {"regions": ["eu-west-2", "ap-southeast-2"]},
    {"regions": ["us-east-1"], "widget": True},
    {"regions": ["us-west-2"], "widget": True, "instance_url": "https://acme.my.connect.aws"},
    {"regions": ["ca-central-1"], "csm": True, "report_uri": "https://example.com/csp",
     "attachment_hosts": ["https://bucket.s3.ca-central-1.amazonaws.com"]},
])
def test_generated_policy_evaluates_clean(kwargs):
    generated = csp.generate(**kwargs)
    policy = csp.parse_policy(generated.header_value, "header")
    findings = csp.evaluate(policy, kwargs["regions"])
    assert [f for f in findings if f.severity.at_least(Severity.MEDIUM)] == []
    assert {"'strict-dynamic'", "'nonce-NONCE_PLACEHOLDER'"} <= set(policy.directives["script-src"])
    assert policy.directives["object-src"] == ["'none'"] and policy.directives["base-uri"] == ["'none'"]
    assert set(generated.explanations) == set(generated.directives)


def test_generator_rejects_a_short_nonce_and_bad_region():
    with pytest.raises(InputError):
        csp.generate(["us-east-1"], nonce="abc")
    with pytest.raises(InputError):
        csp.generate(["not a region"])
    with pytest.raises(InputError):
        csp.generate(["us-east-1"], widget=True, instance_url="http://acme.my.connect.aws")


def test_meta_policies_and_delivery_findings(tmp_path: Path):
    html = tmp_path / "p.html"
    html.write_text('<html><head><META http-equiv="content-security-policy" '
                    'content="script-src \'self\'; object-src \'none\'; frame-ancestors \'none\'">'
                    "<meta name=viewport content=x></head></html>")
    page = policies_from_html_file(str(html))
    assert [p.delivery for p in page.policies] == ["meta"]
    findings = csp.evaluate(page.policies[0])
    assert any(f.check == "meta-ignored-directive" and f.directive == "frame-ancestors" for f in findings)
    assert meta_policies("<p>no policy</p>") == []


def test_fetch_reads_headers_report_only_and_meta(web):
    base, routes = web
    routes["/chat"] = (200, {"Content-Type": "text/html; charset=utf-8",
                             "Content-Security-Policy": ["script-src 'self'; object-src 'none'", "img-src 'self'"],
                             "Content-Security-Policy-Report-Only": "script-src 'none'"},
                       b'<meta http-equiv="Content-Security-Policy" content="base-uri \'none\'">')
    page = fetch_page_csp(base + "/chat")
    assert [(p.delivery, p.raw) for p in page.policies] == [
        ("header", "script-src 'self'; object-src 'none'"), ("header", "img-src 'self'"),
        ("report-only", "script-src 'none'"), ("meta", "base-uri 'none'")]
    assert len(page.enforced) == 3
    ro = csp.evaluate(page.policies[2])
    assert any(f.check == "report-only" and f.severity is Severity.MEDIUM for f in ro)


def test_fetch_refuses_redirects_to_other_schemes_and_reports_http_errors(web):
    base, routes = web
    routes["/moved"] = (302, {"Location": "file:///etc/passwd"}, b"")
    routes["/hop"] = (302, {"Location": "/chat"}, b"")
    routes["/chat"] = (200, {"Content-Type": "text/html", "Content-Security-Policy": "default-src 'self'"}, b"")
    with pytest.raises(InputError, match="refused|not allowed"):
        fetch_page_csp(base + "/moved")
    assert fetch_page_csp(base + "/hop").policies[0].raw == "default-src 'self'"
    with pytest.raises(InputError, match="HTTP 404"):
        fetch_page_csp(base + "/missing")
    with pytest.raises(InputError, match="only http"):
        fetch_page_csp("file:///etc/passwd")


def test_fetch_of_a_closed_port_is_an_input_error():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(InputError, match="cannot fetch"):
        fetch_page_csp(f"http://127.0.0.1:{port}/", timeout=2)
