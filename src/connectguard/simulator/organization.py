"""A simulated AWS Organization: moto's Organizations/STS/IAM plus one Connect estate per member account.

Used by the organization-run tests and benchmark. The caller's credentials are the
management account's (moto's default account). Member accounts are created through the
Organizations API; each gets a small Connect estate, served by one Connect simulator that
picks the account's world from the request's access key (the STS gate below learns which
account each assumed-role key belongs to from the AssumeRole answers). The STS gate in front of moto refuses AssumeRole for chosen roles, because
moto itself lets any role be assumed: that is how "an account whose audit role is missing"
is simulated.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

from connectguard.simulator.connect_server import ConnectSimulator
from connectguard.simulator.estate import (
    _ACTIVE,
    FAKE_ACCESS_KEY,
    FAKE_SECRET_KEY,
    _moto_reset,
    start_moto_in_process,
)
from connectguard.simulator.world import World
from connectguard.simulator.worlds import ACCOUNT, bench_world

PROTECT_DELETE_SCP = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "ProtectConnect", "Effect": "Deny", "Action": ["connect:DeleteInstance"], "Resource": "*"}],
}


@dataclass
class MemberSpec:
    name: str
    regions: Sequence[str] = ("us-east-1",)  # one small instance in each
    audit_role: bool = True  # False: the audit role is missing (AssumeRole is refused)
    tags: dict[str, str] = field(default_factory=dict)
    users: int = 20
    profiles: int = 6
    flows: int = 5


@dataclass
class MemberAccount:
    spec: MemberSpec
    account_id: str
    world: World


class SimulatedOrganization:
    def __init__(self, members: Sequence[MemberSpec], *, role_name: str = "connectguard-audit", quota: bool = True,
                 ou_name: str = "ContactCenters", moto_process: bool = True):
        self.specs = list(members)
        self.role_name = role_name
        self.quota = quota
        self.ou_name = ou_name
        # moto in a child process by default: its state is then this organization's alone (in-process moto is
        # shared by everything in the process), and a benchmark measures the collector's memory, not moto's.
        self.moto_process = moto_process
        self._moto_child: subprocess.Popen[bytes] | None = None
        self.members: list[MemberAccount] = []
        self.management_account_id = ACCOUNT
        self.organization_id: str | None = None
        self.ou_id: str | None = None
        self.connect: ConnectSimulator | None = None
        self.moto_url: str | None = None
        self._moto: Any = None
        self._gate: _StsGate | None = None
        self._held = False

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> SimulatedOrganization:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> SimulatedOrganization:
        if not self.moto_process:
            if not _ACTIVE.acquire(blocking=False):
                raise RuntimeError("another simulated estate with moto is running in this process")
            self._held = True
        try:
            self._start_moto()
            self._build()
            self._gate = _StsGate(self.moto_url or "", {self.role_arn(m.account_id) for m in self.members
                                                        if not m.spec.audit_role})
            self._gate.start()
            management = World(account_id=ACCOUNT, name="management")
            self.connect = ConnectSimulator(management, quota=self.quota, other_accounts=[m.world for m in self.members],
                                            account_of=self._gate.accounts.get)
            self.connect.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_moto(self) -> None:
        if self.moto_process:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            self._moto_child = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.moto_url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    _moto_reset(self.moto_url)
                    return
                except OSError:
                    time.sleep(0.1)
            raise RuntimeError("moto server did not start")
        self._moto, self.moto_url = start_moto_in_process()

    def stop(self) -> None:
        if self.connect is not None:
            self.connect.stop()
        if self._gate is not None:
            self._gate.stop()
        if self._moto_child is not None:
            self._moto_child.terminate()
            try:
                self._moto_child.wait(timeout=10)
            except subprocess.TimeoutExpired:  # werkzeug can be slow to leave its serving loop
                self._moto_child.kill()
                self._moto_child.wait(timeout=10)
            self._moto_child = None
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
        assert self.connect is not None and self._gate is not None
        return {
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.moto_url or "",
            "AWS_ENDPOINT_URL_STS": self._gate.url,
            "AWS_ENDPOINT_URL_CONNECT": self.connect.url,
        }

    def role_arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role/{self.role_name}"

    def member(self, name: str) -> MemberAccount:
        return next(m for m in self.members if m.spec.name == name)

    # ------------------------------------------------------------------ building

    def _client(self, service: str, creds: dict[str, str] | None = None) -> Any:
        import boto3

        creds = creds or {"AccessKeyId": FAKE_ACCESS_KEY, "SecretAccessKey": FAKE_SECRET_KEY}
        return boto3.client(service, region_name="us-east-1", endpoint_url=self.moto_url,
                            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds.get("SessionToken"))

    def _build(self) -> None:
        org = self._client("organizations")
        self.organization_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        root = org.list_roots()["Roots"][0]["Id"]
        self.ou_id = org.create_organizational_unit(ParentId=root, Name=self.ou_name)["OrganizationalUnit"]["Id"]
        policy = org.create_policy(Name="ProtectConnectInstances", Type="SERVICE_CONTROL_POLICY",
                                   Description="deny connect:DeleteInstance",
                                   Content=json.dumps(PROTECT_DELETE_SCP))["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=policy, TargetId=self.ou_id)
        sts = self._client("sts")
        for n, spec in enumerate(self.specs):
            status = org.create_account(Email=f"{spec.name}@example.com", AccountName=spec.name,
                                        Tags=[{"Key": k, "Value": v} for k, v in spec.tags.items()])
            account_id = status["CreateAccountStatus"]["AccountId"]
            org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=self.ou_id)
            if spec.audit_role:
                creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                                        RoleSessionName="simulator-setup")["Credentials"]
                self._client("iam", creds).create_role(
                    RoleName=self.role_name, AssumeRolePolicyDocument=json.dumps({
                        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}))
            world = _member_world(spec, account_id, seed=n)
            self.members.append(MemberAccount(spec=spec, account_id=account_id, world=world))


def _member_world(spec: MemberSpec, account_id: str, seed: int) -> World:
    regions = {}
    for i, region in enumerate(spec.regions):
        part = bench_world(users=spec.users, profiles=spec.profiles, flows=spec.flows, seed=1000 + 10 * seed + i,
                           account_id=account_id, region=region, alias=f"{spec.name}-{i}"[:45])
        regions.update(part.regions)
    return World(account_id=account_id, name=spec.name, regions=regions)


_ACCESS_KEY_XML = re.compile(r"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>")


class _StsGate:
    """Loopback proxy to moto that answers AccessDenied to AssumeRole for the given role ARNs."""

    def __init__(self, upstream: str, denied_roles: set[str]):
        parts = urllib.parse.urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.denied = denied_roles
        # Access key of each assumed-role session -> the account of its role, learnt from the answers
        # that pass through: the Connect simulator picks the account's world by it.
        self.accounts: dict[str, str] = {}
        gate = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
                if form.get("Action") == ["AssumeRole"] and form.get("RoleArn", [""])[0] in gate.denied:
                    role = form["RoleArn"][0]
                    self._answer(403, (
                        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                        f"<Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole on "
                        f"resource: {role}</Message></Error><RequestId>simulated</RequestId></ErrorResponse>"
                    ).encode(), {"Content-Type": "text/xml"})
                    return
                conn = http.client.HTTPConnection(gate.host, gate.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request("POST", self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if form.get("Action") == ["AssumeRole"] and resp.status == 200:
                    key = _ACCESS_KEY_XML.search(data.decode("utf-8", "replace"))
                    account = form.get("RoleArn", [""])[0].split(":")[4:5]
                    if key and account:
                        gate.accounts[key.group(1)] = account[0]
                self._answer(resp.status, data, {k: v for k, v in resp.getheaders()
                                                  if k.lower() not in ("content-length", "transfer-encoding",
                                                                       "connection")})
                conn.close()

            def _answer(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = Thread(target=self._server.serve_forever, name="sts-gate", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
