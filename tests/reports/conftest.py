import datetime as dt

import pytest

from connectguard.audit.engine import run_audit
from connectguard.audit.findings import Finding
from connectguard.conventions import Practice, Severity, Status

from identity.estate import collect_demo

# Attacker-controlled names: each would change the page title if it ran.
XSS_FLOW_NAME = ("<img src=x onerror=\"document.title='XSS-img'\">"
                 "<script>document.title='XSS-script'</script>")
XSS_PROFILE_NAME = "</pre></details><svg onload=\"document.title='XSS-svg'\"></svg>"
XSS_USERNAME = "\"><iframe srcdoc=\"<script>parent.document.title='XSS-iframe'</script>\"></iframe>"


def poisoned_demo_snapshot():
    """The demo estate with attacker-chosen names on a flow, a security profile and a user."""
    snap = collect_demo()
    region = snap.regions[0]
    inst = region.instances[0]
    if inst.flows:
        inst.flows[0].name = XSS_FLOW_NAME
    agent_plus = [p for p in inst.security_profiles if p.name == "AgentPlus"][0]
    agent_plus.name = XSS_PROFILE_NAME
    holder = [u for u in inst.users if agent_plus.id in u.security_profile_ids][0]
    holder.username = XSS_USERNAME
    return snap


@pytest.fixture(scope="session")
def demo_report():
    """Every check over the poisoned demo estate, plus a finding that quotes the flow name in every field."""
    snap = poisoned_demo_snapshot()
    report = run_audit(snap)
    inst = snap.regions[0].instances[0]
    report.findings.append(Finding(
        check="flow-logs-disabled", practice=Practice.FLOW_LOGGING, status=Status.FAIL, severity=Severity.MEDIUM,
        title="Flow logging is turned off on the instance", resource=f"{inst.arn}/contact-flow/{XSS_FLOW_NAME}",
        account=snap.account_id, region="us-east-1", message=f"flow {XSS_FLOW_NAME} writes no logs",
        evidence={"flow": XSS_FLOW_NAME, "path": [XSS_FLOW_NAME, "Disconnect"]}, remediation=XSS_FLOW_NAME))
    report.generated_at = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
    return report
