"""Time the flow-logging and screening checks on synthetic instances of growing size (run by hand:
`python tests/flows/bench_flows.py`; not collected by pytest)."""
import json
import sys
import time

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
import datetime as dt

from flowkit import act, bye, content, flow, flow_module, instance, lam, module, queue, to_flow

from connectguard.audit.engine import run_audit
from connectguard.audit.registry import select_checks
from connectguard.config import Config
from connectguard.inventory.model import RegionInventory, Snapshot


def build(n_flows, actions_per_flow=40, entries=10):
    flows, mods = [], [flow_module("m", content("l", lam("l", "r"), act("r", "EndFlowExecution")))]
    for i in range(n_flows):
        acts = []
        for j in range(actions_per_flow):
            nxt = f"a{j+1}" if j + 1 < actions_per_flow else "t"
            if j % 10 == 3:
                acts.append(lam(f"a{j}", nxt))
            elif j % 10 == 5:
                acts.append(module(f"a{j}", "m", nxt))
            elif j % 10 == 7:
                acts.append(act(f"a{j}", "Compare", params={"ComparisonValue": "$.Attributes.x"},
                                conditions=[("1", nxt)], errors=[("NoMatchingCondition", "q")]))
            else:
                acts.append(act(f"a{j}", "MessageParticipant", nxt))
        acts.append(to_flow("t", f"f{i+1}", error="q") if i + 1 < n_flows else bye("t"))
        acts.append(queue("q", "bye")); acts.append(bye())
        flows.append(flow(f"f{i}", content("a0", *acts)))
    step = max(1, n_flows // entries)
    inst = instance(flows, mods, entries=[f"f{k}" for k in range(0, n_flows, step)][:entries])
    return Snapshot(tool_version="b", collected_at=dt.datetime.now(dt.UTC), account_id="123456789012",
                    regions=[RegionInventory(region="us-east-1", instances=[inst])])

for n in (100, 200, 400, 800):
    snap = build(n)
    total = sum(len(json.loads(f.content)["Actions"]) for f in snap.regions[0].instances[0].flows)
    for check in ("flow-path-without-logging", "entry-flow-not-screened"):
        t = time.perf_counter(); rep = run_audit(snap, Config(), select_checks([check])); dt_ = time.perf_counter() - t
        print(f"{check:28s} flows={n:4d} actions={total:6d} results={len(rep.findings):4d} {dt_*1000:8.1f} ms")
