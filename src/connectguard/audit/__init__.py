"""The audit engine: checks registered with metadata, run over a snapshot, giving findings."""

from connectguard.audit.findings import AuditReport, Finding
from connectguard.audit.registry import CheckContext, Result, all_checks, check, select_checks

__all__ = ["AuditReport", "CheckContext", "Finding", "Result", "all_checks", "check", "select_checks"]
