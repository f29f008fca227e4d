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


def test_fiu_backfill_scores_month_by_month_into_one_register(
    small_world, tmp_path: Path, capsys
) -> None:
    store, _ = small_world
    out = tmp_path / "backfill"
    argv = ["backfill", "--data-dir", str(store.root), "--out-dir", str(out), "--cases", "1"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    windows = summary["windows"]
    assert len(windows) >= 3 and f"{summary['alerts']} alerts in" in printed
    with open(out / "alerts.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # the combined file is every window's alerts.csv, and the counts add up
    assert len(rows) == summary["alerts"] == sum(w["alerts"] for w in windows) > 0
    assert sum(summary["alerts_per_typology"].values()) == len(rows)
    assert len({r["alert_id"] for r in rows}) == len(rows)
    for w in windows:
        with open(out / w["window"] / "alerts.csv", encoding="utf-8") as fh:
            own = list(csv.DictReader(fh))
        assert len(own) == w["alerts"]
        # each window ends in the month it is named after: its alerts are that month's cases
        assert w["period_start"][:7] == w["window"] and w["context_start"] <= w["period_start"]
    # windows after the first read 30 days of context before their own days
    assert windows[1]["context_start"] < windows[1]["period_start"]
    # one alert register for all windows, beside them
    assert (out / "state").is_dir() and not (out / windows[0]["window"] / "state").exists()


def test_fiu_backfill_refuses_windows_of_no_months(small_world, tmp_path: Path, capsys) -> None:
    store, _ = small_world
    argv = ["backfill", "--data-dir", str(store.root), "--out-dir", str(tmp_path), "--months", "0"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--months must be >= 1 (got 0)" in err and "Traceback" not in err


def test_fiu_backfill_runs_months_without_transactions(tmp_path: Path, capsys) -> None:
    from tests.conftest import REPO

    out = tmp_path / "bf"
    store = REPO / "sample_data" / "store"  # transactions end on 2025-04-02
    argv = ["backfill", "--data-dir", str(store), "--out-dir", str(out), "--cases", "0"]
    argv += ["--start", "2025-03-25", "--end", "2025-05-10", "--lookback-days", "5"]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    windows = {w["window"]: w for w in summary["windows"]}
    assert list(windows) == ["2025-03", "2025-04", "2025-05"]
    assert windows["2025-05"]["transactions"] == 0
    # the April window read 5 days of March as context, not from its own first day only
    assert windows["2025-04"]["context_start"] == "2025-03-27"
    with open(out / "alerts.csv", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == summary["alerts"]


def test_fiu_backfill_and_run_name_a_bad_date(small_world, tmp_path: Path, capsys) -> None:
    store, _ = small_world
    for cmd in ("backfill", "run"):
        argv = [cmd, "--data-dir", str(store.root), "--out-dir", str(tmp_path / cmd)]
        assert main([*argv, "--start", "last tuesday"]) == 2
        err = capsys.readouterr().err
        assert "period start 'last tuesday': expected a date such as 2025-02-01" in err
        assert "Traceback" not in err
