"""Ingest benchmark: records/s and peak memory for goAML and CSV, at several sizes.

Generates worlds with real-format exports (fresh temporary folders), then ingests the goAML
reports and the CSV each in a fresh process, timing the ingest and recording peak RSS; the
median of ``--runs`` runs is reported. ``--sizes`` are worlds exported as goAML and CSV,
``--csv-sizes`` larger worlds exported as CSV only (goAML files of a million transactions
take gigabytes). Growing worlds also grow the number of accounts; ``--memory-persons N
--memory-days D1 D2 ...`` adds a series of one world over more and more days (same accounts,
more rows), which is what "memory flat in file size" is about. Writes
docs/benchmarks-ingest.md (keeping its "## Notes" section).

``--baseline DIR`` also times the code of another checkout (``git worktree add DIR REF``) on
the same files, alternating its runs with the current code's, and reports the ratio of the
medians: on a shared machine, load changes between runs, so a ratio measured side by side is
worth more than two tables measured at different times.

    python benchmarks/bench_ingest.py --sizes 300 1200 3000 --csv-sizes 5000 11000 22000 \
        --days 46 --csv-days 90 --runs 3 --memory-persons 3000 --memory-days 45 180 360 720 \
        --baseline /tmp/ingest-old
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
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks-ingest.md"

GEN = r"""
import sys
from pathlib import Path
from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate
from fiu_analytics.synth.export import export_sinks
out = Path(sys.argv[1]); persons = int(sys.argv[2]); days = int(sys.argv[3])
formats = sys.argv[4].split(",")
sinks, close = export_sinks(out / "reports", formats)
r = generate(SynthConfig(seed=99, n_persons=persons, days=days, scenarios_per_typology=1),
             Store(out / "truth"), sinks=sinks)
close()
if "goaml" in formats:
    (out / "reports" / "goaml" / "manifest.json").unlink()
print(r.transactions)
"""

ING = r"""
import json, resource, sys, time
from pathlib import Path
# the readers are imported before the clock starts: the ingest is timed, not module loading
import fiu_analytics.ingest.goaml, fiu_analytics.ingest.tabular_fast
from fiu_analytics.ingest import Ingestor
from fiu_analytics.store import Store
paths = [Path(p) for p in sys.argv[2:]]
def cpu_s():  # this process and its finished children (the parse processes)
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
t, cpu = time.perf_counter(), cpu_s()
rep = Ingestor(Store(sys.argv[1])).ingest(paths)
dt, cpu = time.perf_counter() - t, cpu_s() - cpu
assert rep.ok, [f.error for f in rep.files]
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"records": sum(f.read for f in rep.files), "seconds": dt, "cpu": cpu,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "child_rss_mb": kids}))
"""


def run(code: str, *args: str, tree: Path | None = None) -> str:
    """Run ``code`` in a fresh interpreter, importing fiu_analytics from ``tree`` if given."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), env.get("PYTHONPATH")]))
    # `python -c` puts the working directory first on sys.path: run in the tree whose code is
    # meant, or a checkout's own folder would shadow the baseline given by PYTHONPATH
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tree or REPO,
    )
    return out.stdout.strip().splitlines()[-1]


def _summary(res: list[dict]) -> dict:
    return {
        "records": res[0]["records"],
        "median_s": statistics.median(r["seconds"] for r in res),
        "cpu_s": statistics.median(r["cpu"] for r in res) if "cpu" in res[0] else None,
        "rate": statistics.median(r["records"] / r["seconds"] for r in res),
        "rss": statistics.median(r["peak_rss_mb"] for r in res),
        "child_rss": statistics.median(r.get("child_rss_mb", 0.0) for r in res),
    }


