"""How long the semantic diff and mutation testing take on the shipped policies.

    python bench/bench_diff.py

Rows: the exact diff of the baseline against itself (every action, nothing to find) and
against the baseline with `quality_days = 10 days` (every modality pair found, minimised and
replayed); then `policydsl test --mutate` per shipped file, split into mutants, killed,
equivalent (each one exact diff), and the wall time. Best of one run: the numbers are for
comparing revisions on one machine, not absolute.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policydsl.api import load_set  # noqa: E402
from policydsl.check.diff import semantic_diff  # noqa: E402
from policydsl.tools.mutate import mutate_file  # noqa: E402

BASELINE = ROOT / "policies" / "platform" / "after_sales.policy"
FILES = [BASELINE, *sorted((ROOT / "policies" / "merchants").glob("*.policy"))]


def main() -> None:
    base = load_set([BASELINE]).policy_set
    text = BASELINE.read_text(encoding="utf-8").replace("param quality_days = 15 days", "param quality_days = 10 days")
    from policydsl.semantics import analyze
    from policydsl.syntax import parse

    shorter = analyze(parse(text, "shorter.policy").policy).policy_set
    assert base is not None and shorter is not None
    for name, other in (("baseline vs itself", base), ("baseline vs quality_days = 10", shorter)):
        start = time.perf_counter()
        result = semantic_diff(base, other)
        print(f"diff {name:32} {len(result.differences):3} differences  {time.perf_counter() - start:6.2f} s")
    for path in FILES:
        start = time.perf_counter()
        f = mutate_file(path)
        print(f"mutate {path.name:34} {f.total:4} mutants {f.killed:4} killed {f.equivalent:4} equivalent "
              f"{f.score:6.1f}%  {time.perf_counter() - start:6.2f} s")


if __name__ == "__main__":
    main()
