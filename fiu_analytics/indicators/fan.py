"""Fan-in and fan-out: many distinct counterparties in a trailing window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fiu_analytics.indicators.base import DetectionInput, Param, empty_result, indicator, ramp

_EXCLUDED = ("cash_deposit", "cash_withdrawal")


def _distinct_in_window(
    data: DetectionInput,
    subject_col: str,
    other_col: str,
    window_days: int,
    min_amount: float,
    max_evidence: int,
) -> pd.DataFrame:
    """Per subject: the largest number of distinct counterparties seen within any trailing
    window of ``window_days`` days, and the transactions of that window.

    Each (subject, counterparty, day) "covers" the days [day, day + window); coverage of the
    same pair is made disjoint, so a sweep over +1/-1 events per subject counts distinct
    counterparties. Linear after one sort; hub accounts cost no more than their rows.
    """
    tx = data.transactions
    keep = ~tx["channel"].isin(_EXCLUDED).to_numpy() & (tx["amount_base"].to_numpy() >= min_amount)
    keep &= tx[subject_col].to_numpy() != tx[other_col].to_numpy()
    if not keep.any():
        return pd.DataFrame(columns=["account_key", "distinct", "evidence"])
    frame = pd.DataFrame(
        {
            "s": tx[subject_col].to_numpy()[keep],
            "o": tx[other_col].to_numpy()[keep],
            "day": data.ts_seconds[keep] // 86_400,
            "id": tx["txn_id"].to_numpy()[keep],
        }
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
    out = []
    by_s = frame.groupby("s")
    for subj, t, lvl in zip(best["s"], best["t"], best["level"], strict=True):
        rows = by_s.get_group(subj)
        sel = rows[(rows["day"] <= t) & (rows["day"] > t - window_days)]
        out.append((subj, int(lvl), list(sel["id"].head(max_evidence))))
    return pd.DataFrame(out, columns=["account_key", "distinct", "evidence"])


def _shape(
    data: DetectionInput,
    subject_col: str,
    other_col: str,
    window_days: int,
    min_counterparties: int,
    min_amount: float,
    word: str,
) -> pd.DataFrame:
    tx = data.transactions
    # prefilter: only subjects with enough distinct counterparties over the whole period
    nunique = (
        tx.loc[~tx["channel"].isin(_EXCLUDED), [subject_col, other_col]]
        .drop_duplicates()
        .groupby(subject_col)
        .size()
    )
    cand = nunique.index[nunique >= min_counterparties]
    if len(cand) == 0:
        return empty_result()
    sub = DetectionInput(
        tx[tx[subject_col].isin(cand)].reset_index(drop=True),
        data.accounts,
        data.parties,
        data.period_start,
        data.period_end,
        data.reference,
    )
    res = _distinct_in_window(sub, subject_col, other_col, window_days, min_amount, 200)
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
