"""The ``fiu`` command line.

Unix habits: subcommands, ``--help`` that teaches, logs on stderr, results on stdout, non-zero
exit on failure. Bad input is reported as one clear message (no traceback); ``--debug`` shows
the traceback for developers.

Examples::

    fiu generate --preset sample --seed 7 --data-dir fiu-data --export goaml,csv
    fiu run --data-dir sample_data/store --out-dir output/demo
    fiu typologies list
    fiu schema > docs/data-dictionary.md
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from fiu_analytics.errors import ConfigError, FiuError

log = logging.getLogger("fiu")
REPO = Path(__file__).resolve().parents[1]
DEFAULTS: dict[str, Any] = {
    "data_dir": "fiu-data",
    "out_dir": "output",
    "typologies_dir": str(REPO / "typologies"),
    "profile": None,
    "inbox": None,
    "dask_address": None,
    "models_dir": None,
}


def load_config(path: str | None) -> dict[str, Any]:
    """Defaults, overlaid by ``fiu.yaml`` (or ``--config``), overlaid later by options."""
    cfg = dict(DEFAULTS)
    candidate = Path(path) if path else Path("fiu.yaml")
    if path and not candidate.exists():
        raise ConfigError(f"{candidate}: config file not found")
    if candidate.exists():
        doc = yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
        if not isinstance(doc, dict):
            raise ConfigError(f"{candidate}: expected a mapping of settings")
        unknown = set(doc) - set(DEFAULTS) - {"schedules", "prefect"}
        if unknown:
            raise ConfigError(
                f"{candidate}: unknown setting(s) {sorted(unknown)}; expected {sorted(DEFAULTS)}"
            )
        cfg.update(doc)
    return cfg


def _prefect_defaults(out_dir: Path) -> None:
    """Embedded Prefect defaults for a one-off run: no telemetry, a local PREFECT_HOME."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_HOME", str((Path.home() / ".prefect").resolve()))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


