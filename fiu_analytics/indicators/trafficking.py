"""Trafficking indicators read from card spend and the clock (HT-01, HT-02, HT-03, HT-06).

The trafficking indicators live in a few modules of this package:

- ``trafficking``: HT-01 advertising payments, HT-02 lodging in many cities, HT-03 transport
  tickets, HT-06 night-time activity;
- ``trafficking_collection``: HT-07 third-party cash deposits in many cities, HT-08 many small
  night-time P2P payers (reported on the payee or on the account the takings are swept to);
- ``trafficking_control``: HT-12 shared identifiers, HT-13 third-party control of accounts;
- ``trafficking_labour``: HT-09, HT-15, HT-16, HT-17 (wages and fronts);
- ``trafficking_geography``: HT-20 outbound to trafficking-source countries, MS-01 smuggling
  fees paid to a border or transit hub;
- ``trafficking_common``: shared, unregistered building blocks.

Several indicators can report on the account that *runs* a pattern (the conductor of the cash,
the account the takings are swept to, the employer) instead of the account it shows on, so a
typology scores controllers rather than the people they exploit (``subject`` parameters).
Definitions, default thresholds and sources: ``indicators.yaml`` of the shared reference.
"""

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
from fiu_analytics.indicators.trafficking_common import (
    DAY,
    NIGHT_PARAMS,
    code_set,
    conductors,
    csv_list,
    is_night,
    local_hours,
    peak_distinct,
    peak_window_share,
    result,
    rows_in_window,
    third_party_conducted,
    to_party_accounts,
    txn_ids,
)


def _count_in_window(
    data: DetectionInput,
    mask: np.ndarray,
    window_days: int,
    min_count: int,
    subject_col: str = "src_account_key",
) -> pd.DataFrame:
    """Per subject, the largest number of ``mask`` rows within ``window_days``; only subjects
    reaching ``min_count``. Columns: account_key, count, total, left, right (positions in the
    masked, (subject, ts)-sorted arrays) and pos (those rows' positions in the input)."""
    tx = data.transactions
    pos = np.flatnonzero(mask)
    subj = tx[subject_col].to_numpy()[pos]
    ts = data.ts_seconds[pos]
    order = np.lexsort((ts, subj))
    pos, subj, ts = pos[order], subj[order], ts[order]
    amt = tx["amount_base"].to_numpy()[pos]
    left, count, total = window_counts(subj, ts, window_days * DAY, amt)
    hit = np.flatnonzero(count >= min_count)
    if len(hit) == 0:
        return pd.DataFrame()
    f = pd.DataFrame(
        {
            "account_key": subj[hit],
            "count": count[hit],
            "total": total[hit],
            "left": left[hit],
            "right": hit,
        }
    )
    best = f.sort_values(["account_key", "count", "total"]).groupby("account_key").tail(1)
    best = best.reset_index(drop=True)
    best["rows"] = [pos[lo : hi + 1] for lo, hi in zip(best["left"], best["right"], strict=True)]
    return best


@indicator(
    "HT-01",
    "Small repeated payments for online classified or escort advertising",
    mccs=Param("7311", str, help="advertising / classifieds MCCs (codes or ranges)"),
    merchant_pattern=Param(
        r"(?i)classified|escort|personals|adult ?ads?|listcrawler|skip ?the ?games",
        str,
        help="regex on the merchant name (ad platforms and their processor descriptors)",
    ),
    max_amount=Param(100.0, float, min=0, help="only small payments (posting fees) count"),
    window_days=Param(30, int, min=1, max=365),
    min_count=Param(4, int, min=1, max=1000),
    max_evidence=Param(50, int, min=1),
)
def advertising_payments(
    data: DetectionInput,
    mccs: str,
    merchant_pattern: str,
    max_amount: float,
    window_days: int,
    min_count: int,
    max_evidence: int,
) -> pd.DataFrame:
    """Payers with >= ``min_count`` small payments to advertising or classified merchants
    within ``window_days`` (FINTRAC-16: amounts such as 3, 12, 24 in short timelines)."""
    v = data.arrays
    is_ad = v.isin("mcc", code_set(mccs))
    if merchant_pattern:
        is_ad = is_ad | v.contains("merchant", merchant_pattern)
    amt = v.amount
    mask = is_ad & (amt <= max_amount) & (amt > 0)
    if not mask.any():
        return empty_result()
    best = _count_in_window(data, mask, window_days, min_count)
    if best.empty:
        return empty_result()
    reasons = []
    for c, rows in zip(best["count"], best["rows"], strict=True):
        amounts = sorted({round(float(a), 2) for a in amt[rows]})
        shown = ", ".join(f"{a:g}" for a in amounts[:6]) + (" ..." if len(amounts) > 6 else "")
        reasons.append(
            f"{c} advertising/classified payments of at most {max_amount:,.0f} within "
            f"{window_days} days; {len(amounts)} distinct amounts ({shown})"
        )
    return result(
        best["account_key"],
        best["count"],
        ramp(best["count"].to_numpy(), min_count, 2 * min_count),
        reasons,
        [txn_ids(data, rows, max_evidence) for rows in best["rows"]],
    )


