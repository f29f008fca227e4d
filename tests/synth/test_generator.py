"""The generator: deterministic, complete ground truth, hard negatives, bounded windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from fiu_analytics import schema
from fiu_analytics.errors import ConfigError
from fiu_analytics.store import Store
from fiu_analytics.synth import SCENARIOS, SynthConfig, generate
from fiu_analytics.synth.generator import _windows
from tests.conftest import SHARED_SAMPLES

REQUIRED_TYPOLOGIES = {
    "HTSE", "HTFL", "MS", "KFR", "TF-small", "NPO", "hawala", "designated", "NX-04", "NX-06",
    "GEN-01", "GEN-02", "GEN-03", "fan_in", "fan_out", "cycle", "scatter_gather",
    "gather_scatter", "bipartite", "stack",
}
# roles each typology's labels must contain (at least these)
EXPECTED_ROLES = {
    "HTSE": {"controller", "victim"},
    "KFR": {"intermediary"},
    "NX-04": {"controller", "endpoint"},
    "GEN-01": {"structurer"},
    "fan_in": {"collector"},
}


def test_every_required_typology_is_registered() -> None:
    assert set(SCENARIOS) >= REQUIRED_TYPOLOGIES


def test_same_seed_gives_identical_tables(tmp_path: Path) -> None:
    cfg = SynthConfig(seed=5, n_persons=250, days=50, scenarios_per_typology=1)
    a, b = Store(tmp_path / "a"), Store(tmp_path / "b")
    generate(cfg, a)
    generate(cfg, b)
    for table in (schema.TRANSACTIONS, schema.ACCOUNTS, schema.PARTIES, schema.LABELS,
                  schema.DESIGNATIONS):
        fa = a.read(table).drop(columns="batch_id")
        fb = b.read(table).drop(columns="batch_id")
        pd.testing.assert_frame_equal(fa, fb)
    other = Store(tmp_path / "c")
    generate(SynthConfig(seed=6, n_persons=250, days=50, scenarios_per_typology=1), other)
    assert not other.read_transactions()["amount"].equals(a.read_transactions()["amount"])


def test_every_typology_appears_in_labels_with_roles_and_stages(small_world) -> None:
    store, _ = small_world
    labels = store.read(schema.LABELS)
    accounts = labels[labels["account_key"].notna()]
    txns = labels[labels["txn_id"].notna()]
    assert set(accounts["typology"]) >= REQUIRED_TYPOLOGIES
    assert set(txns["typology"]) >= REQUIRED_TYPOLOGIES
    for typ in REQUIRED_TYPOLOGIES:
        g = accounts[accounts["typology"] == typ]
        assert g["is_core"].any(), f"{typ} has no core account"
        assert g["role"].notna().all()
        assert txns.loc[txns["typology"] == typ, "stage"].notna().all()
    for typ, roles in EXPECTED_ROLES.items():
        got = set(accounts.loc[accounts["typology"] == typ, "role"])
        assert roles <= got, f"{typ}: roles {got} lack {roles - got}"
    # victims and families are never core (they are not the target)
    assert not accounts.loc[accounts["role"].isin(["victim", "family"]), "is_core"].any()


def test_labelled_transactions_exist_in_the_store(small_world) -> None:
    store, result = small_world
    tx = store.read_transactions(columns=["txn_id", "src_account_key", "dst_account_key"])
    labels = store.read(schema.LABELS)
    ids = labels["txn_id"].dropna()
    assert ids.isin(tx["txn_id"]).all()
    assert tx["txn_id"].is_unique
    assert len(tx) == result.transactions
    keys = store.read(schema.ACCOUNTS)["account_key"]
    assert keys.is_unique
    assert tx["src_account_key"].isin(keys).all() and tx["dst_account_key"].isin(keys).all()


def test_store_tables_validate_against_the_schema(small_world) -> None:
    store, _ = small_world
    for table in (schema.ACCOUNTS, schema.PARTIES, schema.LABELS, schema.DESIGNATIONS,
                  schema.PROFILES):
        schema.validate(store.read(table), table)
    sample = store.read_transactions().sample(5000, random_state=1)
    schema.validate(sample, schema.TRANSACTIONS)


def test_ids_do_not_leak_labels(small_world) -> None:
    store, _ = small_world
    labels = store.read(schema.LABELS)
    core = set(labels.loc[labels["is_core"].fillna(False).astype(bool), "account_key"])
    keys = store.read(schema.ACCOUNTS)["account_key"]
    # scenario accounts are spread over the key range, not appended at its end
    ranks = keys.rank(pct=True)[keys.isin(core)]
    assert 0.25 < ranks.median() < 0.75
    parties = store.read(schema.PARTIES)
    text = " ".join(parties["name"]) + " ".join(store.read_transactions()["narrative"].dropna())
    for typ in REQUIRED_TYPOLOGIES:
        assert f"SC-{typ}" not in text


def test_hard_negatives_exist_and_look_like_typologies(small_world) -> None:
    store, _ = small_world
    prof = store.read(schema.PROFILES)
    tx = store.read_transactions()
    counts = prof["profile"].value_counts()
    for p in ("migrant_remitter", "night_worker", "salesperson", "gig_worker", "employer",
              "cash_shop", "npo_humanitarian", "msb_business"):
        assert counts.get(p, 0) > 0, p
    hn = prof.dropna(subset=["hard_negative_for"])
    assert hn["hard_negative_for"].str.contains("GEN-01").any()
    # cash shops make near-threshold cash deposits, like structurers
    shops = set(prof.loc[prof["profile"] == "cash_shop", "account_key"])
    near = tx[(tx["channel"] == "cash_deposit") & tx["amount_base"].between(8000, 9999.99)]
    assert near["dst_account_key"].isin(shops).sum() > 20
    # migrant remitters send money to trafficking-source or conflict-adjacent countries
    mig = set(prof.loc[prof["profile"] == "migrant_remitter", "account_key"])
    rem = tx[tx["src_account_key"].isin(mig) & (tx["channel"] == "msb_remittance")]
    assert rem["dst_country"].isin(["SY", "IQ", "SO", "AF", "YE", "NG"]).sum() > 10
    # humanitarian NPOs wire money into conflict areas with purpose CHAR
    npos = set(prof.loc[prof["profile"] == "npo_humanitarian", "account_key"])
    grants = tx[tx["src_account_key"].isin(npos) & (tx["purpose_code"] == "CHAR")]
    assert (grants["dst_country"] != "US").all() and len(grants) > 5
    # night workers transact at night
    night = set(prof.loc[prof["profile"] == "night_worker", "account_key"])
    hours = tx.loc[tx["src_account_key"].isin(night) & (tx["channel"] == "card"),
                   "timestamp"].dt.hour
    assert ((hours >= 22) | (hours < 6)).mean() > 0.8


def test_card_spend_carries_mcc_merchant_and_city(small_world) -> None:
    store, _ = small_world
    card = store.read_transactions()
    card = card[card["channel"] == "card"]
    assert card["mcc"].notna().mean() > 0.9 and card["merchant"].notna().mean() > 0.9
    assert card["city"].notna().mean() > 0.9
    assert {"7011", "4511", "5411"} <= set(card["mcc"])


def test_synthetic_list_is_un_format_and_fictional(small_world, tmp_path: Path) -> None:
    store, _ = small_world
    xml = Path(store.root).parent / "designated.xml"
    doc = etree.parse(str(xml))
    root = doc.getroot()
    assert root.tag == "CONSOLIDATED_LIST" and root.get("dateGenerated")
    inds = root.findall("INDIVIDUALS/INDIVIDUAL")
    ents = root.findall("ENTITIES/ENTITY")
    assert len(inds) > 10 and len(ents) > 3
    qualities = {q.text for q in root.iter("QUALITY")}
    assert qualities == {"Good", "Low"}
    # no synthetic name is a name on the real UN excerpt
    real = etree.parse(str(SHARED_SAMPLES / "un_sanctions" /
                           "un_consolidated_excerpt_2018-10-29.xml")).getroot()
    def full_names(rootel: etree._Element) -> set[str]:
        out = set()
        for rec in [*rootel.iter("INDIVIDUAL"), *rootel.iter("ENTITY")]:
            parts = [rec.findtext(t) or "" for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME",
                                                     "FOURTH_NAME")]
            out.add(" ".join(" ".join(parts).split()).lower())
            out |= {" ".join((a.text or "").split()).lower() for a in rec.iter("ALIAS_NAME")}
        return out - {""}

    assert not (full_names(root) & full_names(real))
    # the designations table carries the same records
    d = store.read(schema.DESIGNATIONS)
    assert set(d["reference_number"]) == {e.findtext("REFERENCE_NUMBER") for e in inds + ents}


def test_windows_are_bounded_by_chunk_rows() -> None:
    cfg = SynthConfig(n_persons=50_000, days=60, chunk_rows=200_000)
    spans = [(b - a) / 86_400e6 for a, b in _windows(cfg)]
    per_day = 50_000 * 24 / 30
    assert max(spans) * per_day <= 200_000 * 1.01
    assert sum(spans) == pytest.approx(60)


def test_bad_configuration_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown preset 'huge'"):
        SynthConfig.preset("huge")
    with pytest.raises(ConfigError, match="NOPE"):
        SynthConfig(scenario_mix={"NOPE": 1}).counts()
    with pytest.raises(ConfigError, match="n_persons=10"):
        generate(SynthConfig(n_persons=10), Store("/nonexistent/never-created"))


def test_amounts_are_plausible(small_world) -> None:
    store, _ = small_world
    tx = store.read_transactions()
    assert (tx["amount"] > 0).all()
    assert np.allclose(tx["amount"], tx["amount_base"])
    assert tx["amount"].median() < 200


def test_no_single_naive_signal_reaches_half_precision(small_world) -> None:
    from fiu_analytics.detection.inputs import load_detection_input
    from fiu_analytics.synth.difficulty import naive_signal_report

    store, _ = small_world
    report = naive_signal_report(load_detection_input(store), store.read(schema.LABELS))
    assert set(report["typology"]) >= REQUIRED_TYPOLOGIES
    too_easy = report[report["precision"] >= 0.5]
    assert too_easy.empty, too_easy.to_string()
    # and the signals are not blind: most typologies' scenarios are among what they flag
    assert (report["scenario_recall"] > 0).mean() > 0.6


def test_a_clean_world_without_scenarios_generates(tmp_path: Path) -> None:
    store = Store(tmp_path / "clean")
    res = generate(SynthConfig(seed=2, n_persons=220, days=46, scenarios_per_typology=0), store)
    assert res.transactions > 5000 and res.scenarios == 0
    assert store.read(schema.LABELS).empty
