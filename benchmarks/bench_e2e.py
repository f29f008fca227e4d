"""End-to-end benchmark: generate, ingest, features, rules, models, alerts and export.

For each preset (``1m``, ``3m``, ``10m``; SynthConfig presets) the script

1. generates a world into ``<workdir>/<preset>/store`` (fresh process; with ``--csv`` the
   generator also writes the world as a CSV export, the input of the ingest stage);
2. times ``fiu ingest`` of that CSV into an empty store (fresh process, peak RSS of the child);
3. runs the pipeline ``--runs`` times, timing every stage and sampling the process's RSS
   every 20 ms (peak RSS per stage). Each run is two fresh processes, as in production:
   training (offline, the retrain flow) loads the store, computes ``features``
   (account_features of every account) and ``train``s the account model
   (train_account_model, with 3-fold out-of-fold scores), then saves it; the scheduled run
   loads that model and times ``load`` (store -> DetectionInput), ``rules`` (detect with the
   typology catalog minus TY-ML-ACCOUNT), ``score`` (score_store: features plus
   prediction), ``alerts`` (alert_table) and ``export`` (write alerts.csv and scores.csv).
   ``store_to_alerts`` = load + rules + score + alerts + export, and the process peak RSS
   is the scheduled run's (the training process's is reported next to it);
4. optionally (``--anchors``) runs the anchors on the same edges (timestamp, payer, payee,
   amount of every transaction of the store): our EdgeFeatures, snapml's
   GraphFeaturePreprocessor (default set, and with its patterns), and a plain networkx
   implementation of fan-in/fan-out (7 days) and temporal cycles of 2-4 hops within 7 days,
   run on growing time-prefixes of the edges under a time cap and extrapolated to all edges
   with the measured growth exponent;
5. optionally (``--flow``) times the Prefect ``detect_flow`` (alerts, cases, report) after a
   warm-up flow has started the embedded server.

Medians over runs go to ``benchmarks/results/e2e-<preset>-<UTC time>.json``; each is compared
with the previous result of the same preset (ratios, >20 % slower flagged) and
``docs/benchmarks.md`` is rewritten from the newest result per preset (its ``## Notes``
section is kept).

    python benchmarks/bench_e2e.py --presets 1m --runs 3 --csv --anchors --flow
    python benchmarks/bench_e2e.py --presets 3m --runs 1 --csv
    python benchmarks/bench_e2e.py --presets 10m --runs 1 --reuse --time-limit 1800

Worlds are kept under ``--workdir`` (default /tmp/fiu-e2e) only with ``--keep``.

``--check-rules-against DIR`` runs no benchmark: it checks that a change to the rules left
their output alone. ``detect`` runs on each preset's world (generated if missing, kept) once
with the code of the checkout ``DIR`` (e.g. ``git worktree add /tmp/rules-old HEAD``) and once
with this checkout's, each in a fresh process, and the alerts (every column: subject,
typology, score, indicators, evidence, path) and every indicator's result frame must be equal,
exactly:

    python benchmarks/bench_e2e.py --presets 1m --keep --reuse --check-rules-against /tmp/rules-old
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
DOC = REPO / "docs" / "benchmarks.md"
TYPOLOGIES = REPO / "typologies"
EXCLUDED_TYPOLOGIES = {"TY-ML-ACCOUNT"}
PIPELINE_STAGES = ["load", "features", "rules", "train", "score", "alerts", "export"]
TOTAL_STAGES = ["load", "rules", "score", "alerts", "export"]
REGRESSION = 1.20
PAGE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------- measuring


class RssSampler:
    """Samples this process's resident set size every ``interval`` seconds in a thread; a
    stage's peak is the largest sample (or the RSS at its ends) between its start and end."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak = 0
        self.stage = ""
        self.t0 = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE

    def _run(self) -> None:
        cap = float(os.environ.get("BENCH_E2E_RSS_CAP_MB", "inf")) * 2**20
        while not self._stop.wait(self.interval):
            rss = self.rss()
            self.peak = max(self.peak, rss)
            if rss > cap:  # protect a shared machine: stop, keeping what was reached
                partial = os.environ.get("BENCH_E2E_PARTIAL")
                if partial:
                    done = json.loads(Path(partial).read_text()) if Path(partial).exists() else {}
                    done["aborted"] = {
                        "stage": self.stage,
                        "reason": f"RSS above the cap of {cap / 2**20:,.0f} MB",
                        "seconds_into_stage": time.perf_counter() - self.t0,
                    }
                    Path(partial).write_text(json.dumps(done))
                print(f"RSS cap exceeded in {self.stage}", file=sys.stderr, flush=True)
                os._exit(3)

    def reset(self) -> None:
        self.peak = self.rss()

    def stop(self) -> None:
        self._stop.set()


@contextmanager
def stage(out: dict, name: str, sampler: RssSampler):
    sampler.reset()
    sampler.stage = name
    t = time.perf_counter()
    cpu = time.process_time()
    sampler.t0 = t
    yield
    dt = time.perf_counter() - t
    peak = max(sampler.peak, sampler.rss())
    # CPU seconds of the process (all its threads): on a shared machine the wall time grows
    # with the other jobs' load, the CPU time much less
    cpu = time.process_time() - cpu
    out[name] = {"seconds": dt, "peak_rss_mb": peak / 2**20, "cpu_seconds": cpu}
    if os.environ.get("BENCH_E2E_PARTIAL"):  # what a run killed at the time limit reached
        Path(os.environ["BENCH_E2E_PARTIAL"]).write_text(json.dumps(out))
    print(f"  {name}: {dt:.2f} s, peak RSS {peak / 2**20:,.0f} MB", file=sys.stderr)


