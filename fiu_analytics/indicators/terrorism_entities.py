"""Terrorism-financing indicators about what kind of account moves the money: TF-07 misuse of a
non-profit organisation, TF-08 informal money transfer (hawala) by an unlicensed account.

Both compare an account with itself and its peers rather than flagging a class of customer:
FATF R.8 asks for a risk-based approach to NPOs (no blanket flag on charities), and most people
who send money abroad or are paid by many others are not hawaladars.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fiu_analytics.indicators.base import DetectionInput, Param, empty_result, indicator, ramp
from fiu_analytics.indicators.terrorism import (
    IDENTIFIERS,
    account_attr,
    account_table,
    cross_border,
    day_index,
    pick,
    result,
    split_list,
    tagged_countries,
    trailing_sum,
    tx_column,
)


def _accounts_of_kind(data: DetectionInput, kinds: str) -> np.ndarray:
    table = account_table(data)
    return table.index[table["entity_kind"].isin(split_list(kinds))].to_numpy(dtype=np.int64)


def _daily(keys: np.ndarray, who: np.ndarray, day: np.ndarray, amt: np.ndarray, n: int):
    out = np.zeros((len(keys), n))
    np.add.at(out, (np.searchsorted(keys, who), day), amt)
    return out


# -- TF-07 --------------------------------------------------------------------------------------
@indicator(
    "TF-07",
    "NPO misuse pattern",
    npo_kinds=Param("npo", str, help="entity kinds that are non-profit organisations"),
    geo_tags=Param("conflict_adjacent", str, help="country tags of the MVTS red-flag geography"),
    border_areas=Param(
        "",
        str,
        help="cities next to a conflict zone (of the payee's address) that count as the MVTS "
        "red-flag geography too, e.g. the border districts of a neighbouring country",
    ),
    mvts_channels=Param("msb_remittance,hawala", str),
    min_cash_share=Param(0.5, float, min=0, max=1, help="cash share of peak-window inflow"),
    window_days=Param(30, int, min=7, max=120, help="window of the inflow peak"),
    min_surge=Param(5.0, float, min=1, help="peak inflow / the NPO's own earlier median"),
    min_peer_ratio=Param(5.0, float, min=1, help="peak inflow / peer NPOs' median"),
    min_history_days=Param(14, int, min=1, help="earlier days needed for the own comparison"),
    charity_purposes=Param("CHAR", str, help="purpose codes of programme payments"),
    max_evidence=Param(60, int, min=1, max=10_000),
)
def npo_misuse(
    data: DetectionInput,
    npo_kinds: str,
    geo_tags: str,
    border_areas: str,
    mvts_channels: str,
    min_cash_share: float,
    window_days: int,
    min_surge: float,
    min_peer_ratio: float,
    min_history_days: int,
    charity_purposes: str,
    max_evidence: int,
) -> pd.DataFrame:
    """NPOs with (cash >= ``min_cash_share`` of their peak-window inflow OR money-transfer
    payments to tagged jurisdictions or to payees living in one of the ``border_areas``) AND
    (an inflow surge: the peak window against both the NPO's own median week before it and
    the median of peer NPOs in the same country, OR
    payments abroad to non-NPO payees outside programme purposes, OR transfers with personal
    accounts of its controllers, i.e. persons sharing a phone, address or device with it).
    Value: how many of those five facts hold; score 0.5 at two, 1 at four. Subjects: the NPO
    and the counterparties behind the facts."""
    npos = _accounts_of_kind(data, npo_kinds)
    tx = data.transactions
    if len(npos) == 0 or tx.empty:
        return empty_result()
    src = tx_column(data, "src_account_key")
    dst = tx_column(data, "dst_account_key")
    chan = tx["channel"]
    is_dep = (chan == "cash_deposit").to_numpy()
    touch = np.isin(src, npos) | np.isin(dst, npos)
    if not touch.any():
        return empty_result()
    days = day_index(data)
    n_days = int(days.max()) + 1
    amt = tx_column(data, "amount_base")
    inflow = touch & np.isin(dst, npos) & ((src != dst) | is_dep)
    is_wd = (chan == "cash_withdrawal").to_numpy()
    outflow = touch & np.isin(src, npos) & ((src != dst) | is_wd)
    npos = np.unique(np.concatenate([dst[inflow], src[outflow]]))
    if len(npos) == 0:
        return empty_result()
    daily_in = _daily(npos, dst[inflow], days[inflow], amt[inflow], n_days)
    cash_m = inflow & is_dep
    daily_cash = _daily(npos, dst[cash_m], days[cash_m], amt[cash_m], n_days)
    # the inflow peak and its cash share
    win_in = trailing_sum(daily_in, window_days)
    peak_day = win_in.argmax(axis=1)
    rix = np.arange(len(npos))
    peak = win_in[rix, peak_day]
    cash_share = trailing_sum(daily_cash, window_days)[rix, peak_day] / np.maximum(peak, 1e-9)
    active = (
        np.concatenate([dst[inflow], src[outflow]]),
        np.concatenate([days[inflow], days[outflow]]),
    )
    first_day = pd.Series(active[1]).groupby(active[0]).min().reindex(npos).to_numpy()
    peak_start = peak_day - window_days
    hist_days = peak_start - first_day
    # own history: the median week before the peak window (robust to a surge already under
    # way), scaled to the window
    has_hist = hist_days >= min_history_days
    weekly = trailing_sum(daily_in, 6)  # 7 calendar days
    n_weeks = np.maximum(hist_days, 0) // 7
    grid = first_day[:, None] + 6 + 7 * np.arange(max(int(n_weeks.max()), 1))[None, :]
    weeks = np.where(
        np.arange(grid.shape[1])[None, :] < n_weeks[:, None],
        weekly[rix[:, None], np.clip(grid, 0, n_days - 1)],
        np.nan,
    )
    with np.errstate(all="ignore"):
        own_base = np.where(
            has_hist, np.nanmedian(np.where(has_hist[:, None], weeks, 0), axis=1), np.nan
        )
    own_base = own_base * (window_days + 1) / 7
    surge_own = peak / np.maximum(own_base, 1.0)
    # peers: the NPOs banking in the same country (partners abroad are not peers)
    per_window = pd.Series(daily_in.sum(axis=1) / n_days * (window_days + 1))
    country = pd.Series(account_attr(data, npos, "country")).fillna("?")
    n_peers = country.map(country.value_counts()).to_numpy()
    peer_median = per_window.groupby(country).transform("median").to_numpy()
    surge_peer = np.where(n_peers >= 3, peak / np.maximum(peer_median, 1.0), np.nan)
    surge = (
        np.where(has_hist, surge_own >= min_surge, True)
        & np.where(np.isnan(surge_peer), True, surge_peer >= min_peer_ratio)
        & (has_hist | ~np.isnan(surge_peer))
    )
    # payments out: MVTS to the tagged geography, abroad to non-NPO payees outside programmes
    geo = tagged_countries(data, geo_tags)
    out = pd.DataFrame(
        {
            "npo": src[outflow],
            "to": dst[outflow],
            "amt": amt[outflow],
            "id": pick(data, "txn_id", outflow),
            "channel": pick(data, "channel", outflow),
            "country": pick(data, "dst_country", outflow),
            "purpose": pick(data, "purpose_code", outflow),
        }
    )
    own_country = pd.Series(account_attr(data, npos, "country"), index=npos)
    to_kind = account_attr(data, out["to"].to_numpy(), "entity_kind")
    near = out["country"].isin(geo).to_numpy() | _in_border_area(data, out["to"], border_areas)
    out["mvts_geo"] = out["channel"].isin(split_list(mvts_channels)).to_numpy() & near
    out["unrelated"] = (
        (out["to"] != out["npo"])
        & out["country"].notna()
        & (out["country"] != out["npo"].map(own_country))
        & ~pd.Series(to_kind).isin(split_list(npo_kinds)).to_numpy()
        & ~out["purpose"].isin(split_list(charity_purposes))
        & ~out["mvts_geo"]
    )
    # commingling: transfers with persons who share an identifier with the NPO
    both = touch & (src != dst) & ~(is_dep | is_wd)
    link = pd.DataFrame(
        {
            "npo": np.where(np.isin(src[both], npos), src[both], dst[both]),
            "cp": np.where(np.isin(src[both], npos), dst[both], src[both]),
            "amt": amt[both],
            "id": pick(data, "txn_id", both),
        }
    )
    table = account_table(data)
    shared = np.zeros(len(link), bool)
    for col in IDENTIFIERS:
        a = table[col].reindex(link["npo"]).to_numpy(dtype=object)
        b = table[col].reindex(link["cp"]).to_numpy(dtype=object)
        shared |= pd.notna(a) & (a == b)
    link = link[shared & (table["party_type"].reindex(link["cp"]).to_numpy() == "person")]
    facts = pd.DataFrame(
        {
            "cash": cash_share >= min_cash_share,
            "mvts": out[out["mvts_geo"]]
            .groupby("npo")
            .size()
            .reindex(npos, fill_value=0)
            .to_numpy()
            > 0,
            "surge": surge,
            "unrelated": out[out["unrelated"]]
            .groupby("npo")
            .size()
            .reindex(npos, fill_value=0)
            .to_numpy()
            > 0,
            "commingle": link.groupby("npo").size().reindex(npos, fill_value=0).to_numpy() > 0,
        },
        index=npos,
    )
    fire = (facts["cash"] | facts["mvts"]) & (
        facts["surge"] | facts["unrelated"] | facts["commingle"]
    )
    if not fire.any():
        return empty_result()
    n_met = facts.sum(axis=1)
    keys, values, scores, reasons, evidence = [], [], [], [], []
    pos = {k: i for i, k in enumerate(npos)}
    for npo in facts.index[fire]:
        i, f = pos[npo], facts.loc[npo]
        n = int(n_met[npo])
        score = float(ramp(np.array([n]), 2, 4)[0])
        parts, ev, linked = [], [], []
        if f["cash"]:
            parts.append(f"cash {cash_share[i]:.0%} of its peak {window_days}-day inflow")
        if f["mvts"]:
            g = out[(out["npo"] == npo) & out["mvts_geo"]]
            parts.append(
                f"{len(g)} money-transfer payments ({g['amt'].sum():,.0f}) to "
                f"{','.join(sorted(set(g['country'])))}"
            )
            ev += list(g["id"])
            linked += list(g["to"])
        if f["surge"]:
            own = f"{surge_own[i]:.0f}x its earlier median" if has_hist[i] else "no history"
            peer = "" if np.isnan(surge_peer[i]) else f"{surge_peer[i]:.0f}x peer NPOs' median"
            parts.append(
                f"inflow {peak[i]:,.0f} in {window_days} days = {own}; {peer}".rstrip("; ")
            )
        if f["unrelated"]:
            g = out[(out["npo"] == npo) & out["unrelated"]]
            parts.append(
                f"{len(g)} payments ({g['amt'].sum():,.0f}) abroad to non-NPO payees outside "
                "programme purposes"
            )
            ev += list(g["id"])
            linked += list(g["to"])
        if f["commingle"]:
            g = link[link["npo"] == npo]
            parts.append(
                f"{len(g)} transfers ({g['amt'].sum():,.0f}) with personal accounts of its "
                "controllers"
            )
            ev += list(g["id"])
            linked += list(g["cp"])
        reason = "NPO: " + "; ".join(parts)
        keys.append(npo)
        values.append(n)
        scores.append(score)
        reasons.append(reason)
        evidence.append(ev[:max_evidence])
        lk = pd.Series(linked)
        for cp in dict.fromkeys(linked):
            keys.append(int(cp))
            values.append(n)
            scores.append(score)
            reasons.append(f"counterparty of NPO account {npo} flagged for misuse ({reason[5:]})")
            evidence.append([e for e, c in zip(ev, lk, strict=False) if c == cp][:max_evidence])
    return result(keys, values, scores, reasons, evidence)


def _in_border_area(data: DetectionInput, accounts: pd.Series, areas: str) -> np.ndarray:
    """Whether the holder of each account lives in one of ``areas`` (city names, matched
    against the city part of the address: "street, city, country")."""
    cities = {c.casefold() for c in split_list(areas)}
    if not cities or accounts.empty:
        return np.zeros(len(accounts), bool)
    addr = pd.Series(account_attr(data, accounts.to_numpy(), "address"), dtype=object)
    parts = addr.fillna("").astype(str).str.split(",")
    city = parts.map(lambda p: p[-2].strip().casefold() if len(p) >= 2 else "")
    return city.isin(cities).to_numpy()


# -- TF-08 --------------------------------------------------------------------------------------
@indicator(
    "TF-08",
    "Informal / unlicensed MVTS (hawala) behaviour",
    excluded_kinds=Param(
        "msb,exchange_house,npo", str, help="entity kinds not subject: licensed MVTS, NPOs"
    ),
    channels=Param(
        "wire,mobile_money,msb_remittance,hawala,crypto,cheque,internal,other",
        str,
        help="channels whose counterparties count (card spend and cash do not)",
    ),
    window_days=Param(30, int, min=7, max=120),
    min_counterparties=Param(30, int, min=2, help="distinct counterparties within the window"),
    min_balance=Param(0.8, float, min=0, max=1, help="min(in, out) / max(in, out)"),
    max_top_share=Param(
        0.5, float, min=0.01, max=1, help="share of inflow from the five largest payers"
    ),
    min_settlement=Param(2500.0, float, min=1, help="a settlement abroad is this large"),
    min_settlements=Param(3, int, min=1, help="settlements abroad, on distinct days"),
    max_evidence=Param(60, int, min=1, max=10_000),
)
def hawala_behaviour(
    data: DetectionInput,
    excluded_kinds: str,
    channels: str,
    window_days: int,
    min_counterparties: int,
    min_balance: float,
    max_top_share: float,
    min_settlement: float,
    min_settlements: int,
    max_evidence: int,
) -> pd.DataFrame:
    """Personal or trading accounts (not of an ``excluded_kinds`` entity) with >=
    ``min_settlements`` cross-border payments of >= ``min_settlement`` on distinct days, >=
    ``min_counterparties`` distinct counterparties within ``window_days``, money in and out
    nearly balanced over the period, and inflow spread over many payers (the five largest bring
    at most ``max_top_share``; a pass-through account is fed by a few). Subjects: the account
    and its settlement counterparties abroad. Value: the distinct counterparties; score 0.5 at
    the minimum, 1 at twice it."""
    tx = data.transactions
    if tx.empty:
        return empty_result()
    src = tx_column(data, "src_account_key")
    dst = tx_column(data, "dst_account_key")
    amt = tx_column(data, "amount_base")
    days = day_index(data)
    ok_chan = tx["channel"].isin(split_list(channels)).to_numpy() & (src != dst)
    cross = cross_border(data)
    settle = ok_chan & cross & (amt >= min_settlement)
    if not settle.any():
        return empty_result()
    n_settle_days = pd.Series(days[settle]).groupby(src[settle]).nunique()
    cands = n_settle_days.index[n_settle_days >= min_settlements].to_numpy(dtype=np.int64)
    kind = account_attr(data, cands, "entity_kind")
    cands = np.sort(cands[~pd.Series(kind).isin(split_list(excluded_kinds)).to_numpy()])
    if len(cands) == 0:
        return empty_result()
    is_out = ok_chan & np.isin(src, cands)
    is_in = ok_chan & np.isin(dst, cands)
    money_in = pd.Series(amt[is_in]).groupby(dst[is_in]).sum().reindex(cands, fill_value=0.0)
    money_out = pd.Series(amt[is_out]).groupby(src[is_out]).sum().reindex(cands, fill_value=0.0)
    balance = (
        np.minimum(money_in, money_out) / np.maximum(np.maximum(money_in, money_out), 1e-9)
    ).to_numpy()
    # many customers: no handful of payers brings most of the money (pass-through accounts do)
    paid = pd.DataFrame({"a": dst[is_in], "payer": src[is_in], "amt": amt[is_in]})
    per_payer = paid.groupby(["a", "payer"])["amt"].sum().sort_values(ascending=False)
    top = per_payer.groupby(level="a").head(5).groupby(level="a").sum()
    top_share = (top.reindex(cands, fill_value=0.0) / np.maximum(money_in, 1e-9)).to_numpy()
    # distinct counterparties (either direction) in a trailing window
    n_days = int(days.max()) + 1
    edges = pd.DataFrame(
        {
            "a": np.concatenate([src[is_out], dst[is_in]]),
            "cp": np.concatenate([dst[is_out], src[is_in]]),
            "day": np.concatenate([days[is_out], days[is_in]]),
        }
    ).drop_duplicates()
    edges["p"] = edges.groupby(["a", "cp"], sort=False).ngroup()
    present = np.zeros((int(edges["p"].max()) + 1, n_days), np.int32)
    present[edges["p"].to_numpy(), edges["day"].to_numpy()] = 1
    first = edges.drop_duplicates("p")
    distinct = np.zeros((len(cands), n_days), np.int32)
    np.add.at(
        distinct,
        np.searchsorted(cands, first["a"].to_numpy()),
        trailing_sum(present[first["p"].to_numpy()], window_days) > 0,
    )
    best_day = distinct.argmax(axis=1)
    best = distinct[np.arange(len(cands)), best_day]
    fire = (best >= min_counterparties) & (balance >= min_balance) & (top_share <= max_top_share)
    if not fire.any():
        return empty_result()
    st = pd.DataFrame(
        {
            "a": src[settle],
            "to": dst[settle],
            "day": days[settle],
            "amt": amt[settle],
            "id": pick(data, "txn_id", settle),
            "country": pick(data, "dst_country", settle),
        }
    )
    keys, values, scores, reasons, evidence = [], [], [], [], []
    for i in np.flatnonzero(fire):
        a, n = int(cands[i]), int(best[i])
        g = st[st["a"] == a].sort_values("day")
        gaps = np.diff(np.unique(g["day"]))
        score = float(ramp(np.array([n]), min_counterparties, 2 * min_counterparties)[0])
        reason = (
            f"{n} distinct counterparties within {window_days} days; in {money_in[a]:,.0f} vs "
            f"out {money_out[a]:,.0f} (balance {balance[i]:.2f}), five largest payers "
            f"{top_share[i]:.0%} of inflow; {len(g)} settlements abroad "
            f">= {min_settlement:,.0f} ({','.join(sorted(set(g['country'].dropna())))}) on "
            f"{g['day'].nunique()} days, median gap {np.median(gaps) if len(gaps) else 0:.0f} "
            "days; not a licensed money-transfer business by entity kind"
        )
        keys.append(a)
        values.append(n)
        scores.append(score)
        reasons.append(reason)
        evidence.append(list(g["id"][:max_evidence]))
        for to, gt in g.groupby("to"):
            keys.append(int(to))
            values.append(n)
            scores.append(score)
            reasons.append(
                f"settlement counterparty abroad of account {a}: {len(gt)} payments, "
                f"{gt['amt'].sum():,.0f} ({reason})"
            )
            evidence.append(list(gt["id"][:max_evidence]))
    return result(keys, values, scores, reasons, evidence)
