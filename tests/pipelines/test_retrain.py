"""The retrain flow and its schedule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fiu_analytics.errors import ConfigError
from fiu_analytics.models import load_model
from pipelines.monitoring import retrain_flow
from pipelines.serve import deployments


def test_retrain_flow_saves_a_model_with_its_card(small_world, tmp_path: Path) -> None:
    store, _ = small_world
    out = retrain_flow(data_dir=str(store.root), models_dir=str(tmp_path), budget=10)
    model, card = load_model(out["path"])
    assert list(model.feature_names_in_) == card.features
    assert Path(out["path"]) == tmp_path / "account_risk"
    assert card.budget == 10 and card.data["source"] == str(store.root)
    assert json.loads((tmp_path / "account_risk" / "card.json").read_text())["kind"] == (
        "supervised"
    )
    assert out["metrics"]["out_of_fold_pr_auc"] > 0


def test_retrain_schedule_needs_a_models_dir(tmp_path: Path) -> None:
    cfg = {
        "data_dir": str(tmp_path),
        "out_dir": str(tmp_path / "out"),
        "typologies_dir": "typologies",
        "profile": None,
        "schedules": {"retrain": {"cron": "0 2 1 * *", "timezone": "UTC"}},
    }
    with pytest.raises(ConfigError, match="needs 'models_dir'"):
        deployments(cfg)
    (dep,) = deployments({**cfg, "models_dir": str(tmp_path / "models")})
    assert dep.name == "retrain" and dep.parameters["models_dir"] == str(tmp_path / "models")
