"""The one verdict rule (`cases/verdict.py`) on synthetic claims: every outcome of a part, the
tolerance edges, and every verdict kind with the explanation it writes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inferonomics.cases.verdict import Part, at_least, at_most, between, decide, judge, show, sig, value

D = Decimal


def outcome(stated, computed, fmt="num"):  # type: ignore[no-untyped-def]
    return judge(Part.of("x", stated, computed, fmt)).outcome


def test_an_exact_amount_of_money_holds_to_the_cent() -> None:
    assert outcome(value("6600"), "6600", "usd") == "as stated"
    assert outcome(value("6600"), "6600.005", "usd") == "as stated"  # half a cent: the edge is inside
    assert outcome(value("6600"), "6600.0051", "usd") == "does not hold"
    assert outcome(value("0.80"), "0.8", "usd") == "as stated"


def test_an_exact_figure_holds_at_the_digits_it_is_written_with() -> None:
    # "16%" is to the percent: 15.5 and 16.5 are its edges
    assert outcome(value("16"), "16.5", "pct") == "as stated"
    assert outcome(value("16"), "15.5", "pct") == "as stated"
    assert outcome(value("16"), "16.51", "pct") == "does not hold"
    assert outcome(value("1.1"), "1", "times") == "does not hold"


def test_an_approximate_figure_allows_five_percent_or_its_rounding() -> None:
    # "approximately 40%": 40 x 0.95 = 38 and 40 x 1.05 = 42 are the edges; 39.5-40.5 is its rounding
    assert outcome(value("40", "approximately"), "40.4", "pct") == "as stated"
    assert outcome(value("40", "approximately"), "38.9", "pct") == "approximately"
    assert outcome(value("40", "approximately"), "38", "pct") == "approximately"
    assert outcome(value("40", "approximately"), "42", "pct") == "approximately"
    assert outcome(value("40", "approximately"), "37.99", "pct") == "does not hold"
    assert outcome(value("40", "approximately"), "42.01", "pct") == "does not hold"
    # "~1" is written to the unit: its rounding (0.5-1.5) is wider than 5 %
    assert outcome(value("1", "~"), "1.5") == "as stated"
    assert outcome(value("1", "~"), "1.51") == "does not hold"
    # "~$0.017" is to a tenth of a cent: $0.0165 rounds to it
    assert outcome(value("0.017", "~"), "0.0165", "usd") == "as stated"
    # without the word, the same miss does not hold
    assert outcome(value("40"), "38.9", "pct") == "does not hold"


def test_ranges_and_bounds() -> None:
    assert outcome(between("80", "93"), "93.5", "pct") == "as stated"
    assert outcome(between("80", "93"), "93.51", "pct") == "does not hold"
    # a range is written to its finer end: "$0.50-1" ends at $1.00, to the cent
    assert outcome(between("0.50", "1", "~"), "1.05", "usd") == "approximately"
    assert outcome(between("0.50", "1", "~"), "1.06", "usd") == "does not hold"
    assert outcome(at_least("50"), "49.5", "pct") == "as stated"
    assert outcome(at_least("50"), "49.4", "pct") == "does not hold"
    assert outcome(at_least("50"), "250", "pct") == "as stated"
    assert outcome(at_most("1"), "0.2") == "as stated"
    # a computed range holds when all of it is inside the stated one; 85 x 1.05 = 89.25
    assert outcome(between("65", "85", "typically"), ("73.5", "89.25"), "pct") == "approximately"
    # one that reaches into it but also beyond holds in part, one wholly outside does not
    assert outcome(between("65", "85", "typically"), ("73.5", "92.9"), "pct") == "in part"
    assert outcome(between("40", "60"), ("13.3", "33.3"), "pct") == "does not hold"
    assert outcome(between("40", "60"), ("13.3", "39.5"), "pct") == "in part"  # 40 - 0.5 (rounding)
    assert outcome(between("40", "60"), ("13.3", "39.4"), "pct") == "does not hold"
    # a single computed value is in or out: never in part
    assert outcome(between("40", "60"), "39.4", "pct") == "does not hold"


def test_the_factor_is_the_computed_end_outside_over_the_stated_end_it_passes() -> None:
    # computed $2.00-$2.60 against ~$1.60: the nearer end, 2.00 / 1.60
    assert judge(Part.of("x", value("1.60", "~"), (D(2), D("2.6")), "usd")).factor == D("1.25")
    # computed 73.5-92.9 against 65-85: the end outside, 92.9 / 85
    assert judge(Part.of("x", between("65", "85"), (D("73.5"), D("92.9")))).factor == D("92.9") / 85
    # below a floor: 9,720 / 1,000,000
    assert judge(Part.of("x", at_least("1000000"), D(9720), "usd")).factor == D("0.00972")
    # no factor across a change of sign
    assert judge(Part.of("x", between("9", "55"), D("-19.5"), "pct")).factor is None


def test_holds_when_every_part_holds_as_stated() -> None:
    d = decide(
        [
            Part.of("monthly saving", value("5000"), 5000, "usd"),
            Part.of("yearly", value("60000"), 60000, "usd"),
        ]
    )
    assert d.verdict == "holds"
    assert d.text == (
        "Both parts hold as stated: monthly saving: $5,000.00 against $5,000; "
        "yearly: $60,000.00 against $60,000."
    )


def test_holds_approximately_names_the_tolerance() -> None:
    d = decide(
        [
            Part.of("bill", value("6600"), 6600, "usd"),
            Part.of("Sonnet over GPT-4o", value("40", "approximately"), "38.9", "pct"),
        ]
    )
    assert d.verdict == "holds approximately"
    assert "Sonnet over GPT-4o: 38.9% against approximately 40% (within ±5 %, “approximately”)" in d.text
    assert "as stated: bill" in d.text


def test_partly_names_what_holds_and_what_does_not() -> None:
    d = decide(
        [
            Part.of("GPT-5 input", value("30"), "1.25", "usd"),
            Part.of("Opus 4.5 input", value("5"), 5, "usd"),
            Part.of("optimised cost", between("2800", "3500"), None, "usd", reason="no method stated"),
        ]
    )
    assert d.verdict == "partly"
    assert d.text.startswith("1 of 3 parts hold (Opus 4.5 input: $5.00 against $5)")
    # 1.25 / 30 = 0.0417; 30 / 1.25 = 24
    assert "1 does not: GPT-5 input: $1.25 against $30 (computed/claimed 0.0417: the claim is 24x" in d.text
    assert "not computable: optimised cost (no method stated)" in d.text
    # a part that holds with another that cannot be computed is still only partly
    assert (
        decide([Part.of("a", value("1"), 1), Part.of("b", value("2"), None, reason="r")]).verdict == "partly"
    )


def test_a_range_that_holds_in_part_makes_the_case_partly_right() -> None:
    d = decide(
        [
            Part.of("compounded", between("65", "85", "typically"), (D("73.5"), D("92.9")), "pct"),
            Part.of("routing", between("40", "60"), (D("13.3"), D("33.3")), "pct"),
        ]
    )
    assert d.verdict == "partly"
    # 92.9 / 85 = 1.093 and 33.3 / 40 = 0.8325
    assert d.text.startswith(
        "1 of 2 holds over part of the computed range only: compounded: 73.5%–92.9% against "
        "typically 65%–85% (computed/claimed 1.09); 1 does not: routing: 13.3%–33.3% against 40%–60% "
        "(computed/claimed 0.833"
    )


def test_wrong_gives_the_main_parts_factor() -> None:
    d = decide(
        [
            Part.of("daily", value("10"), 11),
            Part.of("thinking tokens a month", value("10000"), 300000, "usd", main=True),
        ]
    )
    assert d.verdict == "wrong"
    # 300,000 / 10,000 = 30
    assert d.text.startswith(
        "No part holds. Thinking tokens a month: computed $300,000.00 against $10,000 (computed/claimed 30)"
    )
    assert "also daily: 11 against 10 (computed/claimed 1.1)" in d.text


def test_not_computable_gives_the_reasons() -> None:
    d = decide(
        [
            Part.of("a", value("20"), None, reason="needs the plans"),
            Part.of("b", value("1"), None, reason="needs the plans"),
        ]
    )
    assert d.verdict == "not computable"
    assert d.text == "Not computable: needs the plans."


def test_malformed_claims_are_refused() -> None:
    with pytest.raises(ValueError, match="no computed figure and no reason"):
        judge(Part.of("a", value("1"), None))
    with pytest.raises(ValueError, match="at least one part"):
        decide([])
    with pytest.raises(ValueError, match="not an approximate wording"):
        value("1", "circa")


def test_figures_as_the_explanations_show_them() -> None:
    assert sig(D("46936216216"), 4) == "46,940,000,000"
    assert sig(D("0.0030680"), 4) == "0.003068"
    assert show(D("3.067993"), "usd") == "$3.07"
    assert show(D("0.3"), "usd") == "$0.30"
    assert show(D("0.131481"), "usd") == "$0.1315"
    assert show(D("-242.84"), "pct") == "-242.8%"
    assert show(D("1.66135"), "times") == "1.661x"
