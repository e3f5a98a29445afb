"""Rules, actions and G3 in generated code: which rules fire, the modality each action takes,
and, for a merchant set, where the baseline's entry replaces the merchant's (G3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from typing import NamedTuple

from policydsl import ir
from policydsl.ir import g3
from policydsl.compile import jsontext
from policydsl.compile.emit import CodegenError, Code, lit, simple
from policydsl.ir.normalize import Key, Normalizer


Candidate = tuple[str, ir.Rule, ir.Effect]  # (active flag expression, rule, effect)


class _Chosen(NamedTuple):
    """Names holding one action's decision on one side, for G3: modality (None = absent),
    cites, source, and the modality's rank."""

    modality: str
    cites: str
    source: str
    rank: str


class ActionCode:
    """The part of the generator (a mixin of `codegen._Generator`) that writes rules and actions."""

    def fire(self, side: Normalizer, keys: list[Key]) -> tuple[list[str], dict[str, str]]:
        """Fired flags of the side's rules, and for each overridden rule name a local holding the
        names of every fired rule that overrides it, joined with ", " (None when none fired)."""
        fired = []
        for rule, key in zip(side.ps.rules, keys):
            with self.out.at("rule" if side is self.mine else "baseline rule", rule.name):
                text = self.expr(key)
                if not simple(text):
                    name = self.fresh("g")
                    self.emit(f"{name} = {text}")
                    text = name
            fired.append(text)
        overriders: dict[str, list[int]] = {}
        for i, r in enumerate(side.ps.rules):
            for victim in r.overrides:
                overriders.setdefault(victim, []).append(i)
        suppressors: dict[str, str] = {}  # victim -> variable: the fired overriders' names, or None
        for victim, rules in overriders.items():
            name = suppressors[victim] = self.fresh("x")
            first, *more = rules
            head = {"True": lit(side.ps.rules[first].name), "False": "None"}.get(
                fired[first], f"{lit(side.ps.rules[first].name)} if {fired[first]} else None")
            self.emit(f"{name} = {head}")
            for i in more:
                if fired[i] == "False":
                    continue
                rule = lit(side.ps.rules[i].name)
                with self.out.when(fired[i]):
                    self.emit(f"{name} = {rule} if {name} is None else {name} + {lit(', ')} + {rule}")
        return fired, suppressors

    def candidates(self, side: Normalizer, fired: list[str], suppressors: dict[str, str]) -> dict[str, list[Candidate]]:
        """For each action, the (active flag, rule, effect) that can give it, in rule order."""
        out: dict[str, list[Candidate]] = {a.name: [] for a in side.ps.actions}
        for r, flag in zip(side.ps.rules, fired):
            if flag != "False" and r.name in suppressors:
                name = self.fresh("g")
                with self.out.at("rule" if side is self.mine else "baseline rule", r.name):
                    unsuppressed = f"{suppressors[r.name]} is None"
                    self.emit(f"{name} = {unsuppressed}" if flag == "True" else f"{name} = {flag} and {unsuppressed}")
                flag = name
            for eff in r.effects:
                if eff.action not in out:
                    raise CodegenError(f"rule `{r.name}` gives action `{eff.action}`, which is not declared")
                if eff.modality not in ir.MODALITIES:
                    raise CodegenError(f"rule `{r.name}` gives unknown modality `{eff.modality}`")
                if flag != "False":
                    out[eff.action].append((flag, r, eff))
        return out

    def choose(self, side: Normalizer, action: str, cands: list[Candidate]) -> _Chosen:
        """Locals holding the action's decision: the modality most favourable to the buyer among
        the active candidates, its rank, the cites of every rule giving it (first seen first) and
        the source of the first of them."""
        polarity = side.actions[action].polarity
        ch = _Chosen(self.fresh("m"), self.fresh("s"), self.fresh("o"), self.fresh("r"))
        self.emit(f"{ch.modality} = {ch.cites} = {ch.source} = None; {ch.rank} = {ir.modality_rank(polarity, None)}")
        for rank, group in self.branches(polarity, cands):
            self.emit(f"{ch.modality} = {lit(group[0][2].modality)}; {ch.rank} = {rank}")
            self.tie(group, ch.cites, ch.source)
        return ch

    def append_action(self, side: Normalizer, action: str, cands: list[Candidate]) -> None:
        """Append the action's entry to `acts` straight from the candidates' flags (no G3)."""
        for _, group in self.branches(side.actions[action].polarity, cands):
            modality = group[0][2].modality
            head = f"{{'action': {lit(action)}, 'modality': {lit(modality)}, 'cites': "
            if len(group) == 1:
                rule = group[0][1]
                cites = "[" + ", ".join(lit(c) for c in _dedup(rule.cites)) + "]"
                entry = {"action": action, "modality": modality, "cites": list(_dedup(rule.cites)),
                         "source": rule.source}
                self.append_entry(action, f"{head}{cites}, 'source': {lit(rule.source)}}}",
                                  lit(jsontext.text(entry)), lit(modality))
            else:
                cites, source = self.fresh("s"), self.fresh("o")
                self.tie(group, cites, source)
                self.append_entry(action, f"{head}list({cites}), 'source': {source}}}",
                                  jsontext.action_entry(action, modality, Code(cites), jsontext.string(source)),
                                  lit(modality))

    def append_entry(self, action: str, entry: str, text: str, modality: str) -> None:
        """Append an action's entry to `acts`: the expression `entry` (a dict), or in text mode `text`
        (its JSON text), and then, for an action that needs a capability, (action, `modality`) to
        `am`, which the conflicts read."""
        if not self.text:
            self.emit(f"acts.append({entry})")
            return
        self.emit(f"acts.append({text})")
        if action in self.needy:
            self.emit(f"am.append(({lit(action)}, {modality}))")

    def branches(self, polarity: str, cands: list[Candidate]) -> Iterator[tuple[int, list[Candidate]]]:
        """`if`/`elif` over the candidates' modality levels, most favourable to the buyer first;
        yields (rank, candidates) inside each branch. A level that always holds ends the chain."""
        for i, (rank, group) in enumerate(_levels(polarity, cands)):
            flags = list(dict.fromkeys(f for f, _, _ in group))
            always = "True" in flags
            header = ("else:" if i else None) if always else f"{'elif' if i else 'if'} {' or '.join(flags)}:"
            with self.out.block(header) if header else nullcontext():
                yield rank, group
            if always:
                return

    def tie(self, group: list[Candidate], cites: str, source: str) -> None:
        """Cites (first seen first) and source (the first rule's) of the active rules of a level."""
        if len(group) == 1:
            self.emit(f"{cites} = {lit(_dedup(group[0][1].cites))}; {source} = {lit(group[0][1].source)}")
            return
        self.emit(f"{cites} = None")
        for i, (flag, rule, _) in enumerate(group):
            value = lit(_dedup(rule.cites))
            with self.out.when(flag):
                if i == 0:
                    self.emit(f"{cites} = {value}; {source} = {lit(rule.source)}")
                    continue
                with self.out.block(f"if {cites} is None:"):
                    self.emit(f"{cites} = {value}; {source} = {lit(rule.source)}")
                with self.out.block("else:"):
                    self.emit(f"{cites} = merge_cites({cites}, {value})")

    def decide_actions(self, fired: list[str], suppressors: dict[str, str],
                       base_rules: list[Key]) -> tuple[dict[str, _Chosen], dict[str, list[Candidate]]]:
        """For a merchant set, G3 on the actions it can change: locals holding their final entries.
        Also the candidates of every other action, whose entry needs no locals."""
        mine, base = self.mine, self.base
        cands = self.candidates(mine, fired, suppressors)
        if base is None:
            self.emit("ov = []")
            return {}, cands

        base_fired, base_supp = self.fire(base, base_rules)
        base_cands = self.candidates(base, base_fired, base_supp)
        same = {a for a in cands if a in base_cands and _same_candidates(cands[a], base_cands[a])
                and mine.actions[a].polarity == base.actions[a].polarity
                and mine.covers.get(a) == base.covers.get(a)}
        # G3 can only change an action whose decision, or a covering remedy's, differs from the baseline's.
        covering = {a: list(dict.fromkeys((a, *mine.covers.get(a, ()), *base.covers.get(a, ())))) for a in cands}
        for a, names in covering.items():
            for s in names[1:]:
                if s not in cands or mine.actions[s].polarity != "pro_buyer" or s not in base.actions \
                        or base.actions[s].polarity != "pro_buyer":
                    raise CodegenError(f"remedy subsumption lists `{s}`, which is not a declared pro_buyer action")
        contested = [a for a in cands if not set(covering[a]) <= same]
        ranked = [s for s in cands if any(s in covering[a] for a in contested)]  # in declaration order
        chosen: dict[str, _Chosen] = {}
        base_chosen: dict[str, _Chosen] = {}
        for a in ranked:
            with self.out.at("action", a):
                chosen[a] = self.choose(mine, a, cands[a])
                base_chosen[a] = chosen[a] if a in same else self.choose(base, a, base_cands[a])
        self.emit("ov = []")
        flags, floors = {}, {}
        for a in contested:  # every comparison reads the decisions before any override
            floor = self.effective(base, a, base_chosen)
            if not simple(floor):
                name = self.fresh("b")
                self.emit(f"{name} = {floor}")
                floor = name
            test = f"{self.effective(mine, a, chosen)} < {floor}"
            if floor != base_chosen[a].rank:  # else the baseline grants a stronger covering remedy, restored instead
                test += f" and {base_chosen[a].rank} >= {floor}"
            flags[a] = self.fresh("z")
            self.emit(f"{flags[a]} = {test}")
            floors[a] = floor
        for a in contested:
            with self.out.at("action", a):
                self.override(a, flags[a], floors[a], cands[a], chosen[a], base_chosen[a], base_fired, fired)
        return chosen, {a: c for a, c in cands.items() if a not in chosen}

    def effective(self, side: Normalizer, action: str, chosen: dict[str, _Chosen]) -> str:
        """The decision's rank on `action`, counting the stronger remedies that cover it."""
        own = chosen[action].rank
        stronger = [s for s in g3.counted_with(side.ps, action) if s != action]
        if not stronger:
            return own
        parts = [own] + [f"({chosen[s].rank} if {chosen[s].modality} is not None else 0)" for s in stronger]
        return f"max({', '.join(parts)})"

    def override(self, action: str, flag: str, floor: str, cands: list[Candidate], mine: _Chosen, base: _Chosen,
                 base_fired: list[str], mine_fired: list[str]) -> None:
        """G3: where the merchant's decision on `action` is less favourable than the baseline's,
        report why (the evaluator's `void_merchant_rules`) and apply the baseline's entry."""
        ps = self.ps
        base_flags = {r.name: f for r, f in zip(self.base.ps.rules, base_fired)}
        mine_flags = {r.name: f for r, f in zip(ps.rules, mine_fired)}
        fallback = lit(", ".join(g3.settings_blamed(ps)) or "merchant policy")
        adds: list[tuple[str, str]] = []  # (test, name expression) of rule names that explain the override
        for v in g3.victims(ps, action):  # G3's order of blame, policydsl.ir.g3
            fired = base_flags[v.rule]
            if fired == "False":
                continue
            for overrider in v.overridden_by:  # merchant rules that suppressed this baseline rule
                if mine_flags[overrider] != "False":
                    both = " and ".join(dict.fromkeys(f for f in (fired, mine_flags[overrider]) if f != "True"))
                    adds.append((both or "True", lit(overrider)))
            if v.replaced_by is not None:  # the merchant rule that replaced it
                adds.append((fired, lit(v.replaced_by)))
        givers = [(f, rule, e) for f, rule, e in cands if rule.source == ir.MERCHANT]
        with self.out.block(f"if {flag}:"):
            culprit = fallback
            if adds or givers:
                self.emit("q = set()")
                for test, name in adds:
                    with self.out.when(test):
                        self.emit(f"q.add({name})")
                if givers:  # else the merchant rules that gave the harsher modality themselves
                    with self.out.block(f"if not q and {mine.modality} is not None and {mine.rank} < {floor}:"):
                        for f, rule, e in givers:
                            with self.out.when(f"{mine.modality} == {lit(e.modality)}" + (f" and {f}" if f != "True" else "")):
                                self.emit(f"q.add({lit(rule.name)})")
                culprit = f"', '.join(sorted(q)) if q else {fallback}"
            entry = (f"{{'rule': {culprit}, 'clause': list({base.cites}) if {base.modality} is not None "
                     f"else [], 'action': {lit(action)}, 'merchant': {mine.modality} or 'absent', "
                     f"'baseline': {base.modality} or 'absent'}}")
            self.emit(f"ov.append(json_value({entry}))" if self.text else f"ov.append({entry})")
            self.emit(f"{mine.modality} = {base.modality}; {mine.cites} = {base.cites}; {mine.source} = {base.source}")

    # ---- the decision -----------------------------------------------------------------------------


def _levels(polarity: str, cands: list[Candidate]) -> list[tuple[int, list[Candidate]]]:
    """The candidates grouped by the rank of their modality, most favourable to the buyer first."""
    levels: dict[int, list[Candidate]] = {}
    for c in cands:
        levels.setdefault(ir.modality_rank(polarity, c[2].modality), []).append(c)
    return sorted(levels.items(), reverse=True)


def _dedup(cites: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(cites))


def _same_candidates(a: list[Candidate], b: list[Candidate]) -> bool:
    return ([(f, _dedup(r.cites), r.source, e.modality) for f, r, e in a]
            == [(f, _dedup(r.cites), r.source, e.modality) for f, r, e in b])
