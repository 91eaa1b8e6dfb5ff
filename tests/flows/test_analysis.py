import json

import pytest
from flowkit import (
    SCREEN_ARN,
    act,
    bye,
    content,
    end,
    flow,
    flow_arn,
    flow_module,
    instance,
    lam,
    log,
    module,
    queue,
    to_flow,
)

from connectguard.flows.analysis import path_text, render_path, run
from connectguard.flows.graph import build_graph
from connectguard.flows.patch import enable_disabled_blocks, enable_logging_at_start
from connectguard.flows.policies import (
    FAIL_OPEN_REASON,
    LOG_OFF,
    LOG_UNSET,
    LoggingAnalysis,
    ScreeningAnalysis,
    ScreenState,
)

LOGGING = LoggingAnalysis()
SCREEN = ScreeningAnalysis(["*screen*"])


def logging_run(flows, modules=(), entry="main"):
    graph = build_graph(instance(list(flows), list(modules), entries=[entry]))
    return graph, run(graph, LOGGING, [(entry, LOG_UNSET)])


def steps(path):
    return [(s.unit, s.action) for s in path]


def test_flow_that_enables_logging_first_has_no_violation():
    _, result = logging_run([flow("main", content("on", log("on", "l"), lam("l", "q"), queue("q", "bye"), bye()))])
    assert result.violations == [] and result.unresolved == []
    assert result.reached == {"main"}


def test_flow_without_logging_block_fails_at_first_lambda_with_path():
    _, result = logging_run([flow("main", content("hi", act("hi", "MessageParticipant", "l"), lam("l", "bye"),
                                                  bye()))])
    first = result.violations[0]
    assert (first.action, first.state) == ("l", LOG_UNSET)
    assert "invokes a Lambda" in first.reason and "never turned on" in first.reason
    assert steps(first.path) == [("main", "hi"), ("main", "l")]
    # the disconnect is also reached with logging off
    assert {v.action for v in result.violations} == {"l", "bye"}


def test_logging_turned_off_is_reported_as_off():
    _, result = logging_run([flow("main", content("on", log("on", "off"), log("off", "l", "Disabled"),
                                                  lam("l", "bye"), bye()))])
    assert {(v.action, v.state) for v in result.violations} == {("l", LOG_OFF), ("bye", LOG_OFF)}
    assert "turned off" in result.violations[0].reason


def test_logging_only_on_success_branch_leaves_error_path_unlogged():
    body = content("l", lam("l", "on", error="bye"), log("on", "q"), queue("q", "bye"), bye())
    _, result = logging_run([flow("main", body)])
    # the Lambda itself runs before logging; the error branch ends the contact unlogged
    assert {v.action for v in result.violations} == {"l", "bye"}


def test_state_is_inherited_across_transfer_to_flow():
    entry = flow("main", content("on", log("on", "t"), to_flow("t", flow_arn("next"))))
    target = flow("next", content("l", lam("l", "bye"), bye()))
    graph, result = logging_run([entry, target])
    assert result.violations == []
    assert result.reached == {"main", "next"}


def test_unlogged_transfer_into_a_flow_that_never_logs_gives_a_cross_flow_path():
    entry = flow("main", content("hi", act("hi", "MessageParticipant", "t"), to_flow("t", "next")))
    target = flow("next", content("l", lam("l", "bye"), bye()), name="Next")
    graph, result = logging_run([entry, target])
    lam_violation = next(v for v in result.violations if v.action == "l")
    assert lam_violation.unit == "next"
    assert steps(lam_violation.path) == [("main", "hi"), ("main", "t"), ("next", "l")]
    assert path_text(graph, lam_violation.path) == "main[hi > t] -> Next[l]"
    assert [seg["id"] for seg in render_path(graph, lam_violation.path)] == ["main", "next"]


def test_module_summary_returns_its_logging_state_to_the_caller():
    mod = flow_module("m", content("on", log("on", "r"), end("r")))
    entry = flow("main", content("call", module("call", "m", "l"), lam("l", "bye"), bye()))
    _, result = logging_run([entry], [mod])
    assert result.violations == []
    assert "m" in result.reached


def test_module_shared_by_two_call_sites_does_not_leak_states_between_them():
    # site A calls the module with logging on, site B with logging off; the module calls a Lambda.
    mod = flow_module("m", content("l", lam("l", "r"), end("r")))
    entry = flow("main", content(
        "c", act("c", "Compare", params={"ComparisonValue": "$.Attributes.x"},
                 conditions=[("a", "on")], errors=[("NoMatchingCondition", "b")]),
        log("on", "a"), module("a", "m", "bye"), module("b", "m", "bye2"), bye(), bye("bye2")))
    _, result = logging_run([entry], [mod])
    inside = [v for v in result.violations if v.unit == "m"]
    assert len(inside) == 1
    assert steps(inside[0].path) == [("main", "c"), ("main", "b"), ("m", "l")]
    # after site A the contact is logged: only bye2 (after site B) ends unlogged
    assert {v.action for v in result.violations if v.unit == "main"} == {"bye2"}


@pytest.mark.parametrize("target, reason", [
    ("$.Attributes.nextFlow", "run time"),
    ("no-such-flow", "not among"),
    ("broken", "cannot be parsed"),
    ("unseen", "was not seen"),
])
def test_transfers_the_audit_cannot_follow_are_unresolved(target, reason):
    entry = flow("main", content("on", log("on", "t"), to_flow("t", target)))
    graph, result = logging_run([entry, flow("broken", "{oops"), flow("unseen", None)])
    assert result.violations == []  # logging was on when the contact left
    assert len(result.unresolved) == 1 and reason in result.unresolved[0].reason


