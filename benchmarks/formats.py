"""Raw provider records read and priced through the CLI, against DuckDB `read_json` on the same file.

Seven files as the services write them, one record a line: OpenAI Chat Completions responses (the
API's `chat.completion` objects, as an application logs them; also gzip-compressed, and as Azure
OpenAI returns them, with content-filter results), LiteLLM spend logs (the proxy's
`LiteLLM_SpendLogs` rows as JSON lines), OpenRouter responses (with the `cost` it charged),
Helicone's ClickHouse request rows (cost in nano-dollars), a Langfuse observations export
(generations with free-form `usageDetails`, and the spans the reader skips), Anthropic Messages responses in
envelopes (`{"ts": ..., "user": ..., "response": {...}}`: a message carries no time, so an
application saves it with one) and Gemini API responses in the same
envelopes (REST `GenerateContentResponse` objects, camelCase, which carry no time either). For
each, in the same run and each as a whole process:

* `inferonomics bill FILE` (read, validate, price, print the bill);
* the same with the Python readers (`INFERONOMICS_BULK=0`), the reference the bulk path replaces;
* a DuckDB `read_json` query summing the same token columns of the same file (the baseline: the
  fastest way to get totals out of the file, with no validation, no quarantine and no prices);

and the peak RSS of the CLI at two file sizes (a quarter and the whole), to show memory flat in
the file size. The quarter file is billed first (which fills the plan cache for this code), then
the CLI and the baseline alternate `REPEAT` times on the whole file. Prints records/s, the ratio of
the medians and the load average.

    .venv/bin/python benchmarks/formats.py [RECORDS] [CASE ...]   # default 1,000,000, every case

CASE is `openai`, `openai-gzip` (the same file gzip-compressed), `azure` (Azure OpenAI's responses,
with their content-filter results), `litellm`, `openrouter`, `helicone`, `langfuse`, `anthropic` or
`gemini`.
"""

from __future__ import annotations

import gzip
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


AZURE_FILTERS = {
    k: {"filtered": False, "severity": "safe"} for k in ("hate", "self_harm", "sexual", "violence")
}
"""Azure OpenAI's content-filter results, as every response of a deployment with the default
filters carries them (for the prompt and for each choice)."""


def chat_file(path: Path, records: int, seed: int = 7, *, azure: bool = False) -> None:
    """OpenAI Chat Completions responses, one a line, as `json.dumps` of the API's objects; `azure`:
    as Azure OpenAI returns them, with content-filter results. A path ending `.gz` is written
    gzip-compressed (level 1, as a log rotation would)."""
    rnd = random.Random(seed)
    gz = path.name.endswith(".gz")
    with gzip.open(path, "wt", compresslevel=1) if gz else path.open("w") as f:
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
            if azure:
                obj["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": AZURE_FILTERS}]
                obj["choices"][0]["content_filter_results"] = AZURE_FILTERS
            f.write(json.dumps(obj) + "\n")


def azure_file(path: Path, records: int) -> None:
    """Azure OpenAI Chat Completions responses (see `chat_file`)."""
    chat_file(path, records, azure=True)


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


