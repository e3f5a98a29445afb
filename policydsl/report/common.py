"""What every CI report says about a diagnostic beyond its message: the hint, the notes, and the
exact command that reproduces a counterexample."""

from __future__ import annotations

import json
import shlex

from policydsl.diagnostics import Diagnostic

#: Where the documentation of every code lives; `#pdNNN` is the heading of one code.
DOCS_URL = "https://github.com/policydsl/policydsl/blob/main/docs/error-codes.md"
HOME_URL = "https://github.com/policydsl/policydsl"


def help_uri(code: str) -> str:
    """The absolute address of a code's section in docs/error-codes.md."""
    return f"{DOCS_URL}#{code.lower()}"


def reproduce_command(d: Diagnostic, baseline: str | None = None) -> str | None:
    """A shell command that decides the diagnostic's counterexample, so that the `overridden` entry
    the checker predicts can be seen: `echo '<facts>' | policydsl eval FILE --facts -`. None when the
    diagnostic carries no counterexample."""
    example = d.data.get("counterexample")
    if not example or d.path is None:
        return None
    facts = json.dumps(example, ensure_ascii=False, separators=(",", ":"))
    extra = f" --baseline {shlex.quote(baseline)}" if baseline else ""
    return f"echo {shlex.quote(facts)} | policydsl eval {shlex.quote(d.path)}{extra} --facts -"


def details(d: Diagnostic, baseline: str | None = None) -> list[str]:
    """The lines after the message: the hint, each note, and the reproducing command."""
    command = reproduce_command(d, baseline)
    out = [f"hint: {d.hint}"] if d.hint else []
    # the command carries the counterexample, and replaces the note that says how to run it
    skip = ("reproduce: ", "counterexample: ") if command is not None else ()
    out.extend(f"note: {n}" for n in d.notes if not n.startswith(skip) or not skip)
    if command is not None:
        out.append(f"reproduce: {command}")
    return out


def full_message(d: Diagnostic, baseline: str | None = None) -> str:
    """The message followed by `details`, one a line."""
    return "\n".join([d.message, *details(d, baseline)])
