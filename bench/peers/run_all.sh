#!/usr/bin/env bash
# Run every engine in its own process, ROUNDS times (interleaved), then summarize.
# From the repository root, with a venv holding policydsl and the `peers` extra (README.md here):
#   VENV=.venv-peers OUT=bench/out/peers N=100000 REPEATS=3 ROUNDS=3 bash bench/peers/run_all.sh
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="${VENV:-.venv-peers}"
JL_VENV="${JL_VENV:-.venv-peers-jsonlogic}"
OUT="${OUT:-bench/out/peers}"
N="${N:-100000}"; REPEATS="${REPEATS:-3}"; ROUNDS="${ROUNDS:-3}"; BATCH="${BATCH:-1000}"
ENGINES="${ENGINES:-python policydsl policydsl-json policydsl-interpreter cedarpy zen zen-decision zen-expr opa-eval opa-golib rule-engine panzi-json-logic durable-rules}"
mkdir -p "$OUT"
for r in $(seq 1 "$ROUNDS"); do
  mkdir -p "$OUT/round$r"
  for e in $ENGINES; do
    echo "round $r: $e"
    "$VENV/bin/python" "$HERE/bench.py" --engine "$e" --n "$N" --repeats "$REPEATS" \
      --batch-size "$BATCH" --out "$OUT/round$r/$e.json" > /dev/null 2> "$OUT/round$r/$e.err"
  done
  # json-logic (qubit) needs its own venv: it ships json_logic/ like panzi-json-logic.
  if [ -x "$JL_VENV/bin/python" ]; then
    "$JL_VENV/bin/python" "$HERE/bench.py" --engine json-logic --n "$N" --repeats "$REPEATS" \
      --batch-size "$BATCH" --out "$OUT/round$r/json-logic.json" > /dev/null 2> "$OUT/round$r/json-logic.err"
  fi
done
"$VENV/bin/python" "$HERE/summarize.py" "$OUT" | tee "$OUT/summary.md"
