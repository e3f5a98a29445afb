"""Random merchant policies (as policy TEXT) and boundary-seeking facts, for the checker's
differential tests (tests/test_check_differential.py).

    from merchant_strategies import merchant_specs, generous_rules, facts_near_boundaries, load_spec

A `MerchantSpec` is built from the language's building blocks over the shipped baseline:
`set` of the tunable parameters (raising and lowering, per category too), merchant periods
(calendar periods, sometimes guarded, sometimes joining `quality_claims`), and rules with
random conditions (enum comparisons and memberships, bools, `within`/`expired` of platform
and merchant periods, `order.agreed_service_days` and `order.extensions_used` comparisons
with constants and parameters, `is null`, scenario references, the platform's `let`s),
random effects over the baseline's actions and modalities, and random `overrides` /
`replaces` of platform rules. `spec.text()` renders it; `load_spec` writes it to a file
and loads it with `policydsl.api.load_set([path])`, as the CLI does.

`facts_near_boundaries(days)` draws complete, consistent facts (docs/semantics.md §1) whose request
falls, more often than not, on (or one second or microsecond either side of) a China-time
midnight that ends a period of one of the given lengths after signing or payment.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import attrs
from hypothesis import strategies as st

from core_helpers import BASELINE_NAME, BASELINE_PATH
from policydsl import ir
from policydsl.api import LoadResult, load_set

# ---- the baseline's vocabulary (read from its IR, so the generator follows the baseline) ----

_BASE = load_set([BASELINE_PATH])
assert _BASE.policy_set is not None, "the shipped baseline must load"
BASELINE: ir.PolicySet = _BASE.policy_set

PLATFORM_RULES: tuple[str, ...] = tuple(r.name for r in BASELINE.rules)
ACTIONS: tuple[str, ...] = tuple(a.name for a in BASELINE.actions)
PRO_BUYER: tuple[str, ...] = tuple(a.name for a in BASELINE.actions if a.polarity == "pro_buyer")
PRO_MERCHANT: tuple[str, ...] = tuple(a.name for a in BASELINE.actions if a.polarity == "pro_merchant")
MODALITIES: tuple[str, ...] = ("must", "should", "may", "must_not")
SCENARIOS: tuple[str, ...] = tuple(s.clause for s in BASELINE.scenarios)
PLATFORM_PERIODS: tuple[str, ...] = tuple(p.name for p in BASELINE.periods)
LETS: tuple[str, ...] = ("fresh_goods", "no_reason_claim", "quality_claim", "past_no_reason", "past_quality",
                         "compensation_rejected")
ENUMS: dict[str, tuple[str, ...]] = {f.path: f.values for f in BASELINE.facts if f.kind == "enum"}
BOOLS: tuple[str, ...] = tuple(f.path for f in BASELINE.facts if f.kind == "bool")
CATEGORIES: tuple[str, ...] = ENUMS["order.category"]
PARAMS = {p.name: p for p in BASELINE.params}
TUNABLE: tuple[str, ...] = tuple(p.name for p in BASELINE.params if p.direction is not None)
#: The tunable parameters counted in days (comparable with a count of days such as agreed_service_days).
DAY_PARAMS: tuple[str, ...] = tuple(p for p in TUNABLE if PARAMS[p].kind == "days")
#: The baseline's `most favourable of` periods a merchant's promised period can join (G2c).
JOINABLE: tuple[str, ...] = tuple(p.name for p in BASELINE.periods if isinstance(p, ir.BestPeriod))
PLATFORM_CLAUSES: tuple[str, ...] = tuple(c for c, _ in BASELINE.clauses)

CHINA = dt.timezone(dt.timedelta(hours=8))


# ---- the spec of one merchant policy ---------------------------------------------------------

@attrs.frozen
class SetSpec:
    param: str
    key: str | None  # a category for per-category settings
    days: int  # the value, in the parameter's unit (days, or months for a parameter in months/years)

    def text(self) -> str:
        where = f" for {self.key}" if self.key else ""
        unit = "months" if PARAMS[self.param].kind == "months" else "days"
        return f"set {self.param}{where} = {self.days} {unit}"


@attrs.frozen
class PeriodSpec:
    name: str
    days: int
    anchor: str  # order.signed_at | order.paid_at
    guard: str | None  # a condition over facts only ("when ...")
    joins: str | None  # a `most favourable of` period it joins (a promised period, G2c), or None
    hours: int | None = None  # an exact period of this many hours instead (`N hours after X`)

    def text(self) -> str:
        out = (f"period {self.name} cites M1 = {self.hours} hours after {self.anchor}" if self.hours is not None
               else f"period {self.name} cites M1 = {self.days} days from the day after {self.anchor}")
        if self.guard:
            out += f"\n  when {self.guard}"
        if self.joins:
            out += f"\n  joins {self.joins}"
        return out


@attrs.frozen
class RuleSpec:
    name: str
    condition: str
    effects: tuple[tuple[str, str], ...]  # (modality, action)
    overrides: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    cites: tuple[str, ...] = ("M1",)

    def text(self) -> str:
        head = f"rule {self.name} cites {', '.join(self.cites)}"
        if self.overrides:
            head += f" overrides {', '.join(self.overrides)}"
        if self.replaces:
            head += f" replaces {', '.join(self.replaces)}"
        effects = ", ".join(f"{m} {a}" for m, a in self.effects)
        return f"{head}\n  when {self.condition}\n  then {effects}"

    @property
    def generous(self) -> bool:
        """Only grants pro-buyer actions (must/should/may) or forbids pro-merchant ones, and
        suppresses or removes nothing: adding it can never make a decision less favourable."""
        return not self.overrides and not self.replaces and all(
            (a in PRO_BUYER and m != "must_not") or (a in PRO_MERCHANT and m == "must_not")
            for m, a in self.effects)


@attrs.frozen
class MerchantSpec:
    sets: tuple[SetSpec, ...] = ()
    periods: tuple[PeriodSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()

    def text(self, name: str = "random-shop") -> str:
        lines = [f'merchant policy "{name}" version "1" extends "{BASELINE_NAME}"', "",
                 'clause M1 "A randomly generated merchant promise"', ""]
        lines += [s.text() for s in self.sets]
        lines += [p.text() for p in self.periods]
        lines += [r.text() for r in self.rules]
        return "\n".join(lines) + "\n"

    @property
    def uses_suppression(self) -> bool:
        return any(r.overrides or r.replaces for r in self.rules)

    def value_in_force(self, param: str, key: str | None) -> int:
        """The value of `param` for category `key` (None: the general value) under this spec."""
        general = next((s.days for s in self.sets if s.param == param and s.key is None),
                       PARAMS[param].platform_default)
        if key is None:
            return general
        return next((s.days for s in self.sets if s.param == param and s.key == key), general)

    def with_set(self, new: SetSpec) -> "MerchantSpec":
        others = tuple(s for s in self.sets if (s.param, s.key) != (new.param, new.key))
        return attrs.evolve(self, sets=others + (new,))

    def with_rule(self, rule: RuleSpec) -> "MerchantSpec":
        return attrs.evolve(self, rules=self.rules + (rule,))

    def boundary_days(self) -> list[int]:
        """Period lengths (days) that matter for this policy: request dates near them are
        where a shortened or lengthened window shows."""
        days = {p.platform_default for p in BASELINE.params if p.kind == "days"}
        days |= {s.days for s in self.sets} | {p.days for p in self.periods}
        return sorted(days)


# ---- conditions (policy text) --------------------------------------------------------------

def _enum_atoms(merchant_periods: tuple[str, ...]) -> st.SearchStrategy[str]:
    def enum_eq(path: str) -> st.SearchStrategy[str]:
        return st.builds(lambda op, v: f"{path} {op} {v}", st.sampled_from(["==", "!="]),
                         st.sampled_from(ENUMS[path]))

    def enum_in(path: str) -> st.SearchStrategy[str]:
        return st.builds(lambda neg, vs: f"{path} {'not in' if neg else 'in'} {{ {', '.join(vs)} }}",
                         st.booleans(),
                         st.lists(st.sampled_from(ENUMS[path]), min_size=1, max_size=3, unique=True))

    periods = PLATFORM_PERIODS + merchant_periods
    counts = st.one_of(
        st.builds(lambda op, k: f"order.agreed_service_days {op} {k} days",
                  st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), st.integers(0, 40)),
        st.builds(lambda op, p: f"order.agreed_service_days {op} {p}",
                  st.sampled_from(["<", "<=", ">", ">="]), st.sampled_from(DAY_PARAMS)),
        st.builds(lambda op, k: f"order.agreed_service_days {op} {k} days",
                  st.sampled_from(["<", ">="]), st.integers(0, 40)),
        st.sampled_from(["order.agreed_service_days is null", "order.agreed_service_days is not null"]),
        st.builds(lambda op, k: f"order.extensions_used {op} {k}", st.sampled_from(["<", ">=", "=="]),
                  st.integers(0, 4)),
    )
    return st.one_of(
        st.sampled_from(sorted(ENUMS)).flatmap(lambda p: st.one_of(enum_eq(p), enum_in(p))),
        st.just("order.category in fresh_and_plants"),
        st.sampled_from(BOOLS),
        st.builds(lambda w, p: f"{w} {p}", st.sampled_from(["within", "expired"]), st.sampled_from(periods)),
        counts,
        st.sampled_from(SCENARIOS).map(lambda s: f"scenario {s}"),
        st.sampled_from(LETS),
        st.just("true"),
    )


def conditions(merchant_periods: tuple[str, ...] = (), max_leaves: int = 5) -> st.SearchStrategy[str]:
    """A condition in policy syntax; compound sub-conditions are parenthesised."""
    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            children.map(lambda c: f"not ({c})"),
            st.lists(children, min_size=2, max_size=3).map(lambda cs: "(" + " and ".join(cs) + ")"),
            st.lists(children, min_size=2, max_size=3).map(lambda cs: "(" + " or ".join(cs) + ")"),
        )

    return st.recursive(_enum_atoms(merchant_periods), extend, max_leaves=max_leaves)


def fact_conditions() -> st.SearchStrategy[str]:
    """Conditions over facts only (for period guards: no periods, scenarios or lets)."""
    return st.one_of(
        st.sampled_from(BOOLS),
        st.builds(lambda v: f"order.category == {v}", st.sampled_from(CATEGORIES)),
        st.just("order.category in fresh_and_plants"),
        st.just("not order.sanbao_covered"),
    )


# ---- effects and rules -----------------------------------------------------------------------

def effects(actions: tuple[str, ...] = ACTIONS, modalities: tuple[str, ...] = MODALITIES,
            max_size: int = 3) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    return st.lists(st.tuples(st.sampled_from(modalities), st.sampled_from(actions)), min_size=1,
                    max_size=max_size, unique_by=lambda e: e[1]).map(tuple)


def generous_effects() -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    """Pro-buyer actions granted (must/should/may) and pro-merchant ones forbidden (must_not)."""
    grant = st.tuples(st.sampled_from(("must", "should", "may")), st.sampled_from(PRO_BUYER))
    forbid = st.tuples(st.just("must_not"), st.sampled_from(PRO_MERCHANT))
    return st.lists(st.one_of(grant, forbid), min_size=1, max_size=3, unique_by=lambda e: e[1]).map(tuple)


@st.composite
def generous_rules(draw, merchant_periods: tuple[str, ...] = (), name: str = "extra_generous") -> RuleSpec:
    """A rule that only grants pro-buyer actions or forbids pro-merchant ones, with no
    `overrides` / `replaces`: adding it to any valid policy must keep it valid."""
    return RuleSpec(name=name, condition=draw(conditions(merchant_periods)), effects=draw(generous_effects()),
                    cites=("M1",) + tuple(draw(st.lists(st.sampled_from(PLATFORM_CLAUSES), max_size=1))))


@st.composite
def merchant_specs(draw, *, max_rules: int = 4, suppression: bool = True, lowering: bool = True) -> MerchantSpec:
    """A random merchant policy. `suppression=False` leaves out `overrides` / `replaces`;
    `lowering=False` only raises parameters."""
    # settings
    sets: dict[tuple[str, str | None], SetSpec] = {}
    for _ in range(draw(st.integers(0, 3))):
        param = draw(st.sampled_from(TUNABLE))
        key = draw(st.one_of(st.none(), st.sampled_from(CATEGORIES))) if PARAMS[param].per else None
        default = PARAMS[param].platform_default
        low = 1 if lowering else default
        high = default + (12 if PARAMS[param].kind == "months" else 3)
        days = draw(st.one_of(st.integers(low, high), st.integers(low, high + 30)))
        sets[(param, key)] = SetSpec(param, key, days)
    # merchant periods
    periods = []
    for i in range(draw(st.integers(0, 2))):
        periods.append(PeriodSpec(name=f"promise_{i}", days=draw(st.integers(0, 40)),
                                  anchor=draw(st.sampled_from(["order.signed_at", "order.signed_at",
                                                               "order.paid_at"])),
                                  guard=draw(st.one_of(st.none(), fact_conditions())),
                                  joins=draw(st.sampled_from([None, *JOINABLE])),
                                  hours=draw(st.one_of(st.none(), st.none(), st.integers(0, 40 * 24),
                                                       st.integers(0, 40).map(lambda d: 24 * d + 8)))))
    names = tuple(p.name for p in periods)
    # rules
    rules = []
    replaced: set[str] = set()
    for i in range(draw(st.integers(0 if sets or periods else 1, max_rules))):
        overrides: tuple[str, ...] = ()
        replaces: tuple[str, ...] = ()
        if suppression:
            earlier = tuple(r.name for r in rules)
            overrides = tuple(draw(st.lists(st.sampled_from(PLATFORM_RULES + earlier), max_size=2, unique=True)))
            free = [r for r in PLATFORM_RULES if r not in replaced]
            if free:
                replaces = tuple(draw(st.lists(st.sampled_from(free), max_size=1, unique=True)))
                replaced.update(replaces)
        rules.append(RuleSpec(name=f"m{i}", condition=draw(conditions(names)), effects=draw(effects()),
                              overrides=overrides, replaces=replaces))
    return MerchantSpec(sets=tuple(sets.values()), periods=tuple(periods), rules=tuple(rules))


# ---- loading -------------------------------------------------------------------------------

_TMP = Path(tempfile.mkdtemp(prefix="policydsl-merchants-"))
_counter = [0]


def write_spec(spec: MerchantSpec | str, directory: Path | None = None) -> Path:
    """Write the policy text to a fresh file (in `directory`, or a per-session temp dir)."""
    _counter[0] += 1
    path = (directory or _TMP) / f"random_{_counter[0]}.policy"
    path.write_text(spec if isinstance(spec, str) else spec.text(), encoding="utf-8")
    return path


def load_spec(spec: MerchantSpec | str, directory: Path | None = None) -> tuple[Path, ir.PolicySet]:
    """Write and load a merchant policy with `load_set([path])`; fail loudly if it does not load."""
    path = write_spec(spec, directory)
    result: LoadResult = load_set([path])
    errors = [d for d in result.diagnostics if d.is_error]
    text = spec if isinstance(spec, str) else spec.text()
    assert not errors and result.policy_set is not None, \
        f"generated policy does not load:\n{text}\n" + "\n".join(f"{d.code} {d.message}" for d in errors)
    return path, result.policy_set


# ---- facts near period boundaries ------------------------------------------------------------

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
offsets = st.sampled_from([480, 480, 480, 0, -300, 330, 540, -720, 840])


def _stamp(instant: dt.datetime, offset: int) -> str:
    local = instant.astimezone(dt.timezone(dt.timedelta(minutes=offset)))
    text = local.isoformat(timespec="microseconds" if instant.microsecond else "seconds")
    return text[:-6] + "Z" if offset == 0 else text


@st.composite
def facts_near_boundaries(draw, days: list[int] | tuple[int, ...] = (7, 15)) -> dict[str, Any]:
    """Complete, consistent facts (docs/semantics.md §1): every field, `paid <= signed`, `paid <= request.at`,
    nullable facts sometimes null. The request falls mostly on the first or last instant of
    the China-time day that ends a period of N days (N from `days`, ±1) after signing (or
    payment), else anywhere in the following year and a half."""
    paid = _START + dt.timedelta(seconds=draw(st.integers(0, 300 * 86400)))
    signed = None if draw(st.integers(0, 9)) == 0 else \
        paid + dt.timedelta(seconds=draw(st.one_of(st.just(0), st.integers(0, 10 * 86400))))
    anchor = signed if signed is not None and draw(st.integers(0, 4)) else paid
    if draw(st.integers(0, 3)):
        midnight = anchor.astimezone(CHINA).replace(hour=0, minute=0, second=0, microsecond=0)
        if draw(st.integers(0, 4)):
            n = draw(st.sampled_from(sorted(days))) + draw(st.sampled_from([-1, 0, 0, 1]))
        else:  # near the end of a Civil Code year after the anchor (三包 warranty, N3's window)
            year_on = midnight.date()
            try:
                year_on = year_on.replace(year=year_on.year + 1)
            except ValueError:  # 29 February: the month's last day
                year_on = year_on.replace(year=year_on.year + 1, day=28)
            n = (year_on - midnight.date()).days + draw(st.sampled_from([-1, 0, 0, 1]))
        # the first instant of local day anchor+n+1, i.e. the first instant outside an n-day period
        edge = midnight + dt.timedelta(days=n + 1)
        at = edge + draw(st.sampled_from([dt.timedelta(0), dt.timedelta(seconds=-1), dt.timedelta(microseconds=-1),
                                          dt.timedelta(seconds=1), dt.timedelta(hours=-12)]))
    else:
        at = paid + dt.timedelta(seconds=draw(st.integers(0, 540 * 86400)))
    at = max(at, paid)
    agreed = draw(st.one_of(st.none(), st.sampled_from(sorted({max(0, d + k) for d in days for k in (-1, 0, 1)})),
                            st.integers(0, 120)))
    optional = {}  # the facts that may be omitted: left out, null, or a value
    for fact, values in (("sanbao_warranty_days", st.integers(0, 800)), ("failed_repairs", st.integers(0, 4))):
        choice = draw(st.integers(0, 2))
        if choice:
            optional[fact] = None if choice == 1 else draw(values)
    return {
        "order": {
            **optional,
            "category": draw(st.sampled_from(CATEGORIES)),
            "paid_at": _stamp(paid, draw(offsets)),
            "signed_at": None if signed is None else _stamp(signed, draw(offsets)),
            "settled": draw(st.booleans()),
            "extensions_used": draw(st.integers(0, 5)),
            "sanbao_covered": draw(st.booleans()),
            "agreed_service_days": agreed,
        },
        "request": {
            "at": _stamp(at, draw(offsets)),
            "type": draw(st.sampled_from(ENUMS["request.type"])),
            "reason": draw(st.sampled_from(ENUMS["request.reason"])),
            "product_used": draw(st.booleans()),
            "quality_issue": draw(st.booleans()),
            "damage_cause": draw(st.sampled_from(ENUMS["request.damage_cause"])),
            "evidence": draw(st.sampled_from(ENUMS["request.evidence"])),
        },
        "negotiation": {"stage": draw(st.sampled_from(ENUMS["negotiation.stage"]))},
    }
