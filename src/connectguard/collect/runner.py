"""``collect_snapshot``: the library entry point behind ``connectguard collect``, ``demo`` and ``audit --live``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import boto3

from connectguard import __version__
from connectguard.collect.account import assumed_reader, collect_iam, collect_organization, collect_saml_providers
from connectguard.collect.caller import AwsReader
from connectguard.collect.connect import InstanceCollector, list_instances
from connectguard.collect.regional import (
    TrailCache,
    arn_region,
    collect_alarms,
    collect_bucket,
    collect_directories,
    collect_kms_key,
    collect_lambda,
    collect_log_groups,
    collect_stream,
    collect_trails,
    relevant_alarms,
)
from connectguard.collect.tasks import URGENT, TaskGroup
from connectguard.config import CollectConfig
from connectguard.conventions import utc_now
from connectguard.inventory.model import CollectionStats, KmsKey, OrganizationContext, RegionInventory, Snapshot


@dataclass
class CollectOptions:
    regions: list[str] = field(default_factory=list)
    instance_ids: list[str] = field(default_factory=list)
    max_rps: float = 1.0
    max_attempts: int = 8
    concurrency: int = 8
    org_role: str | None = None
    # Organization runs read every account's SCP chain once from the management side and pass it here,
    # so the member account's collection does not try (and fail) to read it itself.
    organization: OrganizationContext | None = None
    log_archive_role: str | None = None

    @classmethod
    def from_config(cls, config: CollectConfig, **overrides: Any) -> CollectOptions:
        opts = cls(regions=list(config.regions), instance_ids=list(config.instance_ids), max_rps=config.max_rps,
                   max_attempts=config.max_attempts, concurrency=config.concurrency, org_role=config.org_role,
                   log_archive_role=config.log_archive_role)
        for key, value in overrides.items():
            if value not in (None, [], ()):
                setattr(opts, key, list(value) if isinstance(value, tuple) else value)
        return opts


class NoRegionError(ValueError):
    pass


def collect_snapshot(
    session: boto3.Session | None = None,
    regions: Iterable[str] | None = None,
    *,
    options: CollectOptions | None = None,
    config: CollectConfig | None = None,
    progress: Callable[[str], None] | None = None,
    reader: AwsReader | None = None,
) -> Snapshot:
    """Read one account's Connect estate into a :class:`Snapshot`. Read-only; never raises for an API failure.

    ``regions`` (or ``options.regions``, or the config's) default to the session's region.
    ``progress`` receives short phase descriptions.
    """
    session = session or boto3.Session()
    options = options or CollectOptions.from_config(config or CollectConfig())
    region_list = list(regions or options.regions or ([session.region_name] if session.region_name else []))
    if not region_list:
        raise NoRegionError("no region: pass --region or set AWS_REGION / AWS_DEFAULT_REGION")
    region_list = list(dict.fromkeys(region_list))
    reader = reader or AwsReader(session, max_rps=options.max_rps, max_attempts=options.max_attempts,
                                 concurrency=options.concurrency)
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    home = region_list[0]
    only = set(options.instance_ids) or None

    say("identity")
    account_id, partition = None, "aws"
    ident = reader.call("sts", home, "GetCallerIdentity", hides="account")
    if ident:
        account_id = ident.get("Account")
        partition = (ident.get("Arn") or "arn:aws").split(":")[1]

    snapshot = Snapshot(tool_version=__version__, collected_at=utc_now(), account_id=account_id, partition=partition,
                        regions=[RegionInventory(region=r) for r in region_list])
    raw_alarms: dict[str, list[dict] | None] = {}
    trail_cache = TrailCache()

    with TaskGroup(options.concurrency) as group:
        # Phase 1: everything that needs nothing else.
        say("Connect instances, IAM, organization, regional context")

        def account_iam() -> None:
            snapshot.iam = collect_iam(reader, home)

        def account_saml() -> None:
            snapshot.saml_providers = collect_saml_providers(reader, home)

        def account_org() -> None:
            if options.organization is not None:
                snapshot.organization = options.organization
                return
            snapshot.organization = collect_organization(reader, account_id, home, options.org_role)

        for inv in snapshot.regions:  # first: the instances' long per-profile streams set the wall time
            group.spawn(_region_instances, reader, inv, only, group, priority=URGENT)
        for fn in (account_iam, account_saml, account_org):
            group.spawn(fn)
        for inv in snapshot.regions:
            group.spawn(_set, inv, "directories", collect_directories, reader, inv.region)
            group.spawn(_set, inv, "trails", collect_trails, reader, inv.region, trail_cache)
            group.spawn(_set, inv, "log_groups", collect_log_groups, reader, inv.region)
            group.spawn(lambda inv=inv: raw_alarms.__setitem__(inv.region, collect_alarms(reader, inv.region)))
        group.wait()
        for inv in snapshot.regions:
            raw = raw_alarms.get(inv.region)
            inv.alarms = None if raw is None else relevant_alarms(raw, inv.log_groups)

        # Phase 2: streams and Lambda functions the instances point at.
        say("streams and Lambda functions")
        by_region = {inv.region: inv for inv in snapshot.regions}
        streams_seen: set[str] = set()
        lambdas_seen: set[str] = set()
        for inv, inst in snapshot.instances():
            for configs in (inst.storage_configs or {}).values():
                for sc in configs or []:
                    for arn, kind in ((sc.kinesis_stream_arn, "kinesis"), (sc.firehose_arn, "firehose")):
                        if arn and arn not in streams_seen:
                            streams_seen.add(arn)
                            target = by_region.get(arn_region(arn) or "", inv)
                            group.spawn(lambda a=arn, k=kind, t=target, r=inv.region:
                                        _append(t.streams, collect_stream(reader, a, k, r)))
            for arn in inst.lambda_functions or []:
                if arn not in lambdas_seen:
                    lambdas_seen.add(arn)
                    target = by_region.get(arn_region(arn) or "", inv)
                    group.spawn(lambda a=arn, t=target, r=inv.region:
                                _append(t.lambda_functions, collect_lambda(reader, a, r)))
        group.wait()

        # Phase 3: buckets and keys named by everything above.
        say("S3 buckets and KMS keys")
        buckets = _bucket_names(snapshot)
        # Trail buckets often live in a log-archive account: read those through its role when given.
        archive = assumed_reader(reader, options.log_archive_role, home, "s3_bucket") \
            if options.log_archive_role and _trail_buckets(snapshot) else None
        results: dict[str, Any] = {}
        for name in buckets:
            via = archive if archive is not None and name in _trail_buckets(snapshot) else reader
            group.spawn(lambda n=name, via=via: results.__setitem__(n, collect_bucket(via, n, home)))
        group.wait()
        snapshot.s3_buckets = [results[n] for n in buckets]

        key_refs = _kms_refs(snapshot)
        keys: dict[tuple[str, str], KmsKey] = {}
        for (ref, region) in key_refs:
            group.spawn(lambda ref=ref, region=region: keys.__setitem__((ref, region),
                                                                      collect_kms_key(reader, ref, region)))
        group.wait()
        _place_keys(snapshot, keys)

    for inv in snapshot.regions:
        inv.streams.sort(key=lambda s: s.arn)
        inv.lambda_functions.sort(key=lambda f: f.arn)
    snapshot.errors = sorted(reader.errors, key=lambda e: (e.region or "", e.instance_id or "", e.hides,
                                                           e.resource or "", e.operation))
    snapshot.stats = CollectionStats(calls=dict(sorted(reader.stats.calls.items())),
                                     throttled=dict(sorted(reader.stats.throttled.items())),
                                     duration_seconds=round(time.monotonic() - started, 3), max_rps=options.max_rps)
    return snapshot


def _set(target: Any, attr: str, fn: Callable[..., Any], *args: Any) -> None:
    setattr(target, attr, fn(*args))


def _append(items: list[Any], item: Any) -> None:
    items.append(item)  # list.append is atomic under the GIL


def _region_instances(reader: AwsReader, inv: RegionInventory, only: set[str] | None, group: TaskGroup) -> None:
    inv.instances = list_instances(reader, inv.region, only)
    for inst in inv.instances or []:
        InstanceCollector(reader, inv.region, inst, group).spawn_all()


def _trail_buckets(snapshot: Snapshot) -> set[str]:
    return {t.s3_bucket for inv in snapshot.regions for t in inv.trails or [] if t.s3_bucket}


def _bucket_names(snapshot: Snapshot) -> list[str]:
    names: dict[str, None] = {}
    for _inv, inst in snapshot.instances():
        for configs in (inst.storage_configs or {}).values():
            for sc in configs or []:
                if sc.s3_bucket:
                    names[sc.s3_bucket] = None
    for inv in snapshot.regions:
        for t in inv.trails or []:
            if t.s3_bucket:
                names[t.s3_bucket] = None
        for s in inv.streams:
            if s.destination_bucket:
                names[s.destination_bucket] = None
    return list(names)


def _kms_refs(snapshot: Snapshot) -> list[tuple[str, str]]:
    """(reference, region to ask) for every KMS key something points at."""
    refs: dict[tuple[str, str], None] = {}

    def add(ref: str | None, region: str) -> None:
        if ref:
            refs[(ref, arn_region(ref) or region)] = None

    for inv, inst in snapshot.instances():
        for configs in (inst.storage_configs or {}).values():
            for sc in configs or []:
                add(sc.kms_key_id, inv.region)
    for inv in snapshot.regions:
        for t in inv.trails or []:
            add(t.kms_key_id, t.home_region or inv.region)
        for g in inv.log_groups or []:
            add(g.kms_key_id, inv.region)
        for s in inv.streams:
            add(s.kms_key_id, arn_region(s.arn) or inv.region)
    home = snapshot.regions[0].region if snapshot.regions else "us-east-1"
    for b in snapshot.s3_buckets:
        if b.encryption and b.encryption.get("kms_key_id"):
            add(b.encryption["kms_key_id"], b.region or home)
    return list(refs)


def _place_keys(snapshot: Snapshot, keys: dict[tuple[str, str], KmsKey]) -> None:
    by_region = {inv.region: inv for inv in snapshot.regions}
    merged: dict[tuple[str, str], KmsKey] = {}
    for (ref, region), key in keys.items():
        ident = (region, key.arn or key.key_id)
        if ident in merged:
            merged[ident].referenced_as = sorted(set(merged[ident].referenced_as) | {ref})
        else:
            merged[ident] = key
    for (region, _), key in sorted(merged.items()):
        target = by_region.get(region) or snapshot.regions[0]
        target.kms_keys.append(key)
