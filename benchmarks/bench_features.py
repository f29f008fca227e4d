"""Benchmark: fiu_analytics.features.EdgeFeatures against snapml's GraphFeaturePreprocessor (GFP).

Same random edge list for both (uniform random payer and payee among ``--accounts`` accounts,
integer timestamps over 30 days, log-normal amounts), same thread count. Each configuration runs
in its own subprocess (so that peak RSS is its own) ``--repeats`` times; medians are reported.
Then a check that comparable features agree, on a smaller graph where GFP is fed one edge at a
time (its streaming mode: a batch credits an edge with patterns that later edges of the batch
complete, which is look-ahead).

snapml is only needed here: ``pip install 'fiu-analytics[bench]'`` (snapml>=1.17,<2).

    python benchmarks/bench_features.py --edges 1000000 --threads 2 --repeats 3
    python benchmarks/bench_features.py --agreement-only
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CONFIGS = {
    "ours": "EdgeFeatures, default parameters (all features incl. cycles 2-6 in 21 d, "
    "scatter-gather 5 d)",
    "ours_no_patterns": "EdgeFeatures(patterns=False): windows, profile, row features only",
    "gfp_patterns": "GFP: fan, degree, scatter-gather, temporal cycle + vertex stats (defaults)",
    "gfp_default": "GFP: its default set (fan + vertex stats)",
}


def edges(n: int, accounts: int, seed: int = 0, days: int = 30) -> np.ndarray:
    """Columns: id, src, dst, timestamp (s), amount; sorted by time."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, days * 86_400, n))
    return np.c_[
        np.arange(n),
        rng.integers(0, accounts, n),
        rng.integers(0, accounts, n),
        t,
        rng.lognormal(6.0, 1.5, n),
    ].astype(float)


def time_features(config: str, X: np.ndarray, threads: int, patterns: bool) -> tuple[list, float]:
    """Output shape and seconds of one configuration on an edge list ``X`` (GFP's column
    order: id, src, dst, timestamp, amount): ours (``config`` starting with "ours", with or
    without ``patterns``) or snapml's GFP (``gfp_patterns``: fan, degree, scatter-gather and
    temporal cycles; else its default set)."""
    if config.startswith("ours"):
        from fiu_analytics.features import EdgeFeatures

        ef = EdgeFeatures(n_jobs=threads, patterns=patterns)
        arr = X[:, [3, 1, 2, 4]]  # timestamp, src, dst, amount
        ef.fit_transform(arr[:2000])  # compile (numba caches it on disk after the first run)
        t0 = time.perf_counter()
        out = ef.fit_transform(arr)
        return list(out.shape), time.perf_counter() - t0
    from snapml import GraphFeaturePreprocessor

    gfp = GraphFeaturePreprocessor()
    params = dict(gfp.get_params())
    params["num_threads"] = threads
    if config == "gfp_patterns":
        params.update({"degree": True, "scatter-gather": True, "temp-cycle": True})
    gfp.set_params(params)
    t0 = time.perf_counter()
    out = gfp.transform(X)
    return list(out.shape), time.perf_counter() - t0


def run_one(config: str, n: int, accounts: int, threads: int) -> dict:
    """Runs in the child process: time one configuration on the edge list."""
    import resource

    shape, secs = time_features(config, edges(n, accounts), threads, patterns=config == "ours")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"config": config, "seconds": secs, "edges_per_s": n / secs, "peak_rss_mb": peak_mb,
            "shape": shape}  # fmt: skip


