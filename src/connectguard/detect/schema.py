"""The one CloudTrail table shape both engines query: Athena's, reproduced in DuckDB.

Rule SQL is written once against AWS's documented Athena table for CloudTrail
(lower-case column names; ``useridentity`` and ``tlsdetails`` structs; the free-form
parts ``requestparameters``, ``responseelements``, ``additionaleventdata`` and
``serviceeventdetails`` as JSON text). Locally, DuckDB builds the same shape:

* records are read with ``read_json_objects`` and parsed with ``from_json`` against a
  *typed envelope* in which the free-form parts are typed JSON. DuckDB's sampled schema
  inference is never used, so a key seen in only a few files cannot be silently dropped,
  and S3 tagging events whose requestParameters hold both ``Tagging`` and ``tagging``
  cannot fail the read: those keys stay inside JSON text, byte for byte;
* a few macros give DuckDB the Trino function names the SQL uses.

The envelope declares every top-level and identity field of a CloudTrail record
(CloudTrail record contents reference, record version 1.11); a field missing from a
record reads as NULL, which Sigma treats as "not equal".
"""

from __future__ import annotations

import json
from collections.abc import Iterable

# Top-level CloudTrail fields, camelCase as in the JSON, with their envelope type.
# "JSON" keeps a free-form part as text; everything else is typed.
_USER_IDENTITY = {
    "type": "VARCHAR",
    "principalId": "VARCHAR",
    "arn": "VARCHAR",
    "accountId": "VARCHAR",
    "invokedBy": "VARCHAR",
    "accessKeyId": "VARCHAR",
    "userName": "VARCHAR",
    "onBehalfOf": {"userId": "VARCHAR", "identityStoreArn": "VARCHAR"},
    "sessionContext": {
        "attributes": {"mfaAuthenticated": "VARCHAR", "creationDate": "VARCHAR"},
        "sessionIssuer": {
            "type": "VARCHAR",
            "principalId": "VARCHAR",
            "arn": "VARCHAR",
            "accountId": "VARCHAR",
            "userName": "VARCHAR",
        },
        "ec2RoleDelivery": "VARCHAR",
        "webIdFederationData": {"federatedProvider": "VARCHAR", "attributes": "JSON"},
        "sourceIdentity": "VARCHAR",
    },
}

ENVELOPE: dict[str, object] = {
    "eventVersion": "VARCHAR",
    "userIdentity": _USER_IDENTITY,
    "eventTime": "VARCHAR",
    "eventSource": "VARCHAR",
    "eventName": "VARCHAR",
    "awsRegion": "VARCHAR",
    "sourceIPAddress": "VARCHAR",
    "userAgent": "VARCHAR",
    "errorCode": "VARCHAR",
    "errorMessage": "VARCHAR",
    "requestParameters": "JSON",
    "responseElements": "JSON",
    "additionalEventData": "JSON",
    "requestID": "VARCHAR",
    "eventID": "VARCHAR",
    "readOnly": "VARCHAR",
    "resources": [{"ARN": "VARCHAR", "accountId": "VARCHAR", "type": "VARCHAR"}],
    "eventType": "VARCHAR",
    "apiVersion": "VARCHAR",
    "managementEvent": "VARCHAR",
    "recipientAccountId": "VARCHAR",
    "serviceEventDetails": "JSON",
    "sharedEventID": "VARCHAR",
    "vpcEndpointId": "VARCHAR",
    "vpcEndpointAccountId": "VARCHAR",
    "eventCategory": "VARCHAR",
    "addendum": {"reason": "VARCHAR", "updatedFields": "VARCHAR", "originalRequestID": "VARCHAR",
                 "originalEventID": "VARCHAR"},
    "sessionCredentialFromConsole": "VARCHAR",
    "edgeDeviceDetails": "JSON",
    "tlsDetails": {"tlsVersion": "VARCHAR", "cipherSuite": "VARCHAR", "clientProvidedHostHeader": "VARCHAR"},
}

# The four columns Athena's table holds as raw JSON strings; a Sigma field under them is
# read with json_extract_scalar.
JSON_COLUMNS = ("requestparameters", "responseelements", "additionaleventdata", "serviceeventdetails")

