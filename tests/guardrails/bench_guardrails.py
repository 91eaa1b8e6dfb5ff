"""Guardrail and effective-permission checks against the number of IAM principals (run by hand; not a test).

    python tests/guardrails/bench_guardrails.py                  # 500, 2,000, 8,000 principals
    python tests/guardrails/bench_guardrails.py --principals 20000

Worst case for the evaluator: the guardrail SCP carries a break-glass exception (so the
"denied for everyone" fast path does not apply and every principal is evaluated), every
principal has three policies with conditions, and four instances (two SAML, one directory,
one Connect-managed) each need every protection. Times `run_audit` over the six checks of
this feature; the time per principal should stay flat (linear growth).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectguard.audit.engine import run_audit  # noqa: E402
from connectguard.audit.registry import select_checks  # noqa: E402
from connectguard.config import Config  # noqa: E402
from connectguard.inventory.model import IamPrincipal, PolicyDocumentRef, Trail  # noqa: E402
from guardrails.estate import (  # noqa: E402
    ACCOUNT,
    admin_role,
    chain,
    deny,
    directory,
    full,
    iam,
    instance,
    instance_arn,
    org,
    policy_doc,
    role_arn,
    scp,
    signin_role,
    snapshot,
)

CHECKS = ["deletion-guardrails", "emergency-access", "iam-principal-bypasses-security-profiles"]


def principal(i: int) -> IamPrincipal:
    name = f"app-{i:05d}"
    docs = [
        policy_doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": f"arn:aws:s3:::bucket-{i}/*"},
                   {"Effect": "Allow", "Action": "connect:Describe*", "Resource": "*"}),
        policy_doc({"Effect": "Allow", "Action": "connect:UpdateContactFlowContent",
                    "Resource": f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/*/contact-flow/*",
                    "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}),
        policy_doc({"Effect": "Deny", "NotAction": ["connect:*", "s3:*"], "Resource": "*",
                    "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}),
    ]
    return IamPrincipal(kind="role", name=name, arn=role_arn(name), tags={"team": f"t{i % 7}"},
                        inline_policies=[PolicyDocumentRef(name=f"p{j}", document=d) for j, d in enumerate(docs)])


def build(n: int):
    instances = [instance("i-sales"), instance("i-support"), instance("i-dir", kind="EXISTING_DIRECTORY"),
                 instance("i-managed", kind="CONNECT_MANAGED")]
    guard = scp("p-guard", policy_doc(
        deny("DenyDelete", ["connect:DeleteInstance", "connect:UpdateInstanceAttribute"],
             [instance_arn("i-sales"), instance_arn("i-support")],
             {"ArnNotLike": {"aws:PrincipalArn": role_arn("BreakGlass")}})), "guard")
    principals = [principal(i) for i in range(n)] + [admin_role(), signin_role(), admin_role("BreakGlass")]
    trail = Trail(name="org", arn=f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org")
    return snapshot(instances, org(chain(ou=[full(), guard])), iam(*principals), directories=[directory()],
                    trails=[trail])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--principals", type=int, action="append")
    args = parser.parse_args()
    config = Config.model_validate({"audit": {"break_glass_principals": [role_arn("BreakGlass")]}})
    checks = select_checks(CHECKS)
    print(f"{'principals':>10} {'seconds':>8} {'ms/principal':>13} findings")
    for n in args.principals or [500, 2000, 8000]:
        snap = build(n)
        start = time.perf_counter()
        report = run_audit(snap, config, checks)
        elapsed = time.perf_counter() - start
        print(f"{n:>10} {elapsed:>8.2f} {1000 * elapsed / n:>13.2f} {report.counts()}")


if __name__ == "__main__":
    main()
