"""The compiler: generated Python decides exactly as the reference interpreter, runs without
policydsl installed, validates facts with the same PD4xx messages, and never turns policy
text into code (policydsl.compile.codegen, policydsl.compile.runtime, policydsl.compile.loader).

`requests()` below is the facts strategy the compiler tests share (test_irjson, test_batch).
"""

from __future__ import annotations

import ast as pyast
import datetime as dt
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policydsl import api, ir
from policydsl.compile import cache, loader

from policydsl.compile import runtime

from policydsl.api import PolicySet, load, load_set
from policydsl.compile.codegen import CodegenError, generate_python, lit, runtime_source
from policydsl.evaluate.decision import decision_from_dict, dumps
from policydsl.compile.runtime import stamp
from policydsl.evaluate.interpreter import evaluate
from policydsl.evaluate.facts import FactsInputError, validate
from policydsl.ir.jsonform import from_json, to_json
from policy_sets import BASELINE, GENEROUS, MERCHANTS, OFFSETS, STINGY, adversarial_sets

ROOT = Path(__file__).resolve().parent.parent
REJECTED = sorted((ROOT / "policies" / "merchants" / "rejected").glob("*.policy"))
CHINA = dt.timezone(dt.timedelta(hours=8))


# ---- facts ----------------------------------------------------------------------------------------

TIMES_OF_DAY = st.one_of(st.sampled_from([dt.time(0, 0, 0), dt.time(23, 59, 59)]),
                         st.builds(dt.time, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)))


def _text(moment: dt.datetime, zulu: bool) -> str:
    if zulu:
        return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(CHINA).isoformat()


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """A complete, consistent request (docs/semantics.md §1, nested JSON): paid <= signed, paid <= request.at,
    nullable facts often null; the request mostly falls on day 6–9 or 14–17 after signing (or
    payment) or one year after payment, at 00:00:00, 23:59:59 or any time; every timestamp
    written in +08:00 or Z form."""
    paid = dt.datetime.combine(dt.date(2025, 1, 1) + dt.timedelta(days=draw(st.integers(0, 3 * 365))),
                               draw(TIMES_OF_DAY), CHINA)
    signed = None if draw(st.integers(0, 4)) == 0 else paid + dt.timedelta(seconds=draw(st.integers(0, 6 * 86400)))
    how = draw(st.sampled_from(["day", "day", "day", "year", "any"]))
    if how == "day":
        day = (signed or paid).astimezone(CHINA).date() + dt.timedelta(days=draw(st.sampled_from([6, 7, 8, 9, 14, 15,
                                                                                                16, 17])))
        at = dt.datetime.combine(day, draw(TIMES_OF_DAY), CHINA)
    elif how == "year":  # the edge of the one-year extension window
        at = paid + dt.timedelta(days=365, seconds=draw(st.sampled_from([-1, 0, 1])))
    else:
        at = paid + dt.timedelta(seconds=draw(st.integers(0, 400 * 86400)))
    at = max(at, paid)
    zulu = st.booleans()
    return {
        "order": {
            "category": draw(st.sampled_from(["fresh_food", "green_plants", "flowers", "apparel", "electronics",
                                              "home_appliances", "beauty", "books", "general"])),
            "paid_at": _text(paid, draw(zulu)),
            "signed_at": None if signed is None else _text(signed, draw(zulu)),
            "settled": draw(st.booleans()),
            "extensions_used": draw(st.integers(0, 4)),
            "sanbao_covered": draw(st.booleans()),
            "agreed_service_days": draw(st.one_of(st.none(), st.sampled_from([0, 7, 8, 15, 16, 20, 30, 45]),
                                                  st.integers(0, 90))),
        },
        "request": {
            "at": _text(at, draw(zulu)),
            "type": draw(st.sampled_from(["refund_only", "return_refund"])),
            "reason": draw(st.sampled_from(["no_reason", "quality"])),
            "product_used": draw(st.booleans()),
            "quality_issue": draw(st.booleans()),
            "damage_cause": draw(st.sampled_from(["none", "improper_storage", "courier", "man_made", "not_man_made",
                                                  "unknown"])),
            "evidence": draw(st.sampled_from(["none", "provided", "verified", "refuted"])),
        },
        "negotiation": {"stage": draw(st.sampled_from(["open", "compensation_offered", "compensation_rejected",
                                                       "agreed"]))},
    }


JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**20), st.floats(allow_nan=False),
                        st.text(max_size=8), st.just([]), st.just({}),
                        st.sampled_from(["2026-13-01T00:00:00+08:00", "2026-10-01T12:00:00", "2026-10-01T12:00:00z",
                                         "2026-10-01 12:00:00.123456789-05:30", "9999-12-31T23:00:00Z",
                                         "0001-01-01T00:00:00+08:00", "2026-02-29T00:00:00Z", "fresh_fod",
                                         "2026-W40-4T12:00:00+08:00", "２０２６-10-01T12:00:00+08:00"]))


@st.composite
def broken_requests(draw: st.DrawFn) -> Any:
    """Requests with one to three things wrong: a value, a missing or unknown key, a non-object
    parent, or contradictory timestamps; sometimes not an object at all."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.one_of(JSON_VALUES, st.lists(st.integers(), max_size=2)))
    facts = draw(requests())
    for _ in range(draw(st.integers(1, 3))):
        group = draw(st.sampled_from(sorted(facts)))
        how = draw(st.sampled_from(["value", "value", "delete", "add", "parent", "swap"]))
        if how == "parent":
            facts[group] = draw(JSON_VALUES)
        elif not isinstance(facts[group], dict) or not facts[group]:
            continue
        elif how == "value":
            facts[group][draw(st.sampled_from(sorted(facts[group])))] = draw(JSON_VALUES)
        elif how == "delete":
            del facts[group][draw(st.sampled_from(sorted(facts[group])))]
        elif how == "add":
            facts[group][draw(st.sampled_from(["categry", "extra", "at", "paid_at.x"]))] = draw(JSON_VALUES)
        elif isinstance(facts.get("order"), dict) and isinstance(facts.get("request"), dict):
            facts["order"]["paid_at"], facts["request"]["at"] = facts["request"].get("at"), facts["order"].get("paid_at")
    return facts


# ---- the policy sets compiled --------------------------------------------------------------------

def _load(path: Path) -> ir.PolicySet:
    result = load_set([path])
    assert result.ok and result.policy_set is not None, [d.message for d in result.diagnostics]
    return result.policy_set


@pytest.fixture(scope="session")
def own_merchants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("codegen-merchants")
    out = {}
    for name, text in (("generous", GENEROUS), ("stingy", STINGY), ("two_suppressors", TWO_SUPPRESSORS)):
        out[name] = directory / f"{name}.policy"
        out[name].write_text(text, encoding="utf-8")
    return out


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYDSL_CACHE_DIR", "")


SETS = ["baseline", "generous", "stingy", "two_suppressors", *(p.name for p in MERCHANTS)]


@pytest.fixture(scope="module", params=SETS)
def policy_pair(request: pytest.FixtureRequest, own_merchants: dict[str, Path]) -> tuple[PolicySet, ir.PolicySet]:
    """A policy set loaded with the compiled engine, and its IR after a JSON round trip."""
    name = request.param
    path = BASELINE if name == "baseline" else own_merchants.get(name) or ROOT / "policies" / "merchants" / name
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POLICYDSL_CACHE_DIR", "")
        compiled = PolicySet(_load(path))
    return compiled, from_json(to_json(compiled.ir))


def test_merchant_examples_are_picked_up() -> None:
    assert all(p.parent.name == "merchants" for p in MERCHANTS)


# ---- engines agree ----------------------------------------------------------------------------

def decided(module: Any, facts: dict[str, Any]) -> str:
    """The generated module's decision as policydsl prints it, checked to be the same whether
    `decide_validated` builds the dict or `decide_validated_json` writes the text directly, and
    whether `validate_fast` takes the facts (it declines only what is not plain valid facts)."""
    text = dumps(module.decide(facts))
    flat = module.validate(facts)
    assert module.decide_validated_json(flat) == text
    assert module.validate_fast(facts) in (flat, None)
    assert module.decide_json_fast(facts) == (None if module.validate_fast(facts) is None else text)
    given = json.dumps(facts)  # no key twice: the same, but a text with escapes is declined
    assert module.decide_json_fast(facts, given) == (module.decide_json_fast(facts) if "\\" not in given else None)
    return text


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=requests())
def test_interpreter_compiled_and_json_ir_agree(policy_pair: tuple[PolicySet, ir.PolicySet],
                                                facts: dict[str, Any]) -> None:
    compiled, round_trip = policy_pair
    flat = validate(facts, compiled.ir)
    expected = evaluate(compiled.ir, flat).to_json()
    assert decided(compiled.backend.module, facts) == expected
    assert compiled.backend.module.validate_fast(facts) == flat  # the usual shape: taken fast
    assert dumps(compiled.backend.module.decide_validated(flat)) == expected
    assert evaluate(round_trip, flat).to_json() == expected
    assert compiled.decide(facts).to_json() == expected
    assert compiled.backend.module.validate(facts) == flat


def late_quality_facts(**request: Any) -> dict[str, Any]:
    """A verified quality claim on general goods a month after signing, with `request` changed."""
    return {"order": {"category": "general", "paid_at": "2026-10-01T12:00:00+08:00",
                      "signed_at": "2026-10-03T18:00:00+08:00", "settled": True, "extensions_used": 0,
                      "sanbao_covered": False, "agreed_service_days": None},
            "request": {"at": "2026-11-01T10:00:00+08:00", "type": "return_refund", "reason": "quality",
                        "product_used": False, "quality_issue": True, "damage_cause": "none", "evidence": "verified",
                        **request},
            "negotiation": {"stage": "open"}}


def test_g3_is_exercised(own_merchants: dict[str, Path]) -> None:
    """The stingy policy's voided rules show up in `overridden`, identically in both engines."""
    ps = _load(own_merchants["stingy"])
    facts = late_quality_facts()
    expected = evaluate(ps, validate(facts, ps))
    assert [(o.rule, o.action) for o in expected.overridden] == [("no_reopen", "reopen_after_sales")]
    assert decided(loader.load_module(ps), facts) == expected.to_json()


