"""Where money comes from and goes: HT-20 outbound payments to trafficking-source countries,
and MS-01 many senders in many places paying one beneficiary at a border or transit hub, each
payment under the record-keeping threshold (migrant smuggling fees). Country lists come from
the reference data's tags, hub cities from a parameter."""

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
    TRANSFERS,
    Choice,
    account_parties,
    column,
    conductors,
    csv_list,
    peak_distinct,
    result,
    rows_in_window,
    tagged_countries,
    third_party_conducted,
    txn_ids,
)


@indicator(
    "HT-20",
    "Outbound payments to trafficking-source countries",
    country_tags=Param("tip_source", str, help="reference country tags that count"),
    window_days=Param(90, int, min=1, max=365),
    min_count=Param(3, int, min=1),
    channels=Param(TRANSFERS, str),
    max_evidence=Param(50, int, min=1),
)
def outbound_to_tip_source(
    data: DetectionInput,
    country_tags: str,
    window_days: int,
    min_count: int,
    channels: str,
    max_evidence: int,
) -> pd.DataFrame:
    """Payers of >= ``min_count`` cross-border payments within ``window_days`` to countries
    tagged ``country_tags`` in the reference data (a versioned list, e.g. TIP-report based)."""
    v = data.arrays
    countries = sorted(tagged_countries(data, country_tags))
    mask = v.isin("dst_country", countries) & v.isin("channel", csv_list(channels))
    cand = np.flatnonzero(mask)
    # cross-border: the sender's country differs (or is unknown)
    mask[cand] = v.values_at("dst_country", cand) != v.values_at("src_country", cand)
    if not mask.any():
        return empty_result()
    pos = np.flatnonzero(mask)
    subj = v.src[pos]
    ts = data.ts_seconds[pos]
    order = np.lexsort((ts, subj))
    pos, subj, ts = pos[order], subj[order], ts[order]
    left, count, total = window_counts(subj, ts, window_days * DAY, v.amount[pos])
    hit = np.flatnonzero(count >= min_count)
    if len(hit) == 0:
        return empty_result()
    f = pd.DataFrame({"a": subj[hit], "n": count[hit], "sum": total[hit], "l": left[hit], "r": hit})
    f = f.sort_values(["a", "n", "sum"]).groupby("a").tail(1)
    dsts = v.values_at("dst_country", pos)
    return result(
        f["a"],
        f["n"],
        ramp(f["n"].to_numpy(), min_count, 2 * min_count),
        [
            f"{n} payments ({s:,.0f}) to {', '.join(sorted(set(dsts[lo : hi + 1])))} "
            f"({country_tags}) within {window_days} days"
            for n, s, lo, hi in zip(f["n"], f["sum"], f["l"], f["r"], strict=True)
        ],
        [
            txn_ids(data, pos[lo : hi + 1], max_evidence)
            for lo, hi in zip(f["l"], f["r"], strict=True)
        ],
    )


# US ports of entry on the Mexican border (FIN-14: "a common beneficiary in a US/Mexican border
# city"); replace per jurisdiction in a profile.
BORDER_CITIES = (
    "San Diego,Calexico,Yuma,Nogales,Douglas,El Paso,Del Rio,Eagle Pass,Laredo,McAllen,Brownsville"
)


