"""The hostile-input corpus: every file is made here, at test time, into a temporary folder (no
binary file is committed). Each `Case` names its files, the command to run and the exact outcome
expected: exit code, the account of rows, and text the error or the quarantine must show.

Run as a script (`python tests/hostile/corpus.py DIR`) to write the corpus into DIR and list the
commands, for trying the cases by hand.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HEADER = "ts,request_id,provider,model,input_tokens,output_tokens\n"
GOOD = "2026-01-05T10:00:{s:02d}Z,r{i},openai,gpt-4o,100,10\n"
SESSION_HEADER = "ts,request_id,provider,model,input_tokens,output_tokens,session\n"
SESSION_ROW = "2026-01-05T10:00:02Z,b,anthropic,claude-sonnet-4-5,100,10,s\n"
SECRET = "s3cr3t-PaSsw0rd"
"""A password placed in URLs: no output may ever show it."""


def good_rows(n: int, start: int = 0) -> str:
    """`n` valid CSV rows (without the header), each with its own id."""
    return "".join(GOOD.format(s=(start + i) % 60, i=start + i) for i in range(n))


def good_obj(**over: object) -> dict[str, object]:
    """One valid ledger record as a JSON object, with fields replaced."""
    obj: dict[str, object] = {
        "ts": "2026-01-05T10:00:00Z",
        "request_id": "a",
        "provider": "openai",
        "model": "gpt-4o",
        "input_tokens": 100,
        "output_tokens": 10,
    }
    obj.update(over)
    return obj


@dataclass
class Case:
    """One hostile input: its files (name → bytes or a writer), the command's arguments (`{d}` is
    the corpus folder), and the exact outcome."""

    name: str
    files: dict[str, bytes | Callable[[Path], None]]
    args: list[str]
    exit_code: int
    account: tuple[int, int, int] | None = None
    """(read, billed, quarantined), as the account line prints them, when the run reaches it."""
    shows: list[str] = field(default_factory=list)
    """Text the output must contain (file, line, field, what to do): stderr, or stdout for a
    report; `{d}` is the corpus folder."""
    writes: dict[str, list[str]] = field(default_factory=dict)
    """Files the command writes (in the corpus folder), each with text it must contain."""

    def write(self, folder: Path) -> None:
        """Make this case's files in `folder`."""
        for name, content in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if callable(content):
                content(path)
            else:
                path.write_bytes(content)


def _csv(text: str) -> bytes:
    return text.encode()


def _jsonl(*objs: object) -> bytes:
    return "".join(json.dumps(o) + "\n" for o in objs).encode()


def _parquet(table: pa.Table) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        pq.write_table(table, path)

    return write


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _parquet_counts(values: pa.Array) -> Callable[[Path], None]:
    n = len(values)
    return _parquet(
        pa.table(
            {
                "ts": pa.array(["2026-01-05T10:00:00Z"] * n),
                "request_id": pa.array([f"r{i}" for i in range(n)]),
                "provider": pa.array(["openai"] * n),
                "model": pa.array(["gpt-4o"] * n),
                "input_tokens": values,
                "output_tokens": pa.array([10] * n, pa.int64()),
            }
        )
    )


