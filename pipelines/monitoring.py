"""Monitoring flows: detect (store -> alerts -> exports) and daily monitoring (ingest + detect).

Thin by design: each task is one library call. No task is cached (``NO_CACHE``): a run
must read the store as it is, and Prefect's default policy would hash every task's inputs
to a cache key, pickling the period's transactions for each task that takes them (at 11.5M
transactions, 1.9 GB each time). Artifacts and logs carry ids and counts only,
never names, identity documents or narratives (a Prefect server is seen by more people than the
store is). Outputs are created readable by their owner only.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from fiu_analytics import evaluation, schema
from fiu_analytics.detection import detect, load_catalog
from fiu_analytics.detection import lifecycle as lc
from fiu_analytics.detection.alerts import alert_table, write_alert_csv
from fiu_analytics.detection.engine import case_period
from fiu_analytics.detection.inputs import load_detection_input, resolve_period, utc
from fiu_analytics.detection.partition import detect_partitioned
from fiu_analytics.detection.windows import month_windows, own_alerts
from fiu_analytics.errors import ConfigError
from fiu_analytics.indicators import DetectionInput
from fiu_analytics.models import (
    ModelCard,
    load_models,
    save_model,
    train_account_model,
    with_feedback,
)
from fiu_analytics.reporting import write_case_package, write_run_report
from fiu_analytics.store import Store
from pipelines.ingest import ingest_flow

DEFAULT_TYPOLOGIES = Path(__file__).resolve().parents[1] / "typologies"


def owner_only_dir(path: str | Path) -> Path:
    """``path`` created if missing, readable by its owner only."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)
    return out


def write_summary(summary: dict[str, Any], out: Path) -> None:
    """``summary.json`` in ``out``, readable by its owner only."""
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str), "utf-8")
    (out / "summary.json").chmod(0o600)


def state_dir(out_dir: str | Path) -> Path:
    """Where the alert register and analyst dispositions live: with the outputs."""
    return Path(out_dir) / "state"


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def load_period(
    data_dir: str, start: str | None, end: str | None, models_dir: str | None = None
) -> DetectionInput:
    data = load_detection_input(Store(data_dir), start, end)
    if models_dir:
        # models are read here, at the edge; the ML-ACCOUNT indicator only looks them up
        data.reference["models"] = load_models(models_dir)
    return data


def raised_before(state: str, start: pd.Timestamp) -> set[tuple[str, int]]:
    """(typology, subject) pairs of the register's alerts of the case period that ends at
    ``start`` (the month before a run that owns ``start`` onwards)."""
    reg = lc.load_register(state)
    if reg.empty:
        return set()
    prev = reg[reg["case_period"] == case_period(start)]
    return set(zip(prev["typology_id"], prev["subject_account_key"].astype(int), strict=True))


@task(cache_policy=NO_CACHE)
def score_typologies(
    data: DetectionInput, typologies_dir: str, profile: str | None
) -> pd.DataFrame:
    return detect(data, load_catalog(Path(typologies_dir), profile=profile))


@task(cache_policy=NO_CACHE)
def apply_function(fn: Any, arg: Any) -> Any:
    """Run one library call on a worker (a partition of the detection)."""
    return fn(arg)


def task_mapper(fn: Any, items: list[Any]) -> list[Any]:
    """Map ``fn`` over ``items`` as Prefect tasks: on the flow's task runner (Dask workers
    when the flow runs with a DaskTaskRunner)."""
    futures = [apply_function.submit(fn, item) for item in items]
    return [f.result() for f in futures]


