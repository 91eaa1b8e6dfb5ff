"""Administration of the screening table: create it, edit the deny list, check a number, stats.

Everything goes through boto3's standard chain (credentials, region,
``AWS_ENDPOINT_URL_DYNAMODB``), so it works against DynamoDB, DynamoDB Local or
moto alike. Pure helpers (CSV, expiry parsing, masking) are separate from the few
functions that call DynamoDB. Not imported by the Lambda handler.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import ClientError

from connectguard.fraud import core, numbers, store

CSV_COLUMNS = ("number", "prefix", "reason", "expires")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_REASON = 200


class AdminInputError(ValueError):
    """A bad value given by the user (number, prefix, expiry)."""


# -- pure helpers ---------------------------------------------------------------------------


def parse_expires(text: str | None, now: float) -> int | None:
    """``30d`` / ``12h`` / ``90m`` / ``2w`` / ``3600s`` or an ISO-8601 time (a date means its midnight UTC).

    Returns epoch seconds; a time in the past is an error (the entry would never match).
    """
    if text is None or not text.strip():
        return None
    match = _DURATION.match(text)
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise AdminInputError(f"expiry duration must be positive: {text.strip()!r}")
        return int(now) + amount * _UNIT_SECONDS[match.group(2).lower()]
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise AdminInputError(
            f"expiry {raw!r} is neither an ISO-8601 time (2026-12-31T18:00:00Z) nor a duration (30d, 12h)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    epoch = int(moment.timestamp())
    if epoch <= now:
        raise AdminInputError(f"expiry {raw!r} is in the past")
    return epoch


def make_entry(
    *, number: str | None, prefix: str | None, reason: str, expires: str | None, country: str, now: float
) -> core.DenyEntry:
    """Validate one deny entry as given by a user (CLI argument or CSV row)."""
    if bool(number) == bool(prefix):
        raise AdminInputError("give exactly one of a number or a prefix")
    if len(reason) > MAX_REASON:
        raise AdminInputError(f"reason longer than {MAX_REASON} characters")
    expires_at = parse_expires(expires, now)
    if prefix:
        value = numbers.normalise_prefix(prefix)
        if value is None:
            raise AdminInputError(f"{prefix!r} is not an international number prefix such as +1900 or +4470")
        return core.DenyEntry(value, True, reason, expires_at=expires_at)
    normalised = numbers.normalise(number, country)
    if normalised.status != numbers.OK or normalised.e164 is None:
        raise AdminInputError(f"{number!r} is not a possible phone number (default country {country})")
    return core.DenyEntry(normalised.e164, False, reason, expires_at=expires_at)


@dataclass
class CsvImport:
    entries: list[tuple[int, core.DenyEntry]] = field(default_factory=list)  # (line, entry)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def parse_csv(text: str, *, country: str, now: float) -> CsvImport:
    """Rows of ``number,prefix,reason,expires`` (header required; one of number/prefix per row).

    Bad rows are reported with their line number; good rows are kept. A later row for
    the same number replaces an earlier one (and is reported, since it is probably a mistake).
    """
    result = CsvImport()
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "number" not in header and "prefix" not in header:
        result.errors.append((1, "header must name a 'number' or 'prefix' column (columns: number,prefix,reason,expires)"))
        return result
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        result.errors.append((1, f"unknown column(s) {', '.join(unknown)}; expected {','.join(CSV_COLUMNS)}"))
        return result
    reader.fieldnames = header
    seen: dict[tuple[str, bool], int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            result.errors.append((line, "more fields than the header has columns"))
            continue
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue  # blank line
        try:
            entry = make_entry(
                number=values.get("number") or None,
                prefix=values.get("prefix") or None,
                reason=values.get("reason", ""),
                expires=values.get("expires") or None,
                country=country,
                now=now,
            )
        except AdminInputError as exc:
            result.errors.append((line, str(exc)))
            continue
        key = (entry.value, entry.is_prefix)
        if key in seen:
            result.errors.append((line, f"duplicate of line {seen[key]}; this row replaces it"))
            result.entries = [(ln, e) for ln, e in result.entries if (e.value, e.is_prefix) != key]
        seen[key] = line
        result.entries.append((line, entry))
    return result


def export_csv(entries: Iterable[core.DenyEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        expires = iso(entry.expires_at) if entry.expires_at is not None else ""
        writer.writerow(
            ["" if entry.is_prefix else entry.value, entry.value if entry.is_prefix else "", entry.reason, expires]
        )
    return out.getvalue()


def iso(epoch: int | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def mask(e164: str) -> str:
    """``+12065550100`` -> ``+1206555****``: enough to recognise a range, not to dial."""
    return e164[:-4] + "****" if len(e164) > 6 else "****"


def entry_item(entry: core.DenyEntry, *, added_by: str, now: float) -> dict[str, dict[str, str]]:
    pk, sk = (core.PREFIX_PK, entry.value) if entry.is_prefix else (core.ani_pk(entry.value), core.DENY_SK)
    item = {
        "pk": {"S": pk},
        "sk": {"S": sk},
        core.KIND_ATTR: {"S": core.KIND_DENY},
        "reason": {"S": entry.reason},
        "added_by": {"S": added_by},
        "added_at": {"N": str(int(now))},
    }
    if entry.expires_at is not None:
        item[core.TTL_ATTR] = {"N": str(entry.expires_at)}
    return item


def entry_from_table(item: dict[str, object]) -> core.DenyEntry:
    pk = str(item["pk"])
    if pk == core.PREFIX_PK:
        return core.entry_from_item(item, value=str(item["sk"]), is_prefix=True)
    return core.entry_from_item(item, value=pk[len(core.ANI_PK_PREFIX):], is_prefix=False)


# -- DynamoDB operations ----------------------------------------------------------------------


def client(*, region: str | None = None) -> Any:
    """An admin client: the standard chain throughout (credentials, region, endpoint, and
    retries via AWS_RETRY_MODE / AWS_MAX_ATTEMPTS or the profile)."""
    import boto3

    return boto3.client("dynamodb", region_name=region)


def caller_identity(*, region: str | None = None) -> str:
    """Who is changing the deny list (recorded as ``added_by``)."""
    import boto3

    try:
        return str(boto3.client("sts", region_name=region).get_caller_identity()["Arn"])
    except Exception:  # noqa: BLE001 - an audit note, not worth failing the change for
        return "unknown"


def describe(client: Any, table: str) -> dict[str, Any] | None:
    try:
        return client.describe_table(TableName=table)["Table"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


def ttl_enabled(client: Any, table: str) -> bool:
    desc = client.describe_time_to_live(TableName=table).get("TimeToLiveDescription", {})
    return desc.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and desc.get("AttributeName") == core.TTL_ATTR


def init_plan(client: Any, table: str) -> list[str]:
    """What `init` would do (empty: nothing to do). Raises AdminInputError on an incompatible table."""
    existing = describe(client, table)
    if existing is None:
        return [
            f"create table {table} (pk/sk strings, on-demand, GSI {core.DENY_INDEX})",
            f"enable TTL on {core.TTL_ATTR}",
        ]
    keys = {k["AttributeName"]: k["KeyType"] for k in existing.get("KeySchema", [])}
    if keys != {"pk": "HASH", "sk": "RANGE"}:
        raise AdminInputError(f"table {table} exists with a different key schema {keys}; choose another --table")
    plan = []
    if core.DENY_INDEX not in {g["IndexName"] for g in existing.get("GlobalSecondaryIndexes", [])}:
        plan.append(f"add GSI {core.DENY_INDEX} to {table}")
    if not ttl_enabled(client, table):
        plan.append(f"enable TTL on {core.TTL_ATTR}")
    return plan


def init_table(client: Any, table: str) -> None:
    """Create the table (or complete an existing one) and turn TTL on. Idempotent."""
    existing = describe(client, table)
    if existing is None:
        client.create_table(
            TableName=table,
            KeySchema=core.KEY_SCHEMA,
            AttributeDefinitions=core.ATTRIBUTE_DEFINITIONS,
            GlobalSecondaryIndexes=core.GLOBAL_SECONDARY_INDEXES,
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True},
        )
        client.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 2, "MaxAttempts": 60})
    elif core.DENY_INDEX not in {g["IndexName"] for g in existing.get("GlobalSecondaryIndexes", [])}:
        client.update_table(
            TableName=table,
            AttributeDefinitions=core.ATTRIBUTE_DEFINITIONS,
            GlobalSecondaryIndexUpdates=[{"Create": core.GLOBAL_SECONDARY_INDEXES[0]}],
        )
    if not ttl_enabled(client, table):
        client.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": core.TTL_ATTR}
        )


def get_entry(client: Any, table: str, value: str, is_prefix: bool) -> core.DenyEntry | None:
    pk, sk = (core.PREFIX_PK, value) if is_prefix else (core.ani_pk(value), core.DENY_SK)
    item = client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True).get("Item")
    return entry_from_table(store.plain(item)) if item else None


def same_entry(a: core.DenyEntry | None, b: core.DenyEntry) -> bool:
    return a is not None and (a.value, a.is_prefix, a.reason, a.expires_at) == (b.value, b.is_prefix, b.reason, b.expires_at)


def put_entry(client: Any, table: str, entry: core.DenyEntry, *, added_by: str, now: float) -> None:
    client.put_item(TableName=table, Item=entry_item(entry, added_by=added_by, now=now))


def put_entries(client: Any, table: str, entries: Iterable[core.DenyEntry], *, added_by: str, now: float) -> int:
    """BatchWriteItem in chunks of 25, resubmitting unprocessed items with backoff."""
    written = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal written, batch
        pending = {table: batch}
        for attempt in range(10):
            response = client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 2.0))
        else:
            raise RuntimeError(f"{len(pending.get(table, []))} deny entries stayed unprocessed after 10 attempts")
        written += len(batch)
        batch = []

    for entry in entries:
        batch.append({"PutRequest": {"Item": entry_item(entry, added_by=added_by, now=now)}})
        if len(batch) == 25:
            flush()
    if batch:
        flush()
    return written


def remove_entry(client: Any, table: str, value: str, is_prefix: bool) -> bool:
    pk, sk = (core.PREFIX_PK, value) if is_prefix else (core.ani_pk(value), core.DENY_SK)
    response = client.delete_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ReturnValues="ALL_OLD")
    return bool(response.get("Attributes"))


def iter_entries(client: Any, table: str) -> Iterator[core.DenyEntry]:
    """Every deny entry (exact and prefix, expired ones included) from the sparse GSI."""
    kwargs: dict[str, Any] = {
        "TableName": table,
        "IndexName": core.DENY_INDEX,
        "KeyConditionExpression": "#kind = :deny",
        "ExpressionAttributeNames": {"#kind": core.KIND_ATTR},
        "ExpressionAttributeValues": {":deny": {"S": core.KIND_DENY}},
    }
    while True:
        response = client.query(**kwargs)
        for item in response.get("Items", []):
            yield entry_from_table(store.plain(item))
        if "LastEvaluatedKey" not in response:
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def list_entries(client: Any, table: str) -> list[core.DenyEntry]:
    return sorted(iter_entries(client, table), key=lambda e: (e.is_prefix, e.value))


@dataclass
class Stats:
    exact: int = 0
    prefixes: int = 0
    expired_not_deleted: int = 0
    contacts_last_hour: int = 0
    contacts_last_day: int = 0
    contacts_retained: int = 0
    numbers_seen: int = 0
    busiest_last_hour: list[tuple[str, int]] = field(default_factory=list)  # (masked number, contacts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deny_list": {"exact": self.exact, "prefixes": self.prefixes, "expired_not_deleted": self.expired_not_deleted},
            "activity": {
                "contacts_last_hour": self.contacts_last_hour,
                "contacts_last_day": self.contacts_last_day,
                "contacts_retained": self.contacts_retained,
                "numbers_seen": self.numbers_seen,
                "busiest_last_hour": [{"number": n, "contacts": c} for n, c in self.busiest_last_hour],
            },
        }


def collect_stats(client: Any, table: str, now: float, *, top: int = 5) -> Stats:
    """Deny-list counts from the GSI; activity from one paginated Scan of keys only.

    The Scan reads the whole table (about 7 days of contacts): run it occasionally, not from a hot loop.
    """
    stats = Stats()
    for entry in iter_entries(client, table):
        if not entry.active(now):
            stats.expired_not_deleted += 1
        elif entry.is_prefix:
            stats.prefixes += 1
        else:
            stats.exact += 1
    per_number: Counter[str] = Counter()
    numbers_seen: set[str] = set()
    hour_start, day_start = now - 3600, now - 86400
    kwargs: dict[str, Any] = {
        "TableName": table,
        "ProjectionExpression": "pk, sk, #exp",
        "ExpressionAttributeNames": {"#exp": core.TTL_ATTR},
    }
    while True:
        response = client.scan(**kwargs)
        for raw in response.get("Items", []):
            item = store.plain(raw)
            sk = str(item.get("sk", ""))
            if not sk.startswith(core.CALL_SK_PREFIX):
                continue
            expires = item.get(core.TTL_ATTR)
            if expires is not None and int(expires) <= now:  # type: ignore[call-overload]
                continue
            stats.contacts_retained += 1
            number = str(item["pk"])[len(core.ANI_PK_PREFIX):]
            numbers_seen.add(number)
            at = int(sk.split("#")[1])
            if at >= day_start:
                stats.contacts_last_day += 1
            if at >= hour_start:
                stats.contacts_last_hour += 1
                per_number[number] += 1
        if "LastEvaluatedKey" not in response:
            break
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    stats.numbers_seen = len(numbers_seen)
    stats.busiest_last_hour = [(mask(n), c) for n, c in per_number.most_common(top)]
    return stats
