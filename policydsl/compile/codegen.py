"""Compile the IR of a policy set into a standalone Python module.

The module exposes

    validate(facts) -> flat facts                 # PD4xx checks of policydsl.evaluate.facts; raises FactsError
    decide_validated(flat_facts) -> dict          # the decision's JSON form (docs/semantics.md §4)
    decide(facts) -> dict                         # validate, then decide
    validate_fast(facts) -> flat facts or None    # `validate` for the usual shape, else None
    decide_validated_json(flat_facts) -> str      # the decision's JSON text, as `policydsl eval` prints it
    decide_json_fast(facts) -> str or None        # both, for facts of the usual shape, without the flat dict
    FactsError                                    # ValueError subclass; `.errors` lists dicts
    POLICY                                        # name, version, merchant, policydsl version

and needs only the standard library: the helpers of `policydsl.compile.runtime` are copied in.
`decide_validated(f)` returns exactly `policydsl.evaluate.interpreter.evaluate(ps, f).to_dict()`.

Safety (STYLE §8): code is built from the normalised IR only. Every value taken from a
policy reaches the text through `lit`, a repr restricted to bool/int/str/None and tuples
of them; fact paths appear only as string literals (`f['order.paid_at']`); every
identifier the generator writes is fixed or comes from a counter (`v3`, `c12`). No text
from a policy file is ever evaluated.

Speed: conditions are canonicalised (parameters and periods resolved, constants
folded) so that sub-conditions shared by scenarios, rules and the baseline are computed
once; period deadlines are integer arithmetic with constants folded in; baseline (G3)
comparisons are emitted only for actions a merchant rule or setting can change.
"""

from __future__ import annotations

import ast as pyast
import functools
import itertools
from pathlib import Path
from collections.abc import Iterator
from typing import NamedTuple

from policydsl import ir
from policydsl._version import __version__
from policydsl.compile import jsontext, runtime
from policydsl.compile.runtime import US_PER_DAY, US_PER_HOUR
from policydsl.compile.actions import ActionCode
from policydsl.compile.validation import ValidationCode
from policydsl.compile.emit import CodegenError, Code, Writer, concat, lit, simple
from policydsl.ir.normalize import Key, Normalizer, children


def module_filename(ps: ir.PolicySet) -> str:
    """The file name compiled code reports in tracebacks: `<policydsl:NAME>` (unprintable
    characters of the name escaped)."""
    name = ps.merchant or ps.name
    return "<policydsl:" + "".join(c if c.isprintable() else ascii(c)[1:-1] for c in name) + ">"


@functools.cache
def runtime_source() -> str:
    """The code of policydsl.compile.runtime that every generated module carries (without its
    docstring, `__future__` import and `__all__`)."""
    text = Path(runtime.__file__).read_text(encoding="utf-8")
    tree = pyast.parse(text)
    keep = []
    for node in tree.body:
        if isinstance(node, pyast.Expr) and isinstance(node.value, pyast.Constant):
            continue
        if isinstance(node, pyast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, pyast.Assign) and any(isinstance(t, pyast.Name) and t.id == "__all__"
                                                  for t in node.targets):
            continue
        keep.append(node)
    out: list[str] = []
    for previous, node in zip([None, *keep], keep):
        block = isinstance(node, (pyast.FunctionDef, pyast.ClassDef))
        if previous is not None:  # PEP 8 spacing: two blank lines around definitions
            imports = (pyast.Import, pyast.ImportFrom)
            if block or isinstance(previous, (pyast.FunctionDef, pyast.ClassDef)):
                out.append("\n\n")
            elif isinstance(previous, imports) and not isinstance(node, imports):
                out.append("\n")
        out.append(pyast.get_source_segment(text, node) + "\n")
    return "".join(out)


def generate_python(ps: ir.PolicySet) -> str:
    """The source text of a standalone decision module for `ps` (with its baseline, if any)."""
    return _Generator(ps).module()


# ---- the generator ------------------------------------------------------------------------------

class _PeriodVars(NamedTuple):
    """Expressions (names or literals) for one period's state inside `decide_validated`."""

    applies: str
    deadline: str  # None while the period has not started
    within: str
    expired: str
    length: str
    unit: str


