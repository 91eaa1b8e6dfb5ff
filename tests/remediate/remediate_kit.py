"""Collecting the simulated estate fast (quota off, high rate) for the remediation tests."""

from __future__ import annotations

import boto3

from connectguard.collect.runner import CollectOptions, collect_snapshot
from connectguard.inventory.model import Snapshot

FAST_RPS = 500.0


def collect(regions: list[str]) -> Snapshot:
    return collect_snapshot(boto3.Session(), regions, options=CollectOptions(max_rps=FAST_RPS, max_attempts=4))
