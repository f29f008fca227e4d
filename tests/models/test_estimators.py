"""Account models: the scikit-learn contract, learning a planted signal, explanations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from fiu_analytics.errors import ModelError
from fiu_analytics.models import AccountAnomalyModel, AccountRiskModel


@parametrize_with_checks([AccountRiskModel(max_iter=20), AccountAnomalyModel(n_estimators=20)])
def test_sklearn_contract(estimator, check) -> None:
    check(estimator)


def _accounts(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "in_count_7d": rng.poisson(5, n).astype(float),
            "pass_through_ratio": rng.uniform(0, 0.6, n),
            "noise": rng.normal(0, 1, n),
        },
        index=pd.Index(np.arange(n) + 1000, name="account_key"),
    )
    y = pd.Series(np.zeros(n, int), index=X.index)
    bad = rng.choice(n, 30, replace=False)
    X.iloc[bad, 1] = rng.uniform(0.9, 1.0, len(bad))  # mules pass everything through
    y.iloc[bad] = 1
    return X, y


def test_risk_model_learns_the_signal_and_explains_with_it() -> None:
    X, y = _accounts()
    model = AccountRiskModel(max_iter=50).fit(X, y)
    Xt, yt = _accounts(seed=1)
    s = model.score_accounts(Xt)
    top = s.sort_values(ascending=False).index[:30]
    assert yt.loc[top].mean() >= 0.9
    why = model.explain(Xt.loc[top[:5]])
    assert all(w.startswith("pass_through_ratio=") for w in why)
    assert all("(+" in w for w in why)


def test_scoring_other_features_is_a_clear_error() -> None:
    X, y = _accounts()
    model = AccountRiskModel(max_iter=10).fit(X, y)
    with pytest.raises(ModelError, match="missing \\['noise'\\]"):
        model.predict_proba(X.drop(columns="noise"))


def test_one_class_labels_are_refused() -> None:
    X, y = _accounts()
    with pytest.raises(ModelError, match="one class"):
        AccountRiskModel().fit(X, y * 0)


def test_anomaly_model_ranks_a_planted_outlier_first() -> None:
    X, _ = _accounts()
    X.loc[99_999] = [400.0, 0.99, 0.0]
    s = AccountAnomalyModel(n_estimators=100).fit(X).score_accounts(X)
    assert s.idxmax() == 99_999
    assert s.between(0, 1).all()
