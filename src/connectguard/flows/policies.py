"""The two analyses the audit runs over the flow graph: logging state and caller screening."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import NamedTuple

from connectguard.flows.graph import FlowUnit
from connectguard.flows.language import (
    COMPARE,
    INVOKE_LAMBDA,
    QUEUE_TRANSFERS,
    SET_LOGGING,
    TRANSFER_TO_FLOW,
    TRANSFERS,
    Action,
    Transition,
    is_dynamic,
)

# Logging states. UNSET: no Set logging behavior block on the path yet, so nothing is written
# (the CONTACTFLOW_LOGS attribute only creates the log group).
LOG_UNSET = "unset"
LOG_ON = "on"
LOG_OFF = "off"


def logging_value(action: Action) -> str | None:
    if action.type != SET_LOGGING:
        return None
    value = action.param("FlowLoggingBehavior")
    return value if isinstance(value, str) else None


class LoggingAnalysis:
    """Logging must be on before a Lambda call, a transfer, or the end of the contact."""

    def step(self, unit: FlowUnit, action: Action, state: str, transition: Transition) -> str:
        value = logging_value(action)
        if value == "Enabled":
            return LOG_ON
        if value == "Disabled":
            return LOG_OFF
        return state

    def check(self, unit: FlowUnit, action: Action, state: str, *, exits: bool) -> str | None:
        if state == LOG_ON:
            return None
        if action.type == INVOKE_LAMBDA:
            what = "invokes a Lambda function"
        elif action.type in TRANSFERS:
            what = f"transfers the contact ({action.type})"
        elif action.type == TRANSFER_TO_FLOW and exits:
            what = "transfers to a flow the audit cannot follow"
        elif exits:
            what = "ends the contact"
        else:
            return None
        why = "logging was never turned on" if state == LOG_UNSET else "logging was turned off"
        return f"{what} while {why}"


def lambda_name(arn: str) -> str:
    """``arn:aws:lambda:r:a:function:NAME[:qualifier]`` -> ``NAME`` (a bare name stays as it is)."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[5] == "function":
        return parts[6]
    return arn


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    low = name.lower()
    return any(fnmatch.fnmatchcase(low, p.lower()) for p in patterns)


# Not a violation (issue 7): a fault in screening must never drop a legitimate caller, so a screening Lambda whose
# error branch goes on to normal handling is the intended design. The analysis still reports it, under this reason,
# so the check can show where callers continue unscreened.
FAIL_OPEN_REASON = "transfers to a queue on the screening Lambda's error branch (continues unscreened, by design)"


class ScreenState(NamedTuple):
    # A tuple, not a dataclass: states are hashed at every step of the exploration, and tuples hash in C.
    screened: bool = False  # a screening Lambda returned (its success branch was taken)
    branched: bool = False  # the flow then branched on the decision it returned
    failed_open: bool = False  # the screening Lambda's error branch was taken (timeout, throttle, no permission)

    @property
    def ok(self) -> bool:
        return self.screened and self.branched


_SCREENED = ScreenState(screened=True)
_DECIDED = ScreenState(screened=True, branched=True)
_FAILED_OPEN = ScreenState(failed_open=True)


class ScreeningAnalysis:
    """A screening Lambda must run, and the flow branch on its decision, before any queue transfer."""

    def __init__(self, patterns: Iterable[str], decision_keys: Iterable[str] = ("decision",)):
        self.patterns = list(patterns)
        self.decision_paths = {f"$.External.{k}" for k in decision_keys}
        self._screening_arns: dict[str, bool] = {}  # function ARN -> matches a pattern (asked at every step)

    def is_screening_lambda(self, action: Action) -> bool:
        if action.type != INVOKE_LAMBDA:
            return False
        arn = action.param("LambdaFunctionARN")
        if not isinstance(arn, str):
            return False
        known = self._screening_arns.get(arn)
        if known is None:
            known = self._screening_arns[arn] = not is_dynamic(arn) and matches_any(lambda_name(arn), self.patterns)
        return known

    def step(self, unit: FlowUnit, action: Action, state: ScreenState, transition: Transition) -> ScreenState:
        if self.is_screening_lambda(action):
            # The error branch (timeout, throttle, missing permission) means nobody was screened.
            if transition.kind == "error":
                return state if state.ok else _FAILED_OPEN
            return _SCREENED
        if action.type == COMPARE and state.screened and action.param("ComparisonValue") in self.decision_paths:
            # Every way out of a comparison on the decision (a match, the default, no match) follows from it.
            return _DECIDED
        return state

    def check(self, unit: FlowUnit, action: Action, state: ScreenState, *, exits: bool) -> str | None:
        if action.type not in QUEUE_TRANSFERS or state.ok:
            return None
        if state.screened:
            return "transfers to a queue without branching on the screening decision"
        if state.failed_open:
            return FAIL_OPEN_REASON
        return "transfers to a queue before any screening Lambda returned a decision"
