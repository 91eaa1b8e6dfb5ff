"""World files, the shape validator, and the properties the demo world promises check authors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from connectguard.conventions import InputError
from connectguard.simulator import SimulatedEstate, bench_world, demo_world, load_world
from connectguard.simulator.connect_server import connect_model
from connectguard.simulator.shapes import ShapeViolation, project, validate
from connectguard.simulator.world import World

# --------------------------------------------------------------------------- world files

MINIMAL = {
    "name": "tiny",
    "regions": {"us-east-1": {"connect_instances": [{
        "id": "11111111-1111-4111-8111-111111111111", "alias": "tiny", "identity_management_type": "CONNECT_MANAGED",
        "security_profiles": [{"id": "sp-1", "name": "Admin", "permissions": ["Users.EditPermission"]}],
        "routing_profiles": [{"id": "rp-1", "name": "Basic"}],
        "users": [{"id": "u-1", "username": "ada", "security_profile_ids": ["sp-1"], "routing_profile_id": "rp-1"}],
    }]}},
}


def test_yaml_and_json_world_files_load(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "w.json").write_text(json.dumps(MINIMAL))
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(MINIMAL))
    assert load_world(tmp_path / "w.json") == load_world(tmp_path / "w.yaml")
    assert load_world(tmp_path / "w.yaml").instance("tiny").users[0].username == "ada"


def test_demo_world_round_trips_through_a_file(tmp_path: Path) -> None:
    world = demo_world()
    path = tmp_path / "demo.json"
    path.write_text(world.model_dump_json())
    assert load_world(path) == world


def _one_line_error(path: Path) -> str:
    with pytest.raises(InputError) as exc:
        load_world(path)
    message = str(exc.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.json", '{"name": "x", ', "not valid JSON"),
        ("bad.yaml", "name: [unclosed\n", "not valid YAML"),
        ("list.yaml", "- 1\n- 2\n", "mapping at the top level"),
    ],
)
def test_syntax_errors_are_one_line(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    message = _one_line_error(path)
    assert expected in message and str(path) in message


def test_unknown_key_names_its_location(tmp_path: Path) -> None:
    data = json.loads(json.dumps(MINIMAL))
    data["regions"]["us-east-1"]["connect_instances"][0]["users"][0]["emial"] = "typo@example.com"
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(data))
    message = _one_line_error(path)
    assert "regions.us-east-1.connect_instances.0.users.0.emial" in message


def test_dangling_reference_is_an_input_error(tmp_path: Path) -> None:
    data = json.loads(json.dumps(MINIMAL))
    data["regions"]["us-east-1"]["connect_instances"][0]["users"][0]["security_profile_ids"] = ["sp-missing"]
    path = tmp_path / "dangling.json"
    path.write_text(json.dumps(data))
    assert "sp-missing" in _one_line_error(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    assert "cannot read world file" in _one_line_error(tmp_path / "absent.yaml")


# --------------------------------------------------------------------------- validator


def test_validator_reports_the_path_of_each_kind_of_violation() -> None:
    model = connect_model()
    user_shape = model.operation_model("DescribeUser").output_shape
    good = {"User": {"Id": "u", "Username": "ada", "SecurityProfileIds": ["sp"],
                     "PhoneConfig": {"PhoneType": "SOFT_PHONE"}}}
    validate(good, user_shape)
    cases = [
        ({"User": {"Id": "u", "PhoneConfig": {"PhoneType": "CARRIER_PIGEON"}}}, "$.User.PhoneConfig.PhoneType"),
        ({"User": {"Id": "u", "SecurityProfileIds": []}}, "$.User.SecurityProfileIds"),  # list min 1
        ({"User": {"Id": "u", "Username": "x" * 101}}, "$.User.Username"),  # string max 100
        ({"User": {"Id": "u", "LastModifiedTime": "yesterday"}}, "$.User.LastModifiedTime"),  # timestamp
        ({"User": {"Id": "u", "Password": "x"}}, "$.User.Password"),  # not a member
        ({"User": {"Id": "u", "PhoneConfig": {"PhoneType": "SOFT_PHONE", "AutoAccept": "yes"}}},
         "$.User.PhoneConfig.AutoAccept"),  # boolean
    ]
    for value, path in cases:
        with pytest.raises(ShapeViolation) as exc:
            validate(value, user_shape)
        assert exc.value.path == path
    storage_shape = model.operation_model("ListInstanceStorageConfigs").output_shape
    with pytest.raises(ShapeViolation) as exc:  # a required member is missing
        validate({"StorageConfigs": [{"AssociationId": "a"}]}, storage_shape)
    assert exc.value.path == "$.StorageConfigs[0].StorageType"
    auth_shape = model.operation_model("DescribeAuthenticationProfile").output_shape
    with pytest.raises(ShapeViolation) as exc:  # integer range (PeriodicSessionDuration 10..60)
        validate({"AuthenticationProfile": {"PeriodicSessionDuration": 5}}, auth_shape)
    assert exc.value.path == "$.AuthenticationProfile.PeriodicSessionDuration"


def test_projection_keeps_only_what_the_shape_has() -> None:
    shape = connect_model().operation_model("SearchUsers").output_shape
    projected = project({"Users": [{"Id": "u", "IdentityInfo": {"FirstName": "A", "Email": "a@example.com"},
                                    "Unrelated": 1, "Tags": None}]}, shape)
    assert projected == {"Users": [{"Id": "u", "IdentityInfo": {"FirstName": "A"}}]}


def test_a_response_that_breaks_the_model_is_a_loud_500() -> None:
    world = World.model_validate(MINIMAL)
    world.regions["us-east-1"].connect_instances[0].security_profiles[0].description = "d" * 300  # max is 250
    with SimulatedEstate(world, moto=False, quota=False) as estate:
        client = estate.client("connect", retries={"mode": "standard", "total_max_attempts": 1})
        iid = world.instance("tiny").id
        with pytest.raises(ClientError) as exc:
            client.describe_security_profile(InstanceId=iid, SecurityProfileId="sp-1")
        assert exc.value.response["Error"]["Code"] == "InternalServiceException"
        assert "$.SecurityProfile.Description" in exc.value.response["Error"]["Message"]
        assert [v.operation for v in estate.connect.violations] == ["DescribeSecurityProfile"]


# --------------------------------------------------------------------------- the demo world's promises


def test_demo_world_is_deterministic() -> None:
    assert demo_world() == demo_world()
    assert demo_world(seed=8) != demo_world()


def _admin_equivalent(permissions: set[str]) -> bool:
    return {"Users.EditPermission", "SecurityProfiles.Edit"} <= permissions


def test_demo_world_has_the_documented_misconfigurations() -> None:
    world = demo_world()
    instances = dict((inst.alias, (region, inst)) for region, inst in world.instances())
    assert {r for r, _ in instances.values()} == {"us-east-1", "eu-west-2"}
    assert sorted(i.identity_management_type for _, i in instances.values()) == [
        "CONNECT_MANAGED", "EXISTING_DIRECTORY", "SAML"]
    support = instances["acme-support"][1]
    assert len(support.security_profiles) >= 24 and len(support.users) >= 200 and len(support.flows) >= 20

    perms = {p.id: set(p.permissions) for p in support.security_profiles}
    names = {p.id: p.name for p in support.security_profiles}
    admins = [u for u in support.users if _admin_equivalent(set().union(*(perms[p] for p in u.security_profile_ids)))]
    assert len(admins) > 3
    together_only = [u for u in admins if len(u.security_profile_ids) > 1
                     and not any(_admin_equivalent(perms[p]) for p in u.security_profile_ids)]
    assert len(together_only) == 1
    held = {p for u in support.users for p in u.security_profile_ids}
    assert any(names[p] == "LegacyIVRTester" for p in perms if p not in held)  # an unused profile
    assert any("BasicAgentAccess" in perms[p] and "Users.Edit" in perms[p] and not _admin_equivalent(perms[p])
               for p in perms)
    assert any(p.allowed_access_control_tags and _admin_equivalent(set(p.permissions))
               for p in support.security_profiles)

    contents = {f.name: f.content for f in support.flows}
    assert isinstance(contents["Imported IVR (broken)"], str)
    with pytest.raises(json.JSONDecodeError):
        json.loads(contents["Imported IVR (broken)"])
    disabled = [a for a in contents["Legacy Survey"]["Actions"] if a["Type"] == "UpdateFlowLoggingBehavior"]
    assert disabled[0]["Parameters"]["FlowLoggingBehavior"] == "Disabled"
    assert not any(a["Type"] == "UpdateFlowLoggingBehavior" for a in contents["After Hours"]["Actions"])
    entry_flow_ids = {n.flow_id for n in support.phone_numbers if n.flow_id}
    assert {f.id for f in support.flows if f.name in ("Main IVR", "Billing Line")} <= entry_flow_ids

    origins = support.approved_origins
    assert any(o.startswith("http://") for o in origins) and any("*" in o for o in origins)
    assert instances["acme-sales"][1].attributes["CONTACTFLOW_LOGS"] == "false"
    assert support.attributes["CONTACTFLOW_LOGS"] == "true"
    directories = {d.name: d for r in world.regions.values() for d in r.directories}
    assert {d.radius is None for d in directories.values()} == {True, False}


def test_bench_world_has_the_requested_size() -> None:
    world = bench_world(users=500, profiles=40, flows=30)
    [(region, inst)] = world.instances()
    assert (len(inst.users), len(inst.security_profiles), len(inst.flows)) == (500, 40, 30)
    assert bench_world(users=500, profiles=40, flows=30) == world
