"""Command-line entry point: thin glue over the library.

Subcommands are imported lazily so that `connectguard fraud ...` does not pay for
DuckDB or tree-sitter, and a missing optional extra only breaks the command that
needs it (with a one-line message naming the extra).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from connectguard import __version__
from connectguard.cli.common import run_guarded

# name -> (module, attribute, one-line help). Help is duplicated here so that
# `connectguard --help` does not import every feature.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "collect": ("connectguard.cli.collect", "collect", "Collect a read-only snapshot of an account's Connect estate."),
    "audit": ("connectguard.cli.audit", "audit", "Evaluate a snapshot (or a live account) against every practice."),
    "checks": ("connectguard.cli.audit", "checks", "List every check with its id, practice and severity."),
    "diff": ("connectguard.cli.diff", "diff", "Show security-relevant changes between two snapshots."),
    "access-review": ("connectguard.cli.access_review", "access_review", "Export user -> profile -> permission rows."),
    "permissions": ("connectguard.cli.collect", "permissions", "Print the read-only IAM policy the collector needs."),
    "demo": ("connectguard.cli.demo", "demo", "Collect and audit a simulated, mis-configured contact center."),
    "simulator": ("connectguard.cli.simulator", "simulator", "Serve a simulated Connect estate on loopback."),
    "schema": ("connectguard.cli.collect", "schema", "Print the JSON Schema of the snapshot format."),
    "guardrails": ("connectguard.cli.guardrails", "guardrails", "Verify, plan and apply deletion-guardrail SCPs."),
    "fix": ("connectguard.cli.fix", "fix", "Write or apply remediation for logging, alarms and retention."),
    "detect": ("connectguard.cli.detect", "detect", "Run Connect detection rules over CloudTrail logs."),
    "fraud": ("connectguard.cli.fraud", "fraud", "Administer the caller-screening deny list and Lambda."),
    "chat": ("connectguard.cli.chat", "chat", "Scan chat front ends for DOM-XSS; evaluate or generate a CSP."),
    "deploy-role": ("connectguard.cli.deploy", "deploy_role", "Write the StackSet template of the read-only audit role."),
    "deploy-schedule": ("connectguard.cli.deploy", "deploy_schedule", "Write the scheduled-audit job template."),
    "scheduled-run": ("connectguard.cli.scheduled", "scheduled_run_command",
                      "Collect, audit, store reports in S3, import to Security Hub, notify new failures."),
    "saml": ("connectguard.cli.saml", "saml", "Inspect SAML responses for evidence of MFA."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _, _) in COMMANDS.items() if _module_exists(module))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _module_exists(entry[0]):
            return None
        module_name, attr, _ = entry
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # an optional extra is not installed
            missing = exc.name or "a dependency"
            return _missing_extra_command(cmd_name, missing)
        return getattr(module, attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(module_name: str) -> bool:
    return importlib.util.find_spec(module_name) is not None


def _missing_extra_command(name: str, missing: str) -> click.Command:
    @click.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def _cmd() -> None:
        raise click.UsageError(
            f"'{name}' needs the Python package {missing!r}, which is not installed: "
            f"pip install 'connectguard[all]'"
        )

    return _cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="connectguard")
def cli() -> None:
    """connectguard secures Amazon Connect contact centers.

    Exit statuses (every command): 0 nothing at or above --fail-on; 1 something is;
    2 usage or input error; 3 finished but part of the input could not be read or
    evaluated.
    """


def main(argv: list[str] | None = None) -> int:
    return run_guarded(cli, argv if argv is not None else sys.argv[1:])

