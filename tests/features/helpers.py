"""Hand-built ledgers for the feature tests."""

from __future__ import annotations

import pandas as pd

T0 = pd.Timestamp("2026-01-05 10:00", tz="UTC")  # a Monday


def ledger(rows: list[tuple], start: pd.Timestamp = T0) -> pd.DataFrame:
    """Transactions from ``(src, dst, hours after start, amount[, channel[, src_c, dst_c]])``."""
    recs = []
    for i, r in enumerate(rows):
        src, dst, hours, amount = r[:4]
        channel = r[4] if len(r) > 4 else "wire"
        src_c = r[5] if len(r) > 5 else "US"
        dst_c = r[6] if len(r) > 6 else "US"
        recs.append(
            {
                "txn_id": f"t{i}",
                "timestamp": start + pd.Timedelta(hours=hours),
                "amount": float(amount),
                "currency": "USD",
                "amount_base": float(amount),
                "channel": channel,
                "src_account_key": src,
                "dst_account_key": dst,
                "src_country": src_c,
                "dst_country": dst_c,
            }
        )
    df = pd.DataFrame(recs)
    df["src_account_key"] = df["src_account_key"].astype("int64")
    df["dst_account_key"] = df["dst_account_key"].astype("int64")
    return df
