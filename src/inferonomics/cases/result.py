"""What a worked case returns: its inputs, computed figures, the claim, and the verdict the one
rule (`cases/verdict.py`) decides from the claim's parts. `conclude` is the only way a case
builds its result, so no case can state a verdict of its own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from inferonomics.cases.verdict import Judged, Part, Verdict, decide, show


@dataclass
class CaseResult:
    """One worked case of the articles behind this project, computed: the claim, the inputs it
    was computed from, the figures, the claim's parts as judged, and the verdict with its
    explanation (the rule's sentence, then notes that interpolate computed figures)."""

    id: str
    title: str
    claim: str
    verdict: Verdict
    explanation: str
    lines: list[str] = field(default_factory=list)
    """The computed figures as sentences, with their conditions."""
    figures: dict[str, Any] = field(default_factory=dict)
    """The computed figures, by name (for tests and JSON output)."""
    inputs: dict[str, Any] = field(default_factory=dict)
    """What the case was computed from (prices, dates, token counts, operating points)."""
    parts: list[Judged] = field(default_factory=list)
    """The claim's parts, each with its stated and computed figure and outcome."""
    reason: str = ""
    """The rule's sentence alone (the explanation without the notes)."""

    def as_dict(self) -> dict[str, Any]:
        """Everything, as plain data (decimals stay exact)."""
        return {
            "id": self.id,
            "title": self.title,
            "claim": self.claim,
            "verdict": self.verdict,
            "explanation": self.explanation,
            "reason": self.reason,
            "inputs": self.inputs,
            "lines": self.lines,
            "figures": self.figures,
            "parts": [p.as_dict() for p in self.parts],
        }

    def markdown(self) -> str:
        """This case as a Markdown section."""
        from inferonomics.cases.markdown import case_section

        return case_section(self)


class CaseResults(list[CaseResult]):
    """The results of `run_cases`, in the articles' order; `markdown()` renders them all."""

    def markdown(self) -> str:
        """A table of id, title and verdict, then every case: claim, inputs, computed figures,
        the parts against the claim, and the verdict with its explanation."""
        from inferonomics.cases.markdown import render

        return render(self)


def conclude(
    case_id: str,
    title: str,
    claim: str,
    parts: Sequence[Part],
    *,
    inputs: dict[str, Any] | None = None,
    figures: dict[str, Any] | None = None,
    lines: Iterable[str] = (),
    notes: Iterable[str] = (),
) -> CaseResult:
    """A case's result, its verdict decided by the rule from `parts`; `notes` (computed context)
    follow the rule's sentence in the explanation."""
    decision = decide(parts)
    extra = [n for n in notes if n]
    return CaseResult(
        id=case_id,
        title=title,
        claim=claim,
        verdict=decision.verdict,
        explanation=" ".join([decision.text, *extra]),
        lines=list(lines),
        figures=dict(figures or {}),
        inputs=dict(inputs or {}),
        parts=decision.parts,
        reason=decision.text,
    )


def usd(value: Decimal) -> str:
    """Money as the cases show it (to the cent at or above $1, more digits below)."""
    return show(value, "usd")


def pct(share: Decimal) -> str:
    """A share (0.389) as a percentage to 0.1 (`38.9%`)."""
    return show(share * 100, "pct")
