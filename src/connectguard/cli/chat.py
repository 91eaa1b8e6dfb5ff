"""`connectguard chat`: scan chat front ends for DOM-XSS; evaluate or generate a CSP."""

from __future__ import annotations

import json
from pathlib import Path

import click

from connectguard.cli.common import format_option, output_option, severity_option, write_output
from connectguard.conventions import ExitCode, InputError, Severity, exit_status


@click.group("chat")
def chat() -> None:
    """Chat front-end security: DOM-XSS scanning and Content Security Policy."""


@chat.command("scan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option(["table", "json", "sarif"], "table")
@output_option
@severity_option()
@click.option("--sanitizer", "sanitizers", multiple=True, metavar="NAME",
              help="A function that HTML-encodes or sanitizes its argument (e.g. myEscape or utils.clean); "
              "repeatable, added to the built-in list (DOMPurify.sanitize, escapeHtml, ...).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files or directories matching GLOB.")
@click.option("--no-default-excludes", is_flag=True,
              help="Also scan node_modules, build output (dist, build, .next ...) and *.min.js.")
def scan(paths: tuple[Path, ...], output_format: str, output: Path | None, fail_on: Severity,
         sanitizers: tuple[str, ...], exclude: tuple[str, ...], no_default_excludes: bool) -> int:
    """Scan PATHS (files or directories) for DOM-XSS in chat front ends.

    Reads .js .mjs .cjs .jsx .ts .tsx, inline <script> in .html, and Vue/Svelte single-file
    components. Exit 1 when a finding is at or above --fail-on; 3 when a file could not be read
    or parsed completely (it is reported, the rest is scanned).
    """
    from connectguard.chat.output import render_scan
    from connectguard.chat.scanner import scan_paths
    from connectguard.chat.taint import DEFAULT_SANITIZERS

    result = scan_paths(paths, sanitizers=(*DEFAULT_SANITIZERS, *sanitizers),
                        default_excludes=not no_default_excludes, exclude=exclude)
    write_output(render_scan(result, output_format.lower()), output)
    return int(exit_status([f.severity for f in result.findings], fail_on=fail_on, skipped=len(result.errors)))


@chat.group("csp")
def csp() -> None:
    """Evaluate or generate a Content Security Policy for a chat page."""


@csp.command("evaluate")
@click.argument("policy", required=False)
@click.option("--url", help="Fetch this page and evaluate its CSP headers and <meta> policies.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Evaluate the <meta http-equiv=Content-Security-Policy> policies of this HTML file.")
@click.option("--region", "regions", multiple=True, metavar="REGION",
              help="Chat region (repeatable): check connect-src against the Connect chat endpoints.")
@format_option(["table", "json"], "table")
@output_option
@severity_option()
def evaluate(policy: str | None, url: str | None, html_file: Path | None, regions: tuple[str, ...],
             output_format: str, output: Path | None, fail_on: Severity) -> int:
    """Evaluate POLICY (a header value), the policy of --url, or the <meta> policy of --html.

    Checks follow Google's CSP Evaluator; with --region also what an Amazon Connect chat page
    needs in connect-src. Exit 1 when a finding is at or above --fail-on.
    """
    from connectguard.chat import csp as cspmod
    from connectguard.chat.output import csp_document, csp_table

    given = [x for x in (policy, url, html_file) if x is not None]
    if len(given) != 1:
        raise click.UsageError("give exactly one of POLICY, --url or --html")
    valid_regions = cspmod.validate_regions(list(regions))
    if policy is not None:
        if not policy.strip():
            raise InputError("the policy is empty", "POLICY")
        location = "command line"
        policies = cspmod.parse_header(policy, "text")
    else:
        from connectguard.chat.fetch import fetch_page_csp, policies_from_html_file

        page = fetch_page_csp(url) if url is not None else policies_from_html_file(str(html_file))
        location, policies = page.location, page.policies
    findings: list[tuple[int, cspmod.CspFinding]] = []
    for i, p in enumerate(policies):
        findings.extend((i, f) for f in cspmod.evaluate(p, valid_regions))
    if not [p for p in policies if p.delivery != "report-only"]:
        findings.insert(0, (0, cspmod.CspFinding(
            "missing-csp", "*", Severity.HIGH,
            "No enforced Content-Security-Policy (header or <meta>) was found: nothing limits what an injected "
            "script can do. Start from `connectguard chat csp generate`.")))
    if output_format.lower() == "json":
        text = json.dumps(csp_document(location, policies, findings, valid_regions), indent=2) + "\n"
    else:
        text = csp_table(location, policies, findings)
    write_output(text, output)
    return int(exit_status([f.severity for _, f in findings], fail_on=fail_on))


@csp.command("generate")
@click.option("--region", "regions", multiple=True, required=True, metavar="REGION",
              help="Region of the Connect instance the chat uses (repeatable).")
@click.option("--widget", is_flag=True, help="The page embeds the hosted communications widget (not chatjs).")
@click.option("--instance-url", metavar="URL",
              help="With --widget: the instance's https://<alias>.my.connect.aws URL (default *.my.connect.aws).")
@click.option("--csm", is_flag=True,
              help="chatjs client-side metrics stay on (default: assume disableCSM: true, which is stricter).")
@click.option("--report-uri", metavar="URL", help="Where browsers send violation reports.")
@click.option("--attachment-host", "attachment_hosts", multiple=True, metavar="HOST",
              help="Exact S3 host chat attachments are uploaded to and downloaded from (repeatable).")
@click.option("--nonce-placeholder", default="NONCE_PLACEHOLDER", show_default=True,
              help="Text your server replaces with a fresh nonce on every response.")
@format_option(["text", "json"], "text")
@output_option
def generate(regions: tuple[str, ...], widget: bool, instance_url: str | None, csm: bool, report_uri: str | None,
             attachment_hosts: tuple[str, ...], nonce_placeholder: str, output_format: str,
             output: Path | None) -> int:
    """Print a strict, nonce-based CSP header value for a page that embeds Connect chat."""
    from connectguard.chat import csp as cspmod
    from connectguard.chat.output import generated_document

    generated = cspmod.generate(list(regions), widget=widget, nonce=nonce_placeholder, report_uri=report_uri,
                                instance_url=instance_url, csm=csm, attachment_hosts=list(attachment_hosts))
    valid_regions = cspmod.validate_regions(list(regions))
    findings = cspmod.evaluate(cspmod.parse_policy(generated.header_value, "header"), valid_regions)
    if output_format.lower() == "json":
        write_output(json.dumps(generated_document(generated, findings, valid_regions, widget), indent=2), output)
    else:
        write_output(generated.header_value, output)
    bad = [f for f in findings if f.severity.at_least(Severity.MEDIUM)]
    if bad:  # a generator bug: say so rather than print a policy that fails its own evaluator
        raise InputError(f"generated policy fails its own evaluation: {bad[0].message}")
    return int(ExitCode.OK)
