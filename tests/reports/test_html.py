"""The HTML report: escaping of account-controlled values, its own strict CSP, nothing from the network."""

import base64
import hashlib
import re
from html.parser import HTMLParser

from connectguard.report import render
from connectguard.report.html import CONTENT_SECURITY_POLICY

from reports.conftest import XSS_FLOW_NAME, XSS_PROFILE_NAME, XSS_USERNAME


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.scripts, self.styles, self._in = [], [], [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        self._in = tag if tag in ("script", "style") else None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "style":
            self.styles.append(data)

    def handle_endtag(self, tag):
        self._in = None


def parse(page):
    c = Collector()
    c.feed(page)
    return c


def digest(text):
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_payloads_appear_only_as_text(demo_report):
    page = render(demo_report, "html")
    for payload in (XSS_FLOW_NAME, XSS_PROFILE_NAME, XSS_USERNAME):
        assert payload not in page
    assert "&lt;img src=x onerror=" in page and "&lt;/pre&gt;&lt;/details&gt;&lt;svg onload=" in page
    c = parse(page)
    assert "img" not in c.tags and "iframe" not in c.tags
    assert not [a for a in c.attrs if a[1].startswith("on")]  # no event handler attribute anywhere
    assert c.tags.count("script") == 1 and c.tags.count("svg") == 1  # ours only


def test_csp_allows_exactly_the_inline_style_and_script(demo_report):
    page = render(demo_report, "html")
    c = parse(page)
    [csp] = [v for tag, k, v in c.attrs if tag == "meta" and k == "content" and "default-src" in (v or "")]
    assert csp == CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert f"script-src '{digest(c.scripts[0])}'" in csp
    assert f"style-src '{digest(c.styles[0])}'" in csp
    assert "connect-src" not in csp and "font-src" not in csp  # default-src 'none' forbids the network


def test_nothing_refers_to_the_network(demo_report):
    page = render(demo_report, "html")
    c = parse(page)
    for tag, key, value in c.attrs:
        if key in ("src", "href", "action", "srcset", "data", "poster"):
            raise AssertionError(f"<{tag} {key}={value!r}>")
    assert not re.search(r"url\(|@import", "".join(c.styles))


def test_summary_chart_and_filters(demo_report):
    page = render(demo_report, "html")
    c = parse(page)
    practices = {f.practice.value for f in demo_report.findings}
    for practice in practices:
        assert f'<option value="{practice}">' in page
    rows = [v for tag, k, v in c.attrs if tag == "tr" and k == "class" and v == "finding"]
    assert len(rows) == len(demo_report.findings)
    assert page.count("<rect ") >= len(practices)
    assert "Summary by practice" in page and 'id="filters"' in page
