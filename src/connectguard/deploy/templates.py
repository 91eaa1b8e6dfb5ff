"""The member-account audit role (for StackSets) and the scheduled audit job."""

from __future__ import annotations

import copy
import json
from typing import Any

from connectguard.collect.catalogue import required_policy

DEFAULT_ROLE_NAME = "connectguard-audit"


def _audit_policy() -> dict[str, Any]:
    return copy.deepcopy(required_policy())


def audit_role_template(role_name: str = DEFAULT_ROLE_NAME) -> dict[str, Any]:
    """The read-only role in each member account, trusting only the auditing principal."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "connectguard read-only audit role for Amazon Connect (deploy to member accounts with "
        "a StackSet). Trusts only the auditing principal; denies emergency access and federation.",
        "Parameters": {
            "AuditingPrincipalArn": {
                "Type": "String",
                "Description": "ARN of the IAM role (in the auditing account) that runs connectguard.",
                "AllowedPattern": r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$",
            },
            "ExternalId": {
                "Type": "String",
                "Default": "",
                "NoEcho": True,
                "Description": "Optional external ID the auditing principal must present (empty: none).",
            },
            "RoleName": {"Type": "String", "Default": role_name, "Description": "Name of the audit role."},
        },
        "Conditions": {"UseExternalId": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]}},
        "Resources": {
            "AuditRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": {"Ref": "RoleName"},
                    "Description": "connectguard read-only audit of Amazon Connect",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": {"Ref": "AuditingPrincipalArn"}},
                                "Action": "sts:AssumeRole",
                                "Condition": {
                                    "Fn::If": [
                                        "UseExternalId",
                                        {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
                                        {"Ref": "AWS::NoValue"},
                                    ]
                                },
                            }
                        ],
                    },
                    "Policies": [{"PolicyName": "connectguard-collect-read-only", "PolicyDocument": _audit_policy()}],
                    "Tags": [{"Key": "managed-by", "Value": "connectguard"}],
                },
            }
        },
        "Outputs": {"AuditRoleArn": {"Value": {"Fn::GetAtt": ["AuditRole", "Arn"]}}},
    }


def stackset_template(role_name: str = DEFAULT_ROLE_NAME) -> dict[str, Any]:
    """A service-managed StackSet (deployed from the management or delegated-admin account) carrying the role."""
    member = audit_role_template(role_name)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Deploys the connectguard audit role to every account of the given OUs, including "
        "accounts added later (service-managed StackSet with auto-deployment).",
        "Parameters": {
            "AuditingPrincipalArn": member["Parameters"]["AuditingPrincipalArn"],
            "ExternalId": member["Parameters"]["ExternalId"],
            "TargetOrganizationalUnitIds": {
                "Type": "CommaDelimitedList",
                "Description": "OU ids (ou-...) or the root id (r-...) to deploy the role to.",
            },
            "DeploymentRegion": {
                "Type": "String",
                "Default": "us-east-1",
                "Description": "One region suffices: IAM is global.",
            },
        },
        "Resources": {
            "AuditRoleStackSet": {
                "Type": "AWS::CloudFormation::StackSet",
                "Properties": {
                    "StackSetName": f"{role_name}-role",
                    "Description": "connectguard read-only audit role",
                    "PermissionModel": "SERVICE_MANAGED",
                    "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
                    "Capabilities": ["CAPABILITY_NAMED_IAM"],
                    "ManagedExecution": {"Active": True},
                    "OperationPreferences": {"FailureTolerancePercentage": 10, "MaxConcurrentPercentage": 25},
                    "Parameters": [
                        {"ParameterKey": "AuditingPrincipalArn", "ParameterValue": {"Ref": "AuditingPrincipalArn"}},
                        {"ParameterKey": "ExternalId", "ParameterValue": {"Ref": "ExternalId"}},
                    ],
                    "StackInstancesGroup": [
                        {
                            "DeploymentTargets": {"OrganizationalUnitIds": {"Ref": "TargetOrganizationalUnitIds"}},
                            "Regions": [{"Ref": "DeploymentRegion"}],
                        }
                    ],
                    "TemplateBody": json.dumps(member),
                },
            }
        },
    }


def scheduled_audit_template(role_name: str = DEFAULT_ROLE_NAME) -> dict[str, Any]:
    """EventBridge Scheduler -> ECS Fargate task running `connectguard scheduled-run`.

    Why Fargate, not Lambda: at the default rate cap (1 request/s per operation) one instance with 300
    security profiles needs ~5 minutes for their permission lists alone; an organization of many accounts
    and regions exceeds Lambda's 15-minute limit. Lambda suffices for one account with small instances.
    """
    # The collector's read-only catalogue already covers organization runs (ListAccounts, ec2:DescribeRegions).
    read_policy = _audit_policy()
    task_statements = read_policy["Statement"] + [
        {"Sid": "WriteReports", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
         "Resource": {"Fn::Sub": "${ReportBucket.Arn}/*"}},
        {"Sid": "ListReports", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": {"Fn::GetAtt": ["ReportBucket", "Arn"]}},
        {"Sid": "UseReportKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
         "Resource": {"Fn::GetAtt": ["ReportKey", "Arn"]}},
        {"Sid": "Notify", "Effect": "Allow", "Action": "sns:Publish", "Resource": {"Ref": "NotificationTopic"}},
        {"Sid": "ImportFindings", "Effect": "Allow", "Action": "securityhub:BatchImportFindings", "Resource": "*"},
        {"Sid": "AssumeMemberAuditRoles", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${AuditRoleName}"}},
    ]
    command = [
        "scheduled-run", "--bucket", {"Ref": "ReportBucket"}, "--topic", {"Ref": "NotificationTopic"},
        "--security-hub", "--mode", {"Ref": "Mode"}, "--role-name", {"Ref": "AuditRoleName"},
    ]
    log_group_name = "/connectguard/scheduled-audit"
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "connectguard scheduled audit of Amazon Connect: EventBridge Scheduler runs an ECS Fargate "
        "task that collects, audits, stores reports in a KMS-encrypted bucket, imports findings into Security "
        "Hub, and notifies SNS of new FAIL findings and of failed runs.",
        "Parameters": {
            "ImageUri": {"Type": "String", "Description": "connectguard container image (see deploy/Dockerfile)."},
            "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>", "Description": "Subnets for the task (need a "
                        "route to AWS APIs: NAT or VPC endpoints)."},
            "SecurityGroups": {"Type": "List<AWS::EC2::SecurityGroup::Id>",
                               "Description": "Security groups for the task (egress 443 only)."},
            "AssignPublicIp": {"Type": "String", "Default": "DISABLED", "AllowedValues": ["ENABLED", "DISABLED"]},
            "ScheduleExpression": {"Type": "String", "Default": "cron(0 3 * * ? *)",
                                   "Description": "When to run (EventBridge Scheduler expression, UTC)."},
            "Mode": {"Type": "String", "Default": "account", "AllowedValues": ["account", "organization"],
                     "Description": "Audit this account, or every account of the organization."},
            "AuditRoleName": {"Type": "String", "Default": role_name,
                              "Description": "Role assumed in each member account (organization mode)."},
            "ReportRetentionDays": {"Type": "Number", "Default": 400, "MinValue": 90},
        },
        "Resources": {
            "ReportKey": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "Description": "connectguard reports, logs and notifications",
                    "EnableKeyRotation": True,
                    "KeyPolicy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Sid": "AccountAdministers", "Effect": "Allow",
                             "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                             "Action": "kms:*", "Resource": "*"},
                            {"Sid": "LogsEncrypt", "Effect": "Allow",
                             "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}},
                             "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                        "kms:Describe*"],
                             "Resource": "*",
                             "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": {"Fn::Sub":
                                 f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:"
                                 f"{log_group_name}"}}}},
                            {"Sid": "AlarmsPublishToEncryptedTopic", "Effect": "Allow",
                             "Principal": {"Service": "cloudwatch.amazonaws.com"},
                             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"},
                        ],
                    },
                },
            },
            "ReportBucket": {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": {"Fn::GetAtt": ["ReportKey", "Arn"]}},
                        "BucketKeyEnabled": True}]},
                    "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                       "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "LifecycleConfiguration": {"Rules": [{
                        "Id": "archive-then-expire", "Status": "Enabled",
                        "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
                                        {"StorageClass": "GLACIER", "TransitionInDays": 90}],
                        "ExpirationInDays": {"Ref": "ReportRetentionDays"},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]},
                },
            },
            "ReportBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "ReportBucket"},
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                        "Resource": [{"Fn::GetAtt": ["ReportBucket", "Arn"]},
                                     {"Fn::Sub": "${ReportBucket.Arn}/*"}],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]},
                },
            },
            "NotificationTopic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"KmsMasterKeyId": {"Ref": "ReportKey"}, "DisplayName": "connectguard audit"},
            },
            "RunLogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": log_group_name, "RetentionInDays": 365,
                               "KmsKeyId": {"Fn::GetAtt": ["ReportKey", "Arn"]}},
            },
            "Cluster": {"Type": "AWS::ECS::Cluster",
                        "Properties": {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]}},
            "TaskExecutionRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": _service_trust("ecs-tasks.amazonaws.com"),
                    "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                                                      "AmazonECSTaskExecutionRolePolicy"}],
                },
            },
            "TaskRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": _service_trust("ecs-tasks.amazonaws.com"),
                    "Policies": [{"PolicyName": "connectguard-scheduled-audit",
                                  "PolicyDocument": {"Version": "2012-10-17", "Statement": task_statements}}],
                },
            },
            "TaskDefinition": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "RequiresCompatibilities": ["FARGATE"],
                    "NetworkMode": "awsvpc",
                    "Cpu": "1024",
                    "Memory": "2048",
                    "ExecutionRoleArn": {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]},
                    "TaskRoleArn": {"Fn::GetAtt": ["TaskRole", "Arn"]},
                    "RuntimePlatform": {"OperatingSystemFamily": "LINUX", "CpuArchitecture": "X86_64"},
                    "Volumes": [{"Name": "scratch"}],
                    "ContainerDefinitions": [{
                        "Name": "connectguard",
                        "Image": {"Ref": "ImageUri"},
                        "Essential": True,
                        "Command": command,
                        "ReadonlyRootFilesystem": True,
                        "User": "10001",
                        "MountPoints": [{"SourceVolume": "scratch", "ContainerPath": "/tmp"}],
                        "Environment": [{"Name": "AWS_REGION", "Value": {"Ref": "AWS::Region"}}],
                        "LogConfiguration": {"LogDriver": "awslogs", "Options": {
                            "awslogs-group": {"Ref": "RunLogGroup"},
                            "awslogs-region": {"Ref": "AWS::Region"},
                            "awslogs-stream-prefix": "audit"}},
                    }],
                },
            },
            "SchedulerRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]},
                    "Policies": [{"PolicyName": "run-audit-task", "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "ecs:RunTask",
                             "Resource": {"Ref": "TaskDefinition"},
                             "Condition": {"ArnEquals": {"ecs:cluster": {"Fn::GetAtt": ["Cluster", "Arn"]}}}},
                            {"Effect": "Allow", "Action": "iam:PassRole",
                             "Resource": [{"Fn::GetAtt": ["TaskExecutionRole", "Arn"]},
                                          {"Fn::GetAtt": ["TaskRole", "Arn"]}]},
                        ]}}],
                },
            },
            "Schedule": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "Description": "connectguard scheduled audit",
                    "ScheduleExpression": {"Ref": "ScheduleExpression"},
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {
                        "Arn": {"Fn::GetAtt": ["Cluster", "Arn"]},
                        "RoleArn": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
                        "RetryPolicy": {"MaximumRetryAttempts": 0},
                        "EcsParameters": {
                            "TaskDefinitionArn": {"Ref": "TaskDefinition"},
                            "LaunchType": "FARGATE",
                            "PlatformVersion": "LATEST",
                            "NetworkConfiguration": {"AwsvpcConfiguration": {
                                "Subnets": {"Ref": "Subnets"},
                                "SecurityGroups": {"Ref": "SecurityGroups"},
                                "AssignPublicIp": {"Ref": "AssignPublicIp"}}},
                        },
                    },
                },
            },
            # `scheduled-run` logs one JSON line {"event": "run-complete", "exit_status": N, ...} per run.
            "RunFailedFilter": _metric_filter(log_group_name, '{ $.event = "run-complete" && $.exit_status >= 2 }',
                                              "RunsFailed"),
            "RunCompletedFilter": _metric_filter(log_group_name, '{ $.event = "run-complete" }', "RunsCompleted"),
            "RunFailedAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmDescription": "A connectguard scheduled audit failed or could not read part of the estate "
                    "(exit status 2 or 3).",
                    "Namespace": "connectguard", "MetricName": "RunsFailed", "Statistic": "Sum",
                    "Period": 3600, "EvaluationPeriods": 1, "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
                    "AlarmActions": [{"Ref": "NotificationTopic"}],
                },
            },
            "RunMissingAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmDescription": "No connectguard scheduled audit completed in the last 24 hours (the task "
                    "did not start, crashed, or was killed).",
                    "Namespace": "connectguard", "MetricName": "RunsCompleted", "Statistic": "Sum",
                    "Period": 86400, "EvaluationPeriods": 1, "Threshold": 1,
                    "ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
                    "AlarmActions": [{"Ref": "NotificationTopic"}],
                },
            },
        },
        "Outputs": {
            "ReportBucketName": {"Value": {"Ref": "ReportBucket"}},
            "NotificationTopicArn": {"Value": {"Ref": "NotificationTopic"}},
            "TaskRoleArn": {"Value": {"Fn::GetAtt": ["TaskRole", "Arn"]},
                            "Description": "Pass as AuditingPrincipalArn to the audit-role StackSet."},
        },
    }


def _service_trust(service: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                                    "Action": "sts:AssumeRole"}]}


def _metric_filter(log_group: str, pattern: str, metric: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Logs::MetricFilter",
        "DependsOn": "RunLogGroup",
        "Properties": {
            "LogGroupName": log_group,
            "FilterPattern": pattern,
            "MetricTransformations": [{"MetricNamespace": "connectguard", "MetricName": metric, "MetricValue": "1",
                                       "DefaultValue": 0}],
        },
    }
