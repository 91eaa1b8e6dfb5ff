"""Deployment artifacts: the Lambda zip, the CloudFormation template (cfn-lint) and the flow snippet."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import zipfile

import pytest
from cfnlint.api import ManualArgs, lint

from connectguard.fraud import identity, package, template

REGIONS = ["us-east-1", "eu-west-2", "ap-southeast-2"]  # Regions with Amazon Connect


def cfn_errors(doc: dict) -> list[str]:
    return [str(m) for m in lint(json.dumps(doc), config=ManualArgs(regions=REGIONS))]


def test_template_passes_cfn_lint():
    assert cfn_errors(template.cloudformation()) == []


def test_cfn_lint_does_catch_a_broken_template():
    broken = copy.deepcopy(template.cloudformation())
    broken["Resources"]["InstanceAssociation"]["Properties"]["IntegrationType"] = "LAMBDA"
    del broken["Resources"]["ConnectInvokePermission"]["Properties"]["Principal"]
    errors = cfn_errors(broken)
    assert any("LAMBDA" in e for e in errors) and any("Principal" in e for e in errors)


def test_template_scopes_invocation_and_access():
    res = template.cloudformation()["Resources"]
    perm = res["ConnectInvokePermission"]["Properties"]
    assert perm["Principal"] == "connect.amazonaws.com"
    assert perm["SourceArn"] == {"Ref": "ConnectInstanceArn"} and perm["SourceAccount"] == {"Ref": "AWS::AccountId"}
    statements = res["Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    for statement in statements:
        assert statement["Resource"] != "*" and "*" not in json.dumps(statement["Action"])
    dynamo = [s for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert dynamo == [s for s in statements if s["Resource"] == {"Fn::GetAtt": ["Table", "Arn"]}]
    fn = res["Function"]["Properties"]
    assert fn["Handler"] == identity.HANDLER
    assert fn["Code"] == {"S3Bucket": {"Ref": "CodeS3Bucket"}, "S3Key": {"Ref": "CodeS3Key"}}
    assert res["Table"]["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert res["InstanceAssociation"]["Properties"]["IntegrationType"] == "LAMBDA_FUNCTION"
    deadline_s = int(fn["Environment"]["Variables"]["CONNECTGUARD_FRAUD_DEADLINE_MS"]) / 1000
    assert fn["Timeout"] > deadline_s


def reachable(flow: dict, start: str) -> set[str]:
    by_id = {a["Identifier"]: a for a in flow["Actions"]}
    seen, todo = set(), [start]
    while todo:
        ident = todo.pop()
        if ident in seen:
            continue
        seen.add(ident)
        todo.extend(targets(by_id[ident]))
    return seen


def targets(action: dict) -> list[str]:
    t = action["Transitions"]
    out = [t["NextAction"]] if "NextAction" in t else []
    out += [e["NextAction"] for e in t.get("Errors", [])]
    out += [c["NextAction"] for c in t.get("Conditions", [])]
    return out


@pytest.mark.parametrize("deadline_ms", [500, 2000, 2500, 6000])
def test_flow_snippet_is_valid_flow_language(deadline_ms):
    flow = json.loads(json.dumps(template.flow_snippet(deadline_ms=deadline_ms)))
    assert flow["Version"] == "2019-10-30"
    ids = [a["Identifier"] for a in flow["Actions"]]
    assert len(ids) == len(set(ids)) and all(0 < len(i) <= 50 for i in ids) and len(ids) <= 250
    assert flow["StartAction"] in ids
    for action in flow["Actions"]:
        assert set(action) == {"Identifier", "Type", "Parameters", "Transitions"}
        for target in targets(action):
            assert target in ids, (action["Identifier"], target)
        if action["Type"] == "DisconnectParticipant":
            assert action["Transitions"] == {}
        else:  # every non-terminal action goes somewhere on error too
            assert action["Transitions"].get("Errors") or action["Type"] == "UpdateFlowLoggingBehavior"
    assert reachable(flow, flow["StartAction"]) == set(ids)

    by_id = {a["Identifier"]: a for a in flow["Actions"]}
    invokes = [a for a in flow["Actions"] if a["Type"] == "InvokeLambdaFunction"]
    assert len(invokes) == 1
    invoke = invokes[0]
    limit = int(invoke["Parameters"]["InvocationTimeLimitSeconds"])
    assert deadline_ms / 1000 < limit <= 8
    assert invoke["Parameters"]["ResponseValidation"] == {"ResponseType": "STRING_MAP"}
    # Error branch (also the timeout path) continues to normal handling, never to a disconnect.
    error_target = invoke["Transitions"]["Errors"][0]["NextAction"]
    assert invoke["Transitions"]["Errors"][0]["ErrorType"] == "NoMatchingError"
    error_path = reachable(flow, error_target)
    assert "TransferToFlow" in {by_id[i]["Type"] for i in error_path}
    assert all(by_id[i]["Type"] != "DisconnectParticipant" for i in reachable(flow, error_target)
               if i not in reachable(flow, "transfer-failed"))
    # The result is branched on, and block leads to a disconnect.
    compare = by_id[invoke["Transitions"]["NextAction"]]
    assert compare["Type"] == "Compare" and compare["Parameters"]["ComparisonValue"] == "$.External.decision"
    branches = {c["Condition"]["Operands"][0]: c["NextAction"] for c in compare["Transitions"]["Conditions"]}
    assert set(branches) == {"allow", "block", "review"}
    assert "DisconnectParticipant" in {by_id[i]["Type"] for i in reachable(flow, branches["block"])}
    assert "DisconnectParticipant" not in {by_id[i]["Type"] for i in reachable(flow, branches["review"])
                                           if i not in reachable(flow, error_target)}


def test_a_deadline_that_leaves_no_room_for_cold_start_is_refused():
    with pytest.raises(ValueError):
        template.flow_snippet(deadline_ms=7000)


def test_package_contains_the_screening_code_and_phonenumbers_only(tmp_path):
    report = package.build(tmp_path / "fraud.zip")
    names = zipfile.ZipFile(tmp_path / "fraud.zip").namelist()
    assert report.files == len(names) and report.size_bytes == (tmp_path / "fraud.zip").stat().st_size
    top = {n.split("/")[0] for n in names}
    assert top <= {"connectguard", "phonenumbers"} | {n.split("/")[0] for n in names if ".dist-info/" in n}
    cg = sorted(n for n in names if n.startswith("connectguard/"))
    assert "connectguard/fraud/handler.py" in cg
    for excluded in ("admin", "template", "package", "testing"):
        assert f"connectguard/fraud/{excluded}.py" not in cg
    assert not any(n.startswith(("connectguard/cli", "connectguard/config", "boto3", "botocore")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyi") for n in names)
    # Reproducible: the same installed files give the same bytes.
    assert package.build(tmp_path / "again.zip").sha256 == report.sha256


def test_packaged_handler_runs_from_the_zip_alone(tmp_path):
    package.build(tmp_path / "fraud.zip")
    root = tmp_path / "task"
    zipfile.ZipFile(tmp_path / "fraud.zip").extractall(root)
    # Like the Lambda runtime: the task root first on sys.path; boto3 comes from the runtime.
    script = (
        "import sys, json; sys.path.insert(0, sys.argv[1])\n"
        "import connectguard.fraud as f, phonenumbers\n"
        "assert f.__file__.startswith(sys.argv[1]) and phonenumbers.__file__.startswith(sys.argv[1])\n"
        "ev = {'Details': {'ContactData': {'ContactId': 'c1', 'CustomerEndpoint': {'Address': 'anonymous'}}}}\n"
        "print(json.dumps(f.lambda_handler(ev, None)))"
    )
    env = {"PATH": "/usr/bin:/bin", "CONNECTGUARD_FRAUD_TABLE": "t", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    out = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, env=env,
                         check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "decision": "review", "reason": "withheld", "recent_contacts": "0", "recorded": "false"}
