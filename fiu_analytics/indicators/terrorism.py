"""Terrorism-financing indicators TF-01 and TF-02, and helpers the other TF modules share.

TF-01: repeated small transfers from several unrelated senders to one beneficiary (or agent) in
a conflict-adjacent jurisdiction. TF-02: cash withdrawals in or near conflict zones.
TF-04 and TF-05 (donations, payment text) live in :mod:`.terrorism_text`; TF-07 and TF-08 (NPO
misuse, hawala behaviour) in :mod:`.terrorism_entities`.

Geography is data: every indicator takes a parameter naming country *tags* of
``data.reference["countries"]`` (see ``fiu_analytics/data/countries.yaml``), never a country
list. Sources and default thresholds: ``indicators.yaml`` entries TF-01 and TF-02.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fiu_analytics.indicators.base import (
    DetectionInput,
    Param,
    empty_result,
    indicator,
    ramp,
    window_counts,
)
from fiu_analytics.reference import country_reference

DAY = 86_400
IDENTIFIERS = ("phone", "address", "device_id")


# -- shared helpers -----------------------------------------------------------------------------
def split_list(text: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]`` (parameters hold lists as comma-separated text)."""
    return [p.strip() for p in text.split(",") if p.strip()]


def country_data(data: DetectionInput) -> dict[str, Any]:
    """The country reference of this run (``data.reference["countries"]``), else the packaged
    default file."""
    ref = data.reference.get("countries") if data.reference else None
    return ref if isinstance(ref, dict) and "countries" in ref else country_reference()


def tagged_countries(data: DetectionInput, tags: str) -> list[str]:
    """Country codes carrying any of the comma-separated ``tags``."""
    wanted = set(split_list(tags))
    return sorted(
        c for c, d in country_data(data)["countries"].items() if wanted & set(d.get("tags") or ())
    )


def account_table(data: DetectionInput) -> pd.DataFrame:
    """Per ``account_key``: account country, owner party and the party's type, entity kind,
    name and identifiers (cached on ``data``). Empty columns when parties are not given."""
    key = "TF:accounts"
    if key in data.cache:
        return data.cache[key]
    cols = ["country", "party_id", "party_type", "entity_kind", "name", *IDENTIFIERS]
    acc = data.accounts
    if acc is None or acc.empty or "account_key" not in acc:
        out = pd.DataFrame(columns=cols, index=pd.Index([], dtype="int64", name="account_key"))
    else:
        out = acc[["account_key", "owner_party_id", "country"]].rename(
            columns={"owner_party_id": "party_id"}
        )
        par = data.parties
        if par is not None and not par.empty and "party_id" in par:
            have = [c for c in ("party_type", "entity_kind", "name", *IDENTIFIERS) if c in par]
            out = out.merge(
                par[["party_id", *have]].drop_duplicates("party_id"), on="party_id", how="left"
            )
        out = out.reindex(columns=["account_key", *cols]).set_index("account_key")
    data.cache[key] = out
    return out


def account_attr(data: DetectionInput, keys: np.ndarray, column: str) -> np.ndarray:
    """One attribute of :func:`account_table` for each key (``None`` when unknown)."""
    table = account_table(data)
    return table[column].reindex(keys).to_numpy(dtype=object)


def related_groups(data: DetectionInput, keys: np.ndarray) -> np.ndarray:
    """A group id per account: accounts of one party, or of parties sharing a phone, address or
    device, fall in one group (the 'related' parties of a red flag that asks for *unrelated*
    ones). Accounts without party data are groups of their own."""
    keys = np.asarray(keys, dtype=np.int64)
    n = len(keys)
    if n == 0:
        return np.zeros(0, np.int64)
    table = account_table(data).reindex(keys)
    rows, cols = [], []
    offset = n
    for col in ("party_id", *IDENTIFIERS):
        vals = table[col].to_numpy(dtype=object)
        ok = pd.notna(vals) & (vals != "")
        if not ok.any():
            continue
        codes, uniq = pd.factorize(pd.Series(vals[ok]))
        rows.append(np.flatnonzero(ok))
        cols.append(offset + codes)
        offset += len(uniq)
    if not rows:
        return np.arange(n, dtype=np.int64)
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(r)), (r, c)), shape=(offset, offset))
    _, labels = connected_components(graph, directed=False)
    return labels[:n].astype(np.int64)


def tx_column(data: DetectionInput, name: str) -> np.ndarray:
    """A numeric transactions column as a numpy array (cached: indicators share it)."""
    shared = {"src_account_key": "src", "dst_account_key": "dst", "amount_base": "amount"}
    if name in shared:  # the same arrays as every other indicator's (read-only)
        return getattr(data.arrays, shared[name])
    key = f"TF:col:{name}"
    if key not in data.cache:
        data.cache[key] = data.transactions[name].to_numpy()
    return data.cache[key]


