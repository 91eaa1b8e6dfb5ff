"""How to recognise connectguard's screening Lambda and its contract with a flow.

Standard library only: the audit check ``[fraud-screening]`` imports this module to
decide whether an ``InvokeLambdaFunction`` block in a flow calls a screening
function, without pulling in boto3 or phonenumbers.

A function counts as a screening Lambda when ANY of these holds:

* its handler is :data:`HANDLER` (``connectguard.fraud.lambda_handler``) — from
  ``lambda:GetFunctionConfiguration``;
* it carries the tag :data:`ROLE_TAG_KEY` = :data:`ROLE_TAG_VALUE`
  (``connectguard:role`` = ``fraud-screening``) — the generated template sets it; other
  screening functions can opt in by adding the tag;
* its name starts with :data:`FUNCTION_NAME_PREFIX` (``connectguard-fraud``) — the
  template's default name; weakest signal, usable from the ARN in the flow alone.

A flow *branches on its result* when a later ``Compare`` action reads
:data:`DECISION_PATH` (``$.External.decision``).
"""

from __future__ import annotations

from collections.abc import Mapping

HANDLER = "connectguard.fraud.lambda_handler"
FUNCTION_NAME_PREFIX = "connectguard-fraud"
DEFAULT_FUNCTION_NAME = "connectguard-fraud-screen"
ROLE_TAG_KEY = "connectguard:role"
ROLE_TAG_VALUE = "fraud-screening"

# The flat string map the handler returns, read in a flow as $.External.<key>.
DECISION_KEY = "decision"
REASON_KEY = "reason"
DECISION_PATH = "$.External.decision"
DECISIONS = ("allow", "block", "review")

# Reasons the handler can return (values are alphanumeric and dashes only, as the
# STRING_MAP response contract requires).
REASONS = (
    "ok",  # allow: nothing matched
    "deny-list",  # exact number on the deny list
    "deny-prefix",  # number inside a denied range
    "velocity",  # too many recent contacts from the number
    "withheld",  # no caller number (missing, anonymous, restricted ...)
    "unparseable",  # a caller number that is not a possible phone number
    "bad-event",  # malformed event or flow parameter: fail mode
    "bad-config",  # invalid environment setting: fail mode
    "error",  # DynamoDB error: fail mode
    "timeout",  # no answer within the deadline: fail mode
)


def function_name_from_arn(arn_or_name: str) -> str:
    """``arn:aws:lambda:r:a:function:NAME[:alias]`` -> ``NAME``; a bare name is returned as is."""
    parts = arn_or_name.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[5] == "function":
        return parts[6]
    return arn_or_name


def is_screening_function(
    arn_or_name: str,
    *,
    handler: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> bool:
    """True when the function is recognisably a connectguard screening Lambda (see module doc)."""
    if handler == HANDLER:
        return True
    if tags is not None and tags.get(ROLE_TAG_KEY) == ROLE_TAG_VALUE:
        return True
    return function_name_from_arn(arn_or_name).startswith(FUNCTION_NAME_PREFIX)
