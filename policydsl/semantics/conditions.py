"""Conditions: resolve names in `when` clauses, `let`s and scenarios, check their types, lower them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


from policydsl import ir
from policydsl.diagnostics import did_you_mean
from policydsl.source import Span
from policydsl.syntax import ast
from policydsl.semantics.common import (DAYS_PER, MONTHS_PER, Scope, compare_hint, compatible, describe_fact,
                                       value_hint, want_phrase)


#: The deepest lowered condition (IR nesting of and/or/not). Every stage after analysis walks
#: conditions recursively; a chain of `let`s can nest deeper than the parser's limit allows.
MAX_CONDITION_DEPTH = 150


def ir_depth(cond: ir.Cond) -> int:
    """The nesting depth of a lowered condition, found without recursion."""
    best, stack = 0, [(cond, 1)]
    while stack:
        c, d = stack.pop()
        best = max(best, d)
        if isinstance(c, (ir.And, ir.Or)):
            stack.extend((i, d + 1) for i in c.items)
        elif isinstance(c, ir.NotCond):
            stack.append((c.item, d + 1))
    return best


class ConditionLowering:
    """A part of the analyzer (mixed into `analyzer._Analyzer`); see its docstring."""

    # ---- conditions ------------------------------------------------------------------------
    def cond(self, c: ast.Condition, scope: Scope, report: bool = True) -> ir.Cond:
        if not report:
            saved = self.diags
            self.diags = []
            try:
                return self.cond(c, scope)
            finally:
                self.diags = saved
        method = getattr(self, f"cond_{type(c).__name__}", None)
        if method is None:
            raise AssertionError(f"no lowering for condition node {type(c).__name__}")
        depth = self.cond_depth
        if depth >= MAX_CONDITION_DEPTH:  # `let`s and scenarios inlined into one another, too deep
            self.too_deep(c.span)
            return ir.FALSE
        self.cond_depth = depth + 1
        try:
            lowered = method(c, scope)
        finally:
            self.cond_depth = depth
        if depth == 0 and ir_depth(lowered) > MAX_CONDITION_DEPTH:  # deep `let`s used deep in a condition
            self.too_deep(c.span)
            return ir.FALSE
        return lowered

    def too_deep(self, span: Span | None) -> None:
        self.error("PD217", f"this condition is nested too deeply once its `let`s and scenarios are expanded "
                            f"(more than {MAX_CONDITION_DEPTH} levels)", span,
                   "flatten the chain of `let`s: combine several conditions in one `let` with `and`/`or`")

    def cond_AnyOf(self, c: ast.AnyOf, scope: Scope) -> ir.Cond:
        return ir.Or(tuple(self.cond(i, scope) for i in c.items))

    def cond_AllOf(self, c: ast.AllOf, scope: Scope) -> ir.Cond:
        return ir.And(tuple(self.cond(i, scope) for i in c.items))

    def cond_Not(self, c: ast.Not, scope: Scope) -> ir.Cond:
        return ir.NotCond(self.cond(c.item, scope))

    def cond_Constant(self, c: ast.Constant, scope: Scope) -> ir.Cond:
        return ir.TRUE if c.value else ir.FALSE

    def cond_Truth(self, c: ast.Truth, scope: Scope) -> ir.Cond:
        path = c.path
        if len(path.segments) == 1 and path.dotted in scope.lets:
            return self.let(path.dotted, path.span, scope)
        fact = self.facts.get(path.dotted)
        if fact is None:
            self.unknown("PD201", "fact or name", path.dotted, path.span, [*self.facts, *scope.lets])
            return ir.FALSE
        if fact.kind != "bool":
            self.error("PD208", f"`{fact.path}` is {describe_fact(fact)}, not a condition", path.span,
                       f"compare it, for example `{fact.path} == …`" if fact.kind == "enum" else None)
            return ir.FALSE
        return ir.BoolFact(fact.path)

    def let(self, name: str, span: Span | None, scope: Scope) -> ir.Cond:
        return self.inline(name, f"`{name}`", scope.lets[name].condition, span, scope)

    def inline(self, key: str, what: str, condition: ast.Condition, span: Span | None, scope: Scope) -> ir.Cond:
        """A `let` or scenario lowered once and inlined wherever it is named (PD214 on a cycle)."""
        if key in scope.lowered_lets:
            return scope.lowered_lets[key]
        if key in scope.visiting:
            self.error("PD214", f"{what} is defined in terms of itself", span)
            return ir.FALSE
        scope.visiting.add(key)
        lowered = self.cond(condition, scope)
        scope.visiting.discard(key)
        scope.lowered_lets[key] = lowered
        return lowered

    def cond_InScenario(self, c: ast.InScenario, scope: Scope) -> ir.Cond:
        clause = c.clause.text
        if clause not in scope.scenarios:
            self.error("PD203", f"no scenario is declared for clause `{clause}`", c.clause.span,
                       did_you_mean(clause, scope.scenarios))
            return ir.FALSE
        return self.inline("scenario " + clause, f"scenario `{clause}`", scope.scenarios[clause].condition, c.span,
                           scope)

    def cond_Within(self, c: ast.Within, scope: Scope) -> ir.Cond:
        return ir.Within(c.period.text) if self.period_ref(c.period, scope) else ir.FALSE

    def cond_Expired(self, c: ast.Expired, scope: Scope) -> ir.Cond:
        return ir.Expired(c.period.text) if self.period_ref(c.period, scope) else ir.FALSE

    def cond_Available(self, c: ast.Available, scope: Scope) -> ir.Cond:
        if c.capability.text not in self.capabilities:
            self.unknown("PD204", "capability", c.capability.text, c.capability.span, self.capabilities)
            return ir.FALSE
        return ir.Available(c.capability.text)

    def period_ref(self, name: ast.Name, scope: Scope) -> bool:
        if name.text not in scope.periods:
            self.unknown("PD205", "period", name.text, name.span, scope.periods)
            return False
        return True

    def cond_IsNull(self, c: ast.IsNull, scope: Scope) -> ir.Cond:
        fact = self.fact_ref(c.path)
        if fact is None:
            return ir.FALSE
        if not fact.nullable:
            self.error("PD208", f"`{fact.path}` is never null (its type is not marked `?`)", c.path.span)
            return ir.FALSE
        atom = ir.IsNull(fact.path)
        return ir.NotCond(atom) if c.negated else atom

    def enum_fact(self, path: ast.Path, what: str) -> ir.Fact | None:
        fact = self.fact_ref(path)
        if fact is not None and fact.kind != "enum":
            self.error("PD208", f"{what} needs an enum fact; `{fact.path}` is {describe_fact(fact)}", path.span)
            return None
        return fact

    def enum_values(self, fact: ir.Fact, names: Iterable[ast.Name]) -> list[str]:
        out = []
        for n in names:
            if n.text not in fact.values:
                self.error("PD206", f"`{n.text}` is not a value of `{fact.path}` (enum `{fact.enum}`)", n.span,
                           value_hint(n.text, fact.values))
            else:
                out.append(n.text)
        return out

    def cond_Membership(self, c: ast.Membership, scope: Scope) -> ir.Cond:
        fact = self.enum_fact(c.path, "`in`")
        if fact is None:
            return ir.FALSE
        if isinstance(c.values, ast.SetLiteral):
            chosen = set(self.enum_values(fact, c.values.values))
        else:
            group = self.groups.get(c.values.name.text)
            if group is None:
                self.unknown("PD206", "group", c.values.name.text, c.values.name.span, self.groups)
                return ir.FALSE
            if group[0] != fact.enum:
                self.error("PD208", f"group `{c.values.name.text}` holds `{group[0]}` values; `{fact.path}` is "
                                    f"{describe_fact(fact)}", c.values.name.span)
                return ir.FALSE
            chosen = set(group[1])
        atom = ir.EnumIn(fact.path, tuple(v for v in fact.values if v in chosen))
        return ir.NotCond(atom) if c.negated else atom

    def cond_Comparison(self, c: ast.Comparison, scope: Scope) -> ir.Cond:
        left, right = self.operand(c.left), self.operand(c.right)
        if left is None or right is None:
            return ir.FALSE
        # enum fact against a bare value name
        for a, b, b_node in ((left, right, c.right), (right, left, c.left)):
            if a[0] == "enum" and b[0] == "name":
                if c.op not in ("==", "!="):
                    self.error("PD208", f"enum values compare with `==` or `!=`, not `{c.op}`", c.span)
                    return ir.FALSE
                fact = a[1]
                values = self.enum_values(fact, [ast.Name(text=b[1], span=b_node.span)])
                if not values:
                    return ir.FALSE
                atom = ir.EnumIn(fact.path, (values[0],))
                return atom if c.op == "==" else ir.NotCond(atom)
        for side, node in ((left, c.left), (right, c.right)):
            if side[0] == "name":
                self.unknown("PD201", "fact, parameter or value", side[1], node.span,
                             [*self.facts, *self.params])
                return ir.FALSE
        numeric = {"count", "days", "hours", "months", "number"}
        if left[0] not in numeric or right[0] not in numeric or not compatible(left[0], right[0]):
            self.error("PD208", f"cannot compare {left[2]} with {right[2]}", c.span, compare_hint(left[0], right[0]))
            return ir.FALSE
        return ir.Compare(left[1], c.op, right[1])

    def operand(self, node: ast.Operand) -> tuple[str, Any, str] | None:
        """(kind, IR term or fact or name, description) for a comparison operand."""
        if isinstance(node, ast.IntLit):
            return "number", ir.Const(node.value), f"the number {node.value}"
        if isinstance(node, ast.Duration):
            if node.unit == "hours":
                return "hours", ir.Const(node.amount), "a duration in hours"
            if node.unit in MONTHS_PER:
                return "months", ir.Const(node.amount * MONTHS_PER[node.unit]), "a duration in months"
            return "days", ir.Const(node.amount * DAYS_PER[node.unit]), "a duration in days"
        fact = self.facts.get(node.dotted)
        if fact is not None:
            if fact.kind == "count" and fact.unit == "days":
                return "days", ir.FactInt(fact.path), f"`{fact.path}` (a number of days)"
            if fact.kind == "count":
                return "count", ir.FactInt(fact.path), f"`{fact.path}` (a count)"
            if fact.kind == "enum":
                return "enum", fact, f"`{fact.path}` (an enum)"
            return fact.kind, fact, f"`{fact.path}` ({describe_fact(fact)})"
        if len(node.segments) == 1 and node.dotted in self.params:
            kind = self.param_kinds[node.dotted]
            return kind, ir.ParamInt(node.dotted), f"parameter `{node.dotted}` ({want_phrase(kind)})"
        if len(node.segments) == 1:
            return "name", node.dotted, node.dotted
        self.unknown("PD201", "fact", node.dotted, node.span, self.facts)
        return None
