"""Train an account model on a labelled period and score another: the library calls behind
``fiu train`` and ``fiu score``.

The alert threshold is chosen on out-of-fold scores (3-fold cross-validation on the training
accounts), never on scores of accounts the model has already seen, so that the budget it
promises holds on new data of the same size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from fiu_analytics.errors import ModelError
from fiu_analytics.indicators.base import DetectionInput
from fiu_analytics.models.card import ModelCard
from fiu_analytics.models.dataset import account_labels, account_table
from fiu_analytics.models.estimators import AccountAnomalyModel, AccountRiskModel
from fiu_analytics.models.metrics import ranking_metrics, threshold_for_budget

KINDS = ("supervised", "anomaly")


def out_of_fold_scores(model: AccountRiskModel, X: pd.DataFrame, y: pd.Series) -> np.ndarray:
    """Scores of each account by a model fitted without it (3 stratified folds)."""
    oof = np.zeros(len(X))
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    for tr, te in folds.split(X, y):
        m = AccountRiskModel(**model.get_params()).fit(X.iloc[tr], y.iloc[tr])
        oof[te] = m.predict_proba(X.iloc[te])[:, 1]
    return oof


def train_account_model(
    data: DetectionInput,
    labels: pd.DataFrame | None,
    *,
    kind: str = "supervised",
    budget: int = 50,
    name: str = "account_risk",
    params: dict[str, Any] | None = None,
    source: str = "",
) -> tuple[AccountRiskModel | AccountAnomalyModel, ModelCard]:
    """Fit a model on the accounts of ``data`` (features as of its period end) and return
    it with its card. ``kind``: ``supervised`` (needs ``labels``) or ``anomaly``."""
    if kind not in KINDS:
        raise ModelError(f"model kind {kind!r} is not one of {list(KINDS)}")
    X = account_table(data)
    if X.empty:
        raise ModelError(f"{source or 'data'}: no transactions in the training period")
    info: dict[str, Any] = {
        "source": source,
        "period_start": str(data.period_start),
        "period_end": str(data.period_end),
        "accounts": len(X),
        "transactions": len(data.transactions),
    }
    if kind == "anomaly":
        model = AccountAnomalyModel(**(params or {})).fit(X)
        scores = model.score_accounts(X).to_numpy()
        metrics: dict[str, Any] = {}
        if labels is not None and len(labels):
            y = account_labels(labels, X.index, transactions=data.transactions)
            metrics = ranking_metrics(y.to_numpy(), scores, budget)
            info["positives"] = int(y.sum())
        threshold = threshold_for_budget(scores, budget)
    else:
        if labels is None or labels.empty:
            raise ModelError(
                f"{source or 'data'}: a supervised model needs labels (generator ground "
                "truth, research-format labels or analyst feedback); none in this store"
            )
        y = account_labels(labels, X.index, transactions=data.transactions)
        if y.sum() < 3:
            raise ModelError(
                f"{source or 'data'}: only {int(y.sum())} labelled suspicious accounts; "
                "need at least 3 to train and choose a threshold"
            )
        model = AccountRiskModel(**(params or {}))
        oof = out_of_fold_scores(model, X, y)
        metrics = {"out_of_fold_" + k: v for k, v in ranking_metrics(y, oof, budget).items()}
        threshold = threshold_for_budget(oof, budget)
        model.fit(X, y)
        info["positives"] = int(y.sum())
    card = ModelCard(
        name=name,
        kind=kind,
        features=[str(c) for c in X.columns],
        params=model.get_params(),
        data=info,
        threshold=float(threshold),
        budget=budget,
        metrics={k: round(float(v), 4) for k, v in metrics.items()},
    )
    return model, card


def score_store(
    model: AccountRiskModel | AccountAnomalyModel,
    card: ModelCard,
    data: DetectionInput,
    *,
    budget: int | None = None,
    threshold: float | None = None,
    explain_top: int = 3,
) -> pd.DataFrame:
    """Score every account of ``data`` (features as of its period end): ``account_key``,
    ``account_id``, ``score``, ``alerted`` (score >= ``threshold``, else among the top
    ``budget`` if given, else >= the card's threshold), ``threshold`` (the cut applied) and,
    for alerted accounts of a supervised model, ``explanation``. Sorted by score, highest
    first."""
    X = account_table(data)
    if X.empty:
        return pd.DataFrame(columns=["account_key", "account_id", "score", "alerted"])
    scores = model.score_accounts(X)
    if threshold is not None:
        cut = threshold
    elif budget is not None:
        cut = threshold_for_budget(scores.to_numpy(), budget)
    else:
        cut = card.threshold if card.threshold is not None else 0.5
    out = pd.DataFrame({"account_key": X.index.to_numpy(), "score": scores.to_numpy()})
    out["alerted"] = out["score"] >= cut
    out["threshold"] = cut
    ids = data.accounts.set_index("account_key")["account_id"] if len(data.accounts) else {}
    out.insert(1, "account_id", out["account_key"].map(ids))
    out["explanation"] = ""
    if explain_top and isinstance(model, AccountRiskModel) and out["alerted"].any():
        sel = X.loc[out.loc[out["alerted"], "account_key"].to_numpy()]
        out.loc[out["alerted"], "explanation"] = model.explain(sel, top=explain_top).to_numpy()
    return out.sort_values("score", ascending=False, ignore_index=True)
