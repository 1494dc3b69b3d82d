"""Reading real-world formats: rows per second of the Python readers (LiteLLM spend logs, OTLP
spans) against the canonical ledger as JSON lines (the baseline: the same rows, already in ledger
columns), and the FOCUS export of the result.

    .venv/bin/python benchmarks/formats.py [ROWS]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from inferonomics.billing.focus import focus_export
from inferonomics.catalog.book import PriceBook
from inferonomics.ledger.core import Ledger

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "formats"


def litellm_file(path: Path, rows: int) -> None:
    template = [json.loads(line) for line in (FIXTURES / "litellm_spend_logs.jsonl").read_text().splitlines()]
    template = [r for r in template if r["status"] == "success" and r["cache_hit"] == "False"]
    with path.open("w") as f:
        for i in range(rows):
            r = dict(template[i % len(template)])
            r["request_id"] = f"req-{i}"
            f.write(json.dumps(r) + "\n")


def ledger_file(path: Path, source: Path) -> None:
    with Ledger.open([source]) as ledger:
        table = ledger.to_arrow().drop_columns(["prefix_hashes", "source_file", "source_line"])
    with path.open("w") as f:
        for r in table.to_pylist():
            r["ts"] = r["ts"].isoformat()
            r["reported_cost_usd"] = str(r["reported_cost_usd"])
            f.write(json.dumps(r) + "\n")


def timed(paths: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    with Ledger.open(paths) as ledger:
        account = ledger.account()
    return time.perf_counter() - start, account.rows_billed


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    book = PriceBook.load()
    with tempfile.TemporaryDirectory() as tmp:
        spend, canonical = Path(tmp) / "spend.jsonl", Path(tmp) / "ledger.jsonl"
        litellm_file(spend, rows)
        ledger_file(canonical, spend)
        base_s, base_rows = timed([canonical])
        read_s, read_rows = timed([spend])
        for label, n, seconds in (
            ("canonical ledger JSONL", base_rows, base_s),
            ("LiteLLM spend logs", read_rows, read_s),
        ):
            print(f"{label:<24}{n:,} rows in {seconds:.2f} s ({n / seconds:,.0f} rows/s)")
        print(f"ratio (LiteLLM / baseline time): {read_s / base_s:.2f}")
        start = time.perf_counter()
        with Ledger.open([spend]) as ledger:
            export = focus_export(ledger, book)
        seconds = time.perf_counter() - start
        print(f"read + price + FOCUS export: {export.table.num_rows:,} rows in {seconds:.2f} s")


if __name__ == "__main__":
    main()
