"""Is a merchant policy ever less favourable to the buyer than the platform baseline?

A merchant policy M is valid iff for every possible facts f, for every action a,
the effective modality of the policy set (platform rules with M's parameters,
then M's rules) at f ranks at least as high for the buyer as the baseline's
(docs/semantics.md §5). For each action the checker asks the solver for facts where

    baseline_rank(a) >= k  and not  merchant_rank(a) >= k      (k = 1..4)

holds. UNSAT for every action means valid. Where it is satisfiable, each possible
culprit (a merchant rule, or a setting that lowers a parameter) is searched for
on the policy set as written, conjoined with the exact condition under which the
evaluator blames that culprit (`_Blame`), so each culprit is reported once per
action with its own counterexample. Every model is turned into concrete facts and
replayed through the reference evaluator, which must confirm both the violation
and the culprit: `policydsl eval` on a counterexample lists its rule under
`overridden`.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from policydsl import ir
from policydsl.ir import g3
from policydsl.check.counterexample import facts_from_model
from policydsl.check.encode import Encoder, Undecidable, domains_for
from policydsl.check.logic import (ZERO, Atom, Completion, DiffAtom, Domains, EnumAtom, Formula, conj, disj,
                                   necessary_literals, neg, satisfiable, solve)
from policydsl.diagnostics import Diagnostic, Severity
from policydsl.gcpause import gc_paused
from policydsl.evaluate.interpreter import cites_of, effective_rank, outcome, void_merchant_rules
from policydsl.evaluate.facts import validate
from policydsl.source import Span

MAX_CULPRITS_PER_ACTION = 50


@attrs.frozen
class Violation:
    """One way the merchant policy undercuts the baseline, with facts that show it."""

    culprit: str  # a merchant rule name, or `set <param>` when a setting is the cause
    span: Span | None
    action: str
    merchant: str | None
    baseline: str | None
    clauses: tuple[str, ...]
    counterexample: dict[str, Any] = attrs.field(eq=False)
    # How `clauses` relate to the baseline's decision: "gives" (its rules giving `baseline`),
    # "covers" (a stronger remedy it gives), "elsewhere" (it gives the action only elsewhere).
    clause_role: str = attrs.field(default="gives", eq=False)


@attrs.frozen
class CheckResult:
    status: str  # "valid" | "violations" | "undecided"
    violations: tuple[Violation, ...]
    diagnostics: tuple[Diagnostic, ...]


def check_merchant(ps: ir.PolicySet) -> CheckResult:
    """Decide whether the merchant set `ps` is ever stricter than its baseline."""
    assert ps.baseline is not None, "check_merchant needs a merchant policy set"
    with gc_paused():  # the solver builds many acyclic formulas (see policydsl.gcpause)
        return _check_merchant(ps)


def _check_merchant(ps: ir.PolicySet) -> CheckResult:
    diags = static_checks(ps)
    try:
        violations = find_violations(ps)
        for v in violations:
            attached = False
            if v.culprit.startswith("set "):
                diags, attached = attach_counterexample(diags, v)
                if not attached and any(d.data.get("rule") == v.culprit for d in diags):
                    continue  # its PD302 already shows a counterexample
            if not attached:
                diags.append(violation_diagnostic(ps, v))
        diags += rule_warnings(ps)
    except Undecidable as exc:
        diags.append(Diagnostic(code="PD306", message=f"cannot decide favourability: {exc.reason}", span=exc.span,
                                hint="the exact checker covers every construct but one: a period of hours or months whose length is read from a fact; give such a period a fixed length or a parameter"))
        return CheckResult("undecided", (), tuple(diags))
    errors = [d for d in diags if d.is_error]
    return CheckResult("violations" if errors else "valid", tuple(violations), tuple(diags))


# ---- static checks: parameters and capabilities ---------------------------------------------

def static_checks(ps: ir.PolicySet) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for p in ps.params:
        spans = dict(p.set_spans)
        settings = ([(None, p.value)] if p.source == ir.MERCHANT else []) + list(p.by_value)
        for key, value in settings:
            if _lowers(p, value):
                where = f" for `{key}`" if key else ""
                verb = "lowers" if p.direction == "increase" else "raises"
                out.append(Diagnostic(
                    code="PD302", span=spans.get(key),
                    message=f"`{p.name}`{where} = {show_amount(value, p.kind)} {verb} a parameter the platform "
                            f"allows only to {p.direction} (baseline: {show_amount(p.platform_default, p.kind)})",
                    hint=f"use a value of at least {show_amount(p.platform_default, p.kind)}"
                    if p.direction == "increase" else None,
                    data={"rule": f"set {p.name}" + (f" for {key}" if key else ""),
                          "clause": ", ".join(p.cites), "action": None,
                          "merchant": value, "baseline": p.platform_default, "counterexample": None}))
    caps = {c.name: c for c in ps.capabilities}
    for claim in ps.capability_claims:
        cap = caps[claim.name]
        amounts = [("extensions per order", claim.max_times, cap.max_times),
                   ("hours per extension", claim.each_hours, cap.each_days * 24)]
        if claim.within_unit == cap.within_unit:
            amounts.append((f"{cap.within_unit} of the extension window", claim.within, cap.within))
        facts = (("it is counted by", claim.counted_by, cap.counted_by),
                 ("its window runs from", claim.anchor, cap.anchor))
        problems = [(f"{claimed} {label} " + ("exceeds the platform's ceiling" if claimed > ceiling
                                              else "is below what the platform provides") + f" ({ceiling})",
                     claimed, ceiling)
                    for label, claimed, ceiling in amounts if claimed is not None and claimed != ceiling]
        problems += [(f"{label} `{claimed}`, the platform's capability from `{ceiling}`", claimed, ceiling)
                     for label, claimed, ceiling in facts if claimed is not None and claimed != ceiling]
        if claim.within is not None and claim.within_unit != cap.within_unit:
            problems.append((f"its window of {claim.within} {claim.within_unit} is not the platform's {cap.within} "
                             f"{cap.within_unit}", claim.within, cap.within))
        if claim.when is not None and not _same_condition(ps, claim.when, cap.when):
            problems.append(("its `only when` condition holds on other facts than the platform's", None, None))
        for what, claimed, ceiling in problems:
            out.append(Diagnostic(
                code="PD303", span=claim.span,
                message=f"capability `{claim.name}`: {what}; it is a platform capability ({', '.join(cap.cites)}) "
                        f"a merchant can neither extend nor cut",
                hint="remove the capability declaration; the platform's applies",
                data={"rule": f"capability {claim.name}", "clause": ", ".join(cap.cites), "action": None,
                      "merchant": claimed, "baseline": ceiling, "counterexample": None}))
    return out


def _same_condition(ps: ir.PolicySet, a: ir.Cond, b: ir.Cond) -> bool:
    """Whether two conditions hold on exactly the same facts: decided by the solver, or, for a
    condition outside the decidable fragment, by being written alike."""
    if a == b:
        return True
    try:
        enc = Encoder(ps)
        fa, fb = enc.cond(a), enc.cond(b)
    except Undecidable:
        return False
    return not satisfiable(disj([conj([fa, neg(fb)]), conj([neg(fa), fb])]), domains_for(ps))


def show_amount(value: int, kind: str) -> str:
    if kind == "months" and value % 12 == 0 and value:
        return f"{value // 12} year{'s' if value != 12 else ''}"
    return f"{value} {kind}" if kind in ("days", "hours", "months") else str(value)


# ---- the exact search ---------------------------------------------------------------------------

def find_violations(ps: ir.PolicySet) -> list[Violation]:
    base = ps.baseline
    assert base is not None
    enc_b = Encoder(base)
    domains = domains_for(ps)
    # Rules that only add favour cannot cause a violation, so first ask without them: where
    # that finds none for an action, the whole set has none either (see `generous`).
    core = attrs.evolve(ps, rules=tuple(r for r in ps.rules if not generous(ps, r)), baseline=base)
    enc_core = Encoder(core) if len(core.rules) < len(ps.rules) else None
    found: list[Violation] = []
    for action in ps.actions:
        if enc_core is not None and not satisfiable(_query(enc_b, enc_core, action.name), domains):
            continue
        found += _violations_for(ps, action.name, enc_b, domains)
    return found


def generous(ps: ir.PolicySet, rule: ir.Rule) -> bool:
    """A merchant rule that suppresses and removes nothing and only grants pro-buyer actions
    (must/should/may) or forbids pro-merchant ones. Taking it out of a set can only lower the
    set's effective rank for any action at any facts (no rule's activity depends on it, and
    each modality it gives ranks above `absent`), so a set without it that is never less
    favourable than the baseline proves the set with it never is either."""
    def above_absent(e: ir.Effect) -> bool:
        polarity = ps.action(e.action).polarity
        return ir.modality_rank(polarity, e.modality) > ir.modality_rank(polarity, None)

    suppresses = rule.overrides or rule.replaces
    return rule.source == ir.MERCHANT and not suppresses and all(above_absent(e) for e in rule.effects)


def _query(enc_b: Encoder, enc_m: Encoder, action: str):
    """Facts where the merchant set's effective rank for `action` is below the baseline's."""
    return disj(conj([enc_b.effective_at_least(action, k), neg(enc_m.effective_at_least(action, k))])
                for k in range(1, 5))


def _direct(enc_b: Encoder, action: str):
    """The baseline's own modality for `action` is what makes its effective rank (not a stronger
    remedy covering it). Elsewhere the violation is reported on that stronger remedy, whose
    query finds the same culprit, so it is not repeated here."""
    return conj(disj([neg(enc_b.effective_at_least(action, k)), enc_b.rank_at_least(action, k)])
                for k in range(1, 5))


@attrs.define
class _Blame:
    """When the evaluator names a culprit for a violation on `action` (`void_merchant_rules`), as
    formulas over the facts. Exact, given that the merchant set is less favourable on `action`:

    1. merchant rule r is named if a baseline rule v giving `action` (or a remedy covering it)
       fires in the baseline and r `replaces` v, or r fires and `overrides` v;
    2. otherwise, r is named if it is active and gives the modality chosen for `action`;
    3. otherwise the merchant's parameter settings are named.
    """

    ps: ir.PolicySet
    enc_b: Encoder
    enc_m: Encoder
    action: str
    _victims: tuple[g3.Victim, ...] = attrs.field(init=False, default=())  # baseline rules giving it or a cover

    def __attrs_post_init__(self) -> None:
        self._victims = g3.victims(self.ps, self.action)

    def suppresses(self, rule: ir.Rule):
        """Case 1 for `rule` (G3's order of blame, policydsl.ir.g3)."""
        assert self.ps.baseline is not None
        fires = {v.rule: self.enc_b.cond(self.ps.baseline.rule(v.rule).condition) for v in self._victims}
        parts = [fires[v.rule] for v in self._victims if v.replaced_by == rule.name]
        parts += [conj([fires[v.rule], self.enc_m.cond(rule.condition)])
                  for v in self._victims if rule.name in v.overridden_by]
        return disj(parts)

    def gives(self, rule: ir.Rule):
        """Case 2 for `rule` (without the 'otherwise')."""
        polarity = self.ps.action(self.action).polarity
        mine = [ir.modality_rank(polarity, e.modality) for e in rule.effects if e.action == self.action]
        if not mine:
            return False
        higher = [r for r, m in self.enc_m.givers(self.action) if ir.modality_rank(polarity, m) > mine[0]]
        return conj([self.enc_m.active(rule), neg(disj(self.enc_m.active(r) for r in higher))])

    def candidates(self) -> tuple[list[tuple[str, object]], list[tuple[str, object]], list[tuple[str, object]]]:
        """(culprit, the facts where the evaluator names it) for the merchant rules, for the
        settings that lower a parameter, and for the other settings."""
        rules = [r for r in self.ps.rules if r.source == ir.MERCHANT]
        case1 = {r.name: self.suppresses(r) for r in rules}
        case2 = {r.name: self.gives(r) for r in rules}
        none1 = neg(disj(case1.values()))
        blamed = [(r.name, disj([case1[r.name], conj([none1, case2[r.name]])])) for r in rules]
        settings = conj([none1, neg(disj(case2.values()))])
        lowered: list[tuple[str, object]] = []
        others: list[tuple[str, object]] = []
        for p in self.ps.params:
            keys = [k for k, _ in p.by_value]
            if p.source == ir.MERCHANT and p.value != p.platform_default:
                guard = neg(self.enc_m.present(p.per, EnumAtom(p.per, frozenset(keys)))) if p.per and keys else True
                (lowered if _lowers(p, p.value) else others).append((f"set {p.name}", conj([settings, guard])))
            for k, value in p.by_value:
                assert p.per is not None
                where = conj([settings, self.enc_m.present(p.per, EnumAtom(p.per, frozenset([k])))])
                (lowered if _lowers(p, value) else others).append((f"set {p.name} for {k}", where))
        others += [(f"period {p.name}", settings) for p in self.ps.periods if p.source == ir.MERCHANT]
        return blamed, lowered, others


def _lowers(p: ir.Param, value: int) -> bool:
    """The setting moves the parameter against its allowed direction (PD302)."""
    return value < p.platform_default if p.direction == "increase" else value > p.platform_default


def _violations_for(ps: ir.PolicySet, action: str, enc_b: Encoder, domains: Domains) -> list[Violation]:
    """Every culprit for `action`, each with facts where the policy set AS WRITTEN is less
    favourable on `action` and the evaluator names that culprit (so `policydsl eval` on the
    counterexample lists it under `overridden`). Merchant rules and lowering settings are
    each tried; other settings only if nothing else accounts for the violation."""
    assert ps.baseline is not None
    enc_m = Encoder(ps)
    query = _query(enc_b, enc_m, action)
    if not satisfiable(query, domains):
        return []
    violated = conj([query, _direct(enc_b, action)])
    if not satisfiable(violated, domains):
        return []
    out: list[Violation] = []
    blamed, lowered, others = _Blame(ps, enc_b, enc_m, action).candidates()
    for name, where in blamed + lowered:
        if len(out) >= MAX_CULPRITS_PER_ACTION:
            break
        model = solve(conj([violated, where]), domains)
        if model is not None:
            out.append(_replayed(ps, action, model, name))
    if not any(v.culprit.startswith("set ") for v in out):
        for name, where in others:
            model = solve(conj([violated, where]), domains)
            if model is not None:
                out.append(_replayed(ps, action, model, name))
                break
    if not out:  # a violation no culprit accounts for (cannot happen while _Blame is exact): report it
        model = solve(violated, domains)
        assert model is not None
        out.append(_replayed(ps, action, model, None))
    return out


def _replayed(ps: ir.PolicySet, action: str, model, name: str | None) -> Violation:
    """The violation shown by `model`, confirmed by the reference evaluator."""
    assert ps.baseline is not None
    facts = facts_from_model(ps, model)
    flat = validate(facts, ps)
    mine, base = outcome(ps, flat), outcome(ps.baseline, flat)
    m_rank, b_rank = effective_rank(ps, mine.chosen, action), effective_rank(ps.baseline, base.chosen, action)
    if m_rank >= b_rank:
        raise AssertionError(f"checker model for `{action}` does not reproduce in the evaluator: {facts}")
    culprits = void_merchant_rules(ps, mine, base, action)
    if name is None:
        name = culprits[0] if culprits else "merchant policy"
    elif name not in culprits:
        raise AssertionError(f"checker blames `{name}` for `{action}`, the evaluator {culprits}: {facts}")
    merchant = mine.chosen[action][0] if action in mine.chosen else None
    baseline = base.chosen[action][0] if action in base.chosen else None
    covering = _covering_cites(ps, base, action) if action not in base.chosen else ()
    if action in base.chosen:
        clauses, role = cites_of(base.chosen[action][1]), "gives"
    elif covering:
        clauses, role = covering, "covers"
    else:  # the baseline leaves the action out here: name the clauses under which it gives it at all
        clauses, role = cites_of(tuple(r for r in ps.baseline.rules if any(e.action == action for e in r.effects))), \
            "elsewhere"
    span = ps.rule(name).span if name in {r.name for r in ps.rules} else _setting_span(ps, name)
    return Violation(name, span, action, merchant, baseline, clauses, facts, role)


def _covering_cites(ps: ir.PolicySet, base, action: str) -> tuple[str, ...]:
    for c in ps.covered_by(action):
        if c in base.chosen:
            return cites_of(base.chosen[c][1])
    return ()


def _setting_span(ps: ir.PolicySet, name: str) -> Span | None:
    """The span of the `set` declaration a culprit such as `set p` or `set p for k` names."""
    if name.startswith("set "):
        words = name.split()
        key = words[3] if len(words) == 4 else None
        spans = dict(ps.param(words[1]).set_spans)
        return spans.get(key) or next(iter(spans.values()), None)
    if name.startswith("period "):
        return ps.period(name.split()[1]).span
    return None


def attach_counterexample(diags: list[Diagnostic], v: Violation) -> tuple[list[Diagnostic], bool]:
    """Give the PD302 of a lowered setting (`set p` or `set p for k`, as `v.culprit` names it) the
    first counterexample it causes. Returns the diagnostics and whether one took it."""
    out = []
    done = False
    for d in diags:
        if not done and d.code == "PD302" and d.data.get("rule") == v.culprit and d.data["counterexample"] is None:
            example = json.dumps(v.counterexample, ensure_ascii=False, separators=(",", ":"))
            cited = f" ({', '.join(v.clauses)})" if v.clauses else ""
            d = attrs.evolve(d, notes=(f"with this setting `{v.action}` is {v.merchant or 'absent'} where the "
                                       f"baseline requires {v.baseline or 'absent'}{cited}",
                                       f"counterexample: {example}",
                                       "reproduce: save it as facts.json and run `policydsl eval <this file> --facts "
                                       "facts.json`; the decision lists this setting under `overridden`"),
                             data={**d.data, "action": v.action, "merchant": v.merchant or "absent",
                                   "baseline": v.baseline or "absent", "counterexample": v.counterexample,
                                   "clause": ", ".join(v.clauses) or d.data["clause"]})
            done = True
        out.append(d)
    return out, done


def violation_diagnostic(ps: ir.PolicySet, v: Violation) -> Diagnostic:
    clause = ", ".join(v.clauses) or "the baseline"
    where = {"gives": clause, "covers": f"a stronger remedy under {clause}",
             "elsewhere": f"the baseline gives it only under {clause}"}[v.clause_role] if v.clauses else clause
    what = f"`{v.culprit}`" if v.culprit.startswith(("set ", "period ")) else f"rule `{v.culprit}`"
    example = json.dumps(v.counterexample, ensure_ascii=False, separators=(",", ":"))
    code = "PD302" if v.culprit.startswith("set ") else "PD301"
    return Diagnostic(
        code=code, span=v.span,
        message=f"{what} is less favourable to the buyer than the baseline on `{v.action}` "
                f"(merchant: {v.merchant or 'absent'}, baseline requires: {v.baseline or 'absent'}; {where})",
        notes=(f"counterexample: {example}",
               "reproduce: save it as facts.json and run `policydsl eval <this file> --facts facts.json`; "
               f"the decision lists `{v.culprit}` under `overridden`"),
        hint=f"keep `{v.baseline or 'absent'} {v.action}` wherever the baseline's {clause} applies"
             if v.baseline else f"do not give `{v.action}` where the baseline leaves it out",
        data={"rule": v.culprit, "clause": clause, "action": v.action, "merchant": v.merchant or "absent",
              "baseline": v.baseline or "absent", "counterexample": v.counterexample})


# ---- warnings: rules that never fire or never matter ---------------------------------------------

def check_platform(ps: ir.PolicySet) -> CheckResult:
    """A platform baseline has no baseline to be stricter than; what `check` can still say is
    which of its rules never fire (PD304) or never change a decision (PD305), as for merchant
    rules: a baseline rule that cannot change a decision tells merchants nothing."""
    assert ps.baseline is None, "check_platform takes a platform policy set"
    with gc_paused():
        return _check_platform(ps)


def _check_platform(ps: ir.PolicySet) -> CheckResult:
    try:
        return CheckResult("valid", (), tuple(rule_warnings(ps, ir.PLATFORM)))
    except Undecidable as exc:
        return CheckResult("undecided", (), (Diagnostic(
            code="PD306", severity=Severity.WARNING, span=exc.span,
            message=f"cannot decide which rules never fire or never change a decision: {exc.reason}",
            hint="the exact checker covers every construct but one: a period of hours or months whose "
                 "length is read from a fact"),))


def rule_warnings(ps: ir.PolicySet, source: str = ir.MERCHANT) -> list[Diagnostic]:
    """PD304 (never fires), PD305 (never changes a decision) and PD309 (one effect never changes a
    decision) for the set's rules from `source`."""
    enc = Encoder(ps)
    domains = domains_for(ps)
    index: dict[tuple[str, int], Competitors] = {}  # (action, rank) -> the rules giving at least that

    def competitors(action: str, rank: int) -> Competitors:
        if (action, rank) not in index:
            polarity = ps.action(action).polarity
            index[action, rank] = Competitors([(s.name, enc.active(s)) for s, m in enc.givers(action)
                                               if ir.modality_rank(polarity, m) >= rank])
        return index[action, rank]

    def decides(rule: ir.Rule, effect: ir.Effect) -> bool:
        rank = ir.modality_rank(ps.action(effect.action).polarity, effect.modality)
        return _decides(enc.active(rule), rule.name, competitors(effect.action, rank), domains)

    out: list[Diagnostic] = []
    for r in ps.rules:
        if r.source != source:
            continue
        if not satisfiable(enc.cond(r.condition), domains):
            out.append(Diagnostic(code="PD304", severity=Severity.WARNING, span=r.span,
                                  message=f"rule `{r.name}` never fires: no facts satisfy its condition"))
        else:
            idle = [e for e in r.effects if not decides(r, e)]
            if len(idle) == len(r.effects) and not r.overrides and not r.replaces:
                out.append(Diagnostic(code="PD305", severity=Severity.WARNING, span=r.span,
                                      message=f"rule `{r.name}` never changes a decision: wherever it fires, other "
                                              f"rules already give each of its actions at least the same modality"))
                continue
            for e in idle:
                out.append(Diagnostic(
                    code="PD309", severity=Severity.WARNING, span=e.span or r.span,
                    message=f"`{e.modality} {e.action}` in rule `{r.name}` never changes a decision: wherever the "
                            f"rule fires, other rules already give `{e.action}` at least `{e.modality}`",
                    hint=f"drop `{e.modality} {e.action}` from the rule, or give more than the other rules"))
    return out


def _decides(mine: Formula, name: str, competitors: "Competitors", domains: Domains) -> bool:
    """Whether some facts make `mine` (rule `name` active) true and no competitor other than
    `name` itself. Decided lazily: solve with the competitors found so far excluded, find which
    others are active at (a completion of) the model found, exclude those, and repeat. Exact: it
    stops with a model at which no competitor is active, or with none. A rule over a region of
    its own costs one solve and a few index lookups, not a formula over every rule on the action."""
    excluded: dict[int, Formula] = {}
    while True:
        model = solve(conj([mine, neg(disj(excluded.values()))]), domains)
        if model is None:
            return False
        here = Completion(model, domains)
        clashing = {i: f for i, owner, f in competitors.possibly_true(here)
                    if owner != name and i not in excluded and here.holds(f) is not False}
        if not clashing:
            return True
        excluded.update(clashing)


class Competitors:
    """Formulas indexed by a literal each of them requires (an enum fact in a set of values, or an
    integer variable at one value), so that a completion skips, by lookup, every formula whose
    required literal it makes False; only the rest are evaluated."""

    def __init__(self, formulas: list[tuple[str, Formula]]) -> None:
        self.formulas = formulas  # (owner, formula)
        self._by_enum: dict[str, dict[str, list[int]]] = {}
        self._by_point: dict[str, dict[int, list[int]]] = {}
        self._rest: list[int] = []
        for i, (_, f) in enumerate(formulas):
            literals = necessary_literals(f)
            point = _pinned(literals)
            enum = next((a for a, value in literals if value and isinstance(a, EnumAtom)), None)
            if point is not None:
                var, at = point
                self._by_point.setdefault(var, {}).setdefault(at, []).append(i)
            elif enum is not None:
                for v in enum.values:
                    self._by_enum.setdefault(enum.path, {}).setdefault(v, []).append(i)
            else:
                self._rest.append(i)

    def possibly_true(self, here: Completion) -> list[tuple[int, str, Formula]]:
        """The formulas not ruled out at `here` by their indexed literal, in their order."""
        picked = set(self._rest)
        for path, by_value in self._by_enum.items():
            picked.update(by_value.get(here.enum(path), ()))
        for var, by_value in self._by_point.items():
            at = here.integer(var)
            if at is None:
                picked.update(i for ids in by_value.values() for i in ids)
            else:
                picked.update(by_value.get(at, ()))
        return [(i, *self.formulas[i]) for i in sorted(picked)]


def _pinned(literals: list[tuple[Atom, bool]]) -> tuple[str, int] | None:
    """(x, c) when the literals require x == c (both x - 0 <= c and 0 - x <= -c)."""
    upper = {(a.u, a.c) for a, value in literals if value and isinstance(a, DiffAtom) and a.v == ZERO}
    for a, value in literals:
        if value and isinstance(a, DiffAtom) and a.u == ZERO and (a.v, -a.c) in upper:
            return a.v, -a.c
    return None
