"""Policy sets for tests of the compiled engine, the IR's JSON form and batches: the shipped
files, two small merchant policies (one generous, one stingy), and `adversarial_sets`, IR
policy sets built directly (no parser) whose every name and text is hostile."""

from __future__ import annotations

from pathlib import Path
import attrs
from hypothesis import strategies as st

from policydsl import ir

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "policies" / "platform" / "after_sales.policy"
MERCHANTS = sorted((ROOT / "policies" / "merchants").glob("*.policy"))  # the examples, not rejected/
#: UTC offsets (minutes) the time helpers and hostile policy sets are tried at.
OFFSETS = st.sampled_from([480, 0, -300, 345, -720, 840, 1439, -1439])

#: A merchant promise over an hour-precise period (partial decisions and `why` give times of day).
QUICK_EXCHANGE = '''merchant policy "quick-exchange" version "1" extends "wechat-channels-after-sales"

clause M1 "An exchange within 36 hours of signing"

period quick cites M1 = 36 hours after order.signed_at

rule quick_exchange cites M1
  when within quick
  then must offer_exchange
'''


def mentions(cond: ir.Cond, period: str) -> bool:
    """Whether `cond` tests period `period` (`within` or `expired`)."""
    return any(isinstance(c, (ir.Within, ir.Expired)) and c.period == period for c in ir.walk_cond(cond))


@attrs.frozen
class Vocabulary:
    """What an adversarial set's conditions may read."""

    bools: tuple[str, ...]
    enum: tuple[str, tuple[str, ...]]
    counts: tuple[str, ...]
    paths: tuple[str, ...]
    params: tuple[str, ...]
    periods: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()


def conditions(v: Vocabulary) -> st.SearchStrategy[ir.Cond]:
    terms = st.one_of(st.builds(ir.Const, st.integers(0, 40)), st.builds(ir.FactInt, st.sampled_from(v.counts)),
                      st.builds(ir.ParamInt, st.sampled_from(v.params)))
    atoms = [st.just(ir.TRUE), st.just(ir.FALSE), st.builds(ir.BoolFact, st.sampled_from(v.bools)),
             st.builds(ir.EnumIn, st.just(v.enum[0]), st.lists(st.sampled_from(v.enum[1]), max_size=3,
                                                                unique=True).map(tuple)),
             st.builds(ir.IsNull, st.sampled_from(v.paths)),
             st.builds(ir.Compare, terms, st.sampled_from(ir.COMPARE_OPS), terms)]
    if v.periods:
        atoms += [st.builds(ir.Within, st.sampled_from(v.periods)), st.builds(ir.Expired, st.sampled_from(v.periods))]
    if v.capabilities:
        atoms.append(st.builds(ir.Available, st.sampled_from(v.capabilities)))
    return st.recursive(st.one_of(atoms), lambda inner: st.one_of(
        st.builds(ir.And, st.lists(inner, max_size=3).map(tuple)),
        st.builds(ir.Or, st.lists(inner, max_size=3).map(tuple)),
        st.builds(ir.NotCond, inner)), max_leaves=8)


# Two merchant policies of the compiler's own, for what the examples may not exercise: per-category
# settings, an hour-precise period, `joins`, `overrides` and `replaces`, count comparisons with
# parameters, and (in the stingy one) rules the baseline voids at evaluation (G3, `overridden`).
GENEROUS = """merchant policy "codegen-generous" version "1" extends "wechat-channels-after-sales"
clause M1 "Promised periods for big electronics"
set no_reason_days = 10 days
set no_reason_days for apparel = 30 days
set quality_days = 20 days
period promised cites M1 = 45 days from the day after order.signed_at
  when order.category in { electronics, home_appliances } joins quality_claims
period reply cites G4c = 36 hours after request.at
let rejected = negotiation.stage == compensation_rejected
rule fresh_refund cites S1.1, G3 overrides s1_1_explain_and_compensate
  when scenario S1.1 and request.evidence in { provided, verified }
  then must accept_request
rule reopen_generously cites S2.1 overrides s2_1_reopen_by_agreement
  when scenario S2.1 and rejected
  then must reopen_after_sales, should offer_small_compensation
rule courier_help cites S3.1
  when scenario S3.1 and request.damage_cause == courier and order.extensions_used < 2
  then must check_courier_damage
rule long_agreement cites G2c
  when order.agreed_service_days is not null and order.agreed_service_days > quality_days and within reply
  then should apply_agreed_period
"""


STINGY = """merchant policy "codegen-stingy" version "1" extends "wechat-channels-after-sales"
set no_reason_days for books = 9 days
rule no_compensation cites S2.2 overrides s2_2_resale_affected
  when scenario S2.2
  then should inform_resale_affected, may offer_small_compensation
rule no_reopen cites S3.1 replaces s3_1_case2_verified_defect
  when scenario S3.1 and request.quality_issue and request.evidence == verified
  then may reopen_after_sales
rule refuse cites G1 overrides never_refuse_outright
  when request.product_used
  then must soothe_buyer, may refuse_outright
rule grudging cites G4c
  when order.agreed_service_days is not null and order.agreed_service_days >= 30 days
  then must accept_request, must_not check_courier_damage
"""


NASTY = ['"', "'", '"""', "'''", "\\", "\n", "\r\n", "__import__('os')", '"]; import os; #', "\\u0041", "\\N{BULLET}",
         "{x}", "{{", "%s", "\x00", "\u2028", "é三包", "#", "x" * 300, "os.system('id')", "lambda: 0", "f'{1}'",
         ")\nimport os\n(", "\\'", "\ud800"]


def nasty_texts() -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=6)), min_size=1, max_size=4).map("".join)


