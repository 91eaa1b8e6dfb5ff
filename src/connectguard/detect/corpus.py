"""Synthetic CloudTrail: one realistic event builder and a corpus generator.

Used by the tests (small corpora with known planted events) and by
``bench/bench_detect.py`` (hundreds of thousands of events). The events follow the
shape AWS delivers (CloudTrail record version 1.08/1.09, ``{"Records": [...]}`` files,
the S3 key layout ``AWSLogs/<account>/CloudTrail/<region>/yyyy/MM/dd/``), and include
the two shapes that break naive readers: keys that appear in only a few files, and S3
tagging events whose requestParameters hold keys that differ only by case.

Deterministic for a given seed, so a benchmark run is repeatable.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
ORG_ID = "o-exampleorg1"
INSTANCE_ID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def user_identity(arn: str = f"arn:aws:sts::{ACCOUNT}:assumed-role/Ops/alice", account: str = ACCOUNT) -> dict[str, Any]:
    """An AssumedRole (or IAMUser) identity block as CloudTrail writes it."""
    if ":assumed-role/" in arn:
        role = arn.split("/")[1]
        return {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLEID:{arn.rsplit('/', 1)[-1]}",
            "arn": arn,
            "accountId": account,
            "accessKeyId": "ASIAEXAMPLEKEY",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLEID",
                    "arn": f"arn:aws:iam::{account}:role/{role}",
                    "accountId": account,
                    "userName": role,
                },
                "attributes": {"creationDate": "2026-11-01T08:00:00Z", "mfaAuthenticated": "false"},
            },
        }
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLEID",
        "arn": arn,
        "accountId": account,
        "accessKeyId": "AKIAEXAMPLEKEY",
        "userName": arn.rsplit("/", 1)[-1],
    }


def make_event(
    event_name: str,
    event_source: str,
    *,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    time: str = "2026-11-01T12:00:00Z",
    actor: str = f"arn:aws:sts::{ACCOUNT}:assumed-role/Ops/alice",
    region: str = "us-east-1",
    account: str = ACCOUNT,
    source_ip: str = "198.51.100.7",
    error_code: str | None = None,
    read_only: bool = False,
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One CloudTrail management event; keys absent when CloudTrail would omit them."""
    event: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": user_identity(actor, account),
        "eventTime": time,
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": "aws-cli/2.17.0 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2023",
        "requestParameters": request,
        "responseElements": response,
        "requestID": str(uuid.UUID(int=random.getrandbits(128))),
        "eventID": event_id or str(uuid.UUID(int=random.getrandbits(128))),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{event_source.split('.')[0]}.{region}.amazonaws.com",
        },
    }
    if error_code:
        event["errorCode"] = error_code
        event["errorMessage"] = f"User: {actor} is not authorized to perform: {event_name}"
        event["responseElements"] = None
    event.update(extra)
    return event


