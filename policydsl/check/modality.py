"""The decision's final modality for an action, as a formula over the facts (G3 included).

For a platform set the modality is the most favourable one its active rules give. For a
merchant set G3 applies as the evaluator applies it (`policydsl.evaluate.interpreter.evaluate`):
where the merchant set's effective rank is below the baseline's and the baseline's own entry
reaches the baseline's effective rank, the baseline's entry is the decision; otherwise the
merchant set's own entry is.
"""

from __future__ import annotations

import attrs

from policydsl import ir
from policydsl.check.encode import Encoder
from policydsl.check.logic import Formula, conj, disj, neg

#: Every modality an action can take in a decision; None: the action is absent.
MODALITIES: tuple[str | None, ...] = ("must", "should", "may", "must_not", None)
RANKS = range(1, 5)


@attrs.define
class DecisionEncoder:
    """`modality_is(action, m)`: the formula under which the decision gives `action` modality `m`."""

    ps: ir.PolicySet
    enc: Encoder = attrs.field(init=False)
    base: Encoder | None = attrs.field(init=False)
    _memo: dict[tuple[str, str | None], Formula] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        self.enc = Encoder(self.ps)
        self.base = Encoder(self.ps.baseline) if self.ps.baseline is not None else None

    def modality_is(self, action: str, modality: str | None) -> Formula:
        key = (action, modality)
        if key not in self._memo:
            self._memo[key] = self._modality_is(action, modality)
        return self._memo[key]

    def _modality_is(self, action: str, modality: str | None) -> Formula:
        own = _exactly(self.enc, self.ps, action, modality)
        if self.base is None:
            return own
        assert self.ps.baseline is not None
        base_own = _exactly(self.base, self.ps.baseline, action, modality)
        reaches = conj(disj([neg(self.base.effective_at_least(action, k)), self.enc.effective_at_least(action, k)])
                       for k in RANKS)
        restores = conj(disj([neg(self.base.effective_at_least(action, k)), self.base.rank_at_least(action, k)])
                        for k in RANKS)
        keep_own = disj([reaches, neg(restores)])
        return disj([conj([keep_own, own]), conj([neg(keep_own), base_own])])

    def decision_is(self, modalities: dict[str, str | None]) -> Formula:
        """The decision gives each listed action exactly its listed modality."""
        return conj(self.modality_is(a, m) for a, m in modalities.items())


def _exactly(enc: Encoder, ps: ir.PolicySet, action: str, modality: str | None) -> Formula:
    """The set's own (pre-G3) modality for `action` is `modality`."""
    rank = ir.modality_rank(ps.action(action).polarity, modality)
    at_least = enc.rank_at_least(action, rank) if rank > 0 else True
    above = enc.rank_at_least(action, rank + 1) if rank < 4 else False
    return conj([at_least, neg(above)])


def describe(modality: str | None, action: str) -> str:
    """`must accept_request`, or `no accept_request` for an absent action."""
    return f"{modality} {action}" if modality is not None else f"no {action}"
