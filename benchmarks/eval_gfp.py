"""Our features against snapml's GraphFeaturePreprocessor (GFP), each with the same booster.

Edge (transaction) level and account level, on generated worlds: train on worlds of development
seeds, test on worlds of held-out seeds (``eval_typologies.world``).

* Edge label: the AMLworld export's ``Is Laundering`` (``research_formats._ledger``): a
  transaction of a scenario between two accounts of that scenario.
* Ours: ``EdgeFeatures()`` (defaults) over the whole ledger; causal by construction (a row sees
  only transactions up to its own time, patterns only strictly earlier hops).
* GFP: fan, degree, scatter-gather and temporal cycles plus vertex statistics (the pattern set of
  bench_features.py), windows set to ours (fan and degree 1 day, scatter-gather 5 days,
  temporal cycles 21 days, vertex statistics 21 days of amounts). No look-ahead across days: for
  every day a fresh preprocessor is fitted on the preceding 21 days and transforms that day's
  transactions (inside the day's batch GFP still credits an edge with patterns that later edges
  of the same day complete). Plus the raw edge columns both get: log amount, hour, cash flag and
  channel one-hot (taken from our output).
* Rows of the first 21 days of each world are left out of every edge-level table (GFP has no full
  preceding window there).
* Booster: :class:`AccountRiskModel` for both (scikit-learn HistGradientBoostingClassifier,
  balanced class weights, identical parameters); threshold = best F1 of 3-fold out-of-fold scores
  on the training rows.
* Account level: ``account_table`` (what eval_models.py's "ML" uses), the same with our edge
  aggregates, and GFP's edge features aggregated per account (max and sum over each account's
  incident transactions in the last 90 days), alone and with the account table's profile columns.

Features are cached under /tmp/fiu-eval-gfp-cache (keyed by world and parameters) with the time
their extraction took, so a second run skips them.

    python benchmarks/eval_gfp.py --train-seeds 1 2 --test-seeds 2001 2002
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_typologies import REPO, synth_hash, world

from fiu_analytics import schema
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.features import EdgeFeatures, account_features
from fiu_analytics.models import (
    AccountRiskModel,
    account_labels,
    account_table,
    designated_accounts,
    method_metrics,
    ranking_metrics,
)
from fiu_analytics.models.training import out_of_fold_scores
from fiu_analytics.store import Store
from fiu_analytics.synth.research_formats import _ledger, write_amlworld

DOC = REPO / "docs" / "evaluation-gfp.md"
CACHE = Path("/tmp/fiu-eval-gfp-cache")
DAY = 86_400
LOOKBACK = 21  # days of history each day's fresh GFP is fitted on (= its longest window)
WARMUP = LOOKBACK  # edge-level tables start on this day of each world
GFP_PARAMS = {
    "num_threads": 2,
    "vertex_stats": True,
    "vertex_stats_tw": 21 * DAY,
    "vertex_stats_cols": [4],  # the amount (column 3 is the timestamp)
    "fan": True,
    "fan_tw": DAY,
    "degree": True,
    "degree_tw": DAY,
    "scatter-gather": True,
    "scatter-gather_tw": 5 * DAY,
    "temp-cycle": True,
    "temp-cycle_tw": 21 * DAY,
}
# the raw edge columns both methods get (from our output; derived from amount, time, channel)
RAW = ["log_amount", "hour", "is_cash"]
# inputs GFP never sees (countries, designations): left out of the "ours, GFP's inputs" variant
NOT_IN_GFP = ["src_country_risk", "dst_country_risk", "cross_border", "src_designated",
              "dst_designated"]  # fmt: skip
VERTEX_STATS = ("_fan", "_deg", "_ratio", "_avg", "_sum", "_var", "_skew", "_kurt")
ABLATION = False  # --ablation: two more edge-level column sets
PROFILE_PREFIXES = ("amount_", "log_amount_mean", "round_share", "near_threshold_share",
                    "channel_", "tod_", "weekend_share", "age_days", "days_since_last")  # fmt: skip


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _ours_key() -> str:
    """Our features' cache key: parameters and column names (a new column invalidates it)."""
    ef = EdgeFeatures()
    return _key(ef.get_params(), list(ef.get_feature_names_out()))


