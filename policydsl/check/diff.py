"""Where do two policy sets decide differently? The exact semantic diff.

Each side is a policy set as `policydsl eval` decides it: a platform set, or a merchant set
with G3 applied against its own baseline. For every action and every pair of modalities
(old, new) that differ in favourability to the buyer (the polarity order of docs/semantics.md
§3: pro_buyer `must_not < absent < may < should < must`, pro_merchant reversed), the solver
asks for facts where the old set gives the action `old` and the new set gives it `new`.
Every model becomes a complete facts object (`facts_from_model`: the least integer solution,
so timestamps sit on period boundaries and unconstrained facts take their simplest value),
which is replayed through the reference evaluator on both sides; the difference it shows
must be the one the solver claimed. It is then minimised: each fact the difference does not
need is reset to its simplest value (`minimised`).

Both sets must read the same facts (same paths, types, values, orderings, evaluation instant
and time zone), so that facts valid for one are valid for the other, with one allowance: a
fact that may be omitted can be declared by one set alone (a version that adds or drops an
optional fact). The other set does not read it: it is left out of the facts that set is
given (`facts_for`; `DiffResult.only_one_side` names such facts), as the fact's absence is
what that set has always seen. Only the actions' modalities are compared (scenarios, periods
and the trace are not decisions a buyer receives).
"""

from __future__ import annotations

from typing import Any

import attrs

from policydsl import ir
from policydsl.check.counterexample import facts_from_model
from policydsl.check.encode import Encoder, Undecidable, domains_for, uses_exact_time
from policydsl.check.logic import Domains, Formula, conj, disj, neg, solve
from policydsl.evaluate.facts import FactsInputError, validate
from policydsl.evaluate.interpreter import evaluate
from policydsl.gcpause import gc_paused

LESS, MORE = "less_favourable", "more_favourable"
_MODALITIES: tuple[str | None, ...] = ("must_not", None, "may", "should", "must")


class Incomparable(Exception):
    """The two sets do not read the same facts, so no facts object that both read alike is valid for both."""


@attrs.frozen
class Difference:
    """At `counterexample` the old set gives `action` modality `old`, the new set `new`
    (None: the action is absent); `direction` is how the new decision compares for the buyer."""

    action: str
    direction: str  # LESS | MORE
    old: str | None
    new: str | None
    counterexample: dict[str, Any] = attrs.field(eq=False)


@attrs.frozen
class DiffResult:
    status: str  # "same" | "differ" | "undecided"
    differences: tuple[Difference, ...]
    reason: str | None = None  # why the solver could not decide (status "undecided")
    only_one_side: tuple[str, ...] = ()  # optional facts one set alone declares (left out for the other)


class DecisionEncoder:
    """The modality a set's decision gives each action, after G3 for a merchant set, as formulas."""

    def __init__(self, ps: ir.PolicySet) -> None:
        self.ps = ps
        self.enc = Encoder(ps)
        self.base = Encoder(ps.baseline) if ps.baseline is not None else None
        self._memo: dict[tuple[str, int], Formula] = {}

    def polarity(self, action: str) -> str | None:
        found = [a.polarity for a in self.ps.actions if a.name == action]
        return found[0] if found else None

    def at_least(self, action: str, k: int, polarity: str) -> Formula:
        """The decision's own modality for `action` ranks ≥ k (docs/semantics.md §3)."""
        if (action, k) not in self._memo:
            self._memo[action, k] = self._at_least(action, k, polarity)
        return self._memo[action, k]

    def _at_least(self, action: str, k: int, polarity: str) -> Formula:
        if self.polarity(action) is None:  # not an action of this set: always absent
            return ir.modality_rank(polarity, None) >= k
        if self.base is None:
            return self.enc.rank_at_least(action, k)
        m, b = self.enc, self.base
        ranks = range(1, 5)
        # G3 (policydsl.ir.g3): the merchant's own entry stays where its effective rank reaches the
        # baseline's (the floor); else the baseline's own entry replaces it when that reaches the floor.
        keep = conj(disj([neg(b.effective_at_least(action, j)), m.effective_at_least(action, j)]) for j in ranks)
        own_reaches = conj(disj([neg(b.effective_at_least(action, j)), b.rank_at_least(action, j)]) for j in ranks)
        restore = conj([neg(keep), own_reaches])
        return disj([conj([neg(restore), m.rank_at_least(action, k)]), conj([restore, b.rank_at_least(action, k)])])

    def exactly(self, action: str, rank: int, polarity: str) -> Formula:
        upper = self.at_least(action, rank + 1, polarity) if rank < 4 else False
        return conj([self.at_least(action, rank, polarity) if rank > 0 else True, neg(upper)])


