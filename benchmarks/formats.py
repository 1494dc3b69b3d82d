"""Raw provider records read and priced through the CLI, against DuckDB `read_json` on the same file.

Two files as the services write them, one record a line: OpenAI Chat Completions responses (the
API's `chat.completion` objects, as an application logs them) and LiteLLM spend logs (the proxy's
`LiteLLM_SpendLogs` rows as JSON lines). For each, in the same run and each as a whole process:

* `inferonomics bill FILE` (read, validate, price, print the bill);
* the same with the Python readers (`INFERONOMICS_BULK=0`), the reference the bulk path replaces;
* a DuckDB `read_json` query summing the same token columns of the same file (the baseline: the
  fastest way to get totals out of the file, with no validation, no quarantine and no prices);

and the peak RSS of the CLI at two file sizes (a quarter and the whole), to show memory flat in
the file size. The quarter file is billed first (which fills the plan cache for this code), then
the CLI and the baseline alternate `REPEAT` times on the whole file. Prints records/s, the ratio of
the medians and the load average.

    .venv/bin/python benchmarks/formats.py [RECORDS]      # default 1,000,000
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "inferonomics"]
REPEAT = 3
"""Runs of the CLI and of the baseline on the whole file, alternated; medians reported."""
MODELS = ["gpt-5.4-mini", "gpt-5.4", "gpt-5-nano", "gpt-4.1-mini", "o4-mini"]


def chat_file(path: Path, records: int, seed: int = 7) -> None:
    """OpenAI Chat Completions responses, one a line, as `json.dumps` of the API's objects."""
    rnd = random.Random(seed)
    with path.open("w") as f:
        for i in range(records):
            prompt = rnd.randint(200, 30_000)
            cached = rnd.choice([0, 0, prompt // 2, prompt - prompt % 1024])
            out = rnd.randint(10, 4_000)
            obj = {
                "id": f"chatcmpl-{i:012d}",
                "object": "chat.completion",
                "created": 1_786_000_000 + i * 3,
                "model": rnd.choice(MODELS),
                "service_tier": rnd.choice(["default", "default", "flex", "priority"]),
                "system_fingerprint": "fp_9f1c2a",
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": "The order ships on Tuesday.",
                            "refusal": None,
                        },
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": out,
                    "total_tokens": prompt + out,
                    "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                    "completion_tokens_details": {
                        "reasoning_tokens": rnd.randint(0, out),
                        "audio_tokens": 0,
                        "accepted_prediction_tokens": 0,
                        "rejected_prediction_tokens": 0,
                    },
                },
            }
            f.write(json.dumps(obj) + "\n")


def spend_file(path: Path, records: int) -> None:
    """LiteLLM spend-log rows (the successful ones of the test fixture), ids made unique."""
    fixture = ROOT / "tests" / "fixtures" / "formats" / "litellm_spend_logs.jsonl"
    template = [json.loads(line) for line in fixture.read_text().splitlines()]
    template = [r for r in template if r["status"] == "success" and r["cache_hit"] == "False"]
    with path.open("w") as f:
        for i in range(records):
            r = dict(template[i % len(template)])
            r["request_id"] = f"req-{i:012d}"
            f.write(json.dumps(r) + "\n")


def run(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout and stderr) of a whole process."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        text = out.read()
        if status:
            raise SystemExit(f"{' '.join(args)} failed:\n{text[-2000:]}")
        return seconds, usage.ru_maxrss / 1024, text


def duckdb_sum(path: Path, columns: list[str]) -> list[str]:
    sums = ", ".join(f"sum({c})" for c in columns)
    code = (
        "import duckdb, sys; "
        f"print(duckdb.sql(\"SELECT count(*), {sums} FROM read_json('{path}')\").fetchall())"
    )
    return [sys.executable, "-c", code]


CASES = {
    "OpenAI chat completions": (
        chat_file,
        ["usage.prompt_tokens", "usage.completion_tokens", "usage.prompt_tokens_details.cached_tokens"],
    ),
    "LiteLLM spend logs": (spend_file, ["prompt_tokens", "completion_tokens", "spend"]),
}


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, (write, columns) in CASES.items():
            small, big = Path(tmp) / "quarter.jsonl", Path(tmp) / "whole.jsonl"
            write(small, records // 4)
            write(big, records)
            size = big.stat().st_size / 1e6
            # The quarter file first: its peak memory, and the plan cache filled for this code (a
            # first bill after a change compiles its queries, about 1.3 s: not the reading's cost).
            rss_small = run([*CLI, "bill", str(small)])[1]
            clis, ducks, rss_big = [], [], 0.0
            for _ in range(REPEAT):  # alternated, so that both see the same load
                cli_s, rss, out = run([*CLI, "bill", str(big)])
                if f"rows read {records:,} = billed {records:,}" not in out:
                    raise SystemExit(f"{label}: not every record billed:\n{out[-1500:]}")
                clis.append(cli_s)
                rss_big = max(rss_big, rss)
                ducks.append(run(duckdb_sum(big, columns))[0])
            cli_s, duck_s = statistics.median(clis), statistics.median(ducks)
            os.environ["INFERONOMICS_BULK"] = "0"
            try:
                python_s, python_rss, _ = run([*CLI, "bill", str(big)])
            finally:
                del os.environ["INFERONOMICS_BULK"]
            print(f"{label}: {records:,} records, {size:,.0f} MB")
            print(
                f"  inferonomics bill  {cli_s:6.2f} s  {records / cli_s:>11,.0f} records/s"
                f"  (median of {REPEAT}: {', '.join(f'{x:.2f}' for x in clis)})"
            )
            print(
                f"  DuckDB read_json   {duck_s:6.2f} s  {records / duck_s:>11,.0f} records/s"
                f"  (median of {REPEAT}: {', '.join(f'{x:.2f}' for x in ducks)})"
            )
            print(
                f"  bill, Python reader (INFERONOMICS_BULK=0) {python_s:6.2f} s  "
                f"{records / python_s:>11,.0f} records/s, peak RSS {python_rss:,.0f} MB"
            )
            print(f"  ratio (bill / read_json time, medians): {cli_s / duck_s:.2f}")
            print(f"  peak RSS of bill: {rss_small:,.0f} MB at {records // 4:,} records, ", end="")
            print(f"{rss_big:,.0f} MB at {records:,}")
            small.unlink()
            big.unlink()
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