def envelope(extra: Iterable[str] = ()) -> dict[str, object]:
    """The envelope plus ``extra`` top-level keys (typed JSON): fields rules ask for that are not
    documented CloudTrail fields are read from the records as they are, never dropped."""
    out = dict(ENVELOPE)
    taken = {k.lower() for k in out}
    for key in extra:
        if key.lower() not in taken:  # DuckDB struct fields are case-insensitive
            out[key] = "JSON"
            taken.add(key.lower())
    return out


def envelope_json(*, wrapped: bool = False, extra: Iterable[str] = ()) -> str:
    """The ``from_json`` structure of one Records array (``wrapped``: of a whole log file)."""
    env = envelope(extra)
    return json.dumps({"Records": [env]} if wrapped else [env])


def is_envelope_key(name: str) -> bool:
    return any(k.lower() == name.lower() for k in ENVELOPE)


def known_struct_path(path: list[str]) -> bool:
    """Is ``path`` (case-insensitive, e.g. ['userIdentity', 'sessionContext', 'sessionIssuer', 'arn'])
    a column or struct field of the table?"""
    node: object = ENVELOPE
    for part in path:
        if isinstance(node, list):
            return False  # inside an array (resources): not addressable as a scalar
        if not isinstance(node, dict):
            return False
        match = next((k for k in node if k.lower() == part.lower()), None)
        if match is None:
            return False
        node = node[match]
    return node != "JSON" and not isinstance(node, (dict, list))


def top_level_columns() -> list[str]:
    return [k.lower() for k in ENVELOPE]


# Trino (Athena) function names the rule SQL uses, defined for DuckDB. Trino's
# json_extract_scalar returns NULL for objects and arrays; so does this one.
DUCKDB_MACROS = (
    (
        "CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS "
        "CASE WHEN json_type(j, p) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(j, p) END"
    ),
    "CREATE OR REPLACE MACRO json_format(j) AS CAST(j AS VARCHAR)",
    "CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)",
    "CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)",
    (
        "CREATE OR REPLACE MACRO json_array_contains(j, v) AS "
        "CASE WHEN json_type(j) = 'ARRAY' THEN list_contains(json_extract_string(j, '$[*]'), v) ELSE FALSE END"
    ),
)

# The local view: Athena's column names over the envelope-parsed records in ``source``.
# ``timestamp`` mirrors the partition column (yyyy/MM/dd) so that the partition filter
# in the shared SQL runs here too.
def duckdb_view_sql(source: str, view: str = "cloudtrail_logs", extra: Iterable[str] = ()) -> str:
    cols = []
    for key, kind in envelope(extra).items():
        col = key.lower()
        if kind == "JSON":
            cols.append(f"CAST(r.{key} AS VARCHAR) AS {col}")
        else:
            cols.append(f"r.{key} AS {col}")
    cols.append("replace(substr(r.eventTime, 1, 10), '-', '/') AS \"timestamp\"")
    return f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {', '.join(cols)} FROM {source}"


# ----------------------------------------------------------------------------- Athena

ATHENA_COLUMNS_DDL = """  eventversion STRING,
  useridentity STRUCT<
    type: STRING,
    principalid: STRING,
    arn: STRING,
    accountid: STRING,
    invokedby: STRING,
    accesskeyid: STRING,
    username: STRING,
    onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
    sessioncontext: STRUCT<
      attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
      sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
      ec2roledelivery: STRING,
      webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING, STRING>>,
      sourceidentity: STRING>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  managementevent STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  vpcendpointaccountid STRING,
  eventcategory STRING,
  addendum STRUCT<reason: STRING, updatedfields: STRING, originalrequestid: STRING, originaleventid: STRING>,
  sessioncredentialfromconsole STRING,
  edgedevicedetails STRING,
  tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>"""


def sample_record(extra: Iterable[str] = ()) -> dict[str, object]:
    """A record with every envelope field set (strings "x", JSON parts {}), to try rules on."""

    def fill(node: object) -> object:
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(node[0])]
        return {} if node == "JSON" else "x"

    return fill(envelope(extra))  # type: ignore[return-value]
