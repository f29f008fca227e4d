"""Collection of exploitation takings: HT-07 third-party cash deposits in many cities and
HT-08 many small night-time P2P payers, reported on the account the money shows on or on the
account that runs the collection (the cash conductor, the account the takings are swept to)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fiu_analytics.indicators.base import (
    DetectionInput,
    Param,
    empty_result,
    indicator,
    ramp,
)
from fiu_analytics.indicators.trafficking_common import (
    DAY,
    NIGHT_PARAMS,
    TRANSFERS,
    Choice,
    conductors,
    csv_list,
    is_night,
    local_hours,
    peak_distinct,
    result,
    rows_in_window,
    third_party_conducted,
    to_party_accounts,
    top_recipients,
    txn_ids,
)


@indicator(
    "HT-07",
    "Third-party cash deposits in many cities",
    window_days=Param(7, int, min=1, max=90),
    min_cities=Param(3, int, min=2, max=100),
    min_amount=Param(200.0, float, min=0),
    max_amount=Param(800.0, float, min=0),
    subject=Choice(
        "account",
        str,
        choices=("account", "conductor"),
        help="account: the account paid into; conductor: accounts of who paid the cash in",
    ),
    max_evidence=Param(50, int, min=1),
)
def third_party_cash_in_many_cities(
    data: DetectionInput,
    window_days: int,
    min_cities: int,
    min_amount: float,
    max_amount: float,
    subject: str,
    max_evidence: int,
) -> pd.DataFrame:
    """Cash deposits made by someone other than the holder, in [``min_amount``,
    ``max_amount``], in >= ``min_cities`` cities within ``window_days``; reported on the
    account paid into, or on the conductor's own accounts (who runs the deposits)."""
    tx = data.transactions
    v = data.arrays
    amt = v.amount
    mask = (
        v.equals("channel", "cash_deposit")
        & v.notna("city")
        & (amt >= min_amount)
        & (amt <= max_amount)
    )
    if not mask.any():
        return empty_result()
    mask &= third_party_conducted(data, "dst_account_key")
    if not mask.any():
        return empty_result()
    pos = np.flatnonzero(mask)
    if subject == "account":
        subj = tx["dst_account_key"].to_numpy()[pos]
    else:
        r, subj = to_party_accounts(data, conductors(tx, pos), np.arange(len(pos)))
        pos = pos[r]
    if len(pos) == 0:
        return empty_result()
    cities = v.values_at("city", pos)
    codes = pd.factorize(cities)[0]
    day = data.ts_seconds[pos] // DAY
    best = peak_distinct(subj, codes, day, window_days)
    best = best[best["distinct"] >= min_cities]
    if best.empty:
        return empty_result()
    rows = rows_in_window(subj, day, best, window_days)
    accts = tx["dst_account_key"].to_numpy()
    who = conductors(tx, pos)
    reasons, ev = [], []
    for s, n in zip(best["subject"], best["distinct"], strict=True):
        p = pos[rows[s]]
        names = sorted({str(c) for c in cities[rows[s]]})
        if subject == "account":
            head = f"{len(p)} cash deposits by {len(set(who[rows[s]]))} third parties"
        else:
            head = f"conducted {len(p)} cash deposits into {len(set(accts[p]))} others' accounts"
        reasons.append(
            f"{head} of {min_amount:,.0f}-{max_amount:,.0f} in {n} cities within "
            f"{window_days} days ({', '.join(names[:6])})"
        )
        ev.append(txn_ids(data, p, max_evidence))
    return result(
        best["subject"],
        best["distinct"],
        ramp(best["distinct"].to_numpy(), min_cities, min_cities + 2),
        reasons,
        ev,
    )


def _night_p2p_payees(
    data: DetectionInput,
    channels: str,
    window_days: int,
    min_payers: int,
    min_amount: float,
    max_amount: float,
    min_night_share: float,
    night: dict[str, float],
) -> pd.DataFrame:
    """Payees with >= ``min_payers`` distinct non-reciprocal P2P payers within a window whose
    payments there have a median in [min, max] and are mostly at night. Columns: subject,
    distinct, median, night_share, pos (row positions of that window's payments)."""
    v = data.arrays
    src, dst = v.src, v.dst
    mask = v.isin("channel", csv_list(channels)) & (src != dst)
    if not mask.any():
        return pd.DataFrame()
    pos = np.flatnonzero(mask)
    # prefilter: payees with enough distinct payers over the whole period
    pairs = pd.DataFrame({"s": src[pos], "d": dst[pos]})
    n_payers = pairs.drop_duplicates().groupby("d").size()
    cand = n_payers.index[n_payers >= min_payers].to_numpy()
    keep = pd.Index(cand).get_indexer(dst[pos]) >= 0
    pos = pos[keep]
    if len(pos) == 0:
        return pd.DataFrame()
    # no reciprocal flows: drop payers the payee also pays (any transfer channel)
    base = np.int64(max(int(src.max()), int(dst.max())) + 1)
    paid_by_payee = (pd.Index(cand).get_indexer(src) >= 0) & (src != dst)
    fwd = src[paid_by_payee].astype(np.int64) * base + dst[paid_by_payee]
    back = dst[pos].astype(np.int64) * base + src[pos]
    pos = pos[~pd.Index(back).isin(fwd)]  # hashed: np.isin sorts both million-row arrays
    if len(pos) == 0:
        return pd.DataFrame()
    day = data.ts_seconds[pos] // DAY
    best = peak_distinct(dst[pos], src[pos], day, window_days)
    best = best[best["distinct"] >= min_payers]
    if best.empty:
        return pd.DataFrame()
    rows = rows_in_window(dst[pos], day, best, window_days)
    hours = local_hours(data.ts_seconds[pos], night["utc_offset_hours"])
    at_night = is_night(hours, night["night_start"], night["night_end"])
    amt = v.amount[pos]
    best = best.assign(
        rel=[rows[s] for s in best["subject"]],
    )
    best["median"] = [float(np.median(amt[r])) for r in best["rel"]]
    best["night_share"] = [float(at_night[r].mean()) for r in best["rel"]]
    best["pos"] = [pos[r] for r in best["rel"]]
    ok = (
        (best["median"] >= min_amount)
        & (best["median"] <= max_amount)
        & (best["night_share"] >= min_night_share)
    )
    return best[ok].reset_index(drop=True)


