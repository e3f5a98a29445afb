"""Pass 2: lower declarations to IR (parameters, periods and their cycles, capabilities, actions,
remedies, rules)."""

from __future__ import annotations


import attrs

from policydsl import ir
from policydsl.syntax import ast
from policydsl.semantics.common import DAYS_PER, MONTHS_PER, describe_fact, literal_value, to_days, to_hours, want_phrase, window


class DeclarationLowering:
    """A part of the analyzer (mixed into `analyzer._Analyzer`); see its docstring."""

    # ---- pass 2: lower to IR --------------------------------------------------------------
    def lower(self) -> ir.PolicySet | None:
        params = tuple(self.lower_param(d) for d in self.params.values())
        periods = tuple(p for p in (self.lower_period(d, o) for d, o in self.periods.values()) if p is not None)
        periods = self.apply_joins(periods)
        self.check_period_cycles(periods)
        capabilities = tuple(c for c in (self.lower_capability(d) for d in self.capabilities.values()) if c)
        actions = tuple(self.lower_action(d) for d in self.actions.values())
        escalation = self.lower_escalation()
        covers = self.lower_remedies()
        scenarios = []
        for origin in (ir.PLATFORM, ir.MERCHANT):
            scope = self.scopes[origin]
            for clause, d in self.scenarios_of(origin).items():
                if clause not in self.clauses:
                    self.unknown("PD203", "clause", clause, d.clause.span, self.clauses)
                scenarios.append(ir.Scenario(clause=clause, condition=self.cond(d.condition, scope), source=origin))
        lowered = [self.lower_rule(d, o) for d, o in self.rules.values()]
        rules = tuple(r for r in lowered if r.name not in self.replaced)
        if any(d.is_error for d in self.diags) or self.now is None:
            return None
        return ir.PolicySet(
            name=self.platform.name,
            version=self.platform.header.version,
            timezone_minutes=self.timezone_minutes,
            now=self.now,
            facts=tuple(self.facts.values()),
            orderings=tuple(self.orderings),
            params=params,
            periods=periods,
            capabilities=capabilities,
            actions=actions,
            covers=covers,
            clauses=tuple((k, d.title) for k, d in self.clauses.items()),
            scenarios=tuple(scenarios),
            rules=rules,
            capability_claims=tuple(self.lower_claim(d) for d in self.claim_decls),
            merchant=self.merchant.name if self.merchant is not None else None,
            escalation=escalation,
        )

    def lower_action(self, d: ast.ActionDecl) -> ir.Action:
        needs = None
        if d.needs is not None:
            if d.needs.text in self.capabilities:
                needs = d.needs.text
            else:
                self.unknown("PD204", "capability", d.needs.text, d.needs.span, self.capabilities)
        return ir.Action(name=d.name.text, polarity=d.polarity, needs=needs)

    def lower_escalation(self) -> ir.Escalation | None:
        if not self.escalations:
            return None
        d = self.escalations[0]
        rulings = tuple(dict.fromkeys(n.text for n in d.rulings))
        if len(rulings) < len(d.rulings):
            self.error("PD207", "a ruling is listed twice", d.span)
        return ir.Escalation(condition=self.cond(d.condition, self.scopes[ir.PLATFORM]), rulings=rulings,
                             cites=tuple(c.text for c in d.cites), span=d.span)

    def lower_param(self, d: ast.ParamDecl) -> ir.Param:
        kind = self.param_kinds[d.name.text]
        default = literal_value(d.default)
        base = self.sets.get((d.name.text, None))
        value = literal_value(base.value) if base else default
        by_value = tuple((k, literal_value(s.value)) for (n, k), s in self.sets.items()
                         if n == d.name.text and k is not None)
        return ir.Param(name=d.name.text, kind=kind, direction=d.direction, platform_default=default, value=value,
                        per=d.per.dotted if d.per else None, by_value=by_value,
                        source=ir.MERCHANT if base else ir.PLATFORM,
                        cites=tuple(c.text for c in d.cites), span=d.span,
                        set_spans=tuple((k, s.span) for (n, k), s in self.sets.items() if n == d.name.text))

    def length_term(self, length: ast.Length, calendar: bool) -> tuple[ir.IntTerm, str] | None:
        """The period length as an IR term and its unit ("days" or "hours")."""
        if isinstance(length, ast.LengthConst):
            dur = length.duration
            if dur.unit in MONTHS_PER:
                return ir.Const(dur.amount * MONTHS_PER[dur.unit]), "months"
            if dur.unit == "hours":
                if calendar:
                    self.error("PD208", "a calendar period counts whole days, not hours", dur.span,
                               "use `N hours after X` for an hour-precise period")
                    return None
                return ir.Const(dur.amount), "hours"
            return ir.Const(dur.amount * DAYS_PER[dur.unit]), "days"
        if isinstance(length, ast.LengthParam):
            if length.name.text not in self.params:
                self.unknown("PD204", "parameter", length.name.text, length.name.span, self.params)
                return None
            kind = self.param_kinds[length.name.text]
            if kind == "count" or (calendar and kind == "hours"):
                self.error("PD208", f"parameter `{length.name.text}` is {want_phrase(kind)}; a "
                                    f"{'calendar ' if calendar else ''}period needs {want_phrase('days')}",
                           length.name.span)
                return None
            return ir.ParamInt(length.name.text), kind
        fact = self.fact_ref(length.path)
        if fact is None:
            return None
        if fact.kind != "count":
            self.error("PD208", f"a period length needs a count fact; `{fact.path}` is {describe_fact(fact)}",
                       length.path.span)
            return None
        if length.unit == "years" or (calendar and length.unit == "hours"):
            self.error("PD208", f"a length read from a fact counts days{'' if calendar else ' or hours'}"
                                f"{' or months' if length.unit == 'years' else ''}", length.span)
            return None
        return ir.FactInt(fact.path), length.unit

    def lower_period(self, d: ast.PeriodDecl, origin: str) -> ir.Period | None:
        body = d.body
        cites = tuple(c.text for c in d.cites)
        scope = self.scopes[origin]
        if isinstance(body, ast.BestPeriod):
            members = []
            for m in body.members:
                if m.text not in scope.periods:
                    self.unknown("PD205", "period", m.text, m.span, scope.periods)
                elif m.text == d.name.text:
                    self.error("PD214", f"period `{m.text}` cannot include itself", m.span)
                else:
                    members.append(m.text)
            return ir.BestPeriod(name=d.name.text, members=tuple(members), source=origin, cites=cites, span=d.span)
        calendar = isinstance(body, ast.CalendarPeriod)
        length = self.length_term(body.length, calendar)
        anchor = self.fact_ref(body.anchor)
        if anchor is not None and anchor.kind != "timestamp":
            self.error("PD208", f"a period starts at a timestamp fact; `{anchor.path}` is {describe_fact(anchor)}",
                       body.anchor.span)
            anchor = None
        guard: ir.Cond = ir.TRUE
        if body.guard is not None:
            guard = self.cond(body.guard.condition, scope)
            if body.guard.kind == "unless":
                guard = ir.NotCond(guard)
        if length is None or anchor is None:
            return None
        term, unit = length
        if calendar or unit == "months":  # months and years are always counted as the Civil Code does
            return ir.CalendarPeriod(name=d.name.text, length=term, anchor=anchor.path, guard=guard, source=origin,
                                     cites=cites, span=d.span, unit="months" if unit == "months" else "days")
        return ir.ExactPeriod(name=d.name.text, length=term, unit=unit, anchor=anchor.path, guard=guard,
                              source=origin, cites=cites, span=d.span)

    def apply_joins(self, periods: tuple[ir.Period, ...]) -> tuple[ir.Period, ...]:
        """`joins best` adds a period to a `most favourable of` period (G2c: promised periods count too)."""
        extra: dict[str, list[str]] = {}
        for name, (d, origin) in self.periods.items():
            joins = getattr(d.body, "joins", None)
            if joins is None:
                continue
            target = self.periods.get(joins.text)
            if target is None or (origin == ir.PLATFORM and target[1] == ir.MERCHANT):
                self.unknown("PD205", "period", joins.text, joins.span, self.periods)
            elif not isinstance(target[0].body, ast.BestPeriod):
                self.error("PD208", f"period `{joins.text}` is not a `most favourable of` period; nothing can join it",
                           joins.span)
            elif joins.text == name:
                self.error("PD214", f"period `{name}` cannot join itself", joins.span)
            else:
                extra.setdefault(joins.text, []).append(name)
        out = []
        for p in periods:
            if isinstance(p, ir.BestPeriod) and p.name in extra:
                p = attrs.evolve(p, members=p.members + tuple(m for m in extra[p.name] if m not in p.members))
            out.append(p)
        return tuple(out)

    def check_period_cycles(self, periods: tuple[ir.Period, ...]) -> None:
        """PD214 for periods whose state depends on itself: through `most favourable of` members
        (with `joins`) and through `when`/`unless` guards that test a period (`within p`,
        `expired p`, or a scenario or `let` that does)."""
        depends = {p.name: _period_dependencies(p) for p in periods}
        done: set[str] = set()
        for start in depends:
            path: list[str] = []
            on_path: set[str] = set()

            def visit(name: str) -> list[str] | None:
                if name in on_path:
                    return path[path.index(name):] + [name]
                if name in done or name not in depends:
                    return None
                path.append(name)
                on_path.add(name)
                for nxt in depends[name]:
                    cycle = visit(nxt)
                    if cycle is not None:
                        return cycle
                path.pop()
                on_path.discard(name)
                done.add(name)
                return None

            cycle = visit(start)
            if cycle is not None:
                named = [self.periods[n] for n in cycle[:-1] if n in self.periods]
                blamed = next((d for d, origin in named if origin == ir.MERCHANT), named[0][0])
                self.error("PD214", "periods are defined in terms of each other: "
                           + " → ".join(f"`{n}`" for n in cycle), blamed.span,
                           "a period's `when`/`unless` guard cannot test a period it joins or is a member of")
                done.update(cycle)

    def lower_capability(self, d: ast.CapabilityDecl) -> ir.Capability | None:
        times = [i for i in d.items if isinstance(i, ast.CapTimes)]
        each = [i for i in d.items if isinstance(i, ast.CapEach)]
        within = [i for i in d.items if isinstance(i, ast.CapWithin)]
        when = [i for i in d.items if isinstance(i, ast.CapWhen)]
        if len(times) != 1 or len(each) != 1 or len(within) != 1 or len(when) > 1:
            self.error("PD213", f"capability `{d.name.text}` needs exactly one each of `at most N times`, "
                                "`N days each` and `within D after X` (and at most one `only when`)", d.span)
            return None
        counted_by = None
        if times[0].counted_by is not None:
            f = self.fact_ref(times[0].counted_by)
            if f is not None and (f.kind != "count" or f.nullable):
                self.error("PD208", f"`counted by` needs a non-null count fact; `{f.path}` is {describe_fact(f)}",
                           times[0].counted_by.span)
            counted_by = times[0].counted_by.dotted
        anchor = self.fact_ref(within[0].anchor)
        if anchor is not None and (anchor.kind != "timestamp" or anchor.nullable):
            self.error("PD208", f"`within … after` needs a non-null timestamp fact; `{anchor.path}` is "
                                f"{describe_fact(anchor)}", within[0].anchor.span)
        if each[0].duration.unit != "days":
            self.error("PD208", "extensions are granted in whole days", each[0].duration.span,
                       "write the length in days, e.g. `7 days each`")
            return None
        cond = self.cond(when[0].condition, self.scopes[ir.PLATFORM]) if when else ir.TRUE
        return ir.Capability(name=d.name.text, max_times=times[0].count, counted_by=counted_by,
                             each_days=to_days(each[0].duration), within=window(within[0].duration)[0],
                             within_unit=window(within[0].duration)[1],
                             anchor=within[0].anchor.dotted, when=cond, cites=tuple(c.text for c in d.cites),
                             span=d.span)

    def lower_claim(self, d: ast.CapabilityDecl) -> ir.CapabilityClaim:
        """What a merchant file states about a platform capability, each part as written (its
        facts resolved, each part at most once); the checker compares it with the platform's."""
        for kind, words in ((ast.CapTimes, "`at most N times`"), (ast.CapEach, "`N days each`"),
                            (ast.CapWithin, "`within … after`"), (ast.CapWhen, "`only when`")):
            repeated = [i for i in d.items if isinstance(i, kind)][1:]
            if repeated:
                self.error("PD213", f"capability `{d.name.text}` states {words} more than once", repeated[0].span)
        times = next((i for i in d.items if isinstance(i, ast.CapTimes)), None)
        each = next((i for i in d.items if isinstance(i, ast.CapEach)), None)
        within = next((i for i in d.items if isinstance(i, ast.CapWithin)), None)
        when = next((i for i in d.items if isinstance(i, ast.CapWhen)), None)
        for path in (times.counted_by if times else None, within.anchor if within else None):
            if path is not None:
                self.fact_ref(path)
        return ir.CapabilityClaim(
            name=d.name.text,
            max_times=times.count if times else None,
            counted_by=times.counted_by.dotted if times and times.counted_by else None,
            each_hours=to_hours(each.duration) if each else None,
            within=window(within.duration)[0] if within else None,
            within_unit=window(within.duration)[1] if within else None,
            anchor=within.anchor.dotted if within else None,
            when=self.cond(when.condition, self.scopes[ir.MERCHANT]) if when else None,
            span=d.span)

    def lower_remedies(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        stronger: dict[str, set[str]] = {}
        for d in self.remedies:
            ok = True
            for n in d.chain:
                a = self.actions.get(n.text)
                if a is None:
                    self.unknown("PD202", "action", n.text, n.span, self.actions)
                    ok = False
                elif a.polarity != "pro_buyer":
                    self.error("PD208", f"remedy `{n.text}` must be a pro_buyer action", n.span)
                    ok = False
            if not ok:
                continue
            for hi, lo in zip(d.chain, d.chain[1:]):
                stronger.setdefault(lo.text, set()).add(hi.text)
        order = list(self.actions)
        covers = []
        circular: list[str] = []
        for action in order:
            seen: set[str] = set()
            stack = list(stronger.get(action, ()))
            while stack:
                a = stack.pop()
                if a not in seen:
                    seen.add(a)
                    stack.extend(stronger.get(a, ()))
            if action in seen:
                circular.append(action)
                continue
            if seen:
                covers.append((action, (action, *[a for a in order if a in seen])))
        if circular:
            # One error per cycle, at the first `remedy` line with a step between two of its actions.
            reported: set[frozenset[str]] = set()
            for d in self.remedies:
                steps = [(hi.text, lo.text) for hi, lo in zip(d.chain, d.chain[1:])]
                if not any(hi in circular and lo in circular for hi, lo in steps):
                    continue
                names = tuple(dict.fromkeys(n.text for n in d.chain if n.text in circular))
                if frozenset(names) in reported:
                    continue
                reported.add(frozenset(names))
                listed = " and ".join(f"`{a}`" for a in names)
                self.error("PD214", f"remedy order is circular: {listed} "
                                    f"{'covers itself' if len(names) == 1 else 'cover each other'}", d.span,
                           "a remedy chain runs from the strongest remedy to the weakest")
        return tuple(covers)

    def lower_rule(self, d: ast.RuleDecl, origin: str) -> ir.Rule:
        scope = self.scopes[origin]
        cond = self.cond(d.condition, scope)
        effects = []
        seen: set[str] = set()
        for e in d.effects:
            if e.action.text not in self.actions:
                self.unknown("PD202", "action", e.action.text, e.action.span, self.actions)
            elif e.action.text in seen:
                self.error("PD207", f"rule `{d.name.text}` gives `{e.action.text}` two modalities", e.span)
            else:
                seen.add(e.action.text)
                effects.append(ir.Effect(action=e.action.text, modality=e.modality, span=e.span))
        overrides = []
        for o in d.overrides:
            target = self.rules.get(o.text)
            if target is None or (origin == ir.PLATFORM and target[1] == ir.MERCHANT):
                self.unknown("PD211", "rule", o.text, o.span, [n for n, (_, og) in self.rules.items()
                                                             if origin == ir.MERCHANT or og == ir.PLATFORM])
            elif o.text == d.name.text:
                self.error("PD214", f"rule `{o.text}` cannot override itself", o.span)
            else:
                overrides.append(o.text)
        replaces = []
        for o in d.replaces:
            target = self.rules.get(o.text)
            if origin == ir.PLATFORM:
                self.error("PD209", "only a merchant policy can replace rules; the platform uses `overrides`", o.span)
            elif target is None or target[1] != ir.PLATFORM:
                self.unknown("PD211", "platform rule", o.text, o.span,
                             [n for n, (_, og) in self.rules.items() if og == ir.PLATFORM])
            elif o.text in self.replaced:
                self.error("PD207", f"rule `{o.text}` is already replaced by `{self.replaced[o.text]}`", o.span)
            else:
                self.replaced[o.text] = d.name.text
                replaces.append(o.text)
        return ir.Rule(name=d.name.text, source=origin, cites=tuple(c.text for c in d.cites),
                       overrides=tuple(overrides), condition=cond, effects=tuple(effects),
                       reads=self.reads(cond), span=d.span, replaces=tuple(replaces))

    def reads(self, cond: ir.Cond) -> tuple[str, ...]:
        """Fact paths a condition reads (through periods and per-value parameters too), sorted."""
        out: set[str] = set()
        seen_periods: set[str] = set()

        def term(t: ir.IntTerm) -> None:
            if isinstance(t, ir.FactInt):
                out.add(t.path)
            elif isinstance(t, ir.ParamInt):
                p = self.params.get(t.name)
                if p is not None and p.per is not None:
                    out.add(p.per.dotted)

        def visit(c: ir.Cond) -> None:
            for node in ir.walk_cond(c):
                if isinstance(node, (ir.BoolFact, ir.EnumIn, ir.IsNull)):
                    out.add(node.path)
                elif isinstance(node, ir.Compare):
                    term(node.left)
                    term(node.right)
                elif isinstance(node, (ir.Within, ir.Expired)):
                    period(node.period)
                elif isinstance(node, ir.Available):
                    capability(node.capability)

        def capability(name: str) -> None:
            d = self.capabilities.get(name)
            if d is None:
                return
            if self.now:
                out.add(self.now)
            for item in d.items:
                if isinstance(item, ast.CapTimes) and item.counted_by is not None:
                    out.add(item.counted_by.dotted)
                elif isinstance(item, ast.CapWithin):
                    out.add(item.anchor.dotted)
                elif isinstance(item, ast.CapWhen):
                    visit(self.cond(item.condition, self.scopes[ir.PLATFORM], report=False))

        def period(name: str) -> None:
            if name in seen_periods or name not in self.periods:
                return
            seen_periods.add(name)
            d, origin = self.periods[name]
            if self.now:
                out.add(self.now)
            body = d.body
            if isinstance(body, ast.BestPeriod):
                for m in body.members:
                    period(m.text)
                for other, (od, _) in self.periods.items():
                    if getattr(od.body, "joins", None) is not None and od.body.joins.text == name:
                        period(other)
                return
            out.add(body.anchor.dotted)
            if isinstance(body.length, ast.LengthFact):
                out.add(body.length.path.dotted)
            elif isinstance(body.length, ast.LengthParam):
                term(ir.ParamInt(body.length.name.text))
            if body.guard is not None:
                visit(self.cond(body.guard.condition, self.scopes[origin], report=False))

        visit(cond)
        return tuple(sorted(out))


def _period_dependencies(p: ir.Period) -> list[str]:
    """The periods whose state `p`'s state reads: its members, and the periods its guard tests."""
    if isinstance(p, ir.BestPeriod):
        return list(p.members)
    tested = (c.period for c in ir.walk_cond(p.guard) if isinstance(c, (ir.Within, ir.Expired)))
    return list(dict.fromkeys(tested))
