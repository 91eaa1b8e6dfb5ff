"""SimulatedEstate: moto for every other service + the Connect simulator, seeded from one world."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from connectguard.simulator.connect_server import ConnectSimulator, Fault
from connectguard.simulator.world import World

FAKE_ACCESS_KEY = "AKIASIMULATEDESTATE1"  # moto maps unknown keys to its default account
FAKE_SECRET_KEY = "simulated-secret-access-key-not-a-secret"  # noqa: S105

# moto keeps its state in module-level backends: one estate per process at a time.
_ACTIVE = threading.Lock()


class SimulatedEstate:
    """A simulated AWS account: moto (loopback) + the Connect simulator (loopback).

    >>> with SimulatedEstate(demo_world()) as estate:
    ...     boto3.client("connect", **estate.client_kwargs("us-east-1")).list_instances()

    ``env`` holds the environment variables that point boto3 (or the AWS CLI) at the
    estate. ``ids`` maps world names to ids moto generated (KMS key ARNs, directory ids).
    Pass ``moto=False`` for a Connect-only estate (faster; no other service).
    """

    def __init__(
        self,
        world: World,
        *,
        quota: bool = True,
        faults: Iterable[Fault] | None = None,
        moto: bool = True,
        seed: int = 0,
        connect_port: int = 0,
    ):
        self.world = world
        self.connect = ConnectSimulator(world, quota=quota, faults=faults, seed=seed, port=connect_port)
        self._use_moto = moto
        self._moto: Any = None
        self.moto_url: str | None = None
        self.ids: dict[str, dict[str, str]] = {}
        self._held = False

    @property
    def region(self) -> str:
        return next(iter(self.world.regions), "us-east-1")

    def __enter__(self) -> SimulatedEstate:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> SimulatedEstate:
        if self._use_moto:
            if not _ACTIVE.acquire(blocking=False):
                raise RuntimeError("another SimulatedEstate with moto is running in this process (moto state is global)")
            self._held = True
            try:
                self._start_moto()
                from connectguard.simulator.seed import seed_moto

                self.ids = seed_moto(self.world, self.moto_url or "", self.connect.references)
            except BaseException:
                self.stop()
                raise
        self.connect.start()
        return self

    def _start_moto(self) -> None:
        self._moto, self.moto_url = start_moto_in_process()

    def stop(self) -> None:
        self.connect.stop()
        if self._moto is not None:
            try:
                _moto_reset(self.moto_url or "")
            finally:
                self._moto.stop()
                self._moto = None
        if self._held:
            self._held = False
            _ACTIVE.release()

    @property
    def env(self) -> dict[str, str]:
        env = {
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL_CONNECT": self.connect.url,
        }
        if self.moto_url:
            env["AWS_ENDPOINT_URL"] = self.moto_url
        return env

    def client_kwargs(self, service: str, region: str | None = None) -> dict[str, Any]:
        """Keyword arguments for ``boto3.client(service, **kwargs)`` against this estate."""
        if service == "connect":
            endpoint = self.connect.url
        elif self.moto_url:
            endpoint = self.moto_url
        else:
            raise RuntimeError(f"{service} needs moto; this estate was started with moto=False")
        return {
            "region_name": region or self.region,
            "endpoint_url": endpoint,
            "aws_access_key_id": FAKE_ACCESS_KEY,
            "aws_secret_access_key": FAKE_SECRET_KEY,
        }

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(service, config=Config(**config) if config else None,
                            **self.client_kwargs(service, region))


def start_moto_in_process() -> tuple[Any, str]:
    """moto's server on a loopback port of this process, with empty state: (server, url)."""
    import logging
    import os

    from moto.server import ThreadedMotoServer

    # moto's EC2 back end (needed for Directory Service VPCs) otherwise builds ~1,300 AMIs per region
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request log is noise here
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    _moto_reset(url)
    return server, url


def _moto_reset(url: str) -> None:
    import urllib.request

    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback moto only
        resp.read()
    _forget_organization_memberships()


def _forget_organization_memberships() -> None:
    """moto's reset keeps its process-wide account -> organization map (a class attribute); after a reset no
    organization exists, so neither may any membership, or the next estate in this process finds its account
    "already a member of an organization"."""
    import sys

    models = sys.modules.get("moto.organizations.models")
    if models is not None:
        models.organizations_backends.master_accounts.clear()
