"""``connectguard saml check RESPONSE``: does a captured SAML response show a second factor?"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from connectguard.cli.common import format_option, output_option, write_output
from connectguard.conventions import ExitCode, InputError
from connectguard.saml.response import MAX_INPUT_BYTES, inspect_response  # needs the 'saml' extra (defusedxml)


@click.group("saml")
def saml() -> None:
    """Inspect SAML responses for evidence of MFA."""


@saml.command("check")
@click.argument("response", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@format_option(["text", "json"], "text")
@output_option
def check(response: Path, output_format: str, output: Path | None) -> int:
    """Say whether the SAML response in RESPONSE (XML, base64 or SAMLResponse=... as captured from the
    browser; '-' for stdin) shows a second factor, and which.

    It can say "MFA shown"; it never concludes "no MFA" from a missing claim. The assertion is never
    printed: a captured response can be replayed until it expires, so delete the capture. Exit 0 when
    MFA is shown, 3 when the response shows no evidence either way, 2 on unreadable input.
    """
    where = "stdin" if str(response) == "-" else str(response)
    try:
        if str(response) == "-":
            raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(response, "rb") as handle:
                raw = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise InputError("no such file", where) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", where) from None
    report = inspect_response(raw, source=where)
    if output_format == "json":
        write_output(json.dumps(report.to_json(), indent=2) + "\n", output)
    else:
        write_output(report.to_text(), output)
    for warning in report.warnings:
        click.echo(f"connectguard: warning: {warning}", err=True)
    return int(ExitCode.OK if report.mfa_shown else ExitCode.INCOMPLETE)
