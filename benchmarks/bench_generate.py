"""Generator benchmark: throughput (transactions/s) and peak memory at a preset size.

Each run is a fresh process (so peak RSS is that run's alone) generating into a temporary
store. Reports the median of ``--runs`` runs and writes a Markdown table to
docs/benchmarks-generator.md (with the machine and versions), keeping earlier results below.

    python benchmarks/bench_generate.py --preset 1m --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks-generator.md"

CHILD = r"""
import json, resource, sys, time
from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate
cfg = SynthConfig.preset(sys.argv[1], seed=int(sys.argv[3]))
t = time.perf_counter()
r = generate(cfg, Store(sys.argv[2]))
dt = time.perf_counter() - t
print(json.dumps({"transactions": r.transactions, "seconds": dt,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_once(preset: str, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, preset, f"{tmp}/store", str(seed)],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])


def versions() -> str:
    import numpy
    import pandas
    import pyarrow

    return (
        f"Python {platform.python_version()}, numpy {numpy.__version__}, "
        f"pandas {pandas.__version__}, pyarrow {pyarrow.__version__}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--preset", default="1m")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    runs = [run_once(args.preset, args.seed + i) for i in range(args.runs)]
    for r in runs:
        print(json.dumps(r), file=sys.stderr)
    rate = statistics.median(r["transactions"] / r["seconds"] for r in runs)
    secs = statistics.median(r["seconds"] for r in runs)
    rss = statistics.median(r["peak_rss_mb"] for r in runs)
    n = statistics.median(r["transactions"] for r in runs)
    row = (
        f"| {datetime.now(UTC):%Y-%m-%d} | {args.preset} | {n:,.0f} | {args.runs} | "
        f"{secs:.1f} | {rate:,.0f} | {rss:,.0f} |"
    )
    print(row)
    if args.no_write:
        return 0
    header = [
        "# Generator benchmark",
        "",
        "Command: `python benchmarks/bench_generate.py --preset 1m --runs 3` "
        "(`make bench-generate`).",
        "Each run is a fresh process writing a new store; medians over runs with different "
        "seeds. Target: 1M transactions in under 60 s on the 2-core machine.",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}; {versions()}.",
        "",
        "| date | preset | transactions | runs | median seconds | median txn/s | "
        "median peak RSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    old_rows, notes = [], ""
    if DOC.exists():
        text = DOC.read_text()
        old_rows = [ln for ln in text.splitlines() if ln.startswith("| 20")]
        if "\n## Notes" in text:
            notes = text[text.index("\n## Notes"):]
    load = os.getloadavg()[0]
    row = row.rstrip(" |") + f" | {load:.1f} |"
    DOC.write_text("\n".join([*header, row, *old_rows]) + "\n" + notes, encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
