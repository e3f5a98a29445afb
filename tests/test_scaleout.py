"""The scale-out example (examples/dask_batch.py) decides a JSON Lines data set on dask exactly
as `policydsl eval` does. Skipped when dask is not installed (it is only in the `scaleout` extra)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policydsl import cli
from test_batch import requests_jsonl
from test_codegen import BASELINE, STINGY

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
    written = dask_batch.decide_files(source, str(tmp_path / "in" / "*.jsonl"), tmp_path / "out", blocksize=4000,
                                      scheduler=scheduler)
    assert len(written) > 3
    got = [line for path in written for line in path.read_text(encoding="utf-8").splitlines()]

    expected = []
    for i in range(3):
        result = CliRunner().invoke(cli.main, ["eval", str(policy), "--facts", str(tmp_path / "in" / f"orders-{i}.jsonl")])
        expected += result.stdout.splitlines()
    assert len(got) == len(expected)
    for mine, reference in zip(got, expected):
        if reference.startswith('{"line"'):
            codes = [e["code"] for e in json.loads(reference)["errors"]]
            assert [e["code"] for e in json.loads(mine)["errors"]] == codes
        else:
            assert mine == reference


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "orders.jsonl").write_text(requests_jsonl(40), encoding="utf-8")
    code = dask_batch.main([str(BASELINE), str(tmp_path / "orders.jsonl"), "-o", str(tmp_path / "out"),
                            "--scheduler", "synchronous"])
    assert code == 0 and "wrote 1 file(s)" in capsys.readouterr().err
    assert len((tmp_path / "out" / "00000.jsonl").read_text(encoding="utf-8").splitlines()) == \
        sum(1 for line in requests_jsonl(40).splitlines() if line.strip())
