"""Pure parsing: IAM documents, SAML metadata, trail selectors, alarm relevance, storage configs."""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.parse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectguard.collect.account import decode_policy_document, parse_saml_metadata
from connectguard.collect.connect import _storage_config
from connectguard.collect.regional import _selectors, arn_region, relevant_alarms
from connectguard.inventory.model import LogGroup, MetricFilter

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "connect:List*", "Resource": "*"}]}


def test_policy_documents_decode_from_dict_json_and_url_encoding() -> None:
    assert decode_policy_document(DOC) == DOC
    assert decode_policy_document(json.dumps(DOC)) == DOC
    assert decode_policy_document(urllib.parse.quote(json.dumps(DOC))) == DOC
    assert decode_policy_document("%7Bnot json") is None
    assert decode_policy_document(None) is None


def _cert(not_after: dt.datetime) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(not_after - dt.timedelta(days=365)).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def _metadata(*certs: tuple[str, str | None]) -> str:
    kds = "".join(
        f'<md:KeyDescriptor{f" use={chr(34)}{use}{chr(34)}" if use else ""}><ds:KeyInfo><ds:X509Data>'
        f"<ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        for body, use in certs)
    return ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/saml">'
            f'<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{kds}'
            "</md:IDPSSODescriptor></md:EntityDescriptor>")


def test_saml_metadata_gives_entity_id_and_signing_certificate_expiry() -> None:
    soon = dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    later = dt.datetime(2030, 6, 1, tzinfo=dt.timezone.utc)
    encryption_only = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    entity, not_after = parse_saml_metadata(_metadata((_cert(later), "signing"), (_cert(soon), None),
                                                      (_cert(encryption_only), "encryption")))
    assert entity == "https://idp.example.com/saml"
    assert not_after == [soon, later]


def test_hostile_saml_metadata_is_refused() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol2;"/>')
    with pytest.raises(ValueError):
        parse_saml_metadata(bomb)
    with pytest.raises(ValueError):
        parse_saml_metadata("not xml at all")


def test_basic_selectors() -> None:
    assert _selectors({"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}) == (
        True, "WriteOnly", False)
    assert _selectors({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]})[0] is False


def test_advanced_selectors_that_exclude_connect_are_noticed() -> None:
    excluding = {"AdvancedEventSelectors": [{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]},
        {"Field": "eventSource", "NotEquals": ["connect.amazonaws.com"]}]}]}
    assert _selectors(excluding) == (True, "All", True)
    only_reads = {"AdvancedEventSelectors": [{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["true"]}]}]}
    assert _selectors(only_reads) == (True, "ReadOnly", False)
    data_only = {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]}
    assert _selectors(data_only)[0] is False


def test_alarms_are_kept_when_on_connect_metrics_or_on_connect_log_filters() -> None:
    groups = [LogGroup(name="/aws/connect/acme", metric_filters=[
        MetricFilter(name="errors", pattern="ERROR", metric_namespace="Custom/ConnectFlows", metric_name="FlowErrors")])]
    raw = [
        {"AlarmName": "calls", "Namespace": "AWS/Connect", "MetricName": "CallsBreachingConcurrencyQuota"},
        {"AlarmName": "flows", "Namespace": "Custom/ConnectFlows", "MetricName": "FlowErrors"},
        {"AlarmName": "math", "Metrics": [{"Id": "m1", "MetricStat": {"Metric": {
            "Namespace": "Custom/ConnectFlows", "MetricName": "FlowErrors"}}}]},
        {"AlarmName": "cpu", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization"},
    ]
    kept = relevant_alarms(raw, groups)
    assert [a.name for a in kept] == ["calls", "flows", "math"]
    assert kept[2].metrics == ["Custom/ConnectFlows/FlowErrors"]


def test_storage_config_mapping_keeps_the_encryption_key() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/abc"
    s3 = _storage_config("CALL_RECORDINGS", {"AssociationId": "a1", "StorageType": "S3", "S3Config": {
        "BucketName": "rec", "BucketPrefix": "p", "EncryptionConfig": {"EncryptionType": "KMS", "KeyId": key}}})
    assert (s3.s3_bucket, s3.kms_key_id, s3.resource_type) == ("rec", key, "CALL_RECORDINGS")
    plain = _storage_config("CHAT_TRANSCRIPTS", {"AssociationId": "a2", "StorageType": "S3",
                                                 "S3Config": {"BucketName": "chat", "BucketPrefix": "p"}})
    assert plain.kms_key_id is None
    assert arn_region(key) == "us-east-1" and arn_region("alias/x") is None
