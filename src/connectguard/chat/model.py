"""What a chat scan produces: findings, files that could not be read or parsed, and rule metadata."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from connectguard.conventions import Severity


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    remediation: str


# One rule per kind of flow. Tainted rules are "a chat (or URL) source reaches the sink";
# the unsafe-* rules are the eslint-plugin-no-unsanitized style "non-literal value reaches a sink".
RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("tainted-html-sink", "Chat or URL data is rendered as HTML",
         "Render chat content as text (textContent, or a React/Vue text binding), or pass it through "
         "DOMPurify.sanitize() before it reaches an HTML sink."),
    Rule("tainted-code-sink", "Chat or URL data is executed as code",
         "Never evaluate message data: parse it with JSON.parse and dispatch on known values; pass functions, "
         "not strings, to setTimeout/setInterval."),
    Rule("tainted-url-sink", "Chat or URL data is used as a link or navigation target",
         "Allow only https: (and mailto:/tel: if needed) URLs from messages: parse with new URL() and check "
         "url.protocol before using it in href, src, window.open or location."),
    Rule("unsafe-html-sink", "Non-literal value is rendered as HTML",
         "Use textContent or a framework text binding; if HTML is really needed, sanitize with "
         "DOMPurify.sanitize() at the sink so a reviewer can see it."),
    Rule("unsafe-code-sink", "Non-literal value is executed as code",
         "Replace eval/new Function/string timers with code that does not interpret strings."),
    Rule("unsafe-url-sink", "Non-literal value is used as a link or navigation target",
         "Check the URL's scheme (new URL(u).protocol is https:) or build it from a literal prefix."),
    Rule("message-origin-unchecked", "postMessage listener does not check event.origin",
         "Compare event.origin with the exact origin(s) you expect before reading event.data."),
)}


@dataclass(frozen=True)
class ChatFinding:
    rule: str
    severity: Severity
    file: str
    line: int  # 1-based, in the file as given
    column: int  # 1-based
    sink: str
    source: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d

    @property
    def remediation(self) -> str:
        return RULES[self.rule].remediation


@dataclass(frozen=True)
class ScanError:
    """A file that could not be read or parsed (fully): reported, and the scan goes on."""

    file: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class ScanResult:
    findings: list[ChatFinding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    files_scanned: int = 0
    bytes_scanned: int = 0

    def extend(self, other: ScanResult) -> None:
        self.findings.extend(other.findings)
        self.errors.extend(other.errors)
        self.files_scanned += other.files_scanned
        self.bytes_scanned += other.bytes_scanned

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule))
        self.errors.sort(key=lambda e: (e.file, e.line or 0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "errors": [e.to_dict() for e in self.errors],
            "files_scanned": self.files_scanned,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanResult:
        return cls(
            findings=[ChatFinding(**{**f, "severity": Severity.parse(f["severity"])}) for f in data["findings"]],
            errors=[ScanError(**e) for e in data.get("errors", [])],
            files_scanned=int(data.get("files_scanned", 0)),
        )
