"""Resolve names, check types and lower a platform policy (plus an optional merchant policy) to IR.

The analyzer walks each declaration once. It never stops at the first problem:
every error is recorded as a diagnostic and analysis goes on with a placeholder,
so one run reports everything it can. A policy set is produced only when no
error was found.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from policydsl import ir
from policydsl.syntax import ast
from policydsl.gcpause import gc_paused
from policydsl.diagnostics import Diagnostic, did_you_mean

from policydsl.source import Span
from policydsl.semantics.common import Analysis, Scope, describe_fact
from policydsl.semantics.conditions import ConditionLowering
from policydsl.semantics.declarations import DeclarationCollector
from policydsl.semantics.lints import Lints
from policydsl.semantics.lowering import DeclarationLowering
from policydsl.semantics.testcases import TestLowering


class _Analyzer(DeclarationCollector, DeclarationLowering, ConditionLowering, TestLowering, Lints):
    def __init__(self, platform: ast.Policy, merchant: ast.Policy | None) -> None:
        self.platform = platform
        self.merchant = merchant
        self.diags: list[Diagnostic] = []
        self.timezone_minutes = 0
        self.now: str | None = None
        self.clauses: dict[str, ast.ClauseDecl] = {}
        self.clause_origin: dict[str, str] = {}
        self.enums: dict[str, tuple[str, ...]] = {}
        self.groups: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.facts: dict[str, ir.Fact] = {}
        self.untyped_facts: set[str] = set()  # declared with an unknown type: already reported, so not unknown
        self.orderings: list[ir.Ordering] = []
        self.params: dict[str, ast.ParamDecl] = {}
        self.param_kinds: dict[str, str] = {}
        self.sets: dict[tuple[str, str | None], ast.SetDecl] = {}
        self.periods: dict[str, tuple[ast.PeriodDecl, str]] = {}
        self.capabilities: dict[str, ast.CapabilityDecl] = {}
        self.claim_decls: list[ast.CapabilityDecl] = []
        self.actions: dict[str, ast.ActionDecl] = {}
        self.remedies: list[ast.RemedyDecl] = []
        self.escalations: list[ast.EscalationDecl] = []
        self.rules: dict[str, tuple[ast.RuleDecl, str]] = {}
        self.fixtures: dict[str, ast.FactsDecl] = {}
        self.tests: list[tuple[ast.TestDecl, str]] = []
        self.scopes: dict[str, Scope] = {}
        self.replaced: dict[str, str] = {}  # platform rule -> the merchant rule replacing it
        self.now_decl: ast.NowDecl | None = None
        self.pending_cites: list[ast.Name] = []  # checked once every clause is collected
        self.cond_depth = 0  # how deep `cond` is in lowering one condition (MAX_CONDITION_DEPTH)
        self.lets: dict[str, dict[str, ast.LetDecl]] = {ir.PLATFORM: {}, ir.MERCHANT: {}}
        self.scenarios: dict[str, dict[str, ast.ScenarioDecl]] = {ir.PLATFORM: {}, ir.MERCHANT: {}}

    # ---- reporting ---------------------------------------------------------------
    def error(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(code=code, message=message, span=span, hint=hint))

    def unknown(self, code: str, kind: str, name: str, span: Span | None, candidates: Iterable[str]) -> None:
        if name in self.untyped_facts:
            return  # its declaration's PD206 is the one error worth reading
        self.error(code, f"unknown {kind} `{name}`", span, did_you_mean(name, candidates))

    # ---- entry ---------------------------------------------------------------------
    def run(self) -> Analysis:
        if not isinstance(self.platform.header, ast.PlatformHeader):
            self.error("PD212", f"`{self.platform.name}` is a merchant policy; a baseline must be a platform policy",
                       self.platform.header.span)
            return Analysis(None, tuple(self.diags))
        self.collect(self.platform, ir.PLATFORM)
        if self.merchant is not None:
            header = self.merchant.header
            if not isinstance(header, ast.MerchantHeader):
                self.error("PD212", "expected a merchant policy here", header.span)
            elif header.extends != self.platform.name:
                self.error("PD212", f"this policy extends `{header.extends}`, but the baseline loaded is "
                                    f"`{self.platform.name}`", header.span,
                           "pass the right baseline with --baseline, or fix the `extends` name")
            else:
                self.collect(self.merchant, ir.MERCHANT)
        self.check_platform_basics()
        self.scopes[ir.PLATFORM] = self.scope_for(ir.PLATFORM)
        self.scopes[ir.MERCHANT] = self.scope_for(ir.MERCHANT)
        policy_set = self.lower()
        tests = self.lower_tests(policy_set)
        errors = [d for d in self.diags if d.is_error]
        if not errors:
            self.lint()
        return Analysis(None if errors else policy_set, tuple(self.diags), tuple(tests) if not errors else ())

    # ---- name tables by origin ----------------------------------------------------------
    def lets_of(self, origin: str) -> dict[str, ast.LetDecl]:
        return self.lets[origin]

    def scenarios_of(self, origin: str) -> dict[str, ast.ScenarioDecl]:
        return self.scenarios[origin]

    def scope_for(self, origin: str) -> Scope:
        lets = dict(self.lets_of(ir.PLATFORM))
        scenarios = dict(self.scenarios_of(ir.PLATFORM))
        periods = {n for n, (_, o) in self.periods.items() if o == ir.PLATFORM}
        if origin == ir.MERCHANT:
            lets.update(self.lets_of(ir.MERCHANT))
            scenarios.update(self.scenarios_of(ir.MERCHANT))
            periods = set(self.periods)
        return Scope(origin=origin, lets=lets, scenarios=scenarios, periods=periods)

    # ---- checks shared by many declarations ------------------------------------------------
    def check_cites(self, cites: tuple[ast.Name, ...]) -> None:
        # Clause declarations may come later in the file; cites are checked after collection.
        self.pending_cites.extend(cites)

    def fact_ref(self, path: ast.Path) -> ir.Fact | None:
        fact = self.facts.get(path.dotted)
        if fact is None:
            self.unknown("PD201", "fact", path.dotted, path.span, self.facts)
        return fact

    def check_platform_basics(self) -> None:
        for c in self.pending_cites:
            if c.text not in self.clauses:
                self.unknown("PD203", "clause", c.text, c.span, self.clauses)
        now_decl = self.now_decl
        if now_decl is None:
            self.error("PD213", "a platform policy must say which fact is the evaluation instant",
                       self.platform.header.span, "add `now request.at`")
        else:
            f = self.fact_ref(now_decl.path)
            if f is not None and (f.kind != "timestamp" or f.nullable):
                self.error("PD208", f"`now` needs a non-null timestamp fact; `{now_decl.path.dotted}` is "
                                    f"{describe_fact(f)}", now_decl.path.span)
            elif f is not None:
                self.now = f.path
        for p in self.params.values():
            if p.per is not None:
                f = self.fact_ref(p.per)
                if f is not None and f.kind != "enum":
                    self.error("PD208", f"`per` needs an enum fact; `{p.per.dotted}` is {describe_fact(f)}",
                               p.per.span)


def analyze(platform: ast.Policy, merchant: ast.Policy | None = None) -> Analysis:
    """Resolve and type-check a platform policy, optionally with a merchant policy on top."""
    with gc_paused():  # linear time on large policies (see policydsl.gcpause)
        analysis = _Analyzer(platform, merchant).run()
        if analysis.policy_set is not None and merchant is not None:
            base = _Analyzer(platform, None).run()
            ps = attrs.evolve(analysis.policy_set, baseline=base.policy_set)
            analysis = attrs.evolve(analysis, policy_set=ps)
    return analysis
