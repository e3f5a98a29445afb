"""Hypothesis strategies for random but well-formed policy ASTs and source texts.

    from strategies import policies, declarations, conditions, policy_sources

Every AST drawn here is one the parser can produce: names are `n_` plus lower-case
letters, digits and `_` (never a keyword), clause IDs look like `S3.1` or `G2a`,
chains (`or` / `and`) have two or more items, lists the grammar requires to be
non-empty are, and strings hold arbitrary Unicode (quotes, backslashes, newlines,
control characters). Spans are left out, since they take no part in equality.
"""

from __future__ import annotations

import functools
import re

from hypothesis import strategies as st

from policydsl.syntax import ast
from policydsl.syntax.formatter import format_policy

COMPARE_OPS = ("==", "!=", "<=", ">=", "<", ">")
MODALITIES = ("must", "should", "may", "must_not")


# ---- leaves -------------------------------------------------------------------------------

@functools.cache
def names() -> st.SearchStrategy[str]:
    """Identifiers that match NAME and are never a keyword."""
    return st.text("abcdefghijklmnopqrstuvwxyz0123456789_", max_size=6).map(lambda s: "n_" + s)


@functools.cache
def name_nodes() -> st.SearchStrategy[ast.Name]:
    return names().map(lambda text: ast.Name(text=text))


@functools.cache
def clause_ids() -> st.SearchStrategy[ast.Name]:
    """Clause IDs such as `S3`, `S3.1`, `G2a`, `N3.b2`."""
    return st.from_regex(r"[A-Z][A-Za-z0-9]{0,3}(\.[0-9A-Za-z]{1,3}){0,2}", fullmatch=True).map(
        lambda text: ast.Name(text=text))


@functools.cache
def paths() -> st.SearchStrategy[ast.Path]:
    return st.lists(names(), min_size=1, max_size=3).map(lambda s: ast.Path(segments=tuple(s)))


@functools.cache
def durations() -> st.SearchStrategy[ast.Duration]:
    return st.builds(ast.Duration, amount=st.integers(0, 400), unit=st.sampled_from(ast.DURATION_UNITS))


@functools.cache
def int_lits() -> st.SearchStrategy[ast.IntLit]:
    return st.builds(ast.IntLit, value=st.integers(0, 10**9))


@functools.cache
def literals() -> st.SearchStrategy[ast.IntLit | ast.Duration]:
    return st.one_of(int_lits(), durations())


@functools.cache
def strings() -> st.SearchStrategy[str]:
    """Any Unicode text, often with the characters a string literal must escape."""
    tricky = st.sampled_from(['"', "\\", "\n", "\t", "\r", "\x00", "\x7f", "\u2028", "\\n", "#", "三包", "é"])
    return st.lists(st.one_of(st.text(max_size=4), tricky), max_size=5).map("".join)


@functools.cache
def comment_texts() -> st.SearchStrategy[str]:
    """Comment texts as the formatter prints them: `#`, no newline, no trailing whitespace."""
    return st.text(st.characters(exclude_characters="\n"), max_size=20).map(lambda s: ("#" + s).rstrip())


@functools.cache
def comments() -> st.SearchStrategy[ast.Comment]:
    return comment_texts().map(lambda text: ast.Comment(text=text))


def _tuples(elements: st.SearchStrategy, min_size: int = 0, max_size: int = 3) -> st.SearchStrategy[tuple]:
    return st.lists(elements, min_size=min_size, max_size=max_size).map(tuple)


# ---- conditions ------------------------------------------------------------------------------

@functools.cache
def operands() -> st.SearchStrategy[ast.Path | ast.IntLit | ast.Duration]:
    return st.one_of(paths(), int_lits(), durations())


@functools.cache
def value_sets() -> st.SearchStrategy[ast.SetLiteral | ast.SetName]:
    return st.one_of(st.builds(ast.SetLiteral, values=_tuples(name_nodes(), min_size=1)),
                     st.builds(ast.SetName, name=name_nodes()))


