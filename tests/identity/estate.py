"""Snapshots of the simulated demo estate, collected once per test process.

Starting the estate (moto + seeding) takes most of the time, so one estate serves both collections: the
clean one, and one with access-denied faults injected in the Connect simulator. Shared by tests/identity,
tests/reports and tests/review (``from identity.estate import ...``). Loopback only.
"""

from __future__ import annotations

import base64
import os

import boto3

from connectguard.inventory.model import Snapshot

DENIED_OPERATIONS = ("ListSecurityProfilePermissions", "ListApprovedOrigins", "ListAuthenticationProfiles")
_CACHE: dict[str, Snapshot] = {}


def _collect_all() -> None:
    from connectguard.collect.runner import CollectOptions, collect_snapshot
    from connectguard.simulator import SimulatedEstate, demo_world

    saved = dict(os.environ)
    try:
        with SimulatedEstate(demo_world(), quota=False) as estate:
            os.environ.update(estate.env)
            options = CollectOptions(regions=["us-east-1", "eu-west-2"], max_rps=1000, concurrency=8, max_attempts=2)
            _CACHE["clean"] = collect_snapshot(boto3.Session(), options=options)
            for operation in DENIED_OPERATIONS:
                estate.connect.deny(operation)
            options = CollectOptions(regions=["us-east-1"], max_rps=1000, concurrency=8, max_attempts=2)
            _CACHE["denied"] = collect_snapshot(boto3.Session(), options=options)
        with SimulatedEstate(complement_world(), quota=False) as estate:
            os.environ.update(estate.env)
            options = CollectOptions(regions=["us-east-1"], max_rps=1000, concurrency=8, max_attempts=2)
            _CACHE["complement"] = collect_snapshot(boto3.Session(), options=options)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def complement_world():
    """What the demo world lacks, for the checks to pass or fail through the collector too: an
    EXISTING_DIRECTORY instance whose directory has RADIUS (MS-CHAPv2) Completed, and a SAML instance whose
    IdP signing certificate expires in 10 days."""
    import uuid

    from connectguard.simulator.saml import idp_metadata, self_signed_certificate
    from connectguard.simulator.world import (
        ConnectInstance,
        Directory,
        Iam,
        RadiusSettings,
        Region,
        SamlProvider,
        World,
    )

    entity = "https://expiring-idp.acme.example/saml2"
    metadata = idp_metadata(entity)
    fresh = base64.b64encode(self_signed_certificate("expiring-idp.acme.example")).decode()
    expiring = base64.b64encode(self_signed_certificate("expiring-idp.acme.example", days=10)).decode()
    assert fresh in metadata
    region = Region(
        connect_instances=[
            ConnectInstance(id=str(uuid.UUID(int=1)), alias="acme-directory-mfa",
                            identity_management_type="EXISTING_DIRECTORY", directory_name="mfa.acme.example"),
            ConnectInstance(id=str(uuid.UUID(int=2)), alias="acme-saml-expiring", identity_management_type="SAML"),
        ],
        directories=[Directory(name="mfa.acme.example", short_name="MFA",
                               radius=RadiusSettings(protocol="MS-CHAPv2"))],
    )
    return World(name="complement", regions={"us-east-1": region},
                 iam=Iam(saml_providers=[SamlProvider(name="ExpiringIdP", entity_id=entity,
                                                      metadata_xml=metadata.replace(fresh, expiring))]))


def collect_demo(variant: str = "clean") -> Snapshot:
    """``clean``: the demo world in us-east-1 and eu-west-2. ``denied``: us-east-1 with DENIED_OPERATIONS
    answering AccessDeniedException. ``complement``: :func:`complement_world`."""
    if variant not in _CACHE:
        _collect_all()
    return _CACHE[variant].model_copy(deep=True)
