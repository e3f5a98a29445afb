"""Lints: warnings about a well-formed policy that is probably not what its author meant.

They are about the file being checked (the merchant file of a merchant set, else the
platform file), never about the baseline a merchant file extends:

- PD307 a rule cites no clause, so its decisions would carry `"cites": []`;
- PD308 a clause is declared and nothing cites it (no rule, period, parameter, capability,
  escalation or scenario);
- PD310 a rule gives `must_not` to a pro-buyer action: it forbids something that helps the
  buyer (in a merchant file it is also stricter than the baseline wherever it fires).
"""

from __future__ import annotations


from policydsl.diagnostics import Diagnostic, Severity
from policydsl.syntax import ast


class Lints:
    """A part of the analyzer (mixed into `analyzer._Analyzer`); see its docstring."""

    def warn(self, code: str, message: str, span, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(code=code, message=message, span=span, hint=hint, severity=Severity.WARNING))

    def lint(self) -> None:
        policy = self.merchant if self.merchant is not None else self.platform
        cited: set[str] = set()
        for d in policy.declarations:
            cited.update(n.text for n in getattr(d, "cites", ()))
            if isinstance(d, ast.ScenarioDecl):
                cited.add(d.clause.text)
        for d in policy.declarations:
            if isinstance(d, ast.RuleDecl):
                self.lint_rule(d)
            elif isinstance(d, ast.ClauseDecl) and d.clause.text not in cited:
                self.warn("PD308", f"clause `{d.clause.text}` is declared but nothing cites it", d.clause.span,
                          "cite it from the rules that encode it, or delete it")

    def lint_rule(self, d: ast.RuleDecl) -> None:
        if not d.cites:
            self.warn("PD307", f"rule `{d.name.text}` cites no clause, so its decisions cite nothing", d.name.span,
                      f"write `rule {d.name.text} cites CLAUSE …` with the clause it encodes")
        for e in d.effects:
            action = self.actions.get(e.action.text)
            if e.modality == "must_not" and action is not None and action.polarity == "pro_buyer":
                self.warn("PD310", f"`must_not {e.action.text}` forbids an action that helps the buyer "
                                   f"(`{e.action.text}` is pro_buyer)", e.span,
                          "`must_not` is meant for pro-merchant actions such as `refuse_outright`")
