"""Constants and helpers of the HTML report's tests (imported by conftest and the tests)."""

from __future__ import annotations

import csv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "build" / "report-screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "[link=https://evil.example]x[/link]",
    "</script>",
)
DEMO_ROWS = 3000
DEMO_SEED = 7


def write_hostile_csv(path: Path) -> Path:
    """40 requests whose tenant, user, feature, session, tag `team` and (for 4) model are hostile."""
    rows = []
    for i in range(40):
        h = HOSTILE[i % 4]
        rows.append(
            {
                "ts": f"2026-10-0{1 + i % 3}T{10 + i % 5}:00:00Z",
                "request_id": f"r{i}",
                "provider": "anthropic",
                "model": "claude-sonnet-4-5" if i % 10 else h,
                "tenant": h,
                "user": f"{h}{i % 2}",
                "feature": h,
                "session": f"{h}s{i % 3}",
                "input_tokens": 1000 + i,
                "output_tokens": 100 + i,
                "team": h,
            }
        )
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path
