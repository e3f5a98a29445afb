"""The IR as JSON (policydsl.ir.jsonform): lossless, deterministic, and strict about what it reads."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from policydsl import ir
from policydsl.api import load_set
from policydsl.cli import main
from policydsl.ir.jsonform import FORMAT, FORMAT_VERSION, KINDS, IRFormatError, from_json, to_data, to_json
from policy_sets import BASELINE, GENEROUS, MERCHANTS, STINGY, adversarial_sets


def _load(path: Path) -> ir.PolicySet:
    result = load_set([path])
    assert result.policy_set is not None, [d.message for d in result.diagnostics]
    return result.policy_set


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ir.PolicySet]:
    directory = tmp_path_factory.mktemp("irjson")
    out = {"baseline": _load(BASELINE)}
    for name, text in (("generous", GENEROUS), ("stingy", STINGY)):
        (directory / f"{name}.policy").write_text(text, encoding="utf-8")
        out[name] = _load(directory / f"{name}.policy")
    out.update({p.name: _load(p) for p in MERCHANTS})
    return out


def test_every_ir_node_class_has_a_kind() -> None:
    classes = {cls for _, cls in inspect.getmembers(ir, inspect.isclass)
               if attrs.has(cls) and cls.__module__ == ir.nodes.__name__}
    assert classes == set(KINDS)
    assert len(set(KINDS.values())) == len(KINDS)


def test_round_trip_is_lossless(sets: dict[str, ir.PolicySet]) -> None:
    for name, ps in sets.items():
        text = to_json(ps)
        back = from_json(text)
        assert back == ps, name
        assert back.baseline == ps.baseline, name
        assert (back.baseline is None) == (ps.merchant is None), name
        assert to_json(back) == text, name
        assert from_json(to_json(ps, indent=2)) == ps


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=adversarial_sets())
def test_round_trip_keeps_any_text(case: tuple[ir.PolicySet, list[str]]) -> None:
    ps, _ = case
    text = to_json(ps)
    assert text.isascii()
    back = from_json(text)
    assert back == ps and back.baseline == ps.baseline and to_json(back) == text


def test_document_shape(sets: dict[str, ir.PolicySet]) -> None:
    doc = to_data(sets["stingy"])
    assert (doc["format"], doc["format_version"]) == (FORMAT, FORMAT_VERSION)
    top = doc["policy_set"]
    assert top["node"] == "policy_set" and top["baseline"]["node"] == "policy_set"
    assert top["baseline"]["baseline"] is None and top["merchant"] == "codegen-stingy"
    rule = next(r for r in top["rules"] if r["name"] == "no_reopen")
    assert rule["replaces"] == ["s3_1_case2_verified_defect"] and rule["condition"]["node"] == "and"
    assert "span" not in json.dumps(doc)
    assert next(f for f in top["facts"] if f["path"] == "order.signed_at") == {
        "node": "fact", "path": "order.signed_at", "kind": "timestamp", "nullable": True, "enum": None, "values": [],
        "optional": False, "unit": None}
    assert next(f for f in top["facts"] if f["path"] == "order.agreed_service_days")["unit"] == "days"


def test_compile_json_target(tmp_path: Path, sets: dict[str, ir.PolicySet]) -> None:
    from click.testing import CliRunner

    out = tmp_path / "baseline.ir.json"
    result = CliRunner().invoke(main, ["compile", str(BASELINE), "--target", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert from_json(out.read_text(encoding="utf-8")) == sets["baseline"]


@pytest.mark.parametrize(("text", "message"), [
    ("{", "not JSON"),
    ('{"format": "other"}', "not a policydsl-ir document"),
    ('{"format": "policydsl-ir", "format_version": 99}', "format_version 99 is not supported"),
    ('{"format": "policydsl-ir", "format_version": 2, "policy_set": {"node": "rule"}}', "needs 'name'"),
    ('{"format": "policydsl-ir", "format_version": 2, "policy_set": {"node": "nope"}}', "unknown node 'nope'"),
    ('{"format": "policydsl-ir", "format_version": 2, "policy_set": [1]}', "expected a policy_set node"),
])
def test_bad_documents_are_refused(text: str, message: str) -> None:
    with pytest.raises(IRFormatError, match=message):
        from_json(text)


def test_unknown_keys_are_refused(sets: dict[str, ir.PolicySet]) -> None:
    doc = to_data(sets["baseline"])
    doc["policy_set"]["rules"][0]["colour"] = "red"
    with pytest.raises(IRFormatError, match="policy_set.rules\\[0\\]: unknown key 'colour' in a rule node"):
        from_json(json.dumps(doc))