def envelope_file(path: Path, records: int, seed: int = 11) -> None:
    """Anthropic Messages responses (as `json.dumps` of the API's objects, with the cache-write
    split by TTL and the thinking count), each in an envelope with its time and user."""
    rnd = random.Random(seed)
    models = ["claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5"]
    with path.open("w") as f:
        for i in range(records):
            written = rnd.choice([0, 0, 2048, 6150])
            w1 = rnd.choice([0, written // 2])
            out = rnd.randint(10, 4_000)
            message = {
                "id": f"msg_{i:024d}",
                "type": "message",
                "role": "assistant",
                "model": rnd.choice(models),
                "content": [{"type": "text", "text": "The order ships on Tuesday."}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": rnd.randint(10, 5_000),
                    "cache_creation_input_tokens": written,
                    "cache_read_input_tokens": rnd.choice([0, 12_000, 48_210]),
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": written - w1,
                        "ephemeral_1h_input_tokens": w1,
                    },
                    "output_tokens": out,
                    "output_tokens_details": {"thinking_tokens": rnd.randint(0, out)},
                    "service_tier": "standard",
                    "inference_geo": "global",
                },
            }
            ts = 1_786_000_000 + i * 3
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
            f.write(json.dumps({"ts": stamp, "user": f"u_{i % 500}", "response": message}) + "\n")


def openrouter_file(path: Path, records: int, seed: int = 13) -> None:
    """OpenRouter chat completions with usage accounting (`usage.cost`, cache reads and writes inside
    the prompt, reasoning), as `json.dumps` of its responses."""
    rnd = random.Random(seed)
    models = ["anthropic/claude-sonnet-4.5", "openai/gpt-5-mini", "google/gemini-2.5-flash"]
    with path.open("w") as f:
        for i in range(records):
            prompt = rnd.randint(200, 60_000)
            read = rnd.choice([0, prompt // 2])
            written = rnd.choice([0, 0, min(2048, prompt - read)])
            out = rnd.randint(10, 4_000)
            obj = {
                "id": f"gen-{1_786_000_000 + i * 3}-{i:016d}",
                "provider": "Anthropic",
                "model": rnd.choice(models),
                "object": "chat.completion",
                "created": 1_786_000_000 + i * 3,
                "choices": [
                    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Yes."}}
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": out,
                    "total_tokens": prompt + out,
                    "cost": round(prompt * 3e-6 + out * 15e-6, 8),
                    "is_byok": False,
                    "prompt_tokens_details": {
                        "cached_tokens": read,
                        "cache_write_tokens": written,
                        "audio_tokens": 0,
                    },
                    "cost_details": {"upstream_inference_cost": None},
                    "completion_tokens_details": {"reasoning_tokens": rnd.randint(0, out), "image_tokens": 0},
                },
            }
            f.write(json.dumps(obj) + "\n")


GEMINI_MODELS = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite", "gemini-2.0-flash"]


def gemini_file(path: Path, records: int, seed: int = 13) -> None:
    """Gemini API responses as the REST API returns them (`usageMetadata` with its TEXT modality
    lists, cached and thinking counts where there are some), each in an envelope with its time,
    user and feature."""
    rnd = random.Random(seed)
    with path.open("w") as f:
        for i in range(records):
            prompt = rnd.randint(200, 30_000)
            cached = rnd.choice([0, 0, prompt // 2, prompt - prompt % 1024])
            out = rnd.randint(10, 4_000)
            thoughts = rnd.choice([0, rnd.randint(1, 2_000)])
            usage: dict[str, object] = {
                "promptTokenCount": prompt,
                "candidatesTokenCount": out,
                "totalTokenCount": prompt + out + thoughts,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
            }
            if cached:
                usage["cachedContentTokenCount"] = cached
                usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
            if thoughts:
                usage["thoughtsTokenCount"] = thoughts
            response = {
                "candidates": [
                    {
                        "content": {"parts": [{"text": "The order ships on Tuesday."}], "role": "model"},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": usage,
                "modelVersion": rnd.choice(GEMINI_MODELS),
                "responseId": f"mcJzaLmXF4mFz7IP{i:012d}",
            }
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_786_000_000 + i * 3))
            line = {"ts": stamp, "user": f"u_{i % 500}", "feature": rnd.choice(["chat", "search"])}
            f.write(json.dumps({**line, "response": response}) + "\n")


def helicone_file(path: Path, records: int, seed: int = 17) -> None:
    """Helicone's ClickHouse `request_response_rmt` rows as JSON lines (cost in nano-dollars, the
    provider's usage in `response_body`), as `json.dumps` writes them."""
    rnd = random.Random(seed)
    with path.open("w") as f:
        for i in range(records):
            prompt = rnd.randint(200, 30_000)
            read, written = rnd.choice([0, 24_000]), rnd.choice([0, 0, 4_096])
            out = rnd.randint(10, 4_000)
            obj = {
                "request_id": f"c7d8e9f0-1111-4aaa-8bbb-{i:012d}",
                "request_created_at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(1_786_000_000 + i * 3)),
                "status": 200,
                "user_id": f"u_{i % 500}",
                "organization_id": "org_1",
                "provider": "ANTHROPIC",
                "model": "claude-sonnet-4-6",
                "prompt_tokens": prompt,
                "prompt_cache_read_tokens": read,
                "prompt_cache_write_tokens": written,
                "completion_tokens": out,
                "total_tokens": prompt + read + written + out,
                "cost": rnd.randint(1_000, 200_000_000),
                "properties": {"Feature": "agent", "Helicone-Session-Id": f"s-{i // 20}"},
                "response_body": {
                    "id": f"msg_{i:024d}",
                    "type": "message",
                    "model": "claude-sonnet-4-6",
                    "usage": {
                        "input_tokens": prompt,
                        "cache_read_input_tokens": read,
                        "cache_creation_input_tokens": written,
                        "cache_creation": {
                            "ephemeral_5m_input_tokens": written,
                            "ephemeral_1h_input_tokens": 0,
                        },
                        "output_tokens": out,
                        "service_tier": "standard",
                    },
                },
            }
            f.write(json.dumps(obj) + "\n")


CLAUDE_MODELS = ["claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-6"]


def langfuse_file(path: Path, records: int, seed: int = 19) -> None:
    """A Langfuse observations export as JSON lines (the API's v2 observation objects, camelCase):
    `records` generations (OpenAI ones as its SDK integration records them, the provider left to the
    model's name; Anthropic ones with `metadata.provider` and the cache writes by TTL; one in twenty
    from an integration whose `input` holds the cache, langfuse#10592) and a span or an event after
    every fourth, which the reader skips; as `json.dumps` writes them."""
    rnd = random.Random(seed)
    with path.open("w") as f:
        for i in range(records):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_786_000_000 + i * 3))
            out = rnd.randint(10, 4_000)
            fresh = rnd.randint(200, 30_000)
            if i % 5 < 3:
                model, metadata = rnd.choice(MODELS), {"ls_run_name": "agent", "tenant": f"t_{i % 40}"}
                cached = rnd.choice([0, 0, 1_024 * rnd.randint(1, 20)])
                reasoning = rnd.randint(0, out) if model.startswith(("o4", "gpt-5")) else 0
                usage = {"input": fresh, "input_cached_tokens": cached, "output": out - reasoning}
                if reasoning:
                    usage["output_reasoning_tokens"] = reasoning
                usage["total"] = fresh + cached + out
            else:
                model = rnd.choice(CLAUDE_MODELS)
                metadata = {"provider": "anthropic", "tenant": f"t_{i % 40}", "service_tier": "standard"}
                read, w5, w1 = (
                    rnd.choice([0, 24_000]),
                    rnd.choice([0, 0, 4_096]),
                    rnd.choice([0, 0, 0, 2_048]),
                )
                usage = {
                    "input": fresh,
                    "cache_read_input_tokens": read,
                    "cache_creation_input_tokens": w5 + w1,
                    "cache_creation_ephemeral_5m_input_tokens": w5,
                    "cache_creation_ephemeral_1h_input_tokens": w1,
                    "output": out,
                    "total": fresh + read + w5 + w1 + out,
                }
                if i % 20 == 4:  # the integration's input held the cache: total = input + output
                    usage["input"] += read + w5 + w1
                    usage["total"] = usage["input"] + out
            cost_in, cost_out = round(fresh * 3e-6, 8), round(out * 15e-6, 8)
            obs = {
                "id": f"8c2e4f60-0000-4d1a-9b0e-{i:012x}",
                "traceId": f"5f1d3a90-7c2b-4e8f-a1d4-{i // 3:012x}",
                "type": "GENERATION",
                "name": rnd.choice(["answer", "classify", "summarize"]),
                "startTime": f"{stamp}.{i % 1000:03d}Z",
                "endTime": f"{stamp}.{(i + 517) % 1000:03d}Z",
                "completionStartTime": f"{stamp}.{(i + 211) % 1000:03d}Z",
                "providedModelName": model,
                "internalModelId": "cm3x0k2v10000",
                "modelParameters": {"temperature": 0.2, "max_tokens": 4096},
                "input": [{"role": "user", "content": "Where is my order #4521?"}],
                "output": {"role": "assistant", "content": "The order ships on Tuesday."},
                "userId": f"u_{i % 500}",
                "sessionId": f"s_{i // 20}",
                "traceName": rnd.choice(["support-chat", "router", "batch-summaries"]),
                "tags": rnd.choice([[], ["prod"], ["prod", "feature:ticket_summary"]]),
                "level": "DEFAULT",
                "statusMessage": None,
                "version": "v3",
                "environment": "production",
                "promptName": None,
                "usageDetails": usage,
                "costDetails": {"input": cost_in, "output": cost_out, "total": round(cost_in + cost_out, 8)},
                "totalCost": round(cost_in + cost_out, 8),
                "metadata": metadata,
            }
            f.write(json.dumps(obs) + "\n")
            if i % 4 == 3:
                other = {
                    "id": f"span-{i:012d}",
                    "traceId": obs["traceId"],
                    "type": rnd.choice(["SPAN", "SPAN", "EVENT"]),
                    "name": "retrieve",
                    "startTime": obs["startTime"],
                    "endTime": obs["endTime"],
                    "input": {"query": "order 4521"},
                    "output": None,
                    "metadata": {"retriever": "bm25"},
                    "level": "DEFAULT",
                    "environment": "production",
                }
                f.write(json.dumps(other) + "\n")


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
    "openai": (
        "OpenAI chat completions",
        chat_file,
        ["usage.prompt_tokens", "usage.completion_tokens", "usage.prompt_tokens_details.cached_tokens"],
    ),
    "openai-gzip": (
        "OpenAI chat completions, gzip",
        chat_file,  # (the file's name ends .gz: see main)
        ["usage.prompt_tokens", "usage.completion_tokens", "usage.prompt_tokens_details.cached_tokens"],
    ),
    "azure": (
        "Azure OpenAI chat completions",
        azure_file,
        ["usage.prompt_tokens", "usage.completion_tokens", "usage.prompt_tokens_details.cached_tokens"],
    ),
    "litellm": ("LiteLLM spend logs", spend_file, ["prompt_tokens", "completion_tokens", "spend"]),
    "openrouter": (
        "OpenRouter responses",
        openrouter_file,
        ["usage.prompt_tokens", "usage.completion_tokens", "usage.cost"],
    ),
    "helicone": (
        "Helicone ClickHouse rows",
        helicone_file,
        ["prompt_tokens", "completion_tokens", "prompt_cache_read_tokens", "cost"],
    ),
    "langfuse": (
        "Langfuse observations export",
        langfuse_file,
        ["usageDetails.input", "usageDetails.output", "usageDetails.input_cached_tokens", "totalCost"],
    ),
    "anthropic": (
        "Anthropic messages in envelopes",
        envelope_file,
        [
            "response.usage.input_tokens",
            "response.usage.output_tokens",
            "response.usage.cache_read_input_tokens",
            "response.usage.cache_creation_input_tokens",
        ],
    ),
    "gemini": (
        "Gemini responses in envelopes",
        gemini_file,
        [
            "response.usageMetadata.promptTokenCount",
            "response.usageMetadata.candidatesTokenCount",
            "response.usageMetadata.cachedContentTokenCount",
            "response.usageMetadata.thoughtsTokenCount",
        ],
    ),
}


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    chosen = sys.argv[2:] or list(CASES)
    unknown = [c for c in chosen if c not in CASES]
    if unknown:
        raise SystemExit(f"unknown case {', '.join(unknown)}: one of {', '.join(CASES)}")
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for case in chosen:
            label, write, columns = CASES[case]
            # (a gzip case's files are named .gz: its generator compresses them, read_json knows them)
            suffix = ".jsonl.gz" if case.endswith("gzip") else ".jsonl"
            small, big = Path(tmp) / f"quarter{suffix}", Path(tmp) / f"whole{suffix}"
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