def _key(*parts: object) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:10]


def ledger(store: Store, txn_labels: bool = False) -> pd.DataFrame:
    """Transactions sorted by time with ``t`` (epoch s), ``day`` (since the first day) and the
    edge label ``y``. ``txn_labels``: a store ingested from a research format, whose labels
    are transaction ids only (``Is Laundering``)."""
    if txn_labels:
        tx = store.read(schema.TRANSACTIONS).sort_values("timestamp", ignore_index=True)
        lab = store.read(schema.LABELS)
        tx["y"] = tx["txn_id"].isin(set(lab["txn_id"].dropna())).astype(np.int64)
    else:
        tx = _ledger(store)
        tx["y"] = tx["laundering"].astype(np.int64)
    tx["t"] = (tx["timestamp"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    t0 = int(tx["t"].min()) // DAY * DAY
    tx["day"] = (tx["t"] - t0) // DAY
    return tx


def _cached(name: str, compute):
    """``compute() -> (frame, seconds)`` cached as parquet plus a json with the seconds."""
    CACHE.mkdir(parents=True, exist_ok=True)
    pq, meta = CACHE / f"{name}.parquet", CACHE / f"{name}.json"
    if pq.exists() and meta.exists():
        return pd.read_parquet(pq), json.loads(meta.read_text())["seconds"]
    frame, secs = compute()
    frame.to_parquet(pq)
    meta.write_text(json.dumps({"seconds": secs}))
    return frame, secs


def ours_features(tx: pd.DataFrame, tag: str) -> tuple[pd.DataFrame, float]:
    def compute():
        ef = EdgeFeatures(n_jobs=2)
        ef.fit_transform(tx.head(2000))  # compile the numba kernels before timing
        t = time.perf_counter()
        out = ef.fit_transform(tx)
        return out, time.perf_counter() - t

    return _cached(f"ours-{tag}-{_ours_key()}", compute)


def ours_same_day_features(tx: pd.DataFrame, ours: pd.DataFrame, tag: str) -> pd.DataFrame:
    """Diagnostic only: ours with GFP's information, i.e. the per-endpoint window columns
    (counts, sums, distinct counterparties, pass-through, amount statistics, dwell, ratios)
    computed as of the end of each row's day, so that they see the rest of the day as GFP's
    per-day batch does; patterns and the row's own columns stay causal. Never a feature set
    to deploy: it looks ahead up to a day."""

    def compute():
        day_end = tx["timestamp"].dt.floor("D") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        s = time.perf_counter()
        late = EdgeFeatures(n_jobs=2, patterns=False).fit_transform(tx.assign(timestamp=day_end))
        return late, time.perf_counter() - s

    late, _ = _cached(f"ours-sameday-{tag}-{_ours_key()}", compute)
    keep_causal = ("_country_risk", "_designated", "_age_days")
    cols = [
        c
        for c in late.columns
        if (c.startswith(("src_", "dst_", "amount_to_")) and not c.endswith(keep_causal))
        or c == "gather_scatter"
    ]
    out = ours.copy()
    out[cols] = late[cols].to_numpy()
    return out


def gfp_features(tx: pd.DataFrame, tag: str) -> tuple[pd.DataFrame, float]:
    """GFP columns for the rows of days >= WARMUP (index: tx's), one fresh preprocessor per day
    fitted on the preceding LOOKBACK days."""

    def compute():
        from snapml import GraphFeaturePreprocessor

        X = np.c_[np.arange(len(tx)), tx["src_account_key"], tx["dst_account_key"], tx["t"],
                  tx["amount_base"]].astype(float)  # fmt: skip
        t, day = tx["t"].to_numpy(), tx["day"].to_numpy()
        t0 = int(t.min()) // DAY * DAY
        parts, secs = [], 0.0
        for d in range(WARMUP, int(day.max()) + 1):
            lo = t0 + d * DAY
            a, b = np.searchsorted(t, lo - LOOKBACK * DAY), np.searchsorted(t, lo)
            c = np.searchsorted(t, lo + DAY)
            if c == b:
                continue
            s = time.perf_counter()
            g = GraphFeaturePreprocessor()
            p = dict(g.get_params())
            p.update(GFP_PARAMS)
            g.set_params(p)
            g.fit(X[a:b])
            out = g.transform(X[b:c])[:, X.shape[1] :]
            secs += time.perf_counter() - s
            parts.append(pd.DataFrame(out, index=tx.index[b:c]))
            if d % 20 == 0:
                _log(f"  GFP {tag}: day {d}, {secs:.0f} s so far")
        frame = pd.concat(parts)
        frame.columns = _gfp_names(frame.shape[1])
        return frame, secs

    return _cached(f"gfp-{tag}-{_key(GFP_PARAMS, LOOKBACK, WARMUP)}", compute)


def _gfp_names(n: int) -> list[str]:
    names = []
    for pat in ("fan_in", "fan_out", "deg_in", "deg_out", "sg", "tc"):
        names += [f"gfp_{pat}_{b}" for b in range(2, 31)]
    stats = ["fan", "deg", "ratio", "avg", "sum", "var", "skew", "kurt"]
    for side in ("src_out", "src_in", "dst_out", "dst_in"):
        names += [f"gfp_{side}_{s}" for s in stats]
    if len(names) != n:
        return [f"gfp_{i}" for i in range(n)]
    return names


class World:
    """One world's ledger, both feature sets and (lazily) its account tables."""

    def __init__(self, store: Store, tag: str, txn_labels: bool = False) -> None:
        self.store, self.tag, self.txn_labels = store, tag, txn_labels
        self.tx = ledger(store, txn_labels)
        _log(f"{tag}: {len(self.tx)} transactions, {int(self.tx['y'].sum())} laundering")
        self.ours, self.ours_s = ours_features(self.tx, tag)
        _log(f"{tag}: ours {self.ours_s:.0f} s")
        self.gfp, self.gfp_s = gfp_features(self.tx, tag)
        _log(f"{tag}: GFP {self.gfp_s:.0f} s")
        self.rows = self.gfp.index  # days >= WARMUP

    def edge_sets(self) -> dict[str, pd.DataFrame]:
        ours = self.ours.loc[self.rows]
        raw = ours[RAW + [c for c in ours.columns if c.startswith("channel_")]]
        sets = {
            "ours": ours,
            "ours, GFP's inputs": ours.drop(columns=[c for c in NOT_IN_GFP if c in ours]),
            "GFP + raw": pd.concat([self.gfp, raw], axis=1),
        }
        if ABLATION:  # which part of GFP carries its gain: patterns or vertex statistics
            vs = [c for c in self.gfp.columns if c.endswith(VERTEX_STATS)]
            sets["GFP patterns + raw (no vertex stats)"] = sets["GFP + raw"].drop(columns=vs)
            sets["ours + GFP vertex stats"] = pd.concat([ours, self.gfp[vs]], axis=1)
            # the same information as GFP's per-day batches: does the gap come from it?
            same_day = ours_same_day_features(self.tx, self.ours, self.tag).loc[self.rows]
            sets["ours, same-day look-ahead (diagnostic)"] = same_day
        return sets

    def edge_labels(self) -> np.ndarray:
        return self.tx.loc[self.rows, "y"].to_numpy()

    def account_sets(self) -> tuple[dict[str, pd.DataFrame], pd.Series]:
        data = load_detection_input(self.store)
        X = account_table(data)
        labels = self.store.read(schema.LABELS)
        y = account_labels(labels, X.index, transactions=data.transactions)
        with_edges = account_features(
            self.tx, None, designated_account_keys=designated_accounts(data),
            edge_features=self.ours,
        ).reindex(X.index)  # fmt: skip
        agg = gfp_account_aggregates(self.tx, self.gfp).reindex(X.index).fillna(0.0)
        profile = X[[c for c in X.columns if c.startswith(PROFILE_PREFIXES)]]
        return {
            "ours (account_table)": X,
            "ours + edge aggregates": with_edges,
            "GFP aggregates": agg,
            "GFP aggregates + profile": pd.concat([agg, profile], axis=1),
        }, y


def gfp_account_aggregates(tx: pd.DataFrame, gfp: pd.DataFrame, days: int = 90) -> pd.DataFrame:
    """Max and sum of every GFP column over each account's incident transactions in the last
    ``days`` (a self-loop counts once), as account_features does with ours."""
    lo = int(tx["t"].max()) - days * DAY
    sel = gfp.index[tx.loc[gfp.index, "t"].to_numpy() > lo]
    src = tx.loc[sel, "src_account_key"].to_numpy(np.int64)
    dst = tx.loc[sel, "dst_account_key"].to_numpy(np.int64)
    v = gfp.loc[sel].to_numpy()
    loop = src == dst
    acct = np.r_[src, dst[~loop]]
    vals = pd.DataFrame(np.r_[v, v[~loop]], columns=gfp.columns)
    g = vals.groupby(acct)
    out = pd.concat([g.max().add_suffix("_max"), g.sum().add_suffix("_sum")], axis=1)
    out.index.name = "account_key"
    return out


def fit_with_threshold(X: pd.DataFrame, y: pd.Series) -> tuple[AccountRiskModel, float, float]:
    """The fitted booster and its best-F1 threshold on 3-fold out-of-fold training scores."""
    s = time.perf_counter()
    model = AccountRiskModel()
    oof = out_of_fold_scores(model, X, y)
    thr = float(ranking_metrics(y.to_numpy(), oof, 100)["best_threshold"])
    model.fit(X, y)
    return model, thr, time.perf_counter() - s


def metrics(y: np.ndarray, s: np.ndarray, thr: float, budget: int) -> dict[str, float]:
    return method_metrics(y, s, s >= thr, budget)


def _drop_constant(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Same columns everywhere; columns constant on the training frame (frames[0]) dropped."""
    cols = frames[0].columns[frames[0].nunique() > 1]
    return [f.reindex(columns=cols, fill_value=0.0) for f in frames]


def edge_level(train: list[World], test: list[World], max_train: int, budget: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y_tr = np.concatenate([w.edge_labels() for w in train])
    keep = np.arange(len(y_tr))
    if len(keep) > max_train:  # uniform sample: the class ratio (and threshold) stay as in data
        keep = np.sort(rng.choice(len(keep), max_train, replace=False))
    sets_tr = [w.edge_sets() for w in train]
    sets_te = [w.edge_sets() for w in test]
    rows, info = [], {"train_rows": len(keep), "train_pos": int(y_tr[keep].sum()),
                      "train_all": len(y_tr), "fit_s": {}, "n_features": {}}  # fmt: skip
    for name in sets_tr[0]:
        Xtr = pd.concat([s[name] for s in sets_tr], ignore_index=True).iloc[keep]
        Xtr, *Xte = _drop_constant([Xtr, *(s[name] for s in sets_te)])
        ytr = pd.Series(y_tr[keep], index=Xtr.index)
        model, thr, fit_s = fit_with_threshold(Xtr, ytr)
        info["fit_s"][name], info["n_features"][name] = fit_s, Xtr.shape[1]
        _log(f"edge {name}: {Xtr.shape[1]} features, fit + OOF {fit_s:.0f} s, thr {thr:.3f}")
        for w, X in zip(test, Xte, strict=True):
            s = model.predict_proba(X)[:, 1]
            rows.append({"world": w.tag, "method": name, "threshold": thr,
                         **metrics(w.edge_labels(), s, thr, budget)})  # fmt: skip
    res = pd.DataFrame(rows)
    return res, info


def account_level(train: list[World], test: list[World], budget: int):
    tr = [w.account_sets() for w in train]
    te = [w.account_sets() for w in test]
    ytr = pd.concat([y for _, y in tr], ignore_index=True)
    rows, info = [], {"train_rows": len(ytr), "train_pos": int(ytr.sum()), "fit_s": {},
                      "n_features": {}}  # fmt: skip
    for name in tr[0][0]:
        Xtr = pd.concat([sets[name] for sets, _ in tr], ignore_index=True)
        Xtr, *Xte = _drop_constant([Xtr, *(sets[name] for sets, _ in te)])
        model, thr, fit_s = fit_with_threshold(Xtr, ytr)
        info["fit_s"][name], info["n_features"][name] = fit_s, Xtr.shape[1]
        _log(f"account {name}: {Xtr.shape[1]} features, fit + OOF {fit_s:.0f} s")
        for w, X, (_, y) in zip(test, Xte, te, strict=True):
            s = model.predict_proba(X)[:, 1]
            rows.append({"world": w.tag, "method": name, "threshold": thr,
                         **metrics(y.to_numpy(), s, thr, budget)})  # fmt: skip
    return pd.DataFrame(rows), info


def amlworld_worlds(train_seed: int, test_seed: int, preset: str) -> tuple[World, World]:
    """Both worlds written as AMLworld CSV, read back with ``fiu ingest``."""
    tmp = Path(tempfile.mkdtemp(prefix="fiu-gfp-amlworld-"))
    out = []
    for s in (train_seed, test_seed):
        csv_path = write_amlworld(world(preset, s), tmp / f"W{s}_Trans.csv")
        subprocess.run(["fiu", "ingest", str(csv_path), "--data-dir", str(tmp / f"s{s}"), "-q"],
                       check=True, capture_output=True)  # fmt: skip
        out.append(World(Store(tmp / f"s{s}"), f"aml-{preset}-{s}-{synth_hash()}", True))
    return out[0], out[1]


def _mean(res: pd.DataFrame) -> pd.DataFrame:
    m = res.drop(columns=["world", "threshold"]).groupby("method", sort=False).mean()
    m.index.name = ""
    return m


def md(frame: pd.DataFrame, fmt: str = "{:.3f}") -> list[str]:
    cols = list(frame.columns)
    out = ["| " + " | ".join([frame.index.name or "", *map(str, cols)]) + " |"]
    out.append("|" + "---|" * (len(cols) + 1))
    for idx, r in frame.iterrows():
        cells = [fmt.format(v) if isinstance(v, float) else str(v) for v in r.to_numpy()]
        out.append("| " + " | ".join([str(idx), *cells]) + " |")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train-seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--test-seeds", type=int, nargs="+", default=[2001, 2002])
    ap.add_argument("--preset", default="small")
    ap.add_argument("--max-train-edges", type=int, default=60_000)
    ap.add_argument("--edge-budget", type=int, default=1000)
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--amlworld", action="store_true", help="also the AMLworld round trip")
    ap.add_argument(
        "--ablation",
        action="store_true",
        help="also GFP without vertex statistics, ours with GFP's vertex statistics, and ours "
        "with GFP's same-day look-ahead (edge level)",
    )
    ap.add_argument(
        "--reuse-account-level",
        action="store_true",
        help="take the account-level table from the previous run (when only edge features "
        "changed); the doc says so",
    )
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    global ABLATION
    ABLATION = a.ablation
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 20)
    t0 = time.perf_counter()
    h = synth_hash()
    worlds = {s: World(world(a.preset, s), f"{a.preset}-{s}-{h}") for s in
              (*a.train_seeds, *a.test_seeds)}  # fmt: skip
    feat_s = time.perf_counter() - t0
    train = [worlds[s] for s in a.train_seeds]
    test = [worlds[s] for s in a.test_seeds]
    edge_res, edge_info = edge_level(train, test, a.max_train_edges, a.edge_budget)
    print("edge level\n", _mean(edge_res).round(3), file=sys.stderr)
    by_world = edge_res.set_index(["method", "world"])[["pr_auc", "best_f1", "f1"]]
    print("edge level per test world\n", by_world.round(3), file=sys.stderr)
    if a.reuse_account_level:  # account features unchanged: the previous run's table
        last = json.loads((CACHE / "last-run.json").read_text())
        acc_res, acc_info = pd.DataFrame(last["account"]), last["account_info"]
        _log("account level: reused from the previous run")
    else:
        acc_res, acc_info = account_level(train, test, a.budget)
    print("account level\n", _mean(acc_res).round(3), file=sys.stderr)
    aml = None
    if a.amlworld:
        wtr, wte = amlworld_worlds(a.train_seeds[0], a.test_seeds[0], a.preset)
        aml = edge_level([wtr], [wte], a.max_train_edges, a.edge_budget)
        print("AMLworld edge level\n", _mean(aml[0]).round(3), file=sys.stderr)
    total = time.perf_counter() - t0
    if a.no_write:
        return 0
    ext = pd.DataFrame(
        {
            "transactions": [len(w.tx) for w in worlds.values()],
            "GFP rows (days >= 21)": [len(w.rows) for w in worlds.values()],
            "ours s (all rows)": [w.ours_s for w in worlds.values()],
            "GFP s (per-day refits)": [w.gfp_s for w in worlds.values()],
        },
        index=pd.Index([w.tag for w in worlds.values()], name="world"),
    )
    ext["ours rows/s"] = ext["transactions"] / ext["ours s (all rows)"]
    ext["GFP rows/s"] = ext["GFP rows (days >= 21)"] / ext["GFP s (per-day refits)"]
    lines = _doc(a, total, feat_s, ext, edge_res, edge_info, acc_res, acc_info, aml)
    DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")
    record = {
        "edge": edge_res.to_dict("records"),
        "account": acc_res.to_dict("records"),
        "edge_info": edge_info,
        "account_info": acc_info,
        "total_s": total,
    }
    (CACHE / "last-run.json").write_text(json.dumps(record, default=float, indent=1))
    _log(f"wrote {DOC} ({total / 60:.1f} min)")
    return 0


def _reading() -> list[str]:
    """The hand-written reading of an existing doc, kept when the tables are rewritten."""
    if DOC.exists():
        text = DOC.read_text(encoding="utf-8")
        if "\n## Reading\n" in text:
            return ["## Reading", *text.split("\n## Reading\n", 1)[1].rstrip().split("\n"), ""]
    return ["## Reading", "", "(to be written after looking at the tables)", ""]


SETUP = [
    "Edge label: the AMLworld export's `Is Laundering` (`research_formats._ledger`): a "
    "transaction of a generated scenario between two accounts of that scenario (its payments to "
    "bystanders are not laundering).",
    "",
    "| method | features |",
    "|---|---|",
    "| ours | `EdgeFeatures()` defaults (windows 1, 7, 21, 30 d; amount statistics, transfers "
    "per counterparty and cash of each endpoint 21 d; cycles of 2-6 hops in 21 d; "
    "scatter-gather 5 d), one `fit_transform` over the whole ledger: causal by construction |",
    "| ours, GFP's inputs | the same without the columns built from inputs GFP is not given "
    "(country risk, cross-border, designated endpoints) |",
    "| GFP + raw | snapml GraphFeaturePreprocessor with fan, degree, scatter-gather, temporal "
    "cycles and vertex statistics (windows: fan and degree 1 d, scatter-gather 5 d, temporal "
    "cycles 21 d, vertex statistics of the amount 21 d; histogram bins 2-30); per day a fresh "
    "preprocessor fitted on the preceding 21 days transforms that day's transactions; plus "
    "the raw edge columns `log_amount`, `hour`, `is_cash`, `channel_*` (from our output) |",
    "",
    "Every edge-level table holds only days >= 21 of each world (GFP has no full preceding "
    "window before). Inside a day's batch GFP still credits a transaction with patterns that "
    "later transactions of the same day complete (the residual look-ahead of the per-day rule; "
    "it can only help GFP). Same booster for every method: `AccountRiskModel` "
    "(HistGradientBoostingClassifier, 150 iterations, learning rate 0.1, 31 leaves, balanced "
    "class weights); columns constant on the training rows are dropped.",
    "",
    "Account level: `ours (account_table)` is what eval_models.py's ML uses; `ours + edge "
    "aggregates` adds `account_features(edge_features=...)` (max cycles, summed scatter-gather "
    "...); `GFP aggregates` is the max and the sum of every GFP edge column over each account's "
    "incident transactions in the last 90 days; `+ profile` adds the account table's "
    "non-graph columns (amount statistics, channel and time-of-day shares, age).",
]


def _doc(a, total, feat_s, ext, edge_res, edge_info, acc_res, acc_info, aml):
    cmd = (
        f"python benchmarks/eval_gfp.py --train-seeds {' '.join(map(str, a.train_seeds))} "
        f"--test-seeds {' '.join(map(str, a.test_seeds))} --preset {a.preset} "
        f"--max-train-edges {a.max_train_edges} --edge-budget {a.edge_budget} "
        f"--budget {a.budget}{' --amlworld' if a.amlworld else ''}"
        f"{' --ablation' if a.ablation else ''}"
        f"{' --reuse-account-level' if a.reuse_account_level else ''}"
    )
    fit, afit = (
        pd.DataFrame({"features": i["n_features"], "fit + 3-fold OOF s": i["fit_s"]})
        for i in (edge_info, acc_info)
    )
    fit.index.name = afit.index.name = ""
    per_world = edge_res.set_index(["method", "world"])[["pr_auc", "best_f1", "f1"]].unstack()
    per_world.columns = [f"{m} {w.split('-')[1]}" for m, w in per_world.columns]
    per_world.index.name = ""
    lines = [
        "# Our features against snapml's GraphFeaturePreprocessor, same booster",
        "",
        f"Command: `{cmd}` ({total / 60:.1f} min on this 2-core machine, shared with other work; "
        f"{feat_s / 60:.1f} min of it loading worlds and features, which come from "
        "/tmp/fiu-eval-gfp-cache when a previous run computed them).",
        "",
        "## Features",
        "",
        *SETUP,
        "",
        "Extraction time per world (measured when the features were computed; 2 threads each):",
        "",
        *md(ext, "{:,.0f}"),
        "",
        "## Edge level",
        "",
        f"Train: seeds {a.train_seeds}, days >= 21 of each world, {edge_info['train_all']:,} "
        f"transactions, of which a uniform random sample of {edge_info['train_rows']:,} "
        f"({edge_info['train_pos']:,} laundering) is used. Test: seeds {a.test_seeds}, every "
        "transaction of days >= 21. Means over the test worlds. `best_f1`: minority-class F1 at "
        "the best threshold on the test world (an upper bound); `f1`, `precision`, `recall`: at "
        "the threshold chosen on training data (best F1 of out-of-fold scores); "
        f"`precision_at_{a.edge_budget}`: among the {a.edge_budget} highest-scored transactions.",
        "",
        *md(_mean(edge_res)),
        "",
        "Per test world:",
        "",
        *md(per_world),
        "",
        *md(fit, "{:.0f}"),
        "",
        "## Account level",
        "",
        *(
            ["(Reused from the previous run of this command: only edge features changed.)", ""]
            if a.reuse_account_level
            else []
        ),
        f"Train: seeds {a.train_seeds}, {acc_info['train_rows']:,} accounts, "
        f"{acc_info['train_pos']:,} suspicious (core accounts of scenarios, as in "
        "eval_models.py); features as of each world's last transaction. Means over the test "
        f"worlds; `precision_at_{a.budget}` among the {a.budget} highest-scored accounts.",
        "",
        *md(_mean(acc_res)),
        "",
        *md(afit, "{:.0f}"),
        "",
    ]
    if aml is not None:
        lines += [
            "## Edge level on an AMLworld round trip",
            "",
            f"Seed {a.train_seeds[0]} (train) and seed {a.test_seeds[0]} (test) written as "
            "AMLworld `*_Trans.csv`, read back by `fiu ingest`; the edge label is the file's "
            "`Is Laundering`. No countries survive the format, so `ours` and `ours, GFP's "
            f"inputs` see the same information. Train rows {aml[1]['train_rows']:,} "
            f"({aml[1]['train_pos']:,} laundering).",
            "",
            *md(_mean(aml[0])),
            "",
        ]
    lines += _reading()
    return lines


if __name__ == "__main__":
    sys.exit(main())
