"""Masking of phone numbers, e-mail addresses and keys."""

from __future__ import annotations

import base64
import hashlib
import json

from connectguard.collect.privacy import key_fingerprint, mask_email, mask_phone_number, mask_username, scrub_text


def test_phone_numbers_keep_the_calling_code_and_the_last_two_digits() -> None:
    assert mask_phone_number("+12065550167") == "+1" + "*" * 8 + "67"
    assert mask_phone_number("+442071838750") == "+44" + "*" * 8 + "50"
    masked = mask_phone_number("+35312345678")
    assert masked.startswith("+353") and masked.endswith("78") and "12345" not in masked
    assert mask_phone_number(None) is None


def test_masked_numbers_keep_their_length_and_hide_the_middle() -> None:
    number = "+33123456789"
    masked = mask_phone_number(number)
    assert len(masked) == len(number)
    assert masked[-2:] == number[-2:]
    assert "2345678" not in masked


def test_emails_are_masked_in_usernames_and_free_text() -> None:
    assert mask_username("jane.doe@example.com") == "j***@example.com"
    assert mask_username("agent007") == "agent007"
    text = scrub_text("escalate to jane.doe@example.com or +1 (206) 555-0100")
    assert "jane.doe" not in text and "555" not in text
    assert "j***@example.com" in text
    assert mask_email("no address here") == "no address here"


def test_numbers_inside_flow_json_are_masked_and_the_json_stays_valid() -> None:
    flow = {"Actions": [{"Type": "TransferParticipantToThirdParty",
                         "Parameters": {"ThirdPartyPhoneNumber": "+12065550123", "ThirdPartyConnectionTimeLimitSeconds": "30"}}]}
    out = scrub_text(json.dumps(flow))
    parsed = json.loads(out)
    assert parsed["Actions"][0]["Parameters"]["ThirdPartyPhoneNumber"] == "+1********23"
    assert parsed["Actions"][0]["Parameters"]["ThirdPartyConnectionTimeLimitSeconds"] == "30"


def test_key_fingerprint_is_sha256_of_the_der_body() -> None:
    der = bytes(range(200))
    body = base64.b64encode(der).decode()
    pem = "-----BEGIN PUBLIC KEY-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + \
        "\n-----END PUBLIC KEY-----\n"
    assert key_fingerprint(pem) == hashlib.sha256(der).hexdigest()
    assert key_fingerprint(pem.replace("\n", "\r\n")) == hashlib.sha256(der).hexdigest()
    assert body not in key_fingerprint(pem)
