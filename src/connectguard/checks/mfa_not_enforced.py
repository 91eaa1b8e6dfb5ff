"""[mfa] Sign-in without a second factor.

Connect offers MFA only through a SAML 2.0 identity provider or a RADIUS server on the
AWS Directory Service directory. CONNECT_MANAGED instances cannot enforce it at all.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectguard.audit.registry import CheckContext, Result, check
from connectguard.checks._common import each_instance, instance_label
from connectguard.conventions import Practice, Severity, Status
from connectguard.inventory.model import Directory, Instance, RegionInventory

SAML_MANUAL_STEPS = (
    "MFA for SAML instances is enforced at the identity provider and cannot be seen through AWS APIs. "
    "Verify that the application your IdP uses for Amazon Connect requires a second factor for every user: "
    "Okta: the app's Sign-On Policy rule requires 'Possession factor'; Microsoft Entra ID: a Conditional Access "
    "policy targeting the enterprise app grants access only with 'Require multifactor authentication'; "
    "AD FS: the relying party's access control policy requires MFA; Google Workspace: 2-Step Verification is "
    "enforced for the org unit. `connectguard saml check RESPONSE.xml` shows whether a captured response "
    "carries MFA evidence."
)


@check(
    id="mfa-not-enforced",
    title="Users sign in to Connect without multi-factor authentication",
    practice=Practice.MFA,
    severity=Severity.HIGH,
    rationale="""A stolen or guessed password for an administrator or supervisor gives the attacker the admin
    website: they can re-route calls, listen to recordings and add users. AWS recommends MFA through a SAML 2.0
    IdP or a RADIUS server.""",
    remediation="""CONNECT_MANAGED instances cannot enforce MFA and the identity type cannot be changed: create a
    SAML (or EXISTING_DIRECTORY) instance and migrate to it. For directory instances, enable RADIUS MFA on the
    directory (`aws ds enable-radius`) with a protocol other than PAP. For SAML, require MFA at the identity
    provider.""",
    detects="""FAIL for CONNECT_MANAGED instances; for EXISTING_DIRECTORY instances, FAIL unless the directory's
    RADIUS status is Completed with a protocol other than PAP (PAP: medium; UNKNOWN when the directory cannot be matched unambiguously or was not readable);
    MANUAL for SAML instances, with what to verify at the IdP.""",
    before="""aws ds describe-directories --query 'DirectoryDescriptions[].RadiusStatus'
[]""",
    after="""aws ds enable-radius --directory-id d-1234567890 --radius-settings \\
  'RadiusServers=10.0.0.10,RadiusPort=1812,RadiusTimeout=5,RadiusRetries=3,SharedSecret=...,AuthenticationProtocol=MS-CHAPv2'""",
)
def mfa_not_enforced(ctx: CheckContext) -> Iterator[Result]:
    for item in each_instance(ctx):
        if isinstance(item, Result):
            yield item
            continue
        region, instance = item
        yield _evaluate(ctx, region, instance)


def _evaluate(ctx: CheckContext, region: RegionInventory, instance: Instance) -> Result:
    kind = instance.identity_management_type
    base = {"identity_management_type": kind, "instance": instance_label(instance)}
    if kind == "CONNECT_MANAGED":
        return Result(
            instance.arn, Status.FAIL,
            f"instance {instance_label(instance)} uses Connect-managed identities, which cannot enforce MFA",
            evidence=base, region=region.region,
        )
    if kind == "SAML":
        return Result(instance.arn, Status.MANUAL,
                      f"instance {instance_label(instance)} uses SAML: verify MFA at the identity provider",
                      evidence=base, region=region.region, remediation=SAML_MANUAL_STEPS)
    if kind == "EXISTING_DIRECTORY":
        directory, why = match_directory(ctx, region, instance)
        if directory is None:
            if why == "unseen":
                errors = ctx.snapshot.errors_for("directories", region=region.region)
                return ctx.unknown(instance.arn, "the region's Directory Service directories", errors,
                                   region=region.region)
            return Result(instance.arn, Status.UNKNOWN, f"cannot tell which directory instance "
                          f"{instance_label(instance)} uses: {why}", evidence=base, region=region.region,
                          remediation="Map the instance to its directory in connectguard.toml: "
                          f'[audit.directories] "{instance.id}" = "d-..."')
        radius = directory.radius
        evidence = {**base, "directory_id": directory.id, "directory_type": directory.type,
                    "radius_status": radius.status}
        evidence["radius_authentication_protocol"] = radius.authentication_protocol
        if radius.status == "Completed" and (radius.authentication_protocol or "").upper() == "PAP":
            # PAP sends the password and one-time code to the RADIUS server in a reversible form.
            return Result(instance.arn, Status.FAIL,
                          f"directory {directory.id} used by {instance_label(instance)}: RADIUS MFA uses PAP",
                          evidence=evidence, region=region.region, severity=Severity.MEDIUM,
                          remediation="Switch the directory's RADIUS authentication protocol away from PAP: "
                          f"`aws ds update-radius --directory-id {directory.id} --radius-settings "
                          "AuthenticationProtocol=MS-CHAPv2,...` (CHAP, MS-CHAPv1 or MS-CHAPv2; MS-CHAPv2 "
                          "preferred), after checking the RADIUS server supports it.")
        if radius.status == "Completed":
            note = "" if radius.authentication_protocol else " (protocol not reported)"
            return Result(instance.arn, Status.PASS,
                          f"directory {directory.id} has RADIUS MFA configured (Completed){note}",
                          evidence=evidence, region=region.region)
        state = radius.status or "not configured"
        return Result(instance.arn, Status.FAIL,
                      f"directory {directory.id} used by {instance_label(instance)}: RADIUS MFA is {state}",
                      evidence=evidence, region=region.region)
    return Result(instance.arn, Status.UNKNOWN,
                  f"identity management type of {instance_label(instance)} is {kind or 'not known'}",
                  evidence=base, region=region.region)


def match_directory(ctx: CheckContext, region: RegionInventory, instance: Instance) -> tuple[Directory | None, str]:
    """DescribeInstance does not name the directory: use the configured mapping or the region's only one.

    Returns (directory, "") or (None, reason); reason "unseen" means the directories were not collected.
    An ambiguous match is never guessed.
    """
    if region.directories is None:
        return None, "unseen"
    wanted = ctx.config.audit.directories.get(instance.id)
    if wanted:
        for d in region.directories:
            if d.id == wanted:
                return d, ""
        return None, f"configured directory {wanted} is not among the region's directories"
    if len(region.directories) == 1:
        return region.directories[0], ""
    if not region.directories:
        return None, "the region has no Directory Service directory"
    ids = ", ".join(sorted(d.id for d in region.directories))
    return None, f"the region has {len(region.directories)} directories ({ids}) and no mapping is configured"
