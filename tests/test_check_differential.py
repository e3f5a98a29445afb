"""Differential tests of the favourability checker against the reference evaluator.

Random merchant policies are generated as policy TEXT from the language's building blocks
(tests/merchant_strategies.py), loaded with `load_set([path])` like the CLI does, checked,
and then compared with what the evaluator decides on random facts:

(i)   checker says valid   ⇒ no sampled facts give the merchant set a less favourable
      decision on any action than the baseline (effective rank, remedies counted);
(ii)  checker says invalid ⇒ every reported counterexample reproduces (the merchant set is
      less favourable on the reported action at those facts) and the evaluator names the
      reported culprit under `overridden`;
(iii) raising a tunable parameter, or adding a rule that only grants pro-buyer actions or
      forbids pro-merchant ones (no overrides / replaces), never creates a violation;
plus: policies that replace platform rules by stronger ones check valid (no false alarm),
and the solver's fast yes/no agrees with its plain search on the checker's real queries.

Example counts scale with the active hypothesis profile: the default profile keeps this
file well under a minute; `--hypothesis-profile=thorough` (or HYPOTHESIS_PROFILE=thorough)
multiplies them by 20.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from core_helpers import BASELINE_TEXT, ROOT
from merchant_strategies import (ACTIONS, CATEGORIES, PARAMS, PRO_BUYER, PRO_MERCHANT, TUNABLE, MerchantSpec,
                                 RuleSpec, SetSpec, conditions, facts_near_boundaries, generous_rules, load_spec,
                                 merchant_specs)
from policydsl import ir
from policydsl.check import check_merchant
from policydsl.evaluate.interpreter import effective_rank, evaluate, outcome
from policydsl.evaluate.facts import validate

BUDGET = settings.default.max_examples  # 100 under hypothesis' default profile


def examples(fraction: float) -> int:
    return max(10, int(BUDGET * fraction))


SLOW_OK = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                     HealthCheck.filter_too_much])
FACTS_PER_POLICY = 40
SHIPPED = sorted((ROOT / "policies" / "merchants").glob("*.policy"))


# ---- near-miss policies: platform rules replaced by stronger (or subtly weaker) ones --------------

_RULE = re.compile(r"^rule (\w+) cites [^\n]*\n\s+when ([^\n]+)\n\s+then ([^\n]+)$", re.M)
PLATFORM_RULE_TEXT = {m.group(1): (m.group(2).strip(), [tuple(e.split()) for e in m.group(3).split(", ")])
                      for m in _RULE.finditer(BASELINE_TEXT)}
UP = {"must_not": ("must_not", "may", "should", "must"), "may": ("may", "should", "must"),
      "should": ("should", "must"), "must": ("must",)}
DOWN = {"must": ("must", "should", "may", "must_not"), "should": ("should", "may", "must_not"),
        "may": ("may", "must_not"), "must_not": ("must_not",)}


@st.composite
def replacements(draw, name: str, weaken: bool) -> RuleSpec:
    """A merchant rule replacing (or overriding) platform rule `name` on its own condition,
    maybe widened by a random `or`; each effect kept at least as favourable to the buyer
    (a pro-merchant one forbidden outright when the condition is widened). With
    `weaken`, one random change may make it stricter: a narrowed condition, a weaker
    modality, or a dropped effect."""
    cond, effects = PLATFORM_RULE_TEXT[name]
    polarity = {a: ("pro_buyer" if a in PRO_BUYER else "pro_merchant") for a in ACTIONS}
    new_effects = []
    for modality, action in effects:
        better = UP[modality] if polarity[action] == "pro_buyer" else DOWN[modality]
        new_effects.append((draw(st.sampled_from(better)), action))
    condition = f"({cond})"
    if draw(st.booleans()):
        # widened: where only the new part holds, the baseline leaves the pro-merchant
        # actions out, so the rule may only forbid them
        condition = f"({cond}) or ({draw(conditions(max_leaves=2))})"
        new_effects = [(m if a in PRO_BUYER else "must_not", a) for m, a in new_effects]
    if weaken:
        how = draw(st.sampled_from(["narrow", "modality", "drop", "none"]))
        if how == "narrow":
            condition = f"({cond}) and ({draw(conditions(max_leaves=2))})"
        elif how == "modality":
            i = draw(st.integers(0, len(new_effects) - 1))
            modality, action = new_effects[i]
            worse = DOWN[modality] if polarity[action] == "pro_buyer" else UP[modality]
            new_effects[i] = (draw(st.sampled_from(worse)), action)
        elif how == "drop" and len(new_effects) > 1:
            new_effects.pop(draw(st.integers(0, len(new_effects) - 1)))
    suppress = draw(st.sampled_from(["replaces", "overrides"]))
    return RuleSpec(name=f"{name}_mine", condition=condition, effects=tuple(new_effects),
                    overrides=(name,) if suppress == "overrides" else (),
                    replaces=(name,) if suppress == "replaces" else ())


@st.composite
def near_miss_specs(draw, weaken: bool = True) -> MerchantSpec:
    names = draw(st.lists(st.sampled_from(sorted(PLATFORM_RULE_TEXT)), min_size=1, max_size=3, unique=True))
    rules = [draw(replacements(n, weaken)) for n in names]
    rules += [draw(generous_rules(name=f"extra_{i}")) for i in range(draw(st.integers(0, 2)))]
    sets = []
    if draw(st.booleans()):
        param = draw(st.sampled_from(TUNABLE))
        sets.append(SetSpec(param, None, PARAMS[param].platform_default + draw(st.integers(-2, 10))))
    return MerchantSpec(sets=tuple(sets), rules=tuple(rules))


any_specs = st.one_of(merchant_specs(), near_miss_specs())


# ---- the properties ----------------------------------------------------------------------------

def less_favourable(ps: ir.PolicySet, facts: dict) -> list[tuple[str, int, int]]:
    """Actions on which the merchant set decides less favourably than the baseline at `facts`."""
    flat = validate(facts, ps)
    mine, base = outcome(ps, flat), outcome(ps.baseline, flat)
    out = []
    for a in ACTIONS:
        m, b = effective_rank(ps, mine.chosen, a), effective_rank(ps.baseline, base.chosen, a)
        if m < b:
            out.append((a, m, b))
    return out


def assert_counterexamples_reproduce(ps: ir.PolicySet, result) -> None:
    static = [d for d in result.diagnostics if d.code in ("PD302", "PD303") and d.data["counterexample"] is None]
    # a lowered setting no request can notice (e.g. no_reason_days for fresh goods, which have
    # no no-reason period) is rejected statically, without a counterexample
    assert result.violations or static, "status `violations` needs a reported violation or a static error"
    for v in result.violations:
        flat = validate(v.counterexample, ps)  # complete and consistent facts
        mine, base = outcome(ps, flat), outcome(ps.baseline, flat)
        m = effective_rank(ps, mine.chosen, v.action)
        b = effective_rank(ps.baseline, base.chosen, v.action)
        assert m < b, f"counterexample for `{v.culprit}` on `{v.action}` does not reproduce: {v.counterexample}"
        decision = evaluate(ps, flat)
        named = [o for o in decision.overridden if o.action == v.action and v.culprit in o.rule.split(", ")]
        assert named, f"eval does not name `{v.culprit}` for `{v.action}`: {decision.overridden}"


@settings(max_examples=examples(0.5), **SLOW_OK)
@given(spec=any_specs, data=st.data())
def test_checker_agrees_with_evaluator(spec: MerchantSpec, data):
    """(i) and (ii) on random merchant policies."""
    note(spec.text())
    _, ps = load_spec(spec)
    result = check_merchant(ps)
    assert result.status in ("valid", "violations")  # calendar periods only: always decidable
    if result.status == "valid":
        for _ in range(FACTS_PER_POLICY):
            facts = data.draw(facts_near_boundaries(spec.boundary_days()))
            worse = less_favourable(ps, facts)
            assert not worse, f"checker says valid, but at {facts} the merchant set is less favourable on {worse}"
    else:
        errors = {d.code for d in result.diagnostics if d.is_error}
        assert errors <= {"PD301", "PD302", "PD303"}
        assert_counterexamples_reproduce(ps, result)
        # every PD301 carries a counterexample; PD302 does where the lowered setting matters
        for d in result.diagnostics:
            if d.code == "PD301":
                assert d.data["counterexample"] is not None


@settings(max_examples=examples(0.3), **SLOW_OK)
@given(spec=near_miss_specs(weaken=False), data=st.data())
def test_strengthened_replacements_are_valid(spec: MerchantSpec, data):
    """A platform rule replaced (or overridden) on a wider condition with stronger modalities
    gives the buyer at least as much: such policies must check valid (no false alarm), and
    the evaluator must agree on sampled facts (no false 'valid')."""
    note(spec.text())
    _, ps = load_spec(spec)
    result = check_merchant(ps)
    lowered = any(s.days < PARAMS[s.param].platform_default for s in spec.sets)
    if lowered:
        assert result.status == "violations"
        return
    for _ in range(FACTS_PER_POLICY // 2):
        facts = data.draw(facts_near_boundaries(spec.boundary_days()))
        assert not less_favourable(ps, facts)
    assert result.status == "valid", [d.message for d in result.diagnostics]


def _checks_valid(text: str, directory: Path | None = None) -> bool:
    _, ps = load_spec(text, directory)
    result = check_merchant(ps)
    return result.status == "valid"


def _raise_setting(text: str, ps: ir.PolicySet, param: str, key: str | None, by: int) -> str:
    """`text` with `param` (for `key`) set to the value in force plus `by` of its unit (days, or
    months for a parameter in months or years)."""
    current = ps.param(param).value_for(key)
    where = f" for {key}" if key else ""
    unit = "months" if ps.param(param).kind == "months" else "days"
    line = re.compile(rf"^(set {param}{where} = )\d+ \w+", flags=re.M)
    if line.search(text):  # raise it in place, keeping its `cites` and comment
        return line.sub(lambda m: f"{m.group(1)}{current + by} {unit}", text)
    return text + f"\nset {param}{where} = {current + by} {unit}\n"


@st.composite
def valid_bases(draw) -> str:
    """Valid merchant policies: a shipped example, an empty policy, or a random policy of
    generous rules, settings that raise parameters and promised periods."""
    kind = draw(st.sampled_from(["shipped", "empty", "random"]))
    if kind == "shipped":
        return draw(st.sampled_from(SHIPPED)).read_text(encoding="utf-8")
    if kind == "empty":
        return MerchantSpec().text()
    spec = draw(merchant_specs(suppression=False, lowering=False))
    rules = tuple(draw(generous_rules(name=f"g{i}")) for i in range(len(spec.rules)))
    return MerchantSpec(sets=spec.sets, periods=spec.periods, rules=rules).text()


@settings(max_examples=examples(0.2), **SLOW_OK)
@given(text=valid_bases(), param=st.sampled_from(TUNABLE), key=st.one_of(st.none(), st.sampled_from(CATEGORIES)),
       by=st.integers(1, 60))
def test_raising_a_parameter_keeps_a_valid_policy_valid(text: str, param: str, key, by: int):
    """(iii) for parameters. Only on policies without overrides/replaces of their own, or the
    shipped ones: with suppression a raise can expose an override (see test_check.py,
    test_raising_a_parameter_can_expose_an_override)."""
    _, ps = load_spec(text)
    assert check_merchant(ps).status == "valid", text  # valid by construction
    if PARAMS[param].per is None:
        key = None
    raised = _raise_setting(text, ps, param, key, by)
    note(raised)
    assert _checks_valid(raised)


@settings(max_examples=examples(0.2), **SLOW_OK)
@given(spec=st.one_of(merchant_specs(), near_miss_specs(weaken=False)), extra=generous_rules(name="extra_generous"))
def test_adding_a_generous_rule_keeps_a_valid_policy_valid(spec: MerchantSpec, extra: RuleSpec):
    """(iii) for rules: any valid policy (overrides and replaces included) stays valid when a
    rule that only grants pro-buyer actions (must/should/may) or forbids pro-merchant ones,
    with no overrides/replaces, is added."""
    assert extra.generous
    _, ps = load_spec(spec)
    assume(check_merchant(ps).status == "valid")
    bigger = spec.with_rule(extra)
    note(bigger.text())
    assert _checks_valid(bigger.text())


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
@settings(max_examples=examples(0.05), **SLOW_OK)
@given(extra=generous_rules(name="extra_generous"), by=st.integers(1, 90), param=st.sampled_from(TUNABLE))
def test_shipped_examples_stay_valid_when_made_more_generous(path: Path, extra: RuleSpec, by: int, param: str):
    """(iii) on each shipped example: add a generous rule and raise a parameter."""
    text = path.read_text(encoding="utf-8")
    _, ps = load_spec(text)
    bigger = _raise_setting(text, ps, param, None, by) + "\n" + extra.text() + "\n"
    note(bigger)
    assert _checks_valid(bigger)


def test_generous_rules_are_generous():
    """The strategy's own contract, checked on its definition of generosity."""
    assert RuleSpec("r", "true", (("must", "reopen_after_sales"), ("must_not", "refuse_outright"))).generous
    assert not RuleSpec("r", "true", (("must_not", "reopen_after_sales"),)).generous
    assert not RuleSpec("r", "true", (("may", "refuse_outright"),)).generous
    assert not RuleSpec("r", "true", (("must", "assist_return"),), overrides=("s3_2_compensate",)).generous
    assert set(PRO_BUYER) | set(PRO_MERCHANT) == set(ACTIONS)


