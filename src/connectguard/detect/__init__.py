"""CloudTrail detection for Amazon Connect: a Sigma rule pack, a local DuckDB engine, Athena and EventBridge emitters."""
