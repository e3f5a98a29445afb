"""A small exact satisfiability solver for the checker's fragment.

Formulas are built from atoms over facts:
  BoolAtom(p)        bool fact p is true
  NullAtom(p)        nullable fact p is null
  EnumAtom(p, S)     enum fact p takes a value in S
  DiffAtom(u, v, c)  integer variables: u - v <= c   (ZERO is the constant 0)

and `And`, `Or`, `Not`, `TRUE`, `FALSE`. Satisfiability is decided by DPLL
case splitting on atoms, with a theory check after every split: enum atoms of
one fact must leave a value; difference constraints must have no negative
cycle (Bellman–Ford). Difference logic over the integers is exact: a
constraint set without a negative cycle has an integer solution, and we
return the least one, which puts counterexamples on boundaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Union

import attrs

ZERO = "0"
BIG = 10**6  # bound on every integer variable, unless the constants call for a larger one (`_bound`)


@attrs.frozen
class BoolAtom:
    path: str


@attrs.frozen
class NullAtom:
    path: str


@attrs.frozen
class EnumAtom:
    path: str
    values: frozenset[str]


@attrs.frozen
class DiffAtom:
    """u - v <= c over integer variables (ZERO is the constant 0)."""

    u: str
    v: str
    c: int


Atom = Union[BoolAtom, NullAtom, EnumAtom, DiffAtom]


@attrs.frozen
class And:
    items: tuple["Formula", ...]


@attrs.frozen
class Or:
    items: tuple["Formula", ...]


@attrs.frozen
class Not:
    item: "Formula"


Formula = Union[bool, Atom, And, Or, Not]
TRUE: Formula = True
FALSE: Formula = False


def conj(items: Iterable[Formula]) -> Formula:
    out: list[Formula] = []
    for f in items:
        if f is False:
            return False
        if f is True:
            continue
        out.extend(f.items if isinstance(f, And) else (f,))
    if not out:
        return True
    return out[0] if len(out) == 1 else And(tuple(out))


def disj(items: Iterable[Formula]) -> Formula:
    out: list[Formula] = []
    for f in items:
        if f is True:
            return True
        if f is False:
            continue
        out.extend(f.items if isinstance(f, Or) else (f,))
    if not out:
        return False
    return out[0] if len(out) == 1 else Or(tuple(out))


def neg(f: Formula) -> Formula:
    if f is True:
        return False
    if f is False:
        return True
    if isinstance(f, Not):
        return f.item
    return Not(f)


def diff(u: str, v: str, c: int) -> Formula:
    """u - v <= c, folded when both sides are constant."""
    if u == v:
        return 0 <= c
    return DiffAtom(u, v, c)


# ---- simplification under a partial assignment ----------------------------------------

def simplify(f: Formula, assignment: Mapping[Atom, bool]) -> Formula:
    """`f` with the assigned atoms replaced by their values, folded.

    Encoded formulas share subformulas (a rule's `active` formula appears under every
    modality level, a period under every rule reading it), so each distinct node (by
    identity) is simplified once per call; a node none of whose children changed is
    returned as is, which keeps that sharing in the result for the next call."""
    memo: dict[int, Formula] = {}

    def go(node: Formula) -> Formula:
        if node is True or node is False:
            return node
        key = id(node)
        done = memo.get(key, _MISSING)
        if done is not _MISSING:
            return done
        kind = type(node)
        if kind is And or kind is Or:
            items = node.items
            out = []
            changed = False
            for i in items:
                j = go(i)
                if j is not i:
                    changed = True
                    if kind is And and j is False or kind is Or and j is True:
                        memo[key] = j
                        return j
                out.append(j)
            result = (conj(out) if kind is And else disj(out)) if changed else node
        elif kind is Not:
            inner = go(node.item)
            result = node if inner is node.item else neg(inner)
        else:
            value = assignment.get(node)
            result = node if value is None else value
        memo[key] = result
        return result

    return go(f)


_MISSING = object()


def first_atom(f: Formula) -> tuple[Atom, bool] | None:
    """The first unassigned atom in the formula and the polarity it first occurs with."""
    stack: list[tuple[Formula, bool]] = [(f, True)]
    while stack:
        node, positive = stack.pop()
        if node is True or node is False:
            continue
        if isinstance(node, (And, Or)):
            stack.extend((i, positive) for i in reversed(node.items))
        elif isinstance(node, Not):
            stack.append((node.item, not positive))
        else:
            return node, positive
    return None


# ---- theories ---------------------------------------------------------------------------

@attrs.frozen
class Domains:
    """What the solver knows about facts beyond the formula."""

    enums: Mapping[str, tuple[str, ...]]  # enum fact -> its values
    base_constraints: tuple[tuple[str, str, int], ...]  # u - v <= c that always hold
    soft_constraints: tuple[tuple[str, str, int], ...] = ()  # kept when consistent (realistic values)
    axioms: "Formula" = True  # a formula that always holds (e.g. the `require` orderings to the µs)


def enums_consistent(assignment: Mapping[Atom, bool], domains: Domains) -> bool:
    allowed: dict[str, set[str]] = {}
    for atom, value in assignment.items():
        if isinstance(atom, EnumAtom):
            current = allowed.setdefault(atom.path, set(domains.enums[atom.path]))
            if value:
                current &= atom.values
            else:
                current -= atom.values
            if not current:
                return False
    return True


def constraints_of(assignment: Mapping[Atom, bool]) -> list[tuple[str, str, int]]:
    out = []
    for atom, value in assignment.items():
        if isinstance(atom, DiffAtom):
            out.append((atom.u, atom.v, atom.c) if value else (atom.v, atom.u, -atom.c - 1))
    return out


def least_solution(constraints: Iterable[tuple[str, str, int]]) -> dict[str, int] | None:
    """The least integer solution (each variable as small as allowed, ≥ -BIG) of
    u - v <= c constraints with ZERO = 0, or None when they are inconsistent.

    With y = -x the constraints read y_v - y_u <= c; shortest distances from
    ZERO over edges u -> v of weight c give the largest y, i.e. the least x.
    """
    cons = list(constraints)
    big = _bound(cons)
    nodes = {ZERO} | {u for u, _, _ in cons} | {v for _, v, _ in cons}
    edges = [(u, v, c) for u, v, c in cons]
    edges += [(ZERO, n, big) for n in nodes if n != ZERO]  # x >= -big
    edges += [(n, ZERO, big) for n in nodes if n != ZERO]  # x <= big
    dist = {n: (0 if n == ZERO else big * 4) for n in nodes}
    for _ in range(len(nodes)):
        changed = False
        for u, v, c in edges:
            if dist[u] + c < dist[v]:
                dist[v] = dist[u] + c
                changed = True
        if not changed:
            break
    else:
        for u, v, c in edges:
            if dist[u] + c < dist[v]:
                return None
    return {n: -dist[n] for n in nodes if n != ZERO}


def _bound(cons: list[tuple[str, str, int]], slack: int = 0) -> int:
    """A bound B on |x| that loses no solution: a consistent set of u - v <= c constraints has
    one with every |x| <= sum |c| (shortest-path distances), so BIG unless the constants
    (plus `slack` for atoms about to be tested) are larger."""
    return max(BIG, sum(abs(c) for _, _, c in cons) + slack + 1)


def diff_consistent(assignment: Mapping[Atom, bool], domains: Domains) -> bool:
    cons = constraints_of(assignment)
    if not cons:
        return True
    return least_solution([*domains.base_constraints, *cons]) is not None


# ---- search ------------------------------------------------------------------------------

@attrs.frozen
class Model:
    """A satisfying assignment: atom values plus the least integer solution."""

    atoms: Mapping[Atom, bool]
    integers: Mapping[str, int]
    #: The difference constraints (u - v <= c) the integers satisfy: any other integers that
    #: satisfy them satisfy the formula too (the counterexample builder re-chooses month lengths).
    constraints: tuple[tuple[str, str, int], ...] = ()

    def holds_with(self, integers: Mapping[str, int]) -> bool:
        """Whether `integers` (missing variables 0) satisfy every constraint of the model."""
        def value(var: str) -> int:
            return 0 if var == ZERO else integers.get(var, 0)
        return all(value(u) - value(v) <= c for u, v, c in self.constraints)

    def value(self, atom: Atom) -> bool | None:
        return self.atoms.get(atom)


def solve(f: Formula, domains: Domains) -> Model | None:
    """A model of `f` consistent with the domains, or None when `f` is unsatisfiable."""
    found = _search(f if domains.axioms is True else conj([f, domains.axioms]), {}, domains)
    if found is None:
        return None
    cons = [*domains.base_constraints, *constraints_of(found)]
    for soft in domains.soft_constraints:
        if least_solution([*cons, soft]) is not None:
            cons.append(soft)
    integers = least_solution(cons) or {}
    return Model(dict(found), integers, tuple(cons))


def _search(f: Formula, assignment: dict[Atom, bool], domains: Domains) -> dict[Atom, bool] | None:
    f = simplify(f, assignment)
    if f is True:
        return assignment
    if f is False:
        return None
    picked = first_atom(f)
    assert picked is not None
    atom, positive = picked
    for value in (positive, not positive):
        assignment[atom] = value
        if _consistent(atom, assignment, domains):
            result = _search(f, assignment, domains)
            if result is not None:
                return result
        del assignment[atom]
    return None


def _consistent(atom: Atom, assignment: Mapping[Atom, bool], domains: Domains) -> bool:
    if isinstance(atom, EnumAtom):
        return enums_consistent(assignment, domains)
    if isinstance(atom, DiffAtom):
        return diff_consistent(assignment, domains)
    return True


class Completion:
    """One total assignment extending a model: the model's atoms; each enum fact at the first
    value (domain order) its assigned atoms leave; integer variables at the model's least
    solution; every other bool or null atom False. It agrees with every theory, so a formula
    the model satisfies, conjoined with any formula False here, is satisfiable."""

    def __init__(self, model: Model, domains: Domains) -> None:
        self.model = model
        self.domains = domains
        self._enums: dict[str, str] = {}
        self._ints = {ZERO: 0, **model.integers}

    def enum(self, path: str) -> str:
        if path not in self._enums:
            allowed = set(self.domains.enums[path])
            for atom, value in self.model.atoms.items():
                if isinstance(atom, EnumAtom) and atom.path == path:
                    allowed = allowed & atom.values if value else allowed - atom.values
            self._enums[path] = next(v for v in self.domains.enums[path] if v in allowed)
        return self._enums[path]

    def integer(self, var: str) -> int | None:
        """The variable's value, or None where the model does not fix one."""
        return self._ints.get(var)

    def atom(self, atom: Atom) -> bool | None:
        assigned = self.model.atoms.get(atom)
        if assigned is not None:
            return assigned
        if isinstance(atom, EnumAtom):
            return self.enum(atom.path) in atom.values
        if isinstance(atom, DiffAtom):
            u, v = self.integer(atom.u), self.integer(atom.v)
            return None if u is None or v is None else u - v <= atom.c
        return False

    def holds(self, f: Formula) -> bool | None:
        """`f` here: True or False, or None (unknown) where an atom reads an integer variable
        the model has no value for."""
        if f is True or f is False:
            return f
        if isinstance(f, (And, Or)):
            decisive = isinstance(f, Or)  # the value that settles the connective
            unknown = False
            for item in f.items:
                value = self.holds(item)
                if value is decisive:
                    return decisive
                unknown = unknown or value is None
            return None if unknown else not decisive
        if isinstance(f, Not):
            inner = self.holds(f.item)
            return None if inner is None else not inner
        return self.atom(f)