def pick(data: DetectionInput, name: str, mask: np.ndarray) -> np.ndarray:
    """A transactions column at the rows of ``mask`` (only those rows leave Arrow)."""
    return data.transactions[name].iloc[np.flatnonzero(mask)].to_numpy()


def cross_border(data: DetectionInput) -> np.ndarray:
    """Rows whose two sides are in different known countries (cached)."""
    key = "TF:cross_border"
    if key not in data.cache:
        tx = data.transactions
        src_c, dst_c = tx["src_country"], tx["dst_country"]
        data.cache[key] = (src_c.notna() & dst_c.notna() & (src_c != dst_c)).to_numpy()
    return data.cache[key]


def day_index(data: DetectionInput, mask: np.ndarray | None = None) -> np.ndarray:
    """Whole days since the first transaction of the input (int64)."""
    if "TF:day" not in data.cache:
        ts = data.ts_seconds
        data.cache["TF:day"] = ts // DAY - ts.min() // DAY if len(ts) else np.zeros(0, np.int64)
    days = data.cache["TF:day"]
    return days if mask is None else days[mask]


def trailing_sum(matrix: np.ndarray, window_days: int) -> np.ndarray:
    """Row-wise sums over trailing windows of columns (days): the window ending at day D holds
    days D - window_days .. D. Transactions "within N days" of each other lie at most N
    calendar days apart (N x 24 hours can touch N + 1 calendar days), so the window spans
    ``window_days + 1`` columns."""
    window = window_days + 1
    cs = np.cumsum(matrix, axis=1)
    out = cs.copy()
    if window < matrix.shape[1]:
        out[:, window:] -= cs[:, :-window]
    return out


def result(
    keys: Sequence[int] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    reasons: Sequence[str],
    evidence: Sequence[list[str]],
) -> pd.DataFrame:
    """The contract frame, one row per account (the best-scoring row when an account is a
    subject more than once, e.g. as beneficiary and as sender)."""
    if len(keys) == 0:
        return empty_result()
    out = pd.DataFrame(
        {
            "account_key": np.asarray(keys, dtype=np.int64),
            "value": np.asarray(values, dtype=float),
            "score": np.clip(np.asarray(scores, dtype=float), 0.0, 1.0),
            "reason": list(reasons),
            "evidence_txn_ids": list(evidence),
        }
    )
    out = out.sort_values(["account_key", "score", "value"], ascending=[True, False, False])
    return out.drop_duplicates("account_key").reset_index(drop=True)


