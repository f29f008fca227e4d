"""Rules, ML and combined, side by side, on generated worlds and on research-format data.

Account level (the subject of an FIU alert). Three views:

* seed split: train on worlds of development seeds, test on worlds of held-out seeds;
* time split: inside each held-out world, train on the first half of the period (labels of
  scenarios begun by then), score the whole period and measure on accounts not already known;
* research format: a held-out world written as an AMLworld ``*_Trans.csv``, read back through
  ``fiu ingest`` (the ``amlworld`` reader; labels are its ``Is Laundering`` flags), then the
  same training and scoring calls.

For each: PR-AUC, minority-class F1 at the best threshold (oracle) and at the threshold chosen
on training data, precision and recall among the top ``--budget`` accounts, and scenario recall
per typology. Methods: "rules": an account's score is its highest typology alert score (0 if
none), alerted on any alert; "ML": :class:`AccountRiskModel` on account features; "rules + ML":
every rule alert plus the model's accounts over a threshold chosen for the union (the shape
of what ``fiu run --models`` raises: the typologies and TY-ML-ACCOUNT, whose threshold
``fiu train`` sets by the alert budget instead); "stacked": the model with each
typology's alert score as extra features; "rules + stacked": rule alerts plus the stacked
model's.

    python benchmarks/eval_models.py --train-seeds 1 2 3 --test-seeds 2001 2002
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_typologies import REPO, world

from fiu_analytics import schema
from fiu_analytics.detection import detect, load_catalog
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.models import (
    AccountRiskModel,
    account_labels,
    account_table,
    f1_of,
    method_metrics,
    ranking_metrics,
)
from fiu_analytics.models.training import out_of_fold_scores
from fiu_analytics.store import Store
from fiu_analytics.synth.research_formats import write_amlworld

DOC = REPO / "docs" / "evaluation-models.md"
RULES = [t for t in load_catalog(REPO / "typologies") if t.id != "TY-ML-ACCOUNT"]


def tables(
    store: Store,
    start: str | None = None,
    end: str | None = None,
    before: pd.Timestamp | None = None,
):
    """Account features, rule scores per typology, labels and core accounts per scenario,
    for the period ``[start, end)`` (default: the whole store)."""
    data = load_detection_input(store, start, end)
    X = account_table(data)
    alerts = detect(data, RULES)
    R = pd.DataFrame(0.0, index=X.index, columns=[t.id for t in RULES])
    if len(alerts):
        best = alerts.groupby(["subject_account_key", "typology_id"])["score"].max().unstack()
        R.update(best.reindex(index=X.index))
        R = R.fillna(0.0)
    labels = store.read(schema.LABELS)
    if start is not None:  # scenarios with a labelled transaction in the period
        labels = labels[labels["scenario_id"].isin(_active(labels, data.transactions))]
    y = account_labels(labels, X.index, before=before, transactions=data.transactions)
    core = labels[labels["account_key"].notna() & labels["is_core"].fillna(False).astype(bool)]
    return X, R, y, core, data


def _active(labels: pd.DataFrame, transactions: pd.DataFrame) -> set[str]:
    ids = set(transactions["txn_id"])
    return set(labels.loc[labels["txn_id"].isin(ids), "scenario_id"])


def _best_union_threshold(y: np.ndarray, flag: np.ndarray, oof: np.ndarray) -> float:
    """The model threshold that maximises F1 of "rule alert or model >= t" on training data."""
    best, best_t = -1.0, 1.0
    for t in np.unique(np.quantile(oof, np.linspace(0.5, 1.0, 101))):
        f = f1_of(y, flag | (oof >= t))["f1"]
        if f > best:
            best, best_t = f, float(t)
    return best_t


def fit_and_threshold(
    X: pd.DataFrame, y: pd.Series, flag: np.ndarray
) -> tuple[AccountRiskModel, float, float]:
    """The fitted model, its best-F1 threshold alone and in union with the rule alerts
    ``flag``, both chosen on out-of-fold scores of the training accounts."""
    model = AccountRiskModel()
    oof = out_of_fold_scores(model, X, y)
    m = ranking_metrics(y.to_numpy(), oof, 100)
    union = _best_union_threshold(y.to_numpy().astype(bool), flag, oof)
    return model.fit(X, y), float(m["best_threshold"]), union


class Fitted:
    """ML (account features) and stacked (features + rule scores) models with thresholds."""

    def __init__(self, X: pd.DataFrame, R: pd.DataFrame, y: pd.Series) -> None:
        flag = R.max(axis=1).to_numpy() > 0
        self.ml, self.t_ml, self.u_ml = fit_and_threshold(X, y, flag)
        self.st, self.t_st, self.u_st = fit_and_threshold(pd.concat([X, R], axis=1), y, flag)

    def methods(self, X: pd.DataFrame, R: pd.DataFrame) -> dict[str, tuple[np.ndarray, float]]:
        """Per method: a ranking score and the threshold that alerts."""
        rule = R.max(axis=1).to_numpy()
        flag = (rule > 0).astype(float)
        p_ml = self.ml.score_accounts(X).to_numpy()
        p_st = self.st.score_accounts(pd.concat([X, R], axis=1)).to_numpy()
        # a union alerts on a rule or a model score over its union threshold; as a ranking,
        # rule alerts first, then the model's order
        return {
            "rules": (rule, 1e-9),
            "ML": (p_ml, self.t_ml),
            "rules + ML": (np.where(flag > 0, 1.0 + rule, p_ml), self.u_ml),
            "stacked": (p_st, self.t_st),
            "rules + stacked": (np.where(flag > 0, 1.0 + rule, p_st), self.u_st),
        }


def side_by_side(y: np.ndarray, methods: dict, budget: int) -> list[dict]:
    return [
        {"method": name, **method_metrics(y, s, s >= thr, budget)}
        for name, (s, thr) in methods.items()
    ]


def scenario_recall(core: pd.DataFrame, alerted: set[int]) -> pd.Series:
    found = core.groupby(["typology", "scenario_id"])["account_key"].apply(
        lambda k: bool(set(k.astype(np.int64)) & alerted)
    )
    return found.groupby(level=0).mean()


def seed_split(train_seeds, test_seeds, preset, budget):
    Xs, Rs, ys = [], [], []
    for s in train_seeds:
        X, R, y, _, _ = tables(world(preset, s))
        Xs.append(X.reset_index(drop=True))
        Rs.append(R.reset_index(drop=True))
        ys.append(y.reset_index(drop=True))
    X, R, y = pd.concat(Xs), pd.concat(Rs), pd.concat(ys)
    t = time.perf_counter()
    fitted = Fitted(X, R, y)
    fit_s = time.perf_counter() - t
    results, recalls = [], []
    for s in test_seeds:
        Xt, Rt, yt, core, _ = tables(world(preset, s))
        methods = fitted.methods(Xt, Rt)
        for r in side_by_side(yt.to_numpy(), methods, budget):
            results.append({"seed": s, **r})
        keys = Xt.index.to_numpy()
        recalls.append(
            pd.DataFrame(
                {
                    name: scenario_recall(core, set(keys[sc >= thr]))
                    for name, (sc, thr) in methods.items()
                }
            ).assign(seed=s)
        )
    res = pd.DataFrame(results).groupby("method", sort=False).mean(numeric_only=True)
    rec = pd.concat(recalls).groupby(level=0).mean(numeric_only=True).drop(columns="seed")
    # clean worlds (normal behaviour only): what the models alert with nothing to find
    clean = []
    for s in test_seeds:
        Xc, Rc, _, _, _ = tables(world("clean", s))
        row = {"seed": s, "accounts": len(Xc)}
        for name, (sc, thr) in fitted.methods(Xc, Rc).items():
            row[name] = int((sc >= thr).sum())
        clean.append(row)
    return res.drop(columns="seed"), rec, fit_s, len(X), int(y.sum()), pd.DataFrame(clean)


def time_split(test_seeds, preset, budget):
    results = []
    for s in test_seeds:
        store = world(preset, s)
        lo, hi = store.time_range()
        mid = (lo + (hi - lo) / 2).normalize()
        X, R, y, _, _ = tables(store, end=f"{mid:%Y-%m-%d}", before=mid)
        fitted = Fitted(X, R, y)
        # the later period alone: features over a period as long as the training one
        Xt, Rt, yt, _, _ = tables(store, start=f"{mid:%Y-%m-%d}")
        new = ~Xt.index.isin(y.index[y == 1])  # accounts not already known as suspicious
        Xt, Rt, yt = Xt[new], Rt[new], yt[new]
        for r in side_by_side(yt.to_numpy(), fitted.methods(Xt, Rt), budget):
            results.append({"seed": s, **r})
    res = pd.DataFrame(results).groupby("method", sort=False).mean(numeric_only=True)
    return res.drop(columns="seed")


def research_format(train_seed, test_seed, preset, budget):
    """Both worlds through AMLworld CSV and `fiu ingest`; then the same calls as above."""
    tmp = Path(tempfile.mkdtemp(prefix="fiu-amlworld-"))
    stores = []
    for s in (train_seed, test_seed):
        csv_path = write_amlworld(world(preset, s), tmp / f"W{s}_Trans.csv")
        subprocess.run(
            ["fiu", "ingest", str(csv_path), "--data-dir", str(tmp / f"s{s}"), "-q"],
            check=True,
            capture_output=True,
        )
        stores.append(Store(tmp / f"s{s}"))
    X, R, y, _, _ = tables(stores[0])
    fitted = Fitted(X, R, y)
    Xt, Rt, yt, _, _ = tables(stores[1])
    rows = side_by_side(yt.to_numpy(), fitted.methods(Xt, Rt), budget)
    return pd.DataFrame(rows).set_index("method"), int(y.sum()), len(y), int(yt.sum()), len(yt)


READING = [
    "## Reading these figures",
    "",
    "- The target (combined account-level F1 >= 0.9 on worlds from seeds not used in "
    "development) is met on the seed split by `rules + ML` (typology alerts plus the "
    "model's, as `fiu run --models` raises them) and by the stacked variants; on the clean "
    "worlds the combinations alert no account.",
    "- The model alone is weaker than the rules on these worlds: the typologies were written "
    "for exactly these behaviours and see parties, countries, narratives and the designated "
    "list. What the model adds is recall on scenarios the rules miss at a small cost in "
    "precision, and a ranking where the rules only say yes or no.",
    "- Time split: trained on half a world (about half the positives), the model generalises "
    "less well to the next period (F1 0.83 for rules + ML, below the rules alone on "
    "precision). Retraining on a longer labelled history is the remedy; the retrain flow "
    "exists for that.",
    "- Research format: through AMLworld's columns (no parties, countries, narratives or "
    "list), most typologies cannot fire and the model carries the detection; labels there "
    "mark both accounts of every laundering transaction, so bystanders paid by a scenario "
    "count as suspicious and the task is harder. The published AMLworld figures are "
    "transaction-level; docs/evaluation-gfp.md compares transaction-level models.",
    "- Real AMLworld and AMLSim data could not be downloaded here; the commands run unchanged "
    "on them (`fiu ingest <HI-Small_Trans.csv>`, `fiu train`, `fiu score`).",
]


def md(frame: pd.DataFrame) -> list[str]:
    cols = list(frame.columns)
    out = ["| " + " | ".join([frame.index.name or "", *cols]) + " |"]
    out.append("|" + "---|" * (len(cols) + 1))
    for idx, r in frame.iterrows():
        out.append("| " + " | ".join([str(idx), *(f"{v:.2f}" for v in r.to_numpy())]) + " |")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train-seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--test-seeds", type=int, nargs="+", default=[2001, 2002])
    ap.add_argument("--preset", default="small")
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 20)
    t0 = time.perf_counter()
    seed_res, seed_rec, fit_s, n_train, n_pos, clean = seed_split(
        args.train_seeds, args.test_seeds, args.preset, args.budget
    )
    print("seed split\n", seed_res.round(3), "\n", seed_rec.round(2), file=sys.stderr)
    print("clean worlds\n", clean, file=sys.stderr)
    time_res = time_split(args.test_seeds, args.preset, args.budget)
    print("time split\n", time_res.round(3), file=sys.stderr)
    rf_res, rf_pos, rf_n, rft_pos, rft_n = research_format(
        args.train_seeds[0], args.test_seeds[0], args.preset, args.budget
    )
    print("AMLworld format\n", rf_res.round(3), file=sys.stderr)
    total = time.perf_counter() - t0
    if args.no_write:
        return 0
    seed_res.index.name = seed_rec.index.name = time_res.index.name = rf_res.index.name = ""
    lines = [
        "# Rules, ML and combined: detection quality at account level",
        "",
        "Command: `python benchmarks/eval_models.py --train-seeds "
        f"{' '.join(map(str, args.train_seeds))} --test-seeds "
        f"{' '.join(map(str, args.test_seeds))} --preset {args.preset} --budget {args.budget}`"
        f" ({total / 60:.1f} min on this 2-core machine, shared with other work).",
        "",
        "A suspicious account is a core account of a generated scenario (research formats: an "
        "account on either side of a labelled transaction). `best_f1` is the minority-class F1 "
        "at the best threshold on the test data (an upper bound); `f1`, `precision`, `recall` "
        "use the threshold chosen on training data (rules: any alert; models: the best F1 of "
        "3-fold out-of-fold scores on the training accounts, alone or in union with the rule "
        "alerts). Methods: `rules` (any typology alert), `ML` (AccountRiskModel on account "
        "features), `rules + ML` (rule alerts plus the model's over a threshold chosen for the "
        "union: the shape of what `fiu run --models` raises, where `fiu train` sets "
        "TY-ML-ACCOUNT's threshold by the alert budget instead), `stacked` (the model with "
        "each typology's alert score as features), "
        "`rules + stacked`. `precision_at_k` / `recall_at_k`: "
        f"among the {args.budget} highest-scored accounts of each test world (an analyst's "
        "budget).",
        "",
        f"## Seed split: train on seeds {args.train_seeds}, test on seeds {args.test_seeds}",
        "",
        f"Training: {n_train} accounts, {n_pos} suspicious; fitting both models with "
        f"out-of-fold thresholds took {fit_s:.0f} s. Means over the test worlds.",
        "",
        *md(seed_res),
        "",
        "Scenario recall per label typology (a scenario is found when one of its core accounts "
        "is alerted, at the thresholds above):",
        "",
        *md(seed_rec),
        "",
        "Accounts alerted on clean worlds of the test seeds (normal behaviour only; target at "
        "most 0.1% of accounts):",
        "",
        "| seed | accounts | " + " | ".join(c for c in clean.columns[2:]) + " |",
        "|" + "---|" * len(clean.columns),
        *("| " + " | ".join(str(v) for v in r) + " |" for r in clean.itertuples(index=False)),
        "",
        "## Time split: first half of each test world to train, second half to test",
        "",
        "Features of the second half use only its own transactions (a period as long as the "
        "training one); labels are the scenarios with a transaction in it. Accounts already "
        "labelled suspicious in the first half are left out of the test.",
        "",
        *md(time_res),
        "",
        "## Research format: AMLworld CSV through `fiu ingest`",
        "",
        f"Seed {args.train_seeds[0]} and seed {args.test_seeds[0]} written as AMLworld "
        "`*_Trans.csv` (a scenario's transactions between two of its accounts flagged "
        "`Is Laundering`), ingested by the `amlworld` reader into fresh stores, then the same "
        f"calls. Train: {rf_n} accounts, {rf_pos} suspicious; test: {rft_n}, {rft_pos}. "
        "AMLworld carries no parties, countries or narratives, so the typologies that need "
        "them raise nothing here: the rules column shows what remains.",
        "",
        *md(rf_res),
        "",
        *READING,
    ]
    DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