def necessary_literals(f: Formula) -> list[tuple[Atom, bool]]:
    """The atoms (with their value) that every model of `f` must give: its top-level conjuncts."""
    items = f.items if isinstance(f, And) else (f,)
    out: list[tuple[Atom, bool]] = []
    for item in items:
        if isinstance(item, Not) and not isinstance(item.item, (And, Or, Not, bool)):
            out.append((item.item, False))
        elif not isinstance(item, (And, Or, Not, bool)):
            out.append((item, True))
    return out


def satisfiable(f: Formula, domains: Domains) -> bool:
    """Whether `f` has a model: the same answer as `solve(f, domains) is not None`, found faster.

    Only a yes/no is wanted, so before each case split the search also assigns every atom
    whose value the theories already imply (an enum atom decided by the values left to its
    fact; a difference atom decided by the bounds the assigned constraints put on its
    variables). `solve` keeps the plain search, so the models it returns, and with them the
    counterexamples, do not depend on this."""
    return _decide(f if domains.axioms is True else conj([f, domains.axioms]), {}, domains)


def _decide(f: Formula, assignment: dict[Atom, bool], domains: Domains) -> bool:
    f = simplify(f, assignment)
    if f is True or f is False:
        return f
    implied = implied_atoms(f, assignment, domains)
    if implied:
        assignment.update(implied)
        try:
            f = simplify(f, assignment)
            if f is True or f is False:
                return f
            return _branch(f, assignment, domains)
        finally:
            for atom in implied:
                del assignment[atom]
    return _branch(f, assignment, domains)