@functools.cache
def atoms() -> st.SearchStrategy[ast.Condition]:
    """Every condition node that is not a chain or a negation."""
    return st.one_of(
        st.builds(ast.Truth, path=paths()),
        st.builds(ast.Comparison, left=operands(), op=st.sampled_from(COMPARE_OPS), right=operands()),
        st.builds(ast.Membership, path=paths(), negated=st.booleans(), values=value_sets()),
        st.builds(ast.IsNull, path=paths(), negated=st.booleans()),
        st.builds(ast.Within, period=name_nodes()),
        st.builds(ast.Expired, period=name_nodes()),
        st.builds(ast.InScenario, clause=clause_ids()),
        st.builds(ast.Available, capability=name_nodes()),
        st.builds(ast.Constant, value=st.booleans()),
    )


@functools.cache
def conditions(max_leaves: int = 8) -> st.SearchStrategy[ast.Condition]:
    """Condition trees, including chains nested directly in chains of the same kind."""
    def extend(inner: st.SearchStrategy[ast.Condition]) -> st.SearchStrategy[ast.Condition]:
        return st.one_of(
            st.builds(ast.AnyOf, items=_tuples(inner, min_size=2, max_size=4)),
            st.builds(ast.AllOf, items=_tuples(inner, min_size=2, max_size=4)),
            st.builds(ast.Not, item=inner),
        )
    return st.recursive(atoms(), extend, max_leaves=max_leaves)


# ---- declarations -----------------------------------------------------------------------------

@functools.cache
def lengths() -> st.SearchStrategy[ast.LengthParam | ast.LengthFact | ast.LengthConst]:
    return st.one_of(st.builds(ast.LengthParam, name=name_nodes()),
                     st.builds(ast.LengthFact, path=paths(), unit=st.sampled_from(ast.DURATION_UNITS)),
                     st.builds(ast.LengthConst, duration=durations()))


@functools.cache
def guards() -> st.SearchStrategy[ast.Guard]:
    return st.builds(ast.Guard, kind=st.sampled_from(("when", "unless")), condition=conditions())


@functools.cache
def period_bodies() -> st.SearchStrategy[ast.PeriodBody]:
    joins = st.none() | name_nodes()
    return st.one_of(
        st.builds(ast.CalendarPeriod, length=lengths(), anchor=paths(), guard=st.none() | guards(), joins=joins),
        st.builds(ast.ExactPeriod, length=lengths(), anchor=paths(), guard=st.none() | guards(), joins=joins),
        st.builds(ast.BestPeriod, members=_tuples(name_nodes(), min_size=1, max_size=4), joins=joins),
    )


@functools.cache
def capability_items() -> st.SearchStrategy[ast.CapabilityItem]:
    return st.one_of(
        st.builds(ast.CapTimes, count=st.integers(0, 99), counted_by=st.none() | paths()),
        st.builds(ast.CapEach, duration=durations()),
        st.builds(ast.CapWithin, duration=durations(), anchor=paths()),
        st.builds(ast.CapWhen, condition=conditions()),
    )


@functools.cache
def values() -> st.SearchStrategy[ast.Value]:
    return st.one_of(
        st.builds(ast.StringValue, text=strings()),
        st.builds(ast.IntValue, value=st.integers(-10**9, 10**9)),
        st.builds(ast.BoolValue, value=st.booleans()),
        st.builds(ast.NullValue),
        st.builds(ast.NameValue, name=names()),
    )


@functools.cache
def fact_values() -> st.SearchStrategy[ast.FactValue]:
    return st.builds(ast.FactValue, path=paths(), value=values())


@functools.cache
def expectations() -> st.SearchStrategy[ast.Expectation]:
    return st.one_of(
        st.builds(ast.ExpectAction, modality=st.sampled_from(MODALITIES), action=name_nodes()),
        st.builds(ast.ExpectAbsent, action=name_nodes()),
        st.builds(ast.ExpectScenario, clause=clause_ids()),
        st.builds(ast.ExpectExtension, eligible=st.booleans()),
        st.builds(ast.ExpectConflict, action=name_nodes()),
        st.builds(ast.ExpectEscalation, present=st.booleans()),
    )


@functools.cache
def effects() -> st.SearchStrategy[ast.Effect]:
    return st.builds(ast.Effect, modality=st.sampled_from(MODALITIES), action=name_nodes())