# -- TF-01 --------------------------------------------------------------------------------------
@indicator(
    "TF-01",
    "Repeated small transfers to conflict-adjacent jurisdictions",
    geo_tags=Param("conflict_adjacent", str, help="country tags of the destination geography"),
    channels=Param("msb_remittance,hawala,wire,crypto", str, help="channels that count"),
    max_amount=Param(3000.0, float, min=1, help="a transfer is small up to this amount"),
    window_days=Param(90, int, min=1, max=366),
    min_senders=Param(3, int, min=1, max=100, help="unrelated senders to one beneficiary"),
    min_repeat=Param(3, int, min=1, max=100, help="such transfers per sender in the window"),
    max_evidence=Param(60, int, min=1, max=10_000),
)
def small_transfers_to_conflict_areas(
    data: DetectionInput,
    geo_tags: str,
    channels: str,
    max_amount: float,
    window_days: int,
    min_senders: int,
    min_repeat: int,
    max_evidence: int,
) -> pd.DataFrame:
    """Beneficiaries in a tagged jurisdiction paid small transfers by >= ``min_senders``
    unrelated senders (different parties sharing no phone, address or device) within
    ``window_days``, where each sender *repeats*: it made >= ``min_repeat`` such transfers in
    the window to collection points (beneficiaries paid by two or more unrelated senders). A
    remitter supporting a relative pays a beneficiary nobody else pays; a migrant paying a
    smuggler pays once or twice. The beneficiary and each counted sender are subjects. Value:
    the number of unrelated senders in the best window; score 0.5 at ``min_senders``, 1 at two
    more."""
    tx = data.transactions
    geo = tagged_countries(data, geo_tags)
    src = tx_column(data, "src_account_key")
    dst = tx_column(data, "dst_account_key")
    amt = tx_column(data, "amount_base")
    mask = (
        tx["channel"].isin(split_list(channels)).to_numpy()
        & (amt <= max_amount)
        & tx["dst_country"].isin(geo).to_numpy()
        & (src != dst)
    )
    if not mask.any():
        return empty_result()
    rows = pd.DataFrame(
        {
            "ben": dst[mask],
            "snd": src[mask],
            "day": day_index(data, mask),
            "amt": amt[mask],
            "id": pick(data, "txn_id", mask),
            "country": pick(data, "dst_country", mask),
        }
    )
    # collection points: beneficiaries paid by two or more unrelated senders in the period
    senders = np.unique(rows["snd"].to_numpy())
    group_of = dict(zip(senders, related_groups(data, senders), strict=True))
    rows["group"] = rows["snd"].map(group_of)
    n_groups = rows.groupby("ben")["group"].nunique()
    rows = rows[rows["ben"].isin(n_groups.index[n_groups >= min(2, min_senders)])]
    if rows.empty:
        return empty_result()
    rows = rows.reset_index(drop=True)
    n_days = int(rows["day"].max()) + 1
    day = rows["day"].to_numpy()
    # a sender repeats: >= min_repeat transfers to collection points within the window
    snd_keys, s_idx = np.unique(rows["snd"].to_numpy(), return_inverse=True)
    s_count = np.zeros((len(snd_keys), n_days), np.int32)
    np.add.at(s_count, (s_idx, day), 1)
    s_repeats = trailing_sum(s_count, window_days) >= min_repeat
    # a (beneficiary, sender) pair counts on day D when it was active in the window ending at D
    # and the sender repeats by then
    pairs = rows[["ben", "snd", "group"]].drop_duplicates().reset_index(drop=True)
    p_idx = pd.MultiIndex.from_frame(pairs[["ben", "snd"]]).get_indexer(
        pd.MultiIndex.from_frame(rows[["ben", "snd"]])
    )
    p_present = np.zeros((len(pairs), n_days), np.int32)
    p_present[p_idx, day] = 1
    ps_idx = np.searchsorted(snd_keys, pairs["snd"].to_numpy())
    qualifies = (trailing_sum(p_present, window_days) > 0) & s_repeats[ps_idx]
    # distinct unrelated groups per beneficiary and day
    bg = pairs[["ben", "group"]].drop_duplicates().reset_index(drop=True)
    g_idx = pd.MultiIndex.from_frame(bg).get_indexer(
        pd.MultiIndex.from_frame(pairs[["ben", "group"]])
    )
    g_any = np.zeros((len(bg), n_days), np.int32)
    np.maximum.at(g_any, g_idx, qualifies.astype(np.int32))
    ben_keys, b_idx = np.unique(bg["ben"].to_numpy(), return_inverse=True)
    counts = np.zeros((len(ben_keys), n_days), np.int32)
    np.add.at(counts, b_idx, g_any)
    best_day = counts.argmax(axis=1)
    best = counts[np.arange(len(ben_keys)), best_day]
    keep = best >= min_senders
    if not keep.any():
        return empty_result()
    day_of_ben = dict(zip(ben_keys[keep], best_day[keep], strict=True))
    n_of_ben = dict(zip(ben_keys[keep], best[keep], strict=True))
    # evidence: transfers of qualifying pairs inside the best window
    p_day = pairs["ben"].map(day_of_ben).fillna(-1).to_numpy(dtype=np.int64)
    pairs["ok"] = (p_day >= 0) & qualifies[np.arange(len(pairs)), np.maximum(p_day, 0)]
    sel = rows.merge(pairs.loc[pairs["ok"], ["ben", "snd"]], on=["ben", "snd"])
    end = sel["ben"].map(day_of_ben).to_numpy()
    sel = sel[(sel["day"].to_numpy() <= end) & (sel["day"].to_numpy() >= end - window_days)]
    keys, values, scores, reasons, evidence = [], [], [], [], []
    for ben, g in sel.groupby("ben", sort=True):
        n = int(n_of_ben[ben])
        score = float(ramp(np.array([n]), min_senders, min_senders + 2)[0])
        where = ",".join(sorted(set(g["country"])))
        ids = list(g["id"][:max_evidence])
        keys.append(ben)
        values.append(n)
        scores.append(score)
        reasons.append(
            f"{n} unrelated senders made {len(g)} small transfers (each <= {max_amount:,.0f}, "
            f"total {g['amt'].sum():,.0f}) to this account in {where} within {window_days} days"
        )
        evidence.append(ids)
        for snd, gs in g.groupby("snd", sort=True):
            keys.append(snd)
            values.append(n)
            scores.append(score)
            reasons.append(
                f"one of {n} unrelated senders to account {ben} in {where}: {len(gs)} small "
                f"transfer(s), total {gs['amt'].sum():,.0f}, within {window_days} days"
            )
            evidence.append(list(gs["id"][:max_evidence]))
    return result(keys, values, scores, reasons, evidence)


