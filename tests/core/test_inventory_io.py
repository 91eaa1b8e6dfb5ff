import gzip
import json
import os
import stat

import pytest

from connectguard.conventions import InputError
from connectguard.inventory import SCHEMA_VERSION, load_snapshot, save_snapshot, snapshot_json_schema
from connectguard.inventory.io import dump_snapshot


def test_round_trip_plain_and_gzip(tmp_path, small_snapshot):
    for name in ("snap.json", "snap.json.gz"):
        path = tmp_path / name
        save_snapshot(small_snapshot, path)
        assert load_snapshot(path) == small_snapshot
        # A snapshot describes an account's defences: owner-only.
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_none_means_unseen_survives_round_trip(tmp_path, small_snapshot):
    path = tmp_path / "s.json"
    save_snapshot(small_snapshot, path)
    again = load_snapshot(path)
    assert again.regions[1].instances is None
    assert again.regions[0].instances[1].attributes is None


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty file"),
        (b"{\"schema_version\": 1, \"tool_version\": ", "truncated JSON"),
        (b"[1, 2]", "not a connectguard snapshot"),
        (b"\xff\xfe\x00", "not UTF-8 JSON"),
        (b"{\"schema_version\": 99}", "newer than this connectguard reads"),
        (b"{\"schema_version\": 0}", "no longer supported"),
        (b"{\"schema_version\": \"1\"}", "must be an integer"),
        (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
    ],
)
def test_bad_snapshot_is_one_line_naming_file(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_snapshot(path)
    text = str(info.value)
    assert message in text and str(path) in text and "\n" not in text


def test_truncated_real_snapshot(tmp_path, small_snapshot):
    text = dump_snapshot(small_snapshot)
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(InputError, match="truncated JSON"):
        load_snapshot(path)


def test_unknown_key_is_rejected_with_its_location(tmp_path, small_snapshot):
    doc = json.loads(dump_snapshot(small_snapshot))
    doc["regions"][0]["instances"][0]["attributez"] = {}
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"regions\.0\.instances\.0\.attributez"):
        load_snapshot(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such snapshot file"):
        load_snapshot(tmp_path / "nope.json")
    with pytest.raises(InputError, match="is a directory"):
        load_snapshot(tmp_path)


def test_schema_is_generated_from_model():
    schema = snapshot_json_schema()
    assert schema["title"].endswith(str(SCHEMA_VERSION))
    assert {"regions", "errors", "schema_version"} <= set(schema["properties"])