@indicator(
    "MS-01",
    "Many senders in many places pay one beneficiary at a border or transit hub",
    window_days=Param(30, int, min=1, max=90),
    min_senders=Param(5, int, min=2),
    min_origins=Param(3, int, min=1, help="distinct cities the payments came from"),
    min_amount=Param(0.0, float, min=0, help="ignore smaller payments"),
    max_amount=Param(3000.0, float, min=0, help="record-keeping threshold: payments below it"),
    hub_tags=Param("transit_hub", str, help="reference country tags that make a hub"),
    hub_cities=Param(BORDER_CITIES, str, help="border/transit cities (beneficiary's address)"),
    channels=Param("msb_remittance,hawala,wire,mobile_money,cash_deposit", str),
    exclude_purposes=Param(
        "RENT,SALA,PAYR,SUPP,UBIL,TAXS,INTC,CHAR", str, help="credits with a business purpose"
    ),
    origin=Choice(
        "transaction",
        str,
        choices=("transaction", "transaction_or_address"),
        help="where a payment came from: its reported location, else the sender's address",
    ),
    max_evidence=Param(50, int, min=1),
)
def smuggling_fee_fan_in(
    data: DetectionInput,
    window_days: int,
    min_senders: int,
    min_origins: int,
    min_amount: float,
    max_amount: float,
    hub_tags: str,
    hub_cities: str,
    channels: str,
    exclude_purposes: str,
    origin: str,
    max_evidence: int,
) -> pd.DataFrame:
    """Beneficiaries located at a transit hub (an address in ``hub_cities`` or an account in a
    country tagged ``hub_tags``) paid by >= ``min_senders`` distinct senders from >=
    ``min_origins`` cities within ``window_days``, each payment in [``min_amount``,
    ``max_amount``) and without a business purpose code. A cash deposit counts as sent by the
    third party who made it; the origin is where the payment was made (MSB agent, branch),
    or with ``origin=transaction_or_address`` else the sender's address city."""
    tx = data.transactions
    ap = account_parties(data)
    hubs = {c.casefold() for c in csv_list(hub_cities)}
    hub_countries = tagged_countries(data, hub_tags)
    at_hub = ap["city"].fillna("").astype(str).str.casefold().isin(hubs) | ap["country"].isin(
        hub_countries
    )
    hub_accounts = ap.index[at_hub.to_numpy()].to_numpy()
    v = data.arrays
    src, dst, amt = v.src, v.dst, v.amount
    deposit = v.equals("channel", "cash_deposit")
    mask = (
        (pd.Index(hub_accounts).get_indexer(dst) >= 0)
        & v.isin("channel", csv_list(channels))
        & (amt >= min_amount)
        & (amt < max_amount)
        & ((src != dst) | deposit)
        & ~v.isin("purpose_code", csv_list(exclude_purposes))
    )
    if not mask.any():
        return empty_result()
    # own cash deposits are not payments by a sender
    mask &= ~deposit | third_party_conducted(data, "dst_account_key")
    pos = np.flatnonzero(mask)
    if len(pos) == 0:
        return empty_result()
    cond = conductors(tx, pos)
    sender = np.where(
        deposit[pos], cond, ap["party_id"].reindex(src[pos]).to_numpy(dtype=object)
    ).astype(object)
    unknown = pd.isna(sender)
    sender[unknown] = np.char.add("account:", src[pos][unknown].astype(str))
    txn_city = column(tx, "city").iloc[pos].to_numpy(dtype=object)
    home_city = ap["city"].reindex(src[pos]).to_numpy(dtype=object)
    came_from = txn_city
    if origin == "transaction_or_address":
        came_from = np.where(pd.notna(txn_city), txn_city, home_city)
    # only payments whose origin is known count: the senders must be spread over places
    known = pd.notna(came_from)
    pos, sender, came_from = pos[known], sender[known], came_from[known]
    if len(pos) == 0:
        return empty_result()
    s_codes = pd.factorize(sender)[0]
    day = data.ts_seconds[pos] // DAY
    best = peak_distinct(dst[pos], s_codes, day, window_days)
    best = best[best["distinct"] >= min_senders]
    if best.empty:
        return empty_result()
    rows = rows_in_window(dst[pos], day, best, window_days)
    keys, vals, reasons, ev = [], [], [], []
    for b, n in zip(best["subject"], best["distinct"], strict=True):
        r = rows[b]
        places = sorted({str(o).casefold() for o in came_from[r] if pd.notna(o)})
        if len(places) < min_origins:
            continue
        where = ap.at[b, "city"] if pd.notna(ap.at[b, "city"]) else ap.at[b, "country"]
        keys.append(b)
        vals.append(n)
        reasons.append(
            f"{n} senders from {len(places)} cities paid {amt[pos[r]].sum():,.0f} in "
            f"{len(r)} payments of {min_amount:,.0f}-{max_amount:,.0f} within {window_days} "
            f"days to a beneficiary at a transit hub ({where})"
        )
        ev.append(txn_ids(data, pos[r], max_evidence))
    if not keys:
        return empty_result()
    return result(keys, vals, ramp(np.asarray(vals), min_senders, 2 * min_senders), reasons, ev)
