"""The monitoring flow end to end through the CLI, on Prefect's embedded server."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from fiu_analytics.detection.alerts import ALERT_CSV_COLUMNS
from pipelines.cli import main


def test_fiu_run_writes_alerts_and_summary(small_world, tmp_path: Path, capsys) -> None:
    store, _ = small_world
    out = tmp_path / "out"
    assert main(["run", "--data-dir", str(store.root), "--out-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Alerts per typology" in printed and "Scenario recall" in printed
    with open(out / "alerts.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and list(rows[0]) == ALERT_CSV_COLUMNS
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    assert {r["typology_id"] for r in rows} >= {"TY-STRUCTURING", "TY-FAN-IN"}
    summary = json.loads((out / "summary.json").read_text())
    recall = {r["typology"]: r for r in summary["recall"]}
    assert recall["GEN-01"]["recall_intended"] == 1.0
    assert sum(summary["alerts_per_typology"].values()) == len(rows)
    # a model-based typology without a model says so instead of failing silently
    assert any("no model 'account_risk' loaded" in n for n in summary["notes"])
    assert "Note: ML-ACCOUNT" in printed
    assert (out / "alerts.csv").stat().st_mode & 0o077 == 0
    # a rerun gives the same alert ids (stable across runs)
    out2 = tmp_path / "out2"
    assert main(["run", "--data-dir", str(store.root), "--out-dir", str(out2)]) == 0
    with open(out2 / "alerts.csv", encoding="utf-8") as fh:
        assert {r["alert_id"] for r in csv.DictReader(fh)} == {r["alert_id"] for r in rows}


def test_fiu_run_on_a_missing_store_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["run", "--data-dir", str(tmp_path / "nope"), "--out-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no store here" in err and "Traceback" not in err


def test_alert_csv_documentation_is_current() -> None:
    from fiu_analytics.detection.alerts import alert_csv_markdown
    from tests.conftest import REPO

    assert (REPO / "docs" / "alerts-csv.md").read_text(encoding="utf-8") == alert_csv_markdown()


def test_fiu_evaluate_reports_every_typology(small_world, tmp_path: Path, capsys) -> None:
    store, _ = small_world
    out = tmp_path / "scores.csv"
    assert main(["evaluate", "--data-dir", str(store.root), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "TY-STRUCTURING" in printed and "scenario_recall" in printed
    with open(out, encoding="utf-8") as fh:
        rows = {r["typology_id"]: r for r in csv.DictReader(fh)}
    assert float(rows["TY-STRUCTURING"]["scenario_recall"]) == 1.0
    assert main(["evaluate", "--data-dir", str(tmp_path / "none")]) == 2
