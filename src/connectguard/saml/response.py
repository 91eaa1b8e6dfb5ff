"""Read a captured SAML response and say whether it shows a second factor.

Safety: the input is size-limited before and after base64/deflate decoding, parsed with defusedxml
(no DTDs, no entity expansion, no external references), and never echoed back: the report holds
the issuer, audience, validity window and the authentication-context claims only — not the NameID,
not other attributes, not the signature. A captured response can be replayed until it expires, so
every report warns about that.

Verdicts: "MFA shown" (and which factor), or "no MFA evidence in this response". The second is never
"no MFA": some IdPs send PasswordProtectedTransport whatever factors the user presented.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from connectguard.conventions import InputError, isoformat, json_envelope, utc_now

MAX_INPUT_BYTES = 1024 * 1024  # a real response is a few KiB; 1 MiB bounds memory and parse time
MAX_XML_BYTES = 2 * 1024 * 1024

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
}
_AC = "urn:oasis:names:tc:SAML:2.0:ac:classes:"

# AuthnContextClassRef values that by themselves show more than one factor.
MFA_CLASS_REFS = {
    _AC + "MobileTwoFactorContract": "mobile two-factor authentication (SAML 2.0 MobileTwoFactorContract)",
    _AC + "MobileTwoFactorUnregistered": "mobile two-factor authentication (SAML 2.0 MobileTwoFactorUnregistered)",
    _AC + "TimeSyncToken": "time-synchronised token (SAML 2.0 TimeSyncToken)",
    _AC + "SmartcardPKI": "smartcard with PIN (SAML 2.0 SmartcardPKI)",
    "http://schemas.microsoft.com/claims/multipleauthn": "multiple authentication (AD FS / Microsoft Entra ID)",
    "https://refeds.org/profile/mfa": "REFEDS MFA profile",
    "http://id.incommon.org/assurance/mfa": "InCommon MFA assurance",
}
PASSWORD_ONLY_CLASS_REFS = {_AC + "PasswordProtectedTransport", _AC + "Password"}

# Attributes that carry authentication-method references (RFC 8176 "amr" values, or Microsoft's URIs).
AMR_ATTRIBUTES = {
    "amr",
    "http://schemas.microsoft.com/claims/authnmethodsreferences",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod",
    "https://schemas.microsoft.com/claims/authnmethodsreferences",
}
_MS_METHOD = "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/"
_EXPLICIT_MFA = {"mfa", "mca", "http://schemas.microsoft.com/claims/multipleauthn"}
_FACTOR_CATEGORY = {
    # knowledge
    "pwd": "knowledge", "pin": "knowledge", "kba": "knowledge", _MS_METHOD + "password": "knowledge",
    # possession
    "otp": "possession", "sms": "possession", "tel": "possession", "hwk": "possession", "swk": "possession",
    "sc": "possession", "pop": "possession", "fido": "possession", _MS_METHOD + "otp": "possession",
    _MS_METHOD + "x509": "possession", _MS_METHOD + "smartcard": "possession",
    # inherence
    "fpt": "inherence", "face": "inherence", "iris": "inherence", "retina": "inherence", "vbm": "inherence",
}


@dataclass
class SamlReport:
    source: str
    issuer: str | None = None
    audiences: list[str] = field(default_factory=list)
    not_on_or_after: dt.datetime | None = None
    authn_context_class_refs: list[str] = field(default_factory=list)
    authn_methods: list[str] = field(default_factory=list)
    encrypted: bool = False
    mfa_shown: bool = False
    mfa_evidence: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "MFA shown" if self.mfa_shown else "no MFA evidence in this response"

    def to_json(self) -> dict[str, Any]:
        return json_envelope({
            "source": self.source,
            "verdict": self.verdict,
            "mfa_shown": self.mfa_shown,
            "mfa_evidence": self.mfa_evidence,
            "issuer": self.issuer,
            "audiences": self.audiences,
            "not_on_or_after": isoformat(self.not_on_or_after) if self.not_on_or_after else None,
            "authn_context_class_refs": self.authn_context_class_refs,
            "authn_methods": self.authn_methods,
            "encrypted_assertion": self.encrypted,
            "signature_verified": False,
            "notes": self.notes,
            "warnings": self.warnings,
        })

    def to_text(self) -> str:
        lines = [f"SAML response from {self.issuer or 'an unnamed issuer'}"
                 + (f" for {', '.join(self.audiences)}" if self.audiences else "")]
        if self.mfa_shown:
            lines.append(f"MFA shown: {'; '.join(self.mfa_evidence)}")
        else:
            lines.append("No MFA evidence in this response. This does NOT mean the user signed in without MFA: "
                         "it only means the response does not say. Verify the IdP's sign-on policy.")
        lines.append("AuthnContextClassRef: " + (", ".join(self.authn_context_class_refs) or "(none)"))
        lines.append("Authentication-method claims: " + (", ".join(self.authn_methods) or "(none)"))
        if self.not_on_or_after:
            lines.append(f"Valid until: {isoformat(self.not_on_or_after)}")
        lines.append("Signature: not verified (connectguard reads claims; it does not validate the response).")
        lines += [f"Note: {n}" for n in self.notes]
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines) + "\n"


def decode_input(raw: bytes, *, source: str = "<input>") -> bytes:
    """XML bytes from XML, base64, or a form-encoded ``SAMLResponse=...`` body, with size limits."""
    if len(raw) > MAX_INPUT_BYTES:
        raise InputError(f"input is larger than {MAX_INPUT_BYTES} bytes: not a SAML response", source)
    text = raw.strip()
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]
    if text.startswith(b"<"):
        return text
    try:
        value = text.decode("ascii")
    except UnicodeDecodeError:
        raise InputError("neither XML nor base64", source) from None
    if "SAMLResponse=" in value:
        found = parse_qs(value.split("?", 1)[-1]).get("SAMLResponse")
        if not found:
            raise InputError("SAMLResponse= carries no value", source)
        value = found[0]
    elif "%" in value:
        value = unquote_plus(value)
    compact = "".join(value.split())
    try:
        decoded = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InputError("neither XML nor valid base64", source) from None
    if decoded.lstrip().startswith(b"<"):
        return decoded.strip()
    # HTTP-Redirect binding: raw DEFLATE. Bound the output: a small input can inflate to gigabytes.
    try:
        inflater = zlib.decompressobj(-15)
        inflated = inflater.decompress(decoded, MAX_XML_BYTES)
    except zlib.error:
        raise InputError("base64 decoded to neither XML nor DEFLATE data", source) from None
    if inflater.unconsumed_tail:
        raise InputError(f"inflated response is larger than {MAX_XML_BYTES} bytes", source)
    if not inflated.lstrip().startswith(b"<"):
        raise InputError("decoded data is not XML", source)
    return inflated.strip()


def inspect_response(raw: bytes, *, source: str = "<input>", now: dt.datetime | None = None) -> SamlReport:
    xml = decode_input(raw, source=source)
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(f"refused unsafe XML ({type(exc).__name__}): DTDs and entities are not allowed in a SAML "
                         "response", source) from None
    except SafeET.ParseError as exc:
        raise InputError(f"not well-formed XML: {exc}", source) from None
    report = SamlReport(source=source)
    tag = _local(root.tag)
    if tag == "Response":
        assertions = root.findall("saml:Assertion", NS)
        report.encrypted = root.find("saml:EncryptedAssertion", NS) is not None
        issuer = root.find("saml:Issuer", NS)
    elif tag == "Assertion":
        assertions, issuer = [root], root.find("saml:Issuer", NS)
    else:
        raise InputError(f"not a SAML 2.0 Response or Assertion (root element {tag!r})", source)
    if issuer is None and assertions:
        issuer = assertions[0].find("saml:Issuer", NS)
    report.issuer = (issuer.text or "").strip() if issuer is not None else None

    expiries: list[dt.datetime] = []
    for assertion in assertions:
        for el in assertion.iterfind(".//saml:AuthnContextClassRef", NS):
            _add(report.authn_context_class_refs, el.text)
        for el in assertion.iterfind(".//saml:AuthnContextDeclRef", NS):
            _add(report.authn_context_class_refs, el.text)
        for el in assertion.iterfind(".//saml:Audience", NS):
            _add(report.audiences, el.text)
        for attr in assertion.iterfind(".//saml:Attribute", NS):
            if (attr.get("Name") or "").strip().lower() in {a.lower() for a in AMR_ATTRIBUTES}:
                for value in attr.iterfind("saml:AttributeValue", NS):
                    _add(report.authn_methods, value.text)
        for el in list(assertion.iterfind(".//saml:Conditions", NS)) + list(
                assertion.iterfind(".//saml:SubjectConfirmationData", NS)):
            parsed = _time(el.get("NotOnOrAfter"))
            if parsed:
                expiries.append(parsed)
    report.not_on_or_after = max(expiries) if expiries else None

    _decide(report)
    if report.encrypted and not assertions:
        report.notes.append("the assertion is encrypted: its authentication context cannot be read without the "
                            "service provider's key")
    elif not assertions:
        report.notes.append("the response carries no assertion (a failed sign-in?)")
    now = now or utc_now()
    if report.not_on_or_after and report.not_on_or_after > now:
        report.warnings.append(f"this response is still valid until {isoformat(report.not_on_or_after)}: anyone "
                               "holding the capture can replay it to sign in as this user. Delete the capture.")
    else:
        report.warnings.append("a captured SAML response can be replayed until it expires: delete the capture and "
                               "do not paste it into tickets or chats.")
    return report


def _decide(report: SamlReport) -> None:
    for ref in report.authn_context_class_refs:
        if ref in MFA_CLASS_REFS:
            report.mfa_evidence.append(f"AuthnContextClassRef {ref}: {MFA_CLASS_REFS[ref]}")
    methods = [m.strip() for m in report.authn_methods]
    explicit = [m for m in methods if m.lower() in _EXPLICIT_MFA]
    for m in explicit:
        report.mfa_evidence.append(f"authentication-method claim {m}: multi-factor authentication")
    categories: dict[str, list[str]] = {}
    for m in methods:
        cat = _FACTOR_CATEGORY.get(m.lower())
        if cat:
            categories.setdefault(cat, []).append(m)
    if not explicit and len(categories) >= 2:
        shown = "; ".join(f"{c}: {', '.join(v)}" for c, v in sorted(categories.items()))
        report.mfa_evidence.append(f"authentication-method claims name factors of {len(categories)} kinds ({shown})")
    report.mfa_shown = bool(report.mfa_evidence)
    if not report.mfa_shown and any(r in PASSWORD_ONLY_CLASS_REFS for r in report.authn_context_class_refs):
        report.notes.append("PasswordProtectedTransport (or Password) says how the password travelled, not that no "
                            "second factor was used: Okta and Microsoft Entra ID send it whatever the factors were. "
                            "Configure the IdP to send an amr / authnmethodsreferences claim to make MFA visible.")


def _add(values: list[str], text: str | None) -> None:
    value = (text or "").strip()
    if value and value not in values:
        values.append(value[:512])


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def _time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
