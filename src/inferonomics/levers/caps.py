"""Output and thinking levers: cap or trim the tokens a request generates.

Reasoning happens before the visible answer, so a cap on output (`max_output`, the API's
`max_tokens`) cuts the visible part first and then reasoning; a cap on reasoning (`max_reasoning`,
a thinking budget) cuts only reasoning. Trims remove a share of visible output or of reasoning
(shorter answers, a lower reasoning effort), rounding what remains down to whole tokens. Caps
apply per request: an aggregate row of n requests is capped at n times the cap (its average
request is judged, not each).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar

import ibis
import ibis.expr.types as ir

from inferonomics.errors import LeverError
from inferonomics.ledger.schema import MODALITY_PARTS
from inferonomics.levers.base import Scenario, derive, has_tokens
from inferonomics.levers.rules import Rule, select


def _keep(col: ir.IntegerValue, trim: Decimal) -> ir.IntegerValue:
    if not 0 <= trim <= 1:
        raise LeverError(f"a trim is a share between 0 and 1, got {trim}")
    if trim == 0:
        return col
    kept = 1 - Fraction(trim)
    return col * kept.numerator // kept.denominator


def _least(a: ir.IntegerValue, b: ir.IntegerValue) -> ir.IntegerValue:
    return ibis.cases((a <= b, a), else_=b)


@dataclass(frozen=True)
class OutputCap:
    """Cap and/or trim output and reasoning tokens of the selected rows."""

    name: ClassVar[str] = "output"
    max_output: int | None = None
    max_reasoning: int | None = None
    output_trim: Decimal = Decimal(0)
    reasoning_trim: Decimal = Decimal(0)
    features: tuple[str, ...] | None = None
    rule: Rule | None = None

    @property
    def label(self) -> str:
        """How the step is named in a playbook: `trim` when it only cuts shares, else `cap`."""
        caps = (self.max_output, self.max_reasoning)
        return "trim" if all(c is None for c in caps) and (self.output_trim or self.reasoning_trim) else "cap"

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario with the selected rows' (of `features`, matching `rule`) generation cut: reasoning
        trimmed, then capped at `max_reasoning` per request; visible output trimmed; then the total capped
        at `max_output` per request, visible output cut before reasoning. Raises `LeverError` for a
        negative cap or a trim outside 0-1."""
        for cap in (self.max_output, self.max_reasoning):
            if cap is not None and cap < 0:
                raise LeverError(f"a token cap must be >= 0, got {cap}")
        ledger = scenario.ledger
        r = ledger.rows
        reasoning = _keep(r.reasoning_tokens, self.reasoning_trim)
        if self.max_reasoning is not None:
            reasoning = _least(reasoning, r.requests * self.max_reasoning)
        visible = _keep(r.output_tokens - r.reasoning_tokens, self.output_trim)
        output = visible + reasoning
        if self.max_output is not None:
            output = _least(output, r.requests * self.max_output)
            reasoning = _least(reasoning, output)
        chosen = select(r, self.rule, self.features)
        # Audio / image / video output is visible output: trimmed like it, and never more than
        # what the caps leave of it (a part can never exceed its bucket).
        # Each part is clamped to the room the parts before it leave, written without nesting one
        # clamp in the next (the same values: once the room is gone, later parts get 0).
        room = output - reasoning
        parts: dict[str, ir.Value] = {}
        out_parts = MODALITY_PARTS["output_tokens"]
        before: ir.IntegerValue = ibis.literal(0, "int64")
        for c in out_parts if has_tokens(r, out_parts) else ():
            kept = _keep(r[c], self.output_trim)
            part = ibis.least(kept, ibis.greatest(room - before, 0))
            before = before + kept
            parts[c] = ibis.cases((chosen, part), else_=r[c])
        expr = r.mutate(
            output_tokens=ibis.cases((chosen, output), else_=r.output_tokens),
            reasoning_tokens=ibis.cases((chosen, reasoning), else_=r.reasoning_tokens),
            **parts,
        )
        return scenario.with_ledger(derive(ledger, expr, "<output caps>"))

    def describe(self) -> str:
        """One line: each cap (tokens per request) and trim (percent) that is set and the features in
        scope; `output unchanged` when none is."""
        parts = []
        if self.max_output is not None:
            parts.append(f"output capped at {self.max_output:,} tokens")
        if self.max_reasoning is not None:
            parts.append(f"reasoning capped at {self.max_reasoning:,} tokens")
        if self.output_trim:
            parts.append(f"visible output trimmed by {self.output_trim * 100:g}%")
        if self.reasoning_trim:
            parts.append(f"reasoning trimmed by {self.reasoning_trim * 100:g}%")
        scope = f" ({', '.join(self.features)})" if self.features else ""
        return ("; ".join(parts) or "output unchanged") + scope

    def assumptions(self) -> list[str]:
        """That answers stay as useful with fewer tokens (no retries) and that a capped request generates
        exactly its cap."""
        return [
            "answers stay as useful with fewer tokens (no retries for truncated answers)",
            "a capped request generates exactly the cap (the cut tokens are simply not generated)",
        ]