def _branch(f: Formula, assignment: dict[Atom, bool], domains: Domains) -> bool:
    picked = first_atom(f)
    assert picked is not None
    atom, positive = picked
    for value in (positive, not positive):
        assignment[atom] = value
        try:
            if _consistent(atom, assignment, domains) and _decide(f, assignment, domains):
                return True
        finally:
            del assignment[atom]
    return False


def atoms_of(f: Formula) -> list[Atom]:
    """The distinct atoms of `f`, each shared subformula visited once."""
    seen: set[int] = set()
    out: dict[Atom, None] = {}
    stack = [f]
    while stack:
        node = stack.pop()
        if node is True or node is False or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, (And, Or)):
            stack.extend(node.items)
        elif isinstance(node, Not):
            stack.append(node.item)
        else:
            out[node] = None
    return list(out)


def implied_atoms(f: Formula, assignment: Mapping[Atom, bool], domains: Domains) -> dict[Atom, bool]:
    """Unassigned atoms of `f` that take one value in every solution of the theories under
    `assignment` (which must be consistent); the other value would be inconsistent."""
    atoms = atoms_of(f)
    out: dict[Atom, bool] = {}
    enums = [a for a in atoms if isinstance(a, EnumAtom)]
    if enums:
        allowed: dict[str, set[str]] = {}
        for atom, value in assignment.items():
            if isinstance(atom, EnumAtom):
                current = allowed.setdefault(atom.path, set(domains.enums[atom.path]))
                if value:
                    current &= atom.values
                else:
                    current -= atom.values
        for a in enums:
            left = allowed.get(a.path)
            if left is None:
                continue
            if left <= a.values:
                out[a] = True
            elif not (left & a.values):
                out[a] = False
    diffs = [a for a in atoms if isinstance(a, DiffAtom)]
    if diffs:
        cons = [*domains.base_constraints, *constraints_of(assignment)]
        hi, lo = bounds(cons, {v for a in diffs for v in (a.u, a.v)}, slack=sum(abs(a.c) + 1 for a in diffs))
        for a in diffs:
            if hi[a.u] - lo[a.v] <= a.c:
                out[a] = True
            elif lo[a.u] - hi[a.v] > a.c:
                out[a] = False
    return out