def comparable(old: ir.PolicySet, new: ir.PolicySet) -> str | None:
    """Why no facts object is valid for both sets alike, or None when they read the same facts
    (but for optional facts only one of them declares: see `left_out`)."""
    a, b = {f.path: f for f in old.facts}, {f.path: f for f in new.facts}
    clashes = sorted(p for p in a.keys() | b.keys()
                     if (a[p] != b[p] if p in a and p in b else not (a.get(p) or b[p]).optional))
    if clashes:
        return (f"the two declare different facts ({', '.join(f'`{n}`' for n in clashes[:5])}; only a fact that "
                f"may be omitted may be declared by one of them alone)")
    if set(old.orderings) != set(new.orderings):
        return "the two declare different `require` orderings"
    if old.now != new.now:
        return f"the two evaluate at different instants (`now {old.now}`, `now {new.now}`)"
    if old.timezone_minutes != new.timezone_minutes:
        return "the two count days in different time zones"
    return None


def only_one_side(old: ir.PolicySet, new: ir.PolicySet) -> tuple[str, ...]:
    """The optional facts only one of the sets declares, in declaration order (the new set's first)."""
    a, b = {f.path for f in old.facts}, {f.path for f in new.facts}
    return tuple(f.path for f in (*new.facts, *old.facts) if (f.path in a) != (f.path in b))


def facts_for(ps: ir.PolicySet, facts: dict[str, Any]) -> dict[str, Any]:
    """`facts` without the facts `ps` does not declare (an optional fact of the other set)."""
    declared = {f.path for f in ps.facts}
    return {group: {name: v for name, v in values.items() if f"{group}.{name}" in declared}
            if isinstance(values, dict) else values for group, values in facts.items()}


def _polarities(old: ir.PolicySet, new: ir.PolicySet) -> list[tuple[str, str]]:
    """(action, polarity) for every action of either set, new set's order first."""
    out: dict[str, str] = {}
    for a in (*new.actions, *old.actions):
        out.setdefault(a.name, a.polarity)
    clash = [a.name for a in old.actions if out[a.name] != a.polarity]
    if clash:
        raise Incomparable(f"action `{clash[0]}` is pro_buyer in one set and pro_merchant in the other")
    return list(out.items())


def _domains(old: ir.PolicySet, new: ir.PolicySet) -> Domains:
    """What holds of any facts, for both sets (month lengths and times of day of either)."""
    a, b = domains_for(old), domains_for(new)
    base = tuple(dict.fromkeys((*b.base_constraints, *a.base_constraints)))
    soft = tuple(dict.fromkeys((*b.soft_constraints, *a.soft_constraints)))
    return Domains(enums=b.enums, base_constraints=base, soft_constraints=soft, axioms=conj([b.axioms, a.axioms]))


def semantic_diff(old: ir.PolicySet, new: ir.PolicySet, *, first: bool = False,
                  actions: frozenset[str] | None = None) -> DiffResult:
    """Every (action, old modality, new modality) the two sets can decide differently, each with
    a counterexample replayed through the evaluator; with `first`, only the first difference
    found (enough to tell that the two differ); with `actions`, only those actions are compared
    (for callers that know the others cannot differ). Raises `Incomparable`."""
    reason = comparable(old, new)
    if reason is not None:
        raise Incomparable(reason)
    alone = only_one_side(old, new)
    with gc_paused():
        try:
            return attrs.evolve(_diff(old, new, first, actions), only_one_side=alone)
        except Undecidable as exc:
            return DiffResult("undecided", (), exc.reason, alone)


