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
        data.arrays.isin("channel", chans) & (amt >= lower_fraction * threshold) & (amt < threshold)
    )
    if not mask.any():
        return empty_result()
    acct = tx["dst_account_key"].to_numpy()[mask]
    ts = data.ts_seconds[mask]
    ids = tx["txn_id"].iloc[np.flatnonzero(mask)].to_numpy()
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


@indicator(
    "structuring_episode",
    "Near-threshold cash as a one-off episode, not the account's habit",
    threshold=Param(10_000.0, float, min=1, help="reporting threshold T in base currency"),
    lower_fraction=Param(0.8, float, min=0.1, max=0.999, help="band starts at fraction * T"),
    window_days=Param(21, int, min=1, max=90, help="length of the episode"),
    min_count=Param(3, int, min=2, max=100, help="band deposits in the episode"),
    min_share=Param(0.6, float, min=0.0, max=1.0, help="of the period's band deposits"),
    channels=Param("cash_deposit", str, help="comma-separated channels that count"),
)
def structuring_episode(
    data: DetectionInput,
    threshold: float,
    lower_fraction: float,
    window_days: int,
    min_count: int,
    min_share: float,
    channels: str,
) -> pd.DataFrame:
    """Accounts whose deposits in [lower_fraction*T, T) cluster in one window of
    ``window_days``: >= ``min_count`` of them, and >= ``min_share`` of all the account's band
    deposits in the period. A cash business whose takings habitually sit near the threshold
    deposits in the band every week of the period; a structurer does it in one burst. Compares
    the account with its own history rather than with a fixed count. Value: that share."""
    tx = data.transactions
    chans = [c.strip() for c in channels.split(",")]
    amt = tx["amount_base"].to_numpy()
    mask = (
        data.arrays.isin("channel", chans) & (amt >= lower_fraction * threshold) & (amt < threshold)
    )
    if not mask.any():
        return empty_result()
    acct = tx["dst_account_key"].to_numpy()[mask]
    ts = data.ts_seconds[mask]
    ids = tx["txn_id"].iloc[np.flatnonzero(mask)].to_numpy()
    order = np.lexsort((ts, acct))
    acct, ts, ids = acct[order], ts[order], ids[order]
    left, count, _ = window_counts(acct, ts, window_days * 86_400)
    total = pd.Series(acct).map(pd.Series(acct).value_counts()).to_numpy()
    frame = pd.DataFrame(
        {
            "account_key": acct,
            "count": count,
            "total": total,
            "left": left,
            "right": np.arange(len(acct)),
        }
    )
    frame = frame[frame["count"] >= min_count]
    if frame.empty:
        return empty_result()
    best = frame.sort_values(["account_key", "count"]).groupby("account_key").tail(1)
    share = best["count"].to_numpy() / best["total"].to_numpy()
    keep = share >= min_share
    best, share = best[keep], share[keep]
    if best.empty:
        return empty_result()
    return pd.DataFrame(
        {
            "account_key": best["account_key"].to_numpy(),
            "value": share,
            "score": ramp(share, min_share, min(1.0, min_share + 0.3)),
            "reason": [
                f"{c} of its {t} deposits of {lower_fraction:.0%}-100% of {threshold:,.0f} in "
                f"the period fall within one {window_days}-day episode ({s:.0%}): unlike a "
                "business that deposits near the threshold every week"
                for c, t, s in zip(best["count"], best["total"], share, strict=True)
            ],
            "evidence_txn_ids": [
                list(ids[lo : hi + 1]) for lo, hi in zip(best["left"], best["right"], strict=True)
            ],
        }
    )


@indicator(
    "cash_band_concentration",
    "Sizeable cash deposits concentrated just below the threshold",
    threshold=Param(10_000.0, float, min=1, help="reporting threshold T in base currency"),
    lower_fraction=Param(0.8, float, min=0.1, max=0.999, help="band starts at fraction * T"),
    floor_fraction=Param(0.3, float, min=0.0, max=0.999, help="deposits from fraction * T"),
    min_count=Param(3, int, min=1, help="band deposits in the period"),
    min_share=Param(0.7, float, min=0.0, max=1.0, help="band / sizeable deposits"),
    channels=Param("cash_deposit", str, help="comma-separated channels that count"),
)
def cash_band_concentration(
    data: DetectionInput,
    threshold: float,
    lower_fraction: float,
    floor_fraction: float,
    min_count: int,
    min_share: float,
    channels: str,
) -> pd.DataFrame:
    """Accounts whose sizeable cash deposits (at least ``floor_fraction``*T) in the period lie
    mostly (>= ``min_share``) in the band [lower_fraction*T, T), with >= ``min_count`` in the
    band. Takings of a shop or the cash of a funnel account spread over the whole range; a
    structurer's pile up under the threshold. Value: that share."""
    tx = data.transactions
    chans = [c.strip() for c in channels.split(",")]
    amt = tx["amount_base"].to_numpy()
    mask = data.arrays.isin("channel", chans) & (amt >= floor_fraction * threshold)
    if not mask.any():
        return empty_result()
    frame = pd.DataFrame(
        {
            "account_key": tx["dst_account_key"].to_numpy()[mask],
            "band": (amt[mask] >= lower_fraction * threshold) & (amt[mask] < threshold),
            "id": tx["txn_id"].iloc[np.flatnonzero(mask)].to_numpy(),
        }
    )
    agg = frame.groupby("account_key")["band"].agg(["sum", "size"])
    agg = agg[agg["sum"] >= min_count]
    share = agg["sum"] / agg["size"]
    agg = agg[share >= min_share]
    if agg.empty:
        return empty_result()
    share = (agg["sum"] / agg["size"]).to_numpy()
    ev = frame[frame["band"]].groupby("account_key")["id"].apply(lambda x: list(x)[:60])
    return pd.DataFrame(
        {
            "account_key": agg.index.to_numpy(dtype=np.int64),
            "value": share,
            "score": ramp(share, min_share, min(1.0, min_share + 0.25)),
            "reason": [
                f"{int(b)} of its {int(n)} cash deposits of {floor_fraction * threshold:,.0f} or "
                f"more lie in {lower_fraction:.0%}-100% of {threshold:,.0f} ({s:.0%})"
                for b, n, s in zip(agg["sum"], agg["size"], share, strict=True)
            ],
            "evidence_txn_ids": [ev.get(a, []) for a in agg.index],
        }
    )
