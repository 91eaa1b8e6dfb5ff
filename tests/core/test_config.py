import pytest

from connectguard.config import Config, config_reference_markdown, load_config
from connectguard.conventions import InputError, Severity


def test_defaults_without_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.collect.max_rps == 1.0
    assert config.audit.admin_limit == 3
    assert config.audit.fail_on is Severity.HIGH


def test_reads_cwd_file_and_explicit_file(tmp_path, monkeypatch):
    (tmp_path / "connectguard.toml").write_text('[audit]\nadmin_limit = 5\nfail_on = "medium"\n')
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.audit.admin_limit == 5 and config.audit.fail_on is Severity.MEDIUM
    other = tmp_path / "other.toml"
    other.write_text("[collect]\nmax_rps = 0.5\n")
    assert load_config(other).collect.max_rps == 0.5


@pytest.mark.parametrize(
    "text,message",
    [
        ("[audit]\nadmin_limt = 2\n", "unknown setting: audit.admin_limt"),
        ("[collect]\nmax_rps = -1\n", "collect.max_rps"),
        ("[audit\n", "invalid TOML"),
        ("[nosuch]\nx=1\n", "unknown setting: nosuch"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_explicit_file(tmp_path):
    with pytest.raises(InputError, match="no such configuration file"):
        load_config(tmp_path / "absent.toml")


def test_reference_lists_every_setting():
    text = config_reference_markdown()
    for section, field in Config.model_fields.items():
        if section == "source":
            continue
        for name in field.annotation.model_fields:
            assert f"`{name}`" in text, name
