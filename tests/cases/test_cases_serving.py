"""Cases D1-D5: the articles' chains reproduced, the serving model's figures checked against hand
arithmetic, and the open-weight and self-hosting cases against the price book."""

from __future__ import annotations

from decimal import Decimal

import pytest
from cases_helpers import part

from inferonomics.cases import CaseResult
from inferonomics.cases.self_hosting import d5_break_even, llama2
from inferonomics.cases.true_cost import d1_article_chain, d1_sound_model, d2_margin_table, d3_session_cost
from inferonomics.catalog.architectures import default_configs_dir

D = Decimal
needs_configs = pytest.mark.skipif(
    not default_configs_dir().is_dir(), reason="shared model configs not found (set INFERONOMICS_SHARED_DATA)"
)


def test_d1_article_chain_exactly() -> None:
    chain = d1_article_chain()
    # 3,350 GB/s / 74 GB = 45.2703 passes/s per instance; x 32 x 1,000 tokens x 9 instances x 3,600 s.
    assert chain.forward_passes_per_s == D("45.2703")
    assert chain.input_tokens_per_hour == D(46_936_216_216)
    assert chain.output_tokens_per_hour == D(46_936_216)
    # $144 / 46,936.216 M = $0.003068; $144 / 46.936216 M = $3.067993.
    assert chain.input_usd_per_mtok == D("0.003068")
    assert chain.output_usd_per_mtok == D("3.067993")
    assert chain.asymmetry == D(1000)


@needs_configs
def test_d1_sound_model() -> None:
    result = d1_sound_model()
    article_instance, *fits = result.sound_model
    # 671B FP8 parameters leave no KV room in 8 x 80 GiB.
    assert not article_instance.feasible
    assert article_instance.cost is None
    for row in fits:
        assert row.cost is not None
        # A sound input price is far above the article's $0.003/MTok (prefill is compute-bound).
        assert row.cost.input_usd_per_mtok > 10 * result.article.input_usd_per_mtok
    # 256 experts, 8 per token, 32 tokens: 256 x (1 - (1 - 8/256)^32) = 163.3 touched
    assert result.corrected_chain["experts_touched_per_layer_at_batch"] == pytest.approx(163.31, abs=0.01)


@needs_configs
def test_d1_case_compares_the_claim_with_the_sound_model(cases: dict[str, CaseResult]) -> None:
    d1 = cases["D1"]
    assert d1.figures["article_output_usd_per_mtok"] == D("3.067993")
    costs = [v for k, v in d1.figures.items() if k.startswith(("16x", "8x H200"))]
    assert len(costs) == 2
    lowest_input = min(i for i, _ in costs)
    assert part(d1, "input cost").factor == lowest_input / D("0.003")
    asym = part(d1, "asymmetry").part.bounds()
    assert asym == (min(o / i for i, o in costs), max(o / i for i, o in costs))
    # The chain, under its own assumptions, is judged by the same rule: 46.94B against ~46.8B is within 5 %.
    assert "its chain holds approximately" in d1.explanation


def test_d3_session_cost_at_the_article_rates() -> None:
    r = d3_session_cost(D("0.003"), D(3))
    # 500,000 x $0.003/M + 5,000 x $3/M = $0.0015 + $0.015.
    assert r.per_session_usd == D("0.016500")
    assert r.per_day_usd == D("0.825000")
    assert r.per_month_usd == D("24.750000")
    cached = d3_session_cost(D("0.10"), D(3), cached_fraction=D("0.9"), cached_input_usd_per_mtok=D("0.01"))
    # 50,000 x 0.10 + 450,000 x 0.01 + 5,000 x 3 = 0.005 + 0.0045 + 0.015 per session.
    assert cached.per_session_usd == D("0.024500")


@needs_configs
def test_d3_case(cases: dict[str, CaseResult]) -> None:
    d3 = cases["D3"]
    assert d3.figures["article_month"] == D("24.75")  # 0.0165 x 50 x 30
    # a month is 50 x 30 sessions (the session is shown to a millionth of a dollar)
    assert abs(d3.figures["sound_month"] - d3.figures["sound_session"] * 50 * 30) <= D("0.0000005") * 1500
    assert d3.figures["cached_session"] < d3.figures["sound_session"]
    assert part(d3, "a session").part.bounds() == (d3.figures["cached_session"], d3.figures["sound_session"])
    assert "the arithmetic holds approximately" in d3.explanation  # $0.825 against ~$0.85


# The prices the D2 case text states: (input, output) $/MTok.
D2_PRICES = {
    "Opus 4.1": (D(15), D(75)),
    "Opus 4.5": (D(5), D(25)),
    "Sonnet": (D(3), D(15)),
    "Haiku 4.5": (D(1), D(5)),
    "Haiku 3": (D("0.25"), D("1.25")),
    "DeepSeek V3.2": (D("0.27"), D("1.10")),
}


