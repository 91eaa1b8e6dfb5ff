"""Pure pieces: number and prefix normalisation, expiry parsing, longest-prefix match, recognition."""

from __future__ import annotations

import pytest

from connectguard.fraud import admin, core, identity, numbers

NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("+1 (206) 555-0100", "US", "+12065550100"),
        ("2065550100", "US", "+12065550100"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("001 206 555 0100", "DE", "+12065550100"),
        ("07700 900123", "GB", "+447700900123"),  # fictional range: possible, not valid
        ("sip:+12065550100@trunk.example;user=phone", "US", "+12065550100"),
    ],
)
def test_numbers_normalise_to_e164(raw, country, e164):
    assert numbers.normalise(raw, country) == numbers.Normalised(numbers.OK, e164)


@pytest.mark.parametrize(("raw", "prefix"), [("+1900", "+1900"), ("+44 (0)70", "+4470"), ("0044 70", "+4470"),
                                             ("+1-900", "+1900"), ("900", None), ("+0", None), ("+1900x", None)])
def test_prefixes_must_be_international(raw, prefix):
    assert numbers.normalise_prefix(raw) == prefix


def test_expiry_durations_and_times():
    assert admin.parse_expires("30d", NOW) == NOW + 30 * 86400
    assert admin.parse_expires("12h", NOW) == NOW + 12 * 3600
    assert admin.parse_expires("2w", NOW) == NOW + 14 * 86400
    assert admin.parse_expires("2030-01-01", NOW) == 1893456000
    assert admin.parse_expires("2030-01-01T01:00:00+01:00", NOW) == 1893456000
    assert admin.parse_expires(None, NOW) is None
    for bad in ("0d", "soon", "2020-01-01", "-5d"):
        with pytest.raises(admin.AdminInputError):
            admin.parse_expires(bad, NOW)


def test_longest_live_prefix_wins():
    index = core.PrefixIndex([
        core.DenyEntry("+1", True, "all of NANP"),
        core.DenyEntry("+1900", True, "premium", expires_at=NOW + 10),
        core.DenyEntry("+19005", True, "expired", expires_at=NOW - 10),
    ])
    assert index.match("+19005550100", NOW).reason == "premium"  # +19005 expired: next longest
    assert index.match("+19005550100", NOW + 20).reason == "all of NANP"
    assert index.match("+442079460958", NOW) is None


def test_settings_precedence_and_validation():
    env = {"CONNECTGUARD_FRAUD_VELOCITY_LIMIT": "3", "CONNECTGUARD_FRAUD_FAIL_MODE": "block"}
    settings = core.Settings.from_sources(env, {"velocityLimit": "9"})
    assert (settings.velocity_limit, settings.fail_mode) == (9, "block")
    with pytest.raises(core.SettingError) as info:
        core.Settings.from_sources(env, {"failMode": "hangup"})
    assert (info.value.key, info.value.source) == ("failMode", "event")
    assert core.Settings.fail_mode_from(env, {"failMode": "REVIEW"}) == "review"
    assert core.Settings.fail_mode_from(env, {"failMode": "bogus"}) == "block"


def test_velocity_boundary():
    settings = core.Settings(velocity_limit=5)
    prefixes = core.PrefixIndex()
    assert core.decide("+12065550100", core.Activity(previous_contacts=4), prefixes, settings, NOW).decision == "allow"
    assert core.decide("+12065550100", core.Activity(previous_contacts=5), prefixes, settings, NOW).decision == "review"


def test_recognising_a_screening_function():
    arn = "arn:aws:lambda:us-east-1:111122223333:function:connectguard-fraud-screen:live"
    assert identity.function_name_from_arn(arn) == "connectguard-fraud-screen"
    assert identity.is_screening_function(arn)
    other = "arn:aws:lambda:us-east-1:111122223333:function:ivr-lookup"
    assert not identity.is_screening_function(other)
    assert identity.is_screening_function(other, handler="connectguard.fraud.lambda_handler")
    assert identity.is_screening_function(other, tags={"connectguard:role": "fraud-screening"})
