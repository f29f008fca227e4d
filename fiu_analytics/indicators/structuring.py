"""GEN-01: structuring of cash below a reporting threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fiu_analytics.indicators.base import (
    DetectionInput,
    Param,
    empty_result,
    indicator,
    ramp,
    window_counts,
)


@indicator(
    "GEN-01",
    "Structuring below reporting threshold",
    threshold=Param(10_000.0, float, min=1, help="reporting threshold T in base currency"),
    lower_fraction=Param(0.8, float, min=0.1, max=0.999, help="band starts at fraction * T"),
    window_days=Param(7, int, min=1, max=90),
    min_count=Param(3, int, min=2, max=100),
    channels=Param("cash_deposit", str, help="comma-separated channels that count"),
)
def structuring(
    data: DetectionInput,
    threshold: float,
    lower_fraction: float,
    window_days: int,
    min_count: int,
    channels: str,
) -> pd.DataFrame:
    """Accounts with >= ``min_count`` deposits in [lower_fraction*T, T) within ``window_days``
    whose sum reaches T. Value: the largest such count; evidence: the deposits of that window."""
    tx = data.transactions
    chans = [c.strip() for c in channels.split(",")]
    amt = tx["amount_base"].to_numpy()
    mask = (
        tx["channel"].isin(chans).to_numpy()
        & (amt >= lower_fraction * threshold)
        & (amt < threshold)
    )
    if not mask.any():
        return empty_result()
    acct = tx["dst_account_key"].to_numpy()[mask]
    ts = data.ts_seconds[mask]
    ids = tx["txn_id"].to_numpy()[mask]
    a = amt[mask]
    order = np.lexsort((ts, acct))
    acct, ts, ids, a = acct[order], ts[order], ids[order], a[order]
    left, count, total = window_counts(acct, ts, window_days * 86_400, a)
    hit = (count >= min_count) & (total >= threshold)
    if not hit.any():
        return empty_result()
    rows = np.flatnonzero(hit)
    frame = pd.DataFrame(
        {
            "account_key": acct[rows],
            "count": count[rows],
            "total": total[rows],
            "left": left[rows],
            "right": rows,
        }
    )
    best = frame.sort_values(["account_key", "count", "total"]).groupby("account_key").tail(1)
    evidence = [list(ids[lo : hi + 1]) for lo, hi in zip(best["left"], best["right"], strict=True)]
    return pd.DataFrame(
        {
            "account_key": best["account_key"].to_numpy(),
            "value": best["count"].to_numpy(dtype=float),
            "score": ramp(best["count"].to_numpy(), min_count, min_count + 3),
            "reason": [
                f"{c} cash deposits of {lower_fraction:.0%}-100% of {threshold:,.0f} within "
                f"{window_days} days, total {t:,.0f}"
                for c, t in zip(best["count"], best["total"], strict=True)
            ],
            "evidence_txn_ids": evidence,
        }
    )
