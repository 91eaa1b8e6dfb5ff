"""SAML helpers: reading captured SAML responses for evidence of MFA (``connectguard saml check``)."""

from connectguard.saml.response import SamlReport, decode_input, inspect_response

__all__ = ["SamlReport", "decode_input", "inspect_response"]