def _diff(old: ir.PolicySet, new: ir.PolicySet, first: bool = False,
          only: frozenset[str] | None = None) -> DiffResult:
    actions = [(a, p) for a, p in _polarities(old, new) if only is None or a in only]
    domains = _domains(old, new)
    eo, en = DecisionEncoder(old), DecisionEncoder(new)
    witness = new if uses_exact_time(new) or not uses_exact_time(old) else old  # realises times of day
    found: list[Difference] = []
    for action, polarity in actions:
        for direction in (LESS, MORE):
            worse = direction == LESS
            query = disj(conj([(eo if worse else en).at_least(action, k, polarity),
                               neg((en if worse else eo).at_least(action, k, polarity))]) for k in range(1, 5))
            if solve(query, domains) is None:
                continue
            for ro in range(5):
                for rn in range(5):
                    if (rn < ro) != worse or rn == ro:
                        continue
                    model = solve(conj([eo.exactly(action, ro, polarity), en.exactly(action, rn, polarity)]),
                                  domains)
                    if model is not None:
                        found.append(_replayed(old, new, witness, action, polarity, (ro, rn), model))
                        if first:
                            return DiffResult("differ", tuple(found))
    return DiffResult("differ" if found else "same", tuple(found))


def modality_at(ps: ir.PolicySet, facts: dict[str, Any], action: str) -> str | None:
    """What `policydsl eval` decides for `action` on `facts` (G3 applied)."""
    return evaluate(ps, validate(facts_for(ps, facts), ps)).modality(action)


def _replayed(old: ir.PolicySet, new: ir.PolicySet, witness: ir.PolicySet, action: str, polarity: str,
              ranks: tuple[int, int], model) -> Difference:
    facts = facts_from_model(witness, model)
    other = old if witness is new else new
    if other.facts != witness.facts:  # the other set's own optional facts, as the model has them
        for group, values in facts_from_model(other, model).items():
            for name, value in values.items():
                facts.setdefault(group, {}).setdefault(name, value)
    mo, mn = modality_at(old, facts, action), modality_at(new, facts, action)
    if (ir.modality_rank(polarity, mo), ir.modality_rank(polarity, mn)) != ranks:
        raise AssertionError(f"diff model for `{action}` does not reproduce in the evaluator: {facts}")
    facts = minimised(old, new, facts, action, (mo, mn))
    return Difference(action, LESS if ranks[1] < ranks[0] else MORE, mo, mn, facts)


def minimised(old: ir.PolicySet, new: ir.PolicySet, facts: dict[str, Any], action: str,
              shown: tuple[str | None, str | None]) -> dict[str, Any]:
    """`facts` with every fact that the difference does not need reset to its simplest value (null
    for a nullable fact, else false, 0 or the enum's first value; timestamps keep their instants),
    one fact at a time in declaration order, each kept only if both sets still decide `shown`."""
    out = {group: dict(values) for group, values in facts.items()}
    seen = {f.path for f in new.facts}
    for f in (*new.facts, *(f for f in old.facts if f.path not in seen)):
        group, _, name = f.path.partition(".")
        simplest = None if f.nullable else {"bool": False, "count": 0, "enum": (f.values or (None,))[0]}.get(f.kind)
        if name not in out.get(group, {}) or out[group][name] == simplest or (simplest is None and not f.nullable):
            continue
        trial = {g: dict(v) for g, v in out.items()}
        trial[group][name] = simplest
        try:
            if (modality_at(old, trial, action), modality_at(new, trial, action)) == shown:
                out = trial
        except FactsInputError:  # e.g. a timestamp the `require` orderings need
            continue
    return out


__all__ = ["LESS", "MORE", "DecisionEncoder", "DiffResult", "Difference", "Incomparable", "comparable", "facts_for",
           "minimised", "modality_at", "only_one_side", "semantic_diff"]
