"""Regression fixtures for the terrorism-financing typologies (Sigma style): each typology
finds its scenarios in a small generated world, alerting only their core accounts, and raises
nothing on a clean world of normal behaviour (including the hard negatives: migrant remitters,
humanitarian NPOs, MSB businesses and gig workers).

Worlds: 400 persons over 92 days, only the scenarios under test. Expected counts are those of
the pinned seed; a change in the generator or the typology shows up here first.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fiu_analytics import schema
from fiu_analytics.detection import detect
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.detection.typology import load_typology
from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate
from tests.conftest import REPO

TF_FILES = ("tf_small.yaml", "npo_misuse.yaml", "hawala.yaml")
SEED = 1


@pytest.fixture(scope="module")
def catalog() -> list:
    # the three files alone, so that a broken file elsewhere in the catalog does not hide
    # these fixtures (the catalog linter test covers the folder)
    return [load_typology(REPO / "typologies" / f) for f in TF_FILES]


def _run(root: Path, mix: dict[str, int], catalog: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    store = Store(root)
    cfg = SynthConfig(seed=SEED, n_persons=400, days=92, scenarios_per_typology=0, scenario_mix=mix)
    generate(cfg, store)
    return detect(load_detection_input(store), catalog), store.read(schema.LABELS)


@pytest.mark.parametrize(
    ("typology", "label", "expected"),
    [
        ("TY-TF-SMALL", "TF-small", 8),
        ("TY-NPO-MISUSE", "NPO", 12),
        ("TY-HAWALA", "hawala", 5),
    ],
)
def test_positive_world_alerts_core_accounts_of_every_scenario(
    tmp_path: Path, catalog: list, typology: str, label: str, expected: int
) -> None:
    alerts, labels = _run(tmp_path / "store", {label: 2}, catalog)
    core = labels[labels["account_key"].notna() & labels["is_core"].fillna(False)]
    mine = alerts[alerts["typology_id"] == typology]
    assert set(mine["subject_account_key"]) <= set(core["account_key"].astype(int))
    assert len(mine) == expected
    for scenario, g in core.groupby("scenario_id"):
        assert set(g["account_key"].astype(int)) & set(mine["subject_account_key"]), scenario
    # the other TF typologies stay quiet on this world
    assert alerts["typology_id"].isin([typology]).all()
    # every alert says why, with its evidence
    assert mine["indicators"].str.len().gt(0).all()
    assert mine["evidence_txn_ids"].map(len).gt(0).all()


def test_clean_world_raises_no_terrorism_financing_alert(tmp_path: Path, catalog: list) -> None:
    alerts, _ = _run(tmp_path / "store", {}, catalog)
    assert len(alerts) == 0