def test_unresolved_transfer_with_logging_off_is_a_violation_too():
    _, result = logging_run([flow("main", content("t", to_flow("t", "$.Attributes.f")))])
    assert "cannot follow" in result.violations[0].reason


def test_cycles_terminate_and_each_node_state_is_visited_once():
    body = content("a", act("a", "MessageParticipant", "b"), act("b", "MessageParticipant", "a",
                                                                   errors=[("NoMatchingError", "on")]),
                   log("on", "a"))
    _, result = logging_run([flow("main", body)])
    assert result.violations == []


def test_self_recursive_modules_terminate():
    mod = flow_module("m", content("c", module("c", "m", "r"), end("r")))
    _, result = logging_run([flow("main", content("on", log("on", "c"), module("c", "m", "bye"), bye()))], [mod])
    assert result.violations == []


def screen_run(body, extra=()):
    graph = build_graph(instance([flow("main", body), *extra], entries=["main"]))
    return run(graph, SCREEN, [("main", ScreenState())])


DECIDE = act("d", "Compare", params={"ComparisonValue": "$.External.decision"},
             conditions=[("allow", "q"), ("block", "bye")], errors=[("NoMatchingCondition", "q2")])


def test_screened_and_branched_before_queue_passes():
    body = content("s", lam("s", "d", SCREEN_ARN, error="bye"), DECIDE, queue("q", "bye"),
                   act("q2", "MessageParticipant", "bye"), bye())
    assert screen_run(body).violations == []


def test_error_branch_of_the_screen_that_goes_to_the_queue_fails_open():
    body = content("s", lam("s", "d", SCREEN_ARN, error="q"), DECIDE, queue("q", "bye"),
                   act("q2", "MessageParticipant", "bye"), bye())
    violations = screen_run(body).violations
    assert [v.action for v in violations] == ["q"]
    assert steps(violations[0].path) == [("main", "s"), ("main", "q")]
    assert violations[0].reason == FAIL_OPEN_REASON


def test_any_way_out_of_the_decision_comparison_counts_as_branching():
    default_next = act("d", "Compare", "q", params={"ComparisonValue": "$.External.decision"},
                       conditions=[("block", "bye")])
    body = content("s", lam("s", "d", SCREEN_ARN, error="bye"), default_next, queue("q", "bye"), bye())
    assert screen_run(body).violations == []


def test_queue_before_any_screen_and_screen_without_branch_both_fail():
    assert "before any screening" in screen_run(content("q", queue("q", "bye"), bye())).violations[0].reason
    body = content("s", lam("s", "q", SCREEN_ARN), queue("q", "bye"), bye())
    assert "without branching" in screen_run(body).violations[0].reason


def test_a_non_screening_lambda_does_not_count():
    body = content("s", lam("s", "d"), DECIDE, queue("q", "bye"), act("q2", "MessageParticipant", "bye"), bye())
    assert screen_run(body).violations


def test_patched_flow_passes_the_analysis_it_failed():
    original = content("hi", act("hi", "MessageParticipant", "l"), lam("l", "bye"), bye())
    new_doc, diff = enable_logging_at_start(original)
    assert "+" in diff and "UpdateFlowLoggingBehavior" in diff
    _, before = logging_run([flow("main", original)])
    _, after = logging_run([flow("main", json.dumps(new_doc))])
    assert before.violations and after.violations == []


def test_disabled_blocks_patch_turns_them_on():
    original = content("on", log("on", "off"), log("off", "l", "Disabled"), lam("l", "bye"), bye())
    new_doc, diff = enable_disabled_blocks(original)
    assert '-        "FlowLoggingBehavior": "Disabled"' in diff
    _, after = logging_run([flow("main", json.dumps(new_doc))])
    assert after.violations == []
    assert enable_disabled_blocks(content("a", bye("a"))) is None
    assert enable_logging_at_start("{bad") is None


def test_long_paths_are_reported_as_the_entry_and_the_last_steps():
    from connectguard.flows.analysis import describe

    chain = [flow(f"f{i}", content("m", act("m", "MessageParticipant", "t"), to_flow("t", f"f{i + 1}")))
             for i in range(30)]
    chain.append(flow("f30", content("l", lam("l", "bye"), bye())))
    graph, result = logging_run(chain, entry="f0")
    [v] = [v for v in result.violations if v.action == "l"]
    assert len(v.path) == 61 and v.path[0] == v.trail.root
    segments, text = describe(graph, v, limit=5)
    assert segments[0]["id"] == "f0" and segments[1] == {"elided": True}
    assert segments[-1]["actions"] == ["l"] and text.startswith("f0[m] -> ... -> ")
    full_segments, _ = describe(graph, v, limit=100)
    assert {"elided": True} not in full_segments and len(full_segments) == 31


def test_paths_through_modules_keep_the_callers_entry():
    from connectguard.flows.analysis import describe

    mod = flow_module("m", content("l", lam("l", "r"), end("r")))
    chain = [flow(f"f{i}", content("m", act("m", "MessageParticipant", "t"), to_flow("t", f"f{i + 1}")))
             for i in range(10)]
    chain.append(flow("f10", content("c", module("c", "m", "bye"), bye())))
    graph, result = logging_run(chain, [mod], entry="f0")
    [inside] = [v for v in result.violations if v.unit == "m"]
    assert inside.trail.root.unit == "f0"
    segments, _ = describe(graph, inside, limit=3)
    assert segments[0]["id"] == "f0" and segments[-1] == {"kind": "module", "name": "m", "id": "m",
                                                          "actions": ["l"]}
