"""Usage-limit messages of coding agents → limit events (see `EVENTS_SCHEMA`).

Claude Code writes a limit hit into the transcript as an assistant message of its own (model
`<synthetic>`, `isApiErrorMessage: true`, `error: "rate_limit"`); its wording changed across
releases, and the reset time is given as an epoch, or as a local wall time with or without the
time zone. The variants read here, with where each is quoted publicly:

* `Claude AI usage limit reached|1750000000` (the epoch of the reset; ccusage and
  Claude-Code-Usage-Monitor parse the number after the bar);
* `Claude usage limit reached. Your limit will reset at 9am (America/Chicago).`
  (anthropics/claude-code#15064);
* `5-hour limit reached ∙ resets 9pm`, `Weekly limit reached · resets Feb 22 at 9:30am`,
  `Opus weekly limit reached ∙ resets Oct 9, 10am` (anthropics/claude-code#7892, #6392);
* `You've hit your limit · resets 10pm (Europe/Paris)`, `You've hit your session limit · resets
  4:20am (Europe/Warsaw)` (anthropics/claude-code#74079, #84899).

Codex CLI says `You've hit your usage limit. … try again in 3 days 6 hours 57 minutes.` or `… try
again at 3:28 PM.`

A wall time is resolved only with its time zone (the next such time after the message); without
one the reset stays unknown (the log does not say which zone the user's clock was in). The window
is `5h` for the 5-hour / session limit, `weekly` for a weekly one, the message's own label for
another, and NULL when the message names none (then `5h` if the reset is at most 5 hours away).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

MESSAGE_CHARS = 200

_NOT_A_PLAN_LIMIT = re.compile(r"not your usage limit|temporarily limiting requests", re.I)
_HIT = re.compile(
    r"(?P<a>usage limit reached)"
    r"|(?P<label>[\w\- ]{0,40}?)\s*limit reached"
    r"|you(?:'|’)ve (?:hit|reached) your (?:(?P<label2>[\w\- ]{1,40}?) )?limit",
    re.I,
)
_EPOCH = re.compile(r"limit reached\|(\d{9,11})")
_RESET = re.compile(
    r"(?:resets?|reset at|try again)\s+(?:at\s+|on\s+)?(?P<when>[^()·∙•|\n]*?)\s*"
    r"(?:\((?P<tz>[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)*)\))?\s*(?:[.·∙•]|$)",
    re.I,
)
_IN = re.compile(
    r"try again in\s+(?P<span>(?:\d+\s*(?:days?|hours?|minutes?|mins?|seconds?)[\s,and]*)+)", re.I
)
_CLOCK = re.compile(r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>[ap])\.?m\b", re.I)
_DATE = re.compile(r"(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNITS = {"day": "days", "hour": "hours", "min": "minutes", "sec": "seconds"}
_GENERIC = {"claude", "ai", "usage", "your", "the", "code", "codex"}
_FAMILIES = ("opus", "sonnet", "haiku")


@dataclass(frozen=True)
class LimitHit:
    """A limit message understood: the window it names, when it resets (None when the message does
    not say in a way that can be resolved), the model family a per-model limit names, the text."""

    window: str | None
    resets_at: dt.datetime | None
    model: str | None
    message: str


def utc(text: object) -> dt.datetime | None:
    """An agent log's ISO 8601 timestamp as an aware UTC datetime (None when it is not one; no
    offset means UTC)."""
    try:
        at = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def short(text: str) -> str:
    """The text as an event keeps it: whitespace collapsed, at most 200 characters."""
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def limit_hit(text: str | None, at: dt.datetime) -> LimitHit | None:
    """The limit a message says was reached (None when it is not a usage-limit message). `at` is
    the message's time (UTC), from which a reset written as a wall time or a wait is resolved."""
    if not text or _NOT_A_PLAN_LIMIT.search(text):
        return None
    m = _HIT.search(text)
    if m is None:
        return None
    label = (m.group("label") or m.group("label2") or "").strip().lower()
    words = [w for w in re.split(r"\s+", label) if w and w not in _GENERIC]
    resets = _reset_time(text, at)
    window = _window(" ".join(words))
    if (
        window is None
        and not words
        and resets is not None
        and dt.timedelta(0) < resets - at <= dt.timedelta(hours=5)
    ):
        window = "5h"
    model = next((f for f in _FAMILIES if f in words), None)
    return LimitHit(window, resets, model, short(text))


def _window(label: str) -> str | None:
    if not label:
        return None
    if "week" in label:
        return "weekly"
    if "5-hour" in label or "5 hour" in label or "five-hour" in label or "session" in label:
        return "5h"
    return label


def _reset_time(text: str, at: dt.datetime) -> dt.datetime | None:
    epoch = _EPOCH.search(text)
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch.group(1)), dt.UTC)
    wait = _IN.search(text)
    if wait:
        span = dt.timedelta()
        for n, unit in re.findall(r"(\d+)\s*(day|hour|min|sec)", wait.group("span"), re.I):
            span += dt.timedelta(**{_UNITS[unit.lower()]: int(n)})
        return at + span
    m = _RESET.search(text)
    if m is None or not m.group("tz"):
        return None
    try:
        zone = zoneinfo.ZoneInfo(m.group("tz"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return _next_wall_time(m.group("when"), at.astimezone(zone))


def _next_wall_time(when: str, local_now: dt.datetime) -> dt.datetime | None:
    """The first instant after `local_now` whose wall time (and date, when given) is `when`."""
    clock = _CLOCK.search(when)
    if clock is None:
        return None
    hour = int(clock.group("h")) % 12 + (12 if clock.group("ap").lower() == "p" else 0)
    minute = int(clock.group("m") or 0)
    if hour > 23 or minute > 59:
        return None
    zone = local_now.tzinfo
    date = _DATE.search(when)
    if date and date.group("mon")[:3].lower() in _MONTHS:
        month, day = _MONTHS[date.group("mon")[:3].lower()], int(date.group("d"))
        for year in (local_now.year, local_now.year + 1):
            try:
                candidate = dt.datetime(year, month, day, hour, minute, tzinfo=zone)
            except ValueError:
                return None
            if candidate > local_now:
                return candidate.astimezone(dt.UTC)
        return None
    first_day = local_now.date() + dt.timedelta(days=1 if "tomorrow" in when.lower() else 0)
    candidate = dt.datetime.combine(first_day, dt.time(hour, minute), tzinfo=zone)
    weekday = next((i for i, d in enumerate(_WEEKDAYS) if re.search(rf"\b{d}", when, re.I)), None)
    while candidate <= local_now or (weekday is not None and candidate.weekday() != weekday):
        candidate += dt.timedelta(days=1)
    return candidate.astimezone(dt.UTC)
