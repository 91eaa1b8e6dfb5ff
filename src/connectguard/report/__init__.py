"""Output formats for audit reports: each a function AuditReport -> text, registered by name.

Formats never touch AWS; the CLI writes their text to stdout or a file. Formats that
need heavier code (HTML, SARIF, ASFF) are imported only when chosen.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

from connectguard.audit.findings import AuditReport

Renderer = Callable[..., str]

# name -> "module:function"
FORMATS: dict[str, str] = {
    "table": "connectguard.report.table:render_table",
    "json": "connectguard.report.json_format:render_json",
}


def register_format(name: str, target: str) -> None:
    FORMATS[name] = target


def available_formats() -> list[str]:
    _load_optional_formats()
    return list(FORMATS)


def render(report: AuditReport, fmt: str, **options: Any) -> str:
    _load_optional_formats()
    module_name, _, func = FORMATS[fmt].partition(":")
    renderer: Renderer = getattr(importlib.import_module(module_name), func)
    return renderer(report, **options)


_OPTIONAL = {
    "sarif": "connectguard.report.sarif:render_sarif",
    "asff": "connectguard.report.asff:render_asff",
    "html": "connectguard.report.html:render_html",
}


def _load_optional_formats() -> None:
    for name, target in _OPTIONAL.items():
        module_name = target.partition(":")[0]
        if name not in FORMATS and importlib.util.find_spec(module_name) is not None:
            FORMATS[name] = target

