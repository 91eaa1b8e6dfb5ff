"""Benchmarks and the reliability run for the caller-screening Lambda (run by hand, not by pytest).

    python bench/bench_fraud.py                 # all: throughput, requests/decision, cold import, zip, faults
    python bench/bench_fraud.py --only import   # one part: throughput | import | zip | faults
    python bench/bench_fraud.py --faults 10000 --workers 16

Throughput is measured in-process against moto (``mock_aws``), so it measures the
handler's own cost plus moto's, not DynamoDB latency. Requests are counted through
botocore's public event system (``request-created``: one per HTTP attempt).
The fault run puts a fault-injecting proxy (connectguard.fraud.testing.FaultProxy)
in front of a moto server and checks: no exception escapes, every response is a flat
string map, and every decision is either the true one or exactly the fail mode.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

TABLE = "cg-fraud-bench"
ROUND = 500  # decisions per fresh table in the fault run


def event(number: str, contact_id: str, params: dict | None = None) -> dict:
    return {"Name": "ContactFlowEvent", "Details": {
        "ContactData": {"ContactId": contact_id, "Channel": "VOICE",
                        "CustomerEndpoint": {"Address": number, "Type": "TELEPHONE_NUMBER"}},
        "Parameters": params or {}}}


def bench_throughput(decisions: int) -> None:
    import boto3
    from moto import mock_aws

    from connectguard.fraud import admin, core, store
    from connectguard.fraud.handler import Screener

    with mock_aws():
        setup = boto3.client("dynamodb", region_name="us-east-1")
        admin.init_table(setup, TABLE)
        admin.put_entries(setup, TABLE, [core.DenyEntry(f"+1206555{n:04d}", False, "b") for n in range(0, 10000, 97)],
                          added_by="bench", now=time.time())
        admin.put_entries(setup, TABLE, [core.DenyEntry(p, True, "b") for p in ("+1900", "+1976", "+44909")],
                          added_by="bench", now=time.time())
        client = store.make_client()
        per_decision: list[int] = []
        count = [0]
        client.meta.events.register("request-created.dynamodb", lambda **_: count.__setitem__(0, count[0] + 1))
        screener = Screener(TABLE, client, env={}, log_key=b"bench")
        rng = random.Random(1)
        numbers = [f"+1206555{rng.randrange(10000):04d}" for _ in range(decisions)]
        reasons: Counter[str] = Counter()
        latencies = []
        started = time.perf_counter()
        for i, number in enumerate(numbers):
            before = count[0]
            t0 = time.perf_counter()
            reasons[screener.screen(event(number, f"c{i}"))["reason"]] += 1
            latencies.append(time.perf_counter() - t0)
            per_decision.append(count[0] - before)
        elapsed = time.perf_counter() - started
    first, last = latencies[:200], latencies[-200:]
    latencies.sort()
    print(f"throughput (in-process, moto mock_aws, 1 thread): {decisions} decisions in {elapsed:.2f} s = "
          f"{decisions / elapsed:.0f} decisions/s; p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms")
    # moto's Query walks the whole table, so its cost grows with every recorded contact (DynamoDB's does not).
    print(f"  first 200 decisions (small table): {len(first) / sum(first):.0f} decisions/s; "
          f"last 200: {len(last) / sum(last):.0f} decisions/s")
    pure = Screener(TABLE, None, env={}, log_key=b"bench")
    t0 = time.perf_counter()
    for i in range(5000):
        pure.screen(event("anonymous", f"w{i}"))
    withheld = (time.perf_counter() - t0) / 5000
    from connectguard.fraud import numbers as nums
    t0 = time.perf_counter()
    prefixes = core.PrefixIndex([core.DenyEntry("+1900", True)])
    for i in range(5000):
        n = nums.normalise(f"(206) 555-{i % 10000:04d}", "US")
        core.decide(n.e164, core.Activity(), prefixes, core.Settings(), time.time())
    pure_cost = (time.perf_counter() - t0) / 5000
    print(f"  handler CPU without DynamoDB: withheld decision {withheld * 1e6:.0f} us; "
          f"normalise + decide {pure_cost * 1e6:.0f} us")
    print(f"  reasons: {dict(reasons)}")
    steady = per_decision[1:]
    print(f"DynamoDB requests per decision: first (prefix cache cold) {per_decision[0]}, then max {max(steady)}, "
          f"mean {statistics.mean(per_decision):.3f} over {decisions} (prefix cache refreshes each 60 s)")


def bench_import(runs: int) -> None:
    code = ("import time; t=time.perf_counter(); import connectguard.fraud as f; f.lambda_handler; "
            "print(time.perf_counter()-t)")
    base = "import time; t=time.perf_counter(); import boto3; print(time.perf_counter()-t)"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AWS_DEFAULT_REGION": "us-east-1"}

    def measure(src: str) -> list[float]:
        out = []
        for _ in range(runs):
            result = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, env=env, check=True)
            out.append(float(result.stdout.strip()))
        return sorted(out)

    handler, boto = measure(code), measure(base)
    print(f"cold import of the handler (fresh interpreter, {runs} runs): median {statistics.median(handler) * 1000:.0f} ms, "
          f"min {handler[0] * 1000:.0f} ms; of which boto3 alone: median {statistics.median(boto) * 1000:.0f} ms")


def bench_zip() -> None:
    from connectguard.fraud import package

    with tempfile.TemporaryDirectory() as tmp:
        report = package.build(Path(tmp) / "fraud.zip")
    print(f"Lambda zip: {report.size_bytes:,} bytes ({report.size_bytes / 1024:.0f} KiB), {report.files} files, "
          f"{report.phonenumbers_distribution}")


def bench_faults(decisions: int, workers: int, rate: float) -> int:
    import boto3
    from moto.server import ThreadedMotoServer

    from connectguard.fraud import admin, core
    from connectguard.fraud.handler import lambda_handler, reset_default_screener
    from connectguard.fraud.testing import FaultProxy

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("connectguard.fraud").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    setup = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=url)
    rng = random.Random(3)
    denied = {f"+1206555{n:04d}" for n in rng.sample(range(10000), 100)}

    def fresh_table() -> None:
        # moto's Query sorts the whole table on every call, so a table that grows by one
        # contact per decision would make later rounds measure moto; start each round afresh.
        if admin.describe(setup, TABLE) is not None:
            setup.delete_table(TableName=TABLE)
        admin.init_table(setup, TABLE)
        admin.put_entries(setup, TABLE, [core.DenyEntry(n, False, "b") for n in denied], added_by="b", now=time.time())
        admin.put_entries(setup, TABLE, [core.DenyEntry("+1900", True, "b")], added_by="b", now=time.time())
    pool_numbers = sorted(denied) + [f"+1206555{n:04d}" for n in range(2000)] + [f"+1900555{n:04d}" for n in range(50)]

    def expected(number: str) -> tuple[str, str]:
        if number in denied:
            return ("block", "deny-list")
        if number.startswith("+1900"):
            return ("block", "deny-prefix")
        return ("allow", "ok")

    violations = 0
    with FaultProxy(url, rate=rate, slow_seconds=1.5) as proxy:
        os.environ.update({
            "CONNECTGUARD_FRAUD_TABLE": TABLE, "AWS_ENDPOINT_URL_DYNAMODB": proxy.url,
            "CONNECTGUARD_FRAUD_DEADLINE_MS": "1000", "CONNECTGUARD_FRAUD_FAIL_MODE": "review",
            "CONNECTGUARD_FRAUD_LOG_KEY": "bench"})
        reset_default_screener()
        calls = [(rng.choice(pool_numbers), f"c{i}") for i in range(decisions)]
        escaped: list[BaseException] = []

        def one(call: tuple[str, str]) -> tuple[str, object]:
            try:
                return call[0], lambda_handler(event(call[0], call[1], {"velocityLimit": "1000"}))
            except BaseException as exc:  # noqa: BLE001 - counted, that is the point
                escaped.append(exc)
                return call[0], None

        started = time.perf_counter()
        results: list[tuple[str, object]] = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for start in range(0, len(calls), ROUND):
                fresh_table()
                results.extend(pool.map(one, calls[start:start + ROUND]))
        elapsed = time.perf_counter() - started
    server.stop()
    reasons: Counter[str] = Counter()
    for number, response in results:
        ok = isinstance(response, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in response.items())
        if ok:
            reasons[response["reason"]] += 1  # type: ignore[index]
            if response["reason"] in ("error", "timeout"):  # type: ignore[index]
                ok = response["decision"] == "review"  # type: ignore[index]
            else:
                ok = (response["decision"], response["reason"]) == expected(number)  # type: ignore[index]
        violations += not ok
    faults = {k: v for k, v in proxy.counts.items() if k != "requests"}
    print(f"fault run: {decisions} decisions in rounds of {ROUND}, {workers} threads, fault rate {rate:.0%} of {proxy.counts['requests']} "
          f"requests {faults}, {elapsed:.1f} s")
    print(f"  exceptions escaped: {len(escaped)}; responses violating the contract or the fail mode: {violations}")
    print(f"  reasons: {dict(reasons)}")
    return 1 if violations or escaped else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["throughput", "import", "zip", "faults"])
    parser.add_argument("--decisions", type=int, default=1000)
    parser.add_argument("--import-runs", type=int, default=7)
    parser.add_argument("--faults", type=int, default=10_000, help="decisions in the fault run")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    args = parser.parse_args()
    logging.getLogger("connectguard.fraud").setLevel(logging.CRITICAL)
    status = 0
    if args.only in (None, "throughput"):
        bench_throughput(args.decisions)
    if args.only in (None, "import"):
        bench_import(args.import_runs)
    if args.only in (None, "zip"):
        bench_zip()
    if args.only in (None, "faults"):
        status = bench_faults(args.faults, args.workers, args.fault_rate)
    return status


if __name__ == "__main__":
    sys.exit(main())