TWO_SUPPRESSORS = """merchant policy "codegen-two-suppressors" version "1" extends "wechat-channels-after-sales"
rule refuse cites G1 overrides never_refuse_outright
  when request.product_used
  then must soothe_buyer, may refuse_outright
rule refuse_again cites G1 overrides never_refuse_outright
  when request.product_used and request.reason == no_reason
  then may refuse_outright
"""


def test_every_firing_suppressor_is_void(tmp_path: Path) -> None:
    """Two merchant rules override the same prohibition and both fire: G3 voids both, and the
    trace and `overridden` name both, identically in both engines."""
    path = tmp_path / "two.policy"
    path.write_text(TWO_SUPPRESSORS, encoding="utf-8")
    ps = _load(path)
    facts = late_quality_facts(reason="no_reason", product_used=True, quality_issue=False, evidence="none")
    expected = evaluate(ps, validate(facts, ps))
    assert [(o.rule, o.action) for o in expected.overridden] == [("refuse, refuse_again", "refuse_outright")]
    assert any(line.endswith("suppressed by refuse, refuse_again") for line in expected.trace)
    assert decided(loader.load_module(ps), facts) == expected.to_json()
    facts["request"]["reason"] = "quality"  # only `refuse` fires
    expected = evaluate(ps, validate(facts, ps))
    assert [(o.rule, o.action) for o in expected.overridden] == [("refuse", "refuse_outright")]
    assert decided(loader.load_module(ps), facts) == expected.to_json()


@pytest.mark.parametrize("path", REJECTED, ids=lambda p: p.name)
def test_rejected_merchants_decide_alike(path: Path) -> None:
    """Policies the checker rejects still load: evaluation voids their stricter rules (G3)."""
    result = load_set([path])
    if result.policy_set is None:
        pytest.skip("does not load (rejected before evaluation)")
    ps = result.policy_set
    module = loader.load_module(ps)

    @settings(max_examples=60, deadline=None, database=None)
    @given(facts=requests())
    def agree(facts: dict[str, Any]) -> None:
        assert decided(module, facts) == evaluate(ps, validate(facts, ps)).to_json()

    agree()


def test_random_merchant_policies_decide_alike() -> None:
    """Merchant policies drawn by the checker's generator: settings, periods, overrides, replaces."""
    merchant_strategies = pytest.importorskip("merchant_strategies")

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(spec=merchant_strategies.merchant_specs(), data=st.data())
    def agree(spec: Any, data: st.DataObject) -> None:
        _, ps = merchant_strategies.load_spec(spec)
        module = loader.load_module(ps)
        for _ in range(8):
            facts = data.draw(st.one_of(requests(), merchant_strategies.facts_near_boundaries(spec.boundary_days())))
            assert decided(module, facts) == evaluate(ps, validate(facts, ps)).to_json()

    agree()


