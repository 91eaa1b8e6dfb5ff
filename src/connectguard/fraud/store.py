"""DynamoDB access for the screening Lambda: one Query and one PutItem per decision.

Uses the low-level client (cheaper to create than a boto3 resource at cold start)
and the standard credential/endpoint chain, so ``AWS_ENDPOINT_URL_DYNAMODB`` points
it at DynamoDB Local or a moto server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config

from connectguard.fraud import core


def make_client(*, deadline_ms: int = 2000, region: str | None = None, endpoint_url: str | None = None) -> Any:
    """A DynamoDB client whose every call is bounded well inside the deadline."""
    seconds = max(deadline_ms / 1000.0, 0.05)
    config = Config(
        connect_timeout=min(1.0, seconds),
        read_timeout=seconds,
        # One retry; legacy mode backs off 50 ms for DynamoDB where standard mode waits up to 1 s.
        retries={"mode": "legacy", "total_max_attempts": 2},
        max_pool_connections=64,
        tcp_keepalive=True,
    )
    return boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url, config=config)


def plain(item: Mapping[str, Mapping[str, str]]) -> dict[str, object]:
    """DynamoDB wire format -> plain dict, for the S and N attributes this table uses."""
    out: dict[str, object] = {}
    for name, typed in item.items():
        if "S" in typed:
            out[name] = typed["S"]
        elif "N" in typed:
            out[name] = int(float(typed["N"]))
    return out


def query_number(client: Any, table: str, e164: str, since_sk: str, limit: int) -> list[dict[str, object]]:
    """Request 1: the number's deny item and its newest contacts since ``since_sk``."""
    response = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND sk >= :since",
        ExpressionAttributeValues={":pk": {"S": core.ani_pk(e164)}, ":since": {"S": since_sk}},
        ExpressionAttributeNames={"#exp": core.TTL_ATTR, "#reason": "reason"},
        ProjectionExpression="sk, #exp, #reason, added_at, added_by",
        ScanIndexForward=False,  # DENY first, then the newest contacts
        Limit=limit,
    )
    return [plain(item) for item in response.get("Items", [])]


def put_activity(client: Any, table: str, e164: str, contact_id: str, now: float, ttl_days: int) -> None:
    """Request 2: record this contact (TTL-expiring)."""
    client.put_item(
        TableName=table,
        Item={
            "pk": {"S": core.ani_pk(e164)},
            "sk": {"S": core.call_sk(int(now), contact_id)},
            core.TTL_ATTR: {"N": str(int(now) + ttl_days * 86400)},
        },
    )


def load_prefixes(client: Any, table: str) -> list[core.DenyEntry]:
    """Every deny range (few by design), for the in-memory cache."""
    entries: list[core.DenyEntry] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": core.PREFIX_PK}},
    }
    while True:
        response = client.query(**kwargs)
        for item in response.get("Items", []):
            data = plain(item)
            entries.append(core.entry_from_item(data, value=str(data["sk"]), is_prefix=True))
        if "LastEvaluatedKey" not in response:
            return entries
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
