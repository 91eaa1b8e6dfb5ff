"""Keeping personal data and secrets out of the snapshot.

The snapshot is shared (attached to tickets, diffed in CI), so the collector stores no
e-mail addresses, personal names or phone numbers in clear, and no secrets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# An E.164 number: "+" then 7..15 digits, possibly with separators ("+1 206-555-0100").
_E164 = re.compile(r"\+\d(?:[ \-.()]{0,2}\d){6,14}(?!\d)")


def mask_phone_number(number: str | None) -> str | None:
    """``+12065550167`` -> ``+1********67``: the country calling code and the last two digits."""
    if not number:
        return number
    digits = re.sub(r"\D", "", number)
    if len(digits) < 4:
        return "*" * len(digits)
    cc_len = _calling_code_length(digits)
    cc_len = min(cc_len, len(digits) - 3)
    return "+" + digits[:cc_len] + "*" * (len(digits) - cc_len - 2) + digits[-2:]


def _calling_code_length(digits: str) -> int:
    try:  # phonenumbers knows every calling code; it ships with the fraud extra
        import phonenumbers

        parsed = phonenumbers.parse("+" + digits, None)
        return len(str(parsed.country_code))
    except Exception:  # noqa: BLE001 - not installed or not parseable: reveal less, not more
        # Calling codes are prefix-free; 1 (NANP) and 7 are the only one-digit codes.
        return 1 if digits[0] in "17" else 2


def mask_email(text: str) -> str:
    """``jane.doe@example.com`` -> ``j***@example.com`` (the domain says whose tenant; the person stays out)."""
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


def scrub_text(text: str | None) -> str | None:
    """Mask e-mail addresses and phone numbers inside free text (descriptions, flow content)."""
    if not text:
        return text
    text = mask_email(text)
    return _E164.sub(lambda m: mask_phone_number(m.group(0)) or "", text)


def mask_username(username: str) -> str:
    """Connect usernames are often e-mail addresses (SAML); those are masked, others kept for evidence."""
    return mask_email(username) if "@" in username else username


def key_fingerprint(pem_or_der: str) -> str:
    """SHA-256 of the key's DER bytes (the PEM body), hex. Falls back to the text if it is not PEM."""
    body = "".join(line.strip() for line in pem_or_der.strip().splitlines() if line and not line.startswith("-----"))
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        der = pem_or_der.strip().encode("utf-8")
    return hashlib.sha256(der).hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