def test_enforce_baseline_off_matches(own_merchants: dict[str, Path]) -> None:
    ps = _load(own_merchants["stingy"])
    facts = late_quality_facts(at="2026-10-20T10:00:00+08:00", reason="no_reason", product_used=True,
                               quality_issue=False, evidence="provided")
    expected = evaluate(ps, validate(facts, ps), enforce_baseline=False)
    for name in api.ENGINES:
        assert PolicySet(ps, enforce_baseline=False, engine=name).decide(facts) == expected


# ---- validation -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def baseline_ir() -> ir.PolicySet:
    return _load(BASELINE)


@pytest.fixture(scope="module")
def baseline_module(baseline_ir: ir.PolicySet) -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POLICYDSL_CACHE_DIR", "")
        return loader.load_module(baseline_ir)


@settings(max_examples=400, deadline=None)
@given(data=broken_requests())
def test_generated_validation_matches_facts_module(baseline_ir: ir.PolicySet, baseline_module: Any, data: Any) -> None:
    try:
        flat = validate(data, baseline_ir)
    except FactsInputError as exc:
        with pytest.raises(baseline_module.FactsError) as raised:
            baseline_module.validate(data)
        assert isinstance(raised.value, ValueError)
        assert [(e["code"], e["message"], e["hint"]) for e in raised.value.errors] == \
            [(d.code, d.message, d.hint) for d in exc.diagnostics]
    else:
        assert baseline_module.validate(data) == flat


def test_api_reports_the_same_diagnostics_in_both_engines() -> None:
    text = '{"order": {"category": "fruit"}, "request": {}, "negotiation": {"stage": "open"}}'
    got = []
    for name in api.ENGINES:
        with pytest.raises(FactsInputError) as exc:
            load(BASELINE, engine=name).decide_json(text, "bad.json")
        got.append([(d.code, d.message, str(d.span)) for d in exc.value.diagnostics])
    assert got[0] == got[1] and got[0][0][2].startswith("bad.json:1:")


TIMESTAMP_TEXTS = st.builds(
    lambda y, mo, d, sep, h, mi, s, frac, off: f"{y}-{mo}-{d}{sep}{h}:{mi}:{s}{frac}{off}",
    st.sampled_from(["0000", "0001", "1969", "1970", "2026", "9999", "２０２６", "20x6"]),
    st.sampled_from(["00", "01", "02", "10", "12", "13", "W4"]), st.sampled_from(["00", "01", "28", "29", "30", "31", "32"]),
    st.sampled_from(["T", "t", " ", "x"]), st.sampled_from(["00", "23", "24"]), st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["00", "59", "60"]), st.sampled_from(["", ".5", ".123456789", "."]),
    st.sampled_from(["Z", "z", "+08:00", "-23:59", "+23:59", "+24:00", "-00:60", "", "+0800", "+08"]))


@settings(max_examples=600, deadline=None)
@given(text=st.one_of(TIMESTAMP_TEXTS, st.text("0123456789-:T+Z.x ", min_size=19, max_size=26)))
def test_timestamps_parse_as_timeutil(text: str) -> None:
    try:
        expected: int | str = runtime.parse_timestamp(text)
    except runtime.TimestampError as exc:
        expected = str(exc)
    try:
        got: int | str = runtime.parse_timestamp(text)
    except runtime.TimestampError as exc:
        got = str(exc)
    assert got == expected
    assert runtime.read_timestamp(text) == (expected if isinstance(expected, int) else None)


INSTANTS = st.one_of(st.integers(-70_000_000_000_000_000, 260_000_000_000_000_000),
                     st.sampled_from([-62135596800000000, 253402300799999999]).flatmap(
                         lambda edge: st.integers(edge - 10**11, edge + 10**11)))


@settings(max_examples=600, deadline=None)
@given(offset=OFFSETS, instant=INSTANTS)
def test_formatting_saturates_like_the_evaluator(offset: int, instant: int) -> None:
    assert runtime.make_formatter(offset)(instant) == stamp(instant, offset)


# ---- standalone, deterministic ------------------------------------------------------------------

