"""Load a policy set's generated module: compile it (or take it from the cache) and run it
in a sandbox.

The module (policydsl.compile.codegen) is compiled with the file name `<policydsl:NAME>`
and run in a fresh namespace that holds only whitelisted builtins and can import only the
few standard modules the generated code names. Its LINE_MAP turns a failure in generated
code back into the policy element (and its file:line:col) whose code failed.
"""

from __future__ import annotations

import bisect
import builtins
import types
from collections.abc import Mapping
from typing import Any

from policydsl import ir
from policydsl.compile import codegen
from policydsl.compile.emit import Origin
from policydsl.compile.cache import read_cache, write_cache, cache_key

#: The builtins generated code (and the runtime copied into it) may use.
SAFE_BUILTIN_NAMES = (
    "False", "None", "True", "Exception", "KeyError", "OverflowError", "TypeError", "ValueError",
    "__build_class__", "bool", "dict", "float", "frozenset", "int", "isinstance", "len", "list", "max", "min",
    "object", "range", "set", "sorted", "str", "super", "tuple", "type",
)
#: The only modules generated code may import.
ALLOWED_IMPORTS = frozenset({"__future__", "collections.abc", "datetime", "difflib", "json", "re"})


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
    """The compiled decision module of `ps`: validate, validate_fast, decide_validated,
    decide_validated_json, decide, FactsError, POLICY."""
    key = cache_key(ps)
    code = read_cache(key)
    if code is None:
        code = compile(codegen.generate_python(ps), codegen.module_filename(ps), "exec")
        write_cache(key, code)
    namespace: dict[str, Any] = {"__builtins__": safe_builtins(), "__name__": "policydsl_compiled"}
    exec(code, namespace)  # code generated from the IR only; see policydsl.compile.codegen
    return types.SimpleNamespace(FILENAME=code.co_filename, **{k: namespace[k] for k in (
        "validate", "validate_fast", "decide_validated", "decide_validated_json", "decide_json_fast", "decide",
        "FactsError", "POLICY", "LINE_MAP")})


def origin_of(module: types.SimpleNamespace, exc: BaseException) -> Origin | None:
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


def describe_origin(ps: ir.PolicySet, origin: Origin) -> str:
    """`rule `r` (file:line:col)` for an element of the line map, with its span where known."""
    kind, name = origin
    owner = ps.baseline if kind == "baseline rule" and ps.baseline is not None else ps
    elements = {"rule": owner.rules, "baseline rule": owner.rules, "period": ps.periods,
                "capability": ps.capabilities, "action": ps.actions}.get(kind, ())
    span = next((getattr(e, "span", None) for e in elements if e.name == name), None)
    return f"{kind} `{name}`" + (f" ({span})" if span is not None else "")
