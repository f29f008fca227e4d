"""Fan-in and fan-out: many distinct counterparties in a trailing window; and the burst
variants that compare the window with the account's own period (one-off relations that all
fall into one window are a collection or distribution episode, not the account's business)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fiu_analytics.indicators._flows import (
    DAY,
    money,
    result_frame,
    transfer_edges,
    txn_ids,
)
from fiu_analytics.indicators.base import DetectionInput, Param, empty_result, indicator, ramp
from fiu_analytics.indicators.shapes import shape_roles

_EXCLUDED = ("cash_deposit", "cash_withdrawal")


def _distinct_in_window(
    data: DetectionInput,
    subject_col: str,
    other_col: str,
    window_days: int,
    min_amount: float,
    max_evidence: int,
    min_distinct: int = 1,
) -> pd.DataFrame:
    """Per subject with at least ``min_distinct``: the largest number of distinct
    counterparties seen within any trailing window of ``window_days`` days, and the
    transactions of that window.

    Each (subject, counterparty, day) "covers" the days [day, day + window); coverage of the
    same pair is made disjoint, so a sweep over +1/-1 events per subject counts distinct
    counterparties. Linear after one sort; hub accounts cost no more than their rows. Works
    on arrays (no copy of the transactions frame).
    """
    v = data.arrays
    ends = {"src_account_key": v.src, "dst_account_key": v.dst}
    subj, oth = ends[subject_col], ends[other_col]
    keep = ~v.isin("channel", _EXCLUDED)
    keep &= v.amount >= min_amount
    keep &= subj != oth
    if not keep.any():
        return pd.DataFrame(columns=["account_key", "distinct", "evidence"])
    # prefilter: only subjects with enough distinct counterparties over the whole period
    pairs0 = pd.DataFrame({"s": subj[keep], "o": oth[keep]}).drop_duplicates()
    n = pairs0.groupby("s").size()
    keep[keep] = np.isin(subj[keep], n.index[n.to_numpy() >= min_distinct].to_numpy())
    if not keep.any():
        return pd.DataFrame(columns=["account_key", "distinct", "evidence"])
    rows = np.flatnonzero(keep)
    frame = pd.DataFrame(
        {"s": subj[rows], "o": oth[rows], "day": data.ts_seconds[rows] // 86_400, "row": rows}
    )
    pairs = frame[["s", "o", "day"]].drop_duplicates().sort_values(["s", "o", "day"])
    s, o, day = (pairs[c].to_numpy() for c in ("s", "o", "day"))
    same = np.r_[False, (s[1:] == s[:-1]) & (o[1:] == o[:-1])]
    prev = np.r_[day[0], day[:-1]]
    start = np.where(same, np.maximum(day, prev + window_days), day)
    stop = day + window_days
    ok = start < stop
    ev_s = np.r_[s[ok], s[ok]]
    ev_t = np.r_[start[ok], stop[ok]]
    ev_d = np.r_[np.ones(ok.sum(), np.int64), -np.ones(ok.sum(), np.int64)]
    order = np.lexsort((ev_d, ev_t, ev_s))
    ev_s, ev_t, level = ev_s[order], ev_t[order], np.cumsum(ev_d[order])
    peaks = pd.DataFrame({"s": ev_s, "t": ev_t, "level": level})
    best = peaks.loc[peaks.groupby("s")["level"].idxmax()]
    best = best[best["level"] >= min_distinct]
    # evidence: the subject's transactions in its best window (one merge, no loop)
    sel = frame.merge(best[["s", "t"]], on="s")
    sel = sel[(sel["day"] <= sel["t"]) & (sel["day"] > sel["t"] - window_days)]
    ev = sel.groupby("s", sort=False)["row"].agg(list)
    return pd.DataFrame(
        {
            "account_key": best["s"].to_numpy(),
            "distinct": best["level"].to_numpy(dtype=np.int64),
            "evidence": [txn_ids(data, ev.get(x, []), max_evidence) for x in best["s"]],
        }
    )


def _shape(
    data: DetectionInput,
    subject_col: str,
    other_col: str,
    window_days: int,
    min_counterparties: int,
    min_amount: float,
    word: str,
) -> pd.DataFrame:
    res = _distinct_in_window(
        data, subject_col, other_col, window_days, min_amount, 200, min_counterparties
    )
    res = res[res["distinct"] >= min_counterparties]
    if res.empty:
        return empty_result()
    return pd.DataFrame(
        {
            "account_key": res["account_key"].to_numpy(dtype=np.int64),
            "value": res["distinct"].to_numpy(dtype=float),
            "score": ramp(res["distinct"].to_numpy(), min_counterparties, 2 * min_counterparties),
            "reason": [
                f"{d} distinct counterparties {word} within {window_days} days"
                for d in res["distinct"]
            ],
            "evidence_txn_ids": list(res["evidence"]),
        }
    )


@indicator(
    "fan_in",
    "Fan-in: many distinct senders",
    window_days=Param(14, int, min=1, max=90),
    min_counterparties=Param(10, int, min=2),
    min_amount=Param(0.0, float, min=0),
)
def fan_in(
    data: DetectionInput, window_days: int, min_counterparties: int, min_amount: float
) -> pd.DataFrame:
    """Accounts receiving from >= ``min_counterparties`` distinct accounts within a window."""
    return _shape(
        data,
        "dst_account_key",
        "src_account_key",
        window_days,
        min_counterparties,
        min_amount,
        "paying in",
    )


@indicator(
    "fan_out",
    "Fan-out: many distinct receivers",
    window_days=Param(14, int, min=1, max=90),
    min_counterparties=Param(10, int, min=2),
    min_amount=Param(0.0, float, min=0),
)
def fan_out(
    data: DetectionInput, window_days: int, min_counterparties: int, min_amount: float
) -> pd.DataFrame:
    """Accounts paying >= ``min_counterparties`` distinct accounts within a window."""
    return _shape(
        data,
        "src_account_key",
        "dst_account_key",
        window_days,
        min_counterparties,
        min_amount,
        "paid",
    )


def _confined_peak(
    data: DetectionInput, subject_col: str, window_days: int, min_amount: float
) -> pd.DataFrame:
    """Per subject: the most counterparties whose whole relation with the subject (every
    transfer of at least ``min_amount`` in the period) fits in one window of ``window_days``,
    all inside the same window (``peak``); the most such counterparties in any other window
    that does not overlap that one (``second``: the account's own busiest other spell); and
    the subject's distinct counterparties over the period (``total``).

    A confined pair covers the window ends ``[last day, first day + window)``; a sweep over
    +1/-1 events per subject finds the best window. Linear after one sort."""
    e = transfer_edges(data, min_amount)
    subj = "d" if subject_col == "dst_account_key" else "s"
    other = "s" if subj == "d" else "d"
    if e.empty:
        return pd.DataFrame(columns=["account_key", "peak", "second", "total", "end", "rows"])
    day = e["t"].to_numpy() // DAY
    pairs = (
        pd.DataFrame({"x": e[subj].to_numpy(), "y": e[other].to_numpy(), "day": day})
        .groupby(["x", "y"], sort=False)["day"]
        .agg(["min", "max"])
        .reset_index()
    )
    total = pairs.groupby("x").size()
    conf = pairs[pairs["max"] - pairs["min"] < window_days]
    if conf.empty:
        return pd.DataFrame(columns=["account_key", "peak", "second", "total", "end", "rows"])
    x = conf["x"].to_numpy()
    ev_x = np.r_[x, x]
    ev_t = np.r_[conf["max"].to_numpy(), conf["min"].to_numpy() + window_days]
    ev_d = np.r_[np.ones(len(x), np.int64), -np.ones(len(x), np.int64)]
    order = np.lexsort((ev_d, ev_t, ev_x))
    ev_x, ev_t, level = ev_x[order], ev_t[order], np.cumsum(ev_d[order])
    peaks = pd.DataFrame({"account_key": ev_x, "end": ev_t, "peak": level})
    best = peaks.loc[peaks.groupby("account_key")["peak"].idxmax()].reset_index(drop=True)
    best["second"] = _other_window_peak(ev_x, ev_t, level, best, window_days)
    best["total"] = total.reindex(best["account_key"]).to_numpy()
    # evidence: transfers of the confined pairs that lie in the best window
    win = conf.merge(best[["account_key", "end"]], left_on="x", right_on="account_key")
    win = win[(win["max"] <= win["end"]) & (win["min"] > win["end"] - window_days)]
    sel = pd.DataFrame({"x": e[subj].to_numpy(), "y": e[other].to_numpy(), "row": e["row"]})
    sel = sel.merge(win[["x", "y"]], on=["x", "y"])
    # rows per subject in their order in ``sel`` (a stable sort and one split, not an apply)
    order = np.argsort(sel["x"].to_numpy(), kind="stable")
    xs, rr = sel["x"].to_numpy()[order], sel["row"].to_numpy()[order]
    keys, starts = np.unique(xs, return_index=True)
    rows = dict(zip(keys.tolist(), (list(r) for r in np.split(rr, starts[1:])), strict=True))
    best["rows"] = [rows.get(a, []) for a in best["account_key"].tolist()]
    return best


def _other_window_peak(
    ev_x: np.ndarray, ev_t: np.ndarray, level: np.ndarray, best: pd.DataFrame, window: int
) -> np.ndarray:
    """Per subject of ``best`` (sorted by ``account_key``), the highest sweep level at window
    ends ``t <= end - window`` or ``t >= end + window``: windows sharing no day with the best
    one. Events are sorted by (subject, time); the level between events is the level after the
    last one, so the value at ``end + window`` is that of the last event at or before it."""
    keys = best["account_key"].to_numpy()
    end = best["end"].to_numpy()[np.searchsorted(keys, ev_x)]
    nxt_same = np.r_[ev_x[1:] == ev_x[:-1], False]
    # only the level after the last event of a (subject, time) group holds at that time
    settled = ~(nxt_same & np.r_[ev_t[1:] == ev_t[:-1], False])
    far = (ev_t <= end - window) | (ev_t >= end + window)
    before = ev_t <= end + window
    last_before = before & ~(nxt_same & np.r_[before[1:], False])
    take = settled & far | last_before
    out = pd.Series(level[take]).groupby(ev_x[take]).max()
    return out.reindex(keys, fill_value=0).clip(lower=0).to_numpy()


def _burst(
    data: DetectionInput,
    subject_col: str,
    window_days: int,
    min_counterparties: int,
    min_amount: float,
    min_share: float,
    word: str,
    skip: np.ndarray | None = None,
    min_contrast: float = 0.0,
    contrast_min_share: float = 0.0,
) -> pd.DataFrame:
    best = _confined_peak(data, subject_col, window_days, min_amount)
    if len(best) == 0:
        return empty_result()
    best = best[best["peak"] >= min_counterparties]
    if skip is not None and len(skip):
        best = best[~best["account_key"].isin(skip)]
    if best.empty:
        return empty_result()
    peak, second = best["peak"].to_numpy(), best["second"].to_numpy()
    share = peak / best["total"].to_numpy()
    score = ramp(share, min_share, min(1.0, min_share + 0.25))
    contrast = peak / np.maximum(second, 1)
    if min_contrast > 0:
        by_contrast = np.where(
            share >= contrast_min_share, ramp(contrast, min_contrast, 2 * min_contrast), 0.0
        )
        score = np.maximum(score, by_contrast)
    keep = score > 0
    best, share, score, second = best[keep], share[keep], score[keep], second[keep]
    return result_frame(
        best["account_key"].to_numpy(),
        share,
        score,
        [
            f"{p} of its {t} counterparties (transfers >= {money(min_amount)}) {word} only "
            f"within one {window_days}-day window ({s:.0%}), against at most {o} in any other "
            f"{window_days}-day window; a burst of new one-off relations, not its usual business"
            for p, t, s, o in zip(best["peak"], best["total"], share, second, strict=True)
        ],
        [txn_ids(data, r) for r in best["rows"]],
    )


@indicator(
    "fan_in_burst",
    "Fan-in burst: many one-off senders, unlike the account's own history",
    window_days=Param(14, int, min=1, max=90),
    min_counterparties=Param(8, int, min=2),
    min_amount=Param(300.0, float, min=0),
    min_share=Param(0.6, float, min=0.0, max=1.0, help="share of all its senders in the burst"),
    leave_to_shapes=Param(False, bool, help="skip gather-scatter hubs and scatter-gather sinks"),
    min_contrast=Param(
        0.0,
        float,
        min=0.0,
        help="or: burst senders at least this many times those of any other window (0: off)",
    ),
    contrast_min_share=Param(
        0.4, float, min=0.0, max=1.0, help="share the contrast route still asks for"
    ),
)
def fan_in_burst(
    data: DetectionInput,
    window_days: int,
    min_counterparties: int,
    min_amount: float,
    min_share: float,
    leave_to_shapes: bool,
    min_contrast: float,
    contrast_min_share: float,
) -> pd.DataFrame:
    """Accounts where >= ``min_counterparties`` senders dealt with the account only inside one
    window, and they are >= ``min_share`` of all its senders in the period. A landlord's
    tenants pay every month and a merchant's or victim's payers are spread over months; a
    collector's senders come once, together. With ``min_contrast`` > 0 a second route: a
    person with an ordinary life of their own has one-off payers (customers, friends) spread
    over the months, which lowers the share; the burst still stands out when it holds
    ``min_contrast`` times as many one-off senders as any other window sharing no day with it
    (and ``contrast_min_share`` of all its senders). With ``leave_to_shapes``, accounts that a
    more specific shape explains (gather-scatter hubs, scatter-gather sinks: indicators
    ``gather_scatter`` and ``scatter_gather``) are left to their own typologies. Value: the
    share."""
    skip = None
    if leave_to_shapes:
        roles = shape_roles(data)
        skip = np.r_[roles["gather_scatter_hub"], roles["scatter_gather_sink"]]
    return _burst(
        data,
        "dst_account_key",
        window_days,
        min_counterparties,
        min_amount,
        min_share,
        "paid in",
        skip,
        min_contrast,
        contrast_min_share,
    )


@indicator(
    "fan_out_burst",
    "Fan-out burst: many one-off receivers, unlike the account's own history",
    window_days=Param(14, int, min=1, max=90),
    min_counterparties=Param(8, int, min=2),
    min_amount=Param(300.0, float, min=0),
    min_share=Param(0.6, float, min=0.0, max=1.0, help="share of all its receivers in the burst"),
    leave_to_shapes=Param(False, bool, help="skip gather-scatter hubs, scatter-gather sources"),
)
def fan_out_burst(
    data: DetectionInput,
    window_days: int,
    min_counterparties: int,
    min_amount: float,
    min_share: float,
    leave_to_shapes: bool,
) -> pd.DataFrame:
    """Accounts that paid >= ``min_counterparties`` receivers only inside one window, who are
    >= ``min_share`` of all its receivers in the period. An employer pays the same workers
    every month; a distributor pays new people once. With ``leave_to_shapes``, gather-scatter
    hubs and scatter-gather sources are left to their own typologies. Value: that share."""
    skip = None
    if leave_to_shapes:
        roles = shape_roles(data)
        skip = np.r_[roles["gather_scatter_hub"], roles["scatter_gather_source"]]
    return _burst(
        data,
        "src_account_key",
        window_days,
        min_counterparties,
        min_amount,
        min_share,
        "paid",
        skip,
    )
