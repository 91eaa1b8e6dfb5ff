"""The JSON contract: {"tool", "version", "generated_at", "findings": [...], "summary": {...}}."""

from __future__ import annotations

import json
from typing import Any

from connectguard.audit.findings import AuditReport


def render_json(report: AuditReport, **_: Any) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=False, default=str) + "\n"
