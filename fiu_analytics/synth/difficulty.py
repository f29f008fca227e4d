"""How hard is a generated world? One naive signal per typology, and its precision.

A generator whose typologies a single threshold finds is useless for measuring detection. Each
label typology gets the plain signal a first-day analyst would try (a fan-in count, an amount
threshold, a destination country); :func:`naive_signal_report` measures the share of accounts
it flags that are core accounts of that typology's scenarios. Hard negatives in the normal
population are there to keep every one of these below 0.5.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fiu_analytics.indicators import INDICATORS, DetectionInput
from fiu_analytics.reference import countries_with

DAY = 86_400


def _conflict(data: DetectionInput) -> list[str]:
    return countries_with("conflict_adjacent")


def _keys(frame: pd.DataFrame) -> set[int]:
    return set(map(int, frame["account_key"])) if len(frame) else set()


def _distinct_in(
    data: DetectionInput,
    days: int,
    n: int,
    chans: list[str] | None = None,
    max_amount: float | None = None,
    direction: str = "in",
) -> set[int]:
    tx = data.transactions
    m = np.ones(len(tx), bool)
    if chans:
        m &= tx["channel"].isin(chans).to_numpy()
    if max_amount is not None:
        m &= tx["amount_base"].to_numpy() < max_amount
    sub = DetectionInput(
        tx[m].reset_index(drop=True),
        data.accounts,
        data.parties,
        data.period_start,
        data.period_end,
    )
    ind = INDICATORS["fan_in" if direction == "in" else "fan_out"]
    return _keys(ind(sub, window_days=days, min_counterparties=n))


def _to_conflict(
    data: DetectionInput,
    min_amount: float = 0.0,
    min_count: int = 1,
    chans: list[str] | None = None,
) -> set[int]:
    tx = data.transactions
    m = tx["dst_country"].isin(_conflict(data)) & (tx["amount_base"] >= min_amount)
    if chans:
        m &= tx["channel"].isin(chans)
    c = tx.loc[m].groupby("src_account_key").size()
    return set(map(int, c.index[c >= min_count]))


def _pass_through(data: DetectionInput, ratio: float = 0.9, min_txns: int = 5) -> set[int]:
    tx = data.transactions
    inflow = tx.groupby("dst_account_key")["amount_base"].agg(["sum", "size"])
    outflow = tx.groupby("src_account_key")["amount_base"].agg(["sum", "size"])
    both = inflow.add_suffix("_in").join(outflow.add_suffix("_out"), how="inner")
    r = np.minimum(both["sum_in"], both["sum_out"]) / np.maximum(both["sum_in"], both["sum_out"])
    ok = (r >= ratio) & (both["size_in"] + both["size_out"] >= min_txns)
    return set(map(int, both.index[ok]))


def _on_short_cycle(data: DetectionInput) -> set[int]:
    tx = data.transactions
    e = tx.loc[
        tx["src_account_key"] != tx["dst_account_key"], ["src_account_key", "dst_account_key"]
    ].drop_duplicates()
    keys = np.union1d(e["src_account_key"], e["dst_account_key"])
    i = np.searchsorted(keys, e["src_account_key"])
    j = np.searchsorted(keys, e["dst_account_key"])
    a = sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(len(keys), len(keys)))
    a2 = a @ a
    on = (a2.diagonal() > 0) | ((a2 @ a).diagonal() > 0)
    return set(map(int, keys[on]))


def _cash_cities(data: DetectionInput, n_cities: int = 2) -> set[int]:
    tx = data.transactions
    cash = tx[tx["channel"] == "cash_deposit"]
    c = cash.groupby("dst_account_key")["city"].nunique()
    return set(map(int, c.index[c >= n_cities]))


def _salary_payers(data: DetectionInput, n: int = 3) -> set[int]:
    tx = data.transactions
    sal = tx[
        (tx["purpose_code"] == "SALA")
        | tx["narrative"].fillna("").str.contains("(?i)payroll|wage|salary")
    ]
    c = sal.groupby("src_account_key")["dst_account_key"].nunique()
    return set(map(int, c.index[c >= n]))


def _npo_to_conflict(data: DetectionInput) -> set[int]:
    npo_parties = set(data.parties.loc[data.parties["entity_kind"] == "npo", "party_id"])
    npo_accounts = set(
        data.accounts.loc[data.accounts["owner_party_id"].isin(npo_parties), "account_key"]
    )
    return _to_conflict(data) & npo_accounts


def _in_and_out(data: DetectionInput, n_in: int = 5, n_out: int = 5) -> set[int]:
    tx = data.transactions
    tx = tx[tx["src_account_key"] != tx["dst_account_key"]]
    fi = tx.groupby("dst_account_key")["src_account_key"].nunique()
    fo = tx.groupby("src_account_key")["dst_account_key"].nunique()
    both = fi[fi >= n_in].index.intersection(fo[fo >= n_out].index)
    return set(map(int, both))


NAIVE_SIGNALS: dict[str, tuple[str, Callable[[DetectionInput], set[int]]]] = {
    "HTSE": (
        ">= 10 distinct P2P payers within 30 days",
        lambda d: _distinct_in(d, 30, 10, ["mobile_money"]),
    ),
    "HTFL": ("pays wages to >= 3 accounts", _salary_payers),
    "MS": (
        ">= 5 distinct senders of amounts under 3,000 within 30 days",
        lambda d: _distinct_in(d, 30, 5, max_amount=3000.0),
    ),
    "KFR": (
        "an MSB/hawala payment >= 3,000 to a conflict-adjacent country",
        lambda d: _to_conflict(d, 3000.0, 1, ["msb_remittance", "hawala"]),
    ),
    "TF-small": (
        ">= 3 transfers to conflict-adjacent countries",
        lambda d: _to_conflict(d, 0.0, 3),
    ),
    "NPO": ("an NPO sending money to a conflict-adjacent country", _npo_to_conflict),
    "hawala": (
        ">= 30 distinct counterparties paying in within 30 days",
        lambda d: _distinct_in(d, 30, 30),
    ),
    "designated": (
        "a transfer >= 1,000 to a conflict-adjacent country",
        lambda d: _to_conflict(d, 1000.0, 1),
    ),
    "NX-04": (
        "a transfer >= 1,000 to a conflict-adjacent country",
        lambda d: _to_conflict(d, 1000.0, 1),
    ),
    "NX-06": ("pass-through: inflow and outflow within 10% of each other", _pass_through),
    "GEN-01": (
        "GEN-01 alone: >= 3 cash deposits of 80-100% of 10,000 within 7 days",
        lambda d: _keys(INDICATORS["GEN-01"](d)),
    ),
    "GEN-02": ("cash deposits in >= 2 cities", _cash_cities),
    "GEN-03": ("pass-through: inflow and outflow within 10% of each other", _pass_through),
    "fan_in": (">= 10 distinct senders within 14 days", lambda d: _distinct_in(d, 14, 10)),
    "fan_out": (
        ">= 10 distinct receivers within 14 days",
        lambda d: _distinct_in(d, 14, 10, direction="out"),
    ),
    "cycle": ("on a directed 2- or 3-cycle of the account graph", _on_short_cycle),
    "scatter_gather": (">= 5 distinct senders and >= 5 distinct receivers", _in_and_out),
    "gather_scatter": (">= 5 distinct senders and >= 5 distinct receivers", _in_and_out),
    "bipartite": (">= 5 distinct senders and >= 5 distinct receivers", _in_and_out),
    "stack": (">= 5 distinct senders and >= 5 distinct receivers", _in_and_out),
}


def naive_signal_report(data: DetectionInput, labels: pd.DataFrame) -> pd.DataFrame:
    """Per label typology: the naive signal, accounts it flags, precision and scenario recall."""
    core = labels[labels["account_key"].notna() & labels["is_core"].fillna(False).astype(bool)]
    rows = []
    cache: dict[str, set[int]] = {}
    for typ, (desc, fn) in NAIVE_SIGNALS.items():
        g = core[core["typology"] == typ]
        if g.empty:
            continue
        flagged = cache.setdefault(desc, fn(data))
        truth = set(g["account_key"].astype("int64"))
        scen = g.groupby("scenario_id")["account_key"].apply(lambda s: set(s.astype("int64")))
        tp = len(flagged & truth)
        rows.append(
            {
                "typology": typ,
                "naive_signal": desc,
                "flagged_accounts": len(flagged),
                "true_positives": tp,
                "precision": tp / len(flagged) if flagged else 0.0,
                "scenario_recall": float(np.mean([bool(s & flagged) for s in scen])),
            }
        )
    return pd.DataFrame(rows)
