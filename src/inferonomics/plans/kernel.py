"""The replay's exact kernel: segment r of every subscriber, r = 0, 1, ..., in lockstep.

Inside a segment each limit has one window and one entering consumption; the limits are applied
from the narrowest scope to the widest, each a prefix cut on a segmented cumulative sum of the
requests still eligible (see `plans/replay.py` for the semantics). Values are integer parts,
hi * 1000 + lo (pico-dollars and femto remainders for dollars; lo = 0 for counts): exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from inferonomics.plans.windows import group_bounds

if TYPE_CHECKING:
    from inferonomics.plans.replay import CompiledLimit
    from inferonomics.plans.usage import Usage

__all__ = ["K", "Rows", "geq", "rounds", "segcum"]

K = 1000
"""The femto remainder's base: a value is hi * 1000 + lo."""


def geq(hi: np.ndarray, lo: np.ndarray, a_hi: int, a_lo: int) -> np.ndarray:
    """(hi, lo) >= (a_hi, a_lo) as values hi * 1000 + lo, lo not yet normalized."""
    h = hi + lo // K
    low = lo % K
    out: np.ndarray = (h > a_hi) | ((h == a_hi) & (low >= a_lo))
    return out


def segcum(x: np.ndarray, first: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at each segment (segments contiguous, offsets `first`)."""
    cs = np.cumsum(x)
    before = np.concatenate(([0], cs))[first]
    out: np.ndarray = cs - np.repeat(before, sizes)
    return out


@dataclass
class Rows:
    """What each covered row became (written by the rounds)."""

    admitted: np.ndarray
    moved_by: np.ndarray
    blocked_by: np.ndarray
    model: np.ndarray
    pico: np.ndarray
    femto: np.ndarray


def rounds(
    u: Usage,
    limits: list[CompiledLimit],
    rows: np.ndarray,
    starts_any: np.ndarray,
    window_ids: list[np.ndarray],
    out: Rows,
) -> None:
    """Segment r of every replayed subscriber, for r = 0, 1, ...: exact admission (see module)."""
    sub = u.sub[rows]
    local_names, local = np.unique(sub, return_inverse=True)
    sb = group_bounds(sub)
    seg_start = starts_any[rows].copy()
    seg_start[sb[:-1]] = True
    c = np.cumsum(seg_start)
    rank = c - np.repeat(c[sb[:-1]], np.diff(sb))
    order = np.argsort(rank, kind="stable")
    rows_o = rows[order]
    rank_o = rank[order]
    rb = np.searchsorted(rank_o, np.arange(int(rank_o[-1]) + 2)).astype(np.int64)
    loc_o = local[order]
    model_o = u.model[rows_o]
    pico_o, femto_o = u.pico[rows_o], u.femto[rows_o]
    req_o, tok_o = u.requests[rows_o], u.tokens[rows_o]
    win_o = [w[rows_o] for w in window_ids]
    move_o = [
        None if c.move_pico is None or c.move_femto is None else (c.move_pico[rows_o], c.move_femto[rows_o])
        for c in limits
    ]
    s_count = len(local_names)
    state_win = [np.full(s_count, -1, dtype=np.int64) for _ in limits]
    state_hi = [np.zeros(s_count, dtype=np.int64) for _ in limits]
    state_lo = [np.zeros(s_count, dtype=np.int64) for _ in limits]

    def metric(k: int, sl: slice, vp: np.ndarray, vf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        unit = limits[k].limit.unit
        if unit == "usd":
            return vp, vf
        x = tok_o[sl] if unit == "tokens" else req_o[sl]
        return x, np.zeros_like(x)

    for r in range(len(rb) - 1):
        sl = slice(int(rb[r]), int(rb[r + 1]))
        m = sl.stop - sl.start
        if m == 0:
            continue
        subs = loc_o[sl]
        seg = group_bounds(subs)
        first, sizes = seg[:-1], np.diff(seg)
        seg_sub = subs[first]
        blocked = np.zeros(m, dtype=bool)
        moved = np.zeros(m, dtype=bool)
        prov_by = np.full(m, -1, dtype=np.int64)
        mov_by = np.full(m, -1, dtype=np.int64)
        meff = model_o[sl].copy()
        vp, vf = pico_o[sl].copy(), femto_o[sl].copy()
        bases: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        checked: list[np.ndarray] = []
        for k, lim in enumerate(limits):
            w_seg = np.maximum.reduceat(win_o[k][sl], first)
            same = state_win[k][seg_sub] == w_seg
            bh = np.where(same, state_hi[k][seg_sub], 0)
            bl = np.where(same, state_lo[k][seg_sub], 0)
            bases.append((w_seg, same, bh, bl))
            s = lim.scope[meff]
            checked.append(s)
            elig = s & ~blocked
            hi, lo = metric(k, sl, vp, vf)
            hi_e, lo_e = np.where(elig, hi, 0), np.where(elig, lo, 0)
            ch = segcum(hi_e, first, sizes) + np.repeat(bh, sizes)
            cl = segcum(lo_e, first, sizes) + np.repeat(bl, sizes)
            refuse = elig & geq(ch - hi_e, cl - lo_e, lim.amount_hi, lim.amount_lo)
            if lim.limit.at_limit == "block":
                prov_by[refuse & (prov_by < 0)] = k
                blocked |= refuse
            else:
                assert lim.move_code is not None
                mv = move_o[k]
                assert mv is not None
                fresh = refuse & ~moved
                moved |= refuse
                mov_by[fresh] = k
                meff[refuse] = lim.move_code
                vp[refuse], vf[refuse] = mv[0][sl][refuse], mv[1][sl][refuse]
        moved &= ~blocked
        mov_by[~moved] = -1
        ok = ~blocked
        final_by = np.full(m, -1, dtype=np.int64)
        for k, lim in enumerate(limits):
            w_seg, same, bh, bl = bases[k]
            s = lim.scope[meff] & ok
            hi, lo = metric(k, sl, vp, vf)
            hi_c, lo_c = np.where(s, hi, 0), np.where(s, lo, 0)
            ch = segcum(hi_c, first, sizes) + np.repeat(bh, sizes)
            cl = segcum(lo_c, first, sizes) + np.repeat(bl, sizes)
            reached_before = geq(ch - hi_c, cl - lo_c, lim.amount_hi, lim.amount_lo)
            if lim.limit.at_limit == "block":
                final_by[blocked & checked[k] & reached_before & (final_by < 0)] = k
            has = w_seg >= 0
            tot_h = np.add.reduceat(hi_c, first) + bh
            tot_l = np.add.reduceat(lo_c, first) + bl
            idx = seg_sub[has]
            state_win[k][idx] = w_seg[has]
            state_hi[k][idx] = (tot_h + tot_l // K)[has]
            state_lo[k][idx] = (tot_l % K)[has]
        final_by = np.where(blocked & (final_by < 0), prov_by, final_by)
        g = rows_o[sl]
        out.admitted[g] = ok
        out.blocked_by[g] = np.where(blocked, final_by, -1)
        out.moved_by[g] = mov_by
        out.model[g] = meff
        out.pico[g], out.femto[g] = vp, vf
