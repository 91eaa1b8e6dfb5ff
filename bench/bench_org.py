"""Organization-run benchmark (run by hand; not a test).

    python bench/bench_org.py                          # 200 accounts x 2 regions, concurrency 1, 4, 16
    python bench/bench_org.py --accounts 40 --concurrency 1 8

A simulated organization (moto Organizations/STS/IAM + one small Connect estate per account
and region, the simulator's 2 req/s burst-5 quota per operation, account and region) is
collected with `collect_organization_estate` at each account concurrency. Reported per run:
wall time, speed-up over concurrency 1 (the baseline measured in the same run), the number
of 429s the simulator returned (the per-account caps must keep it at 0), and resident
memory after each quarter of the accounts (it should stay flat: snapshots go to disk as
each account finishes).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from unittest import mock

import boto3

from connectguard.collect.runner import CollectOptions
from connectguard.org.collect import OrgCollectOptions, collect_organization_estate
from connectguard.simulator.organization import MemberSpec, SimulatedOrganization


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--max-rps", type=float, default=1.0, help="per operation (default: the tool's default)")
    parser.add_argument("--profiles", type=int, default=2)
    args = parser.parse_args()

    members = [MemberSpec(f"acct-{n:03d}", regions=("us-east-1", "eu-west-2"), users=10, profiles=args.profiles,
                          flows=3) for n in range(args.accounts)]
    t0 = time.monotonic()
    with SimulatedOrganization(members, quota=True) as org, \
            mock.patch.dict(os.environ, org.env):
        print(f"organization of {args.accounts} accounts x 2 regions ready in {time.monotonic() - t0:.1f}s; "
              f"max_rps {args.max_rps}/operation/account")
        print(f"{'concurrency':>11} {'wall (s)':>9} {'speed-up':>9} {'s/account':>9} {'429s':>6} "
              f"{'RSS MB at 25/50/75/100%':>26}")
        baseline = None
        for concurrency in args.concurrency:
            org.connect.throttles.clear()
            marks: list[float] = []
            done = [0]

            def progress(message: str, total=args.accounts) -> None:
                if message.startswith("acct") or message[:1].isdigit():
                    done[0] += 1
                    if done[0] * 4 // total > len(marks):
                        marks.append(rss_mb())

            with tempfile.TemporaryDirectory() as out:
                started = time.monotonic()
                index = collect_organization_estate(
                    boto3.Session(), OrgCollectOptions(regions=["us-east-1", "eu-west-2"],
                                                       account_concurrency=concurrency,
                                                       collect=CollectOptions(max_rps=args.max_rps)),
                    Path(out), progress=progress)
                wall = time.monotonic() - started
            assert all(e.status == "collected" for e in index.accounts), "an account failed"
            baseline = baseline or wall
            throttled = sum(org.connect.throttles.values())
            print(f"{concurrency:>11} {wall:>9.1f} {baseline / wall:>9.2f} {wall / args.accounts:>9.2f} "
                  f"{throttled:>6} {' / '.join(f'{m:.0f}' for m in marks):>26}")


if __name__ == "__main__":
    main()