def measure(root: Path, fmt: str, files: list[str], runs: int, baseline: Path | None) -> dict:
    """Median seconds, records/s and peak RSS of ``runs`` ingests into empty stores; with a
    baseline, the same for its code, each run right after one of ours."""
    res, base = [], []
    for i in range(runs):
        store = root / f"s-{fmt}-{i}"
        res.append(json.loads(run(ING, str(store), *files)))
        shutil.rmtree(store, ignore_errors=True)
        if baseline is not None:
            base.append(json.loads(run(ING, str(store), *files, tree=baseline)))
            shutil.rmtree(store, ignore_errors=True)
    out = _summary(res)
    if base:
        out["baseline"] = _summary(base)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="*", default=[300, 1200], help="persons (both)")
    ap.add_argument("--csv-sizes", type=int, nargs="*", default=[], help="persons (CSV only)")
    ap.add_argument("--days", type=int, default=46)
    ap.add_argument("--csv-days", type=int, default=90)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--baseline", type=Path, help="a checkout of older code to time side by side")
    ap.add_argument(
        "--memory-persons", type=int, help="memory series: one world of this many persons (CSV)"
    )
    ap.add_argument(
        "--memory-days", type=int, nargs="*", default=[], help="memory series: days per file"
    )
    args = ap.parse_args()
    rows = []
    worlds = [(p, args.days, ["goaml", "csv"], False) for p in args.sizes]
    worlds += [(p, args.csv_days, ["csv"], False) for p in args.csv_sizes]
    if args.memory_persons:
        worlds += [(args.memory_persons, d, ["csv"], True) for d in args.memory_days]
    for persons, days, formats, series in worlds:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            n_txn = int(run(GEN, str(root), str(persons), str(days), ",".join(formats)))
            inputs = {
                "goaml": sorted(str(p) for p in (root / "reports" / "goaml").rglob("*.xml")),
                "csv": [str(root / "reports" / "transactions.csv")],
            }
            for fmt in formats:
                files = inputs[fmt]
                mb = sum(os.path.getsize(p) for p in files) / 2**20
                row = {"format": fmt, "transactions": n_txn, "file_mb": mb, "series": series}
                row |= {"persons": persons, "days": days}
                row |= measure(root, fmt, files, args.runs, args.baseline)
                rows.append(row)
                print(json.dumps(rows[-1]), file=sys.stderr)
    load = os.getloadavg()[0]
    lines = [
        "# Ingest benchmark",
        "",
        "Command: `python benchmarks/bench_ingest.py --sizes "
        f"{' '.join(map(str, args.sizes))} --csv-sizes {' '.join(map(str, args.csv_sizes))} "
        f"--days {args.days} --csv-days {args.csv_days} --runs {args.runs}"
        + (
            f" --memory-persons {args.memory_persons} --memory-days "
            + " ".join(map(str, args.memory_days))
            if args.memory_persons
            else ""
        )
        + (f" --baseline {args.baseline}`" if args.baseline else "`"),
        "",
        f"Machine: {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"{datetime.now(UTC):%Y-%m-%d}; load average at the end {load:.1f}.",
        "",
        "Each ingest runs in a fresh process into an empty store; goAML counts every "
        "report (an interbank transfer is reported twice), CSV every row. Figures are medians "
        f"of {args.runs} runs. Targets: CSV "
        ">= 300k transactions/s, goAML >= 20k transactions/s, memory flat in file size.",
        "",
        "CPU seconds include the parse processes' (two or more goAML or pacs.008 files "
        "holding 16 MB or more are parsed by two child processes); their peak RSS is the larger "
        "child's, beside the ingest process's own.",
        "",
        "| format | world transactions | records read | file MB | median s | median CPU s | "
        "median records/s | median peak RSS MB | parse process peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["series"]:
            continue
        kid = f"{r['child_rss']:,.0f}" if r["child_rss"] else "-"
        lines.append(
            f"| {r['format']} | {r['transactions']:,} | {r['records']:,} | "
            f"{r['file_mb']:.0f} | {r['median_s']:.1f} | {r['cpu_s']:.1f} | {r['rate']:,.0f} | "
            f"{r['rss']:,.0f} | {kid} |"
        )
    series = [r for r in rows if r["series"]]
    if series:
        lines += [
            "",
            f"Memory in file size: one world of {args.memory_persons:,} persons (the same "
            "accounts) exported over more and more days, so only the number of rows grows.",
            "",
            "| days | records read | file MB | median s | median records/s | "
            "median peak RSS MB | baseline peak RSS MB |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in series:
            base = f"{r['baseline']['rss']:,.0f}" if "baseline" in r else "-"
            lines.append(
                f"| {r['days']} | {r['records']:,} | {r['file_mb']:.0f} | {r['median_s']:.1f} | "
                f"{r['rate']:,.0f} | {r['rss']:,.0f} | {base} |"
            )
    if args.baseline:
        lines += [
            "",
            f"The same files with the code of `{args.baseline}` (runs alternating with the "
            "ones above). Speed-up is its median seconds over ours, CPU ratio its median CPU "
            "seconds over ours: above 1, the current code is faster.",
            "",
            "| format | records read | median s | median CPU s | median records/s | "
            "median peak RSS MB | speed-up (median s) | CPU ratio |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            if r["series"]:
                continue
            b = r["baseline"]
            cpu = f"{b['cpu_s']:.1f}" if b["cpu_s"] is not None else "-"
            ratio = f"{b['cpu_s'] / r['cpu_s']:.2f}x" if b["cpu_s"] is not None else "-"
            lines.append(
                f"| {r['format']} | {b['records']:,} | {b['median_s']:.1f} | {cpu} | "
                f"{b['rate']:,.0f} | {b['rss']:,.0f} | {b['median_s'] / r['median_s']:.2f}x | "
                f"{ratio} |"
            )
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        notes = ""
        if DOC.exists() and "\n## Notes" in DOC.read_text():
            old = DOC.read_text()
            notes = old[old.index("\n## Notes") :]
        DOC.write_text(text + notes, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
