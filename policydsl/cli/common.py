"""What every command shares: exit codes, expanding FILES, writing files, printing diagnostics,
loading a policy set (with the usage errors worded for the command that was run)."""

from __future__ import annotations

import enum
import glob
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the library (even the diagnostics) is imported where it is used: `--help` stays fast
    from policydsl import ir
    from policydsl.api import PolicySet
    from policydsl.diagnostics import Diagnostic

#: The engines `eval --engine` offers (policydsl.api.ENGINES; a test keeps the two equal).
ENGINES = ("compiled", "interpreter")


class ExitCode(enum.IntEnum):
    OK = 0
    VIOLATIONS = 1  # policy violations or failed tests
    ERROR = 2  # usage, syntax or input errors


_GLOB_CHARS = frozenset("*?[")


def policy_files(paths: tuple[str, ...]) -> tuple[list[Path], list[Diagnostic]]:
    """Expand directories into their *.policy files (sorted, recursive) and patterns the shell left
    unexpanded (`'policies/*.policy'`) into the files they match. A directory or pattern that yields
    no .policy file is a PD001 usage error, so a mistyped path never passes as "nothing to check"."""
    from policydsl.diagnostics import Diagnostic
    out: list[Path] = []
    problems: list[Diagnostic] = []
    hint = "give .policy files, or directories that hold them (searched recursively)"
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(path.rglob("*.policy"))
            if not found:
                problems.append(Diagnostic(code="PD001", message=f"no .policy files in `{p}`", hint=hint))
            out.extend(found)
        elif not path.exists() and _GLOB_CHARS & set(p):
            matches = [Path(m) for m in sorted(glob.glob(p, recursive=True))]
            found = [f for m in matches
                     for f in (sorted(m.rglob("*.policy")) if m.is_dir() else [m] if m.suffix == ".policy" else [])]
            if not found:
                problems.append(Diagnostic(code="PD001", message=f"no .policy files match `{p}`", hint=hint))
            out.extend(found)
        else:
            out.append(path)
    return out, problems


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) in one step: the text is encoded first and written
    to a file beside it, so a failure never leaves the file truncated or half written."""
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def use_color(err: bool) -> bool:
    """Colour the text diagnostics? `--color`/`--no-color` decide; without them, only on a terminal
    and only when NO_COLOR is unset or empty (https://no-color.org)."""
    ctx = click.get_current_context(silent=True)
    chosen = ctx.find_root().params.get("color") if ctx is not None else None
    if chosen is not None:
        return bool(chosen)
    if os.environ.get("NO_COLOR"):
        return False
    stream = sys.stderr if err else sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def echo_text(diags: list[Diagnostic], err: bool = False) -> None:
    """The text form of `diags` (in order) on stdout or stderr, coloured as `use_color` decides."""
    from policydsl.diagnostics import render_text
    color = use_color(err)
    click.echo(render_text(diags, color=color), err=err, color=color)


def echo_diagnostics(diags: list[Diagnostic], err: bool = True) -> None:
    from policydsl.diagnostics import sorted_diagnostics
    if diags:
        echo_text(sorted_diagnostics(diags), err=err)


def load_ir(files: tuple[str, ...], baseline: str | None, command: str) -> ir.PolicySet:
    """The policy set's IR; print the diagnostics and exit 2 if it is not well-formed.
    `command` (`eval`, `compile`) words the usage errors."""
    from policydsl.api import load_set

    paths, problems = policy_files(files)
    if problems:
        echo_diagnostics(problems)
        sys.exit(ExitCode.ERROR)
    result = load_set(paths, baseline)
    errors = [usage_hint(d, command) for d in result.diagnostics if d.is_error]
    if errors or result.policy_set is None:
        echo_diagnostics(errors or list(result.diagnostics))
        sys.exit(ExitCode.ERROR)
    return result.policy_set


def usage_hint(d: Diagnostic, command: str) -> Diagnostic:
    """A PD002 about several merchant files, with the hint worded for the command that was run."""
    if d.data.get("problem") == "several merchant policies":
        import attrs

        return attrs.evolve(d, hint=f"run `policydsl {command}` once per merchant file")
    return d


def load_policy(files: tuple[str, ...], baseline: str | None, engine: str = "compiled") -> PolicySet:
    from policydsl.api import PolicySet

    return PolicySet(load_ir(files, baseline, "eval"), engine=engine)
