"""The window replay against hand computations at the edges (a burst straddling two windows, a
request at a window's end, a weekly reset, a refused request that consumes nothing, a move to
another model), and against a plain request-by-request reference on random traffic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plans_helpers import T0, US, H, limit, plan_of, usage_of

from inferonomics.errors import PlanError
from inferonomics.plans.replay import replay
from inferonomics.plans.schema import matches

OPUS = "anthropic/claude-opus-4-5"
SONNET = "anthropic/claude-sonnet-4-5"
HAIKU = "anthropic/claude-haiku-4-5"


def served(r: object) -> list[bool]:
    return [bool(x) for x in r.admitted]  # type: ignore[attr-defined]


def test_a_burst_straddling_two_windows() -> None:
    # $100 per 5-hour window; $25 requests at 10:00, 11:00, 12:00, 13:00 (reaches $100: served, the
    # limit is hit at 13:00), 14:00 and 14:59:59.999999 (refused), 15:00 (the window [10:00, 15:00)
    # is over: a new one opens, served), 15:30 (served).
    times = [T0 + i * H for i in range(5)] + [T0 + 5 * H - US, T0 + 5 * H, T0 + 5.5 * H]
    u = usage_of([("u", t, OPUS, "25") for t in times])
    r = replay(u, plan_of(limit("5h", 5, "100")))
    assert served(r) == [True, True, True, True, False, False, True, True]
    assert r.value_served() == [Decimal(25 * 6)]  # 4 + 2 requests of $25
    assert r.value_refused() == [Decimal(50)]
    w = r.windows(0).to_pylist()
    assert [x["window_start"] for x in w] == [T0, T0 + 5 * H]
    assert [x["consumed"] for x in w] == [Decimal(100), Decimal(50)]
    assert [x["hit_at"] for x in w] == [T0 + 3 * H, None]
    assert [x["refused_requests"] for x in w] == [2, 0]
    assert list(r.blocked_by) == [-1, -1, -1, -1, 0, 0, -1, -1]


def test_the_request_that_crosses_the_limit_is_served() -> None:
    # $100 limit; $60 then $60: the second takes the window to $120 (served, hit), a third refused.
    u = usage_of([("u", T0, OPUS, "60"), ("u", T0 + H, OPUS, "60"), ("u", T0 + 2 * H, OPUS, "1")])
    r = replay(u, plan_of(limit("5h", 5, "100")))
    assert served(r) == [True, True, False]
    assert r.windows(0)["consumed"].to_pylist() == [Decimal(120)]


def test_exactness_at_a_femto_dollar() -> None:
    # $100 - 1e-15 then 1e-15: the second request is the one that reaches $100 exactly (served),
    # a third is refused; with the first one femto-dollar smaller the third is served.
    almost = str(Decimal(100) - Decimal("1e-15"))
    femto = "0.000000000000001"
    u = usage_of([("u", T0, OPUS, almost), ("u", T0 + H, OPUS, femto), ("u", T0 + 2 * H, OPUS, femto)])
    assert served(replay(u, plan_of(limit("5h", 5, "100")))) == [True, True, False]
    less = str(Decimal(100) - Decimal("2e-15"))
    u = usage_of([("u", T0, OPUS, less), ("u", T0 + H, OPUS, femto), ("u", T0 + 2 * H, OPUS, femto)])
    assert served(replay(u, plan_of(limit("5h", 5, "100")))) == [True, True, True]


def test_a_weekly_reset() -> None:
    # 5-hour $100 and weekly $250 windows, both opened at Monday 10:00 by the first request. $50
    # requests every hour from Monday 10:00: the first 5-hour window serves 2 (10:00, 11:00 ->
    # $100, hit), refuses 12:00-14:00; the next opens 15:00 (served, 16:00 served: week at $200);
    # 20:00 opens a third, 20:00 served (week $250, hit), everything after refused until the week
    # ends at the next Monday 10:00, where a request opens a new week and a new 5-hour window.
    times = [T0 + i * H for i in range(24)] + [T0 + 168 * H - US, T0 + 168 * H]
    u = usage_of([("u", t, OPUS, "50") for t in times])
    r = replay(u, plan_of(limit("5h", 5, "100"), limit("weekly", 168, "250")))
    ok = served(r)
    assert [i for i, x in enumerate(ok) if x] == [0, 1, 5, 6, 10, 25]
    weekly = r.windows([c.id for c in r.limits].index("weekly")).to_pylist()
    assert [w["window_start"] for w in weekly] == [T0, T0 + 168 * H]
    assert [w["consumed"] for w in weekly] == [Decimal(250), Decimal(50)]
    assert weekly[0]["hit_at"] == T0 + 10 * H
    # Refused after the weekly hit: attributed to the weekly limit; before it, to the 5-hour one.
    k_weekly = [c.id for c in r.limits].index("weekly")
    k_5h = [c.id for c in r.limits].index("5h")
    assert [r.blocked_by[i] for i in (2, 11, 24)] == [k_5h, k_weekly, k_weekly]


def test_a_refused_request_consumes_nothing_but_still_opens_a_window() -> None:
    # Weekly $100, 5-hour $80. $50 at 10:00 and 11:00 (week $100, hit at 11:00); the 5-hour window
    # [10:00, 15:00) served $100? No: the 5-hour limit is $80, so 11:00 crosses both (served).
    # Days later, still in the week, a request at Tue 10:00 is refused (week spent) yet opens a
    # 5-hour window [Tue 10:00, Tue 15:00) with nothing consumed; after the week ends (Mon 10:00)
    # a request at Mon 12:00 opens a new week and a new 5-hour window.
    tue = T0 + 24 * H
    mon = T0 + 168 * H
    rows = [
        (T0, "50"),
        (T0 + H, "50"),
        (tue, "50"),
        (tue + 4 * H, "50"),
        (mon + 2 * H, "90"),
        (mon + 3 * H, "1"),
    ]
    u = usage_of([("u", t, OPUS, v) for t, v in rows])
    r = replay(u, plan_of(limit("5h", 5, "80"), limit("weekly", 168, "100")))
    assert served(r) == [True, True, False, False, True, False]
    k = [c.id for c in r.limits].index("5h")
    five = r.windows(k).to_pylist()
    assert [w["window_start"] for w in five] == [T0, tue, mon + 2 * H]
    assert [w["consumed"] for w in five] == [Decimal(100), Decimal(0), Decimal(90)]
    assert [w["hit_at"] for w in five] == [T0 + H, None, mon + 2 * H]


def test_a_per_model_limit_moves_requests_to_another_model() -> None:
    # Opus weekly $50, moving to Sonnet past it; 5-hour $100 over every model. Opus requests worth
    # $25 (1M output tokens at $25/MTok) at 10:00, 11:00 (Opus at $50: hit), then 12:00 and 13:00
    # move to Sonnet ($15 each at $15/MTok): the 5-hour window counts 25 + 25 + 15 + 15 = $80.
    u = usage_of([("u", T0 + i * H, OPUS, "25") for i in range(4)])
    plan = plan_of(limit("5h", 5, "100"), limit("weekly-opus", 168, "50", models=[OPUS], move_to=SONNET))

    def reprice(model: str) -> np.ndarray:
        assert model == SONNET
        return np.full(4, 15 * 10**15, dtype=np.int64)

    r = replay(u, plan, reprice=reprice)
    assert served(r) == [True] * 4
    k_opus = [c.id for c in r.limits].index("weekly-opus")
    assert list(r.moved_by) == [-1, -1, k_opus, k_opus]
    assert r.value_served() == [Decimal(80)]
    five = r.windows([c.id for c in r.limits].index("5h")).to_pylist()
    assert five[0]["consumed"] == Decimal(80)
    opus = r.windows(k_opus).to_pylist()
    assert (opus[0]["consumed"], opus[0]["hit_at"]) == (Decimal(50), T0 + H)


def test_messages_and_tokens_limits() -> None:
    u = usage_of([("u", T0 + i * H, OPUS, "1") for i in range(4)], tokens=1000)
    assert served(replay(u, plan_of(limit("5h", 5, "2", unit="messages")))) == [True, True, False, False]
    # 1,000 tokens each, 2,500 a window: the third (3,000) crosses and is served.
    assert served(replay(u, plan_of(limit("5h", 5, "2500", unit="tokens")))) == [True, True, True, False]


def test_models_outside_the_plan_are_left_to_the_api() -> None:
    u = usage_of([("u", T0, "openai/gpt-5", "7"), ("u", T0 + H, OPUS, "3")])
    r = replay(u, plan_of(limit("5h", 5, "100")))
    assert (r.value_uncovered(), r.value_served()) == ([Decimal(7)], [Decimal(3)])


def test_scopes_that_do_not_nest_are_refused() -> None:
    u = usage_of([("u", T0, OPUS, "1"), ("u", T0, SONNET, "1"), ("u", T0, HAIKU, "1")])
    plan = plan_of(limit("a", 5, "10", models=[OPUS, SONNET]), limit("b", 5, "10", models=[SONNET, HAIKU]))
    with pytest.raises(PlanError, match="do not nest"):
        replay(u, plan)


# -- against a request-by-request reference ------------------------------------------------------


def reference(
    u: object, plan: object, reprice: dict[str, list[int]]
) -> tuple[list[bool], list[int], list[str | None]]:
    """The semantics as a plain loop: per subscriber, in time order; windows open on the first
    request sent in scope after the previous closed; narrowest scope first; fUSD as Python ints."""
    limits = sorted(
        plan.limits_at(dt.date(2025, 12, 1)),
        key=lambda lim: sum(matches(lim.models, m) for m in [OPUS, SONNET, HAIKU]),
    )  # type: ignore[attr-defined]
    n = len(u.ts)  # type: ignore[attr-defined]
    ok = [True] * n
    by: list[str | None] = [None] * n
    value = [int(u.pico[i]) * 1000 + int(u.femto[i]) for i in range(n)]  # type: ignore[attr-defined]
    state: dict[tuple[int, str], list[int]] = {}
    for i in range(n):
        s = int(u.sub[i])  # type: ignore[attr-defined]
        t = int(u.ts[i])  # type: ignore[attr-defined]
        model = u.models[int(u.model[i])]  # type: ignore[attr-defined]
        for lim in limits:
            if matches(lim.models, model):
                end, _ = state.get((s, lim.id), [-1, 0])
                if t >= end:
                    state[(s, lim.id)] = [t + lim.window.micros, 0]
        cur, v = model, value[i]
        for lim in limits:
            if not matches(lim.models, cur):
                continue
            amount = int(lim.amount * 10**15) if lim.unit == "usd" else int(lim.amount)
            if state[(s, lim.id)][1] >= amount:
                if lim.at_limit == "block":
                    ok[i] = False
                    by[i] = lim.id
                    break
                cur, v = lim.move_to, reprice[lim.move_to][i]
        if ok[i]:
            value[i] = v
            for lim in limits:
                if matches(lim.models, cur):
                    state[(s, lim.id)][1] += v if lim.unit == "usd" else 1
    return ok, value, by


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.integers(0, 24 * 9),  # half-hour steps over 4.5 days: many requests on window edges
            st.sampled_from([OPUS, SONNET, HAIKU]),
            st.integers(1, 60),
        ),
        min_size=1,
        max_size=60,
    ),
    st.sampled_from(["block", "move"]),
)
def test_the_replay_matches_a_request_by_request_reference(
    rows: list[tuple[int, int, str, int]], action: str
) -> None:
    u = usage_of([(f"s{s}", T0 + step * dt.timedelta(minutes=30), m, f"{v}.5") for s, step, m, v in rows])
    opus = limit("weekly-opus", 48, "70", models=[OPUS], move_to=SONNET if action == "move" else None)
    plan = plan_of(
        limit("5h", 5, "100"),
        limit("weekly", 72, "180"),
        opus,
        limit("5h-msgs", 5, "9", unit="messages", models=[HAIKU]),
    )
    moved = {SONNET: [int(x) * 1000 // 2 + 7 for x in u.pico]}
    r = replay(u, plan, reprice=lambda m: np.array(moved[m], dtype=np.int64))
    ok, value, by = reference(u, plan, moved)
    assert served(r) == ok
    assert [r.limits[k].id if k >= 0 else None for k in r.blocked_by] == by
    got = [int(p) * 1000 + int(f) for p, f in zip(r.served_pico, r.served_femto, strict=True)]
    assert [g for g, k in zip(got, ok, strict=True) if k] == [v for v, k in zip(value, ok, strict=True) if k]
