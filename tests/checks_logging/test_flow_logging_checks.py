from flowkit import act, bye, content, flow, flow_module, lam, log, module, queue, to_flow
from logkit import INSTANCE_ID, error, instance, results, snapshot, statuses

from connectguard.conventions import Status


def test_flow_that_passes_connect2_but_logs_nothing_on_its_main_path_is_caught():
    main = flow("main", content("hi", act("hi", "MessageParticipant", "lookup"), lam("lookup", "q"),
                                queue("q", "bye"), bye()), name="Main IVR")
    snap = snapshot(instance([main], entries=["main"]))
    # Security Hub Connect.2's test: the attribute is on.
    assert statuses(snap, "flow-logs-disabled") == [Status.PASS]
    [finding] = results(snap, "flow-path-without-logging")
    assert finding.status is Status.FAIL
    assert finding.resource.endswith("/contact-flow/main")
    first = finding.evidence["violations"][0]
    assert first["action"] == "lookup"
    assert first["path"] == [{"kind": "flow", "name": "Main IVR", "id": "main", "actions": ["hi", "lookup"]}]
    assert {v["action"] for v in finding.evidence["violations"]} == {"lookup", "q", "bye"}
    assert "UpdateFlowLoggingBehavior" in finding.remediation and "+++ b/flow-content.json" in finding.remediation


def test_each_reached_flow_and_module_gets_a_result():
    mod = flow_module("m", content("l", lam("l", "r"), act("r", "EndFlowExecution")))
    entry = flow("main", content("on", log("on", "c"), module("c", "m", "t"), to_flow("t", "next")))
    nxt = flow("next", content("q", queue("q", "bye"), bye()))
    unreached = flow("orphan", content("b", bye("b")))
    snap = snapshot(instance([entry, nxt, unreached], [mod], entries=["main"]))
    found = {f.resource.rsplit("/", 1)[-1]: f.status for f in results(snap, "flow-path-without-logging")}
    assert found == {"main": Status.PASS, "next": Status.PASS, "m": Status.PASS}


def test_logging_disabled_upstream_fails_the_downstream_flow_and_flags_the_disabling_flow():
    entry = flow("main", content("off", log("off", "t", "Disabled"), to_flow("t", "next")))
    nxt = flow("next", content("l", lam("l", "bye"), bye()))
    snap = snapshot(instance([entry, nxt], entries=["main"]))
    by_flow = {f.resource.rsplit("/", 1)[-1]: f for f in results(snap, "flow-path-without-logging")}
    assert by_flow["next"].status is Status.FAIL
    assert by_flow["next"].evidence["violations"][0]["logging_state"] == "off"
    assert "upstream" in by_flow["next"].remediation
    disabled = results(snap, "flow-disables-logging")
    assert [(f.resource.rsplit("/", 1)[-1], f.status) for f in disabled] == [("main", Status.FAIL)]
    assert disabled[0].evidence["disabling_actions"] == ["off"]
    assert '"FlowLoggingBehavior": "Enabled"' in disabled[0].remediation


def test_flow_disables_logging_passes_flows_that_only_enable():
    snap = snapshot(instance([flow("main", content("on", log("on", "b"), bye("b")))], entries=["main"]))
    assert statuses(snap, "flow-disables-logging") == [Status.PASS]


def test_unknown_when_flows_were_not_seen():
    snap = snapshot(instance(None, entries=[]), errors=[error("instance.flows", instance_id=INSTANCE_ID)])
    for check_id in ("flow-path-without-logging", "flow-disables-logging", "flow-content-malformed"):
        [finding] = results(snap, check_id)
        assert finding.status is Status.UNKNOWN
        assert "AccessDeniedException" in finding.message


def test_unknown_when_a_path_leaves_for_a_flow_the_audit_cannot_see():
    entry = flow("main", content("on", log("on", "t"), to_flow("t", "$.Attributes.next")))
    [finding] = results(snapshot(instance([entry], entries=["main"])), "flow-path-without-logging")
    assert finding.status is Status.UNKNOWN and "run time" in finding.message


def test_entry_flow_malformed_or_missing_is_unknown_and_malformed_is_its_own_finding():
    snap = snapshot(instance([flow("bad", '{"Version": "2019-10-30", "Actions": ')], entries=["bad", "gone"]))
    found = {f.resource.rsplit("/", 1)[-1]: f.status for f in results(snap, "flow-path-without-logging")}
    assert found == {"bad": Status.UNKNOWN, "gone": Status.UNKNOWN}
    [malformed] = results(snap, "flow-content-malformed")
    assert malformed.status is Status.FAIL and "not valid JSON" in malformed.message


def test_voice_entry_points_unseen_is_unknown_and_no_entry_points_is_manual():
    snap = snapshot(instance([flow("main", content("b", bye("b")))], flow_associations=None),
                    errors=[error("instance.flow_associations")])
    assert statuses(snap, "flow-path-without-logging") == [Status.UNKNOWN]
    snap = snapshot(instance([flow("main", content("b", bye("b")))], entries=[]))
    [finding] = results(snap, "flow-path-without-logging")
    assert finding.status is Status.MANUAL and "entry_flows" in finding.message


def test_configured_chat_entry_flows_are_analysed():
    chat = flow("chat", content("l", lam("l", "b"), bye("b")))
    snap = snapshot(instance([chat], entries=[]))
    config = {"audit": {"entry_flows": {snap.regions[0].instances[0].id: ["chat"]}}}
    assert statuses(snap, "flow-path-without-logging", config) == [Status.FAIL]


def test_saved_flows_are_not_reported_as_malformed_or_disabling():
    saved = flow("draft", "{", status="SAVED")
    snap = snapshot(instance([saved], entries=[]))
    assert results(snap, "flow-content-malformed") == []
    assert results(snap, "flow-disables-logging") == []


def test_instance_attribute_check_pass_fail_unknown():
    assert statuses(snapshot(instance([], attributes={"CONTACTFLOW_LOGS": "true"})), "flow-logs-disabled") == [
        Status.PASS]
    assert statuses(snapshot(instance([], attributes={"CONTACTFLOW_LOGS": "false"})), "flow-logs-disabled") == [
        Status.FAIL]
    snap = snapshot(instance([], attributes=None), errors=[error("instance.attributes", instance_id=INSTANCE_ID)])
    assert statuses(snap, "flow-logs-disabled") == [Status.UNKNOWN]


def test_malformed_check_passes_parseable_flows_and_is_unknown_for_unseen_content():
    snap = snapshot(instance([flow("ok", content("b", bye("b"))), flow("unseen", None)], entries=[]),
                    errors=[error("flow.content", instance_id=INSTANCE_ID, resource="unseen")])
    found = {f.resource.rsplit("/", 1)[-1]: f for f in results(snap, "flow-content-malformed")}
    assert found["ok"].status is Status.PASS
    assert found["unseen"].status is Status.UNKNOWN and "AccessDenied" in found["unseen"].message
