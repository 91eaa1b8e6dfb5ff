"""The evaluator against cases built from AWS's documentation of policy evaluation.

Sources (paraphrased; policies are the documentation's examples, trimmed):
- IAM User Guide, "Policy evaluation logic" and "Determining whether a request is allowed or
  denied within an account" (explicit deny wins; implicit deny; boundaries intersect);
- IAM User Guide, example policies: "Denies access to AWS based on the requested Region"
  (NotAction + StringNotEquals), "Allows ... only with MFA" (BoolIfExists), "Denies access to
  AWS based on the source IP" (NotIpAddress + Bool aws:ViaAWSService), "Allows access during
  a specific range of dates", the ${aws:username} home-folder example, the NotResource
  "Payroll" example, and the condition-operator pages (ForAllValues/ForAnyValue on a missing
  key, Null, IfExists, negated operators on a missing key);
- AWS Organizations User Guide, "SCP evaluation" (inheritance: every level from the root
  through each OU to the account must allow; a Deny at any level denies).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from connectguard.policy import (
    Decision,
    Request,
    RequestContext,
    evaluate,
    parse_policy,
    principal_layers,
    scp_layers,
)

FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/0a1b2c3d-1111-2222-3333-444455556666"


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict:
    stmt: dict[str, Any] = {"Effect": "Allow", "Resource": resource, **extra}
    if action is not None:
        stmt["Action"] = action
    return {"Version": "2012-10-17", "Statement": [stmt]}


def deny(action: Any = None, resource: Any = "*", **extra: Any) -> dict:
    stmt: dict[str, Any] = {"Effect": "Deny", "Resource": resource, **extra}
    if action is not None:
        stmt["Action"] = action
    return {"Version": "2012-10-17", "Statement": [stmt]}


REGION_DENY = deny(
    resource="*", NotAction=["cloudfront:*", "iam:*", "route53:*", "support:*"],
    Condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}},
)
MFA_DENY = deny(
    resource="*", NotAction=["iam:ChangePassword", "iam:GetUser", "iam:ListMFADevices", "sts:GetSessionToken"],
    Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
)
IP_DENY = deny("*", Condition={"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
                               "Bool": {"aws:ViaAWSService": "false"}})
DATES = allow("ec2:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
                                  "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}})
HOME = allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*")
PAYROLL = deny("s3:*", resource=None,
               NotResource=["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"])
del PAYROLL["Statement"][0]["Resource"]
TAG_KEYS_ALL = allow("ec2:CreateTags", Condition={"ForAllValues:StringEquals":
                                                  {"aws:TagKeys": ["environment", "cost-center"]}})
TAG_KEYS_ANY = allow("ec2:CreateTags", Condition={"ForAnyValue:StringEquals":
                                                  {"aws:TagKeys": ["environment", "cost-center"]}})
NULL_DENY = deny("*", Condition={"Null": {"aws:TokenIssueTime": "true"}})
GUARD = deny("connect:DeleteInstance", INSTANCE,
             Condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}})
TAG_DENY = deny("connect:DeleteInstance", INSTANCE,
                Condition={"StringNotEquals": {"aws:PrincipalTag/team": "platform"}})


@dataclass
class Case:
    id: str
    action: str
    resource: str = "*"
    identity: list[dict] = field(default_factory=lambda: [FULL])
    scps: list[list[dict]] | None = None  # root first
    boundary: list[dict] | None = None
    context: dict[str, Any] | None = None
    closed: bool = True  # the documentation's worked examples give the whole request context
    absent: tuple[str, ...] = ()
    expect: Decision = Decision.ALLOW
    keys: set[str] | None = None  # expected unresolved keys for Conditional
    denied_at: str | None = None  # the layer of an implicit deny


CASES = [
    # --- the basic rules
    Case("implicit-deny-no-identity-allow", "s3:GetObject", identity=[allow("ec2:*")],
         expect=Decision.DENY, denied_at="identity policies"),
    Case("explicit-deny-beats-allow", "s3:DeleteBucket", "arn:aws:s3:::b",
         identity=[FULL, deny("s3:DeleteBucket")], expect=Decision.DENY),
    Case("boundary-limits-identity", "iam:CreateUser", boundary=[allow(["s3:*", "cloudwatch:*"])],
         expect=Decision.DENY, denied_at="permissions boundary"),
    Case("boundary-and-identity-both-allow", "s3:ListBucket", boundary=[allow("s3:*")]),
    Case("action-names-case-insensitive", "s3:GetObject", identity=[allow("S3:getobject")]),
    Case("action-wildcard-star", "connect:DeleteInstance", identity=[allow("connect:Delete*")]),
    Case("action-wildcard-question-mark", "connect:DeleteInstance", identity=[allow("connect:Delete?nstance")]),
    Case("misspelled-action-grants-nothing", "connect:DeleteInstance", identity=[allow("connect:DeleteInst")],
         expect=Decision.DENY),
    Case("notaction-allow-excludes-iam", "iam:CreateUser", identity=[allow(None, NotAction="iam:*")],
         expect=Decision.DENY),
    Case("notaction-allow-grants-others", "s3:ListBucket", identity=[allow(None, NotAction="iam:*")]),
    # --- ARNs
    Case("arn-wildcard-account", "connect:DeleteInstance", INSTANCE,
         identity=[allow("connect:*", "arn:aws:connect:*:*:instance/*")]),
    Case("arn-case-sensitive", "connect:DeleteInstance", INSTANCE,
         identity=[allow("connect:*", INSTANCE.upper().replace("ARN:AWS:CONNECT", "arn:aws:connect"))],
         expect=Decision.DENY),
    Case("arn-region-wildcard-does-not-cross-account", "connect:DeleteInstance", INSTANCE,
         identity=[allow("connect:*", "arn:aws:connect:*:444455556666:instance/*")], expect=Decision.DENY),
    Case("arn-question-mark", "s3:GetObject", "arn:aws:s3:::bucket-a/x",
         identity=[allow("s3:GetObject", "arn:aws:s3:::bucket-?/*")]),
    Case("notresource-deny-spares-payroll", "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/jan.csv",
         identity=[FULL, PAYROLL]),
    Case("notresource-deny-denies-elsewhere", "s3:GetObject", "arn:aws:s3:::HRBucket/Other/x",
         identity=[FULL, PAYROLL], expect=Decision.DENY),
    # --- policy variables
    Case("variable-resolved-own-folder", "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/David/a.txt",
         identity=[HOME], context={"aws:username": "David"}),
    Case("variable-resolved-other-folder", "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/Maria/a.txt",
         identity=[HOME], context={"aws:username": "David"}, expect=Decision.DENY),
    Case("variable-unresolved-is-conditional", "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/D/a",
         identity=[HOME], closed=False, expect=Decision.CONDITIONAL, keys={"aws:username"}),
    Case("variable-value-star-is-literal", "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/Dx/a",
         identity=[HOME], context={"aws:username": "D*"}, expect=Decision.DENY),
    # --- NotAction + StringNotEquals (requested-Region example)
    Case("region-deny-outside-region", "ec2:RunInstances", context={"aws:RequestedRegion": "us-east-1"},
         identity=[FULL, REGION_DENY], expect=Decision.DENY),
    Case("region-deny-inside-region", "ec2:RunInstances", context={"aws:RequestedRegion": "eu-west-1"},
         identity=[FULL, REGION_DENY]),
    Case("region-deny-global-service-exempt", "iam:CreateUser", context={"aws:RequestedRegion": "us-east-1"},
         identity=[FULL, REGION_DENY]),
    Case("region-deny-region-unknown", "ec2:RunInstances", identity=[FULL, REGION_DENY], closed=False,
         expect=Decision.CONDITIONAL, keys={"aws:RequestedRegion"}),
    # --- BoolIfExists MFA example
    Case("mfa-deny-long-term-keys-key-absent", "ec2:RunInstances", identity=[FULL, MFA_DENY],
         expect=Decision.DENY),
    Case("mfa-deny-session-without-mfa", "ec2:RunInstances", identity=[FULL, MFA_DENY],
         context={"aws:MultiFactorAuthPresent": False}, expect=Decision.DENY),
    Case("mfa-deny-session-with-mfa", "ec2:RunInstances", identity=[FULL, MFA_DENY],
         context={"aws:MultiFactorAuthPresent": True}),
    Case("mfa-deny-notaction-lets-change-password", "iam:ChangePassword", identity=[FULL, MFA_DENY]),
    # --- source IP example
    Case("ip-deny-inside-range", "s3:ListBucket", identity=[FULL, IP_DENY],
         context={"aws:SourceIp": "192.0.2.10", "aws:ViaAWSService": False}),
    Case("ip-deny-outside-range", "s3:ListBucket", identity=[FULL, IP_DENY],
         context={"aws:SourceIp": "198.51.100.7", "aws:ViaAWSService": False}, expect=Decision.DENY),
    Case("ip-deny-via-aws-service", "s3:ListBucket", identity=[FULL, IP_DENY],
         context={"aws:SourceIp": "198.51.100.7", "aws:ViaAWSService": True}),
    Case("ip-deny-ip-unknown", "s3:ListBucket", identity=[FULL, IP_DENY], closed=False,
         context={"aws:ViaAWSService": False}, expect=Decision.CONDITIONAL, keys={"aws:SourceIp"}),
    # --- dates
    Case("date-window-inside", "ec2:RunInstances", identity=[DATES], context={"aws:CurrentTime": "2020-05-01T12:00:00Z"}),
    Case("date-window-after", "ec2:RunInstances", identity=[DATES], context={"aws:CurrentTime": "2021-01-01T00:00:00Z"},
         expect=Decision.DENY),
    # --- multivalued keys and missing keys
    Case("forallvalues-subset", "ec2:CreateTags", identity=[TAG_KEYS_ALL], context={"aws:TagKeys": ["environment"]}),
    Case("forallvalues-extra-key", "ec2:CreateTags", identity=[TAG_KEYS_ALL],
         context={"aws:TagKeys": ["environment", "owner"]}, expect=Decision.DENY),
    Case("forallvalues-missing-key-is-true", "ec2:CreateTags", identity=[TAG_KEYS_ALL]),
    Case("foranyvalue-missing-key-is-false", "ec2:CreateTags", identity=[TAG_KEYS_ANY], expect=Decision.DENY),
    Case("foranyvalue-one-matches", "ec2:CreateTags", identity=[TAG_KEYS_ANY],
         context={"aws:TagKeys": ["owner", "cost-center"]}),
    Case("null-true-key-absent", "s3:ListBucket", identity=[FULL, NULL_DENY], expect=Decision.DENY),
    Case("null-true-key-present", "s3:ListBucket", identity=[FULL, NULL_DENY],
         context={"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}),
    Case("negated-operator-missing-key-is-true", "connect:DeleteInstance", INSTANCE, identity=[FULL, TAG_DENY],
         expect=Decision.DENY),
    Case("numeric-less-than-equals", "s3:ListBucket", identity=[allow("s3:ListBucket", Condition={
        "NumericLessThanEquals": {"s3:max-keys": "10"}})], context={"s3:max-keys": "50"}, expect=Decision.DENY),
    Case("string-like-ignore-other-case", "s3:ListBucket", identity=[allow("s3:ListBucket", Condition={
        "StringEqualsIgnoreCase": {"aws:PrincipalTag/dept": "Sales"}})], context={"aws:PrincipalTag/dept": "SALES"}),
    # --- SCP inheritance (Organizations "SCP evaluation")
    Case("scp-deny-at-ou", "s3:PutObject", "arn:aws:s3:::b/k", scps=[[FULL], [FULL, deny("s3:*")], [FULL]],
         expect=Decision.DENY),
    Case("scp-deny-at-ou-other-service-allowed", "ec2:RunInstances", scps=[[FULL], [FULL, deny("s3:*")], [FULL]]),
    Case("scp-allow-list-at-ou-only-ec2", "s3:PutObject", scps=[[FULL], [allow("ec2:*")], [FULL]],
         expect=Decision.DENY, denied_at="ou"),
    Case("scp-allow-list-at-ou-ec2-passes", "ec2:RunInstances", scps=[[FULL], [allow("ec2:*")], [FULL]]),
    Case("scp-account-level-must-allow", "s3:PutObject", scps=[[FULL], [FULL], [allow("ec2:*")]],
         expect=Decision.DENY, denied_at="account"),
    Case("scp-allows-but-identity-does-not", "s3:PutObject", identity=[allow("ec2:*")], scps=[[FULL], [FULL]],
         expect=Decision.DENY, denied_at="identity policies"),
    Case("scp-root-deny-beats-identity-allow", "connect:DeleteInstance", INSTANCE,
         scps=[[FULL, deny("connect:DeleteInstance", INSTANCE)], [FULL]], expect=Decision.DENY),
    # --- the guardrail shapes
    Case("guardrail-break-glass-unknown-principal", "connect:DeleteInstance", INSTANCE,
         scps=[[FULL], [FULL, GUARD]], closed=False, expect=Decision.CONDITIONAL, keys={"aws:PrincipalArn"}),
    Case("guardrail-break-glass-admin", "connect:DeleteInstance", INSTANCE, scps=[[FULL], [FULL, GUARD]],
         context={"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin"}, expect=Decision.DENY),
    Case("guardrail-break-glass-role", "connect:DeleteInstance", INSTANCE, scps=[[FULL], [FULL, GUARD]],
         context={"aws:PrincipalArn": "arn:aws:iam::111122223333:role/BreakGlass"}),
    Case("guardrail-other-instance-not-protected", "connect:DeleteInstance",
         INSTANCE.replace("0a1b2c3d", "ffffffff"), scps=[[FULL], [FULL, GUARD]], closed=False),
]


def _layers(case: Case):
    names = ["root", "ou", "account"]
    layers = []
    if case.scps is not None:
        levels = []
        for i, docs in enumerate(case.scps):
            name = names[i] if len(case.scps) == 3 else (["root", "account"][i] if len(case.scps) == 2 else f"l{i}")
            levels.append((name, [parse_policy(d, f"{name}-scp-{j}", "scp") for j, d in enumerate(docs)]))
        layers += scp_layers(levels)
    boundary = None if case.boundary is None else [parse_policy(d, f"boundary-{j}", "boundary")
                                                   for j, d in enumerate(case.boundary)]
    layers += principal_layers([parse_policy(d, f"identity-{j}") for j, d in enumerate(case.identity)], boundary)
    return layers


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_documentation_case(case: Case) -> None:
    context = RequestContext.of(case.context, absent=case.absent, closed=case.closed)
    result = evaluate(Request(case.action, case.resource, context), _layers(case))
    assert result.decision is case.expect, result.reason()
    if case.keys is not None:
        assert set(result.unresolved_keys) == case.keys
    if case.denied_at is not None:
        assert result.missing_allow == [case.denied_at]
        assert not result.explicit_denies


def test_conditional_deny_is_never_reported_as_deny() -> None:
    case = next(c for c in CASES if c.id == "guardrail-break-glass-unknown-principal")
    result = evaluate(Request(case.action, case.resource, RequestContext()), _layers(case))
    assert not result.denied and not result.explicit_denies
    assert [m.sid for m in result.conditional_denies] == [None]
    assert result.conditional_denies[0].layer == "account"
    assert "aws:PrincipalArn" in result.reason()


def test_explicit_deny_names_policy_statement_and_level() -> None:
    scp = parse_policy({"Statement": [{"Sid": "ProtectConnect", "Effect": "Deny", "Action": "connect:Delete*",
                                       "Resource": "*"}]}, "guardrail", "scp")
    full = parse_policy(FULL, "FullAWSAccess", "scp")
    layers = scp_layers([("root r-1", [full]), ("ou ou-1", [full, scp]), ("account 1", [full])])
    layers += principal_layers([parse_policy(FULL, "admin")])
    result = evaluate(Request("connect:DeleteInstance", INSTANCE), layers)
    assert result.denied and result.explicit
    match = result.explicit_denies[0]
    assert (match.policy, match.sid, match.layer) == ("guardrail", "ProtectConnect", "ou ou-1")
    assert result.to_json()["explicit_denies"][0]["layer"] == "ou ou-1"


EDGE_CASES = [
    Case("ipv6-inside", "s3:ListBucket", identity=[allow("s3:ListBucket", Condition={
        "IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}})], context={"aws:SourceIp": "2001:db8:1234:5678::9"}),
    Case("ipv4-request-vs-ipv6-range", "s3:ListBucket", identity=[allow("s3:ListBucket", Condition={
        "IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}})], context={"aws:SourceIp": "192.0.2.1"},
         expect=Decision.DENY),
    Case("date-epoch-policy-value", "ec2:RunInstances", identity=[allow("ec2:*", Condition={
        "DateLessThan": {"aws:CurrentTime": "1700000000"}})], context={"aws:CurrentTime": "2023-01-01T00:00:00Z"}),
    Case("literal-star-variable", "s3:GetObject", "arn:aws:s3:::b/x", identity=[allow("s3:GetObject",
                                                                                   "arn:aws:s3:::b/${*}")],
         expect=Decision.DENY),
    Case("literal-star-variable-matches-star", "s3:GetObject", "arn:aws:s3:::b/*",
         identity=[allow("s3:GetObject", "arn:aws:s3:::b/${*}")]),
    Case("variable-default-used", "s3:GetObject", "arn:aws:s3:::b/none/x",
         identity=[allow("s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/team, 'none'}/*")]),
    Case("arnlike-segment-account", "sns:Publish", identity=[allow("sns:Publish", Condition={
        "ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}})],
         context={"aws:SourceArn": "arn:aws:sns:us-east-1:444455556666:topic"}, expect=Decision.DENY),
    Case("conditional-allow-in-scp", "s3:ListBucket", scps=[[FULL], [allow("*", Condition={
        "StringEquals": {"aws:PrincipalTag/env": "prod"}})]], closed=False, expect=Decision.CONDITIONAL,
         keys={"aws:PrincipalTag/env"}),
    Case("deny-with-unresolved-variable-is-conditional", "s3:DeleteBucket", "arn:aws:s3:::home-alice",
         identity=[FULL, deny("s3:DeleteBucket", "arn:aws:s3:::home-${aws:username}")], closed=False,
         expect=Decision.CONDITIONAL, keys={"aws:username"}),
    Case("forallvalues-negated", "ec2:CreateTags", identity=[allow("ec2:CreateTags", Condition={
        "ForAllValues:StringNotLike": {"aws:TagKeys": ["aws:*"]}})], context={"aws:TagKeys": ["env", "aws:x"]},
         expect=Decision.DENY),
    Case("foranyvalue-negated", "ec2:CreateTags", identity=[allow("ec2:CreateTags", Condition={
        "ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}})], context={"aws:TagKeys": ["env", "owner"]}),
    Case("bool-if-exists-present-false", "s3:ListBucket", identity=[allow("s3:ListBucket", Condition={
        "BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})], context={"aws:MultiFactorAuthPresent": "false"},
         expect=Decision.DENY),
    Case("action-without-resource-level-permissions", "connect:ListInstances", "*",
         identity=[allow("connect:ListInstances", "arn:aws:connect:*:*:instance/*")], expect=Decision.DENY),
]


@pytest.mark.parametrize("case", EDGE_CASES, ids=[c.id for c in EDGE_CASES])
def test_edge_case(case: Case) -> None:
    test_documentation_case(case)