@indicator(
    "HT-08",
    "Many small night-time P2P payers to one payee",
    channels=Param("mobile_money", str, help="P2P / e-transfer / instant channels"),
    window_days=Param(30, int, min=1, max=90),
    min_payers=Param(10, int, min=2),
    min_amount=Param(100.0, float, min=0, help="median payment at least"),
    max_amount=Param(800.0, float, min=0, help="median payment at most"),
    min_night_share=Param(0.5, float, min=0, max=1),
    subject=Choice(
        "payee",
        str,
        choices=("payee", "collector"),
        help="payee: the account paid; collector: the account payees sweep most money to",
    ),
    min_collect_share=Param(0.5, float, min=0, max=1, help="collector: share of transfers"),
    min_payees=Param(1, int, min=1, help="collector: payees swept into it"),
    max_evidence=Param(50, int, min=1),
    **NIGHT_PARAMS,
)
def night_p2p_payers(
    data: DetectionInput,
    channels: str,
    window_days: int,
    min_payers: int,
    min_amount: float,
    max_amount: float,
    min_night_share: float,
    subject: str,
    min_collect_share: float,
    min_payees: int,
    max_evidence: int,
    night_start: float,
    night_end: float,
    utc_offset_hours: float,
) -> pd.DataFrame:
    """Payees with >= ``min_payers`` distinct P2P payers (none of whom they pay back) within
    ``window_days``, median payment in [``min_amount``, ``max_amount``], mostly at night; or,
    with ``subject=collector``, the account such payees send most of their money to."""
    night = {
        "night_start": night_start,
        "night_end": night_end,
        "utc_offset_hours": utc_offset_hours,
    }
    payees = _night_p2p_payees(
        data, channels, window_days, min_payers, min_amount, max_amount, min_night_share, night
    )
    if payees.empty:
        return empty_result()
    if subject == "payee":
        return result(
            payees["subject"],
            payees["distinct"],
            ramp(payees["distinct"].to_numpy(), min_payers, 2 * min_payers),
            [
                f"{n} distinct P2P payers within {window_days} days, none paid back, median "
                f"{m:,.0f}, {s:.0%} at night"
                for n, m, s in zip(
                    payees["distinct"], payees["median"], payees["night_share"], strict=True
                )
            ],
            [txn_ids(data, p, max_evidence) for p in payees["pos"]],
        )
    top = top_recipients(data, payees["subject"].to_numpy())
    top = top[top["share"] >= min_collect_share]
    top = top[top["collector"] != top["source"]]
    if top.empty:
        return empty_result()
    per = top.groupby("collector").agg(n=("source", "size"), amount=("amount", "sum"))
    per = per[per["n"] >= min_payees]
    if per.empty:
        return empty_result()
    v = data.arrays
    src, dst = v.src, v.dst
    sweep = v.isin("channel", csv_list(TRANSFERS))
    info = payees.set_index("subject")
    # each collector's sweeps from its payees, found in one pass over the transactions
    base = np.int64(max(int(src.max()), int(dst.max())) + 1)
    pair = top[top["collector"].isin(per.index)]
    pair_key = pair["collector"].to_numpy(np.int64) * base + pair["source"].to_numpy(np.int64)
    cand = np.flatnonzero(sweep & (pd.Index(per.index).get_indexer(dst) >= 0))
    cand = cand[pd.Index(dst[cand] * base + src[cand]).isin(pair_key)]
    order = np.argsort(dst[cand], kind="stable")
    keys, starts = np.unique(dst[cand][order], return_index=True)
    swept = dict(zip(keys.tolist(), np.split(cand[order], starts[1:]), strict=True))
    reasons, ev = [], []
    for c, n, a in zip(per.index, per["n"], per["amount"], strict=True):
        srcs = top.loc[top["collector"] == c, "source"].to_numpy()
        rows = swept.get(int(c), np.zeros(0, np.int64))
        payers = info.loc[srcs, "distinct"]
        reasons.append(
            f"receives most transfers ({a:,.0f}) of {n} accounts that each took P2P payments "
            f"from {int(payers.min())}-{int(payers.max())} payers within {window_days} days, "
            f"mostly at night"
        )
        ev.append(txn_ids(data, rows, max_evidence))
    return result(
        per.index.to_numpy(),
        per["n"],
        ramp(per["n"].to_numpy(), min_payees, min_payees + 2),
        reasons,
        ev,
    )
