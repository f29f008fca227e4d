"""Layering typologies (cycles, scatter-gather, gather-scatter, bipartite, stack, fan-in,
fan-out, funnel, pass-through, structuring) on small generated worlds.

Positive fixture per typology: a world with two scenarios of its label typology only (seed 21);
the typology must alert on a core account of both scenarios, every alerted account must be a
core account, and the number of core accounts alerted is pinned (a regression count, Sigma
style). Negative fixture: a clean world of normal behaviour and its hard negatives (merchants,
landlords and charities with many payers, employers paying many workers, cash shops depositing
near the threshold, friends paying each other back, MSBs), where none may alert.
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

# typology id: (file, label typology, core accounts alerted in the seed-21 world)
CASES = {
    "TY-CYCLE": ("cycle.yaml", "cycle", 11),  # every account on the two rings
    "TY-SCATTER-GATHER": ("scatter_gather.yaml", "scatter_gather", 4),  # sources and sinks
    "TY-GATHER-SCATTER": ("gather_scatter.yaml", "gather_scatter", 2),  # the hubs
    "TY-BIPARTITE": ("bipartite.yaml", "bipartite", 14),  # receivers of the two blocks
    "TY-STACK": ("stack.yaml", "stack", 18),  # the relays of both layers
    "TY-FAN-IN": ("fan_in.yaml", "fan_in", 2),  # the collectors
    "TY-FAN-OUT": ("fan_out.yaml", "fan_out", 2),  # the sources
    "TY-FUNNEL": ("funnel.yaml", "GEN-02", 2),  # the funnel holders
    "TY-PASS-THROUGH": ("pass_through.yaml", "GEN-03", 2),  # the mules
    "TY-STRUCTURING": ("structuring.yaml", "GEN-01", 2),  # the structurers
}
SCENARIOS = 2
REFERENCE_KEYS = {"FATF-HT18", "FIN-14", "FIN-20", "FIN-23", "UNSCR-2331", "AMLworld"}


def _world(root: Path, seed: int, mix: dict[str, int]) -> tuple[DetectionInput, pd.DataFrame]:
    store = Store(root)
    cfg = SynthConfig(seed=seed, n_persons=400, days=92, scenarios_per_typology=0, scenario_mix=mix)
    generate(cfg, store)
    return load_detection_input(store), store.read(schema.LABELS)


@pytest.fixture(scope="module")
def catalog() -> dict:
    return {tid: load_typology(REPO / "typologies" / case[0]) for tid, case in CASES.items()}


@pytest.mark.parametrize("tid", list(CASES))
def test_typology_header_is_complete(catalog: dict, tid: str) -> None:
    t = catalog[tid]
    assert t.id == tid and t.status == "experimental" and t.subject == "account"
    assert t.labels == (CASES[tid][1],)
    assert t.description.startswith("Detects") and t.references and t.falsepositives
    assert {r.split()[0] for r in t.references} <= REFERENCE_KEYS
    assert t.level in ("low", "medium", "high")


@pytest.mark.parametrize("tid", list(CASES))
def test_positive_world_alerts_on_core_accounts(catalog: dict, tid: str, tmp_path: Path) -> None:
    data, labels = _world(tmp_path, 21, {CASES[tid][1]: SCENARIOS})
    alerts = detect(data, [catalog[tid]])
    core = labels[labels["account_key"].notna() & labels["is_core"].fillna(False).astype(bool)]
    core = core.astype({"account_key": "int64"})
    alerted = set(alerts["subject_account_key"])
    found = core.groupby("scenario_id")["account_key"].apply(lambda s: bool(set(s) & alerted))
    assert len(found) == SCENARIOS and found.all()
    assert alerted <= set(core["account_key"])  # peripheral and bystander accounts are not
    assert len(alerted) == CASES[tid][2]
    assert (alerts["score"] >= catalog[tid].threshold).all()
    assert all(alerts["evidence_txn_ids"].map(len) > 0)
    assert (alerts["typology_version"] == catalog[tid].version).all()


def test_clean_world_raises_no_layering_alert(catalog: dict, tmp_path: Path) -> None:
    data, _ = _world(tmp_path, 21, {})
    alerts = detect(data, list(catalog.values()))
    assert len(alerts) == 0
