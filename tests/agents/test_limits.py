"""Usage-limit messages in the wordings agents have used (see `readers/limits.py` for where each
is quoted), with the window and reset each one gives."""

from __future__ import annotations

import datetime as dt

import pytest

from inferonomics.ledger.readers.limits import limit_hit, short

UTC = dt.UTC
AT = dt.datetime(2026, 2, 12, 20, 0, tzinfo=UTC)  # a Thursday


@pytest.mark.parametrize(
    ("text", "window", "resets_at", "model"),
    [
        # The epoch after the bar: 1770930000 is 2026-02-12 21:00 UTC, an hour on: 5-hour window.
        ("Claude AI usage limit reached|1770930000", "5h", dt.datetime(2026, 2, 12, 21, 0, tzinfo=UTC), None),
        # 9pm in Chicago (UTC-6) is 03:00 UTC the next day; 7 hours on: no window can be told.
        (
            "Claude usage limit reached. Your limit will reset at 9pm (America/Chicago).",
            None,
            dt.datetime(2026, 2, 13, 3, 0, tzinfo=UTC),
            None,
        ),
        # A wall time without a zone cannot be placed.
        ("5-hour limit reached ∙ resets 9pm", "5h", None, None),
        (
            "Weekly limit reached · resets Feb 22 at 9:30am (Europe/Paris)",
            "weekly",
            dt.datetime(2026, 2, 22, 8, 30, tzinfo=UTC),
            None,
        ),
        ("Opus weekly limit reached ∙ resets Oct 9, 10am", "weekly", None, "opus"),
        (
            "You've hit your limit · resets 10pm (Europe/Paris)",
            "5h",
            dt.datetime(2026, 2, 12, 21, 0, tzinfo=UTC),
            None,
        ),
        (
            "You’ve hit your session limit · resets 4:20am (Europe/Warsaw)",
            "5h",
            dt.datetime(2026, 2, 13, 3, 20, tzinfo=UTC),
            None,
        ),
        # "Mon 9am" from a Thursday evening: the coming Monday.
        (
            "You've hit your weekly limit · resets Mon 9am (UTC)",
            "weekly",
            dt.datetime(2026, 2, 16, 9, 0, tzinfo=UTC),
            None,
        ),
        # Codex: a wait from the message's time (3 days 6 h 57 min after Thursday 20:00).
        (
            "You've hit your usage limit. To get more access now, send a request to your admin or try "
            "again in 3 days 6 hours 57 minutes.",
            None,
            dt.datetime(2026, 2, 16, 2, 57, tzinfo=UTC),
            None,
        ),
        (
            "You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to purchase more "
            "credits or try again at 3:28 PM.",
            None,
            None,
            None,
        ),
    ],
)
def test_limit_wordings(
    text: str, window: str | None, resets_at: dt.datetime | None, model: str | None
) -> None:
    hit = limit_hit(text, AT)
    assert hit is not None
    assert (hit.window, hit.resets_at, hit.model, hit.message) == (window, resets_at, model, text)


@pytest.mark.parametrize(
    "text",
    [
        "Server is temporarily limiting requests (not your usage limit). Retry in 156s.",
        "API Error: 500 Internal server error",
        "Please run /login · API Error: 401",
        "",
        None,
    ],
)
def test_other_errors_are_not_limit_hits(text: str | None) -> None:
    assert limit_hit(text, AT) is None


def test_messages_are_cut_to_200_characters() -> None:
    text = "You've hit your limit · " + "x" * 300
    assert len(short(text)) == 200
    assert short(text).endswith("…")
