"""Seed moto (every service but Connect) from the world, through boto3 only.

moto generates some ids (KMS key ids, directory ids, organization/OU/policy ids);
they are returned as a mapping so tests can derive expectations:

* ``kms``:          ``"<region>:<alias>"`` → key ARN
* ``directories``:  ``"<region>:<dns name>"`` → directory id
* ``vpcs``:         ``"<region>"`` → the VPC created for the directories
* ``sns``:          ``"<region>:<topic>"`` → topic ARN
* ``organization``: ``id``, ``root``, ``management_account``, ``ou:<name>``, ``scp:<name>``,
  ``reader_role`` (a role in the management account that reads the SCP chain)

Organizations: moto makes whichever account calls CreateOrganization the management
account, and SCPs do not apply to a management account. The world's account must be a
*member*, so the organization is created from the management account (credentials from
STS AssumeRole into it) and the member account is created with CreateAccount. moto gives
that account a random id and offers no API to choose it; the one step below that renames
it to the world's account id goes through moto's in-process backend (the server runs in
this process) and is verified through the API right after.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from typing import Any

import boto3
import boto3.session
from botocore.config import Config
from botocore.exceptions import ClientError

from connectguard.conventions import InputError
from connectguard.simulator.operations import References
from connectguard.simulator.saml import idp_metadata
from connectguard.simulator.world import Bucket, Organization, World

_FAKE_KEY = "AKIASIMULATEDESTATE1"
_FAKE_SECRET = "simulated-secret-access-key-not-a-secret"  # noqa: S105
_NO_RETRY = Config(retries={"mode": "standard", "max_attempts": 1})
_DIRECTORY_PASSWORD = "Simulated-Directory-Passw0rd"  # noqa: S105 - moto only


def seed_moto(world: World, url: str, references: References) -> dict[str, dict[str, str]]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log is noise here
    return _Seeder(world, url, references).run()


class _Seeder:
    def __init__(self, world: World, url: str, references: References):
        self.world = world
        self.url = url
        self.refs = references
        self.ids: dict[str, dict[str, str]] = {
            "kms": {}, "directories": {}, "vpcs": {}, "sns": {}, "organization": {},
        }
        self.account = world.account_id
        self._session = boto3.session.Session()  # one loader cache for every client
        self._clients: dict[tuple[str, str, str], Any] = {}

    def client(self, service: str, region: str = "us-east-1", **creds: str) -> Any:
        key = (service, region, creds.get("key", ""))
        if key not in self._clients:
            self._clients[key] = self._new_client(service, region, **creds)
        return self._clients[key]

    def _new_client(self, service: str, region: str, **creds: str) -> Any:
        return self._session.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=creds.get("key", _FAKE_KEY),
            aws_secret_access_key=creds.get("secret", _FAKE_SECRET),
            aws_session_token=creds.get("token"),
            config=_NO_RETRY,
        )

    def run(self) -> dict[str, dict[str, str]]:
        if self.world.account_id != "123456789012":
            raise InputError(
                "moto serves account 123456789012 to unknown credentials; a world for moto must use it",
                f"world {self.world.name}: account_id",
            )
        for region_name, region in self.world.regions.items():
            self._kms(region_name, region)
        self._iam()
        self._buckets()
        for region_name, region in self.world.regions.items():
            self._directories(region_name, region)
            self._kinesis(region_name, region)
            self._firehose(region_name, region)
            self._lambda(region_name, region)
            self._logs(region_name, region)
            self._alarms(region_name, region)
            self._trails(region_name, region)
        if self.world.organization is not None:
            self._organization(self.world.organization)
        return self.ids

    # ------------------------------------------------------------------ KMS

    def _kms(self, region_name: str, region: Any) -> None:
        kms = self.client("kms", region_name)
        for key in region.kms_keys:
            meta = kms.create_key(Description=key.description, KeyUsage="ENCRYPT_DECRYPT",
                                  KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]
            kms.create_alias(AliasName=key.alias, TargetKeyId=meta["KeyId"])
            if key.rotation:
                kms.enable_key_rotation(KeyId=meta["KeyId"])
            self.refs.kms[(region_name, key.alias)] = meta["Arn"]
            self.ids["kms"][f"{region_name}:{key.alias}"] = meta["Arn"]

    def _kms_arn(self, region: str, ref: str | None) -> str | None:
        return None if ref is None else self.refs.kms_arn(region, ref)

    # ------------------------------------------------------------------ IAM

    def _policy_arn(self, ref: str) -> str:
        return ref if ref.startswith("arn:") else f"arn:aws:iam::{self.account}:policy/{ref}"

    def _iam(self) -> None:
        iam = self.client("iam")
        spec = self.world.iam
        for policy in spec.policies:
            iam.create_policy(PolicyName=policy.name, Path=policy.path, PolicyDocument=json.dumps(policy.document))
        for role in spec.roles:
            kwargs: dict[str, Any] = {"RoleName": role.name, "Path": role.path, "Description": role.description,
                                      "AssumeRolePolicyDocument": json.dumps(role.trust_policy)}
            if role.permissions_boundary:
                kwargs["PermissionsBoundary"] = self._policy_arn(role.permissions_boundary)
            iam.create_role(**kwargs)
            for ref in role.managed_policies:
                iam.attach_role_policy(RoleName=role.name, PolicyArn=self._policy_arn(ref))
            for name, doc in role.inline_policies.items():
                iam.put_role_policy(RoleName=role.name, PolicyName=name, PolicyDocument=json.dumps(doc))
        for user in spec.users:
            iam.create_user(UserName=user.name)
            for ref in user.managed_policies:
                iam.attach_user_policy(UserName=user.name, PolicyArn=self._policy_arn(ref))
            for name, doc in user.inline_policies.items():
                iam.put_user_policy(UserName=user.name, PolicyName=name, PolicyDocument=json.dumps(doc))
            if user.permissions_boundary:
                iam.put_user_permissions_boundary(UserName=user.name,
                                                  PermissionsBoundary=self._policy_arn(user.permissions_boundary))
        for provider in spec.saml_providers:
            iam.create_saml_provider(Name=provider.name,
                                     SAMLMetadataDocument=provider.metadata_xml or idp_metadata(
                                         provider.entity_id, days=provider.certificate_days))

    # ------------------------------------------------------------------ S3

    def _buckets(self) -> None:
        for bucket in self.world.buckets:
            self._bucket(bucket)

    def _bucket(self, bucket: Bucket) -> None:
        s3 = self.client("s3", bucket.region)
        kwargs: dict[str, Any] = {"Bucket": bucket.name}
        if bucket.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": bucket.region}
        if bucket.object_lock:
            kwargs["ObjectLockEnabledForBucket"] = True
        s3.create_bucket(**kwargs)
        if bucket.versioning or bucket.object_lock:
            s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
        if bucket.object_lock:
            s3.put_object_lock_configuration(Bucket=bucket.name, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 365}},
            })
        rule: dict[str, Any] = (
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                    "KMSMasterKeyID": self._kms_arn(bucket.region, bucket.kms_key)},
             "BucketKeyEnabled": True}
            if bucket.kms_key else {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        )
        s3.put_bucket_encryption(Bucket=bucket.name, ServerSideEncryptionConfiguration={"Rules": [rule]})
        if bucket.public_access_block:
            s3.put_public_access_block(Bucket=bucket.name, PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            })
        if bucket.lifecycle_days is not None:
            s3.put_bucket_lifecycle_configuration(Bucket=bucket.name, LifecycleConfiguration={"Rules": [{
                "ID": "archive-then-expire", "Status": "Enabled", "Filter": {"Prefix": ""},
                "Transitions": [{"Days": min(90, bucket.lifecycle_days), "StorageClass": "GLACIER"}]
                if bucket.lifecycle_days > 90 else [],
                "Expiration": {"Days": bucket.lifecycle_days},
            }]})
        if bucket.policy is not None:
            s3.put_bucket_policy(Bucket=bucket.name, Policy=json.dumps(bucket.policy))

    # ------------------------------------------------------------------ Directory Service

    def _directories(self, region_name: str, region: Any) -> None:
        if not region.directories:
            return
        ec2 = self.client("ec2", region_name)
        vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{n}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
            for n, zone in enumerate(zones)
        ]
        self.ids["vpcs"][region_name] = vpc
        ds = self.client("ds", region_name)
        for directory in region.directories:
            settings = {"VpcId": vpc, "SubnetIds": subnets}
            if directory.type == "MicrosoftAD":
                did = ds.create_microsoft_ad(Name=directory.name, ShortName=directory.short_name or "CORP",
                                             Password=_DIRECTORY_PASSWORD, VpcSettings=settings,
                                             Edition="Standard")["DirectoryId"]
            elif directory.type == "ADConnector":
                did = ds.connect_directory(Name=directory.name, ShortName=directory.short_name or "CORP",
                                           Password=_DIRECTORY_PASSWORD, Size="Small",
                                           ConnectSettings={**settings, "CustomerDnsIps": ["10.40.0.2"],
                                                            "CustomerUserName": "connector"})["DirectoryId"]
            else:
                did = ds.create_directory(Name=directory.name, ShortName=directory.short_name or "CORP",
                                          Password=_DIRECTORY_PASSWORD, Size="Small",
                                          VpcSettings=settings)["DirectoryId"]
            self.ids["directories"][f"{region_name}:{directory.name}"] = did
            if directory.radius is not None:
                r = directory.radius
                try:
                    ds.enable_radius(DirectoryId=did, RadiusSettings={
                        "RadiusServers": r.servers, "RadiusPort": r.port, "RadiusTimeout": r.timeout,
                        "RadiusRetries": r.retries, "SharedSecret": r.shared_secret,
                        "AuthenticationProtocol": r.protocol, "DisplayLabel": "MFA", "UseSameUsername": True,
                    })
                except ClientError as exc:
                    if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 500:
                        raise RuntimeError(
                            "this moto cannot EnableRadius (Directory Service RADIUS needs moto>=5.2.5): "
                            "pip install 'moto[server]>=5.2.5'"
                        ) from None
                    raise

    # ------------------------------------------------------------------ Kinesis, Firehose

    def _kinesis(self, region_name: str, region: Any) -> None:
        kinesis = self.client("kinesis", region_name)
        for stream in region.kinesis_streams:
            kinesis.create_stream(StreamName=stream.name, ShardCount=1)
            if stream.kms_key:
                kinesis.start_stream_encryption(StreamName=stream.name, EncryptionType="KMS",
                                                KeyId=self._kms_arn(region_name, stream.kms_key))

    def _firehose(self, region_name: str, region: Any) -> None:
        firehose = self.client("firehose", region_name)
        for stream in region.firehose_streams:
            kwargs: dict[str, Any] = {
                "DeliveryStreamName": stream.name,
                "DeliveryStreamType": "DirectPut",
                "ExtendedS3DestinationConfiguration": {
                    "RoleARN": f"arn:aws:iam::{self.account}:role/firehose-delivery",
                    "BucketARN": f"arn:aws:s3:::{stream.bucket}",
                },
            }
            if stream.kms_key:
                kwargs["DeliveryStreamEncryptionConfigurationInput"] = {
                    "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": self._kms_arn(region_name, stream.kms_key),
                }
            firehose.create_delivery_stream(**kwargs)

    # ------------------------------------------------------------------ Lambda

    def _lambda(self, region_name: str, region: Any) -> None:
        if not region.lambda_functions:
            return
        lam = self.client("lambda", region_name)
        code = _zip_handler()
        for fn in region.lambda_functions:
            lam.create_function(
                FunctionName=fn.name, Runtime=fn.runtime, Handler="index.handler", Code={"ZipFile": code},
                Role=fn.role if fn.role.startswith("arn:") else f"arn:aws:iam::{self.account}:role/{fn.role}",
            )
            for n, perm in enumerate(fn.permissions):
                kwargs = {"FunctionName": fn.name, "StatementId": f"perm-{n}", "Action": "lambda:InvokeFunction",
                          "Principal": perm["principal"]}
                if "source_account" in perm:
                    kwargs["SourceAccount"] = perm["source_account"]
                if "source_arn" in perm:
                    kwargs["SourceArn"] = perm["source_arn"]
                lam.add_permission(**kwargs)

    # ------------------------------------------------------------------ CloudWatch Logs and alarms

    def _logs(self, region_name: str, region: Any) -> None:
        logs = self.client("logs", region_name)
        for group in region.log_groups:
            kwargs: dict[str, Any] = {"logGroupName": group.name}
            if group.kms_key:
                kwargs["kmsKeyId"] = self._kms_arn(region_name, group.kms_key)
            logs.create_log_group(**kwargs)
            if group.retention_days is not None:
                logs.put_retention_policy(logGroupName=group.name, retentionInDays=group.retention_days)
            for sub in group.subscription_filters:
                logs.put_subscription_filter(logGroupName=group.name, filterName=sub["name"],
                                             filterPattern=sub.get("pattern", ""),
                                             destinationArn=sub["destination"])
            for mf in group.metric_filters:
                logs.put_metric_filter(logGroupName=group.name, filterName=mf["name"], filterPattern=mf["pattern"],
                                       metricTransformations=[{"metricName": mf["metric_name"],
                                                               "metricNamespace": mf["namespace"],
                                                               "metricValue": "1"}])

    def _alarms(self, region_name: str, region: Any) -> None:
        if not region.alarms:
            return
        cw = self.client("cloudwatch", region_name)
        sns = self.client("sns", region_name)
        for alarm in region.alarms:
            actions = []
            if alarm.sns_topic:
                key = f"{region_name}:{alarm.sns_topic}"
                if key not in self.ids["sns"]:
                    self.ids["sns"][key] = sns.create_topic(Name=alarm.sns_topic)["TopicArn"]
                actions.append(self.ids["sns"][key])
            cw.put_metric_alarm(
                AlarmName=alarm.name, Namespace=alarm.namespace, MetricName=alarm.metric_name,
                Dimensions=[{"Name": k, "Value": v} for k, v in alarm.dimensions.items()],
                Threshold=alarm.threshold, ComparisonOperator=alarm.comparison, Statistic=alarm.statistic,
                Period=alarm.period, EvaluationPeriods=alarm.evaluation_periods, AlarmActions=actions,
            )

    # ------------------------------------------------------------------ CloudTrail

    def _trails(self, region_name: str, region: Any) -> None:
        if not region.trails:
            return
        ct = self.client("cloudtrail", region_name)
        for trail in region.trails:
            kwargs: dict[str, Any] = {"Name": trail.name, "S3BucketName": trail.bucket,
                                      "IsMultiRegionTrail": trail.multi_region,
                                      "EnableLogFileValidation": trail.log_file_validation,
                                      "IncludeGlobalServiceEvents": True}
            if trail.kms_key:
                kwargs["KmsKeyId"] = self._kms_arn(region_name, trail.kms_key)
            if trail.log_group:
                kwargs["CloudWatchLogsLogGroupArn"] = (
                    f"arn:aws:logs:{region_name}:{self.account}:log-group:{trail.log_group}:*"
                )
                kwargs["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{self.account}:role/cloudtrail-to-logs"
            ct.create_trail(**kwargs)
            ct.put_event_selectors(TrailName=trail.name, EventSelectors=[{
                "ReadWriteType": trail.read_write_type,
                "IncludeManagementEvents": trail.include_management_events,
            }])
            if trail.logging:
                ct.start_logging(Name=trail.name)

    # ------------------------------------------------------------------ Organizations

    def _organization(self, spec: Organization) -> None:
        sts = self.client("sts")
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{spec.management_account_id}:role/OrganizationAccountAccessRole",
            RoleSessionName="connectguard-simulator-seed",
        )["Credentials"]
        mgmt = {"key": creds["AccessKeyId"], "secret": creds["SecretAccessKey"], "token": creds["SessionToken"]}
        org = self.client("organizations", **mgmt)
        described = org.create_organization(FeatureSet=spec.feature_set)["Organization"]
        root = org.list_roots()["Roots"][0]["Id"]
        status = org.create_account(AccountName=self.world.name, Email=f"aws+{self.world.name}@example.com")
        _adopt_account_id(spec.management_account_id, status["CreateAccountStatus"]["AccountId"], self.account)
        # verified through the API: the member sees the organization, the management account sees the member
        member_view = self.client("organizations").describe_organization()["Organization"]
        if member_view["MasterAccountId"] != spec.management_account_id:
            raise RuntimeError("moto did not make the world's account a member of the organization")
        org.describe_account(AccountId=self.account)
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")

        targets = {"root": root, "account": self.account}
        self.ids["organization"].update(id=described["Id"], root=root, management_account=spec.management_account_id)
        for ou in spec.organizational_units:
            parent = targets.get(ou.parent) if ou.parent == "root" else targets.get(f"ou:{ou.parent}")
            if parent is None:
                raise InputError(f"organizational unit {ou.name!r} names unknown parent {ou.parent!r}",
                                 f"world {self.world.name}: organization")
            ou_id = org.create_organizational_unit(ParentId=parent, Name=ou.name)["OrganizationalUnit"]["Id"]
            targets[f"ou:{ou.name}"] = ou_id
            self.ids["organization"][f"ou:{ou.name}"] = ou_id
            if ou.contains_account:
                org.move_account(AccountId=self.account, SourceParentId=root, DestinationParentId=ou_id)
        for scp in spec.scps:
            policy_id = org.create_policy(Name=scp.name, Description=scp.description,
                                          Type="SERVICE_CONTROL_POLICY",
                                          Content=json.dumps(scp.document))["Policy"]["PolicySummary"]["Id"]
            self.ids["organization"][f"scp:{scp.name}"] = policy_id
            for target in scp.targets:
                target_id = targets.get(target) or targets.get(f"ou:{target}")
                if target_id is None:
                    raise InputError(f"SCP {scp.name!r} names unknown target {target!r}",
                                     f"world {self.world.name}: organization.scps")
                org.attach_policy(PolicyId=policy_id, TargetId=target_id)
        # a role in the management account that connectguard's collect.org_role can assume
        iam = self.client("iam", **mgmt)
        reader = iam.create_role(
            RoleName="connectguard-org-reader",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{self.account}:root"},
                "Action": "sts:AssumeRole"}]}),
        )["Role"]["Arn"]
        iam.put_role_policy(RoleName="connectguard-org-reader", PolicyName="read-organization",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow", "Action": ["organizations:Describe*", "organizations:List*"],
                                "Resource": "*"}]}))
        self.ids["organization"]["reader_role"] = reader
        # the member account's side of the relationship, as AWS creates it
        self.client("iam").create_role(
            RoleName="OrganizationAccountAccessRole",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{spec.management_account_id}:root"},
                "Action": "sts:AssumeRole"}]}),
        )


def _adopt_account_id(management: str, generated: str, wanted: str) -> None:
    """Give the account moto created the world's id (moto has no API to choose it)."""
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[management]["aws"]
    for account in backend.accounts:
        if account.id == generated:
            account.id = wanted
            break
    else:  # pragma: no cover - only if moto's model changes
        raise RuntimeError(f"moto's organization has no account {generated}")
    organizations_backends.master_accounts[wanted] = organizations_backends.master_accounts.pop(generated)


def _zip_handler() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return {'decision': 'allow'}\n")
    return buf.getvalue()