# Background traffic: (weight, eventSource, eventName, readOnly, request factory).
def _background(rng: random.Random) -> list[tuple[int, str, str, bool, Any]]:
    inst = INSTANCE_ID
    return [
        (30, "s3.amazonaws.com", "GetBucketAcl", True, lambda: {"bucketName": f"logs-{rng.randint(1, 40)}", "acl": ""}),
        (20, "ec2.amazonaws.com", "DescribeInstances", True, lambda: {"maxResults": 1000, "filterSet": {}}),
        (12, "sts.amazonaws.com", "AssumeRole", True, lambda: {
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/App{rng.randint(1, 9)}",
            "roleSessionName": f"s{rng.randint(1, 10**6)}", "durationSeconds": 3600}),
        (10, "kms.amazonaws.com", "Decrypt", True, lambda: {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
        (8, "connect.amazonaws.com", "ListUsers", True, lambda: {"InstanceId": inst, "MaxResults": 100}),
        (6, "connect.amazonaws.com", "DescribeUser", True, lambda: {"InstanceId": inst, "UserId": str(uuid.UUID(int=rng.getrandbits(128)))}),
        (5, "connect.amazonaws.com", "GetContactAttributes", True, lambda: {
            "InitialContactId": str(uuid.UUID(int=rng.getrandbits(128))), "InstanceId": inst}),
        (4, "iam.amazonaws.com", "GetRole", True, lambda: {"roleName": f"App{rng.randint(1, 9)}"}),
        (3, "logs.amazonaws.com", "CreateLogStream", False, lambda: {
            "logGroupName": f"/aws/connect/{inst}", "logStreamName": f"{rng.randint(1, 10**9)}"}),
        (2, "s3.amazonaws.com", "PutBucketTagging", False, lambda: {
            # Both spellings, as real S3 tagging events carry (the case-duplicate trap).
            "bucketName": f"data-{rng.randint(1, 40)}", "tagging": "",
            "Tagging": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                        "TagSet": {"Tag": {"Key": "team", "Value": "cx"}}}}),
        (2, "connect.amazonaws.com", "UpdateUserRoutingProfile", False, lambda: {
            "InstanceId": inst, "UserId": str(uuid.UUID(int=rng.getrandbits(128))),
            "RoutingProfileId": "rp-1"}),
        (1, "signin.amazonaws.com", "ConsoleLogin", False, lambda: None),
    ]


def generate_records(count: int, *, seed: int = 7, start: str = "2026-11-01T00:00:00Z") -> Iterator[dict[str, Any]]:
    """``count`` background events, one second apart, with occasional rare keys."""
    rng = random.Random(seed)
    random.seed(seed)  # make_event's ids
    table = _background(rng)
    weights = [w for w, *_ in table]
    t0 = dt.datetime.fromisoformat(start)
    actors = [f"arn:aws:sts::{ACCOUNT}:assumed-role/{r}/{u}" for r in ("Ops", "App1", "Ci") for u in ("alice", "bob", "svc")]
    for i in range(count):
        _, source, name, ro, req = rng.choices(table, weights)[0]
        event = make_event(
            name, source, request=req(), read_only=ro,
            time=(t0 + dt.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            actor=rng.choice(actors), region=rng.choice(("us-east-1", "eu-west-2")),
            source_ip=f"203.0.113.{rng.randint(1, 254)}",
        )
        if name == "ConsoleLogin":
            event["additionalEventData"] = {"MFAUsed": rng.choice(("Yes", "No")), "LoginTo": "https://console.aws.amazon.com"}
            event["responseElements"] = {"ConsoleLogin": "Success"}
        if rng.random() < 0.002:  # rare envelope keys a sampling reader would never see
            event["sharedEventID"] = str(uuid.UUID(int=rng.getrandbits(128)))
            event["vpcEndpointId"] = "vpce-0example"
        yield event


def write_corpus(
    root: Path,
    events: int,
    *,
    per_file: int = 1000,
    seed: int = 7,
    planted: list[dict[str, Any]] | None = None,
    account: str = ACCOUNT,
) -> list[Path]:
    """Write ``events`` records as CloudTrail delivers them: ``.json.gz`` files of ``per_file`` records
    under ``AWSLogs/<account>/CloudTrail/<region>/yyyy/MM/dd/``. ``planted`` events are spread
    evenly through the files. Returns the files written."""
    planted = list(planted or [])
    paths: list[Path] = []
    batch: list[dict[str, Any]] = []
    n_files = max(1, -(-events // per_file))
    per_flush = -(-len(planted) // n_files) if planted else 0  # spread evenly, every file gets some

    def flush(index: int) -> None:
        for _ in range(min(per_flush, len(planted))):
            batch.append(planted.pop(0))
        first = batch[0]
        day = first["eventTime"][:10].replace("-", "/")
        stamp = first["eventTime"].replace("-", "").replace(":", "")[:13] + "Z"
        directory = root / "AWSLogs" / account / "CloudTrail" / first["awsRegion"] / day
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{account}_CloudTrail_{first['awsRegion']}_{stamp}_{index:06d}.json.gz"
        with gzip.open(path, "wb", compresslevel=6) as fh:
            fh.write(json.dumps({"Records": batch}).encode())
        paths.append(path)
        batch.clear()

    index = 0
    for event in generate_records(events, seed=seed):
        batch.append(event)
        if len(batch) == per_file:
            flush(index)
            index += 1
    if batch:
        flush(index)
        index += 1
    while planted:  # more planted events than files
        batch.append(planted.pop(0))
        flush(index)
        index += 1
    return paths
