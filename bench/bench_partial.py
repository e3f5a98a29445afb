"""How long partial decisions (`eval --partial`) and `why` take on the shipped baseline.

    python bench/bench_partial.py          # best and worst of 3 runs per case, in-process

Each case starts from a shipped facts file (examples/facts/) with some facts deleted (partial)
or as it is (why). The policy set is loaded once; the times are for `PolicySet.partial` and
`PolicySet.why` alone.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import policydsl  # noqa: E402

FACTS = ROOT / "examples" / "facts"


def without(facts: dict[str, Any], *paths: str) -> dict[str, Any]:
    out = copy.deepcopy(facts)
    for path in paths:
        group, key = path.split(".")
        del out[group][key]
    return out


def main() -> None:
    ps = policydsl.load(ROOT / "policies" / "platform" / "after_sales.policy")
    late = json.loads((FACTS / "late-quality-claim.json").read_text(encoding="utf-8"))
    apparel = json.loads((FACTS / "late-apparel-return.json").read_text(encoding="utf-8"))
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("partial: request.evidence, request.product_used unknown",
         lambda: ps.partial(without(late, "request.evidence", "request.product_used"))),
        ("partial: request.at unknown", lambda: ps.partial(without(late, "request.at"))),
        ("partial: order.paid_at, request.at unknown", lambda: ps.partial(without(late, "order.paid_at", "request.at"))),
        ("partial: six request facts unknown",
         lambda: ps.partial(without(late, "request.evidence", "request.product_used", "request.at",
                                    "request.damage_cause", "request.reason", "request.quality_issue"))),
        ("why: late apparel return -> must accept_request", lambda: ps.why(apparel, "accept_request", "must")),
        ("why: late quality claim -> not must reopen_after_sales",
         lambda: ps.why(late, "reopen_after_sales", negate=True)),
        ("why: must refuse_outright (impossible)", lambda: ps.why(late, "refuse_outright", "must")),
    ]
    for name, run in cases:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - start)
        what = (f"{len(result.possible)} possible, {len(result.ask)} asked" if hasattr(result, "possible")
                else f"{result.status}, {len(result.alternatives)} alternatives")
        print(f"{name:58s} best {min(times):6.3f} s  worst {max(times):6.3f} s  ({what})")


if __name__ == "__main__":
    main()
