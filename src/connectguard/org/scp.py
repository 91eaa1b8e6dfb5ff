"""Read SCP chains for many accounts from the management side, each OU and policy once.

For an organization of 200 accounts in a dozen OUs, reading each account's chain on its
own would repeat ListPoliciesForTarget and DescribePolicy for every shared OU; here
every target's attachments and every policy's content are read once and shared.
"""

from __future__ import annotations

import threading
from typing import Any

from connectguard.collect.account import decode_policy_document
from connectguard.collect.caller import AwsReader
from connectguard.inventory.model import OrganizationContext, ScpLevel, ScpPolicy

_MAX_DEPTH = 8  # OUs nest at most five deep under the root


class ScpChainReader:
    def __init__(self, reader: AwsReader, region: str | None):
        self.reader = reader
        self.region = region
        self._lock = threading.Lock()
        self._parent: dict[str, dict[str, Any] | None] = {}
        self._names: dict[str, str | None] = {}
        self._attached: dict[str, list[ScpPolicy] | None] = {}
        self._content: dict[str, dict[str, Any] | None] = {}
        self.organization: dict[str, Any] | None = None
        self.scp_enabled: bool | None = None

    def describe(self) -> dict[str, Any] | None:
        got = self.reader.call("organizations", self.region, "DescribeOrganization", hides="organization")
        self.organization = (got or {}).get("Organization")
        roots = self.reader.pages("organizations", self.region, "ListRoots", "Roots", hides="organization") or []
        for root in roots:
            self._names[root["Id"]] = root.get("Name")
            types = root.get("PolicyTypes") or []
            self.scp_enabled = any(t.get("Type") == "SERVICE_CONTROL_POLICY" and t.get("Status") == "ENABLED"
                                   for t in types)
        return self.organization

    def context_for(self, account_id: str) -> OrganizationContext:
        org = self.organization or {}
        ctx = OrganizationContext(
            organization_id=org.get("Id"), management_account_id=org.get("MasterAccountId"),
            is_management_account=account_id == org.get("MasterAccountId") if org else None,
            scp_enabled=self.scp_enabled, read_via_role="management account (organization run)",
        )
        ctx.scp_chain = self.chain(account_id)
        return ctx

    def ou_path(self, account_id: str) -> list[str]:
        chain = self.chain(account_id) or []
        return [level.name or level.target_id for level in chain if level.target_type != "ACCOUNT"]

    def chain(self, account_id: str) -> list[ScpLevel] | None:
        levels = [ScpLevel(target_id=account_id, target_type="ACCOUNT")]
        child = account_id
        for _ in range(_MAX_DEPTH):
            parent = self._parent_of(child)
            if parent is None:
                return None
            kind = "ROOT" if parent.get("Type") == "ROOT" else "ORGANIZATIONAL_UNIT"
            levels.append(ScpLevel(target_id=parent["Id"], target_type=kind))
            if kind == "ROOT":
                break
            child = parent["Id"]
        else:
            return None
        levels.reverse()
        for level in levels:
            if level.target_type == "ORGANIZATIONAL_UNIT":
                level.name = self._ou_name(level.target_id)
            elif level.target_type == "ROOT":
                level.name = self._names.get(level.target_id)
            level.policies = self._policies(level.target_id)
        return levels

    # ------------------------------------------------------------- cached reads

    def _parent_of(self, child: str) -> dict[str, Any] | None:
        with self._lock:
            if child in self._parent:
                return self._parent[child]
        parents = self.reader.pages("organizations", self.region, "ListParents", "Parents", ChildId=child,
                                    hides="organization", resource=child)
        found = parents[0] if parents else None
        with self._lock:
            self._parent[child] = found
        return found

    def _ou_name(self, ou_id: str) -> str | None:
        with self._lock:
            if ou_id in self._names:
                return self._names[ou_id]
        got = self.reader.call("organizations", self.region, "DescribeOrganizationalUnit", OrganizationalUnitId=ou_id,
                               hides="organization", resource=ou_id)
        name = (got or {}).get("OrganizationalUnit", {}).get("Name")
        with self._lock:
            self._names[ou_id] = name
        return name

    def _policies(self, target_id: str) -> list[ScpPolicy] | None:
        with self._lock:
            if target_id in self._attached:
                return self._attached[target_id]
        attached = self.reader.pages("organizations", self.region, "ListPoliciesForTarget", "Policies",
                                     TargetId=target_id, Filter="SERVICE_CONTROL_POLICY", hides="organization",
                                     resource=target_id)
        policies = None
        if attached is not None:
            policies = [ScpPolicy(id=s["Id"], name=s.get("Name") or s["Id"], arn=s.get("Arn"),
                                  aws_managed=bool(s.get("AwsManaged")), content=self._policy_content(s))
                        for s in attached]
        with self._lock:
            self._attached[target_id] = policies
        return policies

    def _policy_content(self, summary: dict[str, Any]) -> dict[str, Any] | None:
        pid = summary["Id"]
        with self._lock:
            if pid in self._content:
                return self._content[pid]
        got = self.reader.call("organizations", self.region, "DescribePolicy", PolicyId=pid, hides="organization",
                               resource=summary.get("Arn") or pid)
        content = decode_policy_document((got or {}).get("Policy", {}).get("Content")) if got else None
        with self._lock:
            self._content[pid] = content
        return content