# -- commands -------------------------------------------------------------------------------
def cmd_generate(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    from tqdm import tqdm

    from fiu_analytics.store import Store
    from fiu_analytics.synth import SynthConfig, generate

    overrides = {
        k: v
        for k, v in {
            "seed": args.seed,
            "n_persons": args.persons,
            "days": args.days,
            "start": args.start,
            "scenarios_per_typology": args.scenarios,
        }.items()
        if v is not None
    }
    if args.mix:
        overrides["scenario_mix"] = {
            k: int(v) for k, v in (item.split("=", 1) for item in args.mix.split(","))
        }
    sc = SynthConfig.preset(args.preset, **overrides)
    data_dir = Path(args.data_dir or cfg["data_dir"])
    if data_dir.exists() and any(data_dir.iterdir()):
        if not args.overwrite:
            raise ConfigError(f"{data_dir}: not empty; pass --overwrite to replace it")
        import shutil

        shutil.rmtree(data_dir)
    sinks, close = [], None
    formats = [f for f in (args.export or "").split(",") if f]
    if formats:
        from fiu_analytics.synth.export import export_sinks

        sinks, close = export_sinks(
            Path(args.export_dir or data_dir.parent / f"{data_dir.name}-reports"), formats
        )
    list_path = Path(args.list_path) if args.list_path else data_dir / "designated_list.xml"
    with tqdm(unit=" txn", unit_scale=True, disable=args.quiet or None, file=sys.stderr) as bar:
        result = generate(
            sc, Store(data_dir), list_path=list_path, sinks=sinks, progress=bar.update
        )
    if close:
        close()
    print(
        json.dumps(
            {
                "data_dir": str(data_dir),
                "transactions": result.transactions,
                "accounts": result.accounts,
                "scenarios": result.scenarios,
                "seconds": round(result.seconds, 2),
                "designated_list": str(list_path),
                "rate_txn_per_s": round(result.transactions / result.seconds),
            },
            indent=1,
        )
    )
    return 0


def cmd_ingest(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    from tqdm import tqdm

    from fiu_analytics.ingest.fx import FxTable
    from fiu_analytics.ingest.pipeline import Ingestor
    from fiu_analytics.store import Store

    store = Store(args.data_dir or cfg["data_dir"])
    fx = FxTable.from_csv(args.fx) if args.fx else None
    with tqdm(unit=" rec", unit_scale=True, disable=args.quiet or None, file=sys.stderr) as bar:
        ing = Ingestor(store, fx=fx, progress=bar.update)
        report = ing.ingest(
            [Path(p) for p in args.paths],
            fmt=args.format,
            mapping=Path(args.mapping) if args.mapping else None,
        )
    table = report.table()
    cols = [
        "path",
        "format",
        "read",
        "stored",
        "quarantined",
        "duplicates",
        "linked_reports",
        "new_accounts",
        "new_parties",
        "labels",
    ]
    print(table[cols].to_string(index=False))
    for f in report.files:
        if f.error:
            print(f"fiu: error: {f.error}", file=sys.stderr)
    totals = table[["read", "stored", "quarantined", "duplicates"]].sum()
    print(
        f"\ntotal: read {totals['read']} = stored {totals['stored']} + quarantined "
        f"{totals['quarantined']} + duplicates {totals['duplicates']}; "
        f"{sum(1 for f in report.files if f.error)} file(s) failed"
    )
    return 0 if report.ok else 1


def _flow_dirs(args: argparse.Namespace, cfg: dict[str, Any]) -> tuple[Path, Path]:
    """``(data_dir, out_dir)`` of a detection command: the store must exist; the output
    folder is created readable by its owner only, with Prefect's embedded defaults."""
    out_dir = Path(args.out_dir or cfg["out_dir"])
    data_dir = Path(args.data_dir or cfg["data_dir"])
    if not (data_dir / "manifest.json").exists():
        raise ConfigError(
            f"{data_dir}: no store here (no manifest.json); pass --data-dir or run "
            "`fiu generate` first"
        )
    from fiu_analytics.detection.inputs import resolve_period
    from fiu_analytics.store import Store

    # a bad --start/--end is an error here, before a flow starts (and logs its own)
    resolve_period(Store(data_dir), args.start, args.end)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_dir.chmod(0o700)
    _prefect_defaults(out_dir)
    return data_dir, out_dir


def cmd_run(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    data_dir, out_dir = _flow_dirs(args, cfg)
    from pipelines.monitoring import daily_monitoring_flow

    inbox = args.inbox or cfg.get("inbox")
    dask_address = args.dask_address or cfg.get("dask_address")
    summary = daily_monitoring_flow(
        data_dir=str(data_dir),
        out_dir=str(out_dir),
        inbox=inbox,
        dask_address=dask_address,
        partitions=args.partitions or (4 if dask_address else 1),
        start=args.start,
        end=args.end,
        typologies_dir=args.typologies or cfg["typologies_dir"],
        profile=args.profile or cfg["profile"],
        models_dir=args.models or cfg.get("models_dir"),
    )
    print(format_summary(summary))
    return 0


def cmd_backfill(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    if args.months < 1 or args.lookback_days < 0:
        raise ConfigError(
            f"--months must be >= 1 (got {args.months}) and --lookback-days >= 0 "
            f"(got {args.lookback_days})"
        )
    data_dir, out_dir = _flow_dirs(args, cfg)
    from pipelines.monitoring import backfill_flow

    summary = backfill_flow(
        data_dir=str(data_dir),
        out_dir=str(out_dir),
        start=args.start,
        end=args.end,
        months=args.months,
        lookback_days=args.lookback_days,
        typologies_dir=args.typologies or cfg["typologies_dir"],
        profile=args.profile or cfg["profile"],
        case_packages=args.cases,
        models_dir=args.models or cfg.get("models_dir"),
    )
    for w in summary["windows"]:
        print(
            f"{w['window']}: {w['period_start']}..{w['period_end']} (context from "
            f"{w['context_start']}), {w['transactions']:,} transactions read, "
            f"{w['alerts']} alerts"
        )
    print(f"{summary['alerts']} alerts in {summary['alerts_csv']}")
    for n in summary["notes"]:
        print(f"note: {n}")
    return 0


def cmd_train(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    from fiu_analytics import schema
    from fiu_analytics.detection.inputs import load_detection_input
    from fiu_analytics.models import save_model, train_account_model
    from fiu_analytics.store import Store

    store = Store(args.data_dir or cfg["data_dir"])
    if not store.exists():
        raise ConfigError(f"{store.root}: no store here")
    data = load_detection_input(store, args.start, args.end)
    labels = store.read(schema.LABELS)
    if args.feedback:
        from fiu_analytics.detection import lifecycle as lc
        from fiu_analytics.models import with_feedback
        from pipelines.monitoring import state_dir

        dispositions = lc.load_dispositions(state_dir(args.feedback))
        labels = with_feedback(labels, dispositions)
        print(f"with {len(dispositions)} analyst disposition(s) from {args.feedback}")
    model, card = train_account_model(
        data,
        labels,
        kind=args.kind,
        budget=args.budget,
        name=args.name,
        source=str(store.root),
    )
    models = Path(args.models or cfg.get("models_dir") or "models")
    out = save_model(model, card, models / args.name)
    print(f"model {card.name} ({card.kind}) saved to {out}")
    print(f"  trained on {card.data['accounts']} accounts, {card.data['transactions']} txns")
    print(f"  alert threshold {card.threshold:.4f} for a budget of {card.budget} alerts")
    for k, v in card.metrics.items():
        print(f"  {k}: {v}")
    return 0


def cmd_score(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    from fiu_analytics.detection.inputs import load_detection_input
    from fiu_analytics.models import load_model, score_store
    from fiu_analytics.store import Store

    store = Store(args.data_dir or cfg["data_dir"])
    if not store.exists():
        raise ConfigError(f"{store.root}: no store here")
    model, card = load_model(args.model)
    data = load_detection_input(store, args.start, args.end)
    scores = score_store(model, card, data, budget=args.budget)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    scores.to_csv(out, index=False)
    n = int(scores["alerted"].sum())
    print(f"{len(scores)} accounts scored with {card.name}; {n} above the threshold; {out}")
    print(scores.head(10)[["account_id", "score", "explanation"]].to_string(index=False))
    return 0


def cmd_serve(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    _prefect_defaults(Path(cfg["out_dir"]))
    from pipelines.serve import serve

    if args.data_dir:
        cfg["data_dir"] = args.data_dir
    if args.out_dir:
        cfg["out_dir"] = args.out_dir
    try:
        serve(cfg, port=args.port)
    except KeyboardInterrupt:
        print("fiu serve: stopped; schedules are paused until served again", file=sys.stderr)
    return 0


def cmd_evaluate(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    import pandas as pd

    from fiu_analytics import schema
    from fiu_analytics.detection import detect, load_catalog
    from fiu_analytics.detection.inputs import load_detection_input
    from fiu_analytics.evaluation import typology_scores
    from fiu_analytics.store import Store

    store = Store(args.data_dir or cfg["data_dir"])
    if not store.exists():
        raise ConfigError(f"{store.root}: no store here")
    catalog = load_catalog(
        Path(args.typologies or cfg["typologies_dir"]), profile=args.profile or cfg["profile"]
    )
    labels = store.read(schema.LABELS)
    if labels.empty:
        raise ConfigError(f"{store.root}: the store has no labels to evaluate against")
    data = load_detection_input(store, args.start, args.end)
    alerts = detect(data, catalog)
    scores = typology_scores(alerts, labels, catalog, n_accounts=len(data.accounts))
    pd.set_option("display.width", 200)
    cols = [
        "typology_id",
        "labels",
        "scenarios",
        "scenario_recall",
        "alerted_accounts",
        "precision",
        "precision_strict",
        "account_recall",
        "f1",
    ]
    print(scores[cols].to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    if args.baseline:
        base = Store(args.baseline)
        bdata = load_detection_input(base)
        balerts = detect(bdata, catalog)
        n = balerts["subject_account_key"].nunique() if len(balerts) else 0
        print(
            f"\nclean baseline {base.root}: {n} of {len(bdata.accounts)} accounts alerted "
            f"({n / max(len(bdata.accounts), 1):.3%})"
        )
        if n:
            print(balerts.groupby("typology_id").size().to_string())
    if args.output:
        scores.to_csv(args.output, index=False)
    if args.model:
        _compare_with_model(args, store, data, alerts, labels)
    return 0


def _compare_with_model(
    args: argparse.Namespace, store: Any, data: Any, alerts: Any, labels: Any
) -> None:
    """`fiu evaluate --model`: rules, the model and both, side by side."""
    import pandas as pd

    from fiu_analytics.evaluation import compare_methods
    from fiu_analytics.models import load_model, score_store

    model, card = load_model(args.model)
    scored = score_store(model, card, data, explain_top=0)
    cut = float(scored["threshold"].iloc[0]) if len(scored) else float("inf")
    ml_id = "TY-ML-ACCOUNT"
    rules = alerts[alerts["typology_id"] != ml_id] if len(alerts) else alerts
    cmp = compare_methods(
        data.accounts["account_key"],
        labels,
        data.transactions,
        rules,
        scored.set_index("account_key")["score"],
        cut,
        budget=args.budget,
    )
    fmt = {"float_format": lambda x: f"{x:.3f}", "index": False}
    print(f"\nrules, {card.name} (threshold {cut:.4g}) and both, per account:")
    print(cmp.accounts.to_string(**fmt))
    print("\nscenario recall per label typology, at those operating points:")
    print(cmp.recall.to_string(**fmt))
    print("\nper transaction (flagged when both accounts are alerted; positive: labelled):")
    print(cmp.transactions.to_string(**fmt))
    if args.methods_output:
        out = pd.concat(
            [cmp.accounts.assign(level="account"), cmp.transactions.assign(level="transaction")]
        )
        out.to_csv(args.methods_output, index=False)


def cmd_feedback(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    import pandas as pd

    from fiu_analytics.detection import lifecycle as lc
    from pipelines.monitoring import state_dir

    out_dir = Path(args.out_dir or cfg["out_dir"])
    disp = lc.read_dispositions(args.file)
    rows = lc.apply_feedback(state_dir(out_dir), disp, pd.Timestamp.now(tz="UTC"))
    counts = disp["disposition"].value_counts().to_dict()
    print(
        f"recorded {len(disp)} disposition(s) {counts}; {len(rows)} in the register. "
        "False positives are suppressed in later runs of the same typology version; all "
        "dispositions are available as analyst labels for training."
    )
    return 0


def format_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"Period {summary['period_start']} to {summary['period_end']}: "
        f"{summary['transactions']:,} transactions, {summary['alerts']} alerts",
        "",
        "Alerts per typology:",
    ]
    for k, v in sorted(summary["alerts_per_typology"].items()):
        lines.append(f"  {k:<28} {v:>6}")
    if summary["recall"]:
        lines += [
            "",
            "Scenario recall against labels (a scenario is found when an alert names "
            "one of its core accounts):",
            f"  {'label typology':<16} {'scenarios':>9} {'any alert':>10} "
            f"{'intended':>9}  intended typologies",
        ]
        for r in summary["recall"]:
            ri = r["recall_intended"]
            ri = None if ri is None or ri != ri else ri  # NaN from pandas means "none"
            lines.append(
                f"  {r['typology']:<16} {r['scenarios']:>9} {r['recall_any']:>10.2f} "
                f"{'-' if ri is None else f'{ri:.2f}':>9}  "
                f"{r['intended_typologies'] or '(none yet)'}"
            )
    for note in summary.get("notes") or []:
        lines += ["", f"Note: {note}"]
    lcc = summary.get("lifecycle")
    if lcc:
        lines += ["", "Since the last run: " + ", ".join(f"{k} {v}" for k, v in lcc.items())]
    lines += [
        "",
        f"Alerts: {summary['alerts_csv']}",
        f"Report: {summary.get('report')}",
        f"Case packages (evidence CSV, GraphML, PNG) for the top alerts: {summary.get('cases')}",
        f"Summary: {Path(summary['alerts_csv']).parent / 'summary.json'}",
    ]
    return "\n".join(lines)


def cmd_typologies(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    from fiu_analytics.detection import load_catalog

    folder = Path(args.typologies or cfg["typologies_dir"])
    catalog = load_catalog(folder, profile=args.profile, include_deprecated=True)
    if args.action == "list":
        for t in catalog:
            inds = ",".join(u.id for u in t.indicators)
            print(f"{t.id:<20} {t.version:<8} {t.status:<13} {t.level:<8} {inds:<30} {t.title}")
    else:
        print(f"{len(catalog)} typologies in {folder}: all valid")
    return 0


def cmd_schema(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    from fiu_analytics.schema import data_dictionary_markdown

    sys.stdout.write(data_dictionary_markdown())
    return 0


def cmd_store(args: argparse.Namespace, cfg: dict[str, Any]) -> int:
    from fiu_analytics.store import Store

    store = Store(args.data_dir or cfg["data_dir"])
    if not store.exists():
        raise ConfigError(f"{store.root}: no store here")
    rng = store.time_range()
    info = {
        "root": str(store.root),
        "batches": len(store.batches()),
        "time_range": [str(t) for t in rng] if rng else None,
        "rows": {},
    }
    for b in store.batches():
        for k, v in b["rows"].items():
            info["rows"][k] = info["rows"].get(k, 0) + v
    print(json.dumps(info, indent=1))
    return 0


def _detection_args(p: argparse.ArgumentParser, out_help: str) -> None:
    """Options of the commands that score a period of the store (run, backfill)."""
    p.add_argument("--data-dir", help="store to read")
    p.add_argument("--out-dir", help=out_help)
    p.add_argument("--start", help="first day of the period (default: store's first day)")
    p.add_argument("--end", help="day after the period (default: after the store's last day)")
    p.add_argument("--typologies", help="typology catalog folder")
    p.add_argument("--profile", help="jurisdiction profile in <typologies>/profiles/")
    p.add_argument("--models", help="folder of trained models (fiu train) for TY-ML-ACCOUNT")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fiu",
        description="fiu-analytics: find money flows from human trafficking that "
        "finance terrorism. Settings come from --config (or ./fiu.yaml), then options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument("--config", help="YAML settings file (default: ./fiu.yaml if present)")
    p.add_argument("-v", "--verbose", action="store_true", help="more logging on stderr")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = sub.add_parser(
        "generate",
        help="generate a synthetic world with ground truth",
        description="Generate a synthetic FIU dataset straight into a store, "
        "optionally also as real-format files (goAML XML, CSV).",
    )
    g.add_argument(
        "--preset",
        default="sample",
        help="size preset: sample, small, 1m, 3m, 10m, clean (no scenarios)",
    )
    g.add_argument("--seed", type=int)
    g.add_argument("--persons", type=int, help="number of persons (overrides the preset)")
    g.add_argument("--days", type=int, help="length of the period in days")
    g.add_argument("--start", help="first day, YYYY-MM-DD")
    g.add_argument("--scenarios", type=int, help="scenarios per typology")
    g.add_argument("--mix", help="per-typology counts, e.g. NX-04=10,HTSE=0")
    g.add_argument("--data-dir", help="store to create")
    g.add_argument("--overwrite", action="store_true", help="replace a non-empty data dir")
    g.add_argument("--export", help="also write real formats: goaml,csv")
    g.add_argument("--export-dir", help="where real-format files go")
    g.add_argument("--list-path", help="where the synthetic UN-format list goes")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    g.set_defaults(func=cmd_generate)

    i = sub.add_parser(
        "ingest",
        help="ingest report files into the store",
        description="Ingest goAML XML, ISO 20022 pacs.008, CSV (with a column mapping), "
        "AMLworld and AMLSim research data and the UN Consolidated List. Formats are "
        "detected from content; every record is stored, quarantined with its reason, or "
        "counted as a duplicate, and the counts are printed per file.",
    )
    i.add_argument("paths", nargs="+", help="files or folders")
    i.add_argument("--data-dir", help="store to write")
    i.add_argument(
        "--format",
        choices=["goaml", "pacs008", "csv", "amlworld", "amlsim", "un_list"],
        help="force a format instead of detecting it",
    )
    i.add_argument("--mapping", help="goAML code-list mapping or CSV column mapping (YAML)")
    i.add_argument("--fx", help="dated FX table CSV (date,currency,usd_per_unit)")
    i.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    i.set_defaults(func=cmd_ingest)

    r = sub.add_parser(
        "run",
        help="run the monitoring flow once (embedded Prefect server)",
        description="Score every typology over a period of the store and write "
        "alerts.csv and summary.json; prints alerts per typology and recall "
        "against labels when the store has labels.",
    )
    _detection_args(r, "where alerts.csv and summary.json go")
    r.add_argument("--inbox", help="folder of new report files to ingest first")
    r.add_argument(
        "--dask-address",
        help="run detection on an existing Dask cluster (e.g. tcp://10.0.0.5:8786), "
        "partitioned by account",
    )
    r.add_argument("--partitions", type=int, help="account partitions (default 4 with Dask)")
    r.set_defaults(func=cmd_run)

    bf = sub.add_parser(
        "backfill",
        help="score a long period window by window (stores larger than memory)",
        description="Score [start, end) as a sequence of windows of --months calendar "
        "months, each read with --lookback-days of context before it and released before "
        "the next: memory is that of one window, whatever the store's size. Each window "
        "writes <out-dir>/<YYYY-MM>/ (alerts.csv, cases, report.html, summary.json); "
        "<out-dir>/alerts.csv holds them all (rank is within each window). An alert whose "
        "evidence lies entirely in the context, for a typology and subject the window "
        "before raised, is that window's and is not repeated.",
    )
    _detection_args(bf, "where the windows' outputs go")
    bf.add_argument("--months", type=int, default=1, help="calendar months per window")
    bf.add_argument(
        "--lookback-days", type=int, default=30, help="days read before each window (context)"
    )
    bf.add_argument("--cases", type=int, default=5, help="case packages per window")
    bf.set_defaults(func=cmd_backfill)

    sv = sub.add_parser(
        "serve",
        help="run the flows on the schedules of the config file",
        description="Serve the schedules in the config file ('schedules:' with a cron and a "
        "time zone per flow: daily-monitoring, detect, ingest). Without PREFECT_API_URL a "
        "local Prefect server is started (UI on port 4200) and stopped on exit.",
    )
    sv.add_argument("--data-dir", help="store (default from the config)")
    sv.add_argument("--out-dir", help="outputs (default from the config)")
    sv.add_argument("--port", type=int, default=4200, help="port of the local server")
    sv.set_defaults(func=cmd_serve)

    ev = sub.add_parser(
        "evaluate",
        help="compare alerts with labels, per typology",
        description="Run every typology on a labelled store and report, per typology: "
        "scenario recall (a scenario is found when an alert names one of its core accounts), "
        "account-level precision, recall and F1; with --baseline, the share of accounts "
        "alerted on a clean store (normal behaviour only, e.g. `fiu generate --preset clean`).",
    )
    ev.add_argument("--data-dir", help="labelled store")
    ev.add_argument("--baseline", help="clean store (no scenarios)")
    ev.add_argument("--start")
    ev.add_argument("--end")
    ev.add_argument("--typologies")
    ev.add_argument("--profile")
    ev.add_argument("--output", help="also write the table as CSV")
    ev.add_argument(
        "--model",
        help="a saved model (fiu train): also compare rules, the model and both, per account "
        "and per transaction: PR-AUC, best F1, F1 at the operating point, precision at the budget",
    )
    ev.add_argument("--budget", type=int, default=100, help="analyst budget k (top-k metrics)")
    ev.add_argument("--methods-output", help="write the rules/ML/combined table as CSV")
    ev.set_defaults(func=cmd_evaluate)

    fb = sub.add_parser(
        "feedback",
        help="import analyst dispositions (true_positive, false_positive, escalated)",
        description="Import a CSV with columns alert_id,disposition[,note]. Dispositions "
        "become analyst labels for training, and false positives suppress the same typology "
        "version on the same subject in later runs. They are kept in <out-dir>/state.",
    )
    fb.add_argument("file", help="dispositions CSV")
    fb.add_argument("--out-dir", help="output folder of the runs (holds state/)")
    fb.set_defaults(func=cmd_feedback)

    tr = sub.add_parser(
        "train",
        help="train an account model on a labelled store and save it with its model card",
        description="Features as of the period end, labels from the store's labels table "
        "(generator, research formats or analyst feedback); threshold from out-of-fold "
        "scores for the alert budget.",
    )
    tr.add_argument("--data-dir", help="labelled store")
    tr.add_argument("--start")
    tr.add_argument("--end")
    tr.add_argument("--kind", choices=["supervised", "anomaly"], default="supervised")
    tr.add_argument("--budget", type=int, default=50, help="alerts an analyst can review")
    tr.add_argument("--name", default="account_risk", help="model name (folder under --models)")
    tr.add_argument("--models", help="models folder (default: models_dir of the config)")
    tr.add_argument(
        "--feedback", help="output folder of monitoring runs: its analyst dispositions are labels"
    )
    tr.set_defaults(func=cmd_train)

    sc = sub.add_parser("score", help="score every account of a store with a saved model")
    sc.add_argument("--data-dir", help="store to score")
    sc.add_argument("--model", required=True, help="saved model folder")
    sc.add_argument("--start")
    sc.add_argument("--end")
    sc.add_argument("--budget", type=int, help="alert the top N (default: the card threshold)")
    sc.add_argument("--output", default="scores.csv", help="CSV of scores (default scores.csv)")
    sc.set_defaults(func=cmd_score)

    t = sub.add_parser("typologies", help="list or check the typology catalog")
    t.add_argument("action", choices=["list", "check"])
    t.add_argument("--typologies", help="typology catalog folder")
    t.add_argument("--profile", help="also check a jurisdiction profile")
    t.set_defaults(func=cmd_typologies)

    s = sub.add_parser("schema", help="print the data dictionary (Markdown)")
    s.set_defaults(func=cmd_schema)

    st = sub.add_parser("store", help="describe a store")
    st.add_argument("--data-dir")
    st.set_defaults(func=cmd_store)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "prefect", "uvicorn", "alembic", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        cfg = load_config(args.config)
        return int(args.func(args, cfg))
    except FiuError as exc:
        if args.debug:
            raise
        print(f"fiu: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
