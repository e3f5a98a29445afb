"""`policydsl diff`: load two policy sets, diff them exactly, replay an order history on both,
and re-check merchant files against the new baseline. The report renders as text or JSON
(docs/semantics.md §8)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from policydsl import ir
from policydsl.api import load_set, parse_file
from policydsl.check import check_merchant
from policydsl.check.diff import LESS, MORE, DiffResult, Incomparable, facts_for, only_one_side, semantic_diff
from policydsl.diagnostics import Diagnostic, PolicyDslError, Severity, render_text, sorted_diagnostics, to_json_dict
from policydsl.evaluate.facts import load_json, validate
from policydsl.evaluate.interpreter import evaluate
from policydsl.source import Source
from policydsl.tools.batch import iter_lines, not_utf8, open_facts

FIRST_LINES = 5  # line numbers kept per kind of changed decision
FORMAT_VERSION = 1


@attrs.frozen
class ChangeCount:
    """How many history lines the two sets decide differently on `action`, in `direction`."""

    action: str
    direction: str
    count: int
    first_lines: tuple[int, ...]


@attrs.frozen
class Replay:
    facts: str
    lines: int  # non-blank lines read
    changed_lines: int  # lines with at least one action decided differently
    changes: tuple[ChangeCount, ...]
    errors: tuple[Diagnostic, ...]  # lines that are not valid facts: skipped, one warning each (PD4xx)


@attrs.frozen
class MerchantCheck:
    """A merchant file checked against the new baseline (and the old one, when it is a platform set)."""

    path: str
    valid_before: bool | None  # None: the old set is not a platform baseline
    diagnostics: tuple[Diagnostic, ...]  # the check's errors against the new baseline

    @property
    def invalid(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    @property
    def invalidated(self) -> bool:
        """Invalid against the new baseline and not already invalid against the old one."""
        return self.invalid and self.valid_before is not False


@attrs.frozen
class DiffReport:
    old: str
    new: str
    result: DiffResult | None
    diagnostics: tuple[Diagnostic, ...] = ()
    replay: Replay | None = None
    merchants: tuple[MerchantCheck, ...] | None = None

    @property
    def exit_code(self) -> int:
        """0 never differ, 1 differ (or a merchant becomes invalid), 2 errors."""
        if self.result is None or self.result.status == "undecided" or any(d.is_error for d in self.diagnostics):
            return 2
        invalidated = any(m.invalidated for m in self.merchants or ())
        return 1 if self.result.status == "differ" or invalidated else 0

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "format": "policydsl-diff", "format_version": FORMAT_VERSION, "old": self.old, "new": self.new,
            "status": r.status if r is not None else "error",
            "only_one_side": list(r.only_one_side) if r is not None else [],
            "differences": [{"action": d.action, "direction": d.direction, "old": d.old, "new": d.new,
                             "counterexample": d.counterexample} for d in (r.differences if r else ())],
            "replay": None if self.replay is None else {
                "facts": self.replay.facts, "lines": self.replay.lines, "changed_lines": self.replay.changed_lines,
                "changes": [{"action": c.action, "direction": c.direction, "count": c.count,
                             "first_lines": list(c.first_lines)} for c in self.replay.changes],
                "errors": [to_json_dict(d) for d in self.replay.errors]},
            "merchants": None if self.merchants is None else [
                {"file": m.path, "valid_before": m.valid_before, "valid_after": not m.invalid,
                 "becomes_invalid": m.invalidated,
                 "diagnostics": [to_json_dict(d) for d in m.diagnostics]} for m in self.merchants],
            "diagnostics": [to_json_dict(d) for d in sorted_diagnostics(self.diagnostics)],
        }

    def render_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def render_text(self) -> str:
        out: list[str] = []
        if self.diagnostics:
            out.append(render_text(sorted_diagnostics(self.diagnostics)))
        r = self.result
        if r is None or r.status == "undecided":  # the diagnostics say why
            return "\n".join(out)
        out += [f"note: `{path}` is an optional fact only one of the two declares; the other decides without it"
                for path in r.only_one_side]
        if r.status == "same":
            out.append(f"{self.old} and {self.new} decide every request alike")
        else:
            actions = list(dict.fromkeys(d.action for d in r.differences))
            out.append(f"{self.old} -> {self.new}: {len(actions)} action(s) decided differently")
            for action in actions:
                for direction in (LESS, MORE):
                    here = [d for d in r.differences if d.action == action and d.direction == direction]
                    if here:
                        out.append(f"  {action}: {direction.replace('_', ' ')} to the buyer")
                    for d in here:
                        example = json.dumps(d.counterexample, ensure_ascii=False, separators=(",", ":"))
                        out.append(f"    {d.old or 'absent'} -> {d.new or 'absent'}: {example}")
        if self.replay is not None:
            rp = self.replay
            out.append(f"replay of {rp.facts}: {rp.lines} line(s), {rp.changed_lines} decided differently"
                       + (f", {len(rp.errors)} skipped (not valid facts)" if rp.errors else ""))
            for c in rp.changes:
                more = ", …" if c.count > len(c.first_lines) else ""
                out.append(f"  {c.action} {c.direction.replace('_', ' ')}: {c.count} "
                           f"(line{'s' if len(c.first_lines) > 1 else ''} {', '.join(map(str, c.first_lines))}{more})")
            out += [f"  {render_text([d])}" for d in rp.errors]
        if self.merchants is not None:
            invalid = [m for m in self.merchants if m.invalidated]
            already = sum(m.invalid and not m.invalidated for m in self.merchants)
            out.append(f"merchant files re-checked against {self.new}: {len(self.merchants)}, "
                       f"become invalid: {len(invalid)}" + (f" (invalid already: {already})" if already else ""))
            for m in invalid:
                out.append(f"  {m.path}: {'was valid, ' if m.valid_before else ''}invalid against {self.new}")
                out.append("\n".join("    " + line for line in render_text(m.diagnostics).splitlines()))
        return "\n".join(out)


def load_side(path: str | Path, baseline: str | Path | None) -> tuple[ir.PolicySet | None, list[Diagnostic]]:
    result = load_set([path], baseline)
    errors = [d for d in result.diagnostics if d.is_error]
    if errors or result.policy_set is None:
        return None, errors or list(result.diagnostics)
    return result.policy_set, []


def diff_sets(old: ir.PolicySet, new: ir.PolicySet) -> tuple[DiffResult | None, list[Diagnostic]]:
    """The solver's diff, or the diagnostic saying why it cannot be made (PD502, PD503)."""
    try:
        result = semantic_diff(old, new)
    except Incomparable as exc:
        return None, [Diagnostic(code="PD502", message=f"cannot compare the two policy sets: {exc}",
                                 hint="diff versions of one policy that read the same facts")]
    if result.status == "undecided":
        return result, [Diagnostic(code="PD503", message=f"cannot decide where the two differ: {result.reason}",
                                   hint="the exact solver covers every construct but a period of hours or months "
                                        "whose length is read from a fact")]
    return result, []


