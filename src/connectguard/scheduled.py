"""One unattended run: collect, audit, store, import into Security Hub, notify what is new.

This is the job the scheduled-audit template (deploy-schedule) runs in ECS Fargate. It is the
one place besides `guardrails apply` and `fix --apply` that writes to AWS, and it writes only
to what the operator named: the report bucket, the SNS topic, and Security Hub.

Each run is stored under ``<prefix>/runs/<run id>/`` and copied to ``<prefix>/latest/``; the
previous ``latest`` is what "new FAIL findings" and the snapshot diff compare against. A run
logs one JSON line ``{"event": "run-complete", "exit_status": N, ...}`` that the template's
metric filters and alarms read.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from connectguard.audit.engine import run_audit
from connectguard.audit.findings import AuditReport
from connectguard.collect.runner import CollectOptions, collect_snapshot
from connectguard.config import Config
from connectguard.conventions import Severity, Status, exit_status, isoformat, utc_now
from connectguard.inventory import load_snapshot, save_snapshot
from connectguard.inventory.io import parse_snapshot
from connectguard.org.audit import audit_organization
from connectguard.org.collect import OrgCollectOptions, collect_organization_estate
from connectguard.report import available_formats, render

REPORT_FORMATS = (("json", "report.json"), ("html", "report.html"), ("sarif", "report.sarif"),
                  ("asff", "findings.asff.json"))


@dataclass
class RunOutcome:
    run_id: str
    exit_status: int
    findings: int
    failing: int
    unknown: int
    new_failures: list[dict[str, Any]] = field(default_factory=list)
    snapshot_changes: int | None = None
    imported: int = 0
    import_failures: int = 0
    notified: bool = False
    problems: list[str] = field(default_factory=list)  # what the run itself could not do (store, import, notify)

    def log_line(self) -> str:
        return json.dumps({"event": "run-complete", "run_id": self.run_id, "exit_status": self.exit_status,
                           "findings": self.findings, "failing": self.failing, "unknown": self.unknown,
                           "new_failures": len(self.new_failures), "snapshot_changes": self.snapshot_changes,
                           "imported": self.imported, "import_failures": self.import_failures,
                           "notified": self.notified, "problems": self.problems}, sort_keys=True)


def finding_key(f: dict[str, Any]) -> tuple[str, str, str]:
    return (f.get("account") or "", f["check"], f["resource"])


def new_failures(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[dict[str, Any]]:
    """FAIL findings now that were not FAIL in the previous run (all of them on a first run)."""
    before = {finding_key(f) for f in (previous or {}).get("findings", []) if f["status"] == Status.FAIL.value}
    return [f for f in current["findings"] if f["status"] == Status.FAIL.value and finding_key(f) not in before]


def scheduled_run(session: boto3.Session, *, bucket: str, prefix: str = "connectguard", topic: str | None = None,
                  security_hub: bool = False, mode: str = "account", org_options: OrgCollectOptions | None = None,
                  collect_options: CollectOptions | None = None, config: Config | None = None,
                  fail_on: Severity = Severity.HIGH) -> RunOutcome:
    config = config or Config()
    collect_options = collect_options or CollectOptions.from_config(config.collect)
    run_id = utc_now().strftime("%Y%m%dT%H%M%SZ")
    prefix = prefix.strip("/")
    region = session.region_name or "us-east-1"
    s3 = session.client("s3", region_name=region)
    problems: list[str] = []

    with tempfile.TemporaryDirectory(prefix="connectguard-run-") as tmp:
        work = Path(tmp)
        snapshot = None
        if mode == "organization":
            options = org_options or OrgCollectOptions(collect=collect_options)
            index = collect_organization_estate(session, options, work / "snapshots")
            report = audit_organization(index, work / "snapshots", config)
            skipped = sum(1 for e in index.accounts if e.status == "failed" or e.regions_refused)
        else:
            snapshot = collect_snapshot(session, options=collect_options)
            save_snapshot(snapshot, work / "snapshot.json")
            report = run_audit(snapshot, config)
            skipped = 0
        current = report.to_json()
        status = int(exit_status(report.failing_severities(), fail_on=fail_on, unknown=report.unknown_count(),
                                 skipped=skipped))
        outcome = RunOutcome(run_id=run_id, exit_status=status, findings=len(report.findings),
                             failing=len(report.failing_severities()), unknown=report.unknown_count(),
                             problems=problems)

        previous = _read_json(s3, bucket, f"{prefix}/latest/report.json", problems)
        outcome.new_failures = new_failures(previous, current)
        changes = None
        if snapshot is not None:
            changes = _snapshot_changes(s3, bucket, f"{prefix}/latest/snapshot.json", snapshot, problems)
            outcome.snapshot_changes = None if changes is None else len(changes)

        for fmt, name in REPORT_FORMATS:
            if fmt in available_formats():
                try:
                    (work / name).write_text(render(report, fmt), encoding="utf-8")
                except Exception as exc:  # noqa: BLE001 - one format failing must not lose the others
                    problems.append(f"render {fmt}: {exc}")
        for path in sorted(p for p in work.rglob("*") if p.is_file()):
            rel = path.relative_to(work).as_posix()
            _put(s3, bucket, f"{prefix}/runs/{run_id}/{rel}", path.read_bytes(), problems)
        # `latest` last: a run that could not store everything does not become the next baseline half-written.
        if not [p for p in problems if p.startswith("store")]:
            _put(s3, bucket, f"{prefix}/latest/report.json", (work / "report.json").read_bytes(), problems)
            if snapshot is not None:
                _put(s3, bucket, f"{prefix}/latest/snapshot.json", (work / "snapshot.json").read_bytes(), problems)

    if security_hub:
        _import_findings(session, report, outcome)
    if topic and (outcome.new_failures or changes):
        outcome.notified = _notify(session, topic, report, outcome, changes or [], bucket, prefix)
    if problems and outcome.exit_status in (0, 1):
        # The audit ran, but its results were not all delivered: that is a failed run for the alarms.
        outcome.exit_status = 2 if any(p.startswith("store") for p in problems) else max(outcome.exit_status, 3)
    return outcome


def _read_json(s3: Any, bucket: str, key: str, problems: list[str]) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None  # first run
        problems.append(f"read {key}: {exc.response.get('Error', {}).get('Code')}")
        return None
    except BotoCoreError as exc:
        problems.append(f"read {key}: {exc}")
        return None
    try:
        return json.loads(body)
    except ValueError:
        problems.append(f"read {key}: not JSON; treating this run as the first")
        return None


def _snapshot_changes(s3: Any, bucket: str, key: str, snapshot: Any, problems: list[str]) -> list[Any] | None:
    previous = _read_json(s3, bucket, key, problems)
    if previous is None:
        return None
    from connectguard.snapshot_diff import diff_snapshots

    try:
        old = parse_snapshot(previous, source=f"s3://{bucket}/{key}")
    except Exception as exc:  # noqa: BLE001 - an unreadable baseline: say so, compare nothing
        problems.append(f"previous snapshot unusable: {exc}")
        return None
    return diff_snapshots(old, snapshot).changes


def _put(s3: Any, bucket: str, key: str, data: bytes, problems: list[str]) -> None:
    try:
        # The bucket's default encryption (SSE-KMS with the template's key) applies.
        s3.put_object(Bucket=bucket, Key=key, Body=data)
    except (ClientError, BotoCoreError) as exc:
        problems.append(f"store s3://{bucket}/{key}: {exc}")


def _import_findings(session: boto3.Session, report: AuditReport, outcome: RunOutcome) -> None:
    from connectguard.report.asff import asff_batches, asff_findings

    by_region: dict[str, list[dict[str, Any]]] = {}
    for finding in asff_findings(report, region=session.region_name):
        by_region.setdefault(finding["Region"], []).append(finding)
    for region, findings in by_region.items():
        hub = session.client("securityhub", region_name=region)
        for batch in asff_batches(findings):
            try:
                resp = hub.batch_import_findings(Findings=batch)
            except (ClientError, BotoCoreError) as exc:
                outcome.import_failures += len(batch)
                outcome.problems.append(f"import to Security Hub in {region}: {exc}")
                continue
            outcome.imported += resp.get("SuccessCount", 0)
            outcome.import_failures += resp.get("FailedCount", 0)


def _notify(session: boto3.Session, topic: str, report: AuditReport, outcome: RunOutcome, changes: list[Any],
            bucket: str, prefix: str) -> bool:
    lines = [f"connectguard run {outcome.run_id}: {outcome.failing} failing, {outcome.unknown} unknown, "
             f"{len(outcome.new_failures)} new FAIL finding(s), {len(changes)} security-relevant change(s).", ""]
    for f in sorted(outcome.new_failures, key=lambda f: -Severity(f["severity"]).rank)[:50]:
        lines.append(f"[{f['severity']}] {f['check']} {f.get('account') or ''} {f['resource']}: {f['message']}")
    if len(outcome.new_failures) > 50:
        lines.append(f"... and {len(outcome.new_failures) - 50} more")
    for change in changes[:30]:
        lines.append(f"[change/{change.severity.value}] {change.kind}: {change.message}")
    lines += ["", f"Reports: s3://{bucket}/{prefix}/runs/{outcome.run_id}/ (generated {isoformat(report.generated_at)})"]
    message = "\n".join(lines)
    if len(message.encode()) > 250_000:  # SNS's limit is 256 KB
        message = message.encode()[:250_000].decode("utf-8", "ignore") + "\n[truncated]"
    topic_region = topic.split(":")[3] if topic.startswith("arn:") else session.region_name
    try:
        session.client("sns", region_name=topic_region).publish(
            TopicArn=topic, Subject=f"connectguard: {len(outcome.new_failures)} new FAIL finding(s)"[:100],
            Message=message)
    except (ClientError, BotoCoreError) as exc:
        outcome.problems.append(f"notify {topic}: {exc}")
        return False
    return True