def test_generated_module_runs_without_policydsl(tmp_path: Path, own_merchants: dict[str, Path]) -> None:
    """`python -I -S` (no site-packages: policydsl cannot be imported) imports the module and decides."""
    ps = _load(own_merchants["stingy"])
    (tmp_path / "shop_policy.py").write_text(generate_python(ps), encoding="utf-8")
    facts = late_quality_facts(at="2026-11-01T10:00:00Z", product_used=True)
    script = (
        "import importlib.util, json, sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "assert importlib.util.find_spec('policydsl') is None, 'policydsl is importable'\n"
        "import shop_policy\n"
        "facts = json.loads(sys.stdin.read())\n"
        "print(json.dumps(shop_policy.decide(facts), ensure_ascii=False, separators=(',', ':')))\n"
        "facts['order']['category'] = 'fruit'\n"
        "try:\n"
        "    shop_policy.decide(facts)\n"
        "except shop_policy.FactsError as exc:\n"
        "    assert isinstance(exc, ValueError)\n"
        "    print(json.dumps(exc.errors))\n"
    )
    done = subprocess.run([sys.executable, "-I", "-S", "-c", script], input=json.dumps(facts), capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    decision, errors = done.stdout.splitlines()
    assert decision == evaluate(ps, validate(facts, ps)).to_json()
    assert [e["code"] for e in json.loads(errors)] == ["PD405"]


def test_generation_is_deterministic(own_merchants: dict[str, Path]) -> None:
    ps = _load(own_merchants["generous"])
    text = generate_python(ps)
    assert generate_python(_load(own_merchants["generous"])) == text
    script = ("import sys; from policydsl.api import load_set; from policydsl.compile.codegen import generate_python; "
              "import hashlib; print(hashlib.sha256(generate_python(load_set([sys.argv[1]]).policy_set)"
              ".encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script, str(own_merchants["generous"])], capture_output=True,
                              text=True, env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout.strip()
               for seed in ("1", "2", "3")}
    assert digests == {hashlib.sha256(text.encode()).hexdigest()}


def test_generated_module_carries_the_runtime() -> None:
    text = generate_python(_load(BASELINE))
    assert runtime_source() in text
    assert "import policydsl" not in text and "from policydsl" not in text
    compile(text, "<policydsl:test>", "exec")


# ---- no code injection ------------------------------------------------------------------------------




@st.composite
def facts_for(draw: st.DrawFn, ps: ir.PolicySet) -> dict[str, Any]:
    """Valid nested facts for an adversarial set (its fact paths have two segments)."""
    flat: dict[str, Any] = {}
    for f in ps.facts:
        if f.optional and draw(st.booleans()):
            continue  # left out: null
        if f.nullable and draw(st.booleans()):
            flat[f.path] = None
        elif f.kind == "enum":
            flat[f.path] = draw(st.sampled_from(f.values))
        elif f.kind == "bool":
            flat[f.path] = draw(st.booleans())
        elif f.kind == "count":
            flat[f.path] = draw(st.integers(0, 40))
        else:
            flat[f.path] = 1_790_000_000_000_000 + draw(st.integers(0, 60 * 86400)) * 1_000_000
    paid, now = ps.orderings[0].left, ps.orderings[0].right
    flat[now] = max(flat[now], flat[paid] + 1_000_000)
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        group, leaf = path.split(".", 1)
        if ps.fact(path).kind == "timestamp" and value is not None:
            value = runtime.format_timestamp(value, 0)
        nested.setdefault(group, {})[leaf] = value
    return nested


GENERATED_NAME = re.compile(r"[a-z]\d+")
FIXED_NAMES = {"f", "sc", "tr", "acts", "per", "ext", "cf", "esc", "x", "ov", "q", "data", "facts", "fmt", "POLICY", "LINE_MAP",
               "decide", "decide_validated", "validate", "annotations", "add", "am", "y", "fmtq", "validate_fast",
               "decide_validated_json", "decide_json_fast", "ok", *loader.SAFE_BUILTIN_NAMES}
FORBIDDEN_CALLS = {"eval", "exec", "__import__", "open", "getattr", "setattr", "delattr", "compile", "globals",
                   "locals", "vars", "input", "breakpoint", "help"}


def _identifiers(tree: pyast.AST) -> set[str]:
    out: set[str] = set()
    for node in pyast.walk(tree):
        if isinstance(node, pyast.Name):
            out.add(node.id)
        elif isinstance(node, (pyast.FunctionDef, pyast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, pyast.arg):
            out.add(node.arg)
        elif isinstance(node, pyast.alias):
            out.add(node.asname or node.name)
        elif isinstance(node, pyast.Attribute):
            out.add(node.attr)
        elif isinstance(node, pyast.keyword) and node.arg:
            out.add(node.arg)
    return out


RUNTIME_TREE = pyast.parse(runtime_source())
ALLOWED_NODES = {type(n) for n in pyast.walk(RUNTIME_TREE)} | {
    pyast.Module, pyast.Expr, pyast.Constant, pyast.ImportFrom, pyast.alias, pyast.Assign, pyast.Name, pyast.Load,
    pyast.Store, pyast.FunctionDef, pyast.arguments, pyast.arg, pyast.Return, pyast.If, pyast.BoolOp, pyast.And,
    pyast.Or, pyast.UnaryOp, pyast.Not, pyast.Compare, pyast.Eq, pyast.NotEq, pyast.Lt, pyast.LtE, pyast.Gt,
    pyast.GtE, pyast.Is, pyast.IsNot, pyast.In, pyast.BinOp, pyast.Add, pyast.Sub, pyast.Mult, pyast.FloorDiv,
    pyast.Call, pyast.Attribute, pyast.Subscript, pyast.Dict, pyast.List, pyast.Tuple, pyast.Set, pyast.IfExp,
    pyast.Try, pyast.ExceptHandler, pyast.Pass}
RUNTIME_NAMES = _identifiers(RUNTIME_TREE)


def test_allowed_node_types_are_plain() -> None:
    assert not ALLOWED_NODES & {pyast.Lambda, pyast.Global, pyast.Nonlocal, pyast.Delete, pyast.AsyncFunctionDef,
                                pyast.Await, pyast.Yield, pyast.NamedExpr, pyast.With}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=adversarial_sets(), data=st.data())
def test_hostile_names_never_become_code(case: tuple[ir.PolicySet, list[str]], data: st.DataObject) -> None:
    ps, texts = case
    source = generate_python(ps)
    tree = pyast.parse(source)
    for node in pyast.walk(tree):
        assert type(node) in ALLOWED_NODES, type(node).__name__
        if isinstance(node, (pyast.Import, pyast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, pyast.Import) else [node.module]
            assert set(modules) <= loader.ALLOWED_IMPORTS
        if isinstance(node, pyast.Attribute):
            assert not (node.attr.startswith("__") and node.attr.endswith("__")), node.attr
        if isinstance(node, pyast.Call) and isinstance(node.func, pyast.Name):
            assert node.func.id not in FORBIDDEN_CALLS
    for identifier in _identifiers(tree):  # every identifier is fixed or from a counter
        assert identifier in RUNTIME_NAMES | FIXED_NAMES or GENERATED_NAME.fullmatch(identifier), identifier
    code_only = _without_strings(source)
    for text in texts:  # user text only ever inside string constants
        if len(text) >= 4 and not text.isidentifier():
            assert text not in code_only
    constants = {n.value for n in pyast.walk(tree) if isinstance(n, pyast.Constant) and isinstance(n.value, str)}
    assert {ps.name, ps.merchant, ps.version} <= constants

    module = loader.load_module(ps)
    facts = data.draw(facts_for(ps))
    try:
        expected = evaluate(ps, validate(facts, ps)).to_json()
    except FactsInputError:
        with pytest.raises(module.FactsError):
            module.decide(facts)
        return
    assert decided(module, facts) == expected
    assert from_json(to_json(ps)) == ps


def _without_strings(source: str) -> str:
    """The source with string literals and comments blanked out."""
    kept = []
    string_tokens = {tokenize.STRING, tokenize.COMMENT} | {getattr(tokenize, n) for n in
                                                            ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                                                            if hasattr(tokenize, n)}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in string_tokens:
            kept.append(tok.string)
    return " ".join(kept)


@pytest.mark.parametrize("value", [1.5, [1], {"a": 1}, b"x", object(), (1, [2]), frozenset()])
def test_lit_refuses_anything_but_plain_values(value: Any) -> None:
    with pytest.raises(CodegenError):
        lit(value)


@settings(max_examples=300)
@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                          lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=6))
def test_lit_round_trips(value: Any) -> None:
    assert pyast.literal_eval(lit(value)) == value
    assert type(pyast.literal_eval(lit(value))) is type(value)


