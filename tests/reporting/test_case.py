"""Case packages of the sample's top alerts: evidence, GraphML, picture, alert, permissions."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from PIL import Image

from fiu_analytics.detection.alerts import alert_table
from fiu_analytics.errors import ConfigError
from fiu_analytics.reporting import CASE_FILES, parse_indicators, write_case_package
from tests.graph.sample_run import SampleRun


@pytest.fixture(scope="module")
def packages(
    sample: SampleRun, tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[pd.Series, Path]]:
    out = tmp_path_factory.mktemp("cases")
    top = sample.top_alerts()
    return [(row, write_case_package(row, sample.data, out)) for _, row in top.iterrows()]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_package_has_its_files_readable_by_the_owner_only(packages) -> None:
    for row, folder in packages:
        assert folder.name == row.alert_id
        assert sorted(p.name for p in folder.iterdir()) == sorted(CASE_FILES)
        assert _mode(folder) == 0o700
        assert all(_mode(folder / f) == 0o600 for f in CASE_FILES)


def test_evidence_csv_holds_exactly_the_evidence(packages, sample: SampleRun) -> None:
    ids = sample.data.accounts.set_index("account_key")["account_id"]
    for row, folder in packages:
        ev = pd.read_csv(folder / "evidence.csv")
        assert len(ev) == len(row.evidence_txn_ids)
        assert sorted(ev["txn_id"]) == sorted(row.evidence_txn_ids)
        assert ev["timestamp"].is_monotonic_increasing
        assert ev["src_account"].eq(ev["src_account_key"].map(ids)).all()
        assert ev["dst_account"].eq(ev["dst_account_key"].map(ids)).all()
        assert "narrative" not in ev.columns


def test_graphml_parses_with_subject_and_evidence_totals(packages, sample: SampleRun) -> None:
    tx = sample.data.transactions.set_index("txn_id")
    ids = sample.data.accounts.set_index("account_key")["account_id"]
    for row, folder in packages:
        g = nx.read_graphml(folder / "subgraph.graphml")
        subject = ids[row.subject_account_key]
        assert subject in g and g.nodes[subject]["is_subject"] is True
        assert g.graph["alert_id"] == row.alert_id
        expected = tx.loc[row.evidence_txn_ids, "amount_base"].sum()
        edges = [d for *_, d in g.edges(data=True)]
        assert sum(d["evidence_total"] for d in edges) == pytest.approx(expected, abs=0.05)
        assert sum(d["evidence_count"] for d in edges) == len(row.evidence_txn_ids)
        for d in edges:  # an edge made only of evidence carries exactly the evidence amount
            if d["evidence_count"] == d["count"]:
                assert d["total"] == pytest.approx(d["evidence_total"], abs=0.01)
        assert all("owner_name" not in d for _, d in g.nodes(data=True))


def test_flow_png_is_a_picture_of_reasonable_size(packages) -> None:
    for _, folder in packages:
        path = folder / "flow.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.width >= 800 and image.height >= 500


def test_alert_json_has_the_indicators_and_what_the_package_holds(packages) -> None:
    for row, folder in packages:
        rec = json.loads((folder / "alert.json").read_text("utf-8"))
        assert rec["alert_id"] == row.alert_id
        assert rec["typology_id"] == row.typology_id
        assert rec["typology_version"] == row.typology_version
        assert rec["indicators"] and all(i["reason"] for i in rec["indicators"])
        assert rec["indicators_text"] == row.indicators
        assert rec["evidence"]["count"] == len(row.evidence_txn_ids)
        assert rec["evidence"]["missing_txn_ids"] == []
        assert rec["graph"]["picture_boxes"] <= 40
        assert rec["files"] == list(CASE_FILES)


def test_rewriting_a_package_gives_the_same_bytes(packages, sample: SampleRun, tmp_path) -> None:
    row, folder = packages[0]
    again = write_case_package(row, sample.data, tmp_path)
    for name in CASE_FILES:
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name


def test_a_row_of_the_alert_csv_table_works_too(sample: SampleRun, tmp_path) -> None:
    data = sample.data
    table = alert_table(sample.alerts.head(1), data.transactions, data.accounts)
    folder = write_case_package(table.iloc[0], data, tmp_path, include_names=True)
    ev = pd.read_csv(folder / "evidence.csv")
    assert len(ev) == table.loc[0, "evidence_txn_count"]
    assert {"src_owner_name", "narrative"} <= set(ev.columns)
    g = nx.read_graphml(folder / "subgraph.graphml")
    assert any("owner_name" in d for _, d in g.nodes(data=True))


def test_an_alert_id_that_is_not_a_folder_name_is_refused(sample: SampleRun, tmp_path) -> None:
    row = sample.alerts.iloc[0].copy()
    row["alert_id"] = "../escape"
    with pytest.raises(ConfigError, match="alert_id"):
        write_case_package(row, sample.data, tmp_path)


def test_parse_indicators() -> None:
    text = "GEN-01=8 (8 cash deposits of 80%-100% of 10,000; total 72,854); fan_in=24 (24 senders)"
    assert parse_indicators(text) == [
        {
            "id": "GEN-01",
            "value": 8.0,
            "reason": "8 cash deposits of 80%-100% of 10,000; total 72,854",
        },
        {"id": "fan_in", "value": 24.0, "reason": "24 senders"},
    ]
    assert parse_indicators("") == []