# -- TF-02 --------------------------------------------------------------------------------------
@indicator(
    "TF-02",
    "ATM cash withdrawals near conflict zones",
    geo_tags=Param("conflict_adjacent", str, help="country tags whose cities are geo-fenced"),
    extra_cities=Param("", str, help="further geo-fenced cities, comma-separated"),
    channels=Param("cash_withdrawal", str),
    window_days=Param(7, int, min=1, max=90),
    min_count=Param(2, int, min=1, max=100),
    max_evidence=Param(50, int, min=1, max=10_000),
)
def cash_withdrawals_near_conflict_zones(
    data: DetectionInput,
    geo_tags: str,
    extra_cities: str,
    channels: str,
    window_days: int,
    min_count: int,
    max_evidence: int,
) -> pd.DataFrame:
    """Accounts with >= ``min_count`` cash withdrawals within ``window_days`` in a tagged
    country, or in a city listed for one (``countries.yaml`` cities, plus ``extra_cities``).
    The reason says how many of the account's earlier withdrawals were abroad (travel
    history). Value: the largest count in a window."""
    tx = data.transactions
    ref = country_data(data)["countries"]
    geo = set(tagged_countries(data, geo_tags))
    city_country = {
        str(city).casefold(): c for c in geo for city in ref.get(c, {}).get("cities") or ()
    }
    extra = {c.casefold() for c in split_list(extra_cities)}
    rows = np.flatnonzero(tx["channel"].isin(split_list(channels)).to_numpy())
    if len(rows) == 0:
        return empty_result()
    sub = tx.iloc[rows]
    where = sub["dst_country"].where(sub["dst_country"].notna(), sub["src_country"])
    city = sub["city"].fillna("").str.casefold()
    city_home = city.map(city_country)
    in_geo = (
        where.isin(geo)
        | (city_home.notna() & (where.isna() | (where == city_home)))
        | city.isin(extra)
    ).to_numpy()
    if not in_geo.any():
        return empty_result()
    acct = tx_column(data, "src_account_key")[rows]
    ts = data.ts_seconds[rows]
    order = np.lexsort((ts[in_geo], acct[in_geo]))
    a, t = acct[in_geo][order], ts[in_geo][order]
    ids = sub["txn_id"].to_numpy()[in_geo][order]
    amt = tx_column(data, "amount_base")[rows][in_geo][order]
    where_s = where.to_numpy(dtype=object)
    places = (
        city.to_numpy(dtype=object)[in_geo][order]
        + np.where(pd.notna(where_s[in_geo][order]), ", ", "")
        + where.fillna("").to_numpy(dtype=object)[in_geo][order]
    )
    left, count, total = window_counts(a, t, window_days * DAY, amt)
    hit = count >= min_count
    if not hit.any():
        return empty_result()
    frame = pd.DataFrame({"a": a[hit], "count": count[hit], "total": total[hit]})
    frame["left"], frame["right"] = left[hit], np.flatnonzero(hit)
    best = frame.sort_values(["a", "count", "total"]).groupby("a").tail(1)
    # travel history: the account's withdrawals abroad before its first geo-fenced one
    home_map = dict(
        zip(best["a"], account_attr(data, best["a"].to_numpy(), "country"), strict=True)
    )
    first_t = pd.Series(t, index=a).groupby(level=0).min()
    prior = pd.DataFrame({"a": acct, "t": ts, "where": where_s})
    prior = prior[prior["a"].isin(best["a"])]
    abroad = prior["where"].notna() & (prior["where"] != prior["a"].map(home_map))
    before = prior["t"] < prior["a"].map(first_t)
    n_prior = prior[abroad & before].groupby("a").size()
    reasons, evidence = [], []
    for acc_key, c, tot, lo, hi in best[["a", "count", "total", "left", "right"]].itertuples(
        index=False
    ):
        spots = ", ".join(dict.fromkeys(places[lo : hi + 1]))
        np_ = int(n_prior.get(acc_key, 0))
        reasons.append(
            f"{c} cash withdrawals totalling {tot:,.0f} within {window_days} days in or near "
            f"conflict zones ({spots}); {np_} earlier withdrawals abroad in the period"
        )
        evidence.append(list(ids[lo : hi + 1][:max_evidence]))
    return result(
        best["a"].to_numpy(),
        best["count"].to_numpy(),
        ramp(best["count"].to_numpy(), min_count, min_count + 2),
        reasons,
        evidence,
    )