def test_undeclared_references_are_codegen_errors() -> None:
    ps = _load(BASELINE)
    broken = attrs.evolve(ps, rules=ps.rules + (ir.Rule("x", ir.PLATFORM, (), (), ir.Within("nope"), (), ()),))
    with pytest.raises(CodegenError, match="period `nope`"):
        generate_python(broken)
    broken = attrs.evolve(ps, rules=ps.rules + (ir.Rule("x", ir.PLATFORM, (), (), ir.BoolFact("order.nope"), (), ()),))
    with pytest.raises(CodegenError, match="order.nope"):
        generate_python(broken)


# ---- the engine: restricted namespace, disk cache --------------------------------------------------

def test_compiled_code_cannot_import_anything_else() -> None:
    namespace = {"__builtins__": loader.safe_builtins()}
    with pytest.raises(ImportError, match="may not import `os`"):
        exec("import os", namespace)
    with pytest.raises(NameError):
        exec("open('x')", namespace)


def test_cache_is_written_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYDSL_CACHE_DIR", str(tmp_path / "cache"))
    ps = _load(BASELINE)
    first = loader.load_module(ps)
    files = list((tmp_path / "cache").glob("*.code"))
    assert [f.stem for f in files] == [cache.cache_key(ps)]

    def refuse(_: ir.PolicySet) -> str:
        raise AssertionError("compiled again despite the cache")

    monkeypatch.setattr(loader.codegen, "generate_python", refuse)
    second = loader.load_module(ps)
    facts = {"order": {"category": "books", "paid_at": "2026-10-01T12:00:00+08:00", "signed_at": None,
                       "settled": True, "extensions_used": 0, "sanbao_covered": False, "agreed_service_days": None},
             "request": {"at": "2026-10-20T10:00:00+08:00", "type": "return_refund", "reason": "no_reason",
                         "product_used": False, "quality_issue": False, "damage_cause": "none", "evidence": "provided"},
             "negotiation": {"stage": "open"}}
    assert second.decide(facts) == first.decide(facts)
    other = attrs.evolve(ps, version="other")
    assert cache.cache_key(other) != cache.cache_key(ps)