class _Generator(ActionCode, ValidationCode):
    def __init__(self, ps: ir.PolicySet, text: bool = False, names: Iterator[int] | None = None) -> None:
        self.ps = ps
        self.text = text  # write `decide_validated_json` (the decision's JSON text) instead of `decide_validated`
        self.needy = {a.name for a in ps.actions if a.needs is not None}
        facts = {f.path: f for f in ps.facts}
        self.mine = Normalizer(ps, facts)
        self.base = Normalizer(ps.baseline, facts) if ps.baseline is not None else None
        self.names = names if names is not None else itertools.count()
        self.out = Writer()
        self.consts: list[str] = []
        self.fact_vars: dict[str, str] = {}
        self.shared: set[Key] = set()
        self.exprs: dict[Key, str] = {}
        self.period_vars: dict[Key, _PeriodVars] = {}
        self.cap_vars: dict[Key, tuple[str, str, str]] = {}
        self.cap_states: dict[Key, str] = {}
        self.cap_whys: dict[Key, str] = {}  # text mode: the local holding a capability state's `why` string

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.names)}"

    def emit(self, text: str) -> None:
        self.out.emit(text)

    def const(self, expr: str) -> str:
        """A module-level constant holding `expr` (built from `lit` output only)."""
        name = self.fresh("k")
        self.consts.append(f"{name} = {expr}")
        return name

    def fact_var(self, path: str) -> str:
        """The local holding a fact's value (loaded once, at the top of `decide_validated`)."""
        var = self.fact_vars.get(self.mine.fact(path))
        if var is None:
            var = self.fact_vars[path] = self.fresh("v")
        return var

    # ---- expressions -------------------------------------------------------------------------------
    def expr(self, key: Key) -> str:
        """A Python expression for a condition key; shared keys are computed once, into a local."""
        if key in self.exprs:
            return self.exprs[key]
        text = self.build(key)
        if key in self.shared and not simple(text):
            assert self.out.depth == 1, "shared conditions are computed at the top level"
            name = self.fresh("c")
            self.emit(f"{name} = {text}")
            text = name
        self.exprs[key] = text
        return text

    def build(self, key: Key) -> str:
        tag = key[0]
        if tag == "T":
            return "True"
        if tag == "F":
            return "False"
        if tag in ("and", "or"):
            return "(" + f" {tag} ".join(self.expr(k) for k in key[1:]) + ")"
        if tag == "not":
            return f"(not {self.expr(key[1])})"
        if tag == "bool":
            return f"{self.fact_var(key[1])} is True"
        if tag == "null":
            return f"{self.fact_var(key[1])} is None"
        if tag == "in":
            values = key[2]
            if len(values) == 1:
                return f"{self.fact_var(key[1])} == {lit(values[0])}"
            return f"{self.fact_var(key[1])} in {{{', '.join(lit(v) for v in values)}}}"
        if tag == "cmp":
            _, left, op, right = key
            guards = [f"{self.fact_var(t[1])} is not None" for t in (left, right)
                      if t[0] == "fact" and self.mine.facts[t[1]].nullable]
            test = f"{self.term(left)} {op} {self.term(right)}"
            return "(" + " and ".join([*guards, test]) + ")" if guards else test
        if tag == "within":
            return self.period(key[1]).within
        if tag == "expired":
            return self.period(key[1]).expired
        if tag == "avail":
            return self.capability_vars(key[1])[2]
        raise AssertionError(f"no expression for key {tag}")

    def term(self, key: Key) -> str:
        if key[0] == "const":
            return lit(key[1])
        if key[0] == "fact":
            return self.fact_var(key[1])
        _, per, table, default = key
        name = self.exprs.get(key)
        if name is None:
            name = self.exprs[key] = self.const(f"dict({lit(table)})")
        return f"{name}.get({self.fact_var(per)}, {lit(default)})"

    def find_shared(self, roots: list[Key]) -> None:
        """Mark keys reached more than once (a shared subtree's inside counts once) as shared."""
        seen: set[Key] = set()
        stack = list(reversed(roots))
        while stack:
            key = stack.pop()
            if key in seen:
                self.shared.add(key)
                continue
            seen.add(key)
            stack.extend(reversed(children(key)))

    # ---- periods -------------------------------------------------------------------------------------
    def period(self, key: Key) -> _PeriodVars:
        pv = self.period_vars.get(key)
        if pv is None:
            assert self.out.depth == 1, "periods are computed at the top level"
            pv = self.best_period([self.period(m) for m in key[1]]) if key[0] == "best" else self.simple_period(key)
            self.period_vars[key] = pv
        return pv

    def simple_period(self, key: Key) -> _PeriodVars:
        """A calendar period (open through the local day `anchor day + length`) or an exact one
        (open through `anchor + length`): applies, deadline, within, expired."""
        if key[0] == "cal":
            _, length, anchor, guard, unit = key
        else:
            _, length, unit, anchor, guard = key
        tests = [t for t in (self.expr(guard),) if t != "True"]
        if length[0] == "per":
            n = self.fresh("n")
            self.emit(f"{n} = {self.term(length)}")
        else:
            n = self.term(length)
            if length[0] == "fact" and self.mine.facts[length[1]].nullable:
                tests.append(f"{n} is not None")
        av, now = self.fact_var(anchor), self.fact_var(self.ps.now)
        tz = self.ps.timezone_minutes * 60 * 1_000_000
        if key[0] == "cal" and unit == "months":
            deadline = f"month_deadline({av}, {n}, {lit(self.ps.timezone_minutes)})"
        elif key[0] == "cal":
            if length[0] == "const":
                deadline = f"({av} + {tz}) // {US_PER_DAY} * {US_PER_DAY} + {(length[1] + 1) * US_PER_DAY - tz - 1}"
            else:
                deadline = f"(({av} + {tz}) // {US_PER_DAY} + {n} + 1) * {US_PER_DAY} - {tz + 1}"
        else:
            step = US_PER_HOUR if unit == "hours" else US_PER_DAY
            deadline = f"{av} + {length[1] * step}" if length[0] == "const" else f"{av} + {n} * {step}"
        a, d, w, e = self.fresh("a"), self.fresh("d"), self.fresh("w"), self.fresh("e")
        if tests:
            self.emit(f"{a} = {w} = {e} = False; {d} = None")
        else:
            a = "True"
        with self.out.when(" and ".join(tests) or "True"):
            if tests:
                self.emit(f"{a} = True")
            started = [f"{d} = {deadline}", f"{w} = {now} <= {d}", f"{e} = not {w}"]
            if self.mine.facts[anchor].nullable:
                with self.out.block(f"if {av} is None:"):
                    self.emit(f"{d} = None; {w} = True; {e} = False")
                with self.out.block("else:"):
                    for line in started:
                        self.emit(line)
            else:
                for line in started:
                    self.emit(line)
        return _PeriodVars(a, d, w, e, n, lit(unit))

    def best_period(self, members: list[_PeriodVars]) -> _PeriodVars:
        """`most favourable of`: the state of the applicable member with the latest deadline, a
        member not started yet beating any started one; the first such member wins ties."""
        a, d, w, e, n = (self.fresh(p) for p in "adwen")
        units = list(dict.fromkeys(m.unit for m in members)) or [lit("days")]
        dynamic = len(units) > 1
        u = self.fresh("u") if dynamic else units[0]
        self.emit(f"{a} = {w} = {e} = False; {d} = None; {n} = 0" + (f"; {u} = 'days'" if dynamic else ""))
        first = True
        for m in members:
            if m.applies == "False":
                continue
            later = f"({d} is not None and ({m.deadline} is None or {m.deadline} > {d}))"
            test = m.applies if first else f"(not {a} or {later})" if m.applies == "True" else \
                f"{m.applies} and (not {a} or {later})"
            with self.out.when(test):
                self.emit(f"{a} = True; {d} = {m.deadline}; {w} = {m.within}; {e} = {m.expired}; {n} = {m.length}"
                          + (f"; {u} = {m.unit}" if dynamic else ""))
            first = False
        return _PeriodVars(a, d, w, e, n, u)

    # ---- rules and actions -------------------------------------------------------------------------

    def decide_function(self) -> str:
        ps, mine, base = self.ps, self.mine, self.base
        period_keys = [mine.period(p.name) for p in ps.periods]
        scenarios = [mine.cond(s.condition) for s in ps.scenarios]
        rules = [mine.cond(r.condition) for r in ps.rules]
        cap = ps.capabilities[0] if ps.capabilities else None
        caps = [mine.capability(c.name) for c in ps.capabilities]
        escalation = mine.cond(ps.escalation.condition) if ps.escalation is not None else None
        base_rules = [base.cond(r.condition) for r in base.ps.rules] if base is not None else []
        self.find_shared([*period_keys, *scenarios, *rules, *caps, *([escalation] if escalation else []), *base_rules])
        self.mine.fact(ps.now)

        self.emit("# periods")
        for p, key in zip(ps.periods, period_keys):
            with self.out.at("period", p.name):
                self.period(key)
        self.emit("# scenarios")
        self.emit("sc = []; tr = []")
        for s, key in zip(ps.scenarios, scenarios):
            with self.out.at("scenario", s.clause):
                test = self.expr(key)
                if test != "False":
                    with self.out.when(test):
                        line = runtime.trace_scenario(s.clause)
                        clause, line = (jsontext.text(s.clause), jsontext.text(line)) if self.text else (s.clause, line)
                        self.emit(f"sc.append({lit(clause)}); tr.append({lit(line)})")
        self.emit("# rules and actions")
        fired, suppressors = self.fire(mine, rules)
        chosen, direct = self.decide_actions(fired, suppressors, base_rules)
        self.emit("acts = []" + ("; am = []" if self.text and self.needy else ""))
        for a in ps.actions:
            ch = chosen.get(a.name)
            if ch is not None:
                with self.out.block(f"if {ch.modality} is not None:"):
                    self.append_entry(a.name, f"{{'action': {lit(a.name)}, 'modality': {ch.modality}, "
                                      f"'cites': list({ch.cites}), 'source': {ch.source}}}",
                                      jsontext.action_entry(a.name, jsontext.string(ch.modality), Code(ch.cites),
                                                            jsontext.string(ch.source)), ch.modality)
            elif direct.get(a.name):
                self.append_action(mine, a.name, direct[a.name])
        self.emit_periods(period_keys)
        if cap is not None:
            with self.out.at("capability", cap.name):
                self.emit_extension(cap)
        else:
            self.emit_extension(cap)
        self.emit_conflicts()
        self.emit_escalation(escalation)
        self.emit_trace(fired, suppressors)
        loads = [f"    {var} = f[{lit(path)}]" for path, var in self.fact_vars.items()]
        if self.text:
            self.emit(f"return {jsontext.decision()}")
            self.body = self.out.lines
            return ("def decide_validated_json(f: dict) -> str:\n"
                    "    \"\"\"`decide_validated(f)` as the JSON text policydsl prints, written directly.\"\"\"\n"
                    + "\n".join(loads + self.out.lines))
        self.emit("return {'scenario': sc, 'actions': acts, 'periods': per, 'extension': ext, 'conflicts': cf, "
                  "'escalation': esc, 'overridden': ov, 'trace': tr}")
        self.body_offset = 2 + len(loads)  # lines of the function before `self.out.lines`
        return ("def decide_validated(f: dict) -> dict:\n"
                "    \"\"\"The decision (docs/semantics.md §4 JSON form) for flat facts that passed `validate`.\"\"\"\n"
                + "\n".join(loads + self.out.lines))

    def emit_periods(self, keys: list[Key]) -> None:
        self.emit("per = []")
        for p, key in zip(self.ps.periods, keys):
            pv = self.period_vars[key]
            if pv.applies != "False":
                with self.out.when(pv.applies):
                    if self.text:
                        self.emit(f"per.append({self.period_text(p, pv)})")
                        continue
                    self.emit(f"per.append({{'name': {lit(p.name)}, {pv.unit}: {pv.length}, 'deadline': "
                              f"fmt({pv.deadline}) if {pv.deadline} is not None else None, 'expired': {pv.expired}, "
                              f"'source': {lit(p.source)}}})")

    def period_text(self, p: ir.Period, pv: _PeriodVars) -> str:
        """Text mode: an expression for the period's entry in `periods`."""
        pieces: list[str] = ['{"name":' + jsontext.text(p.name) + ","]
        pieces += [jsontext.string(pv.unit) if pv.unit.isidentifier() else jsontext.text(pyast.literal_eval(pv.unit)),
                   ":"]
        pieces.append(pv.length if pv.length.lstrip("-").isdigit() else Code(f"str({pv.length})"))
        pieces += [',"deadline":', Code(f"(fmtq({pv.deadline}) if {pv.deadline} is not None else 'null')")]
        tail = {b: ',"expired":' + b + ',"source":' + jsontext.text(p.source) + "}" for b in ("true", "false")}
        expired = {"True": "true", "False": "false"}.get(pv.expired)
        pieces.append(tail[expired] if expired else Code(f"({lit(tail['true'])} if {pv.expired} else {lit(tail['false'])})"))
        return concat(pieces)

    def capability_vars(self, key: Key) -> tuple[str, str, str]:
        """Locals holding a capability's uses remaining, the end of its window (None without an
        anchor) and whether it is available: its condition holds, uses remain, and `now` is
        inside the window (the evaluator's `capability_state`)."""
        names = self.cap_vars.get(key)
        if names is None:
            assert self.out.depth == 1, "capabilities are computed at the top level"
            _, max_times, counted_by, within, unit, anchor, when = key
            with self.out.at("capability", self.capability_name(key)):
                test = self.expr(when)
                r, lim, e = self.fresh("y"), self.fresh("z"), self.fresh("j")
                used = self.fact_var(counted_by) if counted_by else "0"
                av, now = self.fact_var(anchor), self.fact_var(self.ps.now)
                self.emit(f"{r} = {lit(max_times)} - {used}")
                with self.out.block(f"if {r} < 0:"):
                    self.emit(f"{r} = 0")
                end = (f"month_deadline({av}, {lit(within)}, {lit(self.ps.timezone_minutes)})" if unit == "months"
                       else f"{av} + {within * US_PER_HOUR}")
                self.emit(f"{lim} = {end} if {av} is not None else None")
                self.emit(f"{e} = {test} and {r} > 0 and {lim} is not None and {now} <= {lim}")
            names = self.cap_vars[key] = (r, lim, e)
        return names

    def capability_name(self, key: Key) -> str:
        """The name of the capability (of either side) whose key is `key`, for the line map."""
        for side in (self.mine, self.base):
            for cap in side.ps.capabilities if side is not None else ():
                if side.capability(cap.name) == key:
                    return cap.name
        raise AssertionError(f"no capability has key {key}")

    def capability_state(self, cap: ir.Capability, key: Key) -> str:
        """A local holding the capability's state as the decision's `extension` shows it:
        eligible, remaining, and why (the first failing check, or the uses left and the limit)."""
        name = self.cap_states.get(key)
        if name is not None:
            return name
        r, lim, e = self.capability_vars(key)
        test = self.expr(key[6])
        cite = f" ({', '.join(cap.cites)})" if cap.cites else ""
        name = self.cap_states[key] = self.fresh("x")
        until = f"(fmt({lim}) if {lim} is not None else 'an unknown time')"
        branches = [  # (header, eligible, remaining, why: an expression, or a constant string)
            (f"if {e}:", True, r,
             Code(f"why_available({r}, {lit(cap.max_times)}, {lit(cap.each_days)}, fmt({lim}), {lit(cite)})")),
            (f"elif not {test}:", False, r, runtime.why_condition_not_met(cite)),
            (f"elif {r} == 0:", False, "0", runtime.why_all_used(cap.max_times, cite)),
            ("else:", False, r, Code(f"why_after_window({until}, {lit(cite)})"))]
        why_var = self.cap_whys[key] = self.fresh("h") if self.text else ""
        for header, eligible, remaining, why in branches:
            with self.out.block(header):
                if not self.text:
                    why = why if isinstance(why, Code) else lit(why)
                    self.emit(f"{name} = {{'eligible': {eligible}, 'remaining': {remaining}, 'why': {why}}}")
                    continue
                head = '{"eligible":' + jsontext.text(eligible) + ',"remaining":'
                pieces = [head, remaining if remaining.isdigit() else Code(f"str({remaining})"), ',"why":']
                if isinstance(why, Code):
                    self.emit(f"{why_var} = {why}")
                    pieces += [jsontext.string(why_var), "}"]
                else:
                    self.emit(f"{why_var} = {lit(why)}")
                    pieces.append(jsontext.text(why) + "}")
                self.emit(f"{name} = {concat(pieces)}")
        return name

    def emit_extension(self, cap: ir.Capability | None) -> None:
        """The first capability (N3 extension): eligible, remaining, and why."""
        if cap is None:
            self.emit("ext = 'null'" if self.text else "ext = None")
            return
        self.emit(f"ext = {self.capability_state(cap, self.mine.capability(cap.name))}")

    def emit_conflicts(self) -> None:
        """`must A` where A needs a capability that is unavailable: a duty the platform cannot carry out."""
        self.emit("cf = []")
        needy = [a for a in self.ps.actions if a.needs is not None]
        for cap in self.ps.capabilities:
            actions = [a.name for a in needy if a.needs == cap.name]
            if not actions:
                continue
            with self.out.at("capability", cap.name):
                key = self.mine.capability(cap.name)
                state = self.capability_state(cap, key)
                names = self.const(lit(tuple(actions)) if len(actions) > 1 else lit(actions[0]))
                test = f"x['action'] in {names}" if len(actions) > 1 else f"x['action'] == {names}"
                cites = lit(cap.cites)
                if self.text:
                    with self.out.block(f"if not {self.cap_vars[key][2]}:"):
                        with self.out.block("for x, y in am:"):
                            mine = test.replace("x['action']", "x")
                            with self.out.block(f"if y == 'must' and {mine}:"):
                                self.emit(f"cf.append(json_value({{'action': x, 'modality': 'must', 'capability': "
                                          f"{lit(cap.name)}, 'why': {self.cap_whys[key]}, 'cites': list({cites})}}))")
                    continue
                with self.out.block(f"if not {self.cap_vars[key][2]}:"):
                    with self.out.block("for x in acts:"):
                        with self.out.block(f"if x['modality'] == 'must' and {test}:"):
                            self.emit(f"cf.append({{'action': x['action'], 'modality': 'must', 'capability': "
                                      f"{lit(cap.name)}, 'why': {state}['why'], 'cites': list({cites})}})")

    def emit_escalation(self, key: Key | None) -> None:
        esc = self.ps.escalation
        if esc is None or key is None:
            self.emit("esc = 'null'" if self.text else "esc = None")
            return
        test = self.expr(key)
        if self.text:
            entry = {"platform_may_intervene": True, "rulings": list(esc.rulings), "cites": list(esc.cites)}
            self.emit(f"esc = {lit(jsontext.text(entry))} if {test} else 'null'")
            return
        rulings, cites = self.const(lit(esc.rulings)), self.const(lit(esc.cites))
        self.emit(f"esc = {{'platform_may_intervene': True, 'rulings': list({rulings}), 'cites': list({cites})}} "
                  f"if {test} else None")

    def emit_trace(self, fired: list[str], suppressors: dict[str, str]) -> None:
        """One line per fired rule: the facts it read and what it gave (or who suppressed it)."""
        readers: dict[str, list[str]] = {}
        for r, flag in zip(self.ps.rules, fired):
            for path in r.reads:
                self.fact_var(path)
                if flag != "False":
                    readers.setdefault(path, []).append(flag)
        shown: dict[str, str] = {}
        for path, flags in readers.items():  # each `path=value` text is built once, if some reader fired
            name = shown[path] = self.fresh("t")
            test = "True" if "True" in flags else " or ".join(dict.fromkeys(flags))
            if self.mine.facts[path].kind != "timestamp" and len(flags) > 3:  # cheaper to build than to test
                test = "True"
            self.emit(f"{name} = {self.show(path)}" if test == "True" else f"{name} = {self.show(path)} if {test} else ''")
        for r, flag in zip(self.ps.rules, fired):
            if flag == "False":
                continue
            raw = (lambda t: t) if not self.text else jsontext.inner
            pieces: list[str] = ['"' if self.text else "", raw(runtime.trace_fired(r.source, r.name))]
            for i, path in enumerate(r.reads):
                pieces += [", "] if i else []
                pieces.append(Code(shown[path]))
            gives = raw(runtime.trace_gives(tuple((e.modality, e.action) for e in r.effects)))
            if r.name in suppressors:
                x = suppressors[r.name]
                by = f"json_inner(trace_suppressed({x}))" if self.text else f"trace_suppressed({x})"
                pieces.append(Code(f"({by} if {x} is not None else {lit(gives)})"))
            else:
                pieces.append(gives)
            pieces.append('"' if self.text else "")
            with self.out.when(flag):
                self.emit(f"tr.append({concat(pieces)})")

    def show(self, path: str) -> str:
        """The trace text `path=value` of a fact (the evaluator's `_show`)."""
        fact, v = self.mine.facts[path], self.fact_var(path)
        raw = jsontext.inner if self.text else (lambda t: t)  # text mode: the trace line's JSON text
        if fact.kind == "bool":
            text = f"({lit(raw(path + '=true'))} if {v} else {lit(raw(path + '=false'))})"
        elif fact.kind == "timestamp":
            text = f"{lit(raw(path + '='))} + fmt({v})"
        elif fact.kind == "count":
            text = f"{lit(raw(path + '='))} + str({v})"
        elif self.text and not all(jsontext.needs_no_escape(x) for x in fact.values):
            text = f"{lit(raw(path + '='))} + json_inner({v})"
        else:
            text = f"{lit(raw(path + '='))} + {v}"
        return f"({lit(raw(path + '=null'))} if {v} is None else {text})" if fact.nullable else text

    # ---- the module ------------------------------------------------------------------------------------
    def module(self) -> str:
        ps = self.ps
        decide_validated = self.decide_function()
        validate = self.validate_function()
        as_text = _Generator(ps, text=True, names=self.names)  # its names and constants follow this one's
        decide_validated_json = as_text.decide_function()
        doc = (f"Decision module generated by policydsl {__version__} from policy set {ps.name!r} version "
               f"{ps.version!r}" + (f" with merchant policy {ps.merchant!r}" if ps.merchant else "")
               + ". Do not edit: regenerate with `policydsl compile`.")
        policy = (("name", ps.name), ("version", ps.version), ("merchant", ps.merchant), ("policydsl", __version__))
        parts = [
            lit(doc),
            "from __future__ import annotations",
            runtime_source(),
            "# ---- generated from the policy set's IR " + "-" * 60,
            f"POLICY = dict({lit(policy)})\nfmt = make_formatter({lit(ps.timezone_minutes)})\n"
            f"fmtq = make_formatter({lit(ps.timezone_minutes)}, '\"')\n"
            + "\n".join(self.consts + as_text.consts),
            validate,
            decide_validated,
            "def decide(facts: object) -> dict:\n"
            "    \"\"\"Validate JSON-like facts (raising FactsError) and decide.\"\"\"\n"
            "    return decide_validated(validate(facts))",
            decide_validated_json,
            self.decide_fast_function(as_text.fact_vars, as_text.body),
        ]
        # Lines are counted from `def decide_validated` (line 0), so the map does not move with the runtime.
        line_map = tuple((self.body_offset + index, kind, name) for index, (kind, name) in self.out.marks)
        entries = "".join(f"    {lit(entry)},\n" for entry in line_map)
        parts.append("# The line map: from each listed line of decide_validated on (counted from its `def`), the\n"
                     "# code is for this policy element (kind, name); policydsl.compile.loader.origin_of reads it.\n"
                     f"LINE_MAP = (\n{entries})")
        return "\n\n\n".join(p.rstrip("\n") for p in parts) + "\n"



__all__ = ["CodegenError", "generate_python", "lit", "module_filename", "runtime_source"]
