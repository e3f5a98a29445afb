"""`policydsl test --mutate`: how well a file's in-file tests pin down its rules.

Mutants are made on the IR of the file's own policy set (a merchant file with its baseline),
touching only what the file itself declares:

- drop a rule;
- weaken or strengthen each effect one modality step in the buyer's order (docs/semantics.md §3;
  a step to `absent` drops the effect);
- shift each parameter (its value, and each per-value setting) and each period of a fixed
  length by one unit (a day; a month for a length in months or years) either way;
- negate each atom of each rule condition and period guard (`let`s and scenarios are expanded
  in the IR, so an atom is negated where the rule uses it);
- drop each `unless` guard of a period.

Each mutant runs against the file's own tests; a mutant is killed when one test fails. A
surviving mutant the exact diff (policydsl.check.diff) proves to decide every request alike
is equivalent and not counted. Score = killed / (mutants − equivalent).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from policydsl import ir
from policydsl.ir import g3
from policydsl.check.diff import Difference, Incomparable, semantic_diff
from policydsl.diagnostics import Diagnostic, Severity
from policydsl.evaluate.facts import FactsInputError, validate
from policydsl.evaluate.interpreter import evaluate
from policydsl.semantics import TestCase
from policydsl.source import Span
from policydsl.tools.testing import expectation_failures, load_own_tests

_STEPS: dict[str, tuple[str | None, ...]] = {  # modalities, least favourable to the buyer first
    "pro_buyer": ("must_not", None, "may", "should", "must"),
    "pro_merchant": ("must", "should", "may", None, "must_not"),
}


@attrs.frozen
class Mutant:
    description: str  # what was changed, in the author's words
    span: Span | None
    ps: ir.PolicySet = attrs.field(eq=False, repr=False)
    actions: frozenset[str] | None = None  # the only actions whose decision it can change (None: any)


@attrs.frozen
class Survivor:
    """A mutant no test kills, with facts on which it decides differently from the file."""

    mutant: Mutant
    difference: Difference | None  # None: the solver could not compare the two


@attrs.frozen
class FileMutation:
    """The mutation run of one file."""

    path: Path
    diagnostics: tuple[Diagnostic, ...]  # load errors or failing tests (then no mutant ran)
    total: int = 0
    killed: int = 0
    equivalent: int = 0
    survivors: tuple[Survivor, ...] = ()

    @property
    def counted(self) -> int:
        return self.total - self.equivalent

    @property
    def score(self) -> float:
        return 100.0 if self.counted == 0 else 100.0 * self.killed / self.counted

    def survivor_diagnostics(self) -> list[Diagnostic]:
        out = []
        for s in self.survivors:
            d = s.difference
            notes = () if d is None else (
                f"with it `{d.action}` becomes {d.new or 'absent'} where the file decides {d.old or 'absent'}, e.g. on "
                + json.dumps(d.counterexample, ensure_ascii=False, separators=(",", ":")),)
            out.append(Diagnostic(code="PD501", severity=Severity.WARNING, span=s.mutant.span,
                                  message=f"mutant survives every test: {s.mutant.description}", notes=notes,
                                  hint="add a test whose expectation this change breaks"))
        return out


# ---- conditions as authors write them --------------------------------------------------------

def show(c: ir.Cond) -> str:
    if isinstance(c, ir.TrueCond):
        return "true"
    if isinstance(c, ir.FalseCond):
        return "false"
    if isinstance(c, (ir.And, ir.Or)):
        word = " and " if isinstance(c, ir.And) else " or "
        return "(" + word.join(show(i) for i in c.items) + ")"
    if isinstance(c, ir.NotCond):
        return f"not {show(c.item)}"
    if isinstance(c, ir.BoolFact):
        return c.path
    if isinstance(c, ir.EnumIn):
        return f"{c.path} == {c.values[0]}" if len(c.values) == 1 else f"{c.path} in {{{', '.join(c.values)}}}"
    if isinstance(c, ir.IsNull):
        return f"{c.path} is null"
    if isinstance(c, ir.Compare):
        return f"{_term(c.left)} {c.op} {_term(c.right)}"
    if isinstance(c, ir.Within):
        return f"within {c.period}"
    if isinstance(c, ir.Expired):
        return f"expired {c.period}"
    if isinstance(c, ir.Available):
        return f"available {c.capability}"
    return type(c).__name__


def _term(t: ir.IntTerm) -> str:
    return str(t.value) if isinstance(t, ir.Const) else t.path if isinstance(t, ir.FactInt) else t.name


def _negations(c: ir.Cond) -> Iterator[tuple[str, ir.Cond]]:
    """(what was negated, the changed condition); an atom written more than once is numbered."""
    found = list(negated_atoms(c))
    shown = [show(atom) for atom, _ in found]
    seen: dict[str, int] = {}
    for text, (_, changed) in zip(shown, found):
        seen[text] = seen.get(text, 0) + 1
        n = shown.count(text)
        yield f"`{text}`" + (f" (occurrence {seen[text]} of {n}, `let`s and scenarios expanded)" if n > 1 else ""), \
            changed


def negated_atoms(c: ir.Cond) -> Iterator[tuple[ir.Cond, ir.Cond]]:
    """(atom, the condition with that one atom occurrence negated), for every atom occurrence."""
    if isinstance(c, (ir.And, ir.Or)):
        for i, item in enumerate(c.items):
            for atom, changed in negated_atoms(item):
                yield atom, attrs.evolve(c, items=c.items[:i] + (changed,) + c.items[i + 1:])
    elif isinstance(c, ir.NotCond):
        for atom, changed in negated_atoms(c.item):
            yield atom, ir.NotCond(changed) if not isinstance(changed, ir.NotCond) or changed.item != c.item \
                else changed
    elif not isinstance(c, (ir.TrueCond, ir.FalseCond)):
        yield c, ir.NotCond(c)


# ---- mutants ---------------------------------------------------------------------------------

def mutants(ps: ir.PolicySet, origin: str) -> Iterator[Mutant]:
    """Every mutant of what `origin` (platform or merchant) declares in the set `ps`."""
    for i, r in enumerate(ps.rules):
        if r.source != origin:
            continue

        def with_rule(new: ir.Rule | None, i: int = i) -> ir.PolicySet:
            rules = ps.rules[:i] + ((new,) if new is not None else ()) + ps.rules[i + 1:]
            return attrs.evolve(ps, rules=rules)

        touched = reached(ps, r)
        yield Mutant(f"rule `{r.name}` dropped", r.span, with_rule(None), touched)
        for j, e in enumerate(r.effects):
            steps = _STEPS[ps.action(e.action).polarity]
            at = steps.index(e.modality)
            for to, verb in ((at - 1, "weakened"), (at + 1, "strengthened")):
                if not 0 <= to < len(steps):
                    continue
                modality = steps[to]
                effects = r.effects[:j] + ((attrs.evolve(e, modality=modality),) if modality else ()) + r.effects[j + 1:]
                yield Mutant(f"rule `{r.name}`: `{e.modality} {e.action}` {verb} to "
                             f"`{modality + ' ' + e.action if modality else 'no ' + e.action}`",
                             e.span or r.span, with_rule(attrs.evolve(r, effects=effects)), touched)
        for what, changed in _negations(r.condition):
            yield Mutant(f"rule `{r.name}`: {what} negated in its condition", r.span,
                         with_rule(attrs.evolve(r, condition=changed)), touched)
    yield from _param_mutants(ps, origin)
    yield from _period_mutants(ps, origin)


def reached(ps: ir.PolicySet, rule: ir.Rule) -> frozenset[str]:
    """The actions whose decision a change to `rule` alone can change: those it gives, those of the
    rules it overrides, and (G3 counts stronger remedies) every action one of these covers."""
    given = {e.action for e in rule.effects}
    for name in rule.overrides:
        given |= {e.action for r in ps.rules if r.name == name for e in r.effects}
    return frozenset(a.name for a in ps.actions if given & set(g3.counted_with(ps, a.name)))


def _param_mutants(ps: ir.PolicySet, origin: str) -> Iterator[Mutant]:
    unit = {"days": "day", "months": "month", "hours": "hour"}
    for i, p in enumerate(ps.params):
        spans = dict(p.set_spans)

        def with_param(new: ir.Param, i: int = i) -> ir.PolicySet:
            return attrs.evolve(ps, params=ps.params[:i] + (new,) + ps.params[i + 1:])

        what = unit.get(p.kind, "")
        if p.source == origin:
            for delta in (-1, 1):
                if p.value + delta < 0:
                    continue
                yield Mutant(f"`{p.name}` shifted by {delta:+d} {what}".rstrip(),
                             spans.get(None, p.span) or p.span, with_param(attrs.evolve(p, value=p.value + delta)))
        if origin == ir.MERCHANT:
            for k, (key, value) in enumerate(p.by_value):
                for delta in (-1, 1):
                    if value + delta < 0:
                        continue
                    by_value = p.by_value[:k] + ((key, value + delta),) + p.by_value[k + 1:]
                    yield Mutant(f"`{p.name}` for `{key}` shifted by {delta:+d} {what}".rstrip(),
                                 spans.get(key, p.span), with_param(attrs.evolve(p, by_value=by_value)))


def _period_mutants(ps: ir.PolicySet, origin: str) -> Iterator[Mutant]:
    for i, p in enumerate(ps.periods):
        if p.source != origin or isinstance(p, ir.BestPeriod):
            continue

        def with_period(new: ir.Period, i: int = i) -> ir.PolicySet:
            return attrs.evolve(ps, periods=ps.periods[:i] + (new,) + ps.periods[i + 1:])

        if isinstance(p.length, ir.Const):
            what = {"months": "month", "hours": "hour"}.get(p.unit, "day")
            for delta in (-1, 1):
                if p.length.value + delta >= 0:
                    yield Mutant(f"period `{p.name}` shifted by {delta:+d} {what}", p.span,
                                 with_period(attrs.evolve(p, length=ir.Const(p.length.value + delta))))
        if isinstance(p.guard, ir.NotCond):
            yield Mutant(f"period `{p.name}`: `unless {show(p.guard.item)}` dropped", p.span,
                         with_period(attrs.evolve(p, guard=ir.TRUE)))
        for what, changed in _negations(p.guard):
            yield Mutant(f"period `{p.name}`: {what} negated in its guard", p.span,
                         with_period(attrs.evolve(p, guard=changed)))


# ---- running ---------------------------------------------------------------------------------

def killed(ps: ir.PolicySet, cases: Sequence[tuple[TestCase, Any]]) -> bool:
    """Whether some test fails on the mutant set `ps` (`cases`: tests with validated facts)."""
    for case, flat in cases:
        try:
            decision = evaluate(ps, flat)
        except Exception:  # a mutant the evaluator cannot decide fails its test
            return True
        if expectation_failures(case, decision):
            return True
    return False


def first_difference(ps: ir.PolicySet, mutant: Mutant) -> tuple[bool, Difference | None]:
    """(equivalent, a difference): the mutant is equivalent when the exact diff finds none."""
    try:
        result = semantic_diff(ps, mutant.ps, first=True, actions=mutant.actions)
    except Incomparable:
        return False, None
    return result.status == "same", (result.differences[0] if result.differences else None)


def mutate_file(path: Path, baseline: str | Path | None = None) -> FileMutation:
    own = load_own_tests(path, baseline)
    if own.ps is None:
        return FileMutation(path, own.diagnostics)
    ps, origin = own.ps, own.origin
    cases = []
    for case in own.cases:
        try:
            cases.append((case, validate(case.facts, ps)))
        except FactsInputError as exc:
            return FileMutation(path, tuple(exc.diagnostics))
    failing = [c for c, flat in cases if expectation_failures(c, evaluate(ps, flat))]
    if failing:
        return FileMutation(path, tuple(Diagnostic(code="PD506", span=c.span, message=f"test `{c.title}` fails on "
                                                   "the file itself; mutation testing needs passing tests")
                                        for c in failing))
    total = n_killed = n_equivalent = 0
    survivors: list[Survivor] = []
    for m in mutants(ps, origin):
        total += 1
        if killed(m.ps, cases):
            n_killed += 1
            continue
        same, difference = first_difference(ps, m)
        if same:
            n_equivalent += 1
        else:
            survivors.append(Survivor(m, difference))
    return FileMutation(path, (), total, n_killed, n_equivalent, tuple(survivors))


def score_diagnostic(f: FileMutation, min_score: float) -> Diagnostic | None:
    """PD505 when the file's score is below `min_score` percent."""
    if f.diagnostics or f.score >= min_score:
        return None
    return Diagnostic(code="PD505", message=f"`{f.path}`: mutation score {f.score:.1f}% is below --min-score "
                                            f"{min_score:g}% ({len(f.survivors)} surviving mutant(s))",
                      hint="add tests that kill the surviving mutants (PD501)")


def mutate_files(paths: Sequence[Path], baseline: str | Path | None = None) -> tuple[FileMutation, ...]:
    return tuple(mutate_file(p, baseline) for p in paths)