def test_the_cache_key_covers_every_module_generated_code_depends_on() -> None:
    """A cached module is stale when any module the code generator imports from policydsl changes
    (G3 decided in ir/g3.py once went unnoticed: mutating it left cached modules in use)."""
    import importlib
    import sys as _sys

    hashed = {p.resolve() for p in cache.generator_sources()}
    code = ("import sys, policydsl.compile.codegen; "
            "print([m.__file__ for n, m in sys.modules.items() if n.startswith('policydsl.') and m.__file__])")
    import subprocess

    out = subprocess.run([_sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    imported = {Path(f).resolve() for f in eval(out)} - {Path(importlib.import_module("policydsl").__file__).resolve()}
    imported = {f for f in imported if f.name != "__init__.py" or f.parent.name in ("compile", "ir")}
    assert imported - hashed == set(), "modules generated code depends on but the cache key ignores"


def test_cache_failures_are_harmless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ps = _load(BASELINE)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("POLICYDSL_CACHE_DIR", str(blocker))
    assert loader.load_module(ps).POLICY["name"] == ps.name  # cannot write: still works
    monkeypatch.setenv("POLICYDSL_CACHE_DIR", str(tmp_path))
    (tmp_path / f"{cache.cache_key(ps)}.code").write_bytes(b"garbage")
    assert loader.load_module(ps).POLICY["name"] == ps.name  # cannot read: compiles again


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POLICYDSL_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / ".cache" / "policydsl"


def test_engine_names_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        load(BASELINE, engine="fast")
    assert load(BASELINE).engine == "compiled"


def test_decision_from_dict_round_trips() -> None:
    ps = load(BASELINE, engine="interpreter")
    decision = ps.decide({"order": {"category": "books", "paid_at": "2026-10-01T12:00:00+08:00",
                                    "signed_at": "2026-10-02T12:00:00+08:00", "settled": False, "extensions_used": 3,
                                    "sanbao_covered": True, "agreed_service_days": 30},
                          "request": {"at": "2026-11-20T10:00:00+08:00", "type": "return_refund", "reason": "quality",
                                      "product_used": True, "quality_issue": True, "damage_cause": "not_man_made",
                                      "evidence": "verified"},
                          "negotiation": {"stage": "compensation_rejected"}})
    assert decision_from_dict(decision.to_dict()) == decision


# ---- the line map: failures in generated code point at policy text ------------------------------

def test_line_map_lists_policy_elements_in_line_order(policy_pair: tuple[PolicySet, ir.PolicySet]) -> None:
    compiled, _ = policy_pair
    ps, module = compiled.ir, compiled.backend.module
    lines = [line for line, _, _ in module.LINE_MAP]
    assert lines == sorted(set(lines))
    source = generate_python(ps).splitlines()
    start = next(i for i, text in enumerate(source, 1) if text.startswith("def decide_validated"))
    end = next(i for i, text in enumerate(source, 1) if text.startswith("def decide("))
    assert all(start < start + line < end for line in lines)  # lines count from the `def`
    rules = {r.name for r in ps.rules}
    known = {"rule": rules, "baseline rule": {r.name for r in ps.baseline.rules} if ps.baseline else set(),
             "period": {p.name for p in ps.periods}, "scenario": {s.clause for s in ps.scenarios},
             "action": {a.name for a in ps.actions}, "capability": {c.name for c in ps.capabilities}, "": {""}}
    assert all(name in known[kind] for _, kind, name in module.LINE_MAP)
    assert {"rule", "period", "scenario"} <= {kind for _, kind, _ in module.LINE_MAP}


@pytest.mark.parametrize(("fact", "value", "element"), [
    ("order.extensions_used", "three", "capability `extension`"),
    ("order.signed_at", "not a timestamp", "period `"),
])
def test_a_failure_in_generated_code_names_the_policy_element(fact: str, value: Any, element: str) -> None:
    """Facts that passed validation cannot make generated code fail; if it ever does (a bug),
    the error names the policy element whose code failed, with its file:line:col."""
    compiled = PolicySet(_load(BASELINE))
    facts = late_quality_facts()
    flat = dict(compiled.backend.validate(facts))
    flat[fact] = value  # bypass validation on purpose
    with pytest.raises(api.PolicyEvaluationError) as info:
        compiled.backend.decision_dict(flat)
    message = str(info.value)
    assert element in message
    assert re.search(r"after_sales\.policy:\d+:\d+\)", message)


# ---- snapshots: the generated code of two tiny policy sets is pinned ---------------------------------
# After an intended change to the code generator, regenerate them with
#   POLICYDSL_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_codegen.py -k snapshot
# and review the diff like any other code change.

SNAPSHOTS = ROOT / "tests" / "fixtures" / "codegen"
GENERATED_MARKER = "# ---- generated from the policy set's IR"


@pytest.mark.parametrize("paths", [("tiny_platform.policy",), ("tiny_platform.policy", "tiny_merchant.policy")],
                         ids=["platform", "merchant"])
def test_generated_module_snapshot(paths: tuple[str, ...]) -> None:
    result = load_set([SNAPSHOTS / p for p in paths])
    assert result.ok and result.policy_set is not None, [d.message for d in result.diagnostics]
    source = generate_python(result.policy_set)
    generated = source[source.index(GENERATED_MARKER):]  # the runtime before it is runtime.py's own text
    snapshot = SNAPSHOTS / (Path(paths[-1]).stem + ".generated.py")
    if os.environ.get("POLICYDSL_UPDATE_SNAPSHOTS"):
        snapshot.write_text(generated, encoding="utf-8")
    assert generated == snapshot.read_text(encoding="utf-8"), f"regenerate {snapshot.name} if the change is intended"
    pyast.parse(source)


def test_a_failure_in_the_interpreter_is_reported_alike() -> None:
    backend = PolicySet(_load(BASELINE), engine="interpreter").backend
    flat = dict(backend.validate(late_quality_facts()))
    flat["order.extensions_used"] = "three"  # bypass validation on purpose
    with pytest.raises(api.PolicyEvaluationError, match="the reference interpreter failed: TypeError"):
        backend.decision_dict(flat)


@settings(max_examples=2000, deadline=None)
@given(year=st.integers(1, 9999), month=st.integers(0, 13), day=st.integers(0, 32), hour=st.integers(0, 25),
       minute=st.integers(0, 61), second=st.integers(0, 61),
       offset=st.one_of(st.just("Z"), st.builds(lambda sign, h, m: f"{sign}{h:02d}:{m:02d}", st.sampled_from("+-"),
                                                  st.integers(0, 23), st.integers(0, 59))))
def test_the_cached_timestamp_reader_agrees_with_datetime(year, month, day, hour, minute, second, offset) -> None:
    """`read_timestamp` caches date, time-of-day and offset parts; on every string of the common
    shape it gives exactly what `datetime.fromisoformat` gives (None where that raises)."""
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{offset}"
    try:
        expected = (dt.datetime.fromisoformat(text) - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) \
            // dt.timedelta(microseconds=1)
    except ValueError:
        expected = None
    assert runtime.read_timestamp(text) == expected
    assert runtime.read_timestamp(text) == expected  # and again, from the caches