def damaged_parquet(how: str) -> Callable[[Path], None]:
    """A Parquet file of 5,000 good rows whose footer is intact (its schema and row counts read)
    but whose data is not: `cut` keeps the first half of the data and then the footer (a partial
    copy that kept the end), `flipped` XORs every seventh byte of the data (a disk error)."""

    def write(path: Path) -> None:
        _parquet_counts(pa.array(range(5000), pa.int64()))(path)
        data = bytearray(path.read_bytes())
        footer = int.from_bytes(data[-8:-4], "little") + 8  # thrift footer, its length, b"PAR1"
        end = len(data) - footer
        if how == "cut":
            data = data[: end // 2] + data[end:]
        else:
            for i in range(64, end, 7):
                data[i] ^= 0x5A
        path.write_bytes(bytes(data))

    return write


def _bomb(path: Path) -> None:
    """A gzip of 2 GB of zeros in ~2 MB: streamed, it must stop at the ratio limit."""
    with gzip.open(path, "wb", compresslevel=9) as f:
        chunk = b"\0" * (1 << 20)
        for _ in range(2048):
            f.write(chunk)


def _long_line(path: Path) -> None:
    """A JSON line of 80 MiB (above the line limit), then a good line."""
    with path.open("wb") as f:
        f.write(b'{"ts": "2026-01-05T10:00:00Z", "pad": "')
        chunk = b"x" * (1 << 20)
        for _ in range(80):
            f.write(chunk)
        f.write(b'"}\n')
        f.write(json.dumps(good_obj(request_id="ok")).encode() + b"\n")


def cases() -> list[Case]:
    """Every case of the corpus."""
    many = HEADER + good_rows(2) + '2026-01-05T10:00:59Z,bad,openai,"gpt-4o,100,10\n' + good_rows(20_000, 3)
    return [
        Case(
            "stray-quote",
            {"q.csv": _csv(many)},
            ["bill", "{d}/q.csv"],
            0,
            (20_003, 20_002, 1),
            ["{d}/q.csv line 4: column model", "quote"],
        ),
        Case(
            "quote-swallows-one-row",
            {
                "m.csv": _csv(
                    HEADER + good_rows(1) + '2026-01-05T10:00:01Z,x,openai,"gpt-4o,1,1\n' + good_rows(2, 5)
                )
            },
            ["bill", "{d}/m.csv"],
            0,
            (4, 3, 1),
            ["{d}/m.csv line 3: column model", "quote"],
        ),
        Case(
            "bom-jsonl",
            {"b.jsonl": b"\xef\xbb\xbf" + _jsonl(good_obj())},
            ["bill", "{d}/b.jsonl"],
            0,
            (1, 1, 0),
        ),
        Case(
            "nul-jsonl",
            {"n.jsonl": b"\0" + _jsonl(good_obj())},
            ["bill", "{d}/n.jsonl"],
            1,
            None,
            ["{d}/n.jsonl"],
        ),
        Case(
            "ff-jsonl",
            {"f.jsonl": b"\xff" + _jsonl(good_obj())},
            ["bill", "{d}/f.jsonl"],
            1,
            None,
            ["{d}/f.jsonl"],
        ),
        Case(
            "garbage-one-line",
            {"g.txt": b"hello world\n"},
            ["bill", "{d}/g.txt"],
            1,
            None,
            ["{d}/g.txt: missing required columns"],
        ),
        Case(
            "garbage-two-lines",
            {"g2.txt": b"hello world\nhow are you, today\n"},
            ["bill", "{d}/g2.txt"],
            1,
            None,
            ["{d}/g2.txt: missing required columns", "the file has: hello world"],
        ),
        Case(
            "every-row-wrong-field-count",
            {"w.csv": _csv("a,b\n1,2,3\n4,5,6\n")},
            ["bill", "{d}/w.csv"],
            1,
            None,
            ["{d}/w.csv: missing required columns", "the file has: a, b"],
        ),
        Case(
            "ts-infinity",
            {
                "i.csv": _csv(
                    HEADER + "infinity,a,openai,gpt-4o,1,1\n-infinity,b,openai,gpt-4o,1,1\n" + good_rows(1, 2)
                )
            },
            ["bill", "{d}/i.csv"],
            0,
            (3, 1, 2),
            ['{d}/i.csv line 2: column ts is "infinity"'],
        ),
        Case(
            "ts-year-10000-and-negative",
            {
                "y.csv": _csv(
                    HEADER
                    + "10000-01-01T00:00:00Z,a,openai,gpt-4o,1,1\n-0001-01-01T00:00:00Z,b,openai,gpt-4o,1,1\n"
                    + good_rows(1, 2)
                )
            },
            ["bill", "{d}/y.csv"],
            0,
            (3, 1, 2),
            ['{d}/y.csv line 2: column ts is "10000-01-01T00:00:00Z"'],
        ),
        Case(
            "empty-model-provider-csv",
            {
                "e.csv": _csv(
                    HEADER
                    + "2026-01-05T10:00:00Z,a,openai,,1,1\n2026-01-05T10:00:00Z,b,,gpt-4o,1,1\n"
                    + good_rows(1, 2)
                )
            },
            ["bill", "{d}/e.csv"],
            0,
            (3, 1, 2),
            ["{d}/e.csv line 2: column model is empty", "{d}/e.csv line 3: column provider is empty"],
        ),
        Case(
            "null-model-jsonl",
            {
                "e.jsonl": _jsonl(
                    good_obj(model=None), good_obj(request_id="b", provider=""), good_obj(request_id="c")
                )
            },
            ["bill", "{d}/e.jsonl"],
            0,
            (3, 1, 2),
            ["{d}/e.jsonl line 1: column model is empty"],
        ),
        Case(
            "null-model-parquet",
            {
                "e.parquet": _parquet(
                    pa.table(
                        {
                            "ts": ["2026-01-05T10:00:00Z"] * 3,
                            "request_id": ["a", "b", "c"],
                            "provider": ["openai", None, "openai"],
                            "model": [None, "gpt-4o", "gpt-4o"],
                            "input_tokens": [1, 1, 1],
                            "output_tokens": [1, 1, 1],
                        }
                    )
                )
            },
            ["bill", "{d}/e.parquet"],
            0,
            (3, 1, 2),
            ["{d}/e.parquet line 1: column model is empty"],
        ),
        Case(
            "counts-nan-inf-huge",
            {
                "c.csv": _csv(
                    HEADER
                    + "".join(
                        f"2026-01-05T10:00:00Z,{i},openai,gpt-4o,{v},1\n"
                        for i, v in enumerate(
                            [
                                "NaN",
                                "inf",
                                "-inf",
                                "1e30",
                                "9223372036854775807",
                                "9223372036854775808",
                                "1e18",
                            ]
                        )
                    )
                    + good_rows(1, 9)
                )
            },
            ["bill", "{d}/c.csv"],
            0,
            (8, 1, 7),
            [
                '{d}/c.csv line 2: column input_tokens is "NaN"',
                '{d}/c.csv line 6: column input_tokens is "9223372036854775807"',
            ],
        ),
        Case(
            "counts-sum-overflow",
            {
                "s.csv": _csv(
                    HEADER
                    + "".join(
                        f"2026-01-05T10:00:0{i}Z,{i},openai,gpt-4o,900000000000000,1\n" for i in range(3)
                    )
                )
            },
            ["bill", "{d}/s.csv"],
            0,
            (3, 0, 3),
            ['{d}/s.csv line 2: column input_tokens is "900000000000000"'],
        ),
        Case(
            "parquet-int64-max",
            {"m.parquet": _parquet_counts(pa.array([2**63 - 1, 5], pa.int64()))},
            ["bill", "{d}/m.parquet"],
            0,
            (2, 1, 1),
            ["{d}/m.parquet line 1: column input_tokens"],
        ),
        Case(
            "parquet-uint64",
            {"u.parquet": _parquet_counts(pa.array([2**64 - 1, 5], pa.uint64()))},
            ["bill", "{d}/u.parquet"],
            0,
            (2, 1, 1),
            ["{d}/u.parquet line 1: column input_tokens"],
        ),
        Case(
            "parquet-bool-counts",
            {"b.parquet": _parquet_counts(pa.array([True, False], pa.bool_()))},
            ["bill", "{d}/b.parquet"],
            0,
            (2, 0, 2),
            ["{d}/b.parquet line 1: column input_tokens"],
        ),
        Case(
            "parquet-decimal-counts",
            {
                "d.parquet": _parquet_counts(
                    pa.array(
                        [__import__("decimal").Decimal("5.5"), __import__("decimal").Decimal("7")],
                        pa.decimal128(10, 2),
                    )
                )
            },
            ["bill", "{d}/d.parquet"],
            0,
            (2, 1, 1),
            ['{d}/d.parquet line 1: column input_tokens is "5.50"'],
        ),
        Case(
            "parquet-struct-counts",
            {"s.parquet": _parquet_counts(pa.array([{"a": 1}, {"a": 2}]))},
            ["bill", "{d}/s.parquet"],
            0,
            (2, 0, 2),
            ["{d}/s.parquet line 1: column input_tokens"],
        ),
        Case(
            "parquet-integer-ts",
            {
                "t.parquet": _parquet(
                    pa.table(
                        {
                            "ts": pa.array([1767000000, 5], pa.int64()),
                            "provider": ["openai"] * 2,
                            "model": ["gpt-4o"] * 2,
                            "input_tokens": [1, 2],
                            "output_tokens": [1, 1],
                        }
                    )
                )
            },
            ["bill", "{d}/t.parquet"],
            0,
            (2, 0, 2),
            ['{d}/t.parquet line 1: column ts is "1767000000"'],
        ),
        Case(
            "parquet-float-cost",
            {
                "f.parquet": _parquet(
                    pa.table(
                        {
                            "ts": ["2026-01-05T10:00:00Z"],
                            "provider": ["openai"],
                            "model": ["gpt-4o"],
                            "input_tokens": [1],
                            "output_tokens": [1],
                            "reported_cost_usd": pa.array([0.1], pa.float64()),
                        }
                    )
                )
            },
            ["bill", "{d}/f.parquet"],
            0,
            (1, 1, 0),
        ),
        Case(
            "json-deep",
            {"deep.jsonl": ("[" * 5000 + "]" * 5000 + "\n").encode() + _jsonl(good_obj())},
            ["bill", "{d}/deep.jsonl"],
            0,
            (2, 1, 1),
            ["{d}/deep.jsonl line 1"],
        ),
        Case(
            "json-deep-object",
            {"deep2.jsonl": _jsonl(good_obj()) + ('{"a":' * 3000 + "1" + "}" * 3000 + "\n").encode()},
            ["bill", "{d}/deep2.jsonl"],
            0,
            (2, 1, 1),
            ["{d}/deep2.jsonl line 2", "nested"],
        ),
        Case(
            "directory", {"dir.csv": lambda p: p.mkdir()}, ["bill", "{d}/dir.csv"], 1, None, ["{d}/dir.csv"]
        ),
        Case(
            "parquet-data-cut",
            {"cut.parquet": damaged_parquet("cut")},
            ["bill", "{d}/cut.parquet"],
            1,
            None,
            ["{d}/cut.parquet: its data could not be read (DuckDB: ", "write it again from its source"],
        ),
        Case(
            "parquet-data-flipped",
            {"ok.parquet": _parquet_counts(pa.array([5], pa.int64())), "bad.parquet": damaged_parquet("x")},
            ["bill", "{d}/ok.parquet", "{d}/bad.parquet"],
            1,
            None,
            ["{d}/bad.parquet: its data could not be read (DuckDB: ", "leave it out"],
        ),
        Case("missing-file", {}, ["bill", "{d}/nope.csv"], 1, None, ["{d}/nope.csv: no such file"]),
        Case(
            "gzip-garbage",
            {"g.csv.gz": b"\x1f\x8b\x08\x00garbage-garbage-garbage"},
            ["bill", "{d}/g.csv.gz"],
            1,
            None,
            ["{d}/g.csv.gz", "gzip"],
        ),
        Case(
            "gzip-truncated",
            {"t.csv.gz": _gz((HEADER + good_rows(3000)).encode())[:-2000]},
            ["bill", "{d}/t.csv.gz"],
            1,
            None,
            ["{d}/t.csv.gz", "gzip"],
        ),
        Case(
            "gzip-trailing-junk",
            {"j.csv.gz": _gz((HEADER + good_rows(3)).encode()) + b"junk-after-the-stream"},
            ["bill", "{d}/j.csv.gz"],
            1,
            None,
            ["{d}/j.csv.gz", "gzip"],
        ),
        Case("dev-zero", {}, ["bill", "/dev/zero"], 1, None, ["/dev/zero: not a regular file"]),
        Case(
            "gzip-bomb",
            {"bomb.jsonl.gz": _bomb},
            ["bill", "{d}/bomb.jsonl.gz"],
            1,
            None,
            ["{d}/bomb.jsonl.gz", "compression ratio"],
        ),
        Case(
            "long-line",
            {"long.jsonl": _long_line},
            ["bill", "{d}/long.jsonl"],
            0,
            (2, 1, 1),
            ["{d}/long.jsonl line 1", "over the limit of 33,554,432"],
        ),
        Case(
            "out-missing-folder",
            {"ok.csv": _csv(HEADER + good_rows(1))},
            ["bill", "{d}/ok.csv", "--out", "{d}/no/such/out.json"],
            2,
            None,
            ["--out {d}/no/such/out.json: the folder {d}/no/such does not exist"],
        ),
        Case(
            "import-out-missing-folder",
            {"ok.csv": _csv(HEADER + good_rows(1))},
            ["import", "{d}/ok.csv", "--out", "{d}/no/such/l.parquet"],
            2,
            None,
            ["the folder {d}/no/such does not exist"],
        ),
        Case(
            "export-out-missing-folder",
            {"ok.csv": _csv(HEADER + good_rows(1))},
            ["export", "focus", "{d}/ok.csv", "--out", "{d}/no/such/f.csv"],
            2,
            None,
            ["the folder {d}/no/such does not exist"],
        ),
        Case(
            "generate-out-missing-folder",
            {},
            ["generate", "{d}/no/such/g.parquet", "--rows", "10"],
            2,
            None,
            ["{d}/no/such/g.parquet: the folder {d}/no/such does not exist"],
        ),
        Case(
            "report-html-missing-folder",
            {"ok.csv": _csv(HEADER + good_rows(1))},
            ["report", "{d}/ok.csv", "--html", "{d}/no/such/r.html"],
            2,
            None,
            ["--html {d}/no/such/r.html: the folder {d}/no/such does not exist"],
        ),
        Case("generate-rows-0", {}, ["generate", "{d}/g.parquet", "--rows", "0"], 2, None, ["--rows"]),
        Case(
            "levers-negative-capacity",
            {"ok.csv": _csv(HEADER + good_rows(1))},
            ["levers", "cache", "{d}/ok.csv", "--capacity-blocks", "-3"],
            2,
            None,
            ["--capacity-blocks"],
        ),
        Case(
            "openai-created-1e20",
            {
                "r.jsonl": _jsonl(
                    {
                        "id": "c1",
                        "object": "chat.completion",
                        "created": 1e20,
                        "model": "gpt-4o",
                        "usage": {"prompt_tokens": 10, "completion_tokens": 2},
                    },
                    {
                        "id": "c2",
                        "object": "chat.completion",
                        "created": 1767000000,
                        "model": "gpt-4o",
                        "usage": {"prompt_tokens": 10, "completion_tokens": 2},
                    },
                )
            },
            ["bill", "{d}/r.jsonl"],
            0,
            (2, 1, 1),
            ["{d}/r.jsonl line 1", "created is 1e+20: not a time"],
        ),
        Case(
            "mooncake-huge-timestamp-and-hash",
            {
                "m.jsonl": _jsonl(
                    {"timestamp": 1e18, "input_length": 5, "output_length": 1, "hash_ids": [1]},
                    {"timestamp": 5, "input_length": 5, "output_length": 1, "hash_ids": [2**64]},
                    {"timestamp": 6, "input_length": 5, "output_length": 1, "hash_ids": [2**64 - 1, 3]},
                )
            },
            ["bill", "{d}/m.jsonl", "--model-as", "openai/gpt-4o"],
            0,
            (3, 1, 2),
            ["{d}/m.jsonl line 1: timestamp is", "{d}/m.jsonl line 2: prefix_hashes has"],
        ),
        *[
            Case(
                f"empty-model-{command[-1]}",
                {"e.csv": _csv(SESSION_HEADER + "2026-01-05T10:00:00Z,a,openai,,1,1,s\n" + SESSION_ROW)},
                [*command, "{d}/e.csv"],
                0,
                None,
                [],
            )
            for command in (
                ["report"],
                ["reconcile"],
                ["levers", "cache"],
                ["quarantine"],
                ["whatif", "--lever", "batch"],
            )
        ],
        *_sheet_cases(),
        *_markup_cases(),
        Case(
            "postgres-password",
            {},
            ["bill", f"postgresql://user:{SECRET}@127.0.0.1:1/db?password={SECRET}"],
            1,
            None,
            ["postgresql://user:***@127.0.0.1:1/db?password=***"],
        ),
    ]


def _sheet(body: str) -> bytes:
    return body.encode()


SHEET_HEAD = (
    "models:\n  - provider: openai\n    model: gpt-4o\n    source: https://example.com\n"
    "    checked: 2026-01-01\n    periods:\n      - valid_from: 2026-01-01\n        rates:\n"
)


REGEX_SHEET = """providers:
  - id: acme
    name: ACME
    models:
      - id: acme-large
        match: {{regex: '{regex}'}}
        prices:
          - rates: {{input_usd_per_mtok: 1, output_usd_per_mtok: 2}}
"""


def _sheet_cases() -> list[Case]:
    ok = {"ok.csv": _csv(HEADER + good_rows(1))}
    bad_prices = {
        "sheet-inf": ".inf",
        "sheet-nan": ".nan",
        "sheet-sexagesimal": "1:30",
        "sheet-huge": "1e30",
        "sheet-negative": "-1",
    }
    out = [
        Case(
            name,
            {
                **ok,
                "s.yaml": _sheet(
                    SHEET_HEAD + f"          input_usd_per_mtok: {value}\n          output_usd_per_mtok: 1\n"
                ),
            },
            ["bill", "{d}/ok.csv", "--prices", "{d}/s.yaml"],
            1,
            None,
            ["{d}/s.yaml", "input_usd_per_mtok"],
        )
        for name, value in bad_prices.items()
    ]
    alias = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    out += [
        Case(
            "sheet-alias-bomb",
            {**ok, "s.yaml": _sheet(alias)},
            ["bill", "{d}/ok.csv", "--prices", "{d}/s.yaml"],
            1,
            None,
            ["{d}/s.yaml", "alias"],
        ),
        Case(
            "sheet-bad-regex",
            {**ok, "s.yaml": _sheet(REGEX_SHEET.format(regex="(unclosed"))},
            ["bill", "{d}/ok.csv", "--prices", "{d}/s.yaml"],
            1,
            None,
            ["{d}/s.yaml", "regex"],
        ),
        Case(
            "sheet-nested-repeat",
            {**ok, "s.yaml": _sheet(REGEX_SHEET.format(regex="^(a+)+$"))},
            ["bill", "{d}/ok.csv", "--prices", "{d}/s.yaml"],
            1,
            None,
            ["{d}/s.yaml", "a repeat inside a repeat"],
        ),
        Case(
            "sheet-polynomial-regex-long-name",
            {
                "long.csv": _csv(
                    HEADER + f"2026-01-05T10:00:00Z,a,acme,{'a' * 100_000},1,1\n" + good_rows(1, 1)
                ),
                "s.yaml": _sheet(REGEX_SHEET.format(regex=".*a.*a.*b")),
            },
            ["bill", "{d}/long.csv", "--prices", "{d}/s.yaml"],
            0,
            (2, 1, 1),
            ['{d}/long.csv line 2: column model is "aaaa', "longer than 200 characters"],
        ),
        Case(
            "sheet-latin1",
            {**ok, "s.yaml": "# caf\xe9\n".encode("latin-1") + _sheet(SHEET_HEAD)},
            ["bill", "{d}/ok.csv", "--prices", "{d}/s.yaml"],
            1,
            None,
            ["{d}/s.yaml", "UTF-8"],
        ),
        Case(
            "sheet-binary",
            {**ok, "s.yaml": bytes(range(256)) * 4},
            ["bill", "{d}/ok.csv", "--prices", "{d}/s.yaml"],
            1,
            None,
            ["{d}/s.yaml"],
        ),
    ]
    return out


def _markup_cases() -> list[Case]:
    tenant_header = "ts,request_id,provider,model,input_tokens,output_tokens,tenant\n"
    rows = (
        "2026-01-05T10:00:00Z,a,openai,gpt-4o,1,1,[link=https://evil.example]acme[/link]\n"
        "2026-01-05T10:00:01Z,b,openai,gpt-4o,1,1,\x1b]8;;https://evil.example\x07x\x1b]8;;\x07\x1b[2J\n"
        '2026-01-05T10:00:02Z,c,openai,gpt-4o,1,1,=HYPERLINK("https://evil.example")\n'
        "2026-01-05T10:00:03Z,d,openai,[/],1,1,[/]\n"
    )
    return [
        Case(
            "markup-in-path",
            {"[red]x[/].csv": _csv(HEADER + good_rows(1) + "bad,z,openai,gpt-4o,1,1\n")},
            ["bill", "{d}/[red]x[/].csv"],
            0,
            (2, 1, 1),
            ["{d}/[red]x[/].csv line 3"],
        ),
        *[
            Case(
                f"markup-in-path-{command[0]}",
                {"[red]x[/].csv": _csv(HEADER + good_rows(1) + "bad,z,openai,gpt-4o,1,1\n")},
                [*command, "{d}/[red]x[/].csv"],
                0,
                None,
                ["{d}/[red]x[/].csv line 3"],
            )
            for command in (["report"], ["quarantine"])
        ],
        Case(
            "formula-in-csv-output",
            {"t.csv": _csv(tenant_header + rows)},
            ["bill", "{d}/t.csv", "--by", "tenant", "--format", "csv", "--out", "{d}/out.csv"],
            0,
            (4, 4, 0),
            [],
            writes={
                "out.csv": [
                    '\'=HYPERLINK(""https://evil.example"")',
                    "[link=https://evil.example]acme[/link]",
                ]
            },
        ),
        Case(
            "markup-in-data",
            {"t.csv": _csv(tenant_header + rows)},
            ["bill", "{d}/t.csv", "--by", "tenant,model"],
            0,
            (4, 4, 0),
            ["[link=https://evil.example]acme[/link]", "\\x1b]8;;https://evil.example\\x07x"],
        ),
    ]


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    for case in cases():
        case.write(target)
        print(case.name, " ".join(a.replace("{d}", str(target)) for a in case.args))
    _ = io
