"""`connectguard collect --organization`: every account of an organization, each through an assumed role.

Run from the management account or a delegated administrator. For each selected account:
assume the named read-only role, find the enabled regions where Connect instances exist,
collect that account with its own per-operation rate limiter (so the cap holds per account
and region), and write its snapshot. The SCP chain of every account is read once, from the
management side. An account whose role cannot be assumed, or a region that refuses, is
recorded in the index with the reason; the run goes on.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import botocore.session

from connectguard import __version__
from connectguard.collect.caller import AwsReader
from connectguard.collect.runner import CollectOptions, collect_snapshot
from connectguard.conventions import utc_now
from connectguard.deploy.templates import DEFAULT_ROLE_NAME
from connectguard.inventory import save_snapshot
from connectguard.inventory.model import Snapshot
from connectguard.org.index import AccountEntry, OrganizationIndex, RegionOutcome, save_index
from connectguard.org.scp import ScpChainReader


@dataclass
class OrgCollectOptions:
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None
    ous: list[str] = field(default_factory=list)  # OU ids: accounts anywhere below them
    account_ids: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # all must match (value "*" = any value)
    regions: list[str] = field(default_factory=list)  # candidates; default: every Connect region
    account_concurrency: int = 4
    collect: CollectOptions = field(default_factory=CollectOptions)
    include_management_account: bool = False


@dataclass
class OrgAccount:
    id: str
    name: str | None
    ou_path: list[str] = field(default_factory=list)


def collect_organization_estate(
    session: boto3.Session,
    options: OrgCollectOptions,
    out_dir: Path,
    *,
    progress: Callable[[str], None] | None = None,
) -> OrganizationIndex:
    say = progress or (lambda _m: None)
    home = session.region_name or "us-east-1"
    mgmt = AwsReader(session, max_rps=options.collect.max_rps, max_attempts=options.collect.max_attempts,
                     concurrency=options.collect.concurrency)
    chains = ScpChainReader(mgmt, home)
    org = chains.describe()
    if org is None:
        reason = mgmt.errors[-1].describe() if mgmt.errors else "DescribeOrganization failed"
        raise OrganizationUnavailable(f"cannot read the organization from these credentials: {reason}")
    management_id = org.get("MasterAccountId")
    accounts = select_accounts(mgmt, home, options, management_id)
    say(f"{len(accounts)} accounts selected")
    out_dir.mkdir(parents=True, exist_ok=True)
    index = OrganizationIndex(tool_version=__version__, generated_at=utc_now(), organization_id=org.get("Id"),
                              management_account_id=management_id, role_name=options.role_name)
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=options.account_concurrency, thread_name_prefix="account") as pool:
        futures = {pool.submit(_collect_account, session, mgmt, chains, account, options, out_dir, home): account
                   for account in accounts}
        for future in as_completed(futures):
            entry = future.result()
            with lock:
                index.accounts.append(entry)
            say(f"{entry.account_id}: {entry.status}" + (f" ({entry.reason})" if entry.reason else ""))
    index.accounts.sort(key=lambda e: e.account_id)
    save_index(index, out_dir / "index.json")
    return index


class OrganizationUnavailable(RuntimeError):
    pass


def select_accounts(mgmt: AwsReader, home: str, options: OrgCollectOptions, management_id: str | None
                    ) -> list[OrgAccount]:
    if options.ous:
        raw: dict[str, dict] = {}
        for ou in options.ous:
            for acct in _accounts_below(mgmt, home, ou):
                raw[acct["Id"]] = acct
        listed = list(raw.values())
    else:
        listed = mgmt.pages("organizations", home, "ListAccounts", "Accounts", hides="organization") or []
    selected = []
    for acct in listed:
        if acct.get("Status", "ACTIVE") != "ACTIVE":
            continue
        if acct["Id"] == management_id and not options.include_management_account:
            continue  # SCPs never restrict it; audit it on its own if wanted
        if options.account_ids and acct["Id"] not in options.account_ids:
            continue
        if options.tags and not _tags_match(mgmt, home, acct["Id"], options.tags):
            continue
        selected.append(OrgAccount(id=acct["Id"], name=acct.get("Name")))
    return sorted(selected, key=lambda a: a.id)


def _accounts_below(mgmt: AwsReader, home: str, parent: str) -> list[dict]:
    found = list(mgmt.pages("organizations", home, "ListAccountsForParent", "Accounts", ParentId=parent,
                            hides="organization", resource=parent) or [])
    children = mgmt.pages("organizations", home, "ListOrganizationalUnitsForParent", "OrganizationalUnits",
                          ParentId=parent, hides="organization", resource=parent) or []
    for child in children:
        found += _accounts_below(mgmt, home, child["Id"])
    return found


def _tags_match(mgmt: AwsReader, home: str, account_id: str, wanted: dict[str, str]) -> bool:
    tags = mgmt.pages("organizations", home, "ListTagsForResource", "Tags", ResourceId=account_id,
                      hides="organization", resource=account_id) or []
    have = {t["Key"]: t.get("Value", "") for t in tags}
    return all(k in have and fnmatch.fnmatchcase(have[k], v) for k, v in wanted.items())


def _collect_account(session: boto3.Session, mgmt: AwsReader, chains: ScpChainReader, account: OrgAccount,
                     options: OrgCollectOptions, out_dir: Path, home: str) -> AccountEntry:
    entry = AccountEntry(account_id=account.id, name=account.name, status="failed",
                         ou_path=chains.ou_path(account.id))
    role_arn = f"arn:{_partition(session)}:iam::{account.id}:role/{options.role_name}"
    params = {"RoleArn": role_arn, "RoleSessionName": "connectguard-organization", "DurationSeconds": 3600}
    if options.external_id:
        params["ExternalId"] = options.external_id
    before = len(mgmt.errors)
    resp = mgmt.call("sts", home, "AssumeRole", hides="organization", resource=role_arn, **params)
    if not resp:
        failure = mgmt.errors[before:] and mgmt.errors[-1]
        entry.reason = (f"cannot assume {role_arn}: {failure.code}: {failure.message}" if failure
                        else f"cannot assume {role_arn}")
        return entry
    creds = resp["Credentials"]
    member = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"], region_name=home,
                           botocore_session=_botocore_session())
    # Its own reader: the per-operation rate cap applies per account (and region), as AWS's quota does.
    reader = AwsReader(member, max_rps=options.collect.max_rps, max_attempts=options.collect.max_attempts,
                       concurrency=options.collect.concurrency)
    regions, refused = _connect_regions(reader, member, options.regions, home)
    entry.regions = regions
    entry.regions_refused = refused
    organization = chains.context_for(account.id)
    if regions:
        collect_opts = CollectOptions(**{**options.collect.__dict__, "regions": regions, "org_role": None,
                                         "organization": organization})
        snapshot = collect_snapshot(member, options=collect_opts, reader=reader)
    else:
        snapshot = Snapshot(tool_version=__version__, collected_at=utc_now(), account_id=account.id,
                            organization=organization, errors=list(reader.errors))
    snapshot.account_id = snapshot.account_id or account.id
    name = f"{account.id}.json"
    save_snapshot(snapshot, out_dir / name)
    entry.status = "collected"
    entry.snapshot = name
    entry.collection_errors = len(snapshot.errors)
    return entry


def _connect_regions(reader: AwsReader, session: boto3.Session, wanted: list[str], home: str
                     ) -> tuple[list[str], list[RegionOutcome]]:
    """Enabled regions (ec2:DescribeRegions lists only those) where Connect has instances."""
    candidates = wanted or session.get_available_regions("connect")
    enabled_resp = reader.call("ec2", home, "DescribeRegions", hides="instances")
    if enabled_resp:
        enabled = {r["RegionName"] for r in enabled_resp.get("Regions", [])}
        candidates = [r for r in candidates if r in enabled]
    found, refused = [], []
    for region in candidates:
        before = len(reader.errors)
        instances = reader.pages("connect", region, "ListInstances", "InstanceSummaryList", hides="instances")
        if instances is None:
            err = reader.errors[-1] if len(reader.errors) > before else None
            refused.append(RegionOutcome(region=region, reason=f"{err.code}: {err.message}" if err else "failed"))
        elif instances:
            found.append(region)
    return found, refused


_LOADER_LOCK = threading.Lock()
_SHARED_LOADER: list = []


def _botocore_session() -> botocore.session.Session:
    """A botocore session sharing one data loader: every account's clients reuse the parsed service models.

    Each boto3 Session otherwise parses its own copy of every service model it uses (several MB per
    service), and memory would grow with the number of accounts collected at once.
    """
    with _LOADER_LOCK:
        if not _SHARED_LOADER:
            _SHARED_LOADER.append(botocore.session.get_session().get_component("data_loader"))
        loader = _SHARED_LOADER[0]
    session = botocore.session.get_session()
    session.register_component("data_loader", loader)
    return session


def _partition(session: boto3.Session) -> str:
    return session.get_partition_for_region(session.region_name or "us-east-1")
