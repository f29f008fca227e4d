"""SAN-01: accounts of parties whose name matches a UN-designated person or entity.

Designations come from ``data.reference["designations"]`` (rows of the ``designations``
table, e.g. from :func:`fiu_analytics.ingest.read_un_list` or the store); without them the
indicator has nothing to say. Party hits (:func:`fiu_analytics.screening.screen`) are mapped to
the accounts the parties own; each account reports its best hit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fiu_analytics.indicators.base import DetectionInput, Param, empty_result, indicator
from fiu_analytics.screening import screen


def _party_hits(data: DetectionInput, designations: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Screening hits of the parties, cached per threshold (SAN-02 and nexus rules reuse them)."""
    key = f"SAN-01:hits:{threshold}"
    if key not in data.cache:
        data.cache[key] = screen(data.parties, designations, threshold=threshold)
    return data.cache[key]


def _evidence(data: DetectionInput, accounts: np.ndarray, max_evidence: int) -> pd.Series:
    """Up to ``max_evidence`` transaction ids per account, in time order (either side)."""
    tx = data.transactions
    src, dst = tx["src_account_key"].to_numpy(), tx["dst_account_key"].to_numpy()
    mask = np.isin(src, accounts) | np.isin(dst, accounts)
    if not mask.any():
        return pd.Series(dtype=object)
    ids = tx["txn_id"].iloc[np.flatnonzero(mask)].to_numpy()
    order = np.arange(mask.sum())  # transactions are sorted by time
    long = pd.DataFrame(
        {
            "account_key": np.concatenate([src[mask], dst[mask]]),
            "txn_id": np.concatenate([ids, ids]),
            "order": np.concatenate([order, order]),
        }
    )
    long = long[long["account_key"].isin(accounts)].drop_duplicates(["account_key", "txn_id"])
    long = long.sort_values(["account_key", "order"], kind="stable")
    return long.groupby("account_key").head(max_evidence).groupby("account_key")["txn_id"].agg(list)


@indicator(
    "SAN-01",
    "Match to UN-designated person or entity",
    threshold=Param(0.9, float, 0.5, 1.0, "name similarity in [0, 1] for a hit"),
    max_evidence=Param(50, int, 1, 10_000, "transactions listed as evidence per account"),
)
def designated_party_match(
    data: DetectionInput, threshold: float, max_evidence: int
) -> pd.DataFrame:
    """Accounts owned by a party that matches a listed name: value and score are the best
    name score; the reason names the list reference number; evidence is the account's
    transactions in the period."""
    designations = data.reference.get("designations")
    if not isinstance(designations, pd.DataFrame) or designations.empty or data.parties.empty:
        return empty_result()
    hits = _party_hits(data, designations, threshold)
    if hits.empty:
        return empty_result()
    owners = data.accounts[["account_key", "owner_party_id"]].dropna()
    per_account = owners.merge(hits, left_on="owner_party_id", right_on="party_id")
    if per_account.empty:
        return empty_result()
    # best hit: highest score, then most corroborating identifiers
    per_account = per_account.assign(
        _corr=per_account["corroboration"].str.count(";") + (per_account["corroboration"] != "")
    ).sort_values(
        ["account_key", "score", "_corr", "reference_number"],
        ascending=[True, False, False, True],
    )
    others = per_account.groupby("account_key")["reference_number"].agg(
        lambda refs: list(dict.fromkeys(refs))[1:]
    )
    best = per_account.drop_duplicates("account_key").set_index("account_key")
    keys = best.index.to_numpy(dtype=np.int64)
    evidence = _evidence(data, keys, max_evidence)
    reasons = [
        f"SAN-01 {ref}: {reason}" + (f"; also matches {', '.join(more)}" if more else "")
        for ref, reason, more in zip(
            best["reference_number"], best["reason"], others.reindex(keys), strict=True
        )
    ]
    return pd.DataFrame(
        {
            "account_key": keys,
            "value": best["score"].to_numpy(dtype=float),
            "score": best["score"].to_numpy(dtype=float),
            "reason": reasons,
            "evidence_txn_ids": [
                list(evidence.get(k, [])) if k in evidence.index else [] for k in keys
            ],
        }
    )
