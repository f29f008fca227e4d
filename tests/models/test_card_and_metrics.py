"""Model persistence with a card, refusing incompatible models, and budget metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fiu_analytics.errors import ModelError
from fiu_analytics.features import FEATURE_VERSION
from fiu_analytics.models import (
    AccountRiskModel,
    ModelCard,
    load_model,
    load_models,
    ranking_metrics,
    save_model,
    threshold_for_budget,
)
from tests.models.test_estimators import _accounts


def _saved(tmp_path):
    X, y = _accounts()
    model = AccountRiskModel(max_iter=10).fit(X, y)
    card = ModelCard(name="m", kind="supervised", features=list(X.columns), threshold=0.5)
    return save_model(model, card, tmp_path / "m"), X


def test_round_trip_keeps_scores_and_card(tmp_path) -> None:
    folder, X = _saved(tmp_path)
    model, card = load_model(folder)
    assert card.feature_version == FEATURE_VERSION and card.versions["scikit-learn"]
    assert (folder / "card.md").read_text().startswith("# Model card: m")
    assert model.score_accounts(X).between(0, 1).all()
    assert set(load_models(tmp_path)) == {"m"}


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("feature_version", "0.0.1", "features version 0.0.1"),
        ("versions", {"scikit-learn": "0.24.2"}, "scikit-learn 0.24.2"),
    ],
)
def test_a_model_made_elsewhere_is_refused(tmp_path, field, value, message) -> None:
    folder, _ = _saved(tmp_path)
    raw = json.loads((folder / "card.json").read_text())
    raw[field] = value
    (folder / "card.json").write_text(json.dumps(raw))
    with pytest.raises(ModelError, match=message) as err:
        load_model(folder)
    assert "fiu train" in str(err.value)


def test_missing_or_corrupt_models_are_clear_errors(tmp_path) -> None:
    with pytest.raises(ModelError, match="no saved model"):
        load_model(tmp_path)
    folder, _ = _saved(tmp_path)
    (folder / "model.joblib").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load the model"):
        load_model(folder)


def test_budget_threshold_and_ranking_metrics() -> None:
    s = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    assert threshold_for_budget(s, 2) == 0.8
    assert threshold_for_budget(s, 10) == 0.1
    y = np.array([1, 1, 0, 1, 0])
    m = ranking_metrics(y, s, budget=2)
    assert m["precision_at_2"] == 1.0 and m["recall_at_2"] == pytest.approx(2 / 3)
    assert 0 < m["pr_auc"] <= 1 and m["best_f1"] == pytest.approx(0.8571, abs=1e-3)
