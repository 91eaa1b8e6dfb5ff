import json

import pytest
from flowkit import (
    INSTANCE_ID,
    act,
    bye,
    content,
    flow,
    flow_arn,
    flow_module,
    instance,
    log,
    module,
    to_flow,
)

from connectguard.flows.graph import build_graph
from connectguard.flows.language import parse_content


def test_parses_actions_transitions_and_keeps_unknown_types():
    parsed = parse_content(content(
        "a",
        act("a", "SomeFutureBlock", "b", params={"X": 1}),
        act("b", "Compare", params={"ComparisonValue": "$.Attributes.x"}, conditions=[("1", "c")],
            errors=[("NoMatchingCondition", "c")]),
        bye("c"),
    ))
    assert not parsed.malformed and parsed.problems == []
    assert parsed.start == "a"
    assert parsed.actions["a"].type == "SomeFutureBlock"  # opaque, not dropped
    assert [(t.target, t.kind) for t in parsed.actions["b"].transitions] == [("c", "condition"), ("c", "error")]
    assert parsed.actions["b"].transitions[1].label == "NoMatchingCondition"


@pytest.mark.parametrize("raw, reason", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not an object"),
    (json.dumps({"Version": "2019-10-30", "StartAction": "a"}), "no Actions list"),
    (json.dumps({"Version": "2019-10-30", "Actions": []}), "no StartAction"),
    (json.dumps({"Version": "2019-10-30", "StartAction": "zz", "Actions": [bye("a")]}), "is not an action"),
    (None, "no content"),
])
def test_malformed_content_is_a_problem_not_an_exception(raw, reason):
    parsed = parse_content(raw)
    assert parsed.malformed
    assert any(reason in p for p in parsed.problems)


def test_non_fatal_problems_are_listed():
    raw = json.dumps({"Version": "1999", "StartAction": "a", "Actions": [
        act("a", "MessageParticipant", "ghost"), act("a", "MessageParticipant"), {"Type": "X"}, "junk"]})
    parsed = parse_content(raw)
    assert not parsed.malformed
    text = " | ".join(parsed.problems)
    for expected in ("unsupported Version", "duplicate action Identifier 'a'", "has no Identifier", "not an object",
                     "unknown action 'ghost'"):
        assert expected in text


def test_graph_resolves_transfers_by_id_arn_and_versioned_ref_and_reports_the_rest():
    inst = instance([flow("main", content("a", bye("a"))), flow("other", content("a", bye("a")))],
                    [flow_module("mod", content("a", bye("a")))])
    graph = build_graph(inst)
    assert graph.resolve("other", "flow").unit_key == "other"
    assert graph.resolve(flow_arn("other"), "flow").unit_key == "other"
    assert graph.resolve(flow_arn("other") + ":$SAVED", "flow").unit_key == "other"
    assert graph.resolve("mod", "module").unit_key == "mod"
    assert "run time" in graph.resolve("$.Attributes.next", "flow").reason
    assert "not among" in graph.resolve("nope", "flow").reason
    assert "names a module" in graph.resolve("mod", "flow").reason
    transfer = parse_content(content("t", to_flow("t", "other"))).actions["t"]
    assert graph.call_target(transfer).unit_key == "other"


def test_entry_points_from_phone_numbers_and_configuration():
    inst = instance([flow("voice", content("a", bye("a"))), flow("chat", content("a", bye("a")))],
                    entries=["voice", "voice", "missing"])
    graph = build_graph(inst, {INSTANCE_ID: ["chat"], "other-instance": ["voice"]})
    kinds = sorted((e.unit_key or "-", e.channel) for e in graph.entry_points)
    assert kinds == [("-", "VOICE"), ("chat", "CONFIGURED"), ("voice", "VOICE"), ("voice", "VOICE")]


def test_unseen_collections_are_flagged():
    inst = instance(None, None, flow_associations=None)
    inst.flow_modules = None
    graph = build_graph(inst)
    assert not graph.flows_seen and not graph.modules_seen and not graph.associations_seen
    assert "not collected" in graph.resolve("x", "flow").reason


def test_module_and_flow_content_not_seen_is_unusable_not_malformed():
    graph = build_graph(instance([flow("f", None)], [flow_module("m", content("a", log("a", "b"), bye("b")))]))
    assert not graph.unit("f").usable and not graph.unit("f").content_seen
    assert graph.malformed_units() == []
    assert graph.unit("m").usable
    assert module("x", "m", "y")["Parameters"]["FlowModuleId"] == "m"


def test_configured_entry_flows_may_be_keyed_by_alias_or_arn():
    inst = instance([flow("chat", content("a", bye("a")))])
    assert [e.unit_key for e in build_graph(inst, {"acme": ["chat"]}).entry_points] == ["chat"]
    assert [e.unit_key for e in build_graph(inst, {inst.arn: ["chat"]}).entry_points] == ["chat"]
