"""Caller numbers to E.164 with phonenumbers (the lite package is enough).

``is_possible_number`` (a length check) gates normalisation; ``is_valid_number`` is
deliberately NOT used as a gate, because test and fictional ranges (+44 7700 900xxx)
fail it and would otherwise escape the deny list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

OK = "ok"
WITHHELD = "withheld"
UNPARSEABLE = "unparseable"

# Values carriers and SIP trunks put in place of a withheld number, compared after
# lower-casing and dropping everything but letters.
_WITHHELD_WORDS = frozenset(
    {"anonymous", "restricted", "private", "withheld", "unavailable", "unknown", "blocked", "nocallerid", "none"}
)
_LETTERS = re.compile(r"[^a-z]")
_URI_SCHEME = re.compile(r"^(?:tel|sip|sips):", re.IGNORECASE)
_PREFIX = re.compile(r"^\+[1-9][0-9]{0,14}$")
_PREFIX_SEPARATORS = re.compile(r"[\s().\-]")


@dataclass(frozen=True)
class Normalised:
    status: str  # OK | WITHHELD | UNPARSEABLE
    e164: str | None = None


def is_supported_country(code: str) -> bool:
    return code.upper() in phonenumbers.SUPPORTED_REGIONS


def normalise(raw: str | None, default_country: str) -> Normalised:
    """Normalise a caller address; ``default_country`` applies to national formats."""
    if raw is None:
        return Normalised(WITHHELD)
    # A SIP/tel URI carries the number (or "anonymous") in its user part.
    text = _URI_SCHEME.sub("", raw.strip()).split("@", 1)[0].split(";", 1)[0].strip()
    if not text or _LETTERS.sub("", text.lower()) in _WITHHELD_WORDS:
        return Normalised(WITHHELD)
    try:
        number = phonenumbers.parse(text, default_country.upper())
    except phonenumbers.NumberParseException:
        return Normalised(UNPARSEABLE)
    if not phonenumbers.is_possible_number(number):
        return Normalised(UNPARSEABLE)
    return Normalised(OK, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalise_prefix(raw: str) -> str | None:
    """A number range as an E.164 prefix (``+1900``, ``+44 70``); None when it is not one.

    A prefix must be written in international form (leading ``+`` or ``00``): a national
    prefix is ambiguous without knowing where the subscriber number starts.
    """
    # "+44 (0)70": the (0) is the national trunk prefix, never dialled from abroad.
    text = _PREFIX_SEPARATORS.sub("", raw.strip().replace("(0)", ""))
    if text.startswith("00"):
        text = "+" + text[2:]
    return text if _PREFIX.match(text) else None
