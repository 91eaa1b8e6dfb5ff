"""Malformed policies are errors naming the policy and the element, never a silent misreading."""

from __future__ import annotations

import pytest

from connectguard.conventions import InputError
from connectguard.policy import PolicyError, parse_policy

GOOD = {"Effect": "Deny", "Action": "connect:DeleteInstance", "Resource": "*"}


@pytest.mark.parametrize(
    ("document", "element", "problem"),
    [
        ('{"Statement": [', "document", "not valid JSON"),
        ([GOOD], "document", "must be a JSON object"),
        ({"Statment": [GOOD]}, "Statment", "not a policy element"),
        ({"Version": "2020-01-01", "Statement": [GOOD]}, "Version", "not a policy language version"),
        ({"Statement": "deny everything"}, "Statement", "must be an object or a list"),
        ({"Statement": [{**GOOD, "Efect": "Deny"}]}, "Statement[0].Efect", "not a statement element"),
        ({"Statement": [{**GOOD, "Effect": "deny"}]}, "Statement[0].Effect", "must be \"Allow\" or \"Deny\""),
        ({"Statement": [{**GOOD, "Action": 42}]}, "Statement[0].Action", "string or a list of strings"),
        ({"Statement": [{**GOOD, "Action": []}]}, "Statement[0].Action", "empty list"),
        ({"Statement": [{**GOOD, "NotAction": "iam:*"}]}, "Statement[0].Action", "exactly one of"),
        ({"Statement": [{**GOOD, "Action": "DeleteInstance"}]}, "Statement[0].Action", "not service:action"),
        ({"Statement": [{**GOOD, "NotResource": "x"}]}, "Statement[0].Resource", "cannot both"),
        ({"Statement": [{"Sid": "S1", "Effect": "Deny", "Action": "s3:*"}]}, "Statement[0] (Sid S1).Resource",
         "is required"),
        ({"Statement": [{**GOOD, "Principal": "*"}]}, "Statement[0].Principal", "not allowed in a scp policy"),
        ({"Statement": [{**GOOD, "Condition": {"StringEqualz": {"a:b": "c"}}}]},
         "Statement[0].Condition.StringEqualz", "not a condition operator"),
        ({"Statement": [{**GOOD, "Condition": {"NullIfExists": {"a:b": "true"}}}]},
         "Statement[0].Condition.NullIfExists", "not a condition operator"),
        ({"Statement": [{**GOOD, "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}]},
         "Statement[0].Condition.NumericLessThan.s3:max-keys", "'ten' is not a number"),
        ({"Statement": [{**GOOD, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.300/8"}}}]},
         "Statement[0].Condition.IpAddress.aws:SourceIp", "not an IP address"),
        ({"Statement": [{**GOOD, "Condition": {"Bool": {"aws:SecureTransport": "yes"}}}]},
         "Statement[0].Condition.Bool.aws:SecureTransport", "not true or false"),
        ({"Statement": [{**GOOD, "Condition": {"DateLessThan": {"aws:CurrentTime": "tomorrow"}}}]},
         "Statement[0].Condition.DateLessThan.aws:CurrentTime", "not a date"),
        ({"Statement": [{**GOOD, "Condition": {"StringEquals": {"aws:x": {"nested": 1}}}}]},
         "Statement[0].Condition.StringEquals.aws:x", "values must be"),
        ({"Statement": [{**GOOD, "Condition": ["StringEquals"]}]}, "Statement[0].Condition", "must be an object"),
    ],
)
def test_malformed_policy_names_policy_and_element(document, element, problem) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(document, "DenyConnectDeletion", "scp")
    err = info.value
    assert isinstance(err, InputError)  # the CLI turns it into one line and exit 2
    assert err.policy == "DenyConnectDeletion"
    assert err.element == element
    assert problem in err.problem
    assert "DenyConnectDeletion" in str(err) and element in str(err)


def test_well_formed_variants_parse() -> None:
    policy = parse_policy('{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["s3:Get*"], '
                          '"Resource": "arn:aws:s3:::b/${aws:username}/*", '
                          '"Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", true, 3]}}}}',
                          "p")
    clause = policy.statements[0].conditions[0]
    assert (clause.set_op, clause.base, clause.if_exists) == ("ForAnyValue", "StringLike", True)
    assert clause.values == ("a*", "true", "3")
    trust = parse_policy({"Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:saml-provider/x"},
                                         "Action": "sts:AssumeRoleWithSAML"}]}, "trust", "trust")
    assert trust.statements[0].resources == ("*",)
