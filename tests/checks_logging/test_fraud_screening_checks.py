from flowkit import OTHER_ARN, SCREEN_ARN, act, bye, content, flow, lam, queue, to_flow
from logkit import INSTANCE_ARN, INSTANCE_ID, error, instance, results, snapshot, statuses

from connectguard.conventions import Severity, Status
from connectguard.inventory.model import LambdaFunction

DECIDE = act("d", "Compare", params={"ComparisonValue": "$.External.decision"},
             conditions=[("allow", "q"), ("block", "bye")], errors=[("NoMatchingCondition", "bye")])
SCREENED = content("s", lam("s", "d", SCREEN_ARN, error="bye"), DECIDE, queue("q", "bye"), bye())
UNSCREENED = content("q", queue("q", "bye"), bye())

SCOPED = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "connect.amazonaws.com"},
                         "Action": "lambda:InvokeFunction", "Resource": SCREEN_ARN,
                         "Condition": {"ArnLike": {"aws:SourceArn": INSTANCE_ARN}}}]}
UNSCOPED = {"Statement": [{**SCOPED["Statement"][0], "Condition": {}}]}


def _snap(flows, entries=("main",), functions=(), **inst_kw):
    return snapshot(instance(flows, entries=list(entries), **inst_kw), lambda_functions=list(functions))


def test_screened_voice_entry_passes_and_unscreened_fails_with_path():
    assert statuses(_snap([flow("main", SCREENED)]), "entry-flow-not-screened") == [Status.PASS]
    [f] = results(_snap([flow("main", UNSCREENED)]), "entry-flow-not-screened")
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert f.evidence["violations"][0]["path_text"] == "main[q]"


def test_screen_in_a_transferred_flow_counts():
    entry = flow("main", content("t", to_flow("t", "screen")))
    assert statuses(_snap([entry, flow("screen", SCREENED)]), "entry-flow-not-screened") == [Status.PASS]


def test_chat_entry_flows_are_reported_at_info():
    snap = _snap([flow("chat", UNSCREENED)], entries=())
    [f] = results(snap, "entry-flow-not-screened", {"audit": {"entry_flows": {INSTANCE_ID: ["chat"]}}})
    assert f.status is Status.FAIL and f.severity is Severity.INFO


def test_entry_flow_unseen_or_dynamic_is_unknown():
    snap = _snap([flow("main", None)])
    assert statuses(snap, "entry-flow-not-screened") == [Status.UNKNOWN]
    dyn = flow("main", content("t", to_flow("t", "$.Attributes.f")))
    assert statuses(_snap([dyn]), "entry-flow-not-screened") == [Status.UNKNOWN]
    snap = _snap(None)
    snap.errors.append(error("instance.flows", instance_id=INSTANCE_ID))
    assert statuses(snap, "entry-flow-not-screened") == [Status.UNKNOWN]


def test_screening_lambda_association():
    assert statuses(_snap([flow("main", SCREENED)]), "screening-lambda-not-associated") == [Status.PASS]
    [f] = results(_snap([flow("main", SCREENED)], lambda_functions=[OTHER_ARN]), "screening-lambda-not-associated")
    assert f.status is Status.FAIL and f.resource == SCREEN_ARN
    assert statuses(_snap([flow("main", SCREENED)], lambda_functions=None), "screening-lambda-not-associated") == [
        Status.UNKNOWN]
    # no screening Lambda used: nothing to say
    assert results(_snap([flow("main", UNSCREENED)]), "screening-lambda-not-associated") == []


def test_screening_lambda_policy_scoping():
    fn = LambdaFunction(arn=SCREEN_ARN, name="connectguard-screen", resource_policy=SCOPED)
    assert statuses(_snap([flow("main", SCREENED)], functions=[fn]), "screening-lambda-policy-unscoped") == [Status.PASS]
    loose = fn.model_copy(update={"resource_policy": UNSCOPED})
    [f] = results(_snap([flow("main", SCREENED)], functions=[loose]), "screening-lambda-policy-unscoped")
    assert f.status is Status.FAIL and f.evidence["statements"]
    none = fn.model_copy(update={"resource_policy": None})
    [f] = results(_snap([flow("main", SCREENED)], functions=[none]), "screening-lambda-policy-unscoped")
    assert f.status is Status.FAIL and "no resource policy" in f.message
    snap = _snap([flow("main", SCREENED)], functions=[none])
    snap.errors.append(error("lambda_function", resource=SCREEN_ARN))
    assert statuses(snap, "screening-lambda-policy-unscoped") == [Status.UNKNOWN]
    assert statuses(_snap([flow("main", SCREENED)], functions=[]), "screening-lambda-policy-unscoped") == [Status.UNKNOWN]


def test_screening_patterns_are_configurable():
    body = content("s", lam("s", "d", OTHER_ARN, error="bye"), DECIDE, queue("q", "bye"), bye())
    assert statuses(_snap([flow("main", body)]), "entry-flow-not-screened") == [Status.FAIL]
    config = {"audit": {"screening_lambda_patterns": ["crm-*"]}}
    assert statuses(_snap([flow("main", body)]), "entry-flow-not-screened", config) == [Status.PASS]


def test_fail_open_on_lambda_error_is_a_low_severity_failure():
    body = content("s", lam("s", "d", SCREEN_ARN, error="q"), DECIDE, queue("q", "bye"), bye())
    [f] = results(_snap([flow("main", body)]), "entry-flow-not-screened")
    assert f.status is Status.FAIL and f.severity is Severity.LOW and "fails open" in f.message
