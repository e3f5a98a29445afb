"""Stage 3, facts: one after-sales request (JSON) validated against the declared facts (PD401–PD409).

Every bad input is an input error that names the fact path and what was expected:
never a crash, never a silent default. Through the CLI it exits 2 and prints
`file:line:col: error[PD4xx]` pointing at the bad value in the facts file (at the key of an
unknown fact, or of the object that lacks a missing one).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core_helpers import BASELINE_PATH, assert_no_traceback, one, run_cli, underlined, where
from facts_strategies import DELETE, base_facts, with_facts
from policydsl.evaluate.facts import FactsInputError, load_json, validate
from policydsl.source import Source


def problems(baseline, facts) -> list:
    with pytest.raises(FactsInputError) as info:
        baseline.decide(facts)
    return list(info.value.diagnostics)


def eval_file(tmp_path: Path, facts, name: str = "request.json"):
    """`policydsl eval BASELINE --facts FILE` with `facts` written as indented JSON (or as given text)."""
    path = tmp_path / name
    path.write_text(facts if isinstance(facts, str) else json.dumps(facts, indent=2, ensure_ascii=False),
                    encoding="utf-8")
    result = run_cli("eval", str(BASELINE_PATH), "--facts", str(path))
    assert_no_traceback(result)
    return path, result


# (changes to the base facts, code, fact path named, words the message must contain)
BAD_INPUTS = {
    "missing fact": ({"request.evidence": DELETE}, "PD402", "request.evidence",
                     "missing fact `request.evidence` (one of none, provided, verified, refuted)"),
    "missing nullable fact": ({"order.signed_at": DELETE}, "PD402", "order.signed_at",
                              "missing fact `order.signed_at` (an RFC 3339 timestamp with offset, or null)"),
    "unknown key": ({"order.colour": "red"}, "PD403", "order.colour", "unknown fact `order.colour`"),
    "unknown top-level key": ({"customer": {"vip": True}}, "PD403", "customer", "unknown fact `customer`"),
    "bool given as 1": ({"order.settled": 1}, "PD404", "order.settled",
                        "`order.settled` must be true or false, got the number 1"),
    "bool given as 0": ({"request.product_used": 0}, "PD404", "request.product_used",
                        "`request.product_used` must be true or false, got the number 0"),
    "bool given as a string": ({"request.quality_issue": "true"}, "PD404", "request.quality_issue",
                               "`request.quality_issue` must be true or false, got the string \"true\""),
    "count given as a string": ({"order.extensions_used": "3"}, "PD404", "order.extensions_used",
                                "`order.extensions_used` must be a whole number, got the string \"3\""),
    "count given as a float": ({"order.extensions_used": 3.0}, "PD404", "order.extensions_used",
                               "`order.extensions_used` must be a whole number, got the number 3.0"),
    "count given as a bool": ({"order.agreed_service_days": True}, "PD404", "order.agreed_service_days",
                              "`order.agreed_service_days` must be a whole number, got a bool"),
    "null where not nullable": ({"order.paid_at": None}, "PD404", "order.paid_at",
                                "`order.paid_at` must be an RFC 3339 timestamp with offset, got null"),
    "enum given as a number": ({"request.type": 1}, "PD404", "request.type", "`request.type` must be a string"),
    "object where a group is expected": ({"negotiation": "open"}, "PD404", "negotiation",
                                         "`negotiation` must be a JSON object holding facts (stage), got the string \"open\""),
    "unknown enum value": ({"request.reason": "no-reason"}, "PD405", "request.reason",
                           "`request.reason` has no value `no-reason`; expected one of no_reason, quality"),
    "unknown category": ({"order.category": "furniture"}, "PD405", "order.category",
                         "`order.category` has no value `furniture`"),
    "timestamp without offset": ({"order.paid_at": "2026-10-01T12:00:00"}, "PD406", "order.paid_at",
                                 "`order.paid_at`: the timestamp has no UTC offset; add one such as +08:00 or Z"),
    "date only": ({"request.at": "2026-10-20"}, "PD406", "request.at",
                  "`request.at`: not an RFC 3339 timestamp such as 2026-10-01T12:00:00+08:00"),
    "impossible date": ({"request.at": "2026-02-30T10:00:00+08:00"}, "PD406", "request.at",
                        "`request.at`: not a valid date or time"),
    "offset out of range": ({"request.at": "2026-10-20T10:00:00+24:00"}, "PD406", "request.at", "`request.at`"),
    "negative count": ({"order.extensions_used": -1}, "PD407", "order.extensions_used",
                       "`order.extensions_used` must be 0 or more, got -1"),
    "negative agreed days": ({"order.agreed_service_days": -5}, "PD407", "order.agreed_service_days",
                             "`order.agreed_service_days` must be 0 or more, got -5"),
    "signed before paid": ({"order.signed_at": "2026-09-30T12:00:00+08:00"}, "PD408", "order.signed_at",
                           "contradictory facts: `order.signed_at` (2026-09-30T12:00:00+08:00) is before "
                           "`order.paid_at` (2026-10-01T12:00:00+08:00)"),
    "request before paid": ({"request.at": "2026-10-01T11:59:59+08:00"}, "PD408", "request.at",
                            "contradictory facts: `request.at` (2026-10-01T11:59:59+08:00) is before "
                            "`order.paid_at` (2026-10-01T12:00:00+08:00)"),
}


def broken(changes: dict) -> dict:
    return with_facts(None, **{k.replace(".", "__"): v for k, v in changes.items()})


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_facts_are_input_errors_naming_the_fact(baseline, case):
    changes, code, path, words = BAD_INPUTS[case]
    d = one(problems(baseline, broken(changes)), code)
    assert f"`{path}`" in d.message
    assert words in d.message


def test_a_group_that_is_not_an_object_is_one_error_not_also_its_missing_facts(baseline):
    found = problems(baseline, broken({"negotiation": "open"}))
    assert [d.code for d in found] == ["PD404"] and "`negotiation`" in found[0].message


def key_position(text: str, path: str) -> tuple[int, int, str]:
    """(line, column, key) of the deepest key of `path` present in indented JSON text: the fact's
    own key, or the object that should hold a missing one."""
    lines = text.splitlines()
    found = (1, 1, "")
    start = 0
    for depth, segment in enumerate(path.split("."), start=1):
        prefix = " " * (2 * depth) + json.dumps(segment) + ":"
        index = next((i for i in range(start, len(lines)) if lines[i].startswith(prefix)), None)
        if index is None:
            break
        found, start = (index + 1, 2 * depth + 1, json.dumps(segment)), index + 1
    return found


KEY_CODES = ("PD402", "PD403")  # a missing or unknown fact: the caret is under a key, not a value


def value_text(facts: dict, path: str) -> str:
    """How the value of `path` starts in json.dumps(facts, indent=2): the whole scalar, or `{`/`[`."""
    value: object = facts
    for segment in path.split("."):
        value = value[segment]
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, (dict, list)) else json.dumps(value)[0]


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_facts_exit_2_through_the_cli(tmp_path, case):
    changes, code, path, words = BAD_INPUTS[case]
    facts = broken(changes)
    file, result = eval_file(tmp_path, facts)
    assert result.exit_code == 2
    assert result.stdout == ""  # no decision is printed
    assert f"`{path}`" in result.stderr and words in result.stderr
    line, column, key = key_position(file.read_text(), path)
    if code not in KEY_CODES:  # the caret sits under the value, after `"key": `
        column, key = column + len(key) + 2, value_text(facts, path)
    lines = result.stderr.splitlines()
    at = next(i for i, text in enumerate(lines) if f"error[{code}]: " in text)
    first, source_line, caret = lines[at], lines[at + 2], lines[at + 3]
    assert first.startswith(f"{file}:{line}:{column}: error[{code}]: ")
    under = caret.split(" | ", 1)[1]
    assert source_line.split(" | ", 1)[1][under.index("^"):under.rindex("^") + 1] == key


def test_the_diagnostic_points_at_the_value_in_the_file(tmp_path):
    facts = with_facts(order__extensions_used="3")
    file, result = eval_file(tmp_path, facts)
    text = file.read_text()
    line = text.splitlines().index('    "extensions_used": "3",') + 1
    assert result.stderr.splitlines()[0] == (
        f'{file}:{line}:24: error[PD404]: `order.extensions_used` must be a whole number, got the string "3"')
    assert result.stderr.splitlines()[2].endswith('|     "extensions_used": "3",')
    assert result.stderr.splitlines()[3].endswith("|     " + " " * len('"extensions_used": ') + "^" * len('"3"'))


def test_a_bad_timestamp_is_underlined_not_its_key(tmp_path):
    file, result = eval_file(tmp_path, with_facts(order__paid_at="2026-10-01T12:00:00"))
    line = file.read_text().splitlines().index('    "paid_at": "2026-10-01T12:00:00",') + 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{file}:{line}:16: error[PD406]: `order.paid_at`: the timestamp has no UTC offset")
    assert lines[2].endswith('|     "paid_at": "2026-10-01T12:00:00",')
    assert lines[3].endswith("|                " + "^" * len('"2026-10-01T12:00:00"'))


def test_location_of_a_fact_in_the_json_text(baseline):
    text = json.dumps(with_facts(request__reason="refund"), indent=2)
    source = Source("f.json", text)
    with pytest.raises(FactsInputError) as info:
        baseline.validate(load_json(text, source), source)
    d = one(list(info.value.diagnostics), "PD405")
    assert underlined(d) == '"refund"'
    assert where(d) == (text.splitlines().index('    "reason": "refund",') + 1, 15)


@pytest.mark.parametrize("changes, code, under", [
    ({"order.paid_at": "2026-10-01T12:00:00"}, "PD406", '"2026-10-01T12:00:00"'),
    ({"order.extensions_used": -1}, "PD407", "-1"),
    ({"order.settled": None}, "PD404", "null"),
    ({"order.settled": [True]}, "PD404", "["),
    ({"negotiation": 7}, "PD404", "7"),
    ({"request.reason": "later"}, "PD405", '"later"'),
    ({"order.colour": "red"}, "PD403", '"colour"'),
])
def test_location_in_compact_json(baseline, changes, code, under):
    text = json.dumps(broken(changes), separators=(",", " :  "))  # one line, odd spacing around `:`
    source = Source("f.json", text)
    with pytest.raises(FactsInputError) as info:
        baseline.validate(load_json(text, source), source)
    d = one(list(info.value.diagnostics), code)
    assert underlined(d) == under


def test_a_missing_fact_is_shown_at_the_object_that_lacks_it(baseline):
    text = json.dumps(with_facts(request__evidence=DELETE), indent=2)
    source = Source("f.json", text)
    with pytest.raises(FactsInputError) as info:
        baseline.validate(load_json(text, source), source)
    d = one(list(info.value.diagnostics), "PD402")
    assert underlined(d) == '"request"' and where(d) == (text.splitlines().index('  "request": {') + 1, 3)


def test_not_json_at_all(tmp_path):
    file, result = eval_file(tmp_path, "order: general\n")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{file}:1:1: error[PD401]: facts are not valid JSON: Expecting value")
    assert "JSON Lines" in result.stderr  # the hint


def test_json_syntax_error_has_its_line_and_column(tmp_path):
    text = json.dumps(base_facts(), indent=2).replace('"settled": true,', '"settled": true,,')
    file, result = eval_file(tmp_path, text)
    line = text.splitlines().index('    "settled": true,,') + 1
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{file}:{line}:21: error[PD401]: ")  # the second comma


def test_top_level_array(tmp_path):
    file, result = eval_file(tmp_path, [base_facts()])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{file}:1:1: error[PD404]: facts must be a JSON object, got a list")


@pytest.mark.parametrize("text, words", [
    ("1" * 5000, "facts are not valid JSON"),  # more digits than Python converts
    ("[" * 100_000, "facts are not valid JSON: nested too deeply"),
    ("", "facts are not valid JSON"),
    ("null", "facts must be a JSON object, got null"),
    ('"order"', 'facts must be a JSON object, got the string "order"'),
])
def test_other_non_object_inputs(tmp_path, text, words):
    file, result = eval_file(tmp_path, text)
    assert result.exit_code == 2
    assert words in result.stderr


def test_facts_file_not_utf8(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(with_facts(order__category="caf\xe9"), ensure_ascii=False).encode("latin-1"))
    result = run_cli("eval", str(BASELINE_PATH), "--facts", str(path))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert "error[PD401]: " in result.stderr and "not UTF-8" in result.stderr


def test_missing_facts_file(tmp_path):
    result = run_cli("eval", str(BASELINE_PATH), "--facts", str(tmp_path / "nope.json"))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert "error[PD001]: cannot read" in result.stderr


def test_every_problem_is_reported_at_once(baseline):
    facts = with_facts(order__settled=1, order__extensions_used=-2, request__evidence=DELETE,
                       request__reason="later", order__colour="red", request__at="2026-10-20T10:00:00")
    found = sorted((d.code, d.message.split("`")[1]) for d in problems(baseline, facts))
    assert found == [("PD402", "request.evidence"), ("PD403", "order.colour"), ("PD404", "order.settled"),
                     ("PD405", "request.reason"), ("PD406", "request.at"), ("PD407", "order.extensions_used")]


def test_contradictions_are_checked_once_every_fact_is_valid(baseline):
    # signed before paid, but also a type error: only the type error is reported
    facts = with_facts(order__signed_at="2026-09-30T12:00:00+08:00", order__settled="yes")
    assert [d.code for d in problems(baseline, facts)] == ["PD404"]


def test_unknown_key_suggests_the_nearest_fact(baseline):
    d = one(problems(baseline, with_facts(request__evidense="provided", request__evidence=DELETE)), "PD403")
    assert d.hint == "did you mean `request.evidence`?"


def test_unknown_enum_value_suggests_the_nearest_value(baseline):
    d = one(problems(baseline, with_facts(request__evidence="verifed")), "PD405")
    assert d.hint == "did you mean `verified`?"


@pytest.mark.parametrize("stamp", ["2026-10-01T12:00:00+08:00", "2026-10-01T04:00:00Z", "2026-10-01T04:00:00z",
                                   "2026-10-01 12:00:00+08:00", "2026-10-01T12:00:00.000+08:00",
                                   "2026-09-30T23:00:00-05:00"])
def test_accepted_timestamp_spellings(baseline, stamp):
    flat = baseline.validate(with_facts(order__paid_at=stamp))
    assert flat["order.paid_at"] == baseline.validate(base_facts())["order.paid_at"]


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-23:59"])
def test_timestamps_that_cannot_be_written_in_china_time(baseline, stamp):
    facts = with_facts(order__paid_at=stamp, request__at=stamp, order__signed_at=None)
    found = problems(baseline, facts)
    assert {d.code for d in found} == {"PD406"}
    assert "outside the years 0001–9999" in found[0].message


def test_equal_timestamps_are_not_contradictory(baseline):
    stamp = "2026-10-01T12:00:00+08:00"
    flat = baseline.validate(with_facts(order__signed_at=stamp, request__at="2026-10-01T04:00:00Z"))
    assert flat["order.paid_at"] == flat["order.signed_at"] == flat["request.at"]


def test_valid_facts_become_a_flat_mapping(baseline):
    flat = validate(base_facts(), baseline.ir)
    assert set(flat) == {f.path for f in baseline.ir.facts}
    assert flat["order.category"] == "general" and flat["order.agreed_service_days"] is None
    assert flat["order.paid_at"] == 1_790_827_200 * 1_000_000  # 2026-10-01T04:00:00Z in epoch microseconds
    assert flat["request.at"] - flat["order.paid_at"] == (18 * 24 + 22) * 3600 * 1_000_000


def test_validation_does_not_change_its_input(baseline):
    facts = base_facts()
    before = json.dumps(facts, sort_keys=True)
    baseline.decide(facts)
    assert json.dumps(facts, sort_keys=True) == before


# ---- strict JSON and strict RFC 3339 (from a review of the engines) ---------------------------------

def _text_with(old: str, new: str) -> str:
    text = json.dumps(base_facts(), indent=2)
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_pd409_a_fact_given_twice_is_an_error_not_the_last_copy(tmp_path):
    text = _text_with('"category": "general",', '"category": "books", "category": "general",')
    path, result = eval_file(tmp_path, text)
    assert result.exit_code == 2
    assert "error[PD409]: `order.category` is given more than once" in result.stderr
    with pytest.raises(FactsInputError) as info:
        load_json(text, Source("f.json", text))
    [d] = info.value.diagnostics
    line = text.splitlines()[d.span.line - 1]
    assert line[d.span.column - 1:].startswith('"category": "general"')  # the second copy


def test_an_unknown_dotted_key_keeps_its_did_you_mean():
    facts = base_facts()
    facts["order.categry"] = "books"
    d = one(problems_of(facts), "PD403")
    assert d.message == "unknown fact `order.categry`" and d.hint == "did you mean `order.category`?"


def test_a_dotted_key_is_not_a_fact(tmp_path):
    """`{"order.category": …}` at the top level is no fact (facts are nested by group, docs/semantics.md §1): one
    PD403 naming where it belongs, and no PD402 for the same fact."""
    facts = base_facts()
    del facts["order"]["category"]
    facts["order.category"] = "books"
    d = one(problems_of(facts), "PD403")
    assert "`order.category`" in d.message and d.hint == 'nest it: {"order": {"category": …}}'
    assert [x.code for x in problems_of(facts)] == ["PD403"]


def problems_of(facts) -> list:
    with pytest.raises(FactsInputError) as info:
        from policydsl.api import load
        load(BASELINE_PATH, engine="interpreter").decide(facts)
    return list(info.value.diagnostics)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(tmp_path, literal):
    path, result = eval_file(tmp_path, _text_with('"extensions_used": 0', f'"extensions_used": {literal}'))
    assert result.exit_code == 2 and "error[PD401]" in result.stderr and literal.lstrip("-") in result.stderr


def test_a_leading_byte_order_mark_is_skipped(tmp_path):
    path, result = eval_file(tmp_path, "\ufeff" + json.dumps(base_facts()))
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(("stamp", "accepted"), [
    ("2026-10-20T10:00:00+08:00", True),
    ("2026-10-20T10:00:00.1234567891+08:00", True),  # RFC 3339 puts no limit on the fraction
    ("2026-10-20t10:00:00z", True),
    ("２０２６-１０-２０T１０:００:００+０８:００", False),  # full-width digits are not RFC 3339 digits
    ("٢٠٢٦-١٠-٢٠T١٠:٠٠:٠٠+٠٨:٠٠", False),  # nor are Arabic-Indic ones
    ("2026-10-20T10:Z\u0000:00+08:00", False),  # the compiled fast path once read this as 10:00Z
    ("2026-10-20T23:59:60+08:00", False),  # a leap second: said so, not a Python error
])
def test_timestamps_are_read_alike_by_both_engines(stamp, accepted):
    from policydsl.api import load

    facts = with_facts(None, request__at=stamp)
    outcomes = []
    for engine in ("compiled", "interpreter"):
        try:
            outcomes.append(load(BASELINE_PATH, engine=engine).decide(facts).to_json())
        except FactsInputError as exc:
            assert [d.code for d in exc.diagnostics] == ["PD406"]
            outcomes.append(exc.diagnostics[0].message)
    assert outcomes[0] == outcomes[1]
    assert accepted == outcomes[0].startswith("{")
    if stamp.endswith("60+08:00"):
        assert "leap seconds" in outcomes[0]
