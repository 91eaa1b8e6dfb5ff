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


def test_error_branch_going_on_to_the_queue_is_the_intended_design_and_passes_with_a_note():
    # Issue 7: a fault in screening must never drop a legitimate caller.
    body = content("s", lam("s", "d", SCREEN_ARN, error="q"), DECIDE, queue("q", "bye"), bye())
    [f] = results(_snap([flow("main", body)]), "entry-flow-not-screened")
    assert f.status is Status.PASS
    assert "continues unscreened" in f.evidence["note"] and "by design" in f.evidence["note"]
    [path] = f.evidence["unscreened_on_error"]
    assert path["action"] == "q" and path["path_text"] == "main[s > q]"
    # a flow without that branch has no note
    [ok] = results(_snap([flow("main", SCREENED)]), "entry-flow-not-screened")
    assert ok.status is Status.PASS and "note" not in ok.evidence


def test_error_branch_note_does_not_hide_an_unscreened_path():
    # the error branch continues by design, but another path skips the screen entirely
    body = content("c", act("c", "Compare", params={"ComparisonValue": "$.Attributes.vip"},
                            conditions=[("yes", "q")], errors=[("NoMatchingCondition", "s")]),
                   lam("s", "d", SCREEN_ARN, error="q"), DECIDE, queue("q", "bye"), bye())
    [f] = results(_snap([flow("main", body)]), "entry-flow-not-screened")
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert [v["reason"] for v in f.evidence["violations"]] == [
        "transfers to a queue before any screening Lambda returned a decision"]
    assert f.evidence["violations"][0]["path_text"] == "main[c > q]"
    assert f.evidence["unscreened_on_error"][0]["path_text"] == "main[c > s > q]"


def test_remediation_names_commands_that_exist():
    import re

    import click

    from connectguard.audit.registry import all_checks
    from connectguard.cli import cli

    [meta] = [c.meta for c in all_checks() if c.meta.id == "entry-flow-not-screened"]
    named = re.findall(r"`connectguard ([a-z-]+) ([a-z-]+)`", meta.remediation)
    assert ("fraud", "package") in named and ("fraud", "template") in named
    ctx = click.Context(cli)
    for group, sub in named:
        command = cli.get_command(ctx, group)
        assert isinstance(command, click.Group) and command.get_command(ctx, sub) is not None, (group, sub)


def test_many_entry_flows_on_a_ring_get_the_verdict_each_would_get_alone():
    # 12 flows in a TransferToFlow ring; every third one skips the screen on its error branch of a compare.
    # One shared analysis answers every entry; each entry alone (its own snapshot) must agree.
    n = 12
    flows = []
    for i in range(n):
        nxt = f"r{(i + 1) % n}"
        if i == 5:  # the only unscreened queue transfer on the ring
            flows.append(flow(f"r{i}", content("q", queue("q", "t"), to_flow("t", nxt))))
        elif i == 8:  # screens, then everything downstream is screened
            flows.append(flow(f"r{i}", content("s", lam("s", "d", SCREEN_ARN, error="bye"), DECIDE,
                                                queue("q", "t"), to_flow("t", nxt), bye())))
        else:
            flows.append(flow(f"r{i}", content("m", act("m", "MessageParticipant", "t"), to_flow("t", nxt))))
    entries = [f"r{i}" for i in range(n)]
    together = {f.resource: f for f in results(_snap(flows, entries=entries), "entry-flow-not-screened")}
    assert len(together) == n
    for entry in entries:
        [alone] = results(_snap(flows, entries=[entry]), "entry-flow-not-screened")
        shared = together[alone.resource]
        assert shared.status is alone.status, entry
        if alone.status is Status.FAIL:
            assert [v["reason"] for v in shared.evidence["violations"]] == \
                [v["reason"] for v in alone.evidence["violations"]]
            assert shared.evidence["violations"][0]["path_text"].startswith(f"{entry}[")
    # the screen in r8 protects r6, r7 and r8 (their paths reach r5's queue only after r8), not r9..r5
    assert {r for r, f in together.items() if f.status is Status.PASS} == {
        f.arn for f in flows if f.id in ("r6", "r7", "r8")}


def test_the_snippet_connectguard_fraud_template_writes_passes_with_the_error_branch_noted():
    import json

    from flowkit import ACCOUNT, REGION, flow_arn

    from connectguard.fraud.template import flow_snippet

    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:connectguard-fraud-screen"
    entry = flow("entry", json.dumps(flow_snippet(function_arn=function, next_flow_arn=flow_arn("main"))))
    main = flow("main", UNSCREENED)  # normal handling: straight to the queue
    [f] = results(_snap([entry, main], entries=("entry",)), "entry-flow-not-screened")
    assert f.status is Status.PASS and "by design" in f.evidence["note"]
    [path] = f.evidence["unscreened_on_error"]
    assert path["path_text"] == ("entry[enable-flow-logging > screen-caller > mark-unscreened > "
                                 "continue-normal-handling] -> main[q]")
