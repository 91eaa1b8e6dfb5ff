"""`connectguard audit -f sarif|asff|html` through the CLI, on a small snapshot."""

import json

import pytest

from connectguard.cli import main
from connectguard.inventory import save_snapshot

from identity.builders import instance, profile, snapshot, user


@pytest.fixture
def snap_path(tmp_path):
    path = tmp_path / "snap.json"
    save_snapshot(snapshot(instance(security_profiles=[profile("agentplus", ["BasicAgentAccess", "Users.Edit"])],
                                    users=[user("<b>bold</b>", "agentplus")],
                                    approved_origins=["https://agents.example.com"])), path)
    return path


@pytest.mark.parametrize("fmt", ["sarif", "asff", "html"])
def test_formats_from_the_cli(snap_path, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    code = main(["audit", str(snap_path), "--checks", "least-privilege,approved-origins", "-f", fmt, "-o", str(out),
                 "--show-pass"])
    assert code == 1  # the agent profile FAILs at high
    text = out.read_text()
    if fmt == "html":
        assert "&lt;b&gt;bold&lt;/b&gt;" in text and "<b>bold</b>" not in text
        assert "agent-profile-user-management" in text
    elif fmt == "sarif":
        doc = json.loads(text)
        assert {r["ruleId"] for r in doc["runs"][0]["results"]} >= {"agent-profile-user-management"}
    else:
        doc = json.loads(text)
        assert {f["Compliance"]["Status"] for f in doc} >= {"FAILED", "PASSED"}
