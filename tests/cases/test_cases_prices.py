"""Cases A1-A5 and B1: the figures computed through the book and the billing engine, against hand
arithmetic on the providers' published prices (cited in the price book)."""

from __future__ import annotations

from decimal import Decimal

from cases_helpers import part

from inferonomics.cases import CaseResult

D = Decimal


def test_a1_finds_the_two_wrong_prices(cases: dict[str, CaseResult]) -> None:
    a1 = cases["A1"]
    # openai.com/api/pricing: GPT-5 $1.25 / $10; DeepSeek's 2025-09-29 notice: V3.2 $0.28 / $0.42
    assert a1.figures["GPT-5"] == {"input": D("1.25"), "output": D(10)}
    assert a1.figures["DeepSeek V3.2"] == {"input": D("0.28"), "output": D("0.42")}
    assert a1.figures["Opus 4.1"] == {"input": D(15), "output": D(75)}
    assert a1.figures["Haiku 3"] == {"input": D("0.25"), "output": D("1.25")}
    missed = [j.part.name for j in a1.parts if not j.holds]
    assert missed == ["GPT-5 input", "GPT-5 output", "DeepSeek V3.2 input", "DeepSeek V3.2 output"]
    assert part(a1, "GPT-5 input").factor == D("1.25") / 30
    assert a1.verdict == "partly"  # 18 of 22 prices hold
    # $30 / $60 is GPT-4's 2023 price; $0.27 / $1.10 DeepSeek-V3's before September 2025
    assert "is what the book lists for GPT-4" in a1.explanation
    assert "is what the book lists for DeepSeek-V3 in June 2025" in a1.explanation


def test_a2_bills_are_exact(cases: dict[str, CaseResult]) -> None:
    a2 = cases["A2"]
    assert a2.figures["Claude Sonnet 4.5"] == D(6600)  # 700 x $3 + 300 x $15
    assert a2.figures["GPT-4o"] == D(4750)  # 700 x $2.50 + 300 x $10
    assert a2.figures["Gemini 2.5 Pro"] == D(3875)  # 700 x $1.25 + 300 x $10
    assert a2.figures["DeepSeek V3"] == D(519)  # 700 x $0.27 + 300 x $1.10
    assert a2.figures["sonnet_vs_gpt4o_pct"] == (D(6600) / 4750 - 1) * 100  # 38.9%
    assert a2.figures["sonnet_vs_gemini_pct"] == (D(6600) / 3875 - 1) * 100  # 70.3%
    assert a2.figures["sonnet_all_batch"] == D(3300)  # half of 6,600
    # 38.9% is within 5 % of "approximately 40%" (38-42), 70.3% rounds to "70%"
    assert part(a2, "Sonnet over GPT-4o").outcome == "approximately"
    assert part(a2, "Sonnet over Gemini").outcome == "as stated"
    assert part(a2, "optimised").outcome == "not computable"


def test_a3_batch_is_half_but_not_on_every_model(cases: dict[str, CaseResult]) -> None:
    a3 = cases["A3"]
    assert a3.figures["Opus 4.5"] == {"input": D("2.5"), "output": D("12.5")}
    assert a3.figures["Sonnet 4.5"] == {"input": D("1.5"), "output": D("7.5")}
    assert a3.figures["Haiku 4.5"] == {"input": D("0.5"), "output": D("2.5")}
    # DeepSeek has no batch API: 10 of A1's 11 models are half price in batch
    assert "DeepSeek V3.2" not in a3.figures["models_half_price_in_batch"]
    assert a3.figures["share_half_price_pct"] == D(10) / 11 * 100
    assert not part(a3, "share of A1's models").holds


def test_a4_migration_saving(cases: dict[str, CaseResult]) -> None:
    a4 = cases["A4"]
    assert a4.figures["monthly_saving"] == D(5000)  # 100M x ($75 - $25)
    assert a4.figures["yearly_saving"] == D(60000)
    assert all(j.outcome == "as stated" for j in a4.parts)


def test_a5_residency_applies_from_the_4_6_models(cases: dict[str, CaseResult]) -> None:
    a5 = cases["A5"]
    for tokens in ("input_tokens", "output_tokens", "cache_read_tokens"):
        assert a5.figures[f"claude-sonnet-4-6 {tokens}"] == D("1.1")
        assert a5.figures[f"claude-sonnet-4-5 {tokens}"] == D(1)
    assert [j.part.name for j in a5.parts if not j.holds] == ["Sonnet 4.5 input", "Sonnet 4.5 output"]


def test_b1_cache_multipliers(cases: dict[str, CaseResult]) -> None:
    b1 = cases["B1"]
    # $3 x 1.25, $3 x 2, $3 x 0.1
    assert b1.figures == {"write_5m": D("3.75"), "write_1h": D(6), "read": D("0.3"), "input": D(3)}
    assert all(j.outcome == "as stated" for j in b1.parts)
