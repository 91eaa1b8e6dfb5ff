"""The read-only collector: AWS -> :class:`connectguard.inventory.model.Snapshot`."""

from connectguard.collect.catalogue import ForbiddenOperation, required_policy
from connectguard.collect.runner import CollectOptions, NoRegionError, collect_snapshot

__all__ = ["CollectOptions", "ForbiddenOperation", "NoRegionError", "collect_snapshot", "required_policy"]