def agreement(n: int = 20_000, accounts: int = 2_000, threads: int = 2) -> dict:
    """Compare fan-in/out, degree-in/out, scatter-gather and cycle lengths 2..6 with GFP in
    streaming mode. Timestamps are even and the window odd, so no transfer sits exactly on a
    window boundary (GFP closes cycle and scatter-gather windows, ours are half-open)."""
    import pandas as pd
    from snapml import GraphFeaturePreprocessor

    from fiu_analytics.features import EdgeFeatures

    rng = np.random.default_rng(1)
    t = 2 * np.sort(rng.choice(5 * 86_400, n, replace=False))  # distinct even seconds, 10 d
    src, dst = rng.integers(0, accounts, n), rng.integers(0, accounts, n)
    keep = src != dst  # GFP ignores self-loops in patterns; so do we, but keep ids simple
    src, dst, t = src[keep], dst[keep], t[keep]
    X = np.c_[np.arange(len(t)), src, dst, t].astype(float)
    tw = 2 * 86_400 + 1
    bins = list(range(2, 41))
    gfp = GraphFeaturePreprocessor()
    p = dict(gfp.get_params())
    p.update({"num_threads": threads, "vertex_stats": False})
    for pattern in ("fan", "degree", "scatter-gather", "temp-cycle"):
        p.update({pattern: True, f"{pattern}_tw": tw, f"{pattern}_bins": bins})
    gfp.set_params(p)
    rows = np.vstack([gfp.transform(X[i : i + 1]) for i in range(len(X))])[:, 4:]
    nb = len(bins)
    blocks = {k: rows[:, i * nb : (i + 1) * nb] for i, k in enumerate(
        ["fan_in", "fan_out", "deg_in", "deg_out", "sg", "tc"])}  # fmt: skip

    def size(block: np.ndarray) -> np.ndarray:  # one pattern per edge: its size, 0 if none
        hit = block.argmax(axis=1)
        return np.where(block.max(axis=1) > 0, np.asarray(bins)[hit], 0)

    ef = EdgeFeatures(windows=(pd.Timedelta(seconds=tw),), cycle_window=pd.Timedelta(seconds=tw),
                      scatter_gather_window=pd.Timedelta(seconds=tw),
                      scatter_gather_ordered=False, n_jobs=threads)  # fmt: skip
    ours = ef.fit_transform(X[:, [3, 1, 2, 0]])
    lab = next(c for c in ours.columns if c.startswith("dst_in_distinct_")).rsplit("_", 1)[1]

    def ours_size(name: str) -> np.ndarray:  # GFP reports patterns of size >= 2 only
        v = ours[f"{name}_{lab}"].to_numpy()
        return np.where(v >= 2, v, 0)

    pairs = {
        "fan_in": (size(blocks["fan_in"]), ours_size("dst_in_distinct")),
        "fan_out": (size(blocks["fan_out"]), ours_size("src_out_distinct")),
        "degree_in": (size(blocks["deg_in"]), ours_size("dst_in_count")),
        "degree_out": (size(blocks["deg_out"]), ours_size("src_out_count")),
        "scatter_gather_sources": (
            blocks["sg"].sum(axis=1),
            ours["scatter_gather_sources"].to_numpy(),
        ),
    }
    for k in range(2, 7):
        pairs[f"cycles_{k}"] = (blocks["tc"][:, k - 2], ours[f"cycles_{k}"].to_numpy())
    result = {"edges": len(X), "accounts": accounts, "window_s": tw}
    for name, (g, o) in pairs.items():
        g, o = np.asarray(g, float), np.asarray(o, float)
        result[name] = {
            "equal_share": float((g == o).mean()),
            "gfp_total": float(g.sum()),
            "ours_total": float(o.sum()),
        }
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per run")
    ap.add_argument("--agreement-only", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(run_one(a.child, a.edges, a.accounts, a.threads)))
        return
    results: dict = {"edges": a.edges, "accounts": a.accounts, "threads": a.threads, "runs": {}}
    if not a.agreement_only:
        configs = a.configs.split(",")
        for rep in range(a.repeats):  # interleaved, so that load on the machine hits all alike
            for c in configs:
                cmd = [sys.executable, __file__, "--child", c, "--edges", str(a.edges),
                       "--accounts", str(a.accounts), "--threads", str(a.threads)]  # fmt: skip
                try:
                    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
                    res = json.loads(proc.stdout.strip().splitlines()[-1])
                except subprocess.TimeoutExpired:
                    res = {"config": c, "seconds": float("inf"), "edges_per_s": 0.0,
                           "peak_rss_mb": float("nan"), "timeout": a.timeout}  # fmt: skip
                except (IndexError, json.JSONDecodeError):
                    sys.exit(f"{c} failed:\n{proc.stderr}")
                results["runs"].setdefault(c, []).append(res)
                print(f"run {rep + 1} {c}: {res['seconds']:.1f} s, "
                      f"{res['edges_per_s']:,.0f} edges/s, {res['peak_rss_mb']:,.0f} MB",
                      file=sys.stderr)  # fmt: skip
        print("\n| configuration | median s | edges/s | peak RSS MB |\n|---|---|---|---|")
        med = {}
        for c, runs in results["runs"].items():
            s = statistics.median(r["seconds"] for r in runs)
            m = statistics.median(r["peak_rss_mb"] for r in runs)
            med[c] = s
            print(f"| {c} | {s:.1f} | {a.edges / s:,.0f} | {m:,.0f} |")
        if "ours" in med and "gfp_patterns" in med:
            print(f"\nthroughput ours / gfp_patterns: {med['gfp_patterns'] / med['ours']:.2f}x")
        if "ours" in med and "gfp_default" in med:
            print(f"throughput ours / gfp_default: {med['gfp_default'] / med['ours']:.2f}x")
        results["medians_s"] = med
    results["agreement"] = agreement(threads=a.threads)
    print("\nagreement with GFP (streaming), share of edges with equal values:")
    for k, v in results["agreement"].items():
        if isinstance(v, dict):
            print(f"  {k}: {v['equal_share']:.4f} (totals gfp {v['gfp_total']:.0f}, "
                  f"ours {v['ours_total']:.0f})")  # fmt: skip
    if a.out:
        a.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
