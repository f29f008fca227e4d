"""Shared building blocks of the layering indicators (private: not an indicator module).

Everything here is vectorised over numpy arrays: transfer edges between accounts, the
"one-off relation" test (a pair of accounts that deal with each other at most a couple of times
in the period), hub capping, window counts for arbitrary query times, FIFO dwell times, and
assembling the indicator result frame.

A *transfer* is a payment between two different accounts on a channel that moves money from
one holder to another; card spend at merchants and cash over the counter are not transfers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from fiu_analytics.indicators.base import DetectionInput, empty_result

NOT_TRANSFERS = ("cash_deposit", "cash_withdrawal", "card")
DAY = 86_400
HOUR = 3_600
MAX_EVIDENCE = 60
"""At most this many transaction ids of evidence per subject (the alert stays readable)."""


def transfer_edges(data: DetectionInput, min_amount: float = 0.0) -> pd.DataFrame:
    """Transfers of at least ``min_amount``: columns ``s``, ``d`` (account keys), ``t`` (epoch
    seconds), ``a`` (base amount), ``row`` (position in ``data.transactions``), ``pc`` (how
    many such transfers the pair ``s -> d`` made in the period) and ``span`` (seconds between
    the pair's first and last). Cached per ``min_amount``."""
    key = ("transfer_edges", float(min_amount))
    if key in data.cache:
        return data.cache[key]
    v = data.arrays  # the shared arrays: no copy of the columns, no channel object array
    src, dst, amt = v.src, v.dst, v.amount
    keep = (src != dst) & ~v.isin("channel", NOT_TRANSFERS) & (amt >= min_amount)
    rows = np.flatnonzero(keep)
    e = pd.DataFrame(
        {
            "s": src[rows].astype(np.int64),
            "d": dst[rows].astype(np.int64),
            "t": data.ts_seconds[rows],
            "a": amt[rows],
            "row": rows,
        }
    )
    g = e.groupby(["s", "d"])["t"]
    e["pc"] = g.transform("size").astype(np.int64)
    e["span"] = (g.transform("max") - g.transform("min")).astype(np.int64)
    data.cache[key] = e
    return e


def counterparty_degree(edges: pd.DataFrame) -> pd.Series:
    """Distinct counterparties (in or out) per account over ``edges``."""
    pairs = edges[["s", "d"]].drop_duplicates()
    both = pd.concat(
        [pairs.rename(columns={"s": "x", "d": "y"}), pairs.rename(columns={"d": "x", "s": "y"})]
    ).drop_duplicates()
    return both.groupby("x").size()


def hubs(data: DetectionInput, max_degree: int, min_amount: float = 0.0) -> np.ndarray:
    """Accounts with more than ``max_degree`` distinct counterparties over transfers of at
    least ``min_amount`` in the period: employers, landlords, utilities, payment hubs. Shape
    searches skip them so that their cost stays linear; the indicators say so in their
    reasons."""
    key = ("hubs", int(max_degree), float(min_amount))
    if key not in data.cache:
        deg = counterparty_degree(transfer_edges(data, min_amount))
        data.cache[key] = np.sort(deg.index[deg.to_numpy() > max_degree].to_numpy(np.int64))
    return data.cache[key]


def window_stats(
    q_group: np.ndarray,
    q_time: np.ndarray,
    e_group: np.ndarray,
    e_time: np.ndarray,
    lo: int | np.ndarray,
    hi: int | np.ndarray,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """For each query ``(group, time)``: how many events of the same group have a time in
    ``[time + lo, time + hi)``, and the sum of their ``weights``. Sort plus ``searchsorted``;
    no loop over groups."""
    if len(q_time) == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    if len(e_time) == 0:
        return np.zeros(len(q_time), np.int64), np.zeros(len(q_time))
    lo_a = np.broadcast_to(np.asarray(lo, np.int64), q_time.shape)
    hi_a = np.broadcast_to(np.asarray(hi, np.int64), q_time.shape)
    t0 = int(min(e_time.min(), (q_time + lo_a).min())) - 1
    t1 = int(max(e_time.max(), (q_time + hi_a).max())) + 1
    span = t1 - t0 + 1
    ekey = e_group.astype(np.int64) * span + (e_time.astype(np.int64) - t0)
    order = np.argsort(ekey, kind="stable")
    ekey = ekey[order]
    w = np.ones(len(e_time)) if weights is None else np.asarray(weights, float)[order]
    csum = np.concatenate([[0.0], np.cumsum(w)])
    base = q_group.astype(np.int64) * span - t0
    left = np.searchsorted(ekey, base + q_time + lo_a, side="left")
    right = np.searchsorted(ekey, base + q_time + hi_a, side="left")
    return right - left, csum[right] - csum[left]


def forward_dwell(
    acct: np.ndarray, t: np.ndarray, amount: np.ndarray, inflow: np.ndarray, share: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """How long after each inflow the account had paid out ``share`` of its amount.

    Rows must be sorted by ``(acct, t)``. For each inflow row, the seconds until the account's
    cumulative outflow since that moment reaches ``share`` of the inflow; ``-1`` if it never
    does in the rows given. Unlike first-in-first-out matching, an old balance sitting on the
    account does not delay it: it measures whether money leaves as fast as it arrives.
    Returns ``(in_rows, dwell_s)``; one global ``searchsorted``, no loop over accounts.
    """
    n = len(t)
    in_rows = np.flatnonzero(inflow)
    if n == 0 or len(in_rows) == 0:
        return in_rows, np.zeros(len(in_rows), np.int64)
    starts = np.r_[0, np.flatnonzero(acct[1:] != acct[:-1]) + 1]
    grp = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n]))
    c_out = np.cumsum(np.where(inflow, 0.0, amount))
    c_out = c_out - np.r_[0.0, c_out][starts][grp]
    big = float(c_out.max() + amount.max() + 1.0)
    key = grp * big + c_out
    target = grp[in_rows] * big + c_out[in_rows] + share * amount[in_rows]
    pos = np.searchsorted(key, target, side="left")
    ok = pos < n
    ok[ok] &= grp[pos[ok]] == grp[in_rows[ok]]
    dwell = np.full(len(in_rows), -1, np.int64)
    dwell[ok] = t[pos[ok]] - t[in_rows[ok]]
    return in_rows, dwell


def txn_ids(data: DetectionInput, rows: Iterable[int], limit: int = MAX_EVIDENCE) -> list[str]:
    """Transaction ids of ``rows`` (positions in ``data.transactions``), in time order."""
    r = np.unique(np.fromiter(rows, np.int64))[:limit]
    return data.arrays.txn_ids(r)


def result_frame(
    account_key: Sequence[int] | np.ndarray,
    value: Sequence[float] | np.ndarray,
    score: Sequence[float] | np.ndarray,
    reason: Sequence[str],
    evidence: Sequence[list[str]],
) -> pd.DataFrame:
    """The indicator contract frame, one row per account (sorted by account)."""
    if len(account_key) == 0:
        return empty_result()
    out = pd.DataFrame(
        {
            "account_key": np.asarray(account_key, dtype=np.int64),
            "value": np.asarray(value, dtype=float),
            "score": np.clip(np.asarray(score, dtype=float), 0.0, 1.0),
            "reason": list(reason),
            "evidence_txn_ids": list(evidence),
        }
    )
    return out.sort_values("account_key", ignore_index=True)


def money(x: float) -> str:
    return f"{x:,.0f}"
