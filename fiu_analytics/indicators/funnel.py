"""GEN-02: funnel accounts: cash paid in by others in cities where the holder neither lives nor
banks, and taken out again elsewhere within days.

The holder's home cities are the city of the owner's address (``parties.address``, the
second-to-last comma-separated part, as in ``'12 Oak St, Dallas, US'``) and the cities where
the holder handles cash personally (cash movements with no conductor or the holder as
conductor): the branch they use. A deposit counts when it is made in another city by a
conductor who is not the holder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fiu_analytics.indicators._flows import (
    DAY,
    HOUR,
    money,
    result_frame,
    txn_ids,
    window_stats,
)
from fiu_analytics.indicators.base import DetectionInput, Param, empty_result, indicator, ramp


def address_city(address: pd.Series) -> pd.Series:
    """The city of a postal address ``'street, city, country'`` (None when it has no city)."""
    parts = address.fillna("").astype(str).str.split(", ")
    return parts.map(lambda p: p[-2].strip().casefold() if len(p) >= 3 else None)


def account_home_city(data: DetectionInput) -> pd.DataFrame:
    """Per account: ``owner_party_id`` and ``home_city`` from the owner's address."""
    if "account_home_city" in data.cache:
        return data.cache["account_home_city"]
    acc, par = data.accounts, data.parties
    if acc.empty or par.empty or "address" not in par:
        out = pd.DataFrame(columns=["account_key", "owner_party_id", "home_city"])
    else:
        city = pd.Series(address_city(par["address"]).to_numpy(), index=par["party_id"])
        out = acc[["account_key", "owner_party_id"]].copy()
        out["home_city"] = city.reindex(out["owner_party_id"]).to_numpy()
    data.cache["account_home_city"] = out
    return out


@indicator(
    "GEN-02",
    "Funnel account: third-party cash in distant cities, moved on within days",
    min_cities=Param(2, int, min=1, help="distinct away cities of the deposits"),
    min_deposits=Param(3, int, min=1),
    min_conductors=Param(2, int, min=1, help="distinct third parties making the deposits"),
    window_days=Param(14, int, min=1, max=90, help="deposits within this"),
    outflow_hours=Param(72, int, min=1, max=24 * 14, help="money leaves within this"),
    min_outflow_share=Param(0.5, float, min=0.0, max=2.0, help="outflow / deposits"),
    min_amount=Param(1000.0, float, min=0, help="deposits counted from this amount"),
)
def funnel(
    data: DetectionInput,
    min_cities: int,
    min_deposits: int,
    min_conductors: int,
    window_days: int,
    outflow_hours: int,
    min_outflow_share: float,
    min_amount: float,
) -> pd.DataFrame:
    """Accounts with >= ``min_deposits`` cash deposits of at least ``min_amount`` within
    ``window_days``, in >= ``min_cities`` cities other than the holder's home cities, made by
    >= ``min_conductors`` conductors other than the holder, where within ``outflow_hours`` of
    each deposit the account paid out (transfers, or cash withdrawn in a city other than the
    deposits') at least ``min_outflow_share`` of it on average. Value: the away cities of the
    best window."""
    v = data.arrays
    src, amt = v.src, v.amount
    loop = src == v.dst
    deposit = v.equals("channel", "cash_deposit")
    withdrawal = v.equals("channel", "cash_withdrawal")
    # string work only on the (few) cash rows
    cash_rows = np.flatnonzero(loop & (deposit | withdrawal))
    if not deposit[cash_rows].any():
        return empty_result()
    c_acct = src[cash_rows]
    c_city = _casefold(v.values_at("city", cash_rows))
    c_cond = v.values_at("conductor_party_id", cash_rows, missing=np.nan)
    home = account_home_city(data).set_index("account_key")
    owner = home["owner_party_id"].reindex(c_acct).to_numpy()
    # conductor is the holder (or nobody was named): the holder's own cash, own cities
    own = pd.isna(c_cond) | (c_cond == owner)
    own_cities = pd.DataFrame({"acct": c_acct[own], "city": c_city[own]}).drop_duplicates()
    addr = home["home_city"].dropna()
    homes = pd.concat(
        [own_cities, pd.DataFrame({"acct": addr.index.to_numpy(), "city": addr.to_numpy()})]
    ).drop_duplicates()
    is_dep = deposit[cash_rows] & ~own & (amt[cash_rows] >= min_amount)
    if not is_dep.any():
        return empty_result()
    dep = cash_rows[is_dep]
    d = pd.DataFrame(
        {
            "acct": c_acct[is_dep],
            "city": c_city[is_dep],
            "t": data.ts_seconds[dep],
            "a": amt[dep],
            "row": dep,
            "cond": c_cond[is_dep],
        }
    )
    d = d.merge(homes.assign(home=True), on=["acct", "city"], how="left")
    d = d[d["home"].isna() & (d["city"] != "")].drop(columns="home")
    if d.empty:
        return empty_result()
    # outflows after each deposit: transfers out, and cash withdrawn in another city
    out_m = (~loop & ~v.equals("channel", "card")) | (loop & withdrawal)
    o_acct, o_t, o_a = src[out_m], data.ts_seconds[out_m], amt[out_m]
    d = d.sort_values(["acct", "t"], ignore_index=True)
    _, out_sum = window_stats(
        d["acct"].to_numpy(), d["t"].to_numpy(), o_acct, o_t, 1, outflow_hours * HOUR, o_a
    )
    # cash withdrawn in one of the deposit cities is not "elsewhere": subtract it
    wdr = ~is_dep & withdrawal[cash_rows]
    wd = pd.DataFrame(
        {
            "acct": c_acct[wdr],
            "t": data.ts_seconds[cash_rows[wdr]],
            "a": amt[cash_rows[wdr]],
            "city": c_city[wdr],
        }
    )
    wd = wd.merge(d[["acct", "city"]].drop_duplicates(), on=["acct", "city"])
    _, same_sum = window_stats(
        d["acct"].to_numpy(),
        d["t"].to_numpy(),
        wd["acct"].to_numpy(),
        wd["t"].to_numpy(),
        1,
        outflow_hours * HOUR,
        wd["a"].to_numpy(),
    )
    d["moved"] = np.minimum((out_sum - same_sum) / d["a"].to_numpy(), 1.0)
    # per deposit as window end: deposits, cities and moved share in the trailing window
    w = window_days * DAY
    acct, t = d["acct"].to_numpy(), d["t"].to_numpy()
    n_dep, _ = window_stats(acct, t, acct, t, -w + 1, 1)
    _, moved = window_stats(acct, t, acct, t, -w + 1, 1, d["moved"].to_numpy())
    d["n"] = n_dep
    d["moved_share"] = moved / np.maximum(n_dep, 1)
    # distinct cities in the window: count per (acct, city) the latest deposit in the window
    cities = _distinct_cities_in_window(d, w)
    d["cities"] = cities
    hit = d[
        (d["n"] >= min_deposits)
        & (d["cities"] >= min_cities)
        & (d["moved_share"] >= min_outflow_share)
    ]
    if hit.empty:
        return empty_result()
    # several third parties carry the cash in (one person in many cities at once is not a
    # network of depositors); counted over the account's qualifying deposits
    n_cond = d.groupby("acct")["cond"].nunique()
    hit = hit[n_cond.reindex(hit["acct"]).to_numpy() >= min_conductors]
    if hit.empty:
        return empty_result()
    best = hit.sort_values(["acct", "cities", "n"], ascending=[True, False, False])
    best = best.drop_duplicates("acct")
    ev = d.merge(best[["acct", "t"]].rename(columns={"t": "t_end"}), on="acct")
    ev = ev[(ev["t"] > ev["t_end"] - w) & (ev["t"] <= ev["t_end"])]
    rows = ev.groupby("acct")["row"].apply(list)
    total = ev.groupby("acct")["a"].sum()
    names = ev.groupby("acct")["city"].agg(lambda c: ", ".join(sorted(set(c))))
    return result_frame(
        best["acct"].to_numpy(),
        best["cities"].to_numpy(),
        np.minimum(
            ramp(best["cities"].to_numpy(), min_cities, min_cities + 2),
            ramp(best["moved_share"].to_numpy(), min_outflow_share, 0.9),
        ),
        [
            f"{r.n} cash deposits ({money(total[r.acct])}) by {n_cond[r.acct]} other people in "
            f"{r.cities} cities away "
            f"from the holder's ({names[r.acct]}) within {window_days} days; "
            f"{r.moved_share:.0%} moved on elsewhere within {outflow_hours} h"
            for r in best.itertuples(index=False)
        ],
        [txn_ids(data, rows.get(a, [])) for a in best["acct"]],
    )


