"""The scale-out example (examples/dask_batch.py) decides a JSON Lines data set on dask exactly
as `policydsl eval` does. Skipped when dask is not installed (it is only in the `scaleout` extra)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policydsl import cli
from facts_strategies import BASE, requests_jsonl
from policy_sets import BASELINE, STINGY

pytest.importorskip("dask.bag")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))
import dask_batch  # noqa: E402


@pytest.mark.parametrize("scheduler", ["synchronous", "processes"])
def test_dask_matches_policydsl_eval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler: str) -> None:
    monkeypatch.setenv("POLICYDSL_CACHE_DIR", str(tmp_path / "cache"))
    policy = tmp_path / "stingy.policy"
    policy.write_text(STINGY, encoding="utf-8")
    (tmp_path / "in").mkdir()
    for i in range(3):  # several files, several partitions each
        (tmp_path / "in" / f"orders-{i}.jsonl").write_text(requests_jsonl(150, seed=i), encoding="utf-8")
    source = dask_batch.compile_policy([str(policy)])
    result = dask_batch.decide_files(source, str(tmp_path / "in" / "*.jsonl"), tmp_path / "out", blocksize=4000,
                                     scheduler=scheduler)
    written = result.files
    assert len(written) > 3
    got = [line for path in written for line in path.read_text(encoding="utf-8").splitlines()]

    expected = []
    failed = {}
    for i in range(3):
        path = str(tmp_path / "in" / f"orders-{i}.jsonl")
        evaluated = CliRunner().invoke(cli.main, ["eval", str(policy), "--facts", path])
        assert evaluated.exit_code == 2  # some lines are bad
        expected += evaluated.stdout.splitlines()
        failed[path] = sum(line.startswith('{"line"') for line in evaluated.stdout.splitlines())
    assert len(got) == len(expected)
    for mine, reference in zip(got, expected):
        if reference.startswith('{"line"'):
            codes = [e["code"] for e in json.loads(reference)["errors"]]
            assert [e["code"] for e in json.loads(mine)["errors"]] == codes
        else:
            assert mine == reference
    # Error records too are eval's: the line number in its input file (across partition
    # boundaries), and each error's code, message, line and hint.
    assert_same_output(got, expected)
    assert result.lines == len(expected) and result.failed == failed


def assert_same_output(got: list[str], expected: list[str]) -> None:
    """Decisions byte for byte; error records equal but for `column`, which the example gives
    only for JSON syntax errors (the compiled module does not know where a fact sits in the line)."""
    assert len(got) == len(expected)
    for mine, reference in zip(got, expected):
        if not reference.startswith('{"line"'):
            assert mine == reference
            continue
        mine_doc, ref_doc = json.loads(mine), json.loads(reference)
        assert list(mine_doc) == ["line", "errors"] and mine_doc["line"] == ref_doc["line"]
        assert len(mine_doc["errors"]) == len(ref_doc["errors"])
        for m, r in zip(mine_doc["errors"], ref_doc["errors"]):
            assert list(m) == list(r) == ["code", "message", "line", "column", "hint"]
            assert m["column"] in (None, r["column"])
            assert {**m, "column": None} == {**r, "column": None}


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "orders.jsonl").write_text(requests_jsonl(40), encoding="utf-8")
    code = dask_batch.main([str(BASELINE), str(tmp_path / "orders.jsonl"), "-o", str(tmp_path / "out"),
                            "--scheduler", "synchronous"])
    err = capsys.readouterr().err
    assert "wrote 1 file(s)" in err
    assert len((tmp_path / "out" / "00000.jsonl").read_text(encoding="utf-8").splitlines()) == \
        sum(1 for line in requests_jsonl(40).splitlines() if line.strip())
    # requests_jsonl puts a bad line at every 11th position from the 6th: as `policydsl eval`,
    # exit 2 and say how many lines failed.
    assert code == 2 and f"4 line(s) of {tmp_path / 'orders.jsonl'} were not valid facts" in err


def test_command_line_all_valid_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "orders.jsonl").write_text((json.dumps(BASE) + "\n") * 10, encoding="utf-8")
    code = dask_batch.main([str(BASELINE), str(tmp_path / "orders.jsonl"), "-o", str(tmp_path / "out"),
                            "--scheduler", "synchronous"])
    assert code == 0 and "not valid facts" not in capsys.readouterr().err


def test_error_records_carry_line_numbers_like_eval(tmp_path: Path) -> None:
    """Blank lines count, numbers run on across partitions and files restart at 1; CRLF and
    lone CR line ends split lines as Python's text files do."""
    good = json.dumps(BASE)
    text = "\n".join([good, "", "not json", good, "   ", "[1]", good, '{"order": 1}']) + "\n"
    text = text * 20 + good + "\r\n" + "{bad\r" + good + "\r\n"
    (tmp_path / "in").mkdir()
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / "in" / name).write_text(text, encoding="utf-8", newline="")
    source = dask_batch.compile_policy([str(BASELINE)])
    result = dask_batch.decide_files(source, str(tmp_path / "in" / "*.jsonl"), tmp_path / "out", blocksize=300,
                                     scheduler="synchronous")
    assert len(result.files) > 4
    got = [line for path in result.files for line in path.read_text(encoding="utf-8").splitlines()]
    expected = []
    for name in ("a.jsonl", "b.jsonl"):
        evaluated = CliRunner().invoke(cli.main, ["eval", str(BASELINE), "--facts", str(tmp_path / "in" / name)])
        assert evaluated.exit_code == 2
        expected += evaluated.stdout.splitlines()
    assert_same_output(got, expected)
    numbers = [json.loads(line)["line"] for line in got if line.startswith('{"line"')]
    assert numbers[:3] == [3, 6, 8] and numbers[-1] == 162


def test_no_input_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for missing in (str(tmp_path / "nothing" / "*.jsonl"), str(tmp_path / "absent.jsonl")):
        code = dask_batch.main([str(BASELINE), missing, "-o", str(tmp_path / "out"), "--scheduler", "synchronous"])
        err = capsys.readouterr().err
        assert code == 2
        assert err.startswith("dask_batch.py: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_policy_that_does_not_load_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "orders.jsonl").write_text(requests_jsonl(5), encoding="utf-8")
    code = dask_batch.main([str(tmp_path / "absent.policy"), str(tmp_path / "orders.jsonl"), "-o",
                            str(tmp_path / "out"), "--scheduler", "synchronous"])
    assert code == 2 and "absent.policy" in capsys.readouterr().err