def replay(old: ir.PolicySet, new: ir.PolicySet, facts_path: str) -> Replay:
    """Decide every line of a JSON Lines history with both sets and count the changed decisions."""
    name = "<stdin>" if facts_path == "-" else facts_path
    with open_facts(facts_path) as stream:
        return replay_lines(old, new, iter_lines(stream), name)


def replay_lines(old: ir.PolicySet, new: ir.PolicySet, lines: Iterable[tuple[int, str]], name: str) -> Replay:
    actions = list(dict.fromkeys([a.name for a in new.actions] + [a.name for a in old.actions]))
    polarity = {a.name: a.polarity for a in (*old.actions, *new.actions)}
    counts: dict[tuple[str, str], list[int]] = {}
    totals: dict[tuple[str, str], int] = {}
    errors: list[Diagnostic] = []
    read = changed = 0
    alone = only_one_side(old, new)
    for number, text in lines:
        read += 1
        if not_utf8(text):
            errors.append(Diagnostic(code="PD401", message=f"line {number} of `{name}` is not UTF-8 text"))
            continue
        source = Source(name, text)
        try:
            data = load_json(text, source)
            if alone and isinstance(data, dict):  # an optional fact one set alone declares: the other never sees it
                d_old = evaluate(old, validate(facts_for(old, data), old, source))
                d_new = evaluate(new, validate(facts_for(new, data), new, source))
            else:
                d_old, d_new = evaluate(old, validate(data, old, source)), evaluate(new, validate(data, new, source))
        except PolicyDslError as exc:
            first = exc.diagnostics[0]
            more = f" (and {len(exc.diagnostics) - 1} more)" if len(exc.diagnostics) > 1 else ""
            errors.append(Diagnostic(code=first.code, severity=Severity.WARNING,
                                     message=f"line {number} of `{name}` is skipped: {first.message}{more}"))
            continue
        differs = False
        for action in actions:
            mo, mn = d_old.modality(action), d_new.modality(action)
            ro, rn = ir.modality_rank(polarity[action], mo), ir.modality_rank(polarity[action], mn)
            if ro != rn:
                key = (action, LESS if rn < ro else MORE)
                totals[key] = totals.get(key, 0) + 1
                kept = counts.setdefault(key, [])
                if len(kept) < FIRST_LINES:
                    kept.append(number)
                differs = True
        changed += differs
    changes = tuple(ChangeCount(a, d, totals[a, d], tuple(counts[a, d]))
                    for a in actions for d in (LESS, MORE) if (a, d) in totals)
    return Replay(name, read, changed, changes, tuple(errors))


