"""Is a merchant policy ever less favourable to the buyer than the platform baseline?

A merchant policy M is valid iff for every possible facts f, for every action a,
the effective modality of the policy set (platform rules with M's parameters,
then M's rules) at f ranks at least as high for the buyer as the baseline's
(SPEC §4). For each action the checker asks the solver for facts where

    baseline_rank(a) >= k  and not  merchant_rank(a) >= k      (k = 1..4)

holds. Every model is turned into concrete facts and replayed through the
reference evaluator, which must confirm the violation; the culprit merchant
rules are then blocked and the search repeats, so each culprit is reported once
per action with its own counterexample. UNSAT for every action means valid.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from policydsl import ir
from policydsl.check.counterexample import facts_from_model
from policydsl.check.encode import Encoder, Undecidable, domains_for
from policydsl.check.logic import Domains, conj, disj, neg, satisfiable, solve
from policydsl.diagnostics import Diagnostic, Severity
from policydsl.evaluator import effective_rank, outcome, void_merchant_rules
from policydsl.facts import validate
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


@attrs.frozen
class CheckResult:
    status: str  # "valid" | "violations" | "undecided"
    violations: tuple[Violation, ...]
    diagnostics: tuple[Diagnostic, ...]


def check_merchant(ps: ir.PolicySet) -> CheckResult:
    """Decide whether the merchant set `ps` is ever stricter than its baseline."""
    assert ps.baseline is not None, "check_merchant needs a merchant policy set"
    diags = static_checks(ps)
    try:
        violations = find_violations(ps)
        for v in violations:
            if v.culprit.startswith("set "):
                diags = attach_counterexample(diags, v)
            else:
                diags.append(violation_diagnostic(ps, v))
        diags += rule_warnings(ps)
    except Undecidable as exc:
        diags.append(Diagnostic(code="PD306", message=f"cannot decide favourability: {exc.reason}", span=exc.span,
                                hint="the exact checker covers enums, bools, counts and calendar-day periods"))
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
            lowered = value < p.platform_default if p.direction == "increase" else value > p.platform_default
            if lowered:
                where = f" for `{key}`" if key else ""
                verb = "lowers" if p.direction == "increase" else "raises"
                out.append(Diagnostic(
                    code="PD302", span=spans.get(key),
                    message=f"`{p.name}`{where} = {show_amount(value, p.kind)} {verb} a parameter the platform "
                            f"allows only to {p.direction} (baseline: {show_amount(p.platform_default, p.kind)})",
                    hint=f"use a value of at least {show_amount(p.platform_default, p.kind)}"
                    if p.direction == "increase" else None,
                    data={"rule": f"set {p.name}", "clause": ", ".join(p.cites), "action": None,
                          "merchant": value, "baseline": p.platform_default, "counterexample": None}))
    caps = {c.name: c for c in ps.capabilities}
    for claim in ps.capability_claims:
        cap = caps[claim.name]
        for label, claimed, ceiling in (("extensions per order", claim.max_times, cap.max_times),
                                        ("days per extension", claim.each_days, cap.each_days),
                                        ("hours of the extension window", claim.within_hours, cap.within_hours)):
            if claimed is None or claimed == ceiling:
                continue
            what = "exceeds the platform's ceiling" if claimed > ceiling else "is below what the platform provides"
            out.append(Diagnostic(
                code="PD303", span=claim.span,
                message=f"capability `{claim.name}`: {claimed} {label} {what} ({ceiling}); it is a platform "
                        f"capability ({', '.join(cap.cites)}) a merchant can neither extend nor cut",
                hint="remove the capability declaration; the platform's applies",
                data={"rule": f"capability {claim.name}", "clause": ", ".join(cap.cites), "action": None,
                      "merchant": claimed, "baseline": ceiling, "counterexample": None}))
    return out


def show_amount(value: int, kind: str) -> str:
    return f"{value} {kind}" if kind in ("days", "hours") else str(value)


# ---- the exact search ---------------------------------------------------------------------------

def find_violations(ps: ir.PolicySet) -> list[Violation]:
    base = ps.baseline
    assert base is not None
    enc_b = Encoder(base)
    domains = domains_for(ps)
    found: list[Violation] = []
    for action in ps.actions:
        found += _violations_for(ps, action.name, enc_b, domains)
    return found


def _query(enc_b: Encoder, enc_m: Encoder, action: str):
    """Facts where the merchant set's effective rank for `action` is below the baseline's."""
    return disj(conj([enc_b.effective_at_least(action, k), neg(enc_m.effective_at_least(action, k))])
                for k in range(1, 5))


def without_rules(ps: ir.PolicySet, names: set[str]) -> ir.PolicySet:
    """The merchant set with the named merchant rules taken out (and what they replaced put back)."""
    assert ps.baseline is not None
    restored = {old for r in ps.rules if r.name in names for old in r.replaces}
    rules = tuple(r for r in ps.baseline.rules if r.name in restored) + \
        tuple(r for r in ps.rules if r.name not in names)
    return attrs.evolve(ps, rules=rules, baseline=ps.baseline)


def _violations_for(ps: ir.PolicySet, action: str, enc_b: Encoder, domains: Domains) -> list[Violation]:
    """Every culprit for `action`: after each is found, it is taken out and the search repeats."""
    assert ps.baseline is not None
    out: list[Violation] = []
    current = ps
    for _ in range(MAX_CULPRITS_PER_ACTION):
        model = solve(_query(enc_b, Encoder(current), action), domains)
        if model is None:
            break
        ps = current
        facts = facts_from_model(ps, model)
        flat = validate(facts, ps)
        mine, base = outcome(ps, flat), outcome(ps.baseline, flat)
        m_rank, b_rank = effective_rank(ps, mine.chosen, action), effective_rank(ps.baseline, base.chosen, action)
        if m_rank >= b_rank:
            raise AssertionError(f"checker model for `{action}` does not reproduce in the evaluator: {facts}")
        polarity = ps.action(action).polarity
        direct = ir.modality_rank(polarity, base.chosen[action][0] if action in base.chosen else None)
        culprits = void_merchant_rules(ps, mine, base, action)
        rules = [c for c in culprits if c in {r.name for r in ps.rules if r.source == ir.MERCHANT}]
        merchant = mine.chosen[action][0] if action in mine.chosen else None
        baseline = base.chosen[action][0] if action in base.chosen else None
        clauses = _cites(base.chosen[action][1]) if action in base.chosen else _covering_cites(ps, base, action)
        # Where the baseline's rank comes from a stronger remedy covering `action`, the same
        # culprit is reported on that remedy (its query finds it), so it is not repeated here.
        if direct >= b_rank:
            for name in rules or culprits or ["merchant policy"]:
                span = ps.rule(name).span if name in rules else _setting_span(ps, name)
                out.append(Violation(name, span, action, merchant, baseline, clauses, facts))
        if not rules:
            break  # caused by parameter settings: one counterexample says it
        current = without_rules(current, set(rules))
    return out


def _cites(rules: tuple[ir.Rule, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for r in rules:
        out.extend(c for c in r.cites if c not in out)
    return tuple(out)


def _covering_cites(ps: ir.PolicySet, base, action: str) -> tuple[str, ...]:
    for c in ps.covered_by(action):
        if c in base.chosen:
            return _cites(base.chosen[c][1])
    return ()


def _setting_span(ps: ir.PolicySet, name: str) -> Span | None:
    if name.startswith("set "):
        param = name.split()[1]
        spans = [s for _, s in ps.param(param).set_spans]
        return spans[0] if spans else None
    return None


def attach_counterexample(diags: list[Diagnostic], v: Violation) -> list[Diagnostic]:
    """Give the PD302 of a lowered parameter the first counterexample its setting causes."""
    param = v.culprit.split()[1]
    out = []
    done = False
    for d in diags:
        if not done and d.code == "PD302" and d.data.get("rule") == f"set {param}" and d.data["counterexample"] is None:
            example = json.dumps(v.counterexample, ensure_ascii=False, separators=(",", ":"))
            d = attrs.evolve(d, notes=(f"with this setting `{v.action}` is {v.merchant or 'absent'} where the "
                                       f"baseline requires {v.baseline or 'absent'}",
                                       f"counterexample: {example}"),
                             data={**d.data, "action": v.action, "merchant": v.merchant or "absent",
                                   "baseline": v.baseline or "absent", "counterexample": v.counterexample,
                                   "clause": ", ".join(v.clauses) or d.data["clause"]})
            done = True
        out.append(d)
    return out


def violation_diagnostic(ps: ir.PolicySet, v: Violation) -> Diagnostic:
    clause = ", ".join(v.clauses) or "the baseline"
    what = f"rule `{v.culprit}`" if not v.culprit.startswith("set ") else f"`{v.culprit}`"
    example = json.dumps(v.counterexample, ensure_ascii=False, separators=(",", ":"))
    code = "PD302" if v.culprit.startswith("set ") else "PD301"
    return Diagnostic(
        code=code, span=v.span,
        message=f"{what} is less favourable to the buyer than the baseline on `{v.action}` "
                f"(merchant: {v.merchant or 'absent'}, baseline requires: {v.baseline or 'absent'}; {clause})",
        notes=(f"counterexample: {example}",
               "reproduce: save it as facts.json and run `policydsl eval <this file> --facts facts.json`; "
               "the decision lists this rule under `overridden`"),
        hint=f"keep `{v.baseline or 'absent'} {v.action}` wherever the baseline's {clause} applies"
             if v.baseline else f"do not give `{v.action}` where the baseline leaves it out",
        data={"rule": v.culprit, "clause": clause, "action": v.action, "merchant": v.merchant or "absent",
              "baseline": v.baseline or "absent", "counterexample": v.counterexample})


# ---- warnings: rules that never fire or never matter ---------------------------------------------

def rule_warnings(ps: ir.PolicySet) -> list[Diagnostic]:
    enc = Encoder(ps)
    domains = domains_for(ps)
    out: list[Diagnostic] = []
    for r in ps.rules:
        if r.source != ir.MERCHANT:
            continue
        if not satisfiable(enc.cond(r.condition), domains):
            out.append(Diagnostic(code="PD304", severity=Severity.WARNING, span=r.span,
                                  message=f"rule `{r.name}` never fires: no facts satisfy its condition"))
        elif not r.overrides and not r.replaces and not any(_decides(enc, ps, r, e, domains) for e in r.effects):
            out.append(Diagnostic(code="PD305", severity=Severity.WARNING, span=r.span,
                                  message=f"rule `{r.name}` never changes a decision: wherever it fires, other "
                                          f"rules already give each of its actions at least the same modality"))
    return out


def _decides(enc: Encoder, ps: ir.PolicySet, rule: ir.Rule, effect: ir.Effect, domains: Domains) -> bool:
    polarity = ps.action(effect.action).polarity
    rank = ir.modality_rank(polarity, effect.modality)
    others = disj(enc.active(s) for s, m in enc.givers(effect.action)
                  if s.name != rule.name and ir.modality_rank(polarity, m) >= rank)
    return satisfiable(conj([enc.active(rule), neg(others)]), domains)
