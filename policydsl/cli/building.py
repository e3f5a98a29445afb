"""Building on a policy set: `compile` (a standalone module or the IR as JSON) and `lsp`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from policydsl.cli.app import main
from policydsl.cli.common import ExitCode, echo_diagnostics, load_ir, write_atomically

# ---- compile ----------------------------------------------------------------------------

@main.command("compile")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--target", type=click.Choice(["python", "json"]), default="python", show_default=True,
              help="A standalone Python module, or the normalised IR as JSON.")
@click.option("-o", "--output", "out_path", type=click.Path(allow_dash=True), default="-", show_default=True,
              help="The file to write; - writes stdout.")
@click.option("--baseline", type=click.Path(), help="Platform policy for a merchant file (default: by name).")
def compile_(files: tuple[str, ...], target: str, out_path: str, baseline: str | None) -> None:
    """Compile a policy set into a standalone Python module or its IR as JSON.

    The Python module needs only the standard library: `decide(facts)` validates one
    request (docs/semantics.md §1; bad facts raise `FactsError`, a ValueError whose `.errors` lists
    PD4xx dicts) and returns its decision as the JSON-ready dict `policydsl eval` prints;
    `decide_validated(flat)` skips validation. The JSON is the IR other runtimes evaluate
    (README, "The IR as JSON").

    \b
    Example:
      policydsl compile my-shop.policy --target python -o my_shop_policy.py
      policydsl compile policies/platform/after_sales.policy --target json -o baseline.ir.json
    """
    from policydsl.diagnostics import Diagnostic
    from policydsl.compile.codegen import generate_python
    from policydsl.ir.jsonform import to_json

    ps = load_ir(files, baseline, "compile")
    text = generate_python(ps) if target == "python" else to_json(ps, indent=2) + "\n"
    if out_path == "-":
        click.echo(text, nl=False)
        return
    try:
        write_atomically(Path(out_path), text)
    except OSError as exc:
        echo_diagnostics([Diagnostic(code="PD001", message=f"cannot write `{out_path}`: {exc.strerror or exc}")])
        sys.exit(ExitCode.ERROR)


# ---- lsp --------------------------------------------------------------------------------

@main.command()
def lsp() -> None:
    """Run the language server on stdin/stdout (for editors): diagnostics as `check` reports
    them, hover, completion, go to definition, references, formatting and quick fixes.
    Needs the `lsp` extra: pip install 'policydsl[lsp]'.

    \b
    Example:
      policydsl lsp                      # started by the editor (editors/vscode)
    """
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        click.echo("policydsl lsp: the language server needs pygls and lsprotocol; install them with "
                   "`pip install 'policydsl[lsp]'`", err=True)
        sys.exit(ExitCode.ERROR)
    from policydsl.lsp.server import main as serve

    serve()
