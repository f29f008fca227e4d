"""Trafficking typologies (TY-HTSE, TY-HTFL, TY-MS) on small generated worlds.

Positive fixture per typology: a world with two scenarios of its label typology only; the
typology must alert on a core account (controller, front company, collector, beneficiary) of
every scenario and on nothing else. Negative fixture: a clean world (normal behaviour and its
hard negatives: night workers, salespeople, gig workers, employers, migrant remitters) where
none of the three may alert.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fiu_analytics import schema
from fiu_analytics.detection import detect, load_typology
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.indicators import DetectionInput
from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate
from tests.conftest import REPO

FILES = {
    "TY-HTSE": "ht_sexual_exploitation.yaml",
    "TY-HTFL": "ht_forced_labour.yaml",
    "TY-MS": "ms_smuggling.yaml",
}
LABEL = {"TY-HTSE": "HTSE", "TY-HTFL": "HTFL", "TY-MS": "MS"}
SCENARIOS = 2


def _world(root: Path, seed: int, mix: dict[str, int]) -> tuple[DetectionInput, pd.DataFrame]:
    store = Store(root)
    cfg = SynthConfig(seed=seed, n_persons=400, days=92, scenarios_per_typology=0, scenario_mix=mix)
    generate(cfg, store)
    return load_detection_input(store), store.read(schema.LABELS)


@pytest.fixture(scope="module")
def catalog() -> dict:
    return {tid: load_typology(REPO / "typologies" / f) for tid, f in FILES.items()}


@pytest.mark.parametrize("tid", list(FILES))
def test_typology_header_is_complete(catalog: dict, tid: str) -> None:
    t = catalog[tid]
    assert t.id == tid and t.status == "experimental" and t.subject == "account"
    assert t.labels == (LABEL[tid],)
    assert t.description.startswith("Detects") and t.references and t.falsepositives
    assert {r.split()[0] for r in t.references} <= {
        "FATF-HT18",
        "FIN-14",
        "FIN-20",
        "FIN-23",
        "FINTRAC-16",
        "FINTRAC-21",
        "FATF-MS22",
    }


@pytest.mark.parametrize("tid", list(FILES))
def test_positive_world_alerts_on_core_accounts_of_every_scenario(
    catalog: dict, tid: str, tmp_path: Path
) -> None:
    data, labels = _world(tmp_path, 21, {LABEL[tid]: SCENARIOS})
    alerts = detect(data, [catalog[tid]])
    core = labels[labels["account_key"].notna() & labels["is_core"].fillna(False).astype(bool)]
    core = core.astype({"account_key": "int64"})
    alerted = set(alerts["subject_account_key"])
    found = core.groupby("scenario_id")["account_key"].apply(lambda s: bool(set(s) & alerted))
    assert len(found) == SCENARIOS and found.all()
    assert alerted <= set(core["account_key"])  # victims and bystanders are not subjects
    assert len(alerted) >= SCENARIOS
    assert (alerts["typology_id"] == tid).all() and (
        alerts["score"] >= catalog[tid].threshold
    ).all()
    assert all(alerts["evidence_txn_ids"].map(len) > 0)


def test_clean_world_raises_no_trafficking_alert(catalog: dict, tmp_path: Path) -> None:
    data, _ = _world(tmp_path, 22, {})
    alerts = detect(data, list(catalog.values()))
    assert len(alerts) == 0
