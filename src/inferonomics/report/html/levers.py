"""The Levers section of the HTML report: the cached share of input and the bill against the cache
TTL (from the cache replay, one replay per TTL), and the savings playbook as a waterfall where each
step is billed on what the previous ones left.

Replays cost memory and time in proportion to the prompt blocks they track (minutes and many GB
at ten million rows, eight times over), so on a ledger of more than `LEVER_ROWS` rows the section
replays a sample of whole users (every request of a user picked by a hash of its name, so a
user's sessions and cache stay together) and says so on the page; its dollar figures are then the
sample's, its shares estimates for the whole ledger."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from typing import Any

from inferonomics.billing.bill import Summary
from inferonomics.catalog.book import PriceBook
from inferonomics.errors import LeverError
from inferonomics.ledger.core import Ledger
from inferonomics.levers.caching import Caching
from inferonomics.levers.playbook import Playbook, playbook
from inferonomics.levers.report import cache_report
from inferonomics.report.format import money, pct
from inferonomics.report.html.charts import Chart, Section, lines, waterfall

__all__ = [
    "LEVER_ROWS",
    "TTLS",
    "cache_ttl_chart",
    "levers_section",
    "sample_users",
    "waterfall_chart",
    "waterfall_rows",
]

LEVER_ROWS = 100_000
"""Above this many billed rows the Levers section replays a sample of users of about this size."""

BUCKETS = 10_000
_SAMPLES = itertools.count()

TTLS: tuple[tuple[str, float], ...] = (
    ("1 min", 60.0),
    ("5 min", 300.0),
    ("15 min", 900.0),
    ("1 h", 3600.0),
    ("6 h", 21600.0),
    ("24 h", 86400.0),
    ("no expiry", math.inf),
)
"""The TTLs replayed for the cached-share chart (each provider's own caching rules otherwise)."""


def sample_users(ledger: Ledger, rows: int, target: int = LEVER_ROWS) -> tuple[Ledger, str | None]:
    """The ledger itself when it has at most `target` of its `rows`; else every request of a
    hash-picked share of users (requests without a user are picked by session, then by id), with a
    sentence saying what was sampled."""
    if rows <= target:
        return ledger, None
    keep = max(1, target * BUCKETS // rows)
    r = ledger.rows
    who = r.user.cast("string").coalesce(r.session, r.request_id)
    picked = r.filter((who.hash() % BUCKETS).abs() < keep).to_pyarrow()
    # Materialised once (each replay would otherwise read and filter the whole input again), and
    # derived from the ledger so the sample keeps its prefix-block size and tags.
    table = ledger.con.create_table(f"levers_sample_{next(_SAMPLES)}", picked, temp=True)
    sample = ledger.derived(table, name="<sample of users>")
    share = Decimal(keep) / BUCKETS
    return sample, (
        f"The ledger has {rows:,} rows: these replays run on about {pct(share, 2)} of its users "
        f"(every request of each user picked by a hash of its name), so their dollar figures are "
        f"that sample's and their shares estimate the whole ledger's."
    )


def _has_prefixes(ledger: Ledger) -> bool:
    r = ledger.rows
    found = r.aggregate(h=r.prefix_hashes.notnull().sum(), s=r.session.notnull().sum()).to_pyarrow()
    row = found.to_pylist()[0]
    return bool(row["h"] or row["s"])


def cache_ttl_chart(ledger: Ledger, book: PriceBook) -> Chart:
    """Cached share of input tokens and the bill after the replay, per TTL (the last one, no
    expiry, is drawn at 30 days on the log axis)."""
    rows: list[list[Any]] = []
    for label, seconds in TTLS:
        r = cache_report(ledger, Caching(ttl_seconds=seconds), book=book)
        minutes = Decimal(30 * 24 * 60) if math.isinf(seconds) else Decimal(str(seconds)) / 60
        rows.append([label, minutes, r.cached_input_share, r.cost_after_usd, r.saving_usd])
    best = max(rows, key=lambda x: x[4])
    first, last = rows[0], rows[-1]
    caption = (
        f"Replaying prompt caching with each provider's rules, the cached share of input grows from "
        f"{pct(first[2])} at a {first[0]} TTL to {pct(last[2])} with no expiry; the cheapest TTL "
        f"tried is {best[0]}, billing {money(best[3])} ({money(best[4])} less than as recorded)."
    )
    spec = lines(
        "Cached share of input against TTL",
        ("ttl_minutes", "TTL (minutes, log scale)"),
        ("cached_share", "cached share of input"),
        x_log=True,
        x_format=",~r",
    )
    spec["encoding"]["tooltip"] = [
        {"field": "ttl", "type": "nominal", "title": "TTL"},
        {"field": "cached_share", "type": "quantitative", "title": "cached share", "format": ".2%"},
        {"field": "cost_after_usd", "type": "quantitative", "title": "bill after (USD)", "format": "$,.2f"},
        {"field": "saving_usd", "type": "quantitative", "title": "saving (USD)", "format": "$,.2f"},
    ]
    return Chart(
        key="levers.cache_ttl",
        title="Cached share of input against the cache TTL",
        caption=caption,
        columns=[
            ("ttl", "TTL"),
            ("ttl_minutes", "TTL (minutes; no expiry drawn at 30 days)"),
            ("cached_share", "cached share of input"),
            ("cost_after_usd", "bill after the replay (USD)"),
            ("saving_usd", "saving against the recorded bill (USD)"),
        ],
        rows=rows,
        spec=spec,
    )


def waterfall_rows(pb: Playbook) -> list[list[Any]]:
    """[step, kind, from, to, saving]: the recorded bill, each applied step from what the
    previous left to what it leaves, and the bill after the playbook."""
    rows: list[list[Any]] = [["as recorded", "bill", Decimal(0), pb.baseline.cost_usd, None]]
    for s in pb.steps:
        if s.applied:
            rows.append([s.lever, "saving", s.before_usd, s.after_usd, s.saving_usd])
    rows.append(["after the playbook", "bill", Decimal(0), pb.final.cost_usd, None])
    return rows


def waterfall_chart(pb: Playbook) -> Chart:
    """The playbook as a waterfall, with the compounded saving in words."""
    applied = [s for s in pb.steps if s.applied]
    caption = (
        f"The playbook takes the bill from {money(pb.baseline.cost_usd)} to {money(pb.final.cost_usd)}: "
        f"{money(pb.saving_usd)} saved ({pct(pb.saving_share)}), each step billed on what the ones "
        f"before it left"
    )
    if len(applied) > 1:
        caption += f" (adding the steps' own shares would wrongly claim {pct(pb.added_share)})"
    return Chart(
        key="levers.playbook",
        title="The savings playbook",
        caption=caption + ".",
        columns=[
            ("step", "step"),
            ("kind", "kind"),
            ("start_usd", "from (USD)"),
            ("end_usd", "to (USD)"),
            ("saving_usd", "saving (USD)"),
        ],
        rows=waterfall_rows(pb),
        spec=waterfall("The savings playbook"),
    )


def levers_section(ledger: Ledger, book: PriceBook, summary: Summary, target: int = LEVER_ROWS) -> Section:
    """The Levers section: the TTL chart (when the ledger has sessions or prefix hashes) and the
    playbook waterfall (when the ledger suggests a lever), over a sample of users when the ledger
    has more than `target` billed rows."""
    charts: list[Chart] = []
    notes: list[str] = []
    if summary.account.rows_billed == 0:
        return Section(key="levers", title="Levers", intro="", omitted="no billed row to replay levers on.")
    ledger, sampled = sample_users(ledger, summary.account.rows_billed, target)
    if sampled:
        notes.append(sampled)
    if _has_prefixes(ledger):
        charts.append(cache_ttl_chart(ledger, book))
    else:
        notes.append("No cache TTL chart: the ledger has no sessions or prefix hashes to replay caching on.")
    try:
        pb = playbook(ledger, book=book)
    except LeverError as e:
        notes.append(f"No playbook: {e}")
    else:
        charts.append(waterfall_chart(pb))
        notes += [f"Playbook: {n}" for n in pb.notes]
        notes += [f"{s.lever}: {s.description}" for s in pb.steps]
        notes += [f"Assumption ({s.lever}): {a}" for s in pb.steps for a in s.assumptions]
    if not charts:
        return Section(key="levers", title="Levers", intro="", omitted=" ".join(notes))
    intro = "What caching and the other levers would save on this ledger, replayed request by request."
    if sampled:
        intro += " " + sampled
    return Section(
        key="levers",
        title="Levers",
        intro=intro,
        charts=charts,
        notes=notes,
    )
