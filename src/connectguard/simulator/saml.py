"""SAML IdP metadata with a freshly generated self-signed X.509 signing certificate."""

from __future__ import annotations

import base64
import datetime as dt
from functools import lru_cache
from xml.sax.saxutils import quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def self_signed_certificate(common_name: str, days: int = 365) -> bytes:
    """DER bytes of a self-signed RSA-2048 certificate (cached: key generation is the slow part)."""
    return _certificate(common_name, days)  # one cache key however the caller spells the arguments


@lru_cache(maxsize=16)
def _certificate(common_name: str, days: int) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def idp_metadata(entity_id: str, sso_url: str | None = None, days: int = 365) -> str:
    """SAML 2.0 IdP metadata XML with a signing certificate, as an IdP would export it."""
    cert = base64.b64encode(self_signed_certificate(entity_id.split("//")[-1].split("/")[0] or "idp", days)).decode()
    sso = sso_url or entity_id.rstrip("/") + "/sso"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID={quoteattr(entity_id)}>'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor>"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f"Location={quoteattr(sso)}/>"
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )
