"""`connectguard deploy-role` and `connectguard deploy-schedule`: write CloudFormation templates."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

from connectguard.cli.common import output_option, write_output
from connectguard.deploy.templates import (
    DEFAULT_ROLE_NAME,
    audit_role_template,
    scheduled_audit_template,
    stackset_template,
)


def _dump(template: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(template, indent=2) + "\n"
    return yaml.safe_dump(template, sort_keys=False, width=120)


_format = click.option("--format", "-f", "output_format", type=click.Choice(["yaml", "json"]), default="yaml",
                       show_default=True)


@click.command("deploy-role")
@click.option("--role-name", default=DEFAULT_ROLE_NAME, show_default=True,
              help="Name of the read-only audit role in each member account.")
@click.option("--stackset/--member-template", default=True, show_default=True,
              help="Wrap the role in a service-managed StackSet (deploy from the management or delegated-admin "
                   "account), or write only the member-account template.")
@_format
@output_option
def deploy_role(role_name: str, stackset: bool, output_format: str, output: Path | None) -> int:
    """Write the CloudFormation template of the read-only audit role.

    The role carries exactly the policy `connectguard permissions` prints, trusts only the auditing
    principal (parameter AuditingPrincipalArn), and optionally requires an external ID.
    """
    template = stackset_template(role_name) if stackset else audit_role_template(role_name)
    write_output(_dump(template, output_format), output)
    return 0


@click.command("deploy-schedule")
@click.option("--role-name", default=DEFAULT_ROLE_NAME, show_default=True,
              help="Audit role assumed in member accounts (organization mode).")
@_format
@output_option
def deploy_schedule(role_name: str, output_format: str, output: Path | None) -> int:
    """Write the scheduled-audit template: EventBridge Scheduler -> ECS Fargate -> S3 (KMS), Security Hub, SNS."""
    write_output(_dump(scheduled_audit_template(role_name), output_format), output)
    return 0
