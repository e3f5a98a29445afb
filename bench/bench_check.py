"""How long `policydsl check` takes: each shipped merchant example, then synthetic merchant
policies of 10, 100 and 1,000 rules over independent regions.

    python bench/bench_check.py            # the table
    python bench/bench_check.py --profile  # plus a cProfile of the largest synthetic policy

Synthetic rule i fires when `order.agreed_service_days == i days` (disjoint regions) and grants
one pro-buyer action (must/should, cycling through them) or forbids a pro-merchant one, so
every synthetic policy is valid and the checker has to prove that for every action.
Times are for the favourability check alone (`check_merchant` on an already-loaded set),
best of `--repeat` runs; loading (parse + analysis) is shown apart.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policydsl.api import load_set  # noqa: E402
from policydsl.check import check_merchant  # noqa: E402

EXAMPLES = sorted((ROOT / "policies" / "merchants").glob("*.policy"))
REJECTED = sorted((ROOT / "policies" / "merchants" / "rejected").glob("*.policy"))

GRANTS = [("must", "reopen_after_sales"), ("should", "assist_return"), ("must", "check_courier_damage"),
          ("must", "negotiate_other_remedy"), ("should", "offer_small_compensation"),
          ("must_not", "inform_resale_affected"), ("must", "apply_agreed_period"),
          ("must_not", "explain_no_reason_exclusion")]


def synthetic(n: int) -> str:
    lines = ['merchant policy "synthetic" version "1" extends "wechat-channels-after-sales"', "",
             'clause M1 "Per-order agreed periods, each with its own promise"', ""]
    for i in range(n):
        modality, action = GRANTS[i % len(GRANTS)]
        lines += [f"rule promise_{i} cites M1", f"  when order.agreed_service_days == {i} days",
                  f"  then {modality} {action}"]
    return "\n".join(lines) + "\n"


def timed(path: Path, repeat: int) -> tuple[float, float, str]:
    t0 = time.perf_counter()
    loaded = load_set([path])
    load = time.perf_counter() - t0
    ps = loaded.policy_set
    assert ps is not None, [d.message for d in loaded.diagnostics]
    best = float("inf")
    status = ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        status = check_merchant(ps).status
        best = min(best, time.perf_counter() - t0)
    return load, best, status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="cProfile the check of the largest synthetic policy")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    width = max(len(str(p.relative_to(ROOT))) for p in EXAMPLES + REJECTED)
    print(f"{'example':{width}s} {'status':>10s} {'load s':>8s} {'check s':>9s}")
    for path in EXAMPLES + REJECTED:
        load, check, status = timed(path, args.repeat)
        print(f"{str(path.relative_to(ROOT)):{width}s} {status:>10s} {load:8.3f} {check:9.3f}")
    print()
    print(f"{'rules':>6s} {'status':>10s} {'load s':>8s} {'seconds':>9s} {'s/rule':>9s}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"synthetic_{n}.policy"
            path.write_text(synthetic(n), encoding="utf-8")
            load, check, status = timed(path, args.repeat if n < 1000 else 1)
            print(f"{n:6d} {status:>10s} {load:8.3f} {check:9.3f} {check / n:9.5f}")
        if args.profile:
            path = Path(tmp) / f"synthetic_{sizes[-1]}.policy"
            ps = load_set([path]).policy_set
            profiler = cProfile.Profile()
            profiler.enable()
            check_merchant(ps)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(20)


if __name__ == "__main__":
    main()
