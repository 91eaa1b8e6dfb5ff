"""CloudFormation template for the screening function, and the flow snippet that calls it.

Pure: builds dicts; the CLI serialises them. Not imported by the handler.
"""

from __future__ import annotations

import math
from typing import Any

from connectguard.fraud import core, identity

RUNTIME = "python3.12"
DEFAULT_DEADLINE_MS = 2000
# Time a cold start may add before the handler's own deadline starts counting
# (init of boto3 + phonenumbers at 256 MB is well under a second; doubled for headroom).
COLD_START_ALLOWANCE_SECONDS = 2
CONNECT_MAX_INVOCATION_SECONDS = 8
LOG_RETENTION_DAYS = 365


def invocation_time_limit(deadline_ms: int = DEFAULT_DEADLINE_MS) -> int:
    """The flow block's InvocationTimeLimitSeconds: above deadline + cold start, at most 8."""
    seconds = math.floor(deadline_ms / 1000) + COLD_START_ALLOWANCE_SECONDS
    if deadline_ms % 1000:
        seconds += 1
    if seconds > CONNECT_MAX_INVOCATION_SECONDS:
        raise ValueError(
            f"a {deadline_ms} ms deadline plus {COLD_START_ALLOWANCE_SECONDS} s of cold start exceeds Connect's "
            f"{CONNECT_MAX_INVOCATION_SECONDS} s limit"
        )
    return seconds


def function_timeout(deadline_ms: int = DEFAULT_DEADLINE_MS) -> int:
    """Lambda Timeout: the deadline plus room to return (the handler also honours the context's remaining time)."""
    return math.ceil(deadline_ms / 1000) + 1


