"""GEN-03: pass-through (rapid movement): what comes in goes straight out again.

Per account, every money movement counts: transfers and cash paid in are inflows; transfers,
cash withdrawals and card spend are outflows. Over a window of ``window_days`` starting at an
inflow, the flow-through ratio is ``min(in, out) / max(in, out)`` (outflows counted up to
``max_dwell_hours`` past the window, so the last inflow can leave). The dwell time of an inflow
is how long until the account had paid out 90% of its amount after it arrived (a balance that
was already there does not delay it, unlike first-in-first-out matching; inflows that never
leave count as staying for the whole window). The end-of-day balance is what the window's
movements left at each day's end (the opening balance is unknown, so it starts at zero), in
days of the window's mean daily inflow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fiu_analytics.indicators._flows import (
    DAY,
    HOUR,
    forward_dwell,
    money,
    result_frame,
    txn_ids,
    window_stats,
)
from fiu_analytics.indicators.base import DetectionInput, Param, empty_result, indicator, ramp


def _sort_order(group: np.ndarray, t: np.ndarray, late: np.ndarray) -> np.ndarray:
    """``np.lexsort((late, t, group))`` (stable), as one argsort of an int64 key when the key
    fits (always, for account keys and seconds of any realistic store)."""
    if len(t) == 0:
        return np.zeros(0, np.int64)
    g0, t0 = int(group.min()), int(t.min())
    width = 2 * (int(t.max()) - t0 + 1)
    if (int(group.max()) - g0 + 1) * width >= 2**62:
        return np.lexsort((late, t, group))
    key = (group - g0) * width + (t - t0) * 2 + late
    return np.argsort(key, kind="stable")


def money_movements(data: DetectionInput) -> pd.DataFrame:
    """One row per account and movement, sorted by (account, time): ``acct``, ``t``, ``a``,
    ``inflow`` (bool), ``row``, ``other`` (the counterparty; the account itself for cash). A
    transfer appears twice (out of one account, into another); a cash deposit is an inflow and
    a cash withdrawal an outflow of its own account."""
    if "money_movements" in data.cache:
        return data.cache["money_movements"]
    # built on the shared arrays and sorted once (no frame is built and then copied in order)
    v = data.arrays
    src, dst, amt, t = v.src, v.dst, v.amount, data.ts_seconds
    loop = src == dst
    dep = loop & v.equals("channel", "cash_deposit")
    inn = np.flatnonzero(~loop | dep)
    out = np.flatnonzero(~loop | (loop & ~dep))
    acct = np.concatenate([dst[inn], src[out]])
    tt = np.concatenate([t[inn], t[out]])
    inflow = np.zeros(len(inn) + len(out), bool)
    inflow[: len(inn)] = True
    # by account, then time, inflows before outflows at the same instant (money must arrive
    # before it can leave): one stable sort of a combined key, as np.lexsort of the three
    order = _sort_order(acct, tt, ~inflow)
    rows = np.concatenate([inn, out])[order]
    inflow = inflow[order]
    frame = pd.DataFrame(
        {
            "acct": acct[order],
            "t": tt[order],
            "a": amt[rows],
            "inflow": inflow,
            "row": rows,
            "other": np.where(inflow, src[rows], dst[rows]),
        },
        copy=False,
    )
    data.cache["money_movements"] = frame
    return frame


@indicator(
    "GEN-03",
    "Pass-through: money leaves about as fast and as fully as it arrives",
    window_days=Param(30, int, min=1, max=120),
    min_ratio=Param(0.9, float, min=0.0, max=1.0, help="flow-through ratio min(in,out)/max"),
    max_dwell_hours=Param(48, int, min=1, max=24 * 30, help="median dwell below this"),
    max_balance_days=Param(
        3.0, float, min=0.0, max=60.0, help="median end-of-day balance / mean daily inflow"
    ),
    min_inflows=Param(6, int, min=2, help="inflows in the window"),
    min_amount=Param(100.0, float, min=0, help="inflows counted from this amount"),
)
def pass_through(
    data: DetectionInput,
    window_days: int,
    min_ratio: float,
    max_dwell_hours: int,
    max_balance_days: float,
    min_inflows: int,
    min_amount: float,
) -> pd.DataFrame:
    """Accounts with a window of ``window_days`` in which >= ``min_inflows`` inflows of at
    least ``min_amount`` arrived, the flow-through ratio reached ``min_ratio``, the median
    (amount-weighted) dwell of the inflows was under ``max_dwell_hours`` and the median
    end-of-day balance was at most ``max_balance_days`` days' worth of the window's mean daily
    inflow. Value: median dwell in hours; score from the ratio and the dwell."""
    mv = money_movements(data)
    if mv.empty:
        return empty_result()
    acct, t, a, inflow = (mv[c].to_numpy() for c in ("acct", "t", "a", "inflow"))
    big_in = inflow & (a >= min_amount)
    # candidate windows start at each sizeable inflow
    q = np.flatnonzero(big_in)
    w_s, tail = window_days * DAY, max_dwell_hours * HOUR
    n_in, s_in = window_stats(acct[q], t[q], acct[big_in], t[big_in], 0, w_s, a[big_in])
    ok = n_in >= min_inflows
    q, n_in, s_in = q[ok], n_in[ok], s_in[ok]
    if len(q) == 0:
        return empty_result()
    out = ~inflow
    _, s_out = window_stats(acct[q], t[q], acct[out], t[out], 0, w_s + tail, a[out])
    ratio = np.minimum(s_in, s_out) / np.maximum(np.maximum(s_in, s_out), 1e-9)
    ok = ratio >= min_ratio
    if not ok.any():
        return empty_result()
    cand = pd.DataFrame(
        {"acct": acct[q[ok]], "t0": t[q[ok]], "n_in": n_in[ok], "s_in": s_in[ok], "r": ratio[ok]}
    )
    # candidate windows per account: the richest start in each half-window, then the richest
    # MAX_WINDOWS of those; one window diluted by ordinary income must not hide another
    cand["half"] = cand["t0"] // max(w_s // 2, 1)
    cand = cand.sort_values(["acct", "s_in"], ascending=[True, False], kind="stable")
    cand = cand.drop_duplicates(["acct", "half"]).groupby("acct").head(MAX_WINDOWS)
    cand = cand.drop(columns="half").reset_index(drop=True)
    cand["wid"] = np.arange(len(cand))
    # dwell and end-of-day balance per candidate window, on the candidate accounts only
    sub = _window_rows(mv, cand["acct"].to_numpy(), cand["t0"].to_numpy(), w_s + tail)
    wid = sub["wid"].to_numpy()
    in_rows, dwell = forward_dwell(
        wid, sub["t"].to_numpy(), sub["a"].to_numpy(), sub["inflow"].to_numpy()
    )
    od = pd.DataFrame({"wid": wid[in_rows], "a": sub["a"].to_numpy()[in_rows], "dw": dwell})
    od = od[od["a"] >= min_amount]
    od.loc[od["dw"] < 0, "dw"] = w_s + tail  # never left within the window: stayed
    med_dwell = _weighted_median(od["wid"].to_numpy(), od["dw"].to_numpy(), od["a"].to_numpy())
    eod = _median_end_of_day_balance(sub.assign(acct=wid))
    cand["dwell_h"] = med_dwell.reindex(cand["wid"]).to_numpy() / HOUR
    # days of inflow the account keeps: median end-of-day balance / mean daily inflow
    cand["eod"] = eod.reindex(cand["wid"]).to_numpy() / (cand["s_in"].to_numpy() / window_days)
    cand = cand[(cand["dwell_h"] < max_dwell_hours) & (cand["eod"] <= max_balance_days)]
    if cand.empty:
        return empty_result()
    # of the windows that pass, the one with the most money through it
    cand = cand.sort_values(["acct", "s_in"], ascending=[True, False]).drop_duplicates("acct")
    score = np.minimum(
        ramp(cand["r"].to_numpy(), min_ratio, min_ratio + (1 - min_ratio) / 2),
        ramp(max_dwell_hours - cand["dwell_h"].to_numpy(), 0, max_dwell_hours / 2),
    )
    ev = sub[sub["wid"].isin(cand["wid"])].groupby("acct")["row"].apply(list)
    return result_frame(
        cand["acct"].to_numpy(),
        cand["dwell_h"].to_numpy(),
        score,
        [
            f"{r.n_in} inflows of {money(r.s_in)} in {window_days} days left again at a "
            f"flow-through ratio of {r.r:.2f}, median dwell {r.dwell_h:.1f} h, median "
            f"end-of-day balance {r.eod:.1f} days of inflow"
            for r in cand.itertuples(index=False)
        ],
        [txn_ids(data, ev.get(a, [])) for a in cand["acct"]],
    )


def _window_rows(mv: pd.DataFrame, acct: np.ndarray, t0: np.ndarray, span: int) -> pd.DataFrame:
    """The movements of window ``i`` (account ``acct[i]``, ``t0[i] <= t < t0[i] + span``) for
    every window, with its number as ``wid``, windows in order and each window's rows in
    ``mv``'s (time, inflows first) order. ``mv`` is sorted by account and time, so a window is
    one slice of it, found by binary search: only the rows of the windows are copied (a join
    of the candidate accounts' movements with their windows, filtered afterwards, held every
    movement once per window: 1.8 GB at 11.5M transactions)."""
    m_acct, m_t = mv["acct"].to_numpy(), mv["t"].to_numpy()
    if len(acct) == 0 or len(m_acct) == 0:
        return mv.iloc[0:0].assign(wid=np.zeros(0, np.int64))
    # (account rank, time) as one non-decreasing int64 key over mv
    starts = np.r_[0, np.flatnonzero(m_acct[1:] != m_acct[:-1]) + 1]
    accounts = m_acct[starts]
    t_min = min(int(m_t.min()), int(t0.min()))
    width = max(int(m_t.max()), int(t0.max()) + span) - t_min + 1
    if len(accounts) * width < 2**62:
        key = np.repeat(np.arange(len(accounts)), np.diff(np.r_[starts, len(m_acct)]))
        key = key * width + (m_t - t_min)
        base = np.searchsorted(accounts, acct) * width - t_min
        lo = np.searchsorted(key, base + t0, side="left")
        hi = np.searchsorted(key, base + t0 + span, side="left")
        del key
    else:  # times too far apart for one key (never for real dates): window by window
        a_lo = np.searchsorted(m_acct, acct, side="left")
        a_hi = np.searchsorted(m_acct, acct, side="right")
        lo = np.array(
            [i + np.searchsorted(m_t[i:j], s) for i, j, s in zip(a_lo, a_hi, t0, strict=True)]
        )
        hi = np.array(
            [
                i + np.searchsorted(m_t[i:j], s + span)
                for i, j, s in zip(a_lo, a_hi, t0, strict=True)
            ]
        )
    n = hi - lo
    starts = np.cumsum(n) - n
    rows = np.repeat(lo - starts, n) + np.arange(int(n.sum()))
    out = mv.iloc[rows].reset_index(drop=True)
    out["wid"] = np.repeat(np.arange(len(acct)), n)
    return out


MAX_WINDOWS = 4
"""Candidate windows scored per account by GEN-03 (the richest, spread over the period)."""


def _weighted_median(group: np.ndarray, value: np.ndarray, weight: np.ndarray) -> pd.Series:
    """Weighted median of ``value`` per ``group`` (vectorised: one sort, cumulative sums)."""
    if len(group) == 0:
        return pd.Series(dtype=float)
    order = np.lexsort((value, group))
    g, v, w = group[order], value[order], weight[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    ends = np.r_[starts[1:], len(g)]
    c = np.cumsum(w)
    base = np.r_[0.0, c][starts]
    half = base + (c[ends - 1] - base) / 2
    # first row of each group whose cumulative weight reaches half of the group's total
    pos = np.searchsorted(c, half, side="left")
    pos = np.clip(pos, starts, ends - 1)
    return pd.Series(v[pos].astype(float), index=g[starts])


def _median_end_of_day_balance(sub: pd.DataFrame) -> pd.Series:
    """Per account: median over the window's days (from its first inflow to its last
    movement) of what the window's movements left at the day's end (never below zero)."""
    signed = np.where(sub["inflow"].to_numpy(), 1.0, -1.0) * sub["a"].to_numpy()
    day = sub["t"].to_numpy() // DAY
    daily = pd.DataFrame({"acct": sub["acct"].to_numpy(), "day": day, "v": signed})
    daily = daily.groupby(["acct", "day"], sort=True)["v"].sum().reset_index()
    # fill the days without movements: the balance carries over
    span = daily.groupby("acct")["day"].agg(["min", "max"])
    full = pd.DataFrame(
        {
            "acct": np.repeat(span.index.to_numpy(), (span["max"] - span["min"] + 1).to_numpy()),
        }
    )
    full["day"] = np.concatenate([np.arange(lo, hi + 1) for lo, hi in span.to_numpy()])
    full = full.merge(daily, on=["acct", "day"], how="left").fillna({"v": 0.0})
    # a running balance floored at zero (outflows beyond the window's inflows spend money that
    # was there before): S_t - min(0, min_k<=t S_k)
    cum = full.groupby("acct")["v"].cumsum()
    floor = cum.groupby(full["acct"]).cummin().clip(upper=0.0)
    full["bal"] = cum - floor
    return full.groupby("acct")["bal"].median()


MIRROR_CANDIDATES = 6
"""Outflows looked at after each inflow (singles and pairs among them): caps the cost."""


def mirrored_inflows(
    mv: pd.DataFrame, min_amount: float, max_hours: int, low: float, high: float
) -> pd.DataFrame:
    """Inflows of at least ``min_amount`` that leave again within ``max_hours``: one of the
    next :data:`MIRROR_CANDIDATES` outflows of the account, or two of them together, come to
    ``low``..``high`` of the amount (receipts that overlap in time are handled: the matching
    outflows need not be the very next). Columns acct, t, a, row (of the inflow), mirrored."""
    acct, t, a = mv["acct"].to_numpy(), mv["t"].to_numpy(), mv["a"].to_numpy()
    inflow, row = mv["inflow"].to_numpy(), mv["row"].to_numpy()
    out = np.flatnonzero(~inflow)
    q = np.flatnonzero(inflow & (a >= min_amount))
    if len(q) == 0 or len(out) == 0:
        return pd.DataFrame(columns=["acct", "t", "a", "row", "other", "mirrored"])
    k = MIRROR_CANDIDATES
    first = np.searchsorted(out, q, side="right")
    idx = first[:, None] + np.arange(k)[None, :]
    valid = idx < len(out)
    j = out[np.minimum(idx, len(out) - 1)]
    valid &= (acct[j] == acct[q][:, None]) & (t[j] - t[q][:, None] <= max_hours * HOUR)
    amt = np.where(valid, a[j], np.nan)
    lo, hi = low * a[q][:, None], high * a[q][:, None]
    single = ((amt >= lo) & (amt <= hi)).any(axis=1)
    pair_sum = amt[:, :, None] + amt[:, None, :]
    upper = np.triu(np.ones((k, k), bool), 1)[None, :, :]
    in_band = (pair_sum >= lo[:, :, None]) & (pair_sum <= hi[:, :, None]) & upper
    mirrored = single | in_band.any(axis=(1, 2))
    return pd.DataFrame(
        {
            "acct": acct[q],
            "t": t[q],
            "a": a[q],
            "row": row[q],
            "other": mv["other"].to_numpy()[q],
            "mirrored": mirrored,
        }
    )


@indicator(
    "mirrored_flows",
    "Mirrored flows: each incoming payment leaves again within hours, almost in full",
    window_days=Param(30, int, min=1, max=120),
    min_mirrored=Param(5, int, min=1, help="mirrored inflows in the window"),
    min_share=Param(0.5, float, min=0.0, max=1.0, help="share of the window's inflow money"),
    min_sources=Param(2, int, min=1, help="distinct payers of the mirrored inflows"),
    max_hours=Param(72, int, min=1, max=24 * 14),
    low=Param(0.85, float, min=0.0, max=1.0, help="outflow(s) / inflow, at least"),
    high=Param(1.02, float, min=0.5, max=2.0, help="outflow(s) / inflow, at most"),
    min_amount=Param(500.0, float, min=0),
)
def mirrored_flows(
    data: DetectionInput,
    window_days: int,
    min_mirrored: int,
    min_share: float,
    min_sources: int,
    max_hours: int,
    low: float,
    high: float,
    min_amount: float,
) -> pd.DataFrame:
    """Accounts where, within ``window_days``, >= ``min_mirrored`` inflows of at least
    ``min_amount``, carrying >= ``min_share`` of all the money paid in during the window, were
    each followed within ``max_hours`` by
    one or two outflows of ``low``..``high`` of the amount: a mule forwards each
    receipt, while a salaried person, a shop or a collector pools money first. The mirrored
    inflows come from >= ``min_sources`` payers. Value: the mirrored inflows in the best
    window. Evidence: those inflows."""
    mv = money_movements(data)
    mi = mirrored_inflows(mv, min_amount, max_hours, low, high)
    if mi.empty or not mi["mirrored"].any():
        return empty_result()
    acct, t, a = mi["acct"].to_numpy(), mi["t"].to_numpy(), mi["a"].to_numpy()
    m = mi["mirrored"].to_numpy()
    w_s = window_days * DAY
    n_all, _ = window_stats(acct[m], t[m], acct, t, 0, w_s)
    n_mir, s_mir = window_stats(acct[m], t[m], acct[m], t[m], 0, w_s, a[m])
    # share of all the money that came in during the window (small receipts included)
    inn = mv["inflow"].to_numpy()
    _, s_all = window_stats(
        acct[m],
        t[m],
        mv["acct"].to_numpy()[inn],
        mv["t"].to_numpy()[inn],
        0,
        w_s,
        mv["a"].to_numpy()[inn],
    )
    share = s_mir / np.maximum(s_all, 1e-9)
    best = pd.DataFrame({"acct": acct[m], "t0": t[m], "n": n_mir, "share": share, "total": n_all})
    best = best[(best["n"] >= min_mirrored) & (best["share"] >= min_share)]
    if best.empty:
        return empty_result()
    best = best.sort_values(["acct", "n", "share"], ascending=[True, False, False])
    best = best.drop_duplicates("acct")
    ev = mi[mi["mirrored"]].merge(best[["acct", "t0"]], on="acct")
    ev = ev[(ev["t"] >= ev["t0"]) & (ev["t"] < ev["t0"] + w_s)]
    # forwarding one employer's wages is wage control (trafficking indicators), not a mule
    n_src = ev.groupby("acct")["other"].nunique()
    best = best[n_src.reindex(best["acct"]).fillna(0).to_numpy() >= min_sources]
    if best.empty:
        return empty_result()
    rows = ev.groupby("acct")["row"].apply(list)
    return result_frame(
        best["acct"].to_numpy(),
        best["n"].to_numpy(),
        ramp(best["n"].to_numpy(), min_mirrored, 2 * min_mirrored),
        [
            f"{r.n} of {r.total} inflows >= {money(min_amount)} within {window_days} days left "
            f"again within {max_hours} h as one or two payments of {low:.0%}-{high:.0%} of it "
            f"({r.share:.0%} of the money that came in)"
            for r in best.itertuples(index=False)
        ],
        [txn_ids(data, rows.get(a, [])) for a in best["acct"]],
    )
