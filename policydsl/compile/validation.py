"""Facts validation in generated code: `validate` (a fast check of the usual shape, else the
runtime's exact `validate_slow`) and `validate_fast` (the fast check alone)."""

from __future__ import annotations

import itertools
from contextlib import ExitStack
from typing import Any

from policydsl import ir
from policydsl.compile import runtime
from policydsl.compile.emit import CodegenError, Writer, lit


class ValidationCode:
    """The part of the generator (a mixin of `codegen._Generator`) that writes validation."""

    def validate_function(self) -> str:
        """`validate(data)`: a fast check of the usual shape (nested dicts holding exactly the
        declared facts, all valid), else the full and exact `validate_slow`; and `validate_fast(data)`,
        the fast check alone (None where it does not hold)."""
        ps = self.ps
        for o in ps.orderings:
            self.mine.fact(o.left), self.mine.fact(o.right)
        table = self.const(lit(ir.fact_spec(ps)))
        orderings = self.const(lit(ir.ordering_spec(ps)))
        w = Writer()
        lo, hi = runtime.writable_range(ps.timezone_minutes)
        tree = _fact_tree([f.path for f in ps.facts])
        optional = {f.path for f in ps.facts if f.optional}
        self.fast_values: dict[str, str] | None = None  # fact path → the local validate_fast holds it in
        self.fast_return = -1  # the index of validate_fast's `return` of the flat facts in w.lines
        self.fast_dicts: list[str] = []  # the locals holding the objects checked
        self.fast_strings: list[tuple[str, bool]] = []  # (local, nullable): given strings that may hold a colon
        if tree is not None and ps.facts:
            names = itertools.count()
            values: dict[str, str] = {}
            with w.block("try:"), ExitStack() as stack:
                level: list[tuple[str, dict[str, Any], str]] = [("data", tree, "")]
                while level:
                    self.fast_dicts += [var for var, _, _ in level]
                    stack.enter_context(w.block("if " + " and ".join(
                        f"type({var}) is dict and len({var}) == {_key_count(sub, prefix, optional, var)}"
                        for var, sub, prefix in level) + ":"))
                    deeper = []
                    for var, sub, prefix in level:
                        for seg, child in sub.items():
                            name = f"n{next(names)}"
                            if prefix + seg in optional:  # may be left out: absent is null
                                w.emit(f"{name} = {var}.get({lit(seg)})")
                            else:
                                w.emit(f"{name} = {var}[{lit(seg)}]")
                            if child is None:
                                values[prefix + seg] = name
                            else:
                                deeper.append((name, child, prefix + seg + "."))
                    level = deeper
                checks, flat = [], []
                for f in ps.facts:
                    v = values[f.path]
                    if f.kind == "timestamp" or f.kind == "enum" and any(":" in x for x in f.values):
                        self.fast_strings.append((v, f.nullable))
                    if f.kind == "timestamp":
                        t = f"n{next(names)}"
                        w.emit(f"{t} = read_timestamp({v})")
                        test = f"({t} is not None and {lo} <= {t} <= {hi})"
                        checks.append(f"({v} is None or {test})" if f.nullable else test)
                        values[f.path] = t
                    else:
                        test = {"bool": f"type({v}) is bool", "count": f"(type({v}) is int and {v} >= 0)",
                                "enum": f"{v} in {{{', '.join(lit(x) for x in f.values)}}}" if len(f.values) > 1
                                else f"{v} == {lit(f.values[0])}" if f.values else "False"}.get(f.kind)
                        if test is None:
                            raise CodegenError(f"fact `{f.path}` has unknown kind `{f.kind}`")
                        checks.append(f"({v} is None or {test})" if f.nullable else test)
                    flat.append(f"{lit(f.path)}: {values[f.path]}")
                for o in ps.orderings:
                    left, right = values[o.left], values[o.right]
                    checks.append(f"({left} is None or {right} is None or {left} {'<' if o.op == '<' else '<='} {right})")
                with w.block(f"if {' and '.join(checks) or 'True'}:"):
                    self.fast_values, self.fast_return = values, len(w.lines)
                    w.emit(f"return {{{', '.join(flat)}}}")
            with w.block("except (KeyError, TypeError):"):
                w.emit("pass")
        fast = [*w.lines, "    return None"]
        self.fast_lines = list(w.lines)
        w.emit(f"return validate_slow(data, {table}, {orderings}, {lit(ps.timezone_minutes)})")
        return ("def validate(data: object) -> dict:\n"
                "    \"\"\"Check JSON-like facts (docs/semantics.md §1); return the flat facts or raise FactsError.\"\"\"\n"
                + "\n".join(w.lines) + "\n\n\n"
                "def validate_fast(data: object) -> dict | None:\n"
                "    \"\"\"`validate(data)` when the facts have the usual shape (plain dicts holding exactly the declared\n"
                "    facts, all valid), else None: then `validate` says what is wrong.\"\"\"\n"
                + "\n".join(fast))


    def decide_fast_function(self, fact_vars: dict[str, str], body: list[str]) -> str:
        """`decide_json_fast(data)`: validate_fast's check, then the body of decide_validated_json
        (`body`, reading the facts from the locals `fact_vars` names) on the checked values, without
        building the flat facts; None where the check does not hold."""
        head = ("def decide_json_fast(data: object, text: str | None = None) -> str | None:\n"
                "    \"\"\"`decide_validated_json(validate_fast(data))`, or None where validate_fast gives None. With\n"
                "    `text`, the JSON text that `data` was read from by a decoder that keeps the last copy of a\n"
                "    key given twice, also None where the text gave some key twice: outside strings a colon\n"
                "    only follows a key, so the text's colons are the keys read plus the colons inside the\n"
                "    strings read, unless a key was given twice (exact for a text without backslashes; one\n"
                "    with any is declined).\"\"\"\n")
        values = self.fast_values
        if values is None:
            return head + "    return None"
        lines = list(self.fast_lines)
        indent = lines[self.fast_return][:len(lines[self.fast_return]) - len(lines[self.fast_return].lstrip())]
        colons = [f"len({var})" for var in self.fast_dicts]
        colons += [f"({v}.count(':') if {v} is not None else 0)" if nullable else f"{v}.count(':')"
                   for v, nullable in self.fast_strings]
        keys_plain = not any(":" in f.path for f in self.ps.facts)
        once = (f"text is None or '\\\\' not in text and text.count(':') == {' + '.join(colons)}" if keys_plain
                else "text is None")
        lines[self.fast_return:self.fast_return + 1] = [
            f"{indent}if {once}:",
            f"{indent}    " + "; ".join([*(f"{v} = {values[p]}" for p, v in fact_vars.items()), "ok = True"])]
        return head + "\n".join(["    ok = False", *lines, "    if not ok:", "        return None", *body])


def _key_count(sub: dict[str, Any], prefix: str, optional: set[str], var: str) -> str:
    """How many keys an object holding exactly the declared facts has: the required ones, plus
    each optional fact it gives."""
    required = [seg for seg in sub if prefix + seg not in optional]
    given = [f"({lit(seg)} in {var})" for seg in sub if prefix + seg in optional]
    return " + ".join([str(len(required)), *given])


def _fact_tree(paths: list[str]) -> dict[str, Any] | None:
    """The declared fact paths as nested segments (leaves None); None when one path is a
    prefix of another, a shape the fast check does not handle."""
    tree: dict[str, Any] = {}
    for path in paths:
        *parents, leaf = path.split(".")
        node = tree
        for seg in parents:
            node = node.setdefault(seg, {})
            if node is None:
                return None
        if leaf in node:
            return None
        node[leaf] = None
    return tree
