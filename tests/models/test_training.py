"""Training on a labelled world, scoring another period, and the model as an indicator."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from fiu_analytics import schema
from fiu_analytics.detection import detect, load_catalog
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.errors import ModelError
from fiu_analytics.models import account_labels, score_store, train_account_model
from pipelines.cli import main
from tests.conftest import REPO


@pytest.fixture(scope="module")
def trained(small_world):
    store, _ = small_world
    data = load_detection_input(store)
    model, card = train_account_model(
        data, store.read(schema.LABELS), budget=20, source=str(store.root)
    )
    return store, data, model, card


def test_card_records_data_threshold_and_out_of_fold_metrics(trained) -> None:
    _, _, model, card = trained
    assert card.data["positives"] >= 3 and card.budget == 20
    assert 0 < card.threshold <= 1
    # out-of-fold figures: the model is better than chance at ranking suspicious accounts
    base_rate = card.data["positives"] / card.data["accounts"]
    assert card.metrics["out_of_fold_pr_auc"] > 3 * base_rate
    assert card.features == list(model.feature_names_in_)


def test_scores_rank_labelled_accounts_first_and_explain_alerts(trained) -> None:
    store, data, model, card = trained
    scores = score_store(model, card, data, budget=15)
    assert scores["alerted"].sum() >= 15
    y = account_labels(store.read(schema.LABELS), scores["account_key"])
    top = y.loc[scores["account_key"].head(15)].to_numpy()
    assert top.mean() >= 0.6
    alerted = scores[scores["alerted"]]
    assert alerted["explanation"].str.contains("=").all()
    assert alerted["account_id"].notna().all()


def test_model_score_is_an_indicator_in_a_typology(trained) -> None:
    store, data, model, card = trained
    catalog = [t for t in load_catalog(REPO / "typologies") if t.id == "TY-ML-ACCOUNT"]
    assert detect(data, catalog).empty  # no model loaded: nothing, and a warning
    assert any("no model 'account_risk'" in w for w in data.cache.get("warnings", []))
    fresh = load_detection_input(store)
    fresh.reference["models"] = {"account_risk": (model, card)}
    alerts = detect(fresh, catalog)
    assert len(alerts) > 0
    first = alerts.iloc[0]
    assert "model account_risk (supervised) score" in first["indicators"]
    assert len(first["evidence_txn_ids"]) > 0


def test_training_without_labels_is_a_clear_error(trained) -> None:
    _, data, _, _ = trained
    with pytest.raises(ModelError, match="needs labels"):
        train_account_model(data, pd.DataFrame(), source="somewhere")


def test_cli_train_score_and_run_with_models(small_world, tmp_path, capsys) -> None:
    store, _ = small_world
    models = tmp_path / "models"
    assert main(["train", "--data-dir", str(store.root), "--models", str(models)]) == 0
    assert "out_of_fold_pr_auc" in capsys.readouterr().out
    assert (models / "account_risk" / "card.json").exists()
    out = tmp_path / "scores.csv"
    args = ["score", "--data-dir", str(store.root), "--model", str(models / "account_risk")]
    assert main([*args, "--output", str(out), "--budget", "10"]) == 0
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert sum(r["alerted"] == "True" for r in rows) >= 10
    # rules, the model and both, side by side on the labelled store
    capsys.readouterr()
    methods = tmp_path / "methods.csv"
    ev = ["evaluate", "--data-dir", str(store.root), "--model", str(models / "account_risk")]
    assert main([*ev, "--budget", "10", "--methods-output", str(methods)]) == 0
    printed = capsys.readouterr().out
    assert "scenario recall per label typology" in printed and "per transaction" in printed
    table = pd.read_csv(methods)
    assert set(table["method"]) == {"rules", "ML", "rules + ML"}
    assert set(table["level"]) == {"account", "transaction"}
    acc = table[table["level"] == "account"].set_index("method")
    # the union alerts at least what either alerts
    assert acc.loc["rules + ML", "alerted"] >= max(
        acc.loc["rules", "alerted"], acc.loc["ML", "alerted"]
    )
    assert acc["pr_auc"].between(0, 1).all() and "precision_at_10" in acc.columns
    run = ["run", "--data-dir", str(store.root), "--out-dir", str(tmp_path / "out")]
    assert main([*run, "--models", str(models)]) == 0
    with open(tmp_path / "out" / "alerts.csv", encoding="utf-8") as fh:
        alerts = list(csv.DictReader(fh))
    assert any(r["typology_id"] == "TY-ML-ACCOUNT" for r in alerts)
    # an analyst's dispositions feed the next training
    disp = tmp_path / "dispositions.csv"
    disp.write_text(f"alert_id,disposition\n{alerts[0]['alert_id']},true_positive\n")
    assert main(["feedback", str(disp), "--out-dir", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    train = ["train", "--data-dir", str(store.root), "--models", str(tmp_path / "m2")]
    assert main([*train, "--feedback", str(tmp_path / "out")]) == 0
    assert "with 1 analyst disposition(s)" in capsys.readouterr().out
    assert main(["score", "--data-dir", str(store.root), "--model", str(tmp_path)]) == 2
    assert "no saved model" in capsys.readouterr().err
