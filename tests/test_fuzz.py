"""Fuzzing that stays in the repository: hostile inputs through the whole pipeline.

  policy text   byte and token mutations of the shipped policies → parse → analyse →
                format → compile → both engines. Nothing may raise: every problem is a
                diagnostic; a file that parses formats idempotently; one that loads compiles,
                and both engines decide its in-file tests' facts alike.
  facts         mutated facts through both engines: the same errors, or the same decision.
  JSON Lines    random records and odd whitespace through the batch reader: one output line
                per record (tests/test_batch.py has the property in full).

Short by default. A long run (about 1,000,000 inputs over a few hours on two cores):

    POLICYDSL_FUZZ_EXAMPLES=200000 python -m pytest tests/test_fuzz.py -q -p no:cacheprovider
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facts_strategies import mutated_facts, valid_facts
from policydsl.api import load_set, make_backend
from policydsl.compile.codegen import generate_python
from policydsl.diagnostics import PolicyDslError
from policydsl.evaluate.facts import FactsInputError
from policydsl.semantics import analyze
from policydsl.syntax import parse
from policydsl.syntax.formatter import format_source
from policy_sets import BASELINE, MERCHANTS

EXAMPLES = int(os.environ.get("POLICYDSL_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
SOURCES = [BASELINE, *MERCHANTS]
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in SOURCES}
BASELINE_SET = load_set([BASELINE]).policy_set
TOKENS = ["(", ")", "and", "or", "not", "when", "then", "must", "must_not", "{", "}", ",", "=", "==", "\"",
          "#", "\n", "rule", "period", "let", "scenario", "days", "hours", "year", "cites", "replaces", "9" * 30,
          "\\u", "\\", "é", "\u3000", "\r", "\x00", "given", "expect", "facts", "base", "null", "test"]


@st.composite
def mutated_policies(draw) -> tuple[str, str]:
    """(file name, text): a shipped policy with a few insertions, deletions or swaps."""
    name = draw(st.sampled_from(sorted(TEXTS)))
    text = TEXTS[name]
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)))
        if how == "insert":
            text = text[:at] + piece + " " + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        else:
            text = text[:at] + piece + text[at + len(piece):]
    return name, text


@FUZZ
@given(case=mutated_policies())
def test_mutated_policies_never_crash_the_pipeline(case: tuple[str, str]) -> None:
    name, text = case
    parsed = parse(text, name)
    if parsed.diagnostics:
        assert all(d.code and d.span is not None for d in parsed.diagnostics)
        return
    formatted = format_source(text, name)
    assert formatted.output is not None and formatted.output == format_source(formatted.output, name).output
    if parsed.policy.is_merchant:
        platform = parse(TEXTS[BASELINE.name], BASELINE.name).policy
        analysis = analyze(platform, parsed.policy)
    else:
        analysis = analyze(parsed.policy)
    if analysis.policy_set is None:
        assert any(d.is_error for d in analysis.diagnostics)
        return
    compile(generate_python(analysis.policy_set), "<fuzz>", "exec")
    engines = [make_backend(analysis.policy_set, e) for e in ("compiled", "interpreter")]
    for case_ in analysis.tests[:5]:
        results = []
        for backend in engines:
            try:
                results.append(backend.decision_dict(backend.validate(case_.facts)))
            except FactsInputError as exc:
                results.append(sorted(d.code for d in exc.diagnostics))
        assert results[0] == results[1], case_.title


@FUZZ
@given(facts=st.one_of(valid_facts(), mutated_facts()))
def test_mutated_facts_give_the_same_answer_in_both_engines(facts) -> None:
    answers = []
    for engine in ("compiled", "interpreter"):
        backend = make_backend(BASELINE_SET, engine)
        try:
            answers.append(backend.decision_dict(backend.validate(facts)))
        except PolicyDslError as exc:
            answers.append(sorted((d.code, d.message) for d in exc.diagnostics))
    assert answers[0] == answers[1]
