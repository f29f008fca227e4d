"""Detection quality per typology on generated worlds, and alerts on a clean baseline.

Generates (and caches under /tmp/fiu-eval-cache, keyed by the generator's source hash) one world
per seed, runs every typology of the catalog, and reports per typology: scenario recall,
account-level precision, recall and F1; then the share of accounts alerted on a clean world
(preset ``clean``: normal behaviour only). Writes docs/evaluation.md unless --no-write.

Seeds used while developing typologies: 1-14, 1001-1002, 3001-3002, 4001-4004 and 5001-5004
(the last three sets each recorded once as held-out figures, then used for development).
Held-out seeds: 2001-2002 and 6001-6004 (recorded); 7001+ not yet used by the typologies.

    python benchmarks/eval_typologies.py --seeds 6001 6002 6003 6004 --preset small
    python benchmarks/eval_typologies.py --seeds 1 --only TY-STRUCTURING --no-write   # while tuning
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from fiu_analytics import schema
from fiu_analytics.detection import detect, load_catalog
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.evaluation import typology_scores
from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate

REPO = Path(__file__).resolve().parents[1]
CACHE = Path("/tmp/fiu-eval-cache")
DOC = REPO / "docs" / "evaluation.md"


def synth_hash() -> str:
    """Key of the generator's code: a cached world is rebuilt when it changes. The writers of
    research formats only export a world, so they are not part of it."""
    h = hashlib.sha1()
    for p in sorted((REPO / "fiu_analytics" / "synth").rglob("*.py")):
        if p.name != "research_formats.py":
            h.update(p.read_bytes())
    h.update((REPO / "fiu_analytics" / "data" / "countries.yaml").read_bytes())
    return h.hexdigest()[:10]


def world(preset: str, seed: int) -> Store:
    root = CACHE / f"{preset}-{seed}-{synth_hash()}"
    if not (root / "manifest.json").exists():
        # generate beside the cache entry and rename it into place: concurrent runs of this
        # script never see (or write into) a half-built world
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=CACHE, prefix=".building-"))
        generate(SynthConfig.preset(preset, seed=seed), Store(tmp / "w"))
        try:
            os.rename(tmp / "w", root)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another run finished first: use it
    return Store(root)


def evaluate(store: Store, catalog: list) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    data = load_detection_input(store)
    t = time.perf_counter()
    alerts = detect(data, catalog)
    secs = time.perf_counter() - t
    n_accounts = len(store.read(schema.ACCOUNTS))
    return typology_scores(alerts, store.read(schema.LABELS), catalog, n_accounts), alerts, secs


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seeds", type=int, nargs="+", default=[1001, 1002])
    ap.add_argument("--preset", default="small")
    ap.add_argument("--only", nargs="*", help="typology ids to evaluate")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    # model-based typologies need a trained model: benchmarks/eval_models.py measures them
    catalog = [t for t in load_catalog(REPO / "typologies") if t.id != "TY-ML-ACCOUNT"]
    if args.only:
        catalog = [t for t in catalog if t.id in args.only]
    per_seed = []
    for seed in args.seeds:
        scores, _, secs = evaluate(world(args.preset, seed), catalog)
        per_seed.append(scores.assign(seed=seed))
        print(f"seed {seed}: detection {secs:.1f} s", file=sys.stderr)
    allr = pd.concat(per_seed)
    agg = (
        allr.groupby("typology_id", sort=False)
        .agg(
            labels=("labels", "first"),
            scenarios=("scenarios", "sum"),
            scenario_recall=("scenario_recall", "mean"),
            min_scenario_recall=("scenario_recall", "min"),
            alerted=("alerted_accounts", "sum"),
            precision=("precision", "mean"),
            min_precision=("precision", "min"),
            precision_strict=("precision_strict", "mean"),
            f1=("f1", "mean"),
        )
        .reset_index()
    )
    base_rows = []
    if not args.no_baseline:
        for seed in args.seeds:
            scores, alerts, _ = evaluate(world("clean", seed), catalog)
            n_acc = len(world("clean", seed).read(schema.ACCOUNTS))
            subj = alerts["subject_account_key"].nunique() if len(alerts) else 0
            base_rows.append(
                {
                    "seed": seed,
                    "accounts": n_acc,
                    "alerted_accounts": subj,
                    "share": subj / n_acc,
                    "by_typology": alerts.groupby("typology_id").size().to_dict()
                    if len(alerts)
                    else {},
                }
            )
    pd.set_option("display.width", 200)
    print(agg.to_string())
    for b in base_rows:
        print(
            f"clean seed {b['seed']}: {b['alerted_accounts']} of {b['accounts']} accounts "
            f"alerted ({b['share']:.4%}) {b['by_typology']}"
        )
    if args.no_write:
        return 0
    lines = [
        "# Detection quality",
        "",
        f"Command: `python benchmarks/eval_typologies.py --preset {args.preset} --seeds "
        f"{' '.join(map(str, args.seeds))}`",
        "",
        "Worlds generated from seeds not used while developing the typologies (development used"
        " seeds 1-14, 1001-1002, 3001-3002, 4001-4004 and 5001-5004). Scenario recall: a "
        "scenario is found when an alert of the typology names one of its core accounts. "
        "Precision: share of accounts the typology alerts that are core accounts of scenarios "
        "of its labels or related labels (scenarios that contain the same behaviour, e.g. the "
        "trafficking controller of an NX-04 scenario for TY-HTSE); strict precision counts its "
        "own labels only. Targets: scenario recall >= 0.95 and precision >= 0.8 per typology; "
        "at most 0.1% of accounts alerted on a clean world.",
        "",
        "| typology | labels | scenarios | scenario recall | min | alerted | precision | "
        "min | strict precision | F1 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def f(x: object) -> str:
        return "-" if x is None or x != x else f"{x:.2f}"

    for r in agg.itertuples():
        lines.append(
            f"| {r.typology_id} | {r.labels} | {r.scenarios} | "
            f"{f(r.scenario_recall)} | {f(r.min_scenario_recall)} | {r.alerted} | "
            f"{f(r.precision)} | {f(r.min_precision)} | {f(r.precision_strict)} | "
            f"{f(r.f1)} |"
        )
    if base_rows:
        lines += [
            "",
            "## Clean baseline (normal behaviour only)",
            "",
            "| seed | accounts | alerted accounts | share | by typology |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {b['seed']} | {b['accounts']} | {b['alerted_accounts']} | "
            f"{b['share']:.3%} | {b['by_typology']} |"
            for b in base_rows
        ]
    DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
