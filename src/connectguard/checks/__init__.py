"""Built-in checks: one module per check (or per small family), named for what it catches.

Every module here is imported by the registry; a module registers its checks with
``@connectguard.audit.registry.check``. Checks are pure functions of the snapshot and
the configuration. See docs/checks.md (generated from the metadata) for the list.
"""
