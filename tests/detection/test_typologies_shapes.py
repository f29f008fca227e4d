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


def test_pass_through_alerts_a_mule_with_a_life_of_its_own_not_a_saver(catalog: dict) -> None:
    """TY-PASS-THROUGH 1.2.0: mirrored flows alone (each sizeable receipt from several payers
    leaving within hours, almost in full) alert, though the owner's salary, rent and spending
    keep the account's flow-through ratio under 0.9; a high flow-through ratio alone (salary
    moved on to one's own savings on payday) does not."""
    from tests.ledger import LEDGER_COLUMNS, detection_input

    t0 = pd.Timestamp("2025-01-01", tz="UTC")

    def at(day: float, hour: float) -> pd.Timestamp:
        return t0 + pd.Timedelta(days=day, hours=hour)

    mule, saver = 1, 2
    rows = []
    for m in range(3):  # the mule's own life: salary in, rent out, a balance kept
        rows.append((f"pay{m}", at(30 * m + 1, 9), 4200.0, "wire", 900, mule))
        rows.append((f"rent{m}", at(30 * m + 3, 9), 1100.0, "wire", mule, 901))
    for k in range(10):  # the scheme: ten payers, each receipt forwarded within hours
        rows.append((f"in{k}", at(35 + 2 * k, 10), 1800.0 + 50 * k, "wire", 100 + k, mule))
        rows.append((f"out{k}", at(35 + 2 * k, 14), 1750.0 + 50 * k, "wire", mule, 700))
    for m in range(3):  # the saver: salary in, most of it to savings the same day
        rows.append((f"sal{m}", at(30 * m + 1, 9), 3000.0, "wire", 902, saver))
        rows.append((f"sav{m}", at(30 * m + 1, 12), 2900.0, "wire", saver, 903))
    data = detection_input(rows, LEDGER_COLUMNS)
    alerts = detect(data, [catalog["TY-PASS-THROUGH"]])
    assert set(alerts["subject_account_key"]) == {mule}
    assert alerts["indicators"].iloc[0].startswith("mirrored_flows=10 (")
    assert alerts["score"].iloc[0] == pytest.approx(0.6)
    # with seven such receipts (mirrored_flows 0.7) the mule is not alerted on them alone
    fewer = [r for r in rows if r[0] not in {"in7", "out7", "in8", "out8", "in9", "out9"}]
    assert detect(detection_input(fewer, LEDGER_COLUMNS), [catalog["TY-PASS-THROUGH"]]).empty
