"""G3: a merchant policy below the platform standard is void, and the platform standard decides.

The one definition of each part of the rule. The interpreter applies it to one request, the
code generator writes it as code, and the checker encodes it as formulas; all three take it
from here:

- `counted_with` and `effective_rank`: how favourable a decision is on an action, counting
  (for a pro-buyer action) the stronger remedies that cover it;
- `restores_own_entry`: where the merchant set is less favourable than the baseline, the
  baseline's own entry for the action is restored when it alone reaches the baseline's
  effective rank; otherwise the baseline grants a stronger covering remedy, and that one is
  restored (as its own action's G3);
- `victims` and `settings_blamed`: whom `overridden` names. First the merchant rules that
  replace, or fire and override, a fired baseline rule giving the action or a covering remedy;
  else the merchant rules that gave the action the harsher modality themselves; else the
  merchant's settings and periods.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from policydsl.ir.nodes import MERCHANT, PolicySet, modality_rank


def counted_with(ps: PolicySet, action: str) -> tuple[str, ...]:
    """`action` and, for a pro-buyer action, every action whose grant covers it."""
    return ps.covered_by(action) if ps.action(action).polarity == "pro_buyer" else (action,)


def effective_rank(ps: PolicySet, modality_of: Callable[[str], str | None], action: str) -> int:
    """The decision's rank on `action`: its own modality's rank, or for a pro-buyer action the
    best pro-buyer rank of a covering remedy the decision gives (`modality_of` gives each
    action's modality, None when absent)."""
    rank = modality_rank(ps.action(action).polarity, modality_of(action))
    for stronger in counted_with(ps, action):
        if stronger == action:
            continue
        modality = modality_of(stronger)
        if modality is not None:
            rank = max(rank, modality_rank("pro_buyer", modality))
    return rank


def restores_own_entry(baseline_own_rank: int, floor: int) -> bool:
    """Whether G3 restores the baseline's own entry for an action whose effective rank (the
    floor) the merchant set does not reach; else a covering remedy of the baseline is restored."""
    return baseline_own_rank >= floor


@attrs.frozen
class Victim:
    """A baseline rule giving an action (or a remedy covering it), and the merchant rules that
    can take it away: those that override it (blamed when they fire) and the one that replaces it."""

    rule: str
    overridden_by: tuple[str, ...]
    replaced_by: str | None


def victims(ps: PolicySet, action: str) -> tuple[Victim, ...]:
    """For a merchant set: the baseline rules giving `action` or a covering remedy, in baseline
    order, with the merchant rules that override or replace them. Such a merchant rule is
    blamed when the baseline rule fires (and, for `overrides`, the merchant rule fires too)."""
    assert ps.baseline is not None, "G3 needs a merchant set"
    relevant = set(ps.covered_by(action))
    replaced = {old: r.name for r in ps.rules for old in r.replaces}
    out = []
    for r in ps.baseline.rules:
        if any(e.action in relevant for e in r.effects):
            overriders = tuple(o.name for o in ps.overriders(r.name) if o.source == MERCHANT)
            out.append(Victim(r.name, overriders, replaced.get(r.name)))
    return tuple(out)


def settings_blamed(ps: PolicySet) -> list[str]:
    """What a merchant set changes besides rules, as `overridden` names it when no rule accounts
    for a less favourable decision: `set NAME`, `set NAME for VALUE`, `period NAME` (a merchant
    period that joins a `most favourable of` period moves where it expires)."""
    settings = [f"set {p.name}" for p in ps.params if p.source == MERCHANT and p.value != p.platform_default]
    settings += [f"set {p.name} for {k}" for p in ps.params for k, _ in p.by_value]
    return settings + [f"period {p.name}" for p in ps.periods if p.source == MERCHANT]
