"""The user cache: small derived files that spare a run work it has done before (the price book's
parsed form, the compiled SQL of the billing passes).

It lives in `$XDG_CACHE_HOME/inferonomics` (default `~/.cache/inferonomics`); set
`INFERONOMICS_CACHE` to another directory, or to `off` to disable it. Removing the directory
clears it. Every entry is keyed by a hash of everything its content depends on (the package
version, the source of the code that made it, the inputs that shape it), so an entry can only be
found by a run that would make the same one. A missing, unreadable, corrupt or foreign entry is
ignored (and rebuilt); a home that cannot be written is no error: the run simply caches nothing.
Nothing here imports more than the standard library, so a run that finds its entries pays for
no more than it uses.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

ENV = "INFERONOMICS_CACHE"
"""A directory for the cache, or `off` (also `0`, `no`, `false`) to disable it."""
FORMAT = 1
"""Bumped when the layout of entries changes."""

T = TypeVar("T")


def directory() -> Path | None:
    """Where the cache lives, or None when it is turned off (see the module docstring)."""
    setting = os.environ.get(ENV, "").strip()
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if base:
        return Path(base) / "inferonomics"
    try:
        return Path.home() / ".cache" / "inferonomics"
    except RuntimeError:  # no home directory can be found: no cache
        return None


def digest(parts: Iterable[object]) -> str:
    """A hash of `parts` (their reprs, in order): an entry's name."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:40]


def file_digest(paths: Iterable[Path]) -> str:
    """A hash of the contents of files (e.g. the source of the code an entry depends on)."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def source_digest(*modules: str) -> str:
    """A hash of the package version and of the source of `modules` (dotted names in this package,
    found beside this file: importing them is what a hit saves)."""
    from inferonomics import __version__

    root = Path(__file__).parent
    files = [root.joinpath(*m.split(".")[1:]).with_suffix(".py") for m in modules]
    return digest([__version__, FORMAT, sys.version_info[:2], file_digest(files)])


def load(kind: str, key: str) -> object | None:
    """The entry `kind/key`, or None (no cache, no entry, or one that cannot be read)."""
    home = directory()
    if home is None:
        return None
    path = home / kind / f"{key}.pickle"
    try:
        data = path.read_bytes()
        value = pickle.loads(data)
    except Exception:  # missing, unreadable or corrupt: ignored, and rebuilt by the caller
        return None
    if not isinstance(value, tuple) or len(value) != 2 or value[0] != key:
        return None  # not an entry this version wrote
    found: object = value[1]
    return found


def store(kind: str, key: str, value: object) -> None:
    """Write the entry `kind/key` (atomically: a reader sees the old entry or the new one, never half).
    Any failure (no home, read-only, full disk) leaves the cache as it was."""
    home = directory()
    if home is None:
        return
    folder = home / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((key, value), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / f"{key}.pickle")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception:  # an unwritable cache is no error: this run just caches nothing
        return


def cached(kind: str, key: str, make: Callable[[], T], check: Callable[[object], bool]) -> T:
    """The entry `kind/key` when it is there and passes `check`, else `make()` stored under it."""
    found = load(kind, key)
    if found is not None and check(found):
        return found  # type: ignore[return-value]  # `check` vouches for the type
    value = make()
    store(kind, key, value)
    return value
