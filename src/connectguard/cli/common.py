"""Options, output and error handling shared by every command."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from connectguard.conventions import SEVERITY_CHOICES, ConnectGuardError, ExitCode, Severity
from connectguard.files import write_text_atomic

F = TypeVar("F", bound=Callable[..., Any])


def run_guarded(cli: click.Group, argv: Sequence[str]) -> int:
    """Run the click app; every error becomes one line on stderr and an exit status."""
    try:
        result = cli.main(args=list(argv), prog_name="connectguard", standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        return exc.exit_code
    except click.ClickException as exc:  # usage errors
        exc.show()
        return ExitCode.USAGE
    except click.exceptions.Abort:
        click.echo("connectguard: aborted", err=True)
        return 130
    except ConnectGuardError as exc:
        click.echo(f"connectguard: error: {exc}", err=True)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("connectguard: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # `connectguard audit ... | head`: the reader went away; not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's flush at exit
        except OSError:
            pass
        return ExitCode.OK
    except Exception as exc:  # a bug: still one line unless asked for the traceback
        if os.environ.get("CONNECTGUARD_DEBUG"):
            raise
        click.echo(
            f"connectguard: internal error: {type(exc).__name__}: {exc} "
            "(set CONNECTGUARD_DEBUG=1 for the traceback, and please report it)",
            err=True,
        )
        return ExitCode.USAGE
    return int(result) if isinstance(result, int) else ExitCode.OK


def severity_option(name: str = "--fail-on", default: str = "high", help_text: str | None = None) -> Callable[[F], F]:
    return click.option(
        name,
        type=click.Choice(SEVERITY_CHOICES, case_sensitive=False),
        default=default,
        show_default=True,
        callback=lambda _ctx, _param, value: Severity.parse(value) if value else None,
        help=help_text or "Exit 1 when a finding is at or above this severity.",
    )


def fail_on_unknown_option(f: F) -> F:
    return click.option(
        "--fail-on-unknown",
        is_flag=True,
        help="Exit 1 (not 3) when something could not be evaluated, so a CI job whose role lost "
        "permissions does not go green.",
    )(f)


def output_option(f: F) -> F:
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="Write to this file instead of standard output.",
    )(f)


def config_option(f: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Configuration file (default: ./connectguard.toml when present).",
    )(f)


def format_option(choices: Sequence[str], default: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "-f",
        "output_format",
        type=click.Choice(list(choices), case_sensitive=False),
        default=default,
        show_default=True,
        help="Output format.",
    )


def write_output(text: str, output: Path | None) -> None:
    """Print, or write atomically to ``output`` (a reader never sees half a report)."""
    if output is None:
        sys.stdout.write(text)
        if text and not text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
        return
    write_text_atomic(output, text)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
