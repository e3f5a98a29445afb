"""Architecture: imports flow downstream, click stays in the CLI, and the grammar is collision-free.

The import graph is read from the source files with the `ast` module (module-level and
function-level imports both count), so the test needs no import side effects.

    source, ast ─ syntax ─ semantics ─► ir ◄─ evaluator / runtime ◄─ api ◄─ cli
                                        ▲
                                        └── check (favourability)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from lark import Lark

from policydsl.syntax import grammar_text, parser

PACKAGE = Path(__file__).resolve().parent.parent / "policydsl"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def imports_of(name: str) -> set[str]:
    """Every module `name` imports, as written: `import x`, `from x import y` (y a submodule
    counts as x.y), relative imports, and `importlib.import_module("…")` with a constant."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if is_package(name) else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in MODULES else target)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.add(node.args[0].value)
    out.discard(name)
    return out


GRAPH = {name: imports_of(name) for name in MODULES}


def internal(names: set[str]) -> set[str]:
    return {n for n in names if n == "policydsl" or n.startswith("policydsl.")}


def closure(name: str) -> set[str]:
    """Every policydsl module reachable from `name` through explicit imports."""
    seen: set[str] = set()
    stack = [name]
    while stack:
        for dep in internal(GRAPH.get(stack.pop(), set())):
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen


def under(names: set[str], *prefixes: str) -> set[str]:
    return {n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes)}


UPSTREAM = ("policydsl.semantics", "policydsl.syntax", "policydsl.check", "policydsl.cli")
DOWNSTREAM = [m for m in ("policydsl.evaluator", "policydsl.runtime", "policydsl.ir", "policydsl.decision",
                          "policydsl.timeutil") if m in MODULES]


def test_the_graph_reader_sees_the_known_edges():
    assert "policydsl.syntax" in GRAPH["policydsl.api"]
    assert "policydsl.ir" in GRAPH["policydsl.evaluator"]
    assert {"policydsl.ast", "policydsl.ir"} <= GRAPH["policydsl.semantics.analyzer"]
    assert "policydsl.semantics.analyzer" in GRAPH["policydsl.semantics"]
    assert "policydsl.checking" in GRAPH["policydsl.cli"]  # a function-level import counts
    assert "click" in GRAPH["policydsl.cli"]


@pytest.mark.parametrize("module", DOWNSTREAM)
def test_runtime_modules_never_import_the_front_end(module):
    assert under(GRAPH[module], *UPSTREAM) == set(), "direct import"
    assert under(closure(module), *UPSTREAM) == set(), f"transitive: {sorted(closure(module))}"


def test_the_checker_never_imports_the_parser_or_the_cli():
    checker = [m for m in MODULES if m == "policydsl.check" or m.startswith("policydsl.check.")]
    assert checker, "policydsl/check exists"
    for module in checker:
        assert under(GRAPH[module], "policydsl.syntax", "policydsl.cli") == set(), module
        assert under(closure(module), "policydsl.syntax", "policydsl.cli") == set(), module


def test_only_the_cli_imports_click():
    users = sorted(m for m, deps in GRAPH.items() if any(d == "click" or d.startswith("click.") for d in deps))
    assert users == ["policydsl.cli"]


def test_nothing_imports_the_cli():
    assert sorted(m for m, deps in GRAPH.items() if under(deps, "policydsl.cli")) == []


def test_the_ir_is_a_leaf_of_the_language_core():
    assert internal(GRAPH["policydsl.ir"]) <= {"policydsl.source"}
    assert internal(GRAPH["policydsl.decision"]) == set()
    # timeutil reads timestamps with the runtime's parser (one implementation for both engines)
    assert internal(GRAPH["policydsl.timeutil"]) <= {"policydsl.runtime"}


def test_the_runtime_is_a_leaf():
    """Compiled modules carry runtime.py verbatim, so it may import nothing of policydsl."""
    assert internal(GRAPH["policydsl.runtime"]) == set()


# ---- the grammar ------------------------------------------------------------------------------

def test_grammar_builds_in_strict_mode():
    """strict=True makes Lark reject shift/reduce conflicts and terminal collisions (needs interegular)."""
    pytest.importorskip("interegular")
    Lark(grammar_text(), parser="lalr", lexer="contextual", strict=True, propagate_positions=True,
         maybe_placeholders=True, start=["start", "declarations_only"])


def test_grammar_loaded_is_the_checkout_grammar():
    checkout = PACKAGE.parent / "grammar" / "policy.lark"
    assert grammar_text() == checkout.read_text(encoding="utf-8")


def test_every_grammar_rule_has_an_ast_mapping():
    """Each rule (or alias) that builds a tree maps to a method of the AST builder; `?rules` are inlined."""
    from policydsl.syntax import _ToAst

    needed = {str(r.alias) for r in parser().rules if r.alias}
    needed |= {str(r.origin.name) for r in parser().rules if not r.alias and not r.options.expand1}
    needed = {n for n in needed if not n.startswith("_")}  # Lark's helper rules for `x*` are inlined
    assert {"rule_decl", "comparison", "calendar_period", "expect_action"} <= needed
    assert sorted(n for n in needed if not hasattr(_ToAst, n)) == []
