"""How a policy set is evaluated: compiled Python (the default) or the reference interpreter.

The compiled engine generates the policy set's module (policydsl.codegen), compiles it
with the file name `<policydsl:NAME>` and runs it in a fresh namespace that holds only
whitelisted builtins and can import only the few standard modules the generated code
names. The code object is cached on disk, keyed by the SHA-256 of the IR's JSON form,
the policydsl version, the code generator's own source and the Python version:
$POLICYDSL_CACHE_DIR (empty: no cache), else ~/.cache/policydsl. A cache that cannot be
read or written is ignored.

Both engines give identical decisions (tests/test_codegen.py); facts the compiled
validator rejects are validated again by policydsl.facts, so diagnostics keep their spans.
"""

from __future__ import annotations

import bisect
import builtins
import functools
import hashlib
import marshal
import os
import sys
import tempfile
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Protocol

import attrs

from policydsl import __version__, codegen, ir, irjson, runtime
from policydsl.decision import ActionEntry, Conflict, Decision, EscalationEntry, Extension, Override, PeriodEntry
from policydsl.evaluator import evaluate
from policydsl.facts import FlatFacts, validate
from policydsl.source import Source

ENGINES = ("compiled", "interpreter")

#: The builtins generated code (and the runtime copied into it) may use.
SAFE_BUILTIN_NAMES = (
    "False", "None", "True", "Exception", "KeyError", "OverflowError", "TypeError", "ValueError",
    "__build_class__", "bool", "dict", "float", "frozenset", "int", "isinstance", "len", "list", "max", "min",
    "object", "range", "set", "sorted", "str", "super", "tuple", "type",
)
#: The only modules generated code may import.
ALLOWED_IMPORTS = frozenset({"__future__", "collections.abc", "datetime", "difflib", "json", "re"})


class Backend(Protocol):
    """One way of deciding: validate JSON-like facts, then decide flat facts."""

    name: str
    ir: ir.PolicySet

    def validate(self, data: Any, source: Source | None = None) -> FlatFacts: ...

    def decision(self, flat: FlatFacts) -> Decision: ...

    def decision_dict(self, flat: FlatFacts) -> dict[str, Any]: ...


class PolicyEvaluationError(RuntimeError):
    """An engine failed on facts that passed validation: a bug in policydsl. The compiled
    engine's message names the policy element whose code failed (from the module's line map)."""


class InterpreterBackend:
    """The reference evaluator (policydsl.evaluator)."""

    name = "interpreter"

    def __init__(self, ps: ir.PolicySet) -> None:
        self.ir = ps

    def validate(self, data: Any, source: Source | None = None) -> FlatFacts:
        return validate(data, self.ir, source)

    def decision(self, flat: FlatFacts) -> Decision:
        try:
            return evaluate(self.ir, flat)
        except Exception as exc:  # validated facts cannot cause this: a bug, reported like the compiled engine's
            raise PolicyEvaluationError(f"the reference interpreter failed: {type(exc).__name__}: {exc}") from exc

    def decision_dict(self, flat: FlatFacts) -> dict[str, Any]:
        return self.decision(flat).to_dict()


class CompiledBackend:
    """The policy set's generated module, compiled in memory (cached on disk)."""

    name = "compiled"

    def __init__(self, ps: ir.PolicySet) -> None:
        self.ir = ps
        self.module = load_module(ps)
        self._validate: Callable[[Any], FlatFacts] = self.module.validate
        self._facts_error: type[Exception] = self.module.FactsError
        self._decide: Callable[[FlatFacts], dict[str, Any]] = self.module.decide_validated
        self._entries: dict[tuple[str, str, tuple[str, ...], str], ActionEntry] = {}  # finite: one per rule tie

    def decision_dict(self, flat: FlatFacts) -> dict[str, Any]:
        try:
            return self._decide(flat)
        except Exception as exc:
            origin = origin_of(self.module, exc)
            where = describe_origin(self.ir, origin) if origin is not None else "the generated module"
            raise PolicyEvaluationError(f"compiled code for {where} failed: {type(exc).__name__}: {exc}") from exc

    def validate(self, data: Any, source: Source | None = None) -> FlatFacts:
        try:
            return self._validate(data)
        except self._facts_error:  # diagnose again for spans and Diagnostic values
            return validate(data, self.ir, source)

    def decision(self, flat: FlatFacts) -> Decision:
        return decision_from_dict(self.decision_dict(flat), self._entries)


