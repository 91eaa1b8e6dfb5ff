"""[cloudtrail] A trail records Connect's API calls, verifiably and encrypted."""

from __future__ import annotations

from collections.abc import Iterator

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import account_resource
from connectguard.checks._logging_common import all_trails
from connectguard.conventions import Practice, Severity, Status
from connectguard.inventory.model import Trail


def _regions_with_instances(ctx: CheckContext) -> list[str]:
    return [r.region for r in ctx.snapshot.regions if r.instances is None or r.instances]


def covers(trail: Trail, region: str) -> bool | None:
    """True when ``trail`` records Connect management events in ``region``; None when its status was not seen."""
    if not (trail.is_multi_region or trail.home_region == region):
        return False
    if trail.excludes_connect_events:
        return False
    if trail.is_logging is False or trail.management_events is False:
        return False
    if trail.read_write_type == "ReadOnly":
        return False
    if trail.is_logging is None or trail.management_events is None:
        return None
    return True


def covering_trails(ctx: CheckContext) -> list[Trail]:
    trails = all_trails(ctx) or []
    regions = _regions_with_instances(ctx)
    return [t for t in trails if any(covers(t, r) is not False for r in regions)]


def _unseen_errors(ctx: CheckContext, region: str) -> list:
    """Why a region's trail coverage is unknown: the trails' errors, then (if unseen) the region's instances'."""
    errors = list(ctx.snapshot.errors_for("cloudtrail", region=region))
    inventory = next((r for r in ctx.snapshot.regions if r.region == region), None)
    if inventory is not None and inventory.instances is None:
        errors += ctx.snapshot.errors_for("instances", region=region)
    return errors


def _trails_unseen(ctx: CheckContext) -> Iterator[Result]:
    """When no region's trails were seen, the per-trail checks cannot say anything either."""
    if all_trails(ctx) is None:
        for region in _regions_with_instances(ctx):
            yield ctx.unknown(account_resource(ctx, region), "the account's CloudTrail trails",
                              _unseen_errors(ctx, region), region=region)


@check(
    id="trail-not-covering-connect",
    title="No CloudTrail trail records Connect's management events in a region with instances",
    practice=Practice.CLOUDTRAIL,
    severity=Severity.HIGH,
    rationale="""All public Connect APIs log to CloudTrail: user and security-profile changes, flow updates through
    the API, UpdateInstanceAttribute (turning flow logs off), emergency-access logins. The event history keeps
    90 days and cannot be alarmed on; only a trail keeps the record and feeds detection.""",
    remediation="""Create a multi-region trail (or an organization trail) that logs management events (read and
    write) to an S3 bucket with a lifecycle: `aws cloudtrail create-trail --name org-trail --s3-bucket-name B
    --is-multi-region-trail --enable-log-file-validation --kms-key-id KEY` then `aws cloudtrail start-logging`.""",
    detects="""One result per region that holds Connect instances: PASS when a trail is multi-region (or homed
    there) or an organization trail, is logging, records management events (All or WriteOnly) and does not exclude
    connect.amazonaws.com; UNKNOWN when trails or their status were not seen.""",
    before="""aws cloudtrail describe-trails
{"trailList": []}""",
    after="""aws cloudtrail create-trail --name connect-trail --s3-bucket-name acme-cloudtrail \\
  --is-multi-region-trail --enable-log-file-validation --kms-key-id alias/cloudtrail
aws cloudtrail start-logging --name connect-trail""",
)
def trail_not_covering_connect(ctx: CheckContext) -> Iterator[Result]:
    trails = all_trails(ctx)
    for region in _regions_with_instances(ctx):
        resource = account_resource(ctx, region)
        if trails is None:
            yield ctx.unknown(resource, "the account's CloudTrail trails", _unseen_errors(ctx, region),
                              region=region)
            continue
        verdicts = {t.name: covers(t, region) for t in trails}
        good = [n for n, v in verdicts.items() if v]
        unsure = [n for n, v in verdicts.items() if v is None]
        evidence = {"trails": {t.name: {"multi_region": t.is_multi_region, "organization": t.is_organization_trail,
                                         "home_region": t.home_region, "logging": t.is_logging,
                                         "management_events": t.management_events,
                                         "read_write_type": t.read_write_type,
                                         "excludes_connect_events": t.excludes_connect_events} for t in trails}}
        if good:
            yield Result(resource, Status.PASS, f"trail {good[0]} records Connect management events in {region}",
                         evidence=evidence, region=region)
        elif unsure:
            errors = ctx.snapshot.errors_for("trail.status")
            result = ctx.unknown(resource, f"the logging status or event selectors of trail {unsure[0]}", errors,
                                 region=region)
            result.evidence.update(evidence)
            yield result
        else:
            yield Result(resource, Status.FAIL, f"no trail records Connect management events in {region}",
                         evidence=evidence, region=region)


@check(
    id="trail-log-validation-off",
    title="The trail recording Connect does not validate its log files",
    practice=Practice.CLOUDTRAIL,
    severity=Severity.MEDIUM,
    rationale="""Log-file validation writes signed digest files, so an investigator can prove that no log file was
    changed or deleted after delivery. Without it, an attacker with access to the bucket can edit the record of
    what they did.""",
    remediation="""`aws cloudtrail update-trail --name TRAIL --enable-log-file-validation`.""",
    detects="One result per trail that covers a region with Connect instances.",
    before="""{"Name": "connect-trail", "LogFileValidationEnabled": false}""",
    after="""aws cloudtrail update-trail --name connect-trail --enable-log-file-validation""",
)
def trail_log_validation_off(ctx: CheckContext) -> Iterator[Result]:
    yield from _trails_unseen(ctx)
    for trail in covering_trails(ctx):
        evidence = {"trail": trail.name, "log_file_validation": trail.log_file_validation}
        status = Status.PASS if trail.log_file_validation else Status.FAIL
        msg = "validates" if trail.log_file_validation else "does not validate"
        yield Result(trail.arn, status, f"trail {trail.name} {msg} its log files", evidence=evidence,
                     region=trail.home_region)


@check(
    id="trail-not-kms-encrypted",
    title="The trail recording Connect is not encrypted with a KMS key",
    practice=Practice.CLOUDTRAIL,
    severity=Severity.LOW,
    rationale="""With SSE-KMS, reading the trail's logs needs kms:Decrypt on a key whose use is itself logged, a
    second control on top of the bucket policy for a record that includes user names and source IPs.""",
    remediation="""`aws cloudtrail update-trail --name TRAIL --kms-key-id alias/cloudtrail` (the key policy must
    allow cloudtrail.amazonaws.com to GenerateDataKey).""",
    detects="One result per trail that covers a region with Connect instances.",
    before="""{"Name": "connect-trail", "KmsKeyId": null}""",
    after="""aws cloudtrail update-trail --name connect-trail --kms-key-id alias/cloudtrail""",
)
def trail_not_kms_encrypted(ctx: CheckContext) -> Iterator[Result]:
    yield from _trails_unseen(ctx)
    for trail in covering_trails(ctx):
        evidence = {"trail": trail.name, "kms_key_id": trail.kms_key_id}
        if trail.kms_key_id:
            yield Result(trail.arn, Status.PASS, f"trail {trail.name} is encrypted with {trail.kms_key_id}",
                         evidence=evidence, region=trail.home_region)
        else:
            yield Result(trail.arn, Status.FAIL, f"trail {trail.name} is not encrypted with a KMS key",
                         evidence=evidence, region=trail.home_region)