@task(cache_policy=NO_CACHE)
def apply_lifecycle(
    alerts: pd.DataFrame, state_dir: str, period_end: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Suppress repeat false positives, then reconcile with the alert register."""
    kept, suppressed = lc.suppress(alerts, lc.load_dispositions(state_dir))
    run_time = pd.Timestamp.now(tz="UTC")
    current, register = lc.reconcile(
        lc.load_register(state_dir), kept, run_time, {case_period(period_end)}
    )
    lc.save_register(state_dir, register)
    counts = current["status"].value_counts().to_dict() if len(current) else {}
    closed_now = (
        int(((register["status"] == "closed") & (register["last_seen"] < run_time)).sum())
        if len(register)
        else 0
    )
    return current, {
        "new": counts.get("new", 0),
        "updated": counts.get("updated", 0),
        "unchanged": counts.get("unchanged", 0),
        "closed": closed_now,
        "suppressed": suppressed,
    }


@task(cache_policy=NO_CACHE)
def enrich_alerts(alerts: pd.DataFrame, data: DetectionInput) -> pd.DataFrame:
    """The alert table (evidence totals, counterparties, countries): built once per run for
    both alerts.csv and the report."""
    return alert_table(alerts, data.transactions, data.accounts)


@task(cache_policy=NO_CACHE)
def export_alerts(table: pd.DataFrame, out_dir: str) -> str:
    return str(write_alert_csv(table, Path(out_dir) / "alerts.csv"))


@task(cache_policy=NO_CACHE)
def write_cases(
    alerts: pd.DataFrame, data: DetectionInput, out_dir: str, top_n: int
) -> dict[str, Path]:
    """Case packages (evidence CSV, GraphML, PNG, alert JSON) for the top alerts."""
    cases = Path(out_dir) / "cases"
    cases.mkdir(parents=True, exist_ok=True)
    cases.chmod(0o700)
    top = alerts.sort_values("score", ascending=False).head(top_n)
    return {a["alert_id"]: write_case_package(a, data, cases) for _, a in top.iterrows()}


@task(cache_policy=NO_CACHE)
def write_report(
    summary: dict[str, Any],
    table: pd.DataFrame,
    out_dir: str,
    case_dirs: dict[str, Path],
) -> str:
    return str(write_run_report(summary, table, Path(out_dir), case_dirs=case_dirs))


@task(cache_policy=NO_CACHE)
def evaluate_against_labels(
    alerts: pd.DataFrame, data_dir: str, typologies_dir: str, profile: str | None
) -> list[dict[str, Any]]:
    labels = Store(data_dir).read(schema.LABELS)
    if labels.empty:
        return []
    catalog = load_catalog(Path(typologies_dir), profile=profile)
    return evaluation.scenario_recall(alerts, labels, catalog).to_dict("records")


@flow(name="fiu-detect", log_prints=False)
def detect_flow(
    data_dir: str,
    out_dir: str,
    start: str | None = None,
    end: str | None = None,
    typologies_dir: str = str(DEFAULT_TYPOLOGIES),
    profile: str | None = None,
    partitions: int = 1,
    case_packages: int = 20,
    models_dir: str | None = None,
    lookback_days: float = 0,
    state: str | None = None,
) -> dict[str, Any]:
    """Score every typology over ``[start, end)`` and write ``alerts.csv``, case packages
    for the ``case_packages`` top alerts, ``report.html`` and ``summary.json`` to
    ``out_dir``. Returns the summary (counts per typology, lifecycle counts, recall against
    labels when the store has labels). ``models_dir``: trained models (``fiu train``) that
    the ML-ACCOUNT indicator of the catalog scores with. ``lookback_days``: transactions of
    that many days before ``start`` are read as context, and alerts whose evidence lies
    entirely in them, for a typology and subject the register holds from the month before,
    are left to the run that owned those days (see :mod:`fiu_analytics.detection.windows`).
    ``state``: folder of the alert register and dispositions (default
    ``<out_dir>/state``)."""
    logger = get_run_logger()
    if lookback_days < 0:
        raise ConfigError(f"lookback_days {lookback_days!r}: expected a number of days >= 0")
    if lookback_days and not start:
        raise ConfigError(
            f"lookback_days {lookback_days!r} needs a start: the context is read before it"
        )
    out = owner_only_dir(out_dir)
    state = state or str(state_dir(out_dir))
    own_start = utc(start) if start and lookback_days else None
    context = start
    if own_start is not None:
        context = (own_start - pd.Timedelta(days=lookback_days)).isoformat()
    data = load_period(data_dir, context, end, models_dir)
    logger.info(
        "loaded %d transactions for %s..%s",
        len(data.transactions),
        f"{data.period_start:%Y-%m-%d}",
        f"{data.period_end:%Y-%m-%d}",
    )
    if partitions > 1:
        # account-partitioned: local indicators run as one task per partition (on Dask
        # workers when the flow has a DaskTaskRunner); alerts are the same as in one process
        catalog = load_catalog(Path(typologies_dir), profile=profile)
        raw = detect_partitioned(data, catalog, partitions, mapper=task_mapper)
    else:
        raw = score_typologies(data, typologies_dir, profile)
    if own_start is not None:
        raw = own_alerts(raw, data, own_start, raised_before(state, own_start))
    alerts, lifecycle = apply_lifecycle(raw, state, data.period_end)
    table = enrich_alerts(alerts, data)
    csv_path = export_alerts(table, out_dir)
    recall = evaluate_against_labels(alerts, data_dir, typologies_dir, profile)
    per_typology = alerts.groupby("typology_id").size().to_dict() if len(alerts) else {}
    summary = {
        "period_start": f"{own_start if own_start is not None else data.period_start:%Y-%m-%d}",
        "period_end": f"{data.period_end:%Y-%m-%d}",
        "context_start": f"{data.period_start:%Y-%m-%d}",
        "transactions": len(data.transactions),
        "alerts": len(alerts),
        "alerts_per_typology": {k: int(v) for k, v in per_typology.items()},
        "lifecycle": lifecycle,
        "recall": recall,
        "alerts_csv": csv_path,
        # what could not run, e.g. a model-based typology without a loaded model
        "notes": [*data.cache.get("warnings", []), *data.cache.get("nexus:errors", [])],
    }
    cases = write_cases(alerts, data, out_dir, case_packages) if len(alerts) else {}
    summary["cases"] = str(out / "cases") if cases else None
    summary["report"] = write_report(summary, table, out_dir, cases)
    write_summary(summary, out)
    logger.info("%d alerts (%s) written to %s", len(alerts), lifecycle, csv_path)
    publish_artifacts(summary)
    return summary


@flow(name="fiu-backfill", log_prints=False)
def backfill_flow(
    data_dir: str,
    out_dir: str,
    start: str | None = None,
    end: str | None = None,
    months: int = 1,
    lookback_days: int = 30,
    typologies_dir: str = str(DEFAULT_TYPOLOGIES),
    profile: str | None = None,
    case_packages: int = 5,
    models_dir: str | None = None,
) -> dict[str, Any]:
    """Score ``[start, end)`` window by window (``months`` calendar months each, read with
    ``lookback_days`` of context), one window in memory at a time: a store larger than the
    memory a run may use, or a past year scored as its monthly runs would have scored it.
    Each window is a :func:`detect_flow` run writing to ``<out_dir>/<YYYY-MM>/`` with one
    alert register (``<out_dir>/state``); ``<out_dir>/alerts.csv`` holds every window's
    alerts and ``<out_dir>/summary.json`` the counts per window."""
    logger = get_run_logger()
    out = owner_only_dir(out_dir)
    lo, hi = resolve_period(Store(data_dir), start, end)
    windows = month_windows(lo, hi, months, lookback_days)
    logger.info("%d windows of %d month(s) over %s..%s", len(windows), months, lo, hi)
    runs = []
    for w in windows:
        summary = detect_flow(
            data_dir=data_dir,
            out_dir=str(out / w.label),
            start=w.start.isoformat(),
            end=w.end.isoformat(),
            typologies_dir=typologies_dir,
            profile=profile,
            case_packages=case_packages,
            models_dir=models_dir,
            lookback_days=(w.start - w.context_start) / pd.Timedelta(days=1),
            state=str(state_dir(out_dir)),
        )
        runs.append({"window": w.label, **summary})
    csvs = [Path(r["alerts_csv"]) for r in runs]
    combined = pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in csvs], ignore_index=True
    )
    combined.to_csv(out / "alerts.csv", index=False)
    (out / "alerts.csv").chmod(0o600)
    per_typology = {k: int(v) for k, v in combined["typology_id"].value_counts().items()}
    total = {
        "period_start": f"{lo:%Y-%m-%d}",
        "period_end": f"{hi:%Y-%m-%d}",
        "windows": [
            {k: r[k] for k in ("window", "period_start", "period_end", "context_start")}
            | {"transactions": r["transactions"], "alerts": r["alerts"]}
            for r in runs
        ],
        "alerts": len(combined),
        "alerts_per_typology": per_typology,
        "alerts_csv": str(out / "alerts.csv"),
        "notes": sorted({n for r in runs for n in r.get("notes", [])}),
    }
    write_summary(total, out)
    logger.info("%d alerts over %d windows written to %s", len(combined), len(runs), out)
    return total


def publish_artifacts(summary: dict[str, Any]) -> None:
    """Counts-only artifacts: alerts per typology and a markdown summary."""
    create_table_artifact(
        [{"typology_id": k, "alerts": v} for k, v in summary["alerts_per_typology"].items()],
        key="alerts-per-typology",
        description="Alerts per typology (counts only)",
    )
    lc_counts = summary["lifecycle"]
    lines = [
        f"# Monitoring run {summary['period_start']} to {summary['period_end']}",
        "",
        f"- transactions scored: {summary['transactions']}",
        f"- alerts: {summary['alerts']} (new {lc_counts['new']}, updated "
        f"{lc_counts['updated']}, unchanged {lc_counts['unchanged']}, closed "
        f"{lc_counts['closed']}, suppressed as known false positives "
        f"{lc_counts['suppressed']})",
        f"- alert file: `{summary['alerts_csv']}`",
    ]
    if summary.get("report"):
        lines.append(f"- report: `{summary['report']}`")
    if summary["recall"]:
        lines += ["", "| label typology | scenarios | recall (any alert) |", "|---|---|---|"]
        lines += [
            f"| {r['typology']} | {r['scenarios']} | {r['recall_any']:.2f} |"
            for r in summary["recall"]
        ]
    create_markdown_artifact(
        "\n".join(lines),
        key="monitoring-summary",
        description="Counts only; no names or narratives",
    )


@flow(name="fiu-daily-monitoring", log_prints=False)
def daily_monitoring_flow(
    data_dir: str,
    out_dir: str,
    inbox: str | None = None,
    start: str | None = None,
    end: str | None = None,
    typologies_dir: str = str(DEFAULT_TYPOLOGIES),
    profile: str | None = None,
    dask_address: str | None = None,
    partitions: int = 1,
    models_dir: str | None = None,
) -> dict[str, Any]:
    """Ingest what is waiting in ``inbox`` (if given), then detect and export; detection
    runs on the Dask cluster at ``dask_address`` when given."""
    ingested = ingest_flow(inbox=inbox, data_dir=data_dir) if inbox else None
    summary = with_dask(detect_flow, dask_address)(
        data_dir=data_dir,
        out_dir=out_dir,
        start=start,
        end=end,
        typologies_dir=typologies_dir,
        profile=profile,
        partitions=partitions if dask_address or partitions > 1 else 1,
        models_dir=models_dir,
    )
    summary["ingest"] = ingested
    return summary


@task(cache_policy=NO_CACHE)
def fit_account_model(
    data_dir: str,
    start: str | None,
    end: str | None,
    kind: str,
    budget: int,
    name: str,
    feedback_out_dir: str | None,
) -> tuple[Any, ModelCard]:
    store = Store(data_dir)
    data = load_detection_input(store, start, end)
    labels = store.read(schema.LABELS)
    if feedback_out_dir:
        labels = with_feedback(labels, lc.load_dispositions(state_dir(feedback_out_dir)))
    return train_account_model(
        data, labels, kind=kind, budget=budget, name=name, source=str(store.root)
    )


@task(cache_policy=NO_CACHE)
def save_trained_model(model: Any, card: ModelCard, models_dir: str) -> str:
    return str(save_model(model, card, Path(models_dir) / card.name))


@flow(name="fiu-retrain", log_prints=False)
def retrain_flow(
    data_dir: str,
    models_dir: str,
    start: str | None = None,
    end: str | None = None,
    kind: str = "supervised",
    budget: int = 50,
    name: str = "account_risk",
    feedback_out_dir: str | None = None,
) -> dict[str, Any]:
    """Train the account model on the labelled period ``[start, end)`` (generator or
    research-format labels in the store, plus the analyst dispositions recorded under
    ``feedback_out_dir`` by ``fiu feedback``) and save it with its model card under
    ``models_dir/<name>``; the detect flow scores with it when given ``models_dir``. Returns
    the card as a dict."""
    logger = get_run_logger()
    model, card = fit_account_model(data_dir, start, end, kind, budget, name, feedback_out_dir)
    path = save_trained_model(model, card, models_dir)
    logger.info("model %s saved to %s: %s", card.name, path, card.metrics)
    return {"path": path, **asdict(card)}


def with_dask(flow_obj: Any, address: str | None) -> Any:
    """The flow running its tasks on the Dask cluster at ``address`` (None: unchanged)."""
    if not address:
        return flow_obj
    from prefect_dask import DaskTaskRunner

    return flow_obj.with_options(task_runner=DaskTaskRunner(address=address))
