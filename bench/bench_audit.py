"""Audit time against estate size (run by hand; not a test).

    python bench/bench_audit.py                 # 1k, 10k, 100k users
    python bench/bench_audit.py --users 100000  # one size

Builds synthetic snapshots of one instance with N users (and profiles/flows scaled
with it), then times `run_audit` over every registered check. The baseline measured
in the same run is the time to validate the snapshot from its JSON text (pydantic),
i.e. the cost of just reading it: the audit should stay within a small multiple of
that and grow linearly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time

from connectguard.audit.engine import run_audit
from connectguard.audit.registry import all_checks
from connectguard.inventory.io import dump_snapshot, parse_snapshot
from connectguard.inventory.model import (
    Flow,
    Instance,
    PhoneNumber,
    RegionInventory,
    SecurityProfile,
    Snapshot,
    User,
)

ACCOUNT = "123456789012"
PERMS_AGENT = ["BasicAgentAccess", "OutboundCallAccess", "ContactSearch.View"]
PERMS_ADMIN = ["Users.EditPermission", "SecurityProfiles.Edit", "Users.Create", "Users.Edit", "ContactFlows.Edit"]
PERMS_QA = ["AccessMetrics", "ListenCallRecordings", "ContactSearch.View", "ManagerListenIn"]


def flow_content(i: int, n_flows: int) -> str:
    actions = [
        {"Identifier": "log", "Type": "UpdateFlowLoggingBehavior", "Parameters": {"FlowLoggingBehavior": "Enabled"},
         "Transitions": {"NextAction": "lambda"}},
        {"Identifier": "lambda", "Type": "InvokeLambdaFunction",
         "Parameters": {"LambdaFunctionARN": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:screen",
                        "InvocationTimeLimitSeconds": "3"},
         "Transitions": {"NextAction": "queue", "Errors": [{"NextAction": "queue", "ErrorType": "NoMatchingError"}]}},
        {"Identifier": "queue", "Type": "TransferToFlow",
         "Parameters": {"ContactFlowId": f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/bench/contact-flow/"
                                         f"f{(i + 1) % n_flows}"},
         "Transitions": {"NextAction": "end", "Errors": [{"NextAction": "end", "ErrorType": "NoMatchingError"}]}},
        {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
    ]
    return json.dumps({"Version": "2019-10-30", "StartAction": "log", "Actions": actions})


def build_snapshot(users: int, seed: int = 7) -> Snapshot:
    rng = random.Random(seed)
    iarn = f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/bench"
    n_profiles = max(10, users // 100)
    n_flows = max(10, users // 50)
    profiles = []
    for p in range(n_profiles):
        perms = [PERMS_AGENT, PERMS_QA, PERMS_ADMIN][p % 3] + [f"Queues.View", "Prompts.View"]
        profiles.append(SecurityProfile(id=f"sp{p}", arn=f"{iarn}/security-profile/sp{p}", name=f"profile-{p}",
                                        permissions=perms))
    user_list = [
        User(id=f"u{u}", arn=f"{iarn}/agent/u{u}", username=f"user{u}",
             security_profile_ids=[f"sp{rng.randrange(n_profiles)}" for _ in range(rng.choice((1, 1, 2)))],
             routing_profile_id="rp1")
        for u in range(users)
    ]
    flows = [Flow(id=f"f{i}", arn=f"{iarn}/contact-flow/f{i}", name=f"flow {i}", type="CONTACT_FLOW",
                  state="ACTIVE", status="PUBLISHED", content=flow_content(i, n_flows)) for i in range(n_flows)]
    numbers = [PhoneNumber(id=f"n{i}", arn=f"arn:aws:connect:us-east-1:{ACCOUNT}:phone-number/n{i}",
                           number_masked="+1*******00", target_arn=iarn) for i in range(max(1, n_flows // 10))]
    instance = Instance(
        id="bench", arn=iarn, alias="bench", identity_management_type="SAML", status="ACTIVE",
        attributes={"CONTACTFLOW_LOGS": "true"}, storage_configs={}, security_profiles=profiles, users=user_list,
        flows=flows, flow_modules=[], queues=[], quick_connects=[], approved_origins=["https://example.com"],
        lambda_functions=[], security_keys=[], authentication_profiles=[], phone_numbers=numbers,
        flow_associations={n.arn: flows[i % n_flows].arn for i, n in enumerate(numbers)},
        integration_associations=[],
    )
    return Snapshot(tool_version="bench", collected_at=dt.datetime.now(dt.timezone.utc), account_id=ACCOUNT,
                    regions=[RegionInventory(region="us-east-1", instances=[instance], directories=[], trails=[],
                                             log_groups=[], alarms=[])])


def measure(users: int, repeat: int) -> dict:
    snap = build_snapshot(users)
    text = dump_snapshot(snap)
    parse_times, audit_times = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        parse_snapshot(json.loads(text))
        parse_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        report = run_audit(snap)
        audit_times.append(time.perf_counter() - t0)
    return {"users": users, "findings": len(report.findings), "parse_s": statistics.median(parse_times),
            "audit_s": statistics.median(audit_times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, action="append")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = args.users or [1_000, 10_000, 100_000]
    print(f"checks registered: {len(all_checks())}")
    print(f"{'users':>8} {'findings':>9} {'read (s)':>9} {'audit (s)':>10} {'audit/read':>10} {'audit us/user':>13}")
    for n in sizes:
        r = measure(n, args.repeat)
        print(f"{r['users']:>8} {r['findings']:>9} {r['parse_s']:>9.3f} {r['audit_s']:>10.3f} "
              f"{r['audit_s'] / r['parse_s']:>10.2f} {1e6 * r['audit_s'] / n:>13.1f}")


if __name__ == "__main__":
    main()
