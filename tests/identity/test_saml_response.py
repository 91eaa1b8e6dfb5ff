"""`connectguard saml check`: MFA evidence in captured SAML responses, parsed safely."""

import base64
import datetime as dt
import json
import urllib.parse
import zlib

import pytest

from connectguard.cli import main
from connectguard.conventions import InputError
from connectguard.saml import inspect_response

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
SECRET_NAMEID = "jane.doe@acme.example"


def response(class_ref="urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport", amr=(),
             amr_name="http://schemas.microsoft.com/claims/authnmethodsreferences",
             not_after="2026-11-26T12:05:00Z") -> bytes:
    amr_attr = ""
    if amr:
        values = "".join(f"<saml:AttributeValue>{v}</saml:AttributeValue>" for v in amr)
        amr_attr = f'<saml:Attribute Name="{amr_name}">{values}</saml:Attribute>'
    return f"""<?xml version="1.0"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"
  ID="_r1" Version="2.0" IssueInstant="2026-11-26T12:00:00Z">
 <saml:Issuer>https://idp.acme.example/saml2</saml:Issuer>
 <saml:Assertion ID="_a1" Version="2.0" IssueInstant="2026-11-26T12:00:00Z">
  <saml:Issuer>https://idp.acme.example/saml2</saml:Issuer>
  <saml:Subject><saml:NameID>{SECRET_NAMEID}</saml:NameID>
   <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
    <saml:SubjectConfirmationData NotOnOrAfter="{not_after}" Recipient="https://signin.aws.amazon.com/saml"/>
   </saml:SubjectConfirmation></saml:Subject>
  <saml:Conditions NotBefore="2026-11-26T11:55:00Z" NotOnOrAfter="{not_after}">
   <saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction>
  </saml:Conditions>
  <saml:AuthnStatement AuthnInstant="2026-11-26T12:00:00Z"><saml:AuthnContext>
   <saml:AuthnContextClassRef>{class_ref}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>
  <saml:AttributeStatement>
   <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">
    <saml:AttributeValue>{SECRET_NAMEID}</saml:AttributeValue></saml:Attribute>
   {amr_attr}
  </saml:AttributeStatement>
 </saml:Assertion>
</samlp:Response>""".encode()


def test_multipleauthn_class_ref_shows_mfa():
    r = inspect_response(response("http://schemas.microsoft.com/claims/multipleauthn"), now=NOW)
    assert r.mfa_shown and "multiple authentication" in r.mfa_evidence[0]
    assert r.issuer == "https://idp.acme.example/saml2" and r.audiences == ["urn:amazon:webservices"]


def test_amr_claims_show_mfa_explicitly_or_by_two_kinds_of_factor():
    assert inspect_response(response(amr=["pwd", "mfa"], amr_name="amr"), now=NOW).mfa_shown
    two = inspect_response(response(amr=["pwd", "otp"], amr_name="amr"), now=NOW)
    assert two.mfa_shown and "knowledge" in two.mfa_evidence[0] and "possession" in two.mfa_evidence[0]
    one = inspect_response(response(amr=["pwd"], amr_name="amr"), now=NOW)
    assert not one.mfa_shown


def test_password_protected_transport_never_concludes_no_mfa():
    r = inspect_response(response(), now=NOW)
    assert not r.mfa_shown and r.verdict == "no MFA evidence in this response"
    assert "not that no second factor" in r.notes[0]
    text = r.to_text()
    assert "does NOT mean" in text and "no MFA\n" not in text


def test_replay_warning_and_the_assertion_is_never_echoed():
    raw = response("http://schemas.microsoft.com/claims/multipleauthn")
    live = inspect_response(raw, now=NOW)
    assert "still valid until 2026-11-26T12:05:00Z" in live.warnings[0]
    expired = inspect_response(raw, now=NOW + dt.timedelta(hours=1))
    assert "can be replayed until it expires" in expired.warnings[0]
    for out in (live.to_text(), json.dumps(live.to_json())):
        assert SECRET_NAMEID not in out and "_a1" not in out


@pytest.mark.parametrize("encode", [
    lambda x: base64.b64encode(x),
    lambda x: b"SAMLResponse=" + urllib.parse.quote(base64.b64encode(x)).encode() + b"&RelayState=abc",
    lambda x: base64.encodebytes(x),  # wrapped at 76 columns, as browsers' capture tools show it
    lambda x: base64.b64encode(zlib.compress(x)[2:-4]),  # HTTP-Redirect: raw DEFLATE
])
def test_base64_and_browser_captures(encode):
    r = inspect_response(encode(response("http://schemas.microsoft.com/claims/multipleauthn")), now=NOW)
    assert r.mfa_shown


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol3;</samlp:Response>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE, base64.b64encode(BILLION_LAUGHS)])
def test_entity_expansion_and_external_entities_are_refused(payload):
    with pytest.raises(InputError, match="refused unsafe XML"):
        inspect_response(payload)


@pytest.mark.parametrize("payload, message", [
    (b"<" + b"a" * (1024 * 1024 + 10), "larger than"),
    (base64.b64encode(zlib.compress(b"<" + b" " * (5 * 1024 * 1024))[2:-4]), "larger than"),  # a deflate bomb
    (b"not base64 at all!!", "base64"),
    (b"<html><body>login page</body></html>", "not a SAML 2.0 Response"),
    (b"<samlp:Response", "not well-formed"),
])
def test_bad_input_is_an_input_error(payload, message):
    with pytest.raises(InputError, match=message):
        inspect_response(payload)


def test_cli_exit_statuses(tmp_path, capsys):
    mfa = tmp_path / "mfa.xml"
    mfa.write_bytes(response("http://schemas.microsoft.com/claims/multipleauthn"))
    assert main(["saml", "check", str(mfa)]) == 0
    out, err = capsys.readouterr()
    assert "MFA shown" in out and "replay" in err and SECRET_NAMEID not in out + err
    plain = tmp_path / "plain.b64"
    plain.write_bytes(base64.b64encode(response()))
    assert main(["saml", "check", str(plain), "-f", "json"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["tool"] == "connectguard" and doc["mfa_shown"] is False and doc["signature_verified"] is False
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(BILLION_LAUGHS)
    assert main(["saml", "check", str(bomb)]) == 2
    assert "refused unsafe XML" in capsys.readouterr().err
    assert main(["saml", "check", str(tmp_path / "missing.xml")]) == 2
