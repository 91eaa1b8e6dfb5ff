"""Remediation for the logging, monitoring and retention findings (``connectguard fix``).

* :mod:`~connectguard.remediate.plan` turns the audit's FAIL findings into a list of
  :class:`~connectguard.remediate.plan.Change` objects (pure).
* :mod:`~connectguard.remediate.templates` renders the AWS-side changes that can stand
  on their own as CloudFormation and Terraform, and flow changes as patches.
* :mod:`~connectguard.remediate.apply` performs the AWS-side changes through boto3:
  each one re-reads the current state first, so a second apply changes nothing, and
  nothing is ever deleted.
"""

from connectguard.remediate.plan import Change, Plan, build_plan

__all__ = ["Change", "Plan", "build_plan"]
