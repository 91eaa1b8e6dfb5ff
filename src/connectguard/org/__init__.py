"""Organization-wide runs: enumerate accounts, collect each through an assumed role, index the snapshots."""