def recheck_merchants(old_path: str | Path, old: ir.PolicySet, new_path: str | Path,
                      directory: str | Path) -> tuple[tuple[MerchantCheck, ...], list[Diagnostic]]:
    """Every merchant file under `directory` checked against the new baseline (and the old one)."""
    out: list[MerchantCheck] = []
    problems: list[Diagnostic] = []
    files = sorted(Path(directory).rglob("*.policy"))
    if not files:
        problems.append(Diagnostic(code="PD001", message=f"no .policy files in `{directory}`"))
    for path in files:
        parsed = parse_file(path)
        if parsed.policy is not None and not parsed.policy.is_merchant:
            continue  # a platform file in the directory: not a merchant's
        loaded = load_set([path], new_path)
        errors = [d for d in loaded.diagnostics if d.is_error]
        if errors or loaded.policy_set is None or loaded.policy_set.baseline is None:
            out.append(MerchantCheck(str(path), None, tuple(errors or loaded.diagnostics)))
            continue
        after = check_merchant(loaded.policy_set)
        before: bool | None = None
        if old.baseline is None:
            first = load_set([path], old_path)
            if first.ok and first.policy_set is not None and first.policy_set.baseline is not None:
                before = check_merchant(first.policy_set).status == "valid"
        out.append(MerchantCheck(str(path), before, tuple(d for d in after.diagnostics if d.is_error)))
    return tuple(out), problems


def usage_problems(facts: str | None, merchants: str | Path | None) -> tuple[Diagnostic, ...]:
    """PD001 for a `--facts` file that cannot be read or a `--merchants` path that is no directory."""
    problems = []
    if facts is not None and facts != "-" and not Path(facts).is_file():
        why = "not a file" if Path(facts).exists() else "no such file"
        problems.append(Diagnostic(code="PD001", message=f"cannot read `{facts}`: {why}", file=str(facts),
                                   hint="--facts takes a JSON Lines order history"))
    if merchants is not None and not Path(merchants).is_dir():
        why = "a file, not a directory" if Path(merchants).exists() else "no such directory"
        problems.append(Diagnostic(code="PD001", message=f"cannot read `{merchants}`: {why}", file=str(merchants),
                                   hint="--merchants takes a directory of merchant .policy files (searched "
                                        "recursively)"))
    return tuple(problems)


def diff_files(old_path: str | Path, new_path: str | Path, *, baseline: str | Path | None = None,
               facts: str | None = None, merchants: str | Path | None = None,
               old_baseline: str | Path | None = None, new_baseline: str | Path | None = None) -> DiffReport:
    """`policydsl diff OLD NEW [--facts F] [--merchants DIR]`. A merchant file on either side is
    loaded with its own baseline: `old_baseline`/`new_baseline`, else `baseline`, else by name."""
    names = (str(old_path), str(new_path))
    unusable = usage_problems(facts, merchants)
    if unusable:  # before the diff is computed: a mistyped path never costs a whole diff
        return DiffReport(*names, None, unusable)
    old, d_old = load_side(old_path, old_baseline or baseline)
    new, d_new = load_side(new_path, new_baseline or baseline)
    if old is None or new is None:
        return DiffReport(*names, None, tuple(dict.fromkeys(d_old + d_new)))  # the same mistake once
    result, diags = diff_sets(old, new)
    report = DiffReport(*names, result, tuple(diags))
    if result is None:
        return report
    if facts is not None:
        try:
            report = attrs.evolve(report, replay=replay(old, new, facts))
        except OSError as exc:
            return attrs.evolve(report, diagnostics=(*report.diagnostics, Diagnostic(
                code="PD001", message=f"cannot read `{facts}`: {exc.strerror or exc}")))
    if merchants is not None:
        if new.baseline is not None:
            return attrs.evolve(report, diagnostics=(*report.diagnostics, Diagnostic(
                code="PD504", message=f"--merchants re-checks merchant files against NEW, and `{new_path}` is a "
                                      f"merchant policy", hint="give a platform policy as NEW")))
        checked, problems = recheck_merchants(old_path, old, new_path, merchants)
        report = attrs.evolve(report, merchants=checked, diagnostics=(*report.diagnostics, *problems))
    return report