@indicator(
    "HT-02",
    "Short stays in many cities",
    mccs=Param("7011,3501-3999", str, help="lodging MCCs (codes or ranges)"),
    window_days=Param(14, int, min=1, max=90),
    min_cities=Param(3, int, min=2, max=100),
    max_evidence=Param(50, int, min=1),
)
def lodging_in_many_cities(
    data: DetectionInput, mccs: str, window_days: int, min_cities: int, max_evidence: int
) -> pd.DataFrame:
    """Payers of lodging in >= ``min_cities`` distinct cities within ``window_days``."""
    v = data.arrays
    mask = v.isin("mcc", code_set(mccs)) & v.notna("city")
    if not mask.any():
        return empty_result()
    pos = np.flatnonzero(mask)
    subj = v.src[pos]
    cities = v.values_at("city", pos)
    codes = pd.factorize(cities)[0]
    day = data.ts_seconds[pos] // DAY
    best = peak_distinct(subj, codes, day, window_days)
    best = best[best["distinct"] >= min_cities]
    if best.empty:
        return empty_result()
    rows = rows_in_window(subj, day, best, window_days)
    ev, reasons = [], []
    for s, n in zip(best["subject"], best["distinct"], strict=True):
        p = pos[rows[s]]
        names = sorted({str(c) for c in cities[rows[s]]})
        reasons.append(
            f"lodging paid in {n} cities within {window_days} days ({', '.join(names[:6])})"
        )
        ev.append(txn_ids(data, p, max_evidence))
    return result(
        best["subject"],
        best["distinct"],
        ramp(best["distinct"].to_numpy(), min_cities, min_cities + 2),
        reasons,
        ev,
    )


@indicator(
    "HT-03",
    "Many travel tickets in a short time",
    mccs=Param("3000-3299,4511,4112,4131", str, help="air, rail and bus MCCs"),
    window_days=Param(30, int, min=1, max=365),
    min_count=Param(4, int, min=1, max=1000),
    max_evidence=Param(50, int, min=1),
)
def transport_tickets(
    data: DetectionInput, mccs: str, window_days: int, min_count: int, max_evidence: int
) -> pd.DataFrame:
    """Payers of >= ``min_count`` air, rail or bus tickets within ``window_days``."""
    mask = data.arrays.isin("mcc", code_set(mccs))
    if not mask.any():
        return empty_result()
    best = _count_in_window(data, mask, window_days, min_count)
    if best.empty:
        return empty_result()
    return result(
        best["account_key"],
        best["count"],
        ramp(best["count"].to_numpy(), min_count, 2 * min_count),
        [
            f"{c} transport tickets (air, rail, bus) within {window_days} days, total {t:,.0f}"
            for c, t in zip(best["count"], best["total"], strict=True)
        ],
        [txn_ids(data, rows, max_evidence) for rows in best["rows"]],
    )


@indicator(
    "HT-06",
    "Night-time cash and card activity",
    channels=Param("cash_deposit,cash_withdrawal,card", str),
    window_days=Param(30, int, min=1, max=365),
    min_count=Param(10, int, min=1, help="fewest transactions in a window to judge a share"),
    min_share=Param(0.5, float, min=0, max=1),
    include_conducted=Param(
        True, bool, help="count cash a party conducted on others' accounts as its activity"
    ),
    max_evidence=Param(50, int, min=1),
    **NIGHT_PARAMS,
)
def night_activity(
    data: DetectionInput,
    channels: str,
    window_days: int,
    min_count: int,
    min_share: float,
    include_conducted: bool,
    max_evidence: int,
    night_start: float,
    night_end: float,
    utc_offset_hours: float,
) -> pd.DataFrame:
    """Accounts whose cash and card activity within ``window_days`` is mostly (>=
    ``min_share``) between ``night_start`` and ``night_end`` local time."""
    tx = data.transactions
    mask = data.arrays.isin("channel", csv_list(channels))
    if not mask.any():
        return empty_result()
    pos = np.flatnonzero(mask)
    deposit = data.arrays.equals("channel", "cash_deposit")
    # the account whose holder acts: the depositor's account for deposits, else the payer's
    subj = np.where(
        deposit[pos],
        tx["dst_account_key"].to_numpy()[pos],
        tx["src_account_key"].to_numpy()[pos],
    )
    n_own = len(pos)
    if include_conducted:
        third = third_party_conducted(data, "src_account_key")[pos]
        if third.any():
            r, acc = to_party_accounts(data, conductors(tx, pos[third]), np.flatnonzero(third))
            pos = np.r_[pos, pos[r]]
            subj = np.r_[subj, acc]
    ts = data.ts_seconds[pos]
    night = is_night(local_hours(ts, utc_offset_hours), night_start, night_end)
    # only subjects with enough night rows overall can reach the share in some window
    codes, uniq = pd.factorize(subj)
    enough = np.bincount(codes, weights=night, minlength=len(uniq)) >= min_share * min_count
    keep = enough[codes]
    if not keep.any():
        return empty_result()
    pos, subj, ts, night = pos[keep], subj[keep], ts[keep], night[keep]
    n_own = int(keep[:n_own].sum())
    order = np.lexsort((ts, subj))
    pos, subj, ts, night = pos[order], subj[order], ts[order], night[order]
    conducted = (order >= n_own).astype(int)
    best = peak_window_share(subj, ts, night, window_days * DAY, min_count)
    if best.empty:
        return empty_result()
    best = best[best["share"] >= min_share]
    if best.empty:
        return empty_result()
    csum = np.r_[0, np.cumsum(conducted)]
    reasons, ev = [], []
    for n, k, lo, hi in zip(
        best["count"], best["flagged"], best["left"], best["right"], strict=True
    ):
        extra = int(csum[hi + 1] - csum[lo])
        reasons.append(
            f"{int(k)} of {int(n)} cash/card transactions between {night_start:g}:00 and "
            f"{night_end:g}:00 within {window_days} days (share {k / n:.0%})"
            + (f", {extra} of them cash it conducted for others" if extra else "")
        )
        rows = pos[lo : hi + 1][night[lo : hi + 1]]
        ev.append(txn_ids(data, rows, max_evidence))
    share = best["share"].to_numpy(float)
    return result(
        best["subject"], share, ramp(share, min_share, min(1.0, min_share + 0.3)), reasons, ev
    )
