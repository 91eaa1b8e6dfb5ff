"""Read a page's Content-Security-Policy: from a URL (headers and <meta>) or from an HTML file.

The fetch is a plain GET with a timeout and a size limit; redirects are followed only
between http and https URLs (at most five), never to other schemes (file:, ftp:, data:).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser

from connectguard import __version__
from connectguard.chat.csp import Policy, parse_header, parse_policy
from connectguard.conventions import InputError

MAX_BYTES = 2 * 1024 * 1024
TIMEOUT_SECONDS = 15.0
MAX_REDIRECTS = 5


@dataclass
class PageCsp:
    """The policies a page delivers (enforced headers, report-only headers, meta tags) and where from."""

    location: str
    policies: list[Policy] = field(default_factory=list)
    status: int | None = None

    @property
    def enforced(self) -> list[Policy]:
        return [p for p in self.policies if p.delivery != "report-only"]


class _MetaCsp(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        if a.get("http-equiv", "").strip().lower() == "content-security-policy" and a.get("content"):
            self.values.append(a["content"])

    handle_startendtag = handle_starttag


def meta_policies(html: str) -> list[Policy]:
    parser = _MetaCsp()
    parser.feed(html)
    parser.close()
    return [parse_policy(v, "meta") for v in parser.values]


def policies_from_html_file(path: str) -> PageCsp:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path) from None
    if len(data) > MAX_BYTES:
        raise InputError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB", path)
    return PageCsp(path, meta_policies(data.decode("utf-8", "replace")))


class _SameSchemeRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        if not newurl.lower().startswith(("http://", "https://")):
            raise InputError(f"redirect to a non-HTTP URL refused: {newurl}", req.full_url)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_page_csp(url: str, *, timeout: float = TIMEOUT_SECONDS) -> PageCsp:
    """GET ``url`` and collect its CSP headers and <meta> policies. Errors are InputError naming the URL."""
    if not url.lower().startswith(("http://", "https://")):
        raise InputError("only http:// and https:// URLs can be fetched", url)
    opener = urllib.request.build_opener(_SameSchemeRedirects())
    request = urllib.request.Request(url, headers={"User-Agent": f"connectguard/{__version__} (CSP check)",
                                                   "Accept": "text/html,*/*;q=0.5"})
    try:
        with opener.open(request, timeout=timeout) as resp:
            status = resp.status
            headers = resp.headers
            body = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise InputError(f"HTTP {exc.code} {exc.reason}", url) from None
    except urllib.error.URLError as exc:
        raise InputError(f"cannot fetch: {exc.reason}", url) from None
    except (TimeoutError, OSError, ValueError) as exc:
        raise InputError(f"cannot fetch: {exc}", url) from None
    page = PageCsp(url, status=status)
    for value in headers.get_all("Content-Security-Policy") or []:
        page.policies.extend(parse_header(value, "header"))
    for value in headers.get_all("Content-Security-Policy-Report-Only") or []:
        page.policies.extend(parse_header(value, "report-only"))
    content_type = headers.get("Content-Type", "")
    if "html" in content_type.lower() or not content_type:
        charset = headers.get_content_charset() or "utf-8"
        page.policies.extend(meta_policies(body[:MAX_BYTES].decode(charset, "replace")))
    return page
