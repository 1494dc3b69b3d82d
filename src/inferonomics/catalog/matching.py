"""Name matching: which provider and model a ledger's free-text names refer to.

Model names are matched case-insensitively by each model's clause tree (as genai-prices does),
with a retry that rewrites compact date suffixes (`-20251211` → `-2025-12-11`). Provider names
accept the book's ids, their clause trees, and the OpenTelemetry GenAI vocabulary.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inferonomics.catalog.schema import Match

# OpenTelemetry `gen_ai.provider.name` values and common gateway spellings → book provider ids.
PROVIDER_ALIASES: dict[str, str] = {
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "vertex_ai": "google",
    "vertex": "google",
    "gemini": "google",
    "google_genai": "google",
    "aws.bedrock": "aws",
    "bedrock": "aws",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "azure_openai": "azure",
    "azure_ai": "azure",
    "xai": "x-ai",
    "x_ai": "x-ai",
    "mistral_ai": "mistral",
    "mistralai": "mistral",
    "deepseek-ai": "deepseek",
    "moonshot": "moonshotai",
    "together_ai": "together",
}


@lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def clause_matches(clause: Match, name: str) -> bool:
    """Whether a clause tree matches `name` (already lower-cased)."""
    if clause.equals is not None:
        return name == clause.equals.lower()
    if clause.starts_with is not None:
        return name.startswith(clause.starts_with.lower())
    if clause.ends_with is not None:
        return name.endswith(clause.ends_with.lower())
    if clause.contains is not None:
        return clause.contains.lower() in name
    if clause.regex is not None:
        return _regex(clause.regex).search(name) is not None
    if clause.any_of is not None:
        return any(clause_matches(c, name) for c in clause.any_of)
    if clause.all_of is not None:
        return all(clause_matches(c, name) for c in clause.all_of)
    return False


def exact_names(clause: Match | None) -> Iterable[str]:
    """The exact names a clause tree spells out (its `equals` leaves), for suggestions."""
    if clause is None:
        return
    if clause.equals is not None:
        yield clause.equals
    for sub in (clause.any_of or []) + (clause.all_of or []):
        yield from exact_names(sub)


_COMPACT_DATE = re.compile(r"(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)")


def normalize_compact_date(name: str) -> str:
    """`gpt-5.2-20251211` → `gpt-5.2-2025-12-11` (LiteLLM and OpenRouter emit the compact form)."""

    def replace(m: re.Match[str]) -> str:
        year, month, day = int(m.group(2)), int(m.group(3)), int(m.group(4))
        try:
            dt.date(year, month, day)
        except ValueError:
            return m.group(0)
        return f"{m.group(1)}{year:04d}-{month:02d}-{day:02d}"

    return _COMPACT_DATE.sub(replace, name)


def nearest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to `name`, best first (for 'did you mean' messages)."""
    pool = sorted(set(candidates))
    found = difflib.get_close_matches(name.lower(), pool, n=n, cutoff=0.5)
    if not found:
        stem = re.split(r"[-_./:@ ]", name.lower())[0]
        found = [c for c in pool if c.startswith(stem)][:n] if stem else []
    return found
