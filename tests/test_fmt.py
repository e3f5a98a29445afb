"""The canonical formatter: round trips to equal ASTs, idempotence, comments, layout details."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

import attrs
import pytest
from core_helpers import BASELINE_TEXT
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from strategies import declarations, paths, policies, policy_sources

from policydsl.syntax import ast
from policydsl.syntax import formatter
from policydsl.syntax.formatter import MAX_WIDTH, FormatResult, format_policy, format_source, quote
from policydsl.syntax import parse

SAMPLE = '''\
platform policy "demo" version "1"
timezone "+08:00"
now request.at
clause S3.1 "late quality claim"
enum category { fresh_food, general }
group fresh = category { fresh_food }
fact order.category: category
fact order.signed_at: timestamp?
fact request.at: timestamp
fact order.paid_at: timestamp
fact order.n: count
fact order.settled: bool
require order.paid_at <= request.at
param quality_days = 15 days may only increase per order.category cites S3.1
period quality cites S3.1 = quality_days from the day after order.signed_at unless order.category in fresh
period h = 48 hours after order.signed_at when true joins quality
period best = most favourable of quality, h
capability extension cites S3.1: at most 3 times counted by order.n, 7 days each, within 1 year after order.paid_at, only when order.settled
action reopen_after_sales: pro_buyer
action x: pro_merchant
remedy reopen_after_sales > x
let fresh_goods = order.category in fresh and not order.settled or (order.n >= 2)
scenario S3.1 = expired quality and order.category not in {general} and order.signed_at is not null
rule r1 cites S3.1 overrides r0 when scenario S3.1 and fresh_goods then must reopen_after_sales, may x
facts base { order.category: general, order.n: -1, order.settled: true, order.signed_at: null, request.at: "2026-01-01T00:00:00+08:00" }
test "t" given base { order.n: 2 } expect must reopen_after_sales, no x, scenario S3.1, extension eligible
'''

HEADER = 'platform policy "p" version "1"\n'


def parsed(text: str) -> ast.Policy:
    result = parse(text, "t.policy")
    assert result.diagnostics == (), result.diagnostics
    return result.policy


def fmt(text: str) -> str:
    result = format_source(text, "t.policy")
    assert result.diagnostics == () and result.output is not None, result.diagnostics
    return result.output


def comments_of(policy: ast.Policy) -> list[str]:
    return [c.text for c in policy.comments]


# ---- real policies --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [BASELINE_TEXT, SAMPLE], ids=["after_sales", "sample"])
def test_round_trip_and_idempotent(text: str) -> None:
    output = fmt(text)
    assert parsed(output) == parsed(text)
    assert comments_of(parsed(output)) == comments_of(parsed(text))
    assert fmt(output) == output
    assert output.endswith("\n") and not output.endswith("\n\n")


def test_baseline_layout() -> None:
    output = fmt(BASELINE_TEXT)
    assert output.startswith("# Platform baseline, revision 2:")
    assert "\n\nplatform policy \"wechat-channels-after-sales\" version \"2026-12\"\n\n" in output
    assert ("rule negotiate_when_not_accepted cites G4c\n"
            "  when not_accepted and not past_period and compensation_rejected\n"
            "  then should negotiate_other_remedy\n") in output
    assert ("period no_reason cites S2, S1, S1.1 = no_reason_days from the day after order.signed_at\n"
            "  unless order.category in fresh_and_plants\n") in output
    assert ("let normal_flow = valid_no_reason_claim and within no_reason_claims\n"
            "  or valid_quality_claim and within quality_claims\n") in output
    assert ("escalation cites N1\n  when past_period\n"
            "  rulings refund_only, return_refund, return_shipping_by_merchant, other_measures\n") in output
    assert ("capability extension cites N3:\n  at most 3 times counted by order.extensions_used,\n"
            "  7 days each,\n  within 1 year after order.paid_at,\n  only when order.settled\n") in output
    assert "clause S1   \"Past the no-reason period" in output
    assert "scenario S1.1 = scenario S1 and not request.product_used and not storage_spoiled\n" in output
    assert "facts base {\n  order.category: general,\n" in output
    assert ("require order.paid_at <= order.signed_at  # signing before payment is contradictory input\n"
            "require order.paid_at <= request.at       # so is a request before payment\n") in output
    assert all(len(line) <= MAX_WIDTH or "#" in line or '"' in line for line in output.split("\n"))


def test_sample_layout() -> None:
    output = fmt(SAMPLE)
    assert "let fresh_goods = order.category in fresh and not order.settled or order.n >= 2\n" in output
    assert ("rule r1 cites S3.1 overrides r0\n  when scenario S3.1 and fresh_goods\n"
            "  then must reopen_after_sales, may x\n") in output
    assert 'test "t"\n  given base { order.n: 2 }\n  expect must reopen_after_sales, no x,' in output


# ---- conditions ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, printed", [
    ("a and b and c", "a and b and c"),
    ("(a and b) and c", "(a and b) and c"),
    ("a and (b and c)", "a and (b and c)"),
    ("(a or b) or c", "(a or b) or c"),
    ("a or b and c", "a or b and c"),
    ("(a or b) and c", "(a or b) and c"),
    ("((a)) or ((b and c))", "a or b and c"),
    ("not (a and b)", "not (a and b)"),
    ("not not a", "not not a"),
    ("not (not a)", "not not a"),
    ("not a in {x,y}", "not a in {x, y}"),
    ("a not in s or a.b is not null", "a not in s or a.b is not null"),
    ("3 days<x.y and x!=2", "3 days < x.y and x != 2"),
    ("within p or expired q or scenario S3.1 or false", "within p or expired q or scenario S3.1 or false"),
])
def test_condition_parentheses(source: str, printed: str) -> None:
    output = fmt(HEADER + f"let n = {source}\n")
    assert output == HEADER + f"\nlet n = {printed}\n"
    assert parsed(output) == parsed(HEADER + f"let n = {source}\n")


def test_long_condition_breaks_before_and_or() -> None:
    parts = [f"request.some_rather_long_fact_{i} == value_{i}" for i in range(6)]
    source = HEADER + f"rule r when ({' or '.join(parts[:3])}) and not ({' and '.join(parts[3:])}) then must x\n"
    output = fmt(source)
    assert output == HEADER + (
        "\nrule r\n"
        "  when (request.some_rather_long_fact_0 == value_0\n"
        "      or request.some_rather_long_fact_1 == value_1\n"
        "      or request.some_rather_long_fact_2 == value_2)\n"
        "    and not (request.some_rather_long_fact_3 == value_3\n"
        "        and request.some_rather_long_fact_4 == value_4\n"
        "        and request.some_rather_long_fact_5 == value_5)\n"
        "  then must x\n")
    assert parsed(output) == parsed(source)


# ---- leaves -----------------------------------------------------------------------------------------

def test_strings_are_re_escaped() -> None:
    title = 'say "hi" \\ back\nslash\ttab\x00\x7f\r\u2028 三包 é 😀'
    assert quote(title) == '"say \\"hi\\" \\\\ back\\nslash\\ttab\\u0000\\u007f\\u000d\\u2028 三包 é 😀"'
    policy = ast.Policy(header=ast.PlatformHeader(name="p", version="1"),
                        declarations=(ast.ClauseDecl(clause=ast.Name(text="G1"), title=title),))
    assert parsed(format_policy(policy)) == policy


@pytest.mark.parametrize("source, printed", [
    ("1 days", "1 day"), ("1 day", "1 day"), ("7 day", "7 days"), ("1 years", "1 year"),
    ("48 hour", "48 hours"), ("0 days", "0 days"), ("1 hours", "1 hour"),
])
def test_durations(source: str, printed: str) -> None:
    assert fmt(HEADER + f"param n = {source}\n") == HEADER + f"\nparam n = {printed}\n"


# ---- comments and blank lines -------------------------------------------------------------------------

def test_comment_placement() -> None:
    source = (
        "# top\n\n\n"
        'platform policy "p" version "1" # on header\n'
        "action a: pro_buyer   # trailing a\n"
        "# before b\n"
        "action b: pro_buyer\n"
        "rule r # inside r, first line\n"
        "  when x # inside r\n"
        "  then must a # trailing r\n"
        "\n\n# the end\n"
        "# really\n")
    output = fmt(source)
    assert output == (
        "# top\n\n"
        'platform policy "p" version "1"  # on header\n'
        "\n"
        "action a: pro_buyer  # trailing a\n"
        "# before b\n"
        "action b: pro_buyer\n"
        "\n"
        "# inside r, first line\n"
        "# inside r\n"
        "rule r\n"
        "  when x\n"
        "  then must a  # trailing r\n"
        "\n# the end\n"
        "# really\n")
    assert comments_of(parsed(output)) == comments_of(parsed(source))
    assert fmt(output) == output


def test_blank_lines_kept_within_a_group_and_collapsed() -> None:
    source = HEADER + "action a: pro_buyer\n\n\n\naction b: pro_buyer\naction c: pro_buyer\n"
    assert fmt(source) == HEADER + "\naction a: pro_buyer\n\naction b: pro_buyer\naction c: pro_buyer\n"


def test_windows_line_endings() -> None:
    output = fmt(HEADER.replace("\n", "\r\n") + "action a: pro_buyer  # note \r\n\r\n")
    assert output == HEADER + "\naction a: pro_buyer  # note\n"


def test_comments_without_spans_go_at_the_end() -> None:
    policy = ast.Policy(header=ast.PlatformHeader(name="p", version="1"),
                        declarations=(ast.NowDecl(path=ast.Path(segments=("request", "at"))),),
                        comments=(ast.Comment(text="# one"), ast.Comment(text="# two")))
    assert format_policy(policy) == HEADER + "\nnow request.at\n# one\n# two\n"


# ---- format_source -----------------------------------------------------------------------------------

def test_format_source_reports_syntax_errors() -> None:
    result = format_source(HEADER + "rule r when then must x\n", "bad.policy")
    assert result.output is None and result.changed is False
    assert [d.code for d in result.diagnostics] == ["PD101"]


def test_format_source_changed_flag() -> None:
    canonical = HEADER + "\naction a: pro_buyer\n"
    assert format_source(canonical, "t") == FormatResult(output=canonical, diagnostics=(), changed=False)
    assert format_source(canonical + "\n\n", "t").changed is True


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200) | st.builds(lambda a, b: HEADER + a + b, st.sampled_from(
    ["rule r when ", "let x = (", 'test "', "facts f { a: ", "period p = "]), st.text(max_size=30)))
def test_format_source_never_raises(text: str) -> None:
    result = format_source(text, "fuzz.policy")
    assert (result.output is None) == bool(result.diagnostics)


# ---- properties ----------------------------------------------------------------------------------------

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(policies())
def test_generated_ast_round_trips(policy: ast.Policy) -> None:
    output = format_policy(policy)
    assert parsed(output) == policy
    assert fmt(output) == output
    assert output.endswith("\n") and not output.endswith("\n\n")


@PROPERTY
@given(policy_sources())
def test_generated_source_round_trips(source: str) -> None:
    output = fmt(source)
    assert parsed(output) == parsed(source)
    assert fmt(output) == output


def nested_chains(depth: int) -> st.SearchStrategy[ast.Condition]:
    """Long `and`/`or` chains of short atoms, nested at most `depth` deep: they can always be
    broken to fit MAX_WIDTH."""
    leaf = st.builds(ast.Truth, path=paths())
    if depth == 0:
        return leaf
    items = st.lists(nested_chains(depth - 1), min_size=2, max_size=8).map(tuple)
    return st.one_of(leaf, st.builds(ast.AnyOf, items=items), st.builds(ast.AllOf, items=items),
                     st.builds(ast.Not, item=nested_chains(depth - 1)))


@PROPERTY
@given(nested_chains(depth=3))
def test_long_conditions_are_broken_to_fit(condition: ast.Condition) -> None:
    name, day = ast.Name(text="n"), ast.Duration(amount=1, unit="days")
    period = ast.ExactPeriod(length=ast.LengthConst(duration=day), anchor=ast.Path(segments=("a",)),
                             guard=ast.Guard(kind="when", condition=condition), joins=name)
    declarations = (
        ast.LetDecl(name=name, condition=condition),
        ast.RuleDecl(name=name, cites=(), overrides=(), condition=condition,
                     effects=(ast.Effect(modality="must", action=name),)),
        ast.PeriodDecl(name=name, cites=(), body=period),
        ast.CapabilityDecl(name=name, cites=(), items=(ast.CapWhen(condition=condition), ast.CapEach(duration=day))),
    )
    policy = ast.Policy(header=ast.PlatformHeader(name="p", version="1"), declarations=declarations)
    output = format_policy(policy)
    assert parsed(output) == policy
    assert max(len(line) for line in output.split("\n")) <= MAX_WIDTH


# ---- coverage of the AST ---------------------------------------------------------------------------------

AST_CLASSES = sorted((cls for _, cls in inspect.getmembers(ast, inspect.isclass)
                      if attrs.has(cls) and cls.__module__ == ast.__name__), key=lambda c: c.__name__)
UNIONS = [ast.Condition, ast.Operand, ast.Literal, ast.Header, ast.Declaration, ast.Length, ast.PeriodBody,
          ast.CapabilityItem, ast.Value, ast.Expectation]


@pytest.mark.parametrize("cls", AST_CLASSES, ids=lambda c: c.__name__)
def test_every_ast_class_has_a_renderer(cls: type) -> None:
    assert cls in formatter.node_types()


@pytest.mark.parametrize("union", UNIONS, ids=lambda u: "|".join(a.__name__ for a in typing.get_args(u)))
def test_every_union_member_has_a_renderer(union: object) -> None:
    assert set(typing.get_args(union)) <= formatter.node_types()


def test_strategies_generate_every_ast_class() -> None:
    """The generators reach every AST class. Deep, rare classes (a string value inside a test's
    `given`) may need more than one fixed-seed round of 300 policies; five rounds always do."""
    seen: set[type] = set()

    @settings(max_examples=300, database=None, deadline=None, phases=[Phase.generate])
    @given(policies())
    def collect(policy: ast.Policy) -> None:
        seen.update(type(node) for node in ast.iter_nodes(policy))

    for round_seed in range(5):
        seed(round_seed)(collect)()
        if not set(AST_CLASSES) - seen:
            break
    assert set(AST_CLASSES) - seen == set()


@attrs.frozen
class Unknown:
    span: object = None


def test_unknown_declaration_class_raises() -> None:
    policy = ast.Policy(header=ast.PlatformHeader(name="p", version="1"), declarations=(Unknown(),))
    with pytest.raises(TypeError, match="Unknown"):
        format_policy(policy)


def test_unknown_condition_class_raises() -> None:
    policy = ast.Policy(header=ast.PlatformHeader(name="p", version="1"),
                        declarations=(ast.LetDecl(name=ast.Name(text="n"), condition=Unknown()),))
    with pytest.raises(TypeError, match="Unknown"):
        format_policy(policy)


def test_unknown_header_class_raises() -> None:
    with pytest.raises(TypeError, match="Unknown"):
        format_policy(ast.Policy(header=Unknown(), declarations=()))


def test_one_item_chain_raises() -> None:
    lone = ast.AllOf(items=(ast.Constant(value=True),))
    policy = ast.Policy(header=ast.PlatformHeader(name="p", version="1"),
                        declarations=(ast.LetDecl(name=ast.Name(text="n"), condition=lone),))
    with pytest.raises(AssertionError):
        format_policy(policy)


@given(declarations())
@settings(max_examples=100, deadline=None)
def test_single_declarations_round_trip(declaration: ast.Declaration) -> None:
    policy = ast.Policy(header=ast.PlatformHeader(name="p", version="1"), declarations=(declaration,))
    assert parsed(format_policy(policy)) == policy


def test_every_shipped_policy_is_in_canonical_layout():
    """`policydsl fmt --check policies/` is what CI of a policy repository would run."""
    from click.testing import CliRunner

    from policydsl.cli import main

    root = Path(__file__).resolve().parent.parent / "policies"
    result = CliRunner().invoke(main, ["fmt", "--check", str(root)])
    assert result.exit_code == 0, result.output
    assert result.output == ""


UNFORMATTED = 'platform policy "p" version "1"\nclause G1    "x"\n'
FORMATTED = 'platform policy "p" version "1"\n\nclause G1 "x"\n'


def test_fmt_reads_stdin_and_writes_stdout_for_editors() -> None:
    from click.testing import CliRunner

    from policydsl.cli import main

    result = CliRunner().invoke(main, ["fmt", "-"], input=UNFORMATTED)
    assert (result.exit_code, result.stdout) == (0, FORMATTED)
    checked = CliRunner().invoke(main, ["fmt", "--check", "-"], input=UNFORMATTED)
    assert (checked.exit_code, checked.stdout) == (1, "")
    clean = CliRunner().invoke(main, ["fmt", "--check", "-"], input=FORMATTED)
    assert clean.exit_code == 0
    broken = CliRunner().invoke(main, ["fmt", "-"], input="rule r when\n")
    assert broken.exit_code == 2 and "error[PD" in broken.stderr
    not_utf8 = CliRunner().invoke(main, ["fmt", "-"], input=b"clause G1 \"\xff\"\n")
    assert not_utf8.exit_code == 2 and "error[PD105]" in not_utf8.stderr


def test_fmt_diff_shows_the_change_and_writes_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from policydsl.cli import main

    path = tmp_path / "p.policy"
    path.write_text(UNFORMATTED, encoding="utf-8")
    result = CliRunner().invoke(main, ["fmt", "--diff", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[2:] == ["@@ -1,2 +1,3 @@", ' platform policy "p" version "1"',
                                              '-clause G1    "x"', "+", '+clause G1 "x"']
    assert path.read_text(encoding="utf-8") == UNFORMATTED
    path.write_text(FORMATTED, encoding="utf-8")
    assert CliRunner().invoke(main, ["fmt", "--diff", str(path)]).exit_code == 0
