"""Benchmark the collector against a large simulated instance (run by hand, not a test).

    python bench/bench_collect.py                  # default cap (collect.max_rps = 1.0): takes minutes
    python bench/bench_collect.py --max-rps 2      # at the full quota: quicker, may draw 429s
    python bench/bench_collect.py --users 2000 --profiles 60 --flows 200   # a smaller world

One instance (bench_world: 10,000 users, 300 security profiles, 1,000 flows by default),
the Connect simulator throttling at AWS's default 2 requests/s, burst 5, per operation.
For each Connect operation it prints the calls made against the lower bound (pages needed
at the API's largest page size), and the 429s the simulator returned; then the wall time
against the floor set by the rate cap: the most-called operation's calls, less the burst,
at max_rps.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time


def lower_bounds(world) -> dict[str, int]:
    from connectguard.collect.catalogue import page_size
    from connectguard.collect.connect import STORAGE_RESOURCE_TYPES

    def pages(n: int, op: str) -> int:
        return max(1, math.ceil(n / page_size("connect", op)))

    bounds: dict[str, int] = {}

    def add(op: str, n: int) -> None:
        bounds[op] = bounds.get(op, 0) + n

    for region, r in world.regions.items():
        add("ListInstances", pages(len(r.connect_instances), "ListInstances"))
        for inst in r.connect_instances:
            add("DescribeInstance", 1)
            add("ListInstanceAttributes", pages(len(inst.attributes), "ListInstanceAttributes"))
            for rtype in STORAGE_RESOURCE_TYPES:
                n = sum(1 for c in inst.storage_configs if c.resource_type == rtype)
                add("ListInstanceStorageConfigs", pages(n, "ListInstanceStorageConfigs"))
            add("ListSecurityProfiles", pages(len(inst.security_profiles), "ListSecurityProfiles"))
            for p in inst.security_profiles:
                add("DescribeSecurityProfile", 1)
                add("ListSecurityProfilePermissions", pages(len(p.permissions), "ListSecurityProfilePermissions"))
                add("ListSecurityProfileApplications", pages(len(p.applications), "ListSecurityProfileApplications"))
                add("ListSecurityProfileFlowModules", pages(len(p.flow_module_ids), "ListSecurityProfileFlowModules"))
            add("SearchUsers", pages(len(inst.users), "SearchUsers"))
            add("SearchContactFlows", pages(len(inst.flows), "SearchContactFlows"))
            add("SearchContactFlowModules", pages(len(inst.flow_modules), "SearchContactFlowModules"))
            add("ListQueues", pages(len(inst.queues), "ListQueues"))
            add("ListQuickConnects", pages(len(inst.quick_connects), "ListQuickConnects"))
            add("ListApprovedOrigins", pages(len(inst.approved_origins), "ListApprovedOrigins"))
            add("ListLambdaFunctions", pages(len(inst.lambda_functions), "ListLambdaFunctions"))
            add("ListSecurityKeys", pages(len(inst.security_keys), "ListSecurityKeys"))
            add("ListAuthenticationProfiles", pages(len(inst.authentication_profiles), "ListAuthenticationProfiles"))
            add("DescribeAuthenticationProfile", len(inst.authentication_profiles))
            add("ListPhoneNumbersV2", pages(len(inst.phone_numbers), "ListPhoneNumbersV2"))
            add("ListFlowAssociations", pages(sum(1 for n in inst.phone_numbers if n.flow_id), "ListFlowAssociations"))
            add("ListIntegrationAssociations", pages(len(inst.integration_associations), "ListIntegrationAssociations"))
    return {k: v for k, v in bounds.items() if v}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-rps", type=float, default=None, help="collector cap (default: collect.max_rps)")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--profiles", type=int, default=300)
    parser.add_argument("--flows", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=None)
    args = parser.parse_args(argv)

    import boto3

    from connectguard.collect.ratelimit import SERVER_RATE, burst_for
    from connectguard.collect.runner import CollectOptions, collect_snapshot
    from connectguard.config import CollectConfig
    from connectguard.simulator import SimulatedEstate, bench_world

    defaults = CollectConfig()
    max_rps = args.max_rps or defaults.max_rps
    concurrency = args.concurrency or defaults.concurrency
    world = bench_world(users=args.users, profiles=args.profiles, flows=args.flows)
    bounds = lower_bounds(world)
    region = next(iter(world.regions))

    with SimulatedEstate(world) as estate:  # quota on: 2 requests/s, burst 5, per operation
        os.environ.update(estate.env)
        os.environ.pop("AWS_PROFILE", None)
        started = time.monotonic()
        snap = collect_snapshot(boto3.Session(), [region], options=CollectOptions(
            max_rps=max_rps, max_attempts=defaults.max_attempts, concurrency=concurrency))
        wall = time.monotonic() - started
        served = dict(estate.connect.calls)
        throttles = dict(estate.connect.throttles)

    burst = burst_for(max_rps)
    rows = []
    for op in sorted(set(bounds) | set(served)):
        calls = served.get(op, 0)
        bound = bounds.get(op, 0)
        rows.append((op, calls, bound, calls / bound if bound else float("inf"), throttles.get(op, 0)))
    # The floor counts the calls that had to be made (the bound), at the cap or the server's rate if lower.
    busiest = max(rows, key=lambda r: r[2])
    rate = min(max_rps, SERVER_RATE)
    floor = max(0.0, (busiest[2] - burst) / rate)

    print(f"bench_world: {args.users} users, {args.profiles} security profiles, {args.flows} flows; simulator "
          f"quota 2 req/s burst 5 per operation; collector max_rps={max_rps} burst={burst} concurrency={concurrency}")
    print(f"{'operation':34} {'calls':>6} {'bound':>6} {'ratio':>6} {'429s':>5}")
    for op, calls, bound, ratio, t in rows:
        print(f"{op:34} {calls:6d} {bound:6d} {ratio:6.2f} {t:5d}")
    total_calls = sum(r[1] for r in rows)
    total_bound = sum(r[2] for r in rows)
    print(f"{'TOTAL (Connect)':34} {total_calls:6d} {total_bound:6d} {total_calls / total_bound:6.2f} "
          f"{sum(throttles.values()):5d}")
    print(f"wall {wall:.1f}s; floor {floor:.1f}s ({busiest[0]}: {busiest[2]} calls needed, less burst {burst}, at "
          f"{rate}/s); ratio {wall / floor if floor else float('inf'):.2f}")
    print(f"collection errors: {len(snap.errors)}; users {len(snap.regions[0].instances[0].users or [])}, "
          f"profiles {len(snap.regions[0].instances[0].security_profiles or [])}, "
          f"flows {len(snap.regions[0].instances[0].flows or [])}")
    for err in snap.errors[:10]:
        print("  ", err.describe())
    return 0 if not snap.errors else 3


if __name__ == "__main__":
    sys.exit(main())
