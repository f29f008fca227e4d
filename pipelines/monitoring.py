"""The monitoring flow: store -> indicators -> typologies -> alerts -> alert CSV (+ evaluation).

Thin by design: each task is one library call. Artifacts and logs carry ids and counts only,
never names, identity documents or narratives (a Prefect server is seen by more people than the
store is).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from fiu_analytics import evaluation, schema
from fiu_analytics.detection import detect, load_catalog
from fiu_analytics.detection.alerts import alert_table, write_alert_csv
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.indicators import DetectionInput
from fiu_analytics.store import Store

DEFAULT_TYPOLOGIES = Path(__file__).resolve().parents[1] / "typologies"


@task(retries=2, retry_delay_seconds=2)
def load_period(data_dir: str, start: str | None, end: str | None) -> DetectionInput:
    return load_detection_input(Store(data_dir), start, end)


@task
def score_typologies(
    data: DetectionInput, typologies_dir: str, profile: str | None
) -> pd.DataFrame:
    return detect(data, load_catalog(Path(typologies_dir), profile=profile))


@task
def export_alerts(alerts: pd.DataFrame, data: DetectionInput, out_dir: str) -> str:
    table = alert_table(alerts, data.transactions, data.accounts)
    return str(write_alert_csv(table, Path(out_dir) / "alerts.csv"))


@task
def evaluate_against_labels(
    alerts: pd.DataFrame, data_dir: str, typologies_dir: str, profile: str | None
) -> list[dict[str, Any]]:
    labels = Store(data_dir).read(schema.LABELS)
    if labels.empty:
        return []
    catalog = load_catalog(Path(typologies_dir), profile=profile)
    return evaluation.scenario_recall(alerts, labels, catalog).to_dict("records")


@flow(name="fiu-monitoring", log_prints=False)
def monitoring_flow(
    data_dir: str,
    out_dir: str,
    start: str | None = None,
    end: str | None = None,
    typologies_dir: str = str(DEFAULT_TYPOLOGIES),
    profile: str | None = None,
) -> dict[str, Any]:
    """Score every typology over ``[start, end)`` and write ``alerts.csv`` and ``summary.json``
    to ``out_dir``. Returns the summary (counts per typology, recall against labels)."""
    logger = get_run_logger()
    data = load_period(data_dir, start, end)
    logger.info(
        "loaded %d transactions for %s..%s",
        len(data.transactions),
        f"{data.period_start:%Y-%m-%d}",
        f"{data.period_end:%Y-%m-%d}",
    )
    alerts = score_typologies(data, typologies_dir, profile)
    csv_path = export_alerts(alerts, data, out_dir)
    recall = evaluate_against_labels(alerts, data_dir, typologies_dir, profile)
    per_typology = alerts.groupby("typology_id").size().to_dict() if len(alerts) else {}
    summary = {
        "period_start": f"{data.period_start:%Y-%m-%d}",
        "period_end": f"{data.period_end:%Y-%m-%d}",
        "transactions": len(data.transactions),
        "alerts": len(alerts),
        "alerts_per_typology": {k: int(v) for k, v in per_typology.items()},
        "recall": recall,
        "alerts_csv": csv_path,
    }
    out = Path(out_dir)
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str), "utf-8")
    (out / "summary.json").chmod(0o600)
    logger.info("%d alerts written to %s", len(alerts), csv_path)
    create_table_artifact(
        [{"typology_id": k, "alerts": v} for k, v in summary["alerts_per_typology"].items()],
        key="alerts-per-typology",
        description="Alerts per typology (counts only)",
    )
    lines = [
        f"# Monitoring run {summary['period_start']} to {summary['period_end']}",
        "",
        f"- transactions scored: {summary['transactions']}",
        f"- alerts: {summary['alerts']}",
        f"- alert file: `{csv_path}`",
    ]
    if recall:
        lines += ["", "| label typology | scenarios | recall (any alert) |", "|---|---|---|"]
        lines += [f"| {r['typology']} | {r['scenarios']} | {r['recall_any']:.2f} |" for r in recall]
    create_markdown_artifact(
        "\n".join(lines),
        key="monitoring-summary",
        description="Counts only; no names or narratives",
    )
    return summary