def max_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(args: list[str], timeout: float | None = None) -> tuple[dict | None, float, str]:
    """Run ``python bench_e2e.py <args>`` in a fresh process; (its last JSON line or None on
    failure/timeout, the child's peak RSS in MB from wait4, stderr tail)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    return run_cmd(cmd, timeout)


def run_cmd(cmd: list[str], timeout: float | None = None) -> tuple[dict | None, float, str]:
    import tempfile

    with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
        proc = subprocess.Popen(cmd, stdout=so, stderr=se, text=True, cwd=REPO)
        deadline = None if timeout is None else time.monotonic() + timeout
        rusage = None
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            if deadline is not None and time.monotonic() > deadline:
                proc.kill()
                _, status, rusage = os.wait4(proc.pid, 0)
                proc.returncode = None
                break
            time.sleep(0.05)
        so.seek(0)
        se.seek(0)
        out, err = so.read(), se.read()
    rss = rusage.ru_maxrss / 1024 if rusage else float("nan")
    tail = err[-3000:]
    if proc.returncode != 0:
        return None, rss, tail
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line), rss, tail
    return {}, rss, tail


# the same program for both checkouts: it imports ``fiu_analytics`` from its working directory
DETECT_PROGRAM = """
import json, pickle, sys, time
from pathlib import Path
import fiu_analytics
from fiu_analytics.detection import load_catalog
from fiu_analytics.detection.engine import detect_from_results, run_indicators
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.store import Store
root, world, out = Path.cwd(), Path(sys.argv[1]), Path(sys.argv[2])
assert Path(fiu_analytics.__file__).resolve().is_relative_to(root.resolve()), fiu_analytics.__file__
catalog = [t for t in load_catalog(root / "typologies") if t.id != "TY-ML-ACCOUNT"]
data = load_detection_input(Store(world / "store"))
t, c = time.perf_counter(), time.process_time()
results = run_indicators(data, catalog)
alerts = detect_from_results(data, catalog, results)
took = {"seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c}
out.write_bytes(pickle.dumps({"alerts": alerts, "results": results}))
print(json.dumps({**took, "alerts": len(alerts), "code": str(root)}))
"""


def check_rules(world: Path, other: Path) -> dict:
    """Alerts and indicator results of ``other``'s code and of this checkout's on ``world``."""
    import pickle
    import tempfile

    import pandas as pd

    runs, data = {}, {}
    for name, root in (("other", other), ("this", REPO)):
        out = world / f"rules-{name}.pkl"
        cmd = [sys.executable, "-c", DETECT_PROGRAM, str(world), str(out)]
        with tempfile.TemporaryFile("w+") as err:
            proc = subprocess.run(cmd, cwd=root, stdout=subprocess.PIPE, stderr=err, text=True)
            if proc.returncode != 0:
                err.seek(0)
                raise SystemExit(f"detect with {root} failed:\n{err.read()[-2000:]}")
        runs[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        data[name] = pickle.loads(out.read_bytes())
        out.unlink()
    diffs = []
    ra, rb = data["other"]["results"], data["this"]["results"]
    if set(ra) != set(rb):
        diffs.append(f"indicator runs differ: {sorted(map(str, set(ra) ^ set(rb)))}")
    for key in sorted(set(ra) & set(rb), key=str):
        try:
            pd.testing.assert_frame_equal(
                ra[key].reset_index(drop=True), rb[key].reset_index(drop=True), check_exact=True
            )
        except AssertionError as e:
            diffs.append(f"{key[0]} {dict(key[1])}: {str(e)[:300]}")
    try:
        pd.testing.assert_frame_equal(
            data["other"]["alerts"], data["this"]["alerts"], check_exact=True
        )
    except AssertionError as e:
        diffs.append(f"alerts: {str(e)[:600]}")
    return {
        "identical": not diffs,
        "differences": diffs,
        "alerts": runs["this"]["alerts"],
        "indicator_runs": len(rb),
        "other": runs["other"],
        "this": runs["this"],
    }


# --------------------------------------------------------------------------- child stages


def child_generate(world: Path, preset: str, seed: int, csv: bool) -> dict:
    from fiu_analytics.store import Store
    from fiu_analytics.synth import SynthConfig, generate
    from fiu_analytics.synth.export import export_sinks

    sinks, close = export_sinks(world / "reports", ["csv"]) if csv else (None, None)
    t = time.perf_counter()
    r = generate(SynthConfig.preset(preset, seed=seed), Store(world / "store"), sinks=sinks)
    if close:
        close()
    dt = time.perf_counter() - t
    return {
        "seconds": dt,
        "transactions": r.transactions,
        "accounts": r.accounts,
        "csv_export": csv,
        "peak_rss_mb": max_rss_mb(),
    }


def child_train(world: Path, run: int, kind: str = "supervised") -> dict:
    """Offline training, in its own process as in production (the retrain flow): load,
    features, train; the model is saved for the pipeline run to load."""
    from fiu_analytics import schema
    from fiu_analytics.detection.inputs import load_detection_input
    from fiu_analytics.models import account_table, save_model, train_account_model
    from fiu_analytics.store import Store

    sampler = RssSampler()
    st: dict[str, Any] = {}
    store = Store(world / "store")
    labels = store.read(schema.LABELS)
    with stage(st, "train_load", sampler):
        data = load_detection_input(store)
    with stage(st, "features", sampler):
        feats = account_table(data)
    n_accounts = len(feats)
    del feats
    with stage(st, "train", sampler):
        model, card = train_account_model(data, labels, kind=kind, budget=50)
    sampler.stop()
    save_model(model, card, world / f"model-{run}")
    return {"stages": st, "accounts": n_accounts, "process_peak_rss_mb": max_rss_mb()}


def child_pipeline(world: Path, run: int, alerts_sample: int | None = None) -> dict:
    """The scheduled run: store to alerts.csv with the model trained beforehand."""
    import pandas as pd

    from fiu_analytics.detection import detect, load_catalog
    from fiu_analytics.detection.alerts import alert_table, write_alert_csv
    from fiu_analytics.detection.inputs import load_detection_input
    from fiu_analytics.models import load_model, score_store
    from fiu_analytics.store import Store

    sampler = RssSampler()
    st: dict[str, Any] = {}
    out = world / f"out-{run}"
    out.mkdir(parents=True, exist_ok=True)
    store = Store(world / "store")
    catalog = [t for t in load_catalog(TYPOLOGIES) if t.id not in EXCLUDED_TYPOLOGIES]
    model, card = load_model(world / f"model-{run}")
    with stage(st, "load", sampler):
        data = load_detection_input(store)
    with stage(st, "rules", sampler):
        alerts = detect(data, catalog)
    with stage(st, "score", sampler):
        scores = score_store(model, card, data)
    # alert_table costs about the same per alert (each looks its evidence up in the whole
    # transaction index); with ``alerts_sample`` only the first alerts are enriched and the
    # stage's time is scaled to all alerts (recorded as extrapolated)
    part = alerts if not alerts_sample else alerts.head(alerts_sample)
    with stage(st, "alerts", sampler):
        table = alert_table(part, data.transactions, data.accounts)
    if len(part) < len(alerts):
        st["alerts"]["measured_alerts"] = len(part)
        st["alerts"]["measured_seconds"] = st["alerts"]["seconds"]
        st["alerts"]["seconds"] *= len(alerts) / max(len(part), 1)
        st["alerts"]["extrapolated"] = True
    with stage(st, "export", sampler):
        write_alert_csv(table, out / "alerts.csv")
        scores.to_csv(out / "scores.csv", index=False)
    sampler.stop()
    st["store_to_alerts"] = {
        "seconds": sum(st[s]["seconds"] for s in TOTAL_STAGES),
        "peak_rss_mb": max(st[s]["peak_rss_mb"] for s in TOTAL_STAGES),
        "cpu_seconds": sum(st[s]["cpu_seconds"] for s in TOTAL_STAGES),
    }
    per_typ = alerts.groupby("typology_id").size().to_dict() if len(alerts) else {}
    return {
        "stages": st,
        "transactions": len(data.transactions),
        "alerts": len(alerts),
        "alerts_per_typology": {k: int(v) for k, v in per_typ.items()},
        "model_alerted": int(scores["alerted"].sum()),
        "typologies": len(catalog),
        "process_peak_rss_mb": max_rss_mb(),
        "period": [str(data.period_start), str(pd.Timestamp(data.period_end))],
    }


def child_flow(world: Path) -> dict:
    """The Prefect detect_flow (rules, lifecycle, alerts.csv, cases, report) timed after a
    warm-up flow has started the embedded server in this process."""
    os.environ.setdefault("PREFECT_HOME", str(world / "prefect-home"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # a fresh PREFECT_HOME migrates its database first: on a loaded machine that takes more
    # than the default 20 s the embedded server is given to come up
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    from prefect import flow

    from pipelines.monitoring import detect_flow

    @flow
    def warm() -> int:
        return 1

    t = time.perf_counter()
    warm()
    warm_s = time.perf_counter() - t
    typ = world / "typologies"
    if not typ.exists():  # the catalog minus TY-ML-ACCOUNT (no model in this flow)
        shutil.copytree(TYPOLOGIES, typ)
        for p in typ.glob("*.yaml"):
            if "TY-ML-ACCOUNT" in p.read_text(encoding="utf-8"):
                p.unlink()
    out = world / "flow-out"
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    summary = detect_flow(str(world / "store"), str(out), typologies_dir=str(typ))
    dt = time.perf_counter() - t
    return {
        "seconds": dt,
        "server_start_s": warm_s,
        "alerts": summary["alerts"],
        "peak_rss_mb": max_rss_mb(),
    }


def child_edges(world: Path) -> dict:
    """Write the store's edges (id, src, dst, t seconds, amount; sorted by time) as .npy."""
    import numpy as np
    import pyarrow.compute as pc

    from fiu_analytics import schema
    from fiu_analytics.store import Store

    cols = ["timestamp", "src_account_key", "dst_account_key", "amount_base"]
    t = Store(world / "store").read_arrow(schema.TRANSACTIONS).select(cols).sort_by("timestamp")
    ts = pc.cast(t["timestamp"], "int64").to_numpy() // 10**6  # us -> s
    ts = ts - ts.min()
    X = np.c_[
        np.arange(len(ts)),
        t["src_account_key"].to_numpy(),
        t["dst_account_key"].to_numpy(),
        ts,
        np.nan_to_num(t["amount_base"].to_numpy(zero_copy_only=False)),
    ].astype(float)
    np.save(world / "edges.npy", X)
    return {"edges": len(X), "accounts": int(np.unique(X[:, 1:3]).size)}


def child_anchor(world: Path, config: str, threads: int) -> dict:
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_features import time_features

    X = np.load(world / "edges.npy")
    shape, secs = time_features(config, X, threads, patterns=config == "ours_edges")
    return {
        "config": config,
        "edges": len(X),
        "seconds": secs,
        "shape": shape,
        "peak_rss_mb": max_rss_mb(),
    }


def nx_patterns(X: Any, window: float = 7 * 86_400, max_len: int = 4) -> dict:
    """Plain networkx: one MultiDiGraph edge per transaction; for each transaction the
    distinct payers of its payee (fan-in) and payees of its payer (fan-out) in the trailing
    ``window``; temporal cycles of 2..``max_len`` hops whose hops are time-ordered within
    ``window`` (simple_cycles on the collapsed graph, then a time check per rotation)."""
    from bisect import bisect_right

    import networkx as nx

    res: dict[str, Any] = {"edges": len(X)}
    t0 = time.perf_counter()
    G = nx.MultiDiGraph()
    for _, s, d, ts, amt in X.tolist():
        G.add_edge(int(s), int(d), t=ts, amount=amt)
    res["build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fan_in = fan_out = 0
    for _, s, d, ts, _ in X.tolist():
        s, d = int(s), int(d)
        fan_in += len({u for u, _, a in G.in_edges(d, data="t") if ts - window < a <= ts})
        fan_out += len({v for _, v, a in G.out_edges(s, data="t") if ts - window < a <= ts})
    res["fan_s"] = time.perf_counter() - t0
    res["fan_in_total"], res["fan_out_total"] = fan_in, fan_out
    t0 = time.perf_counter()
    H = nx.DiGraph()
    for u, v, a in G.edges(data="t"):
        if u == v:
            continue
        if H.has_edge(u, v):
            H[u][v]["ts"].append(a)
        else:
            H.add_edge(u, v, ts=[a])
    for _, _, ts_list in H.edges(data="ts"):
        ts_list.sort()

    def temporal(cycle: list) -> bool:
        hops = list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
        for r in range(len(hops)):
            order = hops[r:] + hops[:r]
            for start in H[order[0][0]][order[0][1]]["ts"]:
                prev, ok = start, True
                for u, v in order[1:]:
                    ts = H[u][v]["ts"]
                    i = bisect_right(ts, prev)
                    if i == len(ts) or ts[i] > start + window:
                        ok = False
                        break
                    prev = ts[i]
                if ok:
                    return True
        return False

    cycles = found = 0
    for c in nx.simple_cycles(H, length_bound=max_len):
        cycles += 1
        found += temporal(c)
    res["cycles_s"] = time.perf_counter() - t0
    res["static_cycles"], res["temporal_cycles"] = cycles, found
    res["seconds"] = res["build_s"] + res["fan_s"] + res["cycles_s"]
    res["peak_rss_mb"] = max_rss_mb()
    return res


def child_nx(world: Path, n: int) -> dict:
    import numpy as np

    X = np.load(world / "edges.npy", mmap_mode="r")[:n]
    return nx_patterns(np.asarray(X))


# --------------------------------------------------------------------------- parent


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for p in [
        "numpy",
        "pandas",
        "pyarrow",
        "scikit-learn",
        "numba",
        "networkx",
        "snapml",
        "duckdb",
        "prefect",
    ]:
        try:
            out[p] = md.version(p)
        except md.PackageNotFoundError:
            out[p] = "-"
    return out


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    except OSError:
        mem = float("nan")
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "mem_gb": round(mem, 1),
        "arch": platform.machine(),
        "kernel": platform.release(),
    }


def median_stages(runs: list[dict]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for n in runs[0]["stages"]:
        v = [r["stages"][n] for r in runs]
        out[n] = {
            "seconds": statistics.median(x["seconds"] for x in v),
            "peak_rss_mb": statistics.median(x["peak_rss_mb"] for x in v),
            "runs_s": [round(x["seconds"], 2) for x in v],
        }
        if all("cpu_seconds" in x for x in v):
            out[n]["cpu_seconds"] = statistics.median(x["cpu_seconds"] for x in v)
            out[n]["runs_cpu_s"] = [round(x["cpu_seconds"], 2) for x in v]
        if v[0].get("extrapolated"):
            out[n]["extrapolated"] = True
            out[n]["measured_alerts"] = v[0]["measured_alerts"]
            out[n]["measured_seconds"] = statistics.median(x["measured_seconds"] for x in v)
    return out


def bench_preset(a: argparse.Namespace, preset: str, t_start: float) -> dict:
    world = a.workdir / preset
    res: dict[str, Any] = {
        "preset": preset,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "versions": versions(),
        "command": "python benchmarks/bench_e2e.py " + " ".join(sys.argv[1:]),
        "runs": a.runs,
        "model_kind": a.model_kind,
        "load_avg_start": os.getloadavg()[0],
    }

    def left() -> float:
        return a.time_limit - (time.monotonic() - t_start)

    gen_file = world / "generate.json"
    if a.reuse and gen_file.exists() and (world / "store" / "manifest.json").exists():
        gen = json.loads(gen_file.read_text())
        gen["reused"] = True
        print(f"[{preset}] reusing {world} (generated in {gen['seconds']:.0f} s)", file=sys.stderr)
    else:
        shutil.rmtree(world, ignore_errors=True)
        world.mkdir(parents=True)
        print(f"[{preset}] generate (csv={a.csv})", file=sys.stderr)
        gen, rss, err = run_child(
            [
                "--child",
                "generate",
                "--world",
                str(world),
                "--preset",
                preset,
                "--seed",
                str(a.seed),
            ]
            + (["--csv"] if a.csv else []),
            timeout=max(60.0, left()),
        )
        if gen is None:
            res["generate"] = {"error": "failed or hit the time limit", "stderr": err[-500:]}
            return res
        gen_file.write_text(json.dumps(gen))
    res["generate"] = gen
    res["transactions"] = gen["transactions"]
    print(
        f"[{preset}] generated {gen['transactions']:,} in {gen['seconds']:.1f} s", file=sys.stderr
    )

    csv = world / "reports" / "transactions.csv"
    if csv.exists() and not a.no_ingest:
        ing_runs = []
        for i in range(a.ingest_runs):
            dest = world / f"ingest-{i}"
            shutil.rmtree(dest, ignore_errors=True)
            fiu = Path(sys.executable).parent / "fiu"
            t = time.perf_counter()
            out, rss, err = run_cmd(
                [str(fiu), "ingest", "--quiet", str(csv), "--data-dir", str(dest)],
                timeout=max(60.0, left()),
            )
            dt = time.perf_counter() - t
            shutil.rmtree(dest, ignore_errors=True)
            if out is None:
                res["ingest"] = {"error": err[-500:]}
                break
            ing_runs.append({"seconds": dt, "peak_rss_mb": rss})
            print(f"[{preset}] fiu ingest {i + 1}: {dt:.1f} s, {rss:,.0f} MB", file=sys.stderr)
        if ing_runs:
            res["ingest"] = {
                "seconds": statistics.median(r["seconds"] for r in ing_runs),
                "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in ing_runs),
                "runs_s": [round(r["seconds"], 2) for r in ing_runs],
                "file_mb": csv.stat().st_size / 2**20,
                "rows": gen["transactions"],
            }
    else:
        res["ingest"] = {"skipped": "no CSV export for this world (generated without --csv)"}

    runs = []
    for i in range(a.runs):
        if runs and left() < 1.5 * max(r["wall_s"] for r in runs):
            print(f"[{preset}] time limit: stopping after {len(runs)} runs", file=sys.stderr)
            break
        print(f"[{preset}] pipeline run {i + 1}", file=sys.stderr)
        t = time.perf_counter()
        partial = world / f"partial-{i}.json"
        os.environ["BENCH_E2E_PARTIAL"] = str(partial)
        common = ["--world", str(world), "--run", str(i), "--model-kind", a.model_kind]
        trained, train_rss, err = run_child(
            ["--child", "train", *common], timeout=max(60.0, left())
        )
        out = None
        if trained is not None:
            out, rss, err = run_child(
                ["--child", "pipeline", *common, "--alerts-sample", str(a.alerts_sample)],
                timeout=max(60.0, left()),
            )
        shutil.rmtree(world / f"model-{i}", ignore_errors=True)
        if out is None:
            res["pipeline_error"] = err[-1500:]
            print(err[-1500:], file=sys.stderr)
            if partial.exists():  # killed at the time limit: keep the stages it finished
                res["partial_stages"] = json.loads(partial.read_text())
                res["partial_stages_wall_s"] = time.perf_counter() - t
            break
        out["wall_s"] = time.perf_counter() - t
        out["child_peak_rss_mb"] = rss
        out["train_peak_rss_mb"] = train_rss
        out["accounts"] = trained["accounts"]
        out["stages"].update(trained["stages"])
        runs.append(out)
        shutil.rmtree(world / f"out-{i}", ignore_errors=True)
    if runs:
        res["runs"] = len(runs)
        res["stages"] = median_stages(runs)
        res["process_peak_rss_mb"] = statistics.median(r["child_peak_rss_mb"] for r in runs)
        res["train_process_peak_rss_mb"] = statistics.median(r["train_peak_rss_mb"] for r in runs)
        res["accounts"] = runs[0]["accounts"]
        res["alerts"] = runs[0]["alerts"]
        res["alerts_per_typology"] = runs[0]["alerts_per_typology"]
        res["model_alerted"] = runs[0]["model_alerted"]

    if a.flow and left() > 120:
        print(f"[{preset}] Prefect detect_flow", file=sys.stderr)
        out, rss, err = run_child(
            ["--child", "flow", "--world", str(world)], timeout=max(60.0, left())
        )
        res["flow"] = out if out is not None else {"error": err[-800:]}

    if a.anchors and left() > 120:
        res["anchors"] = run_anchors(a, world, gen["transactions"], left)
    res["load_avg_end"] = os.getloadavg()[0]
    return res


def run_anchors(a: argparse.Namespace, world: Path, n_total: int, left: Any) -> dict:
    out: dict[str, Any] = {}
    info, _, err = run_child(["--child", "edges", "--world", str(world)])
    if info is None:
        return {"error": err[-500:]}
    out["edges"] = info
    for rep in range(a.anchor_runs):  # interleaved, so that load hits every configuration alike
        for c in a.anchor_configs.split(","):
            if left() < 60 or (rep > 0 and c in a.anchor_once.split(",")):
                continue
            r, rss, err = run_child(
                ["--child", "anchor", "--world", str(world), "--config", c, "--threads", "2"],
                timeout=min(a.anchor_timeout, left()),
            )
            if r is None:
                r = {
                    "config": c,
                    "seconds": None,
                    "timeout_s": a.anchor_timeout,
                    "note": "killed at the timeout" if "Error" not in err else err[-300:],
                }
            r["child_peak_rss_mb"] = rss
            out.setdefault(c, []).append(r)
            s = r["seconds"]
            print(
                f"  anchor {c} run {rep + 1}: {s if s is None else round(s, 1)} s, {rss:,.0f} MB",
                file=sys.stderr,
            )
    # networkx on growing time-prefixes, until one step exceeds the cap
    nx_steps = []
    n = a.nx_start
    while n <= n_total and left() > 60:
        r, rss, err = run_child(
            ["--child", "nx", "--world", str(world), "--n", str(n)], timeout=min(a.nx_cap, left())
        )
        if r is None:
            nx_steps.append(
                {"edges": n, "seconds": None, "timeout_s": a.nx_cap, "peak_rss_mb": rss}
            )
            print(f"  networkx {n:,} edges: killed at {a.nx_cap} s", file=sys.stderr)
            break
        r["peak_rss_mb"] = rss
        nx_steps.append(r)
        print(
            f"  networkx {n:,} edges: {r['seconds']:.1f} s (build {r['build_s']:.1f}, fan "
            f"{r['fan_s']:.1f}, cycles {r['cycles_s']:.1f}), {rss:,.0f} MB",
            file=sys.stderr,
        )
        n *= 2
    out["networkx"] = {"steps": nx_steps, "extrapolated": extrapolate(nx_steps, n_total)}
    return out


def extrapolate(steps: list[dict], n_total: int) -> dict | None:
    """Time at ``n_total`` edges from the two largest finished steps: t = c * n^k, with k
    the measured exponent (at least 1); per part (build, fan, cycles)."""
    import math

    done = [s for s in steps if s.get("seconds")]
    if len(done) < 2:
        return None
    a, b = done[-2], done[-1]
    est: dict[str, Any] = {"from_edges": [a["edges"], b["edges"]]}
    total = 0.0
    for part in ("build_s", "fan_s", "cycles_s"):
        ta, tb = max(a[part], 1e-3), max(b[part], 1e-3)
        k = max(1.0, math.log(tb / ta) / math.log(b["edges"] / a["edges"]))
        t = tb * (n_total / b["edges"]) ** k
        est[part] = round(t, 1)
        est[part.replace("_s", "_exponent")] = round(k, 2)
        total += t
    est["seconds"] = round(total, 1)
    if any(s.get("seconds") is None for s in steps):
        est["note"] = "the next doubling was killed at the cap; the estimate is a lower bound"
    mem = max(s["peak_rss_mb"] for s in done)
    est["peak_rss_mb_lower_bound"] = round(mem * n_total / b["edges"])
    return est


# --------------------------------------------------------------------------- comparing, writing


def previous_result(preset: str, exclude: Path | None = None) -> dict | None:
    files = sorted(RESULTS.glob(f"e2e-{preset}-*.json"))
    files = [f for f in files if f != exclude]
    return json.loads(files[-1].read_text()) if files else None


def compare(new: dict, old: dict | None) -> list[str]:
    if not old or "stages" not in old or "stages" not in new:
        return ["no earlier result of this preset to compare with"]
    lines = [f"against {old['date']} (ratio new/old; > {REGRESSION:.2f} flagged):"]
    rows = dict(new["stages"])
    old_rows = dict(old["stages"])
    for k in ("ingest", "generate"):
        if "seconds" in new.get(k, {}) and "seconds" in old.get(k, {}):
            rows[k], old_rows[k] = new[k], old[k]
    for name, v in rows.items():
        if name not in old_rows or not old_rows[name]["seconds"]:
            continue
        r = v["seconds"] / old_rows[name]["seconds"]
        m = v["peak_rss_mb"] / max(old_rows[name]["peak_rss_mb"], 1)
        flag = "  REGRESSION" if r > REGRESSION or m > REGRESSION else ""
        cpu = ""
        if v.get("cpu_seconds") and old_rows[name].get("cpu_seconds"):
            cpu = f"  cpu {v['cpu_seconds'] / old_rows[name]['cpu_seconds']:5.2f}x"
        lines.append(f"  {name:16s} time {r:5.2f}x{cpu}  peak RSS {m:5.2f}x{flag}")
    return lines


def fmt_mb(x: float | None) -> str:
    return "-" if not x else f"{x:,.0f}"


def fmt_s(x: float | None) -> str:
    return "-" if x is None else f"{x:,.1f}"


def write_doc() -> None:
    latest = {}
    for f in sorted(RESULTS.glob("e2e-*.json")):
        r = json.loads(f.read_text())
        r["_file"] = f.name
        latest[r["preset"]] = r  # sorted by time, the newest wins
    order = [p for p in ("1m", "3m", "10m") if p in latest] + sorted(
        set(latest) - {"1m", "3m", "10m"}
    )
    res = [latest[p] for p in order]
    for r in res:  # a run killed at the time limit: show the stages it finished
        if "stages" not in r and r.get("partial_stages"):
            r["stages"] = {k: v for k, v in r["partial_stages"].items()}
            r["partial"] = True
    notes = ""
    if DOC.exists() and "\n## Notes" in DOC.read_text():
        old = DOC.read_text()
        notes = old[old.index("\n## Notes") :]
    L = ["# End-to-end benchmark", ""]
    L += [
        "Generated by `benchmarks/bench_e2e.py` from the newest `benchmarks/results/e2e-*.json` "
        "of each preset (the `## Notes` section is written by hand and kept). Commands:",
        "",
    ]
    L += [f"- {r['preset']}: `{r['command']}` ({r['date']}, `{r['_file']}`)" for r in res]
    if res:
        m, v = res[-1]["machine"], res[-1]["versions"]
        L += [
            "",
            f"Machine: {m['cores']} cores ({m['cpu']}), {m['mem_gb']} GB RAM, {m['arch']}, "
            f"Linux {m['kernel']}. " + ", ".join(f"{k} {x}" for k, x in v.items()) + ".",
            "",
            "The machine is shared with other jobs at times; the load averages at the start "
            "and end of each preset's runs are recorded below. Times are medians of the "
            "runs (each run a fresh process); peak RSS per stage is the largest RSS sampled "
            "every 20 ms during the stage (it includes the loaded data the stage works on).",
        ]
    L += ["", "## Stages", ""]
    head = "| stage | " + " | ".join(f"{r['preset']} s | {r['preset']} peak MB" for r in res) + " |"
    L += [head, "|---|" + "---|---|" * len(res)]
    names = ["generate", "ingest", *PIPELINE_STAGES, "store_to_alerts"]
    for n in names:
        cells = []
        for r in res:
            v = r.get(n) if n in ("generate", "ingest") else r.get("stages", {}).get(n)
            ab = r.get("partial_stages", {}).get("aborted") if r.get("partial") else None
            if ab and ab["stage"] == n:
                cap = ab["reason"].split("cap of ")[-1]
                cells += [f"> {ab['seconds_into_stage']:.0f} (aborted: RSS cap)", f"> {cap}"]
            elif not v or "seconds" not in v:
                cells += ["-", "-"]
            else:
                mark = " (extrapolated, see notes)" if v.get("extrapolated") else ""
                cells += [fmt_s(v["seconds"]) + mark, f"{v['peak_rss_mb']:,.0f}"]
        label = {
            "store_to_alerts": "**store to alerts.csv** (load+rules+score+alerts+export)",
            "generate": "generate (not in the total)",
            "ingest": "`fiu ingest` of the CSV",
            "features": "features (account_features; training process, not in the total)",
            "train": "train (3-fold OOF + fit; training process, not in the total)",
            "score": "score (features + predict)",
        }.get(n, n)
        L.append(f"| {label} | " + " | ".join(cells) + " |")
    L += [
        "",
        "| preset | transactions | accounts | runs | alerts | model (alerted) | "
        "per-run store-to-alerts s | process peak RSS MB | training process peak RSS MB | "
        "load avg start/end |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res:
        st = r.get("stages", {}).get("store_to_alerts", {})
        runs = ", ".join(f"{x:.1f}" for x in st.get("runs_s", [])) or "-"
        L.append(
            f"| {r['preset']} | {r.get('transactions', 0):,} | "
            f"{r.get('accounts') or r.get('generate', {}).get('accounts', 0):,} | "
            f"{r.get('runs', 0)} | {r.get('alerts', '-')} | "
            f"{r.get('model_kind', 'supervised')} ({r.get('model_alerted', '-')}) | "
            f"{runs} | {fmt_mb(r.get('process_peak_rss_mb'))} | "
            f"{fmt_mb(r.get('train_process_peak_rss_mb'))} | "
            f"{r.get('load_avg_start', 0):.1f} / {r.get('load_avg_end', 0):.1f} |"
        )
    # scaling
    base = next((r for r in res if r["preset"] == "1m" and "stages" in r), None)
    if base and len(res) > 1:
        L += [
            "",
            "## Scaling (relative to 1M)",
            "",
            "Ratio of times against the ratio of transactions; linear growth gives a time "
            "ratio equal to the size ratio, n log n slightly above it.",
            "",
            "| preset | size ratio | "
            + " | ".join(f"{n} time ratio" for n in [*PIPELINE_STAGES, "store_to_alerts"])
            + " |",
            "|---|---|" + "---|" * (len(PIPELINE_STAGES) + 1),
        ]
        for r in res:
            if "stages" not in r:
                continue
            size = r["transactions"] / base["transactions"]
            cells = []
            for n in [*PIPELINE_STAGES, "store_to_alerts"]:
                if n in r["stages"] and n in base["stages"]:
                    cells.append(f"{r['stages'][n]['seconds'] / base['stages'][n]['seconds']:.2f}")
                else:
                    cells.append("-")
            L.append(f"| {r['preset']} | {size:.2f} | " + " | ".join(cells) + " |")
    # flow
    for r in res:
        f = r.get("flow")
        if f and "seconds" in f:
            L += [
                "",
                f"## Prefect detect_flow ({r['preset']})",
                "",
                f"`detect_flow` (rules, lifecycle, alerts.csv, 20 case packages, report.html, "
                f"summary) took **{f['seconds']:.1f} s** after a warm-up flow started the "
                f"embedded server ({f['server_start_s']:.1f} s); {f['alerts']} alerts; "
                f"process peak RSS {f['peak_rss_mb']:,.0f} MB. One run.",
            ]
    # anchors
    for r in res:
        an = r.get("anchors")
        if not an or "edges" not in an:
            continue
        e = an["edges"]
        L += [
            "",
            f"## Anchors on the same edges ({r['preset']}: {e['edges']:,} transactions, "
            f"{e['accounts']:,} accounts)",
            "",
            "| configuration | what | median s | edges/s | peak RSS MB | runs s |",
            "|---|---|---|---|---|---|",
        ]
        what = {
            "ours_edges": "EdgeFeatures() defaults: windows 1/7/21/30 d, cycles 2-6 hops in 21 d, "
            "scatter-gather 5 d, amount statistics and cash 21 d (127 columns)",
            "ours_edges_no_patterns": "EdgeFeatures(patterns=False)",
            "gfp_default": "snapml GFP default set: fan in/out 12 h + vertex statistics",
            "gfp_patterns": "snapml GFP + degree, scatter-gather, temporal cycles",
        }
        for c, runs in an.items():
            if c in ("edges", "networkx"):
                continue
            secs = [x["seconds"] for x in runs if x.get("seconds")]
            rss = [x["child_peak_rss_mb"] for x in runs]
            if secs and len(secs) == len(runs):
                med = statistics.median(secs)
                cell = f"{med:.1f} | {e['edges'] / med:,.0f}"
            else:
                cell = f"> {runs[0].get('timeout_s')} (killed) | -"
            runs_s = ", ".join(
                "killed" if not x.get("seconds") else f"{x['seconds']:.1f}" for x in runs
            )
            L.append(
                f"| {c} | {what.get(c, c)} | {cell} | {statistics.median(rss):,.0f} | {runs_s} |"
            )
        nxr = an.get("networkx")
        if nxr:
            L += [
                "",
                "Plain networkx (one MultiDiGraph edge per transaction; fan-in/fan-out "
                "in a trailing 7 days per transaction; temporal cycles of 2-4 hops within "
                "7 days) on growing time-prefixes of the same edges, one run each:",
                "",
                "| edges | build s | fan s | cycles s | total s | peak RSS MB | static / "
                "temporal cycles |",
                "|---|---|---|---|---|---|---|",
            ]
            for s in nxr["steps"]:
                if s.get("seconds") is None:
                    L.append(f"| {s['edges']:,} | killed at {s['timeout_s']} s | | | | | |")
                else:
                    L.append(
                        f"| {s['edges']:,} | {s['build_s']:.1f} | {s['fan_s']:.1f} | "
                        f"{s['cycles_s']:.1f} | {s['seconds']:.1f} | {s['peak_rss_mb']:,.0f} | "
                        f"{s['static_cycles']:,} / {s['temporal_cycles']:,} |"
                    )
            ex = nxr.get("extrapolated")
            if ex:
                L += [
                    "",
                    f"Extrapolated to {e['edges']:,} edges from the steps at "
                    f"{ex['from_edges'][0]:,} and {ex['from_edges'][1]:,} edges, t = c n^k "
                    f"per part with the measured k (at least 1): build {ex['build_s']} s "
                    f"(k={ex['build_exponent']}), fan {ex['fan_s']} s "
                    f"(k={ex['fan_exponent']}), cycles {ex['cycles_s']} s "
                    f"(k={ex['cycles_exponent']}); **total about {ex['seconds']:,.0f} s**, "
                    f"memory at least {ex['peak_rss_mb_lower_bound']:,} MB. "
                    + ex.get("note", "").capitalize(),
                ]
    # targets
    L += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for r in res:
        ab = r.get("partial_stages", {}).get("aborted") if r.get("partial") else None
        if ab and r["preset"] == "10m":
            done = sum(v["seconds"] for k, v in r["stages"].items() if k in TOTAL_STAGES)
            low = done + ab["seconds_into_stage"]
            L.append(
                f"| 10M store to alerts.csv <= 180 s | > {low:.0f} s (run aborted in "
                f"{ab['stage']}: {ab['reason']}) | no |"
            )
            L.append(f"| 10M peak memory <= 6 GB | > {ab['reason'].split('cap of ')[-1]} | no |")
        st = r.get("stages", {}).get("store_to_alerts")
        if not st:
            continue
        if r["preset"] == "10m":
            L.append(
                f"| 10M store to alerts.csv <= 180 s | {st['seconds']:.1f} s | "
                f"{'yes' if st['seconds'] <= 180 else 'no'} |"
            )
            whose = (
                "the scheduled run's process; training in its own"
                if r.get("train_process_peak_rss_mb")
                else "whole process incl. training"
            )
            L.append(
                f"| 10M peak memory <= 6 GB | {r['process_peak_rss_mb'] / 1024:.1f} GB "
                f"({whose}) | "
                f"{'yes' if r['process_peak_rss_mb'] <= 6144 else 'no'} |"
            )
        if r["preset"] == "1m":
            L.append(
                f"| 1M store to alerts.csv <= 20 s (library path) | {st['seconds']:.1f} s | "
                f"{'yes' if st['seconds'] <= 20 else 'no'} |"
            )
            f = r.get("flow")
            if f and "seconds" in f:
                L.append(
                    f"| 1M end to end <= 20 s after the Prefect server is up "
                    f"(detect_flow) | {f['seconds']:.1f} s | "
                    f"{'yes' if f['seconds'] <= 20 else 'no'} |"
                )
    DOC.write_text("\n".join(L) + "\n" + notes, encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--presets", nargs="+", default=["1m"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ingest-runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--csv", action="store_true", help="export CSV while generating (ingest)")
    ap.add_argument("--no-ingest", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="reuse a generated world in workdir")
    ap.add_argument("--keep", action="store_true", help="keep the generated worlds")
    ap.add_argument("--anchors", action="store_true")
    ap.add_argument("--anchor-configs", default="ours_edges,gfp_default,gfp_patterns")
    ap.add_argument("--anchor-runs", type=int, default=3)
    ap.add_argument("--anchor-once", default="gfp_patterns", help="configs run only once")
    ap.add_argument("--anchor-timeout", type=float, default=300)
    ap.add_argument("--nx-start", type=int, default=25_000)
    ap.add_argument("--nx-cap", type=float, default=120, help="seconds per networkx step")
    ap.add_argument(
        "--alerts-sample",
        type=int,
        default=0,
        help="enrich only this many alerts and scale the alerts stage's time",
    )
    ap.add_argument(
        "--model-kind",
        default="supervised",
        choices=["supervised", "anomaly"],
        help="the account model trained and scored (anomaly: IsolationForest, quicker)",
    )
    ap.add_argument("--rss-cap-gb", type=float, help="abort a pipeline run above this RSS")
    ap.add_argument("--flow", action="store_true", help="also time the Prefect detect_flow")
    ap.add_argument("--time-limit", type=float, default=3600, help="seconds per preset")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/fiu-e2e"))
    ap.add_argument("--no-write", action="store_true", help="print; no JSON, no doc")
    ap.add_argument("--doc-only", action="store_true", help="rewrite the doc from results/")
    ap.add_argument(
        "--check-rules-against",
        type=Path,
        metavar="DIR",
        help="no benchmark: check that this checkout's rules give the alerts of checkout DIR",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--world", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--preset", help=argparse.SUPPRESS)
    ap.add_argument("--run", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=2, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        sys.path.insert(0, str(REPO))
        fn = {
            "generate": lambda: child_generate(a.world, a.preset, a.seed, a.csv),
            "train": lambda: child_train(a.world, a.run, a.model_kind),
            "pipeline": lambda: child_pipeline(a.world, a.run, a.alerts_sample),
            "flow": lambda: child_flow(a.world),
            "edges": lambda: child_edges(a.world),
            "anchor": lambda: child_anchor(a.world, a.config, a.threads),
            "nx": lambda: child_nx(a.world, a.n),
        }[a.child]
        print(json.dumps(fn()))
        return 0
    if a.doc_only:
        write_doc()
        return 0
    if a.check_rules_against:
        same = True
        for preset in a.presets:
            world = a.workdir / preset
            if not (world / "store" / "manifest.json").exists():
                world.mkdir(parents=True, exist_ok=True)
                args = ["--world", str(world), "--preset", preset, "--seed", str(a.seed)]
                gen, _, err = run_child(["--child", "generate", *args])
                if gen is None:
                    raise SystemExit(f"generate {preset} failed:\n{err}")
                (world / "generate.json").write_text(json.dumps(gen))
            r = check_rules(world, a.check_rules_against.resolve())
            print(json.dumps({"preset": preset, **r}, indent=1))
            same &= r["identical"]
        return 0 if same else 1
    RESULTS.mkdir(parents=True, exist_ok=True)
    if a.rss_cap_gb:
        os.environ["BENCH_E2E_RSS_CAP_MB"] = str(a.rss_cap_gb * 1024)
    for preset in a.presets:
        t0 = time.monotonic()
        res = bench_preset(a, preset, t0)
        path = RESULTS / f"e2e-{preset}-{res['date'].replace(':', '')}.json"
        for line in compare(res, previous_result(preset)):
            print(line, file=sys.stderr)
        if not a.no_write:
            path.write_text(json.dumps(res, indent=1, default=str) + "\n")
            print(f"wrote {path}", file=sys.stderr)
            write_doc()
        else:
            print(json.dumps(res, indent=1, default=str))
        if not a.keep:
            shutil.rmtree(a.workdir / preset, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
