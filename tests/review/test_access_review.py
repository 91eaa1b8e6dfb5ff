"""`connectguard access-review`: user -> profiles -> permissions -> risk groups, as CSV and JSON."""

import csv
import io
import json

from connectguard.access_review import REVIEW_COLUMNS, build_review, review_csv
from connectguard.cli import main
from connectguard.inventory import save_snapshot

from identity.builders import denied, instance, profile, snapshot, user
from identity.estate import collect_demo


def _snapshot():
    return snapshot(instance(
        security_profiles=[profile("admin", ["Users.EditPermission", "SecurityProfiles.Edit"], name="Admin"),
                           profile("ep", ["Users.EditPermission"], name="UserPerms"),
                           profile("spe", ["SecurityProfiles.Create"], name="ProfileMaker"),
                           profile("agent", ["BasicAgentAccess", "NewThing.Access"], name="Agent"),
                           profile("hidden", None, name="Hidden")],
        users=[user("=HYPERLINK(\"http://evil\")", "agent"), user("boss", "admin"), user("combo", "ep", "spe"),
               user("ghost", "hidden"), user("nobody")],
    ))


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_rows_per_user_profile_and_permission():
    review = build_review(_snapshot())
    rows = rows_of(review_csv(review))
    assert list(rows[0]) == REVIEW_COLUMNS
    boss = [r for r in rows if r["username"] == "boss"]
    assert {r["permission"] for r in boss} == {"Users.EditPermission", "SecurityProfiles.Edit"}
    assert all(r["user_admin_equivalence"] == "admin-equivalent" for r in boss)
    assert {r["risk_groups"] for r in boss} == {"privilege-escalation"}
    combo = [r for r in rows if r["username"] == "combo"]
    assert {r["security_profile_name"] for r in combo} == {"UserPerms", "ProfileMaker"}
    assert combo[0]["user_admin_equivalence"] == "admin-equivalent"  # only through the combination
    unknown = [r for r in rows if r["permission"] == "NewThing.Access"]
    assert unknown[0]["status"] == "unknown permission name"


def test_unseen_profiles_are_marked_never_silently_empty():
    review = build_review(_snapshot())
    rows = rows_of(review_csv(review))
    [ghost] = [r for r in rows if r["username"] == "ghost"]
    assert ghost["status"] == "permissions not seen" and ghost["user_admin_equivalence"] == "unknown"
    [nobody] = [r for r in rows if r["username"] == "nobody"]
    assert nobody["status"] == "no security profile"
    assert any("Hidden" in line for line in review.incomplete)


def test_spreadsheet_formulas_are_neutralised():
    rows = rows_of(review_csv(build_review(_snapshot())))
    names = {r["username"] for r in rows}
    assert "'=HYPERLINK(\"http://evil\")" in names and not any(n.startswith("=") for n in names)


def test_cli_csv_json_and_exit_status(tmp_path, capsys):
    path = tmp_path / "snap.json"
    save_snapshot(_snapshot(), path)
    assert main(["access-review", str(path)]) == 3  # the Hidden profile was not seen
    captured = capsys.readouterr()
    assert "not seen" in captured.err and rows_of(captured.out)
    out = tmp_path / "review.json"
    assert main(["access-review", str(path), "-f", "json", "-o", str(out)]) == 3
    doc = json.loads(out.read_text())
    assert doc["tool"] == "connectguard" and doc["summary"]["users"] == 5
    boss = [u for u in doc["users"] if u["username"] == "boss"][0]
    assert boss["risk_groups"] == {"privilege-escalation": ["SecurityProfiles.Edit", "Users.EditPermission"]}
    complete = snapshot(instance(security_profiles=[profile("a", ["BasicAgentAccess"])], users=[user("u", "a")]))
    save_snapshot(complete, path)
    assert main(["access-review", str(path)]) == 0


def test_cli_reports_denied_users():
    snap = snapshot(instance(security_profiles=[], users=None),
                    errors=[denied("SearchUsers", "instance.users", instance_id="inst-1")])
    review = build_review(snap)
    assert review.rows == [] and "SearchUsers" in review.incomplete[0]


def test_demo_estate_review():
    review = build_review(collect_demo())
    users = {u["username"]: u for u in review.users}
    assert len(users) > 250
    admins = [u for u in users.values() if u["admin_equivalence"] == "admin-equivalent"]
    assert len(admins) >= 6
    scoped = [u for u in users.values() if u["admin_equivalence"] == "admin-equivalent-scoped"]
    assert scoped and scoped[0]["security_profiles"][0]["scoping"]["scoped"]
    text = review_csv(review)
    assert "@acme.example" not in text  # e-mail addresses never reach the snapshot or the export