@needs_configs
def test_d2_margin_table() -> None:
    rows = d2_margin_table(D2_PRICES)
    assert [r.api_model for r in rows] == list(D2_PRICES)
    for r in rows:
        price_in, price_out = D2_PRICES[r.api_model]
        assert r.margin_output == (1 - r.cost_output_usd_per_mtok / price_out).quantize(D("0.0001"))
        assert r.margin_input == (1 - r.cost_input_usd_per_mtok / price_in).quantize(D("0.0001"))


@needs_configs
def test_d2_case(cases: dict[str, CaseResult]) -> None:
    d2 = cases["D2"]
    # DeepSeek's 2025-09-29 notice: V3.2 at $0.28 input (cache miss) / $0.42 output per MTok
    assert d2.figures["DeepSeek V3.2"]["book_price"] == (D("0.28"), D("0.42"))
    assert d2.figures["Opus 4.1"]["book_price"] == (D(15), D(75))
    sonnet = part(d2, "Sonnet output margin, 25 ms")
    assert sonnet.part.computed == d2.figures["Sonnet"]["margin_output_25ms"] * 100
    real = d2.figures["DeepSeek V3.2"]["margin_output_at_book_price"]
    assert real[0] == 1 - d2.figures["DeepSeek V3.2"]["cost_output_25ms"] / D("0.42")


@needs_configs
def test_d4_prices_and_ratios(cases: dict[str, CaseResult]) -> None:
    d4 = cases["D4"]
    qwen, kimi = d4.figures["Qwen 3.5 397B-A17B"], d4.figures["Kimi K2.5"]
    # the cheapest listings in the book: OpenRouter's
    assert (qwen["input"], qwen["output"]) == (D("0.39"), D("2.34"))
    assert (kimi["input"], kimi["output"]) == (D("0.40"), D("1.90"))
    assert d4.figures["anthropic"] == {"input": D(5), "output": D(25), "cache_read": D("0.50")}
    # 70/30 mix: (0.7 x 0.39 + 0.3 x 2.34) / (0.7 x 5 + 0.3 x 25) = 0.975 / 11; Kimi 0.85 / 11
    assert qwen["ratio_to_anthropic"] == D("0.975") / 11
    assert kimi["ratio_to_anthropic"] == D("0.85") / 11
    assert d4.figures["usage_at_open_prices"] == (5000 * D("0.85") / 11, 5000 * D("0.975") / 11)
    for (cost_in, cost_out), usage in zip(
        d4.figures["served"].values(), d4.figures["usage_at_serving_cost"], strict=True
    ):
        assert usage == 5000 * (D("0.7") * cost_in + D("0.3") * cost_out) / 11
    assert part(d4, "Qwen 3.5 397B-A17B input").outcome == "as stated"
    assert part(d4, "open-weight price / Anthropic's").factor == D("0.975") / 11 * 100 / 10


def test_llama2_sizes_match_their_names() -> None:
    # Published totals: 6.74B, 13.0B, 69.0B.
    assert llama2("7B").total_params == pytest.approx(6.74e9, rel=0.005)
    assert llama2("13B").total_params == pytest.approx(13.0e9, rel=0.005)
    assert llama2("70B").total_params == pytest.approx(69.0e9, rel=0.005)


def test_d5_break_even_is_cost_over_price() -> None:
    # Illustrative API prices: $ per MTok in and out.
    rows = d5_break_even({"7B": (D("0.20"), D("0.20"))}, tiers=("specialist", "hyperscaler_on_demand"))
    assert len(rows) == 2
    for r in rows:
        # (1,000 + 250) tokens x $0.20/M = $0.00025 a request
        assert r.api_cost_per_request_usd == D("0.00025")
        ratio = r.cost_per_request_at_full_use_usd / r.api_cost_per_request_usd
        assert r.cost_over_price == pytest.approx(ratio, abs=D("0.0002"))
        assert (r.break_even_utilization is None) == (ratio > 1)
    # Dearer GPUs need more use to break even.
    assert rows[0].gpu_hour_usd < rows[1].gpu_hour_usd
    assert rows[0].cost_over_price < rows[1].cost_over_price


def test_d5_case(cases: dict[str, CaseResult]) -> None:
    d5 = cases["D5"]
    specialist = part(d5, "Llama-2-7B at specialist")
    assert specialist.part.computed == d5.figures["Llama-2-7B specialist"] * 100
    assert specialist.factor == d5.figures["Llama-2-7B specialist"] * 100 / 50
    # at the same GPU price, 13B needs more use than 7B (at Together's $0.225 against $0.20 per MTok)
    assert d5.figures["Llama-2-13B specialist"] > d5.figures["Llama-2-7B specialist"]
