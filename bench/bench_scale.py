"""How the pipeline grows with the size of a policy: parse + analysis, the favourability check,
code generation (+ Python's compile) and one decision, for

  rules  merchant policies of N rules over disjoint regions (`order.agreed_service_days == i days`)
  or     one merchant rule whose condition is an N-way disjunction of the same tests

and the growth exponent between the two largest sizes (time ∝ N^k; k ≈ 1 is linear).

    python bench/bench_scale.py                      # N = 1,000 … 10,000 (about a minute)
    python bench/bench_scale.py --sizes 1000,100000 --stages load,compile,eval   # eval of 10^5 rules
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_check import GRANTS, synthetic  # noqa: E402

from policydsl.api import PolicySet, load_set  # noqa: E402
from policydsl.check import check_merchant  # noqa: E402
from policydsl.compile.codegen import generate_python  # noqa: E402

HEADER = 'merchant policy "synthetic" version "1" extends "wechat-channels-after-sales"\n\nclause M1 "x"\n\n'
FACTS = {"order": {"category": "general", "paid_at": "2026-10-01T12:00:00+08:00",
                   "signed_at": "2026-10-03T18:00:00+08:00", "settled": True, "extensions_used": 0,
                   "sanbao_covered": False, "agreed_service_days": 7},
         "request": {"at": "2026-10-20T10:00:00+08:00", "type": "return_refund", "reason": "no_reason",
                     "product_used": False, "quality_issue": False, "damage_cause": "none", "evidence": "provided"},
         "negotiation": {"stage": "open"}}


def disjunction(n: int) -> str:
    tests = " or ".join(f"order.agreed_service_days == {i} days" for i in range(n))
    modality, action = GRANTS[0]
    return HEADER + f"rule wide cites M1\n  when {tests}\n  then {modality} {action}\n"


def measure(text: str, stages: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.policy"
        path.write_text(text, encoding="utf-8")
        t0 = time.perf_counter()
        loaded = load_set([path])
        out["load"] = time.perf_counter() - t0
    ps = loaded.policy_set
    assert ps is not None, [d.message for d in loaded.diagnostics][:3]
    if "check" in stages:
        t0 = time.perf_counter()
        status = check_merchant(ps).status
        out["check"] = time.perf_counter() - t0
        assert status == "valid", status
    if "compile" in stages:
        t0 = time.perf_counter()
        compile(generate_python(ps), "<bench>", "exec")
        out["compile"] = time.perf_counter() - t0
    if "eval" in stages:
        for engine in ("compiled", "interpreter"):
            policy = PolicySet(ps, engine=engine)
            t0 = time.perf_counter()
            policy.decide(FACTS)
            out[f"eval:{engine}"] = time.perf_counter() - t0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,3000,10000")
    ap.add_argument("--stages", default="load,check,compile,eval")
    ap.add_argument("--shapes", default="rules,or")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    stages = args.stages.split(",")
    for shape in args.shapes.split(","):
        make = (lambda n: synthetic(n)) if shape == "rules" else disjunction
        rows = [(n, measure(make(n), stages)) for n in sizes]
        columns = list(rows[0][1])
        print(f"\n{shape}: " + "  ".join(f"{c:>16}" for c in ["N", *columns]))
        for n, times in rows:
            print(" " * (len(shape) + 2) + "  ".join([f"{n:>16}", *(f"{times[c]:>15.3f}s" for c in columns)]))
        if len(rows) >= 2:
            (n1, t1), (n2, t2) = rows[-2], rows[-1]
            exps = [math.log(max(t2[c], 1e-6) / max(t1[c], 1e-6)) / math.log(n2 / n1) for c in columns]
            print(" " * (len(shape) + 2) + "  ".join([f"{'exponent':>16}", *(f"{k:>16.2f}" for k in exps)]))


if __name__ == "__main__":
    main()
