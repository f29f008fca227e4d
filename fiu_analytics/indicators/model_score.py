"""ML-ACCOUNT: a trained account model's score, as an indicator like any rule.

The model is loaded at the edge (``fiu run --models DIR`` or the detect flow) and handed to
the indicators in ``data.reference["models"]`` as ``{name: (model, card)}``; this function
never reads files. The score is the model's; the reason names the features that pushed it up
(occlusion against the training medians) and the evidence is the account's largest
transactions of the period. Without a loaded model the indicator returns nothing and says so
in ``data.cache["warnings"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fiu_analytics.indicators._flows import txn_ids
from fiu_analytics.indicators.base import DetectionInput, Param, empty_result, indicator


@indicator(
    "ML-ACCOUNT",
    "Account model score (trained on labelled accounts)",
    model=Param("account_risk", str, help="name of a model loaded with --models"),
    min_score=Param(0.0, float, min=0.0, max=1.0, help="0: use the model card's threshold"),
    evidence=Param(10, int, min=1, max=100, help="largest transactions kept as evidence"),
)
def model_score(data: DetectionInput, model: str, min_score: float, evidence: int) -> pd.DataFrame:
    """Accounts whose model score reaches ``min_score`` (or the card's budget threshold).
    Value: the model score; score: 0.5 at the threshold rising to 1 at a score of 1."""
    from fiu_analytics.models.training import score_store

    loaded = data.reference.get("models", {}).get(model)
    if loaded is None:
        data.cache.setdefault("warnings", []).append(
            f"ML-ACCOUNT: no model '{model}' loaded (train one with `fiu train`, pass --models)"
        )
        return empty_result()
    est, card = loaded
    scored = score_store(est, card, data, threshold=min_score if min_score > 0 else None)
    hit = scored[scored["alerted"]]
    if hit.empty:
        return empty_result()
    cut = float(hit["threshold"].iloc[0])
    why = hit["explanation"].where(
        hit["explanation"] != "", "anomalous against the training accounts"
    )
    tx = data.transactions
    keys = hit["account_key"].to_numpy(np.int64)
    rows = np.flatnonzero(
        tx["src_account_key"].isin(keys).to_numpy() | tx["dst_account_key"].isin(keys).to_numpy()
    )
    sub = pd.DataFrame(
        {
            "row": np.r_[rows, rows],
            "acct": np.r_[
                tx["src_account_key"].to_numpy()[rows], tx["dst_account_key"].to_numpy()[rows]
            ],
            "amt": np.r_[tx["amount_base"].to_numpy()[rows], tx["amount_base"].to_numpy()[rows]],
        }
    ).drop_duplicates(["row", "acct"])
    sub = sub[sub["acct"].isin(keys)].sort_values("amt", ascending=False)
    ev = sub.groupby("acct")["row"].apply(lambda r: list(r[:evidence]))
    span = max(1.0 - cut, 1e-9)
    return pd.DataFrame(
        {
            "account_key": keys,
            "value": hit["score"].to_numpy(),
            "score": np.clip(0.5 + 0.5 * (hit["score"].to_numpy() - cut) / span, 0.5, 1.0),
            "reason": [
                f"model {card.name} ({card.kind}) score {s:.2f} >= {cut:.2f}: {w}"
                for s, w in zip(hit["score"].to_numpy(), why.to_numpy(), strict=True)
            ],
            "evidence_txn_ids": [txn_ids(data, ev.get(k, [])) for k in keys],
        }
    )