def cloudformation(*, deadline_ms: int = DEFAULT_DEADLINE_MS, memory_mb: int = 256) -> dict[str, Any]:
    invocation_time_limit(deadline_ms)  # validates the deadline
    table_arn = {"Fn::GetAtt": ["Table", "Arn"]}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "connectguard caller screening: deny-list and velocity Lambda for Amazon Connect flows",
        "Parameters": {
            "ConnectInstanceArn": {
                "Type": "String",
                "AllowedPattern": r"^arn:aws[-a-z]*:connect:[a-z0-9-]+:\d{12}:instance/[-a-zA-Z0-9]+$",
                "Description": "ARN of the Amazon Connect instance allowed to invoke the function",
            },
            "CodeS3Bucket": {"Type": "String", "Description": "Bucket holding the zip from `connectguard fraud package`"},
            "CodeS3Key": {"Type": "String", "Description": "Key of that zip"},
            "FunctionName": {"Type": "String", "Default": identity.DEFAULT_FUNCTION_NAME,
                             "AllowedPattern": r"^[a-zA-Z0-9-_]{1,64}$"},
            "TableName": {"Type": "String", "Default": "connectguard-fraud",
                          "AllowedPattern": r"^[a-zA-Z0-9_.-]{3,255}$"},
            "DefaultCountry": {"Type": "String", "Default": "US", "AllowedPattern": "^[A-Z]{2}$",
                               "Description": "Country for caller numbers in national format"},
            "FailMode": {"Type": "String", "Default": core.ALLOW, "AllowedValues": list(identity.DECISIONS),
                         "Description": "Decision when screening cannot decide (DynamoDB error, timeout, bad event)"},
            "LogHmacKey": {"Type": "String", "NoEcho": True, "Default": "", "MinLength": 0,
                           "Description": "Secret key for the HMAC of caller numbers in logs (empty: per-container "
                                          "random key, so logs do not correlate across containers)"},
        },
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "TableName": {"Ref": "TableName"},
                    "BillingMode": "PAY_PER_REQUEST",
                    "KeySchema": core.KEY_SCHEMA,
                    "AttributeDefinitions": core.ATTRIBUTE_DEFINITIONS,
                    "GlobalSecondaryIndexes": core.GLOBAL_SECONDARY_INDEXES,
                    "TimeToLiveSpecification": {"AttributeName": core.TTL_ATTR, "Enabled": True},
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "SSESpecification": {"SSEEnabled": True},
                },
            },
            "LogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "LogGroupName": {"Fn::Sub": "/aws/lambda/${FunctionName}"},
                    "RetentionInDays": LOG_RETENTION_DAYS,
                },
            },
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                       "Action": "sts:AssumeRole"}],
                    },
                    "Policies": [{
                        "PolicyName": "screening",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                # Exactly the two calls a decision makes, on this table only.
                                {"Sid": "ScreeningTable", "Effect": "Allow",
                                 "Action": ["dynamodb:Query", "dynamodb:PutItem"], "Resource": table_arn},
                                {"Sid": "OwnLogs", "Effect": "Allow",
                                 "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                 "Resource": {"Fn::GetAtt": ["LogGroup", "Arn"]}},
                            ],
                        },
                    }],
                },
            },
            "Function": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": ["LogGroup"],
                "Properties": {
                    "FunctionName": {"Ref": "FunctionName"},
                    "Description": "connectguard caller screening (deny list + velocity)",
                    "Runtime": RUNTIME,
                    "Architectures": ["arm64"],
                    "Handler": identity.HANDLER,
                    "Code": {"S3Bucket": {"Ref": "CodeS3Bucket"}, "S3Key": {"Ref": "CodeS3Key"}},
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "MemorySize": memory_mb,
                    "Timeout": function_timeout(deadline_ms),
                    "Environment": {"Variables": {
                        "CONNECTGUARD_FRAUD_TABLE": {"Ref": "Table"},
                        "CONNECTGUARD_FRAUD_DEFAULT_COUNTRY": {"Ref": "DefaultCountry"},
                        "CONNECTGUARD_FRAUD_FAIL_MODE": {"Ref": "FailMode"},
                        "CONNECTGUARD_FRAUD_DEADLINE_MS": str(deadline_ms),
                        "CONNECTGUARD_FRAUD_LOG_KEY": {"Ref": "LogHmacKey"},
                    }},
                    "Tags": [{"Key": identity.ROLE_TAG_KEY, "Value": identity.ROLE_TAG_VALUE}],
                },
            },
            "ConnectInvokePermission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Ref": "Function"},
                    "Action": "lambda:InvokeFunction",
                    "Principal": "connect.amazonaws.com",
                    # Without both, any Connect instance in any account could invoke the function.
                    "SourceArn": {"Ref": "ConnectInstanceArn"},
                    "SourceAccount": {"Ref": "AWS::AccountId"},
                },
            },
            "InstanceAssociation": {
                "Type": "AWS::Connect::IntegrationAssociation",
                "Properties": {
                    "InstanceId": {"Ref": "ConnectInstanceArn"},
                    "IntegrationType": "LAMBDA_FUNCTION",
                    "IntegrationArn": {"Fn::GetAtt": ["Function", "Arn"]},
                },
            },
        },
        "Outputs": {
            "FunctionArn": {"Value": {"Fn::GetAtt": ["Function", "Arn"]}},
            "TableName": {"Value": {"Ref": "Table"}},
        },
    }


PLACEHOLDER_FUNCTION_ARN = f"arn:aws:lambda:REGION:ACCOUNT:function:{identity.DEFAULT_FUNCTION_NAME}"
PLACEHOLDER_NEXT_FLOW_ARN = "arn:aws:connect:REGION:ACCOUNT:instance/INSTANCE_ID/contact-flow/NEXT_FLOW_ID"