def bounds(constraints: Iterable[tuple[str, str, int]],
           variables: Iterable[str], slack: int = 0) -> tuple[dict[str, int], dict[str, int]]:
    """Tight upper and lower bounds of each variable under consistent u - v <= c constraints
    (and -B <= x <= B, B = `_bound(constraints, slack)`): shortest paths from and to ZERO."""
    cons = list(constraints)
    big = _bound(cons, slack)
    nodes = {ZERO, *variables} | {u for u, _, _ in cons} | {v for _, v, _ in cons}
    edges = [(v, u, c) for u, v, c in cons]  # x_u <= x_v + c: an edge v -> u of weight c
    edges += [(ZERO, n, big) for n in nodes if n != ZERO] + [(n, ZERO, big) for n in nodes if n != ZERO]

    def shortest(reverse: bool) -> dict[str, int]:
        dist = {n: (0 if n == ZERO else big * 4) for n in nodes}
        for _ in range(len(nodes)):
            changed = False
            for a, b, c in edges:
                if reverse:
                    a, b = b, a
                if dist[a] + c < dist[b]:
                    dist[b] = dist[a] + c
                    changed = True
            if not changed:
                break
        return dist

    up, down = shortest(False), shortest(True)
    return up, {n: -d for n, d in down.items()}