@settings(max_examples=examples(0.15), **SLOW_OK)
@given(spec=any_specs)
def test_fast_satisfiable_agrees_with_the_plain_search_on_checker_queries(spec: MerchantSpec):
    """The checker decides validity with `logic.satisfiable` (theory propagation) and builds
    counterexamples with `logic.solve` (the plain search): on the real queries of random
    policies both must give the same yes/no for every action."""
    from policydsl.check import logic
    from policydsl.check.encode import Encoder, domains_for
    from policydsl.check.favourability import _query

    _, ps = load_spec(spec)
    enc_b, enc_m, domains = Encoder(ps.baseline), Encoder(ps), domains_for(ps)
    for action in ACTIONS:
        q = _query(enc_b, enc_m, action)
        assert logic.satisfiable(q, domains) == (logic.solve(q, domains) is not None), action


@settings(max_examples=examples(0.15), **SLOW_OK)
@given(spec=any_specs)
def test_lazy_shadow_warning_agrees_with_the_eager_query(spec: MerchantSpec):
    """PD305 ("never changes a decision") is decided lazily, excluding competitors as models show
    them (favourability._decides); on random policies it must give the same verdict as one query
    that excludes every competitor at once."""
    from policydsl.check import logic
    from policydsl.check.encode import Encoder, domains_for
    from policydsl.check.favourability import rule_warnings

    _, ps = load_spec(spec)
    enc, domains = Encoder(ps), domains_for(ps)

    def eager_decides(rule: ir.Rule, effect: ir.Effect) -> bool:
        polarity = ps.action(effect.action).polarity
        rank = ir.modality_rank(polarity, effect.modality)
        others = logic.disj(enc.active(s) for s, m in enc.givers(effect.action)
                            if s.name != rule.name and ir.modality_rank(polarity, m) >= rank)
        return logic.satisfiable(logic.conj([enc.active(rule), logic.neg(others)]), domains)

    expected = {r.name for r in ps.rules if r.source == ir.MERCHANT and not r.overrides and not r.replaces
                and logic.satisfiable(enc.cond(r.condition), domains)
                and not any(eager_decides(r, e) for e in r.effects)}
    flagged = {d.message.split("`")[1] for d in rule_warnings(ps) if d.code == "PD305"}
    assert flagged == expected
