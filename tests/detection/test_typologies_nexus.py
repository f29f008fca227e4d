"""Nexus and designated typologies: positive worlds find their scenarios on core accounts,
clean worlds raise nothing, and a hand-made crowdfunded extraction fires NX-02."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fiu_analytics import schema
from fiu_analytics.detection import detect, load_typology
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.indicators import INDICATORS, DetectionInput
from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate
from tests.conftest import REPO

CASES = [
    ("nx04_nexus.yaml", "NX-04"),
    ("nx06_victim_mules.yaml", "NX-06"),
    ("kfr_ransom.yaml", "KFR"),
    ("designated.yaml", "designated"),
]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("clean") / "s")
    generate(SynthConfig(seed=21, n_persons=400, days=92, scenarios_per_typology=0), store)
    return store


@pytest.mark.parametrize(("file", "label"), CASES)
def test_positive_world_finds_every_scenario_on_core_accounts(
    tmp_path: Path, file: str, label: str
) -> None:
    store = Store(tmp_path / "s")
    generate(
        SynthConfig(
            seed=21, n_persons=400, days=92, scenarios_per_typology=0, scenario_mix={label: 2}
        ),
        store,
    )
    typ = load_typology(REPO / "typologies" / file)
    alerts = detect(load_detection_input(store), [typ])
    labels = store.read(schema.LABELS)
    core = labels[labels["is_core"].fillna(False).astype(bool) & labels["account_key"].notna()]
    subjects = set(alerts["subject_account_key"])
    for _, g in core[core["typology"] == label].groupby("scenario_id"):
        assert subjects & set(g["account_key"].astype(int)), f"{file} missed a scenario"
    assert len(alerts) >= 2
    assert subjects <= set(core["account_key"].astype(int)), "alert on a non-core account"
    if label == "NX-04":
        assert alerts["path"].str.contains("->").all()


@pytest.mark.parametrize(("file", "label"), CASES)
def test_clean_world_raises_nothing(clean: Store, file: str, label: str) -> None:
    typ = load_typology(REPO / "typologies" / file)
    assert detect(load_detection_input(clean), [typ]).empty


def test_nx02_crowdfunded_extraction() -> None:
    rows = []
    for i in range(24):  # donors with a shared handle, into collector 1
        rows.append(
            (
                f"d{i}",
                f"2025-03-{1 + i % 20:02d}T12:00:00Z",
                40.0 + i,
                "mobile_money",
                100 + i,
                1,
                "US",
                "US",
                "for the sisters @freeher77",
            )
        )
    rows += [
        ("o1", "2025-03-22T10:00:00Z", 450.0 * 2, "msb_remittance", 1, 50, "US", "TR", None),
        ("o2", "2025-03-24T10:00:00Z", 400.0 * 2, "msb_remittance", 1, 51, "US", "SY", None),
    ]
    tx = pd.DataFrame(
        rows,
        columns=[
            "txn_id",
            "timestamp",
            "amount_base",
            "channel",
            "src_account_key",
            "dst_account_key",
            "src_country",
            "dst_country",
            "narrative",
        ],
    )
    tx["timestamp"] = pd.to_datetime(tx["timestamp"], utc=True)
    tx["amount"] = tx["amount_base"]
    accounts = pd.DataFrame(
        {
            "account_key": [1, 50, 51, *range(100, 124)],
            "owner_party_id": [f"p{k}" for k in [1, 50, 51, *range(100, 124)]],
            "country": ["US", "TR", "SY", *["US"] * 24],
        }
    )
    parties = pd.DataFrame(
        {
            "party_id": accounts["owner_party_id"],
            "party_type": "person",
            "name": [f"Person {k}" for k in accounts["account_key"]],
            "phone": None,
            "address": None,
            "device_id": None,
            "entity_kind": None,
            "id_document": None,
            "country": None,
        }
    )
    data = DetectionInput(
        tx.sort_values("timestamp", ignore_index=True),
        accounts,
        parties,
        pd.Timestamp("2025-03-01", tz="UTC"),
        pd.Timestamp("2025-04-01", tz="UTC"),
    )
    tf04 = INDICATORS["TF-04"](data)
    assert 1 in set(tf04["account_key"]), "fixture must be a TF-04 collection"
    out = INDICATORS["NX-02"](data)
    assert list(out["account_key"]) == [1] and out["value"].iloc[0] == 2
    assert "TR" in out["reason"].iloc[0] and "SY" in out["reason"].iloc[0]
    assert INDICATORS["NX-02"](data, destinations="YE").empty