def _casefold(values: np.ndarray) -> np.ndarray:
    """Lower-cased strings ('' for missing), converting each distinct value once."""
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    folded = np.array([str(u).casefold() for u in uniques] + [""], dtype=object)
    return folded[codes]


def _distinct_cities_in_window(d: pd.DataFrame, w: int) -> np.ndarray:
    """For each deposit (rows sorted by acct, t): distinct cities among the account's deposits
    in ``(t - w, t]``. A deposit counts its city once if no deposit of the same city follows it
    within the window before ``t``; a sweep over +1/-1 events per account."""
    acct, t = d["acct"].to_numpy(), d["t"].to_numpy()
    key = pd.factorize(pd.Series(list(zip(acct, d["city"].to_numpy(), strict=True))))[0]
    order = np.lexsort((t, key))
    k_s, t_s = key[order], t[order]
    nxt = np.full(len(t), np.iinfo(np.int64).max // 4)
    same = k_s[1:] == k_s[:-1]
    nxt_sorted = np.where(same, t_s[1:], np.iinfo(np.int64).max // 4)
    nxt[order[:-1]] = nxt_sorted
    # a deposit at t_i "holds" its city for window ends in [t_i, min(t_i + w, t_next))
    stop = np.minimum(t + w, nxt)
    ev_a = np.r_[acct, acct]
    ev_t = np.r_[t, stop]
    ev_d = np.r_[np.ones(len(t), np.int64), -np.ones(len(t), np.int64)]
    o = np.lexsort((ev_d, ev_t, ev_a))
    level = np.cumsum(ev_d[o])
    # level after processing all events at (acct, time <= t_i): find via searchsorted
    ka = ev_a[o].astype(np.int64)
    span = int(max(ev_t.max(), t.max()) - min(ev_t.min(), t.min())) + 2
    base = int(min(ev_t.min(), t.min()))
    ekey = ka * span + (ev_t[o] - base)
    # events at the same key: +1 before -1 in the sort (ev_d ascending puts -1 first), so take
    # the position after all events with key <= query key
    pos = np.searchsorted(ekey, acct.astype(np.int64) * span + (t - base), side="right") - 1
    # the level is a running total over all accounts: subtract the level before the account
    first = np.searchsorted(ekey, acct.astype(np.int64) * span, side="left")
    before = np.where(first > 0, level[np.maximum(first - 1, 0)], 0)
    return level[pos] - before
