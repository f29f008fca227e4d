"""Ingest end to end: nothing lost, nothing doubled, counts that add up, clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fiu_analytics import schema
from fiu_analytics.ingest import Ingestor
from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate
from fiu_analytics.synth.export import export_sinks
from tests.conftest import REPO, SHARED_SAMPLES

HEADER = [
    "txn_id",
    "timestamp",
    "amount",
    "currency",
    "channel",
    "src_account",
    "dst_account",
    "reporter_id",
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path]:
    root = tmp_path_factory.mktemp("gen")
    sinks, close = export_sinks(root / "reports", ["goaml", "csv"])
    store = Store(root / "truth")
    generate(
        SynthConfig(
            seed=8,
            n_persons=250,
            days=46,
            scenarios_per_typology=0,
            scenario_mix={"GEN-01": 1, "NX-04": 1},
        ),
        store,
        sinks=sinks,
    )
    close()
    return store, root / "reports"


def _balanced(report) -> None:
    for f in report.files:
        assert f.read == f.stored + f.quarantined + f.duplicates, f


def test_generated_goaml_round_trip_and_idempotent_reingest(generated, tmp_path: Path) -> None:
    truth, reports = generated
    store = Store(tmp_path / "s")
    goaml = sorted((reports / "goaml").rglob("*.xml"))
    first = Ingestor(store).ingest(goaml)
    assert first.ok, [f.error for f in first.files]
    _balanced(first)
    refs = store.read(schema.TXN_REPORTS)
    expected = set(truth.read_transactions(columns=["txn_id"])["txn_id"])
    assert expected <= set(refs["txn_ref"])  # every generated transaction was reported
    stored = store.read_transactions()
    assert stored["txn_id"].is_unique
    # both sides of an interbank wire: one transaction, two linked reports
    linked = refs[refs["linked_as"] == "duplicate"]
    assert len(linked) > 100
    assert linked["txn_id"].isin(stored["txn_id"]).all()
    per_txn = refs.groupby("txn_id")["reporter_id"].nunique()
    assert (per_txn[linked["txn_id"].unique()] == 2).all()
    assert len(stored) + len(linked) == len(refs)
    # the quarantine is empty for clean generated files, and amounts survived exactly
    assert store.read(schema.QUARANTINE).empty
    t = truth.read_transactions(columns=["txn_id", "amount"]).set_index("txn_id")["amount"]
    got = refs[refs["linked_as"] == "stored"].merge(stored[["txn_id", "amount"]], on="txn_id")
    assert (got.set_index("txn_ref")["amount"] - t.reindex(got["txn_ref"])).abs().max() < 0.005
    # ingesting the same files again adds nothing
    rows_before = {t: len(store.read(t)) for t in ("transactions", "accounts", "parties")}
    again = Ingestor(store).ingest(goaml)
    _balanced(again)
    assert sum(f.stored for f in again.files) == 0
    assert sum(f.duplicates for f in again.files) == sum(f.read for f in again.files)
    assert {t: len(store.read(t)) for t in rows_before} == rows_before


def test_csv_export_links_to_the_goaml_reports(generated, tmp_path: Path) -> None:
    _, reports = generated
    store = Store(tmp_path / "s")
    Ingestor(store).ingest(sorted((reports / "goaml").rglob("*.xml")))
    rep = Ingestor(store).ingest([reports / "transactions.csv"])
    (f,) = rep.files
    assert f.format == "fiu_csv" and f.error is None
    _balanced(rep)
    # MSB remittances reported by the MSB as walk-in customers name no bank account, so their
    # CSV rows (with accounts) cannot be linked by content: they are the only ones stored anew
    assert f.stored <= 0.05 * f.read and f.linked_reports + f.stored == f.read


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)


def test_bad_records_are_quarantined_with_where_and_why(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    _write_csv(
        path,
        [
            ["A1", "2025-01-03T10:00:00Z", "120.50", "USD", "wire", "B1/1", "B1/2", "B1"],
            ["A2", "not-a-date", "10", "USD", "wire", "B1/1", "B1/2", "B1"],
            ["A3", "2025-01-03T11:00:00Z", "-5", "USD", "wire", "B1/1", "B1/2", "B1"],
            ["A4", "2025-01-03T12:00:00Z", "10", "ZZZ", "wire", "B1/1", "B1/2", "B1"],
            ["A5", "2025-01-03T13:00:00Z", "10", "EUR", "wire", "B1/1", "B1/3", "B1"],
        ],
    )
    store = Store(tmp_path / "s")
    rep = Ingestor(store).ingest([path])
    (f,) = rep.files
    assert (f.read, f.stored, f.quarantined, f.duplicates) == (5, 2, 3, 0)
    q = store.read(schema.QUARANTINE).set_index("locator")
    assert set(q.index) == {"line 3", "line 4", "line 5"}
    assert q.loc["line 3", "field"] == "timestamp" and "not-a-date" in str(q.loc["line 3", "value"])
    assert q.loc["line 4", "field"] == "amount"
    assert q.loc["line 5", "field"] == "currency" and "ZZZ" in q.loc["line 5", "reason"]
    assert (q["source_file"] == str(path)).all()
    eur = store.read_transactions().set_index("txn_id").loc["B1-A5"]
    assert eur["currency"] == "EUR" and 10 < eur["amount_base"] < 12  # dated sample FX rate


def test_a_malformed_file_fails_alone(tmp_path: Path) -> None:
    good = tmp_path / "a.csv"
    _write_csv(good, [["A1", "2025-01-03T10:00:00Z", "1", "USD", "wire", "B/1", "B/2", "B"]])
    broken = tmp_path / "b.xml"
    broken.write_text("<report><rentity_id>1</rentity_id><transaction><transactionnumber>")
    store = Store(tmp_path / "s")
    rep = Ingestor(store).ingest([good, broken])
    errors = {Path(f.path).name: f.error for f in rep.files}
    assert errors["a.csv"] is None
    assert "b.xml" in errors["b.xml"] and "line" in errors["b.xml"]
    assert len(store.read_transactions()) == 1 and len(store.batches()) == 1


def test_real_samples_ingest(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    rep = Ingestor(store).ingest(
        [
            SHARED_SAMPLES / "iso20022" / "prowide_pacs.008.001.07.xml",
            SHARED_SAMPLES / "un_sanctions" / "un_consolidated_excerpt_2018-10-29.xml",
        ]
    )
    assert rep.ok, [f.error for f in rep.files]
    _balanced(rep)
    tx = store.read_transactions()
    assert len(tx) == 1 and tx["amount"].iloc[0] == 5000 and tx["currency"].iloc[0] == "USD"
    d = store.read(schema.DESIGNATIONS)
    assert {"QDi.299", "QDe.115", "SOe.001"} <= set(d["reference_number"])


def test_sample_reports_ingest_cleanly(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    rep = Ingestor(store).ingest([REPO / "sample_data" / "reports"])
    assert rep.ok, [f.error for f in rep.files]
    _balanced(rep)
    assert {f.format for f in rep.files} == {"goaml", "fiu_csv"}
    assert store.read(schema.QUARANTINE).empty


def test_entity_resolution_merges_on_documents_and_records_why(tmp_path: Path) -> None:
    from fiu_analytics.ingest.records import AccountRecord, PartyRecord, TxnRecord

    def rec(i: int, name: str, doc: str | None, dob: str | None, acct: str, rep: str):
        owner = PartyRecord(
            "person", name, id_document=doc, birth_date=pd.Timestamp(dob).date() if dob else None
        )
        return TxnRecord(
            "x.src",
            f"rec {i}",
            rep,
            "R1",
            f"T{i}",
            pd.Timestamp("2025-01-02", tz="UTC"),
            10.0,
            "USD",
            "wire",
            AccountRecord(rep, acct, owner=owner),
            AccountRecord("BANKZ", "999"),
        )

    records = [
        rec(1, "Ana Lopez", "P123", None, "1", "BANKA"),
        rec(2, "LOPEZ, Ana", "p-123", None, "2", "BANKB"),  # same passport
        rec(3, "Ana López", None, "1990-01-01", "3", "BANKC"),  # no document
        rec(4, "Ana Lopez", None, "1990-01-01", "4", "BANKD"),
    ]  # name + birth date
    store = Store(tmp_path / "s")
    ing = Ingestor(store)
    from fiu_analytics.ingest.pipeline import FileReport

    fr = FileReport("x.src", "test")
    ing._ingest_file(Path("x.src"), lambda _p: iter(records), fr)
    parties = store.read(schema.PARTIES)
    matches = store.read(schema.PARTY_MATCHES)
    accounts = store.read(schema.ACCOUNTS).set_index("account_id")
    owner = {
        a: accounts.loc[a, "owner_party_id"] for a in ("BANKA/1", "BANKB/2", "BANKC/3", "BANKD/4")
    }
    assert owner["BANKA/1"] == owner["BANKB/2"]  # passport, despite the name written otherwise
    assert owner["BANKC/3"] == owner["BANKD/4"]  # accent-free name + birth date
    assert owner["BANKA/1"] != owner["BANKC/3"]  # no shared key: not merged on name alone
    assert set(matches["matched_on"]) >= {"new", "id_document", "name+birth_date"}
    assert len(parties) == 2  # the two Anas; the anonymous BANKZ side names no party


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from(["good", "bad_amount", "bad_date", "dup"]), min_size=1, max_size=40)
)
def test_counts_add_up_and_reingest_is_idempotent(tmp_path_factory, kinds: list[str]) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    rows: list[list[str]] = []
    bad: list[bool] = []
    for i, k in enumerate(kinds):
        base = [
            f"R{i}",
            f"2025-01-{1 + i % 28:02d}T10:00:00Z",
            f"{10 + i}.00",
            "USD",
            "wire",
            f"B/{i % 7}",
            f"B/{100 + i % 5}",
            "B",
        ]
        is_bad = False
        if k == "bad_amount":
            base[2], is_bad = "ten", True
        elif k == "bad_date":
            base[1], is_bad = "2025-13-45", True
        elif k == "dup" and rows:
            base, is_bad = list(rows[-1]), bad[-1]  # the same record reported again
        rows.append(base)
        bad.append(is_bad)
    path = tmp / "p.csv"
    _write_csv(path, rows)
    store = Store(tmp / "s")
    rep = Ingestor(store).ingest([path])
    (f,) = rep.files
    assert f.read == len(rows) == f.stored + f.quarantined + f.duplicates
    assert f.quarantined == sum(bad)
    assert f.stored == len({tuple(r) for r, b in zip(rows, bad, strict=True) if not b})
    assert len(store.read_transactions()) == f.stored
    again = Ingestor(store).ingest([path])
    (g,) = again.files
    assert g.stored == 0 and g.read == g.quarantined + g.duplicates
    assert len(store.read_transactions()) == f.stored