@st.composite
def adversarial_sets(draw: st.DrawFn) -> tuple[ir.PolicySet, list[str]]:
    """An IR policy set (merchant, with a baseline) whose every name, clause ID, title and enum
    value is hostile text, built directly (no parser); and the list of those texts."""
    counter = iter(range(10**6))

    def name() -> str:
        return draw(nasty_texts()).replace(".", "·") + f"~{next(counter)}"

    enum_values = tuple(name() for _ in range(3))
    group = name()
    paths = {kind: f"{group}.{name()}" for kind in ("enum", "bool", "count", "maybe", "anchor", "paid", "now", "used")}
    facts = (ir.Fact(paths["enum"], "enum", draw(st.booleans()), enum=name(), values=enum_values),
             ir.Fact(paths["bool"], "bool", draw(st.booleans())),
             ir.Fact(paths["count"], "count", False),
             ir.Fact(paths["maybe"], "count", True, optional=draw(st.booleans())),
             ir.Fact(paths["anchor"], "timestamp", True),
             ir.Fact(paths["paid"], "timestamp", False),
             ir.Fact(paths["now"], "timestamp", False),
             ir.Fact(paths["used"], "count", False))
    p_days, p_per = name(), name()
    params = (ir.Param(p_days, "days", "increase", 7, draw(st.integers(0, 30))),
              ir.Param(p_per, "days", "increase", 15, draw(st.integers(0, 30)), per=paths["enum"],
                       by_value=((enum_values[0], draw(st.integers(0, 30))),), source=ir.MERCHANT))
    vocabulary = Vocabulary(bools=(paths["bool"],), enum=(paths["enum"], enum_values),
                            counts=(paths["count"], paths["maybe"]), paths=tuple(f.path for f in facts),
                            params=(p_days, p_per))
    cal, exact, best = name(), name(), name()
    plain = conditions(vocabulary)
    periods = (ir.CalendarPeriod(cal, ir.ParamInt(p_per), paths["anchor"], draw(plain), cites=(name(),),
                                 unit=draw(st.sampled_from(ir.CALENDAR_UNITS))),
               ir.ExactPeriod(exact, ir.FactInt(paths["maybe"]), draw(st.sampled_from(["hours", "days"])),
                              paths["anchor"], draw(plain), source=ir.MERCHANT),
               ir.BestPeriod(best, (cal, exact)))
    capability_name = name()
    cond = conditions(attrs.evolve(vocabulary, periods=(cal, exact, best), capabilities=(capability_name,)))
    actions = tuple(ir.Action(name(), polarity) for polarity in ("pro_buyer", "pro_buyer", "pro_buyer", "pro_merchant"))
    actions = (attrs.evolve(actions[0], needs=capability_name), *actions[1:])
    covers = ((actions[2].name, (actions[2].name, actions[0].name, actions[1].name)),
              (actions[1].name, (actions[1].name, actions[0].name)))
    clauses = tuple((name(), draw(nasty_texts())) for _ in range(3))
    clause_ids = [c for c, _ in clauses]
    reads = st.lists(st.sampled_from(sorted(f.path for f in facts)), max_size=4, unique=True).map(sorted).map(tuple)

    def rules(source: str, count: int) -> tuple[ir.Rule, ...]:
        out = []
        for _ in range(count):
            effects = draw(st.lists(st.builds(ir.Effect, st.sampled_from([a.name for a in actions]),
                                              st.sampled_from(ir.MODALITIES)), min_size=1, max_size=3,
                                    unique_by=lambda e: e.action))
            out.append(ir.Rule(name(), source, tuple(draw(st.lists(st.sampled_from(clause_ids), max_size=3))), (),
                               draw(cond), tuple(effects), draw(reads)))
        return tuple(out)

    platform_rules = rules(ir.PLATFORM, draw(st.integers(1, 4)))
    merchant_rules = tuple(attrs.evolve(r, overrides=tuple(draw(st.lists(st.sampled_from(
        [p.name for p in platform_rules]), max_size=2, unique=True)))) for r in rules(ir.MERCHANT, draw(st.integers(1, 3))))
    window_unit = draw(st.sampled_from(ir.WINDOW_UNITS))
    capability = ir.Capability(capability_name, draw(st.integers(0, 4)), paths["used"], draw(st.integers(1, 9)),
                               draw(st.integers(1, 9000 if window_unit == "hours" else 30)), window_unit, paths["paid"],
                               draw(plain), cites=(clause_ids[0],))
    escalation = ir.Escalation(draw(cond), tuple(name() for _ in range(draw(st.integers(0, 3)))),
                               cites=(clause_ids[1],)) if draw(st.booleans()) else None
    common = dict(name=name(), version=draw(nasty_texts()), timezone_minutes=draw(OFFSETS), now=paths["now"],
                  facts=facts, orderings=(ir.Ordering(paths["paid"], draw(st.sampled_from(["<=", "<"])), paths["now"]),),
                  params=params, actions=actions, covers=covers, clauses=clauses, capabilities=(capability,))
    base = ir.PolicySet(**common, periods=(periods[0], attrs.evolve(periods[2], members=(cal,))), scenarios=(),
                        rules=tuple(r for r in platform_rules if not mentions(r.condition, exact)))
    ps = ir.PolicySet(**common, periods=periods, scenarios=tuple(ir.Scenario(c, draw(cond)) for c in clause_ids[:2]),
                      rules=platform_rules + merchant_rules, merchant=name(), baseline=base, escalation=escalation)
    texts = [*enum_values, *(f.path for f in facts), p_days, p_per, cal, exact, best, *(a.name for a in actions),
             *clause_ids, *(t for _, t in clauses), *(r.name for r in ps.rules), capability.name, ps.name, ps.merchant,
             *(escalation.rulings if escalation else ())]
    return ps, texts
