"""Readable explanations of decisions: every action names the clause behind it."""

from __future__ import annotations

from policydsl import ir
from policydsl.evaluate.decision import Decision


def explain_decision(decision: Decision, ps: ir.PolicySet) -> str:
    titles = dict(ps.clauses)

    def clause_list(ids: tuple[str, ...] | list[str]) -> str:
        return "; ".join(f"{c} ({titles[c]})" if c in titles else c for c in ids)

    lines = []
    lines.append("Scenario: " + (clause_list(list(decision.scenario)) if decision.scenario
                                 else "none of S1–S3 (the normal after-sales flow)"))
    lines.append("")
    lines.append("Actions:")
    for a in decision.actions:
        lines.append(f"  {a.modality.upper():8} {a.action}  [{a.source}]")
        lines.append(f"           because {clause_list(a.cites)}")
    if decision.periods:
        lines.append("")
        lines.append("Periods:")
        for p in decision.periods:
            state = "expired" if p.expired else ("not started" if p.deadline is None else "open")
            until = f", last instant {p.deadline}" if p.deadline else ""
            lines.append(f"  {p.name}: {p.length} {p.unit}{until} — {state}")
    if decision.extension is not None:
        e = decision.extension
        lines.append("")
        lines.append(f"Extension: {'eligible' if e.eligible else 'not eligible'}, {e.remaining} left — {e.why}")
    if decision.conflicts:
        lines.append("")
        lines.append("Conflicts (a duty the platform cannot carry out; the request must still be resolved):")
        for c in decision.conflicts:
            lines.append(f"  {c.modality} {c.action} needs {c.capability}: {c.why}")
    if decision.escalation is not None:
        esc = decision.escalation
        lines.append("")
        lines.append(f"Escalation: the buyer may escalate; the platform may intervene and rule "
                     f"{', '.join(esc.rulings)} ({clause_list(esc.cites)})")
    if decision.overridden:
        lines.append("")
        lines.append("Void merchant rules (G3: the baseline applies instead):")
        for o in decision.overridden:
            lines.append(f"  {o.rule}: {o.action} {o.merchant or 'absent'} is below the baseline's "
                         f"{o.baseline or 'absent'} ({clause_list(o.clause)})")
    return "\n".join(lines)
