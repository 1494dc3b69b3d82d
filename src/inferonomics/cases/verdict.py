"""The one verdict rule of the worked cases.

A case states its claim as parts. Each part carries the article's figure as written (a value, a
range or a bound, with the word that makes it approximate, if any), the figure the toolkit
computed (a value, or a range over stated conditions), or the reason it could not be computed.
`decide` judges every part the same way and turns the parts into the case's verdict and the
sentence that explains it:

- a part holds **as stated** when the computed figure, at the article's own rounding (half a unit
  of the last digit it writes: "16%" to the percent, "~$0.017" to a tenth of a cent; an exact
  amount of money, "$6,600", to the cent), is the stated figure or inside the stated range;
- it holds **approximately** when it is off by more than that but the article's wording allows it
  ("~", "about", "approximately", "roughly", "near", "typically"): within `APPROX_TOLERANCE`
  (±5 %) of the stated figure, or the rounding if that is wider;
- a computed range that reaches into the stated one (with the same allowance) but also beyond it
  holds **in part** (the claim is right for some of the conditions computed, not all);
- otherwise it does **not hold**, and its factor is computed / stated (for a range, the computed
  end outside it over the stated end it passes).

The verdict: `holds` when every part holds as stated; `holds approximately` when every part holds
and some only within the tolerance (named); `partly` when some parts hold (or hold in part) and
others do not or could not be computed (named); `wrong` when no part holds (with the main part's factor);
`not computable` when no part could be computed (with the reasons).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

Verdict = Literal["holds", "holds approximately", "partly", "wrong", "not computable"]
VERDICTS: tuple[Verdict, ...] = ("holds", "holds approximately", "partly", "wrong", "not computable")

Outcome = Literal["as stated", "approximately", "in part", "does not hold", "not computable"]
Fmt = Literal["usd", "pct", "times", "num"]
Number = Decimal | int | float | str
Computed = Decimal | tuple[Decimal, Decimal] | None

CENT = Decimal("0.01")
APPROX_TOLERANCE = Decimal("0.05")
"""How far an approximate wording ("~", "about", "approximately"...) lets a figure stray: ±5 %."""

PCT = f"{(APPROX_TOLERANCE * 100).normalize():f} %"
"""The tolerance as the explanations write it."""

APPROX_WORDS = ("~", "about", "approximately", "roughly", "near", "typically", "≈")


def dec(x: Number) -> Decimal:
    """An exact decimal (a float goes through its shortest repr, never its binary expansion)."""
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _unit(text: str) -> Decimal:
    """One unit of the last digit a figure is written with: "6600" -> 1, "0.017" -> 0.001."""
    exponent = Decimal(text).as_tuple().exponent
    assert isinstance(exponent, int), text
    return Decimal(1).scaleb(min(exponent, 0))


@dataclass(frozen=True)
class Stated:
    """The article's figure: a value (low == high), a range, or a bound (one end None), in the
    digits the article writes it with."""

    low: Decimal | None
    high: Decimal | None
    low_unit: Decimal | None
    """One unit of the last digit the low end is written with: the article rounds to half of it."""
    high_unit: Decimal | None
    """The same for the high end (a range's ends share the finer of their two)."""
    word: str | None = None
    """The word that makes the figure approximate ("~", "about"...), or None for an exact one."""
    low_text: str | None = None
    high_text: str | None = None


def value(text: str, word: str | None = None) -> Stated:
    """A single figure as the article writes it ("6600", "0.017"), exact or with its `word`."""
    return Stated(Decimal(text), Decimal(text), _unit(text), _unit(text), _word(word), text, text)


def between(low: str, high: str, word: str | None = None) -> Stated:
    """A range "low-high" as the article writes it."""
    # A range is written to one precision: "$0.50-1" means $1.00 at its high end, not $1 +- 50c.
    unit = min(_unit(low), _unit(high))
    return Stated(Decimal(low), Decimal(high), unit, unit, _word(word), low, high)


def at_least(low: str, word: str | None = None) -> Stated:
    """A floor ("50%+", "exceed $1 million")."""
    return Stated(Decimal(low), None, _unit(low), None, _word(word), low, None)


def at_most(high: str, word: str | None = None) -> Stated:
    """A ceiling ("under $1")."""
    return Stated(None, Decimal(high), None, _unit(high), _word(word), None, high)


def _word(word: str | None) -> str | None:
    if word is not None and word not in APPROX_WORDS:
        raise ValueError(f"{word!r} is not an approximate wording the rule knows: {APPROX_WORDS}")
    return word


@dataclass(frozen=True)
class Part:
    """One figure of a claim: what the article states, what the toolkit computed."""

    name: str
    stated: Stated
    computed: Computed
    fmt: Fmt = "num"
    suffix: str = ""
    """Shown after the figures ("M" for millions, " reads")."""
    reason: str = ""
    """Why the figure could not be computed (when `computed` is None)."""
    main: bool = False
    """The claim's headline figure: a `wrong` verdict gives its factor."""

    @staticmethod
    def of(
        name: str,
        stated: Stated,
        computed: Number | tuple[Number, Number] | None,
        fmt: Fmt = "num",
        *,
        suffix: str = "",
        reason: str = "",
        main: bool = False,
    ) -> Part:
        """A part from any numbers (converted exactly); a range is (low, high) in either order."""
        c: Computed
        if computed is None:
            c = None
        elif isinstance(computed, tuple):
            a, b = dec(computed[0]), dec(computed[1])
            c = (min(a, b), max(a, b))
        else:
            c = dec(computed)
        return Part(name, stated, c, fmt, suffix, reason, main)

    def bounds(self) -> tuple[Decimal, Decimal]:
        """The computed figure as (low, high); a single value is both."""
        assert self.computed is not None
        return self.computed if isinstance(self.computed, tuple) else (self.computed, self.computed)


@dataclass(frozen=True)
class Judged:
    """A part and how it fared under the rule."""

    part: Part
    outcome: Outcome
    factor: Decimal | None = None
    """computed / stated, for a part that does not hold (None when signs or zero make it meaningless)."""

    @property
    def holds(self) -> bool:
        """As stated or approximately."""
        return self.outcome in ("as stated", "approximately")

    def stated_text(self) -> str:
        """The stated figure in the article's digits, with its word ("~$0.003", "≥ 50%")."""
        s, p = self.part.stated, self.part
        word = f"{s.word} " if s.word and s.word not in ("~", "≈") else (s.word or "")
        if s.low_text is not None and s.low_text == s.high_text:
            return word + show_text(s.low_text, p.fmt, p.suffix)
        if s.low_text is not None and s.high_text is not None:
            return (
                word + show_text(s.low_text, p.fmt, p.suffix) + "–" + show_text(s.high_text, p.fmt, p.suffix)
            )
        if s.low_text is not None:
            return "≥ " + word + show_text(s.low_text, p.fmt, p.suffix)
        assert s.high_text is not None
        return "≤ " + word + show_text(s.high_text, p.fmt, p.suffix)

    def computed_text(self) -> str:
        """The computed figure (or range) as the explanations show it; "–" when not computable."""
        p = self.part
        if p.computed is None:
            return "–"
        lo, hi = p.bounds()
        if lo == hi:
            return show(lo, p.fmt, p.suffix)
        return show(lo, p.fmt, p.suffix) + "–" + show(hi, p.fmt, p.suffix)

    def tolerance_text(self) -> str:
        """What the rule allows this part: its rounding, and ±5 % for an approximate wording."""
        s, p = self.part.stated, self.part
        unit = _rounding_unit(self.part)
        if s.word is None and p.fmt == "usd" and unit == CENT:
            return "to the cent"
        rounding = f"rounding ±{show(unit / 2, p.fmt, p.suffix)}"
        if s.word is None:
            return rounding
        return f"{rounding}; “{s.word}”: ±{PCT}"

    def describe(self) -> str:
        """`name: computed vs stated` (with the factor for a part that does not hold)."""
        text = f"{self.part.name}: {self.computed_text()} against {self.stated_text()}"
        if self.outcome in ("does not hold", "in part") and self.factor is not None:
            text += f" ({factor_text(self.factor)})"
        if self.outcome == "not computable":
            text = f"{self.part.name} ({self.part.reason})"
        return text

    def as_dict(self) -> dict[str, Any]:
        """The part as plain data (decimals stay exact)."""
        p = self.part
        return {
            "name": p.name,
            "stated": self.stated_text(),
            "stated_low": p.stated.low,
            "stated_high": p.stated.high,
            "computed": list(p.bounds()) if p.computed is not None else None,
            "computed_text": self.computed_text(),
            "tolerance": self.tolerance_text(),
            "outcome": self.outcome,
            "factor": self.factor,
            "reason": p.reason or None,
        }


def _rounding_unit(part: Part) -> Decimal:
    """The unit the article writes the figure to; an exact amount of money holds only to the cent."""
    s = part.stated
    unit = min(u for u in (s.low_unit, s.high_unit) if u is not None)
    if s.word is None and part.fmt == "usd":
        unit = min(unit, CENT)
    return unit


def judge(part: Part) -> Judged:
    """One part under the rule (see the module docstring)."""
    if part.computed is None:
        if not part.reason:
            raise ValueError(f"part {part.name!r} has no computed figure and no reason")
        return Judged(part, "not computable")
    s = part.stated
    lo, hi = part.bounds()
    low_half = high_half = _rounding_unit(part) / 2
    if (s.low is None or lo >= s.low - low_half) and (s.high is None or hi <= s.high + high_half):
        return Judged(part, "as stated")
    if s.word is not None:
        low_ok = s.low is None or lo >= s.low - max(low_half, abs(s.low) * APPROX_TOLERANCE)
        high_ok = s.high is None or hi <= s.high + max(high_half, abs(s.high) * APPROX_TOLERANCE)
        if low_ok and high_ok:
            return Judged(part, "approximately")
    if lo < hi:
        slack_low = max(low_half, abs(s.low) * APPROX_TOLERANCE) if s.word and s.low is not None else low_half
        slack_high = (
            max(high_half, abs(s.high) * APPROX_TOLERANCE) if s.word and s.high is not None else high_half
        )
        reaches_low = s.high is None or lo <= s.high + slack_high
        reaches_high = s.low is None or hi >= s.low - slack_low
        if reaches_low and reaches_high:
            return Judged(part, "in part", _factor(lo, hi, s))
    return Judged(part, "does not hold", _factor(lo, hi, s))


def _factor(lo: Decimal, hi: Decimal, s: Stated) -> Decimal | None:
    # The computed end that lies outside the stated range, over the stated end it passes; when
    # both ends lie outside (a computed range wider than the stated one), the larger miss.
    misses: list[tuple[Decimal, Decimal]] = []
    if s.high is not None and hi > s.high:
        misses.append((lo if lo > s.high else hi, s.high))
    if s.low is not None and lo < s.low:
        misses.append((hi if hi < s.low else lo, s.low))
    ratios = [c / ref for c, ref in misses if ref != 0 and (c > 0) == (ref > 0) and c != 0]
    if not ratios:
        return None
    return max(ratios, key=lambda r: max(r, 1 / r))


@dataclass(frozen=True)
class Decision:
    """The verdict of a claim's parts and the sentence that explains it."""

    verdict: Verdict
    text: str
    parts: list[Judged]


def decide(parts: Sequence[Part]) -> Decision:
    """The verdict of a claim from its parts: the one rule every case goes through."""
    if not parts:
        raise ValueError("a claim needs at least one part")
    judged = [judge(p) for p in parts]
    held = [j for j in judged if j.holds]
    partial = [j for j in judged if j.outcome == "in part"]
    missed = [j for j in judged if j.outcome == "does not hold"]
    unknown = [j for j in judged if j.outcome == "not computable"]
    approx = [j for j in judged if j.outcome == "approximately"]
    n = len(judged)
    if len(unknown) == n:
        reasons = list(dict.fromkeys(j.part.reason for j in unknown))
        return Decision("not computable", "Not computable: " + "; ".join(reasons) + ".", judged)
    if len(held) == n and not approx:
        what = "The part holds" if n == 1 else "Both parts hold" if n == 2 else f"All {n} parts hold"
        return Decision("holds", f"{what} as stated: {_list(judged)}.", judged)
    if len(held) == n:
        exact = [j for j in judged if j.outcome == "as stated"]
        text = (
            f"Every part holds within the tolerance its wording allows; "
            f"{len(approx)} only approximately: {_list(approx, tolerance=True)}"
        )
        if exact:
            text += f"; as stated: {_list(exact)}"
        return Decision("holds approximately", text + ".", judged)
    if not held and not partial:
        main = next((j for j in missed if j.part.main), missed[0])
        name = main.part.name[:1].upper() + main.part.name[1:]
        text = f"No part holds. {name}: computed {main.computed_text()} against {main.stated_text()}"
        text += f" ({factor_text(main.factor)})" if main.factor is not None else ""
        others = [j for j in missed if j is not main]
        if others:
            text += f"; also {_list(others)}"
        if unknown:
            text += f"; not computable: {_list(unknown)}"
        return Decision("wrong", text + ".", judged)
    pieces = []
    if held:
        piece = f"{len(held)} of {n} parts hold"
        if len(held) <= 6:
            piece += f" ({_list(held, tolerance=True)})"
        elif approx:
            piece += f" ({len(approx)} only approximately: {_list(approx, tolerance=True)})"
        pieces.append(piece)
    if partial:
        pieces.append(
            f"{len(partial)} of {n} hold{'s' if len(partial) == 1 else ''} over part of the computed "
            f"range only: {_list(partial)}"
        )
    if missed:
        pieces.append(f"{len(missed)} do{'es' if len(missed) == 1 else ''} not: {_list(missed)}")
    if unknown:
        pieces.append(f"not computable: {_list(unknown)}")
    text = "; ".join(pieces)
    text = text[:1].upper() + text[1:]
    return Decision("partly", text + ".", judged)


def _list(judged: Sequence[Judged], *, tolerance: bool = False) -> str:
    items = []
    for j in judged:
        text = j.describe()
        if tolerance and j.outcome == "approximately":
            text += f" (within ±{PCT}, “{j.part.stated.word}”)"
        items.append(text)
    return "; ".join(items)


def factor_text(factor: Decimal) -> str:
    """`computed/claimed 0.0097: the claim is 103x the computed figure`."""
    text = f"computed/claimed {sig(factor, 3)}"
    if factor < 1:
        text += f": the claim is {sig(1 / factor, 3)}x the computed figure"
    return text


# -- numbers as the explanations show them --------------------------------------------------------


def sig(x: Decimal, digits: int = 4) -> str:
    """`x` to `digits` significant digits, without exponent or trailing zeros, with thousands
    separators (half-up)."""
    if x == 0:
        return "0"
    q = x.quantize(Decimal(1).scaleb(x.adjusted() - digits + 1), rounding=ROUND_HALF_UP)
    text = f"{q:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def show(x: Decimal, fmt: Fmt, suffix: str = "") -> str:
    """A computed figure as text: money to the cent at or above $1 (more digits below), shares
    in percent to 0.1, factors and plain numbers to 4 significant digits."""
    sign = "-" if x < 0 else ""
    a = abs(x)
    if fmt == "usd":
        if a >= 1:
            text = f"{a.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
        else:
            text = sig(a, 4)
            if ("." in text and len(text.split(".")[1]) < 2) or "." not in text:
                text = f"{Decimal(text):.2f}"
        return f"{sign}${text}{suffix}"
    if fmt == "pct":
        return f"{sign}{a.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%{suffix}"
    if fmt == "times":
        return f"{sign}{sig(a, 4)}x{suffix}"
    return f"{sign}{sig(a, 4)}{suffix}"


def show_text(text: str, fmt: Fmt, suffix: str = "") -> str:
    """A stated figure in the digits the article writes it with."""
    x = Decimal(text)
    sign = "-" if x < 0 else ""
    digits = f"{abs(x):,f}"
    if fmt == "usd":
        return f"{sign}${digits}{suffix}"
    if fmt == "pct":
        return f"{sign}{digits}%{suffix}"
    if fmt == "times":
        return f"{sign}{digits}x{suffix}"
    return f"{sign}{digits}{suffix}"