@functools.cache
def declarations() -> st.SearchStrategy[ast.Declaration]:
    """One declaration of any kind."""
    cites = _tuples(clause_ids(), max_size=3)
    return st.one_of(
        st.builds(ast.TimezoneDecl, offset=strings()),
        st.builds(ast.NowDecl, path=paths()),
        st.builds(ast.ClauseDecl, clause=clause_ids(), title=strings()),
        st.builds(ast.EnumDecl, name=name_nodes(), values=_tuples(name_nodes(), min_size=1, max_size=12)),
        st.builds(ast.GroupDecl, name=name_nodes(), enum=name_nodes(),
                  members=_tuples(name_nodes(), min_size=1, max_size=12)),
        st.builds(ast.FactDecl, path=paths(), type=st.builds(ast.TypeRef, name=name_nodes(), optional=st.booleans()),
                  omittable=st.booleans()),
        st.builds(ast.RequireDecl, left=paths(), op=st.sampled_from(COMPARE_OPS), right=paths()),
        st.builds(ast.ParamDecl, name=name_nodes(), default=literals(),
                  direction=st.sampled_from((None, "increase", "decrease")), per=st.none() | paths(), cites=cites),
        st.builds(ast.SetDecl, name=name_nodes(), for_value=st.none() | name_nodes(), value=literals()),
        st.builds(ast.PeriodDecl, name=name_nodes(), cites=cites, body=period_bodies()),
        st.builds(ast.CapabilityDecl, name=name_nodes(), cites=cites,
                  items=_tuples(capability_items(), min_size=1, max_size=4)),
        st.builds(ast.ActionDecl, name=name_nodes(), polarity=st.sampled_from(("pro_buyer", "pro_merchant")),
                  needs=st.none() | name_nodes()),
        st.builds(ast.RemedyDecl, chain=_tuples(name_nodes(), min_size=2, max_size=8)),
        st.builds(ast.LetDecl, name=name_nodes(), condition=conditions()),
        st.builds(ast.ScenarioDecl, clause=clause_ids(), condition=conditions()),
        st.builds(ast.RuleDecl, name=name_nodes(), cites=cites, overrides=_tuples(name_nodes()),
                  replaces=_tuples(name_nodes()), condition=conditions(max_leaves=16),
                  effects=_tuples(effects(), min_size=1, max_size=6)),
        st.builds(ast.EscalationDecl, cites=cites, condition=conditions(),
                  rulings=_tuples(name_nodes(), min_size=1, max_size=5)),
        st.builds(ast.FactsDecl, name=name_nodes(), values=_tuples(fact_values(), max_size=5)),
        st.builds(ast.TestDecl, title=strings(), base=st.none() | name_nodes(),
                  values=st.none() | _tuples(fact_values(), max_size=5),
                  expectations=_tuples(expectations(), min_size=1, max_size=8)),
    )


@functools.cache
def headers() -> st.SearchStrategy[ast.Header]:
    return st.one_of(st.builds(ast.PlatformHeader, name=strings(), version=strings()),
                     st.builds(ast.MerchantHeader, name=strings(), version=strings(), extends=strings()))


@functools.cache
def policies(max_declarations: int = 12) -> st.SearchStrategy[ast.Policy]:
    """Whole policies. Their comments have no spans, so the formatter prints them at the end."""
    return st.builds(ast.Policy, header=headers(),
                     declarations=_tuples(declarations(), max_size=max_declarations),
                     comments=_tuples(comments(), max_size=3))


# ---- source texts -------------------------------------------------------------------------------

_LAYOUT = st.text(" \t\n", min_size=1, max_size=4)
_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|[ \n]+|[^ \n"#]+')


@st.composite
def policy_sources(draw: st.DrawFn, max_declarations: int = 6) -> str:
    """Valid policy texts in no canonical layout: a formatted random policy whose whitespace
    between tokens is redrawn (spaces, tabs, newlines, blank lines) and with `#` comments
    inserted at random whitespace."""
    text = format_policy(draw(policies(max_declarations=max_declarations)))
    out: list[str] = []
    for token in _TOKENS.findall(text):
        if token.strip(" \n"):
            out.append(token)
            continue
        space = draw(_LAYOUT)
        if out and out[-1].startswith("#"):
            space = "\n" + space  # a comment runs to the end of its line
        if draw(st.integers(0, 5)) == 0:
            space += draw(comment_texts()) + "\n" + draw(st.text(" \t\n", max_size=2))
        out.append(space)
    if draw(st.booleans()):
        out.insert(0, draw(comment_texts()) + "\n")
    return "".join(out)
