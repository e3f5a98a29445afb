"""The built-in solver (policydsl.check.logic) cross-checked against an independent SMT
solver, z3: on random formulas, and on every query `check` asks for the shipped policies.
z3 is a test-only dependency (the `test` extra installs it); without it these tests skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policydsl.check import logic
from policydsl.check.logic import ZERO, And, BoolAtom, DiffAtom, Domains, EnumAtom, Not, NullAtom, Or

z3 = pytest.importorskip("z3")

ROOT = Path(__file__).resolve().parent.parent


def to_z3(f: logic.Formula, domains: Domains, cache: dict):
    """`f` as a z3 expression; enum facts become integers indexing their values."""
    def integer(name: str):
        return z3.IntVal(0) if name == ZERO else cache.setdefault(("i", name), z3.Int(f"i:{name}"))

    def walk(f):
        if f is True or f is False:
            return z3.BoolVal(f)
        if isinstance(f, BoolAtom):
            return cache.setdefault(("b", f.path), z3.Bool(f"b:{f.path}"))
        if isinstance(f, NullAtom):
            return cache.setdefault(("n", f.path), z3.Bool(f"n:{f.path}"))
        if isinstance(f, EnumAtom):
            var = cache.setdefault(("e", f.path), z3.Int(f"e:{f.path}"))
            values = domains.enums[f.path]
            return z3.Or([var == values.index(v) for v in values if v in f.values] or [z3.BoolVal(False)])
        if isinstance(f, DiffAtom):
            return integer(f.u) - integer(f.v) <= f.c
        if isinstance(f, And):
            return z3.And([walk(i) for i in f.items])
        if isinstance(f, Or):
            return z3.Or([walk(i) for i in f.items])
        if isinstance(f, Not):
            return z3.Not(walk(f.item))
        raise AssertionError(f"no z3 form for {f!r}")
    return walk(f)


def z3_satisfiable(f: logic.Formula, domains: Domains) -> bool:
    cache: dict = {}
    solver = z3.Solver()
    solver.add(to_z3(f, domains, cache), to_z3(domains.axioms, domains, cache))
    for u, v, c in domains.base_constraints:
        solver.add(to_z3(DiffAtom(u, v, c), domains, cache))
    for (kind, path), var in list(cache.items()):
        if kind == "e":
            solver.add(var >= 0, var < len(domains.enums[path]))
    return solver.check() == z3.sat


# ---- random formulas ---------------------------------------------------------------------------------

VARS = ("x", "y", "z")
ENUMS = {"e": ("a", "b", "c")}
DOMAINS = Domains(enums=ENUMS, base_constraints=tuple(
    c for v in VARS for c in ((v, ZERO, 40), (ZERO, v, 40))))  # every variable within [-40, 40]

atoms = st.one_of(
    st.builds(BoolAtom, st.sampled_from(["p", "q"])),
    st.builds(NullAtom, st.sampled_from(["p", "q"])),
    st.builds(EnumAtom, st.just("e"), st.frozensets(st.sampled_from(ENUMS["e"]), max_size=3)),
    st.builds(DiffAtom, st.sampled_from((*VARS, ZERO)), st.sampled_from((*VARS, ZERO)), st.integers(-45, 45)),
)
formulas = st.recursive(atoms, lambda inner: st.one_of(
    st.lists(inner, min_size=1, max_size=4).map(logic.conj),
    st.lists(inner, min_size=1, max_size=4).map(logic.disj),
    inner.map(logic.neg)), max_leaves=14)


def holds(f: logic.Formula, model: logic.Model) -> bool:
    """`f` under a model the built-in solver returned (atoms it left open: any value works, so
    they are tried both ways only where they occur; the integers are the model's own)."""
    def value(x: str) -> int:
        return 0 if x == ZERO else model.integers.get(x, 0)

    def walk(f) -> bool:
        if f is True or f is False:
            return f
        if isinstance(f, DiffAtom):
            return value(f.u) - value(f.v) <= f.c
        if isinstance(f, (BoolAtom, NullAtom, EnumAtom)):
            got = model.value(f)
            return bool(got) if got is not None else False
        if isinstance(f, And):
            return all(walk(i) for i in f.items)
        if isinstance(f, Or):
            return any(walk(i) for i in f.items)
        return not walk(f.item)
    return walk(f)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(f=formulas)
def test_random_formulas_agree_with_z3(f):
    expected = z3_satisfiable(f, DOMAINS)
    assert logic.satisfiable(f, DOMAINS) is expected
    model = logic.solve(f, DOMAINS)
    assert (model is not None) is expected
    if model is not None:  # the model's integers satisfy every constraint the solver relied on
        assert model.holds_with(model.integers)


# ---- every query `check` asks for the shipped policies ----------------------------------------------

def _recorded_queries(monkeypatch: pytest.MonkeyPatch) -> list[tuple[logic.Formula, Domains, bool]]:
    from policydsl.api import load_set
    from policydsl.check import check_merchant, check_platform, favourability

    recorded: list[tuple[logic.Formula, Domains, bool]] = []
    real_sat, real_solve = logic.satisfiable, logic.solve

    def sat(f, domains):
        answer = real_sat(f, domains)
        recorded.append((f, domains, answer))
        return answer

    def solve(f, domains):
        model = real_solve(f, domains)
        recorded.append((f, domains, model is not None))
        return model

    monkeypatch.setattr(favourability, "satisfiable", sat)
    monkeypatch.setattr(favourability, "solve", solve)
    files = [ROOT / "policies" / "platform" / "after_sales.policy",
             *sorted((ROOT / "policies" / "merchants").glob("*.policy")),
             *sorted((ROOT / "policies" / "merchants" / "rejected").glob("*.policy"))]
    for path in files:
        ps = load_set([path]).policy_set
        assert ps is not None, path
        (check_merchant(ps) if ps.baseline is not None else check_platform(ps))
    return recorded


def test_every_query_of_the_shipped_policies_agrees_with_z3(monkeypatch: pytest.MonkeyPatch):
    queries = _recorded_queries(monkeypatch)
    assert len(queries) > 100
    disagreements = [(f, answer) for f, domains, answer in queries if z3_satisfiable(f, domains) is not answer]
    assert disagreements == []
