"""Adapters: one after-sales decision policy, written once per engine.

Copied from the peer benchmark (/work/shared/peer-bench), with policydsl added: the toy
decision is policies/aftersales.policy, loaded, checked and compiled by policydsl, and
decided by the generated module (`make_policydsl*` below).

Every adapter returns an Engine whose
  single(case: dict) -> str            evaluates one decision, and
  batch(cases: list[dict]) -> list[str] (or None) evaluates many in one call
where a case is a plain Python dict (see bench.make_cases) and the result is
one of the four action strings. The timed region is always "Python dict in ->
action str out", so any JSON encoding / result unwrapping an engine needs is
part of its cost, exactly as a caller would pay it.

Policy sources live in policies/ (Rego, Cedar, GoRules JDM); the short ones
(JSON Logic, rule-engine, zen expression, durable_rules) are inline below.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib import metadata
from typing import Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
POLICIES = os.path.join(HERE, "policies")

ACTIONS = (
    "return_refund",
    "reopen_after_sales",
    "negotiate_refund_or_return",
    "offer_small_compensation",
)


# --------------------------------------------------------------------------
# The speed reference: the same logic as a plain hand-written function.
# --------------------------------------------------------------------------
FRESH_OR_PLANTS = frozenset(("fresh", "plants"))


def decide(c: dict) -> str:
    fresh_or_plants = c["category"] in FRESH_OR_PLANTS
    in_no_reason_window = c["days_since_delivery"] <= 7 and not fresh_or_plants
    if in_no_reason_window and not c["used"]:
        return "return_refund"
    if c["quality_issue"] and c["evidence_verified"]:
        return "reopen_after_sales"
    if c["compensation_rejected"]:
        return "negotiate_refund_or_return"
    return "offer_small_compensation"


def decide_batch(cases: list) -> list:
    return [decide(c) for c in cases]


@dataclass
class Engine:
    name: str
    package: str  # PyPI distribution name, for the version
    single: Callable[[dict], str]
    batch: Optional[Callable[[list], list]] = None
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def version(self) -> str:
        if not self.package:
            import platform
            return "CPython " + platform.python_version()
        try:
            return metadata.version(self.package)
        except metadata.PackageNotFoundError:
            return "?"


def _read(name: str) -> str:
    with open(os.path.join(POLICIES, name), encoding="utf-8") as f:
        return f.read()


# --------------------------------------------------------------------------
def make_python() -> Engine:
    return Engine("python", "", decide, decide_batch,
                  notes="hand-written reference function")


def make_cedarpy() -> Engine:
    import cedarpy

    ps = cedarpy.PolicySet.from_str(_read("aftersales.cedar"))  # parsed once
    ents = cedarpy.Entities.from_json_str("[]")  # parsed once
    P, A, R = 'User::"u"', 'Action::"decide"', 'Case::"c"'
    is_authorized = cedarpy.is_authorized
    is_authorized_batch = cedarpy.is_authorized_batch

    def outcome(res) -> str:
        ids = res.diagnostics.id_annotations_by_reason
        if res.decision is not cedarpy.Decision.Allow or len(ids) != 1:
            return f"ERROR:{res.decision}:{ids}:{res.diagnostics.errors}"
        return next(iter(ids.values()))

    def single(c):
        return outcome(is_authorized(
            {"principal": P, "action": A, "resource": R, "context": c}, ps, ents))

    def batch(cases):
        reqs = [{"principal": P, "action": A, "resource": R, "context": c}
                for c in cases]
        return [outcome(r) for r in is_authorized_batch(reqs, ps, ents)]

    return Engine("cedarpy", "cedarpy", single, batch,
                  notes="4 mutually exclusive permit policies; action = @id of "
                        "the determining policy; PolicySet/Entities pre-parsed")


def make_zen() -> Engine:
    import zen

    content = _read("aftersales.zen.json")
    engine = zen.ZenEngine({"loader": {"type": "static",
                                       "content": {"aftersales": json.loads(content)}}})
    evaluate = engine.evaluate
    evaluate_batch = engine.evaluate_batch

    def single(c):
        return evaluate("aftersales", c)["result"]["action"]

    def batch(cases):
        out = evaluate_batch([{"key": "aftersales", "context": c} for c in cases])
        return [r["data"]["result"]["action"] if r.get("success")
                else f"ERROR:{r.get('error')}" for r in out]

    return Engine("zen-engine (JDM graph)", "zen-engine", single, batch,
                  notes="input -> expression node -> decision table (hitPolicy "
                        "first) -> output; single = ZenEngine.evaluate(key, ctx), "
                        "batch = ZenEngine.evaluate_batch")


def make_zen_decision() -> Engine:
    # Same graph, but evaluated through the ZenDecision handle returned by
    # create_decision(); measured separately because it is much slower.
    import zen

    decision = zen.ZenEngine().create_decision(_read("aftersales.zen.json"))
    evaluate = decision.evaluate
    return Engine("zen-engine (JDM via ZenDecision.evaluate)", "zen-engine",
                  lambda c: evaluate(c)["result"]["action"], None,
                  notes="create_decision(content).evaluate(ctx)")


ZEN_EXPR = (
    "(days_since_delivery <= 7 and not (category in ['fresh', 'plants']) and not used)"
    " ? 'return_refund'"
    " : ((quality_issue and evidence_verified) ? 'reopen_after_sales'"
    " : (compensation_rejected ? 'negotiate_refund_or_return'"
    " : 'offer_small_compensation'))"
)


def make_zen_expr() -> Engine:
    import zen

    expr = zen.compile_expression(ZEN_EXPR)
    return Engine("zen-engine (compiled expression)", "zen-engine", expr.evaluate, None,
                  notes="single ZEN expression (nested ternary) via compile_expression")


def make_opa_eval() -> Engine:
    import opa_eval

    path = os.path.join(POLICIES, "aftersales.rego")
    one = opa_eval.OpaEval(path, query="data.aftersales.action")
    many = opa_eval.OpaEval(path, query="data.aftersales.batch")
    dumps = json.dumps
    ev1, evn = one.evaluate_parsed, many.evaluate_parsed

    def single(c):
        return ev1(dumps(c))

    def batch(cases):
        return evn(dumps({"cases": cases}))

    return Engine("opa-eval (regorus)", "opa-eval", single, batch,
                  notes="input must be a JSON string (json.dumps is timed); "
                        "batch = one eval of a Rego array comprehension")


def make_opa_golib() -> Engine:
    import opa_bindings

    eng = opa_bindings.OpaEngine()
    eng.add_policy("aftersales.rego", _read("aftersales.rego"))
    ev = eng.eval_document

    def single(c):
        return ev("aftersales.action", c)

    def batch(cases):
        return ev("aftersales.batch", {"cases": cases})

    return Engine("opa-golib-python-bindings (OPA Go)", "opa-golib-python-bindings",
                  single, batch,
                  notes="OPA Go engine via ctypes c-shared lib, JSON both ways; "
                        "batch = one eval of a Rego array comprehension")


RULE_ENGINE_EXPR = (
    "(days_since_delivery <= 7 and category not in ['fresh', 'plants'] and not used)"
    " ? 'return_refund'"
    " : ((quality_issue and evidence_verified) ? 'reopen_after_sales'"
    " : (compensation_rejected ? 'negotiate_refund_or_return'"
    " : 'offer_small_compensation'))"
)


def make_rule_engine() -> Engine:
    import rule_engine

    rule = rule_engine.Rule(RULE_ENGINE_EXPR)
    # Batch: the same expression inside an array comprehension. Use c['key'],
    # not c.key: attribute access on a dict first fails attribute resolution
    # (computing "did you mean" suggestions) and measured ~6x slower still.
    per_case = RULE_ENGINE_EXPR
    for k in ("days_since_delivery", "category", "used", "quality_issue",
              "evidence_verified", "compensation_rejected"):
        per_case = per_case.replace(k, f"c['{k}']")
    many = rule_engine.Rule(f"[ {per_case} for c in cases ]")

    def batch(cases):
        return list(many.evaluate({"cases": cases}))

    return Engine("rule-engine", "rule-engine", rule.evaluate, batch,
                  notes="one ternary expression; batch = array comprehension rule")


JSON_LOGIC = {
    "if": [
        {"and": [
            {"<=": [{"var": "days_since_delivery"}, 7]},
            {"!": {"in": [{"var": "category"}, ["fresh", "plants"]]}},
            {"!": {"var": "used"}},
        ]},
        "return_refund",
        {"and": [{"var": "quality_issue"}, {"var": "evidence_verified"}]},
        "reopen_after_sales",
        {"var": "compensation_rejected"},
        "negotiate_refund_or_return",
        "offer_small_compensation",
    ]
}


def make_panzi_json_logic() -> Engine:
    from json_logic import jsonLogic

    logic = JSON_LOGIC
    many = {"map": [{"var": "cases"}, JSON_LOGIC]}

    def single(c):
        return jsonLogic(logic, c)

    def batch(cases):
        return jsonLogic(many, {"cases": cases})

    return Engine("panzi-json-logic", "panzi-json-logic", single, batch,
                  notes="JSON Logic 'if' chain; batch = 'map' over cases")


def make_json_logic() -> Engine:
    # json-logic 0.6.3 (the 'json-logic' PyPI name). It ships json_logic/ just
    # like panzi-json-logic, so it lives in its own venv (venv-jsonlogic).
    from json_logic import jsonLogic

    return Engine("json-logic", "json-logic", lambda c: jsonLogic(JSON_LOGIC, c), None,
                  notes="own venv: module name collides with panzi-json-logic")


def make_durable_rules() -> Engine:
    import itertools

    import durable.lang
    from durable import engine as durable_engine
    from durable.lang import ruleset, when_all, m, get_host

    # The default Host starts background threading.Timer dispatchers (every
    # <=0.2 s) that race the caller for pending actions: with them on, after a
    # post_batch 40-67% of batch results and ~99% of later single results were
    # missing when post()/post_batch() returned (the action ran later, on the
    # timer thread). For synchronous in-process decisions, use a Host without
    # them; every action then runs inside post()/post_batch().
    class SyncHost(durable_engine.Host):
        def _run(self):
            pass

    if durable.lang._main_host is None:
        durable.lang._main_host = SyncHost()

    fired = {}  # event id -> action, written by the rule actions
    ids = itertools.count()

    def act(action):
        def fn(c):
            fired[c.m.id] = action
        return fn

    # Events are matched by a Rete network; the else-chain becomes four
    # mutually exclusive conditions (durable_rules has no ordered 'first hit').
    window_not_used = ((m.days_since_delivery <= 7) & (m.category != "fresh")
                       & (m.category != "plants") & (m.used == False))  # noqa: E712
    not_window_not_used = ((m.days_since_delivery > 7) | (m.category == "fresh")
                           | (m.category == "plants") | (m.used == True))  # noqa: E712
    q_and_e = (m.quality_issue == True) & (m.evidence_verified == True)  # noqa: E712
    not_q_and_e = (m.quality_issue == False) | (m.evidence_verified == False)  # noqa: E712
    name = "aftersales_bench"
    with ruleset(name):
        when_all(window_not_used)(act("return_refund"))
        when_all(not_window_not_used & q_and_e)(act("reopen_after_sales"))
        when_all(not_window_not_used & not_q_and_e
                 & (m.compensation_rejected == True))(act("negotiate_refund_or_return"))  # noqa: E712
        when_all(not_window_not_used & not_q_and_e
                 & (m.compensation_rejected == False))(act("offer_small_compensation"))  # noqa: E712
    host = get_host()
    post, post_batch = host.post, host.post_batch

    # Every event gets a unique id: without one, durable_rules derives the id
    # from the content and, after a batch, re-posting an identical case raised
    # MessageObservedException (treated as a duplicate event).
    def single(c):
        i = next(ids)
        post(name, dict(c, id=i))
        return fired.pop(i, "ERROR:no rule fired")

    def batch(cases):
        evs = [dict(c, id=next(ids)) for c in cases]
        post_batch(name, evs)
        return [fired.pop(e["id"], "ERROR:no rule fired") for e in evs]

    return Engine("durable-rules", "durable_rules", single, batch,
                  notes="4 mutually exclusive when_all rules; Python action "
                        "callback records the outcome per event id; batch = post_batch; "
                        "Host without background dispatcher threads")


# --------------------------------------------------------------------------
# policydsl: the toy decision as a policy (policies/aftersales.policy), compiled.
# A policydsl decision is a full explanation (actions with modalities and cites, the
# trace of fired rules with the facts they read); the adapters return its one action.
# --------------------------------------------------------------------------
def _policydsl(engine: str = "compiled"):
    from policydsl.api import load

    return load(os.path.join(POLICIES, "aftersales.policy"), engine=engine)


def make_policydsl() -> Engine:
    decide = _policydsl().backend.module.decide_validated

    def single(c):
        return decide({"case.category": c["category"], "case.days_since_delivery": c["days_since_delivery"],
                       "case.used": c["used"], "case.quality_issue": c["quality_issue"],
                       "case.evidence_verified": c["evidence_verified"],
                       "case.compensation_rejected": c["compensation_rejected"], "case.at": 0})["actions"][0]["action"]

    def batch(cases):
        return [single(c) for c in cases]

    return Engine("policydsl (compiled, flat facts)", "policydsl", single, batch,
                  notes="generated module's decide_validated(flat facts) -> decision dict (with trace); "
                        "the case is copied into the flat facts form; batch = list comprehension")


def make_policydsl_json() -> Engine:
    decide = _policydsl().backend.module.decide

    def single(c):
        return decide({"case": {**c, "at": "1970-01-01T00:00:00Z"}})["actions"][0]["action"]

    def batch(cases):
        return [single(c) for c in cases]

    return Engine("policydsl (compiled, validating)", "policydsl", single, batch,
                  notes="generated module's decide(JSON-like facts): PD4xx validation, then the decision "
                        "dict; batch = list comprehension")


def make_policydsl_interpreter() -> Engine:
    ps = _policydsl("interpreter")

    def single(c):
        return ps.decide({"case": {**c, "at": "1970-01-01T00:00:00Z"}}).actions[0].action

    def batch(cases):
        return [single(c) for c in cases]

    return Engine("policydsl (reference interpreter)", "policydsl", single, batch,
                  notes="PolicySet(engine='interpreter').decide -> Decision; batch = list comprehension")


FACTORIES = {
    "python": make_python,
    "policydsl": make_policydsl,
    "policydsl-json": make_policydsl_json,
    "policydsl-interpreter": make_policydsl_interpreter,
    "cedarpy": make_cedarpy,
    "zen": make_zen,
    "zen-decision": make_zen_decision,
    "zen-expr": make_zen_expr,
    "opa-eval": make_opa_eval,
    "opa-golib": make_opa_golib,
    "rule-engine": make_rule_engine,
    "panzi-json-logic": make_panzi_json_logic,
    "json-logic": make_json_logic,
    "durable-rules": make_durable_rules,
}
