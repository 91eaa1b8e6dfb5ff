"""Helpers shared by checks: iterating instances fail-closed, building resources."""

from __future__ import annotations

from collections.abc import Iterator

from connectguard.audit.registry import CheckContext, Result
from connectguard.inventory.model import Instance, RegionInventory


def account_resource(ctx: CheckContext, region: str = "") -> str:
    snap = ctx.snapshot
    return f"arn:{snap.partition}:connect:{region}:{snap.account_id or 'unknown'}:account"


def each_instance(ctx: CheckContext) -> Iterator[tuple[RegionInventory, Instance] | Result]:
    """Yield (region, instance) pairs, or an UNKNOWN Result for a region whose instances were not seen.

    A check loops ``for item in each_instance(ctx)`` and passes Results straight through,
    so a denied ListInstances makes every check UNKNOWN for that region instead of
    silently reporting nothing.
    """
    for region in ctx.snapshot.regions:
        if region.instances is None:
            errors = ctx.snapshot.errors_for("instances", region=region.region)
            yield ctx.unknown(account_resource(ctx, region.region), "the region's Connect instances", errors,
                              region=region.region)
            continue
        for instance in region.instances:
            yield region, instance


def instance_unknown(ctx: CheckContext, region: RegionInventory, instance: Instance, hides: str, what: str,
                     *, resource: str | None = None) -> Result:
    errors = ctx.snapshot.errors_for(hides, region=region.region, instance_id=instance.id)
    return ctx.unknown(resource or instance.arn, what, errors, region=region.region)


def instance_label(instance: Instance) -> str:
    return f"{instance.alias or instance.id}"
