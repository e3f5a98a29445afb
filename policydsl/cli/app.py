"""The `policydsl` command group and the installed entry point; the commands live beside it
(authoring.py: check, test, fmt, diff, explain; deciding.py: eval, why; building.py: compile, lsp)."""

from __future__ import annotations

import os
import sys

import click

from policydsl._version import __version__
from policydsl.cli.common import ExitCode


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="policydsl")
@click.option("--color/--no-color", "color", default=None,
              help="Colour diagnostics (default: on a terminal, unless NO_COLOR is set).")
def main(color: bool | None) -> None:
    """policydsl: after-sales policy as code.

    Write the platform baseline and merchant policies in .policy files, check
    them (names, types, and that no merchant rule is stricter than the
    baseline), test them, and evaluate after-sales requests against them.

    \b
    Example:
      policydsl check policies/
      policydsl eval policies/platform/after_sales.policy --facts request.json --explain
    """


def run() -> None:
    """The installed `policydsl` command: `main`, with a last guard so that even a bug in
    policydsl reaches the user as one line, not a traceback (POLICYDSL_DEBUG=1 shows it).
    Tests call `main` directly, so a crash there still fails loudly."""
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - the outermost boundary
        if os.environ.get("POLICYDSL_DEBUG"):
            raise
        click.echo(f"policydsl: internal error ({type(exc).__name__}: {exc}); this is a bug in policydsl, "
                   f"please report it with the input (set POLICYDSL_DEBUG=1 for the traceback)", err=True)
        sys.exit(ExitCode.ERROR)
