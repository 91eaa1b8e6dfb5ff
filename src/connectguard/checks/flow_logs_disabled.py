"""[flow-logging] The instance attribute that lets flows write logs to CloudWatch."""

from __future__ import annotations

from collections.abc import Iterator

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label, instance_unknown
from connectguard.conventions import Practice, Severity, Status


@check(
    id="flow-logs-disabled",
    title="Flow logging is turned off on the instance",
    practice=Practice.FLOW_LOGGING,
    severity=Severity.MEDIUM,
    rationale="""Without the CONTACTFLOW_LOGS attribute no flow can write to CloudWatch, so failed Lambda calls,
    unexpected branches and abuse of the IVR leave no trace and no alarm can fire. (This is the one thing AWS
    Security Hub control Connect.2 checks; connectguard's flow checks go further.)""",
    remediation="""Turn on flow logs for the instance: `aws connect update-instance-attribute --instance-id ID
    --attribute-type CONTACTFLOW_LOGS --value true` (or `connectguard fix --apply`), then add a Set logging
    behavior block to every flow.""",
    before="""aws connect describe-instance-attribute --instance-id ID --attribute-type CONTACTFLOW_LOGS
{"Attribute": {"AttributeType": "CONTACTFLOW_LOGS", "Value": "false"}}""",
    after="""aws connect update-instance-attribute --instance-id ID \\
  --attribute-type CONTACTFLOW_LOGS --value true""",
)
def flow_logs_disabled(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        value = instance.attribute("CONTACTFLOW_LOGS")
        if value is None:
            yield instance_unknown(ctx, region, instance, "instance.attributes", "the instance's attributes")
            continue
        evidence = {"attribute": "CONTACTFLOW_LOGS", "value": value}
        if value.strip().lower() == "true":
            yield Result(instance.arn, Status.PASS, f"flow logs are enabled on {instance_label(instance)}",
                         evidence=evidence, region=region.region)
        else:
            yield Result(instance.arn, Status.FAIL, f"flow logs are disabled on {instance_label(instance)}",
                         evidence=evidence, region=region.region)
