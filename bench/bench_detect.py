"""Benchmark `connectguard detect` against jq and gzip on the same generated CloudTrail corpus.

Run by hand (not part of the test suite):

    python bench/bench_detect.py                      # 200,000 events, then 10x for the memory check
    python bench/bench_detect.py --events 200000 --scale 10 --workdir /tmp/cg-bench --keep

Needs the `jq` and `gzip` programs (Debian: `apt-get install -y jq`). The corpus is generated
(connectguard.detect.corpus: realistic management events, 1,000 per .json.gz file, in the S3 key
layout) and not committed. In one run, on the same files, it measures:

* `connectguard detect DIR --format json` with the whole rule pack (its compiled rules cached from
  the first run, as for a user's second run), and once more with an empty rule cache (a first run);
* `gzip -dc FILES | jq -c '.Records[] | select(...)'` with one rule's condition (CloudTrail
  logging stopped); jq cannot read gzip, so its figure includes the decompression, as it would
  in practice;
* `gzip -dc FILES > /dev/null`, the floor for any reader of these files.

For each: wall time, CPU time (user + system of the process tree) and peak RSS (from wait4).
CPU time is reported because the machine may be shared: wall-clock ratios move with the load,
CPU ratios much less. The targets (detect >= 5x jq's events/s, <= 2x gzip's time) are judged on
CPU time; all three are single-threaded, so on an idle machine wall and CPU agree. Then the corpus
grows ``--scale`` times and detect's peak RSS is measured again (memory should stay flat: the
engine reads a bounded batch of files at a time).

Measured on 2 shared CPUs, PYTHONDONTWRITEBYTECODE=1 (connectguard compiled from source each run, ~0.04 s)
(``python bench/bench_detect.py --workdir /tmp/cg/bench --keep``):

    corpus: 200,000 events in 200 files (16.2 MB gz); load average 1.6; 2 CPUs
    command                                wall s     events/s    cpu s  events/cpu-s  peak RSS MB
    connectguard detect (whole pack)         0.86      231,248     0.86       232,188           86
    detect, empty rule cache                 1.07      187,236     1.06       187,973          109
    gzip -dc | jq (one rule)                 5.80       34,503     5.79        34,527           15
    gzip -dc > /dev/null                     1.02      196,083     1.02       196,234           15
    detect vs jq:   6.7x the events/s (wall), 6.7x (CPU)   [target >= 5x]
    detect vs gzip: 0.8x gzip's time (wall), 0.8x (CPU)   [target <= 2x]
    memory: peak RSS 86 MB at 200,000 events, 96 MB at 2,000,000 events
    at 2,000,000 events: detect 6.9 s wall / 6.8 s CPU (292,163 events/cpu-s); gzip -dc 11.0 s wall / 10.9 s CPU; detect vs gzip 0.6x (CPU)

Before the byte-level scan and the rule cache (same corpus and command): detect 2.51 CPU-s
(79,600 events/CPU-s, 156 MB), jq 6.48 CPU-s, gzip 1.05 CPU-s: 2.6x jq and 2.4x gzip.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from connectguard.detect.corpus import make_event, write_corpus

JQ_FILTER = (
    '.Records[] | select(.eventSource == "cloudtrail.amazonaws.com" and '
    '(.eventName == "StopLogging" or .eventName == "DeleteTrail" or .eventName == "UpdateTrail" or '
    '.eventName == "PutEventSelectors" or .eventName == "PutAdvancedEventSelectors"))'
)


def measure(cmd: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB) of a shell pipeline."""
    start = time.perf_counter()
    proc = subprocess.Popen(["bash", "-c", cmd], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # detect exits 1 when it alerts
        raise SystemExit(f"command failed ({status}): {cmd}")
    # ru_maxrss of the bash child covers its own largest descendant only when waited by bash;
    # commands are run with `exec` when they are single programs so the figure is theirs.
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def corpus(root: Path, events: int) -> Path:
    if root.exists() and any(root.rglob("*.json.gz")):
        return root
    planted = [make_event("StopLogging", "cloudtrail.amazonaws.com", request={"name": "org-trail"})
               for _ in range(max(1, events // 2000))]
    planted += [make_event("AdminGetEmergencyAccessToken", "connect.amazonaws.com") for _ in range(3)]
    write_corpus(root, events, per_file=1000, planted=planted)
    return root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--scale", type=int, default=10, help="grow the corpus this many times for the memory check")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; the fastest is reported")
    args = parser.parse_args()
    for tool in ("jq", "gzip"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found (Debian: apt-get install -y {tool})")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="cg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    cg = shutil.which("connectguard") or f"{sys.executable} -m connectguard.cli"
    try:
        small = corpus(work / f"c{args.events}", args.events)
        listing = work / "files.txt"
        listing.write_text("\0".join(str(p) for p in sorted(small.rglob("*.json.gz"))))
        commands = {
            "connectguard detect (whole pack)": f"exec {cg} detect {small} --format json -o {work}/alerts.json",
            "detect, empty rule cache": f"XDG_CACHE_HOME=$(mktemp -d -p {work}) exec {cg} detect {small} "
            f"--format json -o {work}/alerts-cold.json",
            "gzip -dc | jq (one rule)": f"xargs -0 gzip -dc < {listing} | jq -c '{JQ_FILTER}' > {work}/jq.out",
            "gzip -dc > /dev/null": f"xargs -0 gzip -dc < {listing} > /dev/null",
        }
        results = {}
        for name, cmd in commands.items():
            runs = [measure(cmd) for _ in range(args.repeat)]
            results[name] = min(runs, key=lambda r: r[0])
            results[name + " (cpu)"] = min(runs, key=lambda r: r[1])
        n = args.events
        print(f"corpus: {n:,} events in {len(list(small.rglob('*.json.gz'))):,} files "
              f"({sum(p.stat().st_size for p in small.rglob('*.json.gz')) / 1e6:.1f} MB gz); "
              f"load average {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs")
        print(f"{'command':36} {'wall s':>8} {'events/s':>12} {'cpu s':>8} {'events/cpu-s':>13} {'peak RSS MB':>12}")
        for name in commands:
            wall, _, rss = results[name]
            _, cpu, _ = results[name + " (cpu)"]
            print(f"{name:36} {wall:8.2f} {n / wall:12,.0f} {cpu:8.2f} {n / cpu:13,.0f} {rss:12}")
        d_wall, g_wall = results["connectguard detect (whole pack)"][0], results["gzip -dc > /dev/null"][0]
        j_wall = results["gzip -dc | jq (one rule)"][0]
        d_cpu, g_cpu = results["connectguard detect (whole pack) (cpu)"][1], results["gzip -dc > /dev/null (cpu)"][1]
        j_cpu = results["gzip -dc | jq (one rule) (cpu)"][1]
        print(f"detect vs jq:   {j_wall / d_wall:.1f}x the events/s (wall), {j_cpu / d_cpu:.1f}x (CPU)   [target >= 5x]")
        print(f"detect vs gzip: {d_wall / g_wall:.1f}x gzip's time (wall), {d_cpu / g_cpu:.1f}x (CPU)   [target <= 2x]")
        if args.scale > 1:
            big = corpus(work / f"c{args.events * args.scale}", args.events * args.scale)
            big_list = work / "files-big.txt"
            big_list.write_text("\0".join(str(p) for p in sorted(big.rglob("*.json.gz"))))
            n_big = args.events * args.scale
            wall, cpu, rss = measure(f"exec {cg} detect {big} --format json -o {work}/alerts-big.json")
            g_wall, g_cpu, _ = measure(f"xargs -0 gzip -dc < {big_list} > /dev/null")
            print(f"memory: peak RSS {results['connectguard detect (whole pack)'][2]} MB at {n:,} events, "
                  f"{rss} MB at {n_big:,} events")
            print(f"at {n_big:,} events: detect {wall:.1f} s wall / {cpu:.1f} s CPU ({n_big / cpu:,.0f} events/cpu-s); "
                  f"gzip -dc {g_wall:.1f} s wall / {g_cpu:.1f} s CPU; detect vs gzip {cpu / g_cpu:.1f}x (CPU)")
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
