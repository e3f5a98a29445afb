"""Architecture: imports flow downstream, click stays in the CLI, and the grammar is collision-free.

The import graph is read from the source files with the `ast` module (module-level and
function-level imports both count), so the test needs no import side effects.

    source ─ syntax ─ semantics ─► ir ◄─ evaluate | compile | check ◄─ api ◄─ tools ◄─ report ◄─ cli, lsp
    (the table ALLOWED below is the rule; compile/runtime.py is a leaf every stage may use)
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


#: What each stage may import of policydsl, besides its own package: the pipeline
#:   source → syntax → semantics → ir → evaluate | compile | check → api → tools → cli
#: The foundation (positions, diagnostics) and the runtime leaf are open to every stage.
FOUNDATION = {"policydsl.source", "policydsl.diagnostics", "policydsl.compile.runtime", "policydsl._version",
              "policydsl.gcpause"}
ALLOWED = {
    "policydsl.source": set(),
    "policydsl.diagnostics": {"policydsl.source"},
    "policydsl.codes": set(),
    "policydsl.compile.runtime": set(),  # copied verbatim into every compiled module
    "policydsl._version": set(),
    "policydsl.gcpause": set(),
    "policydsl.syntax": FOUNDATION,
    "policydsl.ir": FOUNDATION,
    "policydsl.semantics": FOUNDATION | {"policydsl.syntax", "policydsl.ir"},
    "policydsl.evaluate": FOUNDATION | {"policydsl.ir"},
    "policydsl.compile": FOUNDATION | {"policydsl.ir"},
    "policydsl.check": FOUNDATION | {"policydsl.ir", "policydsl.evaluate"},  # replays models in the evaluator
    "policydsl.api": FOUNDATION | {"policydsl.syntax", "policydsl.semantics", "policydsl.ir", "policydsl.evaluate",
                                   "policydsl.compile", "policydsl.check"},  # partial decisions, `why`
    "policydsl.tools": FOUNDATION | {"policydsl.api", "policydsl.syntax", "policydsl.semantics", "policydsl.ir",
                                     "policydsl.evaluate", "policydsl.check", "policydsl.compile"},
    # CI reports: SARIF rules read the code documentation, test reports read the test runner's results
    "policydsl.report": FOUNDATION | {"policydsl.codes", "policydsl.tools"},
    # the language server sits beside the CLI: it runs the library and the tools for an editor
    "policydsl.lsp": FOUNDATION | {"policydsl.api", "policydsl.tools", "policydsl.syntax", "policydsl.semantics",
                                   "policydsl.ir", "policydsl.check", "policydsl.codes"},
    "policydsl.cli": FOUNDATION | {"policydsl", "policydsl.api", "policydsl.tools", "policydsl.codes", "policydsl.report",
                                   "policydsl.syntax", "policydsl.ir", "policydsl.evaluate", "policydsl.compile",
                                   "policydsl.check", "policydsl.semantics", "policydsl.lsp"},
    "policydsl.__main__": {"policydsl.cli"},
    "policydsl": {"policydsl.api", "policydsl.evaluate", "policydsl.diagnostics", "policydsl._version"},
}


def stage_of(module: str) -> str:
    """The entry of ALLOWED a module belongs to: the longest package prefix (the package
    `policydsl` itself only by exact name)."""
    if module == "policydsl":
        return module
    best = max((k for k in ALLOWED if k != "policydsl" and (module == k or module.startswith(k + "."))),
               key=len, default=None)
    assert best is not None, f"module `{module}` belongs to no stage: add it to ALLOWED"
    return best


def test_the_graph_reader_sees_the_known_edges():
    assert "policydsl.syntax" in GRAPH["policydsl.api"]
    assert "policydsl.ir" in GRAPH["policydsl.evaluate.interpreter"]
    assert {"policydsl.syntax.ast", "policydsl.ir"} <= GRAPH["policydsl.semantics.analyzer"]
    assert "policydsl.semantics.analyzer" in GRAPH["policydsl.semantics"]
    assert "policydsl.tools.check_files" in GRAPH["policydsl.cli.authoring"]  # a function-level import counts
    assert "click" in GRAPH["policydsl.cli.app"]
    assert {"policydsl.cli.authoring", "policydsl.cli.deciding", "policydsl.cli.building"} <= GRAPH["policydsl.cli"]


def test_every_module_belongs_to_a_stage():
    assert all(stage_of(m) for m in MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_pipeline(module):
    stage = stage_of(module)
    wrong = sorted(dep for dep in internal(GRAPH[module])
                   if stage_of(dep) != stage and stage_of(dep) not in ALLOWED[stage])
    assert wrong == [], f"{module} ({stage}) may not import {wrong}"


def test_the_evaluator_never_imports_the_checker_or_the_front_end():
    """As in Cedar: the core that decides never depends on the validator or the parser."""
    for module in [m for m in MODULES if stage_of(m) in ("policydsl.evaluate", "policydsl.compile")]:
        assert under(closure(module), "policydsl.check", "policydsl.syntax", "policydsl.semantics",
                     "policydsl.cli", "policydsl.tools") == set(), module


def test_the_checker_never_imports_the_parser_or_the_cli():
    checker = [m for m in MODULES if m == "policydsl.check" or m.startswith("policydsl.check.")]
    assert checker, "policydsl/check exists"
    for module in checker:
        assert under(closure(module), "policydsl.syntax", "policydsl.cli") == set(), module


def test_only_the_cli_imports_click():
    users = {stage_of(m) for m, deps in GRAPH.items() if any(d == "click" or d.startswith("click.") for d in deps)}
    assert users == {"policydsl.cli"}


def test_nothing_imports_the_cli():
    assert sorted(m for m, deps in GRAPH.items()
                  if under(deps, "policydsl.cli") and stage_of(m) != "policydsl.cli" and m != "policydsl.__main__") == []


def test_the_runtime_is_a_leaf():
    """Compiled modules carry runtime.py verbatim, so it may import nothing of policydsl."""
    assert internal(GRAPH["policydsl.compile.runtime"]) == set()


def test_modules_stay_small():
    """One module, one job: none grows past about 600 lines."""
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    assert sorted(m for m, n in sizes.items() if n > 650) == []


# ---- every IR node has a case in each walker ----------------------------------------------------

def _union_members(name: str) -> list[str]:
    from policydsl.ir import nodes
    return [t.__name__ for t in getattr(nodes, name).__args__]


WALKERS = {  # module: the functions that dispatch on IR node classes
    "policydsl.evaluate.interpreter": ("cond", "term"),
    "policydsl.ir.normalize": ("cond", "term"),  # the code generator reads the IR through it
    "policydsl.check.encode": ("cond", "term_cases"),
}


@pytest.mark.parametrize("module", sorted(WALKERS))
def test_every_ir_node_has_a_case_in_each_walker(module):
    """The three walkers of the IR (interpreter, code generator, encoder) name every
    condition and term node class; a node added to the IR without a case fails here,
    not on the first policy that uses it."""
    text = MODULES[module].read_text(encoding="utf-8")
    tree = ast.parse(text)
    bodies = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in WALKERS[module]:
            bodies.setdefault(node.name, []).append(ast.get_source_segment(text, node))
    conds = "\n".join(bodies.get(WALKERS[module][0], []))
    terms = "\n".join(bodies.get(WALKERS[module][1], []))
    assert [n for n in _union_members("Cond") if f"ir.{n}" not in conds] == []
    assert [n for n in _union_members("IntTerm") if f"ir.{n}" not in terms] == []


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
    from policydsl.syntax.builder import AstBuilder as _ToAst

    needed = {str(r.alias) for r in parser().rules if r.alias}
    needed |= {str(r.origin.name) for r in parser().rules if not r.alias and not r.options.expand1}
    needed = {n for n in needed if not n.startswith("_")}  # Lark's helper rules for `x*` are inlined
    assert {"rule_decl", "comparison", "calendar_period", "expect_action"} <= needed
    assert sorted(n for n in needed if not hasattr(_ToAst, n)) == []


def test_the_command_line_starts_without_the_pipeline():
    """`policydsl --help` imports click and the CLI, not attrs, the parser, analyzer or engines: each
    command imports what it needs (cold start; bench/bench_eval.py measures it)."""
    import subprocess
    import sys

    code = ("import sys, policydsl.cli; "
            "print(sorted(m for m in sys.modules if m.startswith(('policydsl.', 'lark', 'attr'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(loaded) == ["policydsl._version", "policydsl.cli", "policydsl.cli.app", "policydsl.cli.authoring",
                            "policydsl.cli.building", "policydsl.cli.common", "policydsl.cli.deciding"]


def test_the_cli_offers_the_engines_the_library_has():
    from policydsl import api, cli

    assert cli.ENGINES == api.ENGINES


def test_only_the_cli_starts_the_language_server():
    users = sorted(m for m, deps in GRAPH.items() if under(deps, "policydsl.lsp") and stage_of(m) != "policydsl.lsp")
    assert users == ["policydsl.cli.building"]


def test_only_the_language_server_imports_pygls():
    """pygls and lsprotocol are the optional `lsp` extra: the library never needs them (the CLI's
    `lsp` command imports them only to say they are missing)."""
    users = sorted(m for m, deps in GRAPH.items()
                   if any(d.split(".")[0] in ("pygls", "lsprotocol") for d in deps) and stage_of(m) != "policydsl.lsp")
    assert users == ["policydsl.cli.building"]