def flow_snippet(
    *,
    function_arn: str = PLACEHOLDER_FUNCTION_ARN,
    next_flow_arn: str = PLACEHOLDER_NEXT_FLOW_ARN,
    deadline_ms: int = DEFAULT_DEADLINE_MS,
    fail_mode: str = core.ALLOW,
) -> dict[str, Any]:
    """An entry flow (flow language) that screens the caller, then hands over to ``next_flow_arn``.

    ``block`` disconnects; ``review`` is marked in contact attributes and continues;
    ``allow`` and the Error branch (which is also where a timeout goes: the block has
    no timeout branch) continue to normal handling, so a screening fault never drops a
    caller; the error path marks the contact ``connectguard_screening=unscreened``.
    """
    normal = "continue-normal-handling"
    mark = {"connectguard_screening": "$.External.decision", "connectguard_screening_reason": "$.External.reason"}
    actions = [
        {"Identifier": "enable-flow-logging", "Type": "UpdateFlowLoggingBehavior",
         "Parameters": {"FlowLoggingBehavior": "Enabled"}, "Transitions": {"NextAction": "screen-caller"}},
        {"Identifier": "screen-caller", "Type": "InvokeLambdaFunction",
         "Parameters": {
             "LambdaFunctionARN": function_arn,
             "InvocationTimeLimitSeconds": str(invocation_time_limit(deadline_ms)),
             "InvocationType": "SYNCHRONOUS",
             "ResponseValidation": {"ResponseType": "STRING_MAP"},
             "LambdaInvocationAttributes": {"failMode": fail_mode},
         },
         "Transitions": {"NextAction": "check-decision",
                         "Errors": [{"NextAction": "mark-unscreened", "ErrorType": "NoMatchingError"}]}},
        # Error branch (Lambda error, throttling, or the time limit passing): the caller goes on to
        # normal handling, marked so that agents and contact records show screening did not run.
        {"Identifier": "mark-unscreened", "Type": "UpdateContactAttributes",
         "Parameters": {"Attributes": {"connectguard_screening": "unscreened",
                                       "connectguard_screening_reason": "lambda-error"},
                        "TargetContact": "Current"},
         "Transitions": {"NextAction": normal, "Errors": [{"NextAction": normal, "ErrorType": "NoMatchingError"}]}},
        {"Identifier": "check-decision", "Type": "Compare",
         "Parameters": {"ComparisonValue": identity.DECISION_PATH},
         "Transitions": {
             "NextAction": normal,
             "Conditions": [
                 {"NextAction": "mark-blocked", "Condition": {"Operator": "Equals", "Operands": [core.BLOCK]}},
                 {"NextAction": "mark-review", "Condition": {"Operator": "Equals", "Operands": [core.REVIEW]}},
                 {"NextAction": normal, "Condition": {"Operator": "Equals", "Operands": [core.ALLOW]}},
             ],
             "Errors": [{"NextAction": normal, "ErrorType": "NoMatchingCondition"}],
         }},
        {"Identifier": "mark-blocked", "Type": "UpdateContactAttributes",
         "Parameters": {"Attributes": mark, "TargetContact": "Current"},
         "Transitions": {"NextAction": "disconnect", "Errors": [{"NextAction": "disconnect",
                                                                  "ErrorType": "NoMatchingError"}]}},
        {"Identifier": "disconnect", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
        {"Identifier": "mark-review", "Type": "UpdateContactAttributes",
         "Parameters": {"Attributes": mark, "TargetContact": "Current"},
         "Transitions": {"NextAction": normal, "Errors": [{"NextAction": normal, "ErrorType": "NoMatchingError"}]}},
        {"Identifier": normal, "Type": "TransferToFlow", "Parameters": {"ContactFlowId": next_flow_arn},
         "Transitions": {"Errors": [{"NextAction": "transfer-failed", "ErrorType": "NoMatchingError"}]}},
        {"Identifier": "transfer-failed", "Type": "MessageParticipant",
         "Parameters": {"Text": "We are sorry, we cannot take your call right now. Please call again later."},
         "Transitions": {"NextAction": "disconnect",
                         "Errors": [{"NextAction": "disconnect", "ErrorType": "NoMatchingError"}]}},
    ]
    return {"Version": "2019-10-30", "StartAction": "enable-flow-logging", "Metadata": {}, "Actions": actions}