def make_backend(ps: ir.PolicySet, engine: str = "compiled", *, enforce_baseline: bool = True) -> Backend:
    """The backend for `engine`; without `enforce_baseline` the set is decided without G3."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine `{engine}`; expected one of {', '.join(ENGINES)}")
    if not enforce_baseline:
        ps = attrs.evolve(ps, baseline=None)
    return CompiledBackend(ps) if engine == "compiled" else InterpreterBackend(ps)


# ---- compiling in memory ---------------------------------------------------------------------

def _restricted_import(name: str, globals: Mapping[str, Any] | None = None, locals: Mapping[str, Any] | None = None,
                       fromlist: tuple[str, ...] = (), level: int = 0) -> types.ModuleType:
    if level != 0 or name not in ALLOWED_IMPORTS:
        raise ImportError(f"generated policy code may not import `{name}`")
    return __import__(name, globals, locals, fromlist, level)


def safe_builtins() -> dict[str, Any]:
    """The builtins namespace generated code runs with."""
    out = {name: getattr(builtins, name) for name in SAFE_BUILTIN_NAMES}
    out["__import__"] = _restricted_import
    return out


def load_module(ps: ir.PolicySet) -> types.SimpleNamespace:
    """The compiled decision module of `ps`: validate, decide_validated, decide, FactsError, POLICY."""
    key = cache_key(ps)
    code = _read_cache(key)
    if code is None:
        code = compile(codegen.generate_python(ps), codegen.module_filename(ps), "exec")
        _write_cache(key, code)
    namespace: dict[str, Any] = {"__builtins__": safe_builtins(), "__name__": "policydsl_compiled"}
    exec(code, namespace)  # code generated from the IR only; see policydsl.codegen
    return types.SimpleNamespace(FILENAME=code.co_filename, **{k: namespace[k] for k in (
        "validate", "decide_validated", "decide", "FactsError", "POLICY", "LINE_MAP")})


def origin_of(module: types.SimpleNamespace, exc: BaseException) -> codegen.Origin | None:
    """The policy element (kind, name) whose code in `module.decide_validated` was running when
    `exc` was raised, from the module's LINE_MAP; None when the failure is elsewhere."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == module.FILENAME and code.co_name == "decide_validated":
            line = tb.tb_lineno - code.co_firstlineno
        tb = tb.tb_next
    if line is None:
        return None
    index = bisect.bisect_right([start for start, _, _ in module.LINE_MAP], line) - 1
    if index < 0 or not module.LINE_MAP[index][1]:
        return None
    _, kind, name = module.LINE_MAP[index]
    return kind, name


def describe_origin(ps: ir.PolicySet, origin: codegen.Origin) -> str:
    """`rule `r` (file:line:col)` for an element of the line map, with its span where known."""
    kind, name = origin
    owner = ps.baseline if kind == "baseline rule" and ps.baseline is not None else ps
    elements = {"rule": owner.rules, "baseline rule": owner.rules, "period": ps.periods,
                "capability": ps.capabilities, "action": ps.actions}.get(kind, ())
    span = next((getattr(e, "span", None) for e in elements if e.name == name), None)
    return f"{kind} `{name}`" + (f" ({span})" if span is not None else "")


# ---- the on-disk cache ----------------------------------------------------------------------------

def cache_dir() -> Path | None:
    """$POLICYDSL_CACHE_DIR (an empty value turns the cache off), else ~/.cache/policydsl."""
    configured = os.environ.get("POLICYDSL_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    return Path.home() / ".cache" / "policydsl"


@functools.cache
def _generator_fingerprint() -> str:
    """Changes whenever the code generator or the runtime it copies changes."""
    digest = hashlib.sha256()
    for module in (codegen, runtime):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def cache_key(ps: ir.PolicySet) -> str:
    """SHA-256 of the IR's JSON, the policydsl version, the generator and the Python version."""
    digest = hashlib.sha256()
    for part in (irjson.to_json(ps), __version__, _generator_fingerprint(), sys.implementation.cache_tag or "",
                 sys.version):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _read_cache(key: str) -> types.CodeType | None:
    directory = cache_dir()
    if directory is None:
        return None
    try:
        code = marshal.loads((directory / f"{key}.code").read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return code if isinstance(code, types.CodeType) else None


def _write_cache(key: str, code: types.CodeType) -> None:
    directory = cache_dir()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(marshal.dumps(code))
            os.replace(tmp, directory / f"{key}.code")
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError):
        pass  # a cache that cannot be written only costs a compile next time


# ---- decisions from their JSON form ------------------------------------------------------------------

def decision_from_dict(doc: Mapping[str, Any],
                       entries: dict[tuple[str, str, tuple[str, ...], str], ActionEntry] | None = None) -> Decision:
    """The Decision whose `to_dict()` is `doc` (the compiled engine's output). `entries`
    caches the action entries, which repeat from one decision to the next."""
    entries = {} if entries is None else entries
    actions = []
    for a in doc["actions"]:
        key = (a["action"], a["modality"], tuple(a["cites"]), a["source"])
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = ActionEntry(*key)
        actions.append(entry)
    periods = []
    for p in doc["periods"]:
        unit = "days" if "days" in p else "months" if "months" in p else "hours"
        periods.append(PeriodEntry(p["name"], p[unit], unit, p["deadline"], p["expired"], p["source"]))
    ext = doc["extension"]
    esc = doc["escalation"]
    return Decision(
        scenario=tuple(doc["scenario"]),
        actions=tuple(actions),
        periods=tuple(periods),
        extension=Extension(ext["eligible"], ext["remaining"], ext["why"]) if ext is not None else None,
        overridden=tuple([Override(o["rule"], tuple(o["clause"]), o["action"], _modality(o["merchant"]),
                                   _modality(o["baseline"])) for o in doc["overridden"]]),
        trace=tuple(doc["trace"]),
        conflicts=tuple(Conflict(c["action"], c["modality"], c["capability"], c["why"], tuple(c["cites"]))
                        for c in doc["conflicts"]),
        escalation=EscalationEntry(tuple(esc["rulings"]), tuple(esc["cites"])) if esc is not None else None,
    )


def _modality(text: str) -> str | None:
    return None if text == "absent" else text


__all__ = ["ALLOWED_IMPORTS", "ENGINES", "Backend", "CompiledBackend", "InterpreterBackend", "PolicyEvaluationError",
           "cache_dir", "cache_key", "decision_from_dict", "describe_origin", "load_module", "make_backend", "origin_of",
           "safe_builtins"]
