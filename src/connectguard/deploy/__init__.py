"""CloudFormation templates for running connectguard unattended across an organization.

Pure: each function returns a template as a dict; the CLI serialises it. The audit
role's policy comes from the collector's call catalogue, so the deployed role can
never drift from what the collector calls.
"""
