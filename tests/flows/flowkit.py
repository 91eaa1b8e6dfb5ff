"""Building flow-language content and instances for tests."""

from __future__ import annotations

import json
from typing import Any

from connectguard.inventory.model import Flow, FlowModule, Instance

REGION = "us-east-1"
ACCOUNT = "123456789012"
INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
INSTANCE_ARN = f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE_ID}"
SCREEN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:connectguard-screen"
OTHER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:crm-lookup"


def flow_arn(flow_id: str) -> str:
    return f"{INSTANCE_ARN}/contact-flow/{flow_id}"


def module_arn(module_id: str) -> str:
    return f"{INSTANCE_ARN}/flow-module/{module_id}"


def act(ident: str, kind: str, nxt: str | None = None, *, params: dict[str, Any] | None = None,
        errors: list[tuple[str, str]] | None = None, conditions: list[tuple[str, str]] | None = None) -> dict:
    transitions: dict[str, Any] = {}
    if nxt:
        transitions["NextAction"] = nxt
    if errors:
        transitions["Errors"] = [{"NextAction": t, "ErrorType": e} for e, t in errors]
    if conditions:
        transitions["Conditions"] = [{"NextAction": t, "Condition": {"Operator": "Equals", "Operands": [v]}}
                                     for v, t in conditions]
    return {"Identifier": ident, "Type": kind, "Parameters": params or {}, "Transitions": transitions}


def log(ident: str, nxt: str, value: str = "Enabled") -> dict:
    return act(ident, "UpdateFlowLoggingBehavior", nxt, params={"FlowLoggingBehavior": value})


def lam(ident: str, nxt: str, arn: str = OTHER_ARN, error: str | None = None) -> dict:
    return act(ident, "InvokeLambdaFunction", nxt, params={"LambdaFunctionARN": arn, "InvocationTimeLimitSeconds": "8"},
               errors=[("NoMatchingError", error or nxt)])


def to_flow(ident: str, target: str, error: str | None = None) -> dict:
    return act(ident, "TransferToFlow", params={"ContactFlowId": target},
               errors=[("NoMatchingError", error)] if error else None)


def module(ident: str, target: str, nxt: str) -> dict:
    return act(ident, "InvokeFlowModule", nxt, params={"FlowModuleId": target})


def queue(ident: str, error: str) -> dict:
    return act(ident, "TransferContactToQueue", errors=[("QueueAtCapacity", error), ("NoMatchingError", error)])


def bye(ident: str = "bye") -> dict:
    return act(ident, "DisconnectParticipant")


def end(ident: str = "end") -> dict:
    return act(ident, "EndFlowExecution")


def content(start: str, *actions: dict) -> str:
    return json.dumps({"Version": "2019-10-30", "StartAction": start, "Actions": list(actions)})


def flow(flow_id: str, body: str | None, *, name: str | None = None, status: str = "PUBLISHED") -> Flow:
    return Flow(id=flow_id, arn=flow_arn(flow_id), name=name or flow_id, type="CONTACT_FLOW", state="ACTIVE",
                status=status, content=body)


def flow_module(module_id: str, body: str | None, *, name: str | None = None) -> FlowModule:
    return FlowModule(id=module_id, arn=module_arn(module_id), name=name or module_id, state="ACTIVE",
                      status="PUBLISHED", content=body)


def instance(flows: list[Flow] | None, modules: list[FlowModule] | None = None, *,
             entries: list[str] = (), **kwargs: Any) -> Instance:
    """An instance whose phone numbers start the flows named in ``entries``."""
    associations = {f"arn:aws:connect:{REGION}:{ACCOUNT}:phone-number/pn-{i}": flow_arn(f) for i, f in
                    enumerate(entries)}
    values = dict(id=INSTANCE_ID, arn=INSTANCE_ARN, alias="acme", identity_management_type="SAML",
                  attributes={"CONTACTFLOW_LOGS": "true"}, flows=flows, flow_modules=modules or [],
                  flow_associations=associations, phone_numbers=[], lambda_functions=[SCREEN_ARN])
    values.update(kwargs)
    return Instance(**values)
