"""A store larger than the memory a run may use: the whole-period run against the backfill.

The commands run as users run them (``fiu run``, ``fiu backfill``), each in a fresh memory
cgroup whose limit the kernel enforces on the command and every process it starts (the
embedded Prefect server included): above the limit the kernel reclaims page cache, then kills.
For each command the script records the wall time, the exit (completed, or killed by the
limit), the peak of the summed RSS of the cgroup's processes (sampled every 50 ms) and the
alerts. Without a limit, ``fiu run`` gives the reference alerts; the backfill's alerts are
compared with them (typology and subject pairs) and both are scored against the store's
labels (scenario recall).

    python benchmarks/bench_out_of_core.py --store /tmp/e2e/10m/store --limit-gb 2.5

Needs a writable memory cgroup (v1 ``/sys/fs/cgroup/memory`` or v2 ``/sys/fs/cgroup``,
usually root). Results go to ``benchmarks/results/ooc-<UTC time>.json`` and
``docs/benchmarks-out-of-core.md`` (its ``## Notes`` section is kept).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
DOC = REPO / "docs" / "benchmarks-out-of-core.md"
PAGE = os.sysconf("SC_PAGE_SIZE")


class MemoryCgroup:
    """A fresh memory cgroup with a hard limit (v2 ``memory.max`` or v1
    ``memory.limit_in_bytes``), removed on exit."""

    def __init__(self, limit_bytes: int | None) -> None:
        v2 = Path("/sys/fs/cgroup")
        v1 = Path("/sys/fs/cgroup/memory")
        name = f"fiu-bench-{os.getpid()}-{time.monotonic_ns()}"
        if (v2 / "cgroup.controllers").exists() and "memory" in (
            v2 / "cgroup.controllers"
        ).read_text():
            self.path, limit_file = v2 / name, "memory.max"
        elif (v1 / "memory.limit_in_bytes").exists():
            self.path, limit_file = v1 / name, "memory.limit_in_bytes"
        else:
            raise SystemExit("no memory cgroup here (v1 or v2): the limit cannot be enforced")
        try:
            self.path.mkdir()
        except OSError as e:
            raise SystemExit(f"cannot create a memory cgroup at {self.path}: {e}") from e
        if limit_bytes is not None:
            (self.path / limit_file).write_text(str(limit_bytes))

    def pids(self) -> list[int]:
        return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]

    def rss(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/statm", "rb") as f:
                    total += int(f.read().split()[1]) * PAGE
            except OSError:
                pass
        return total

    def join(self) -> None:
        """Move the calling process into the cgroup (``preexec_fn`` of the command)."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def run_limited(cmd: list[str], limit_gb: float | None, timeout: float) -> dict[str, Any]:
    """``cmd`` in a fresh cgroup limited to ``limit_gb`` (None: no limit, still sampled)."""
    cg = MemoryCgroup(None if limit_gb is None else int(limit_gb * 2**30))
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.05):
            peak = max(peak, cg.rss())

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
        proc = subprocess.Popen(
            cmd, stdout=so, stderr=se, text=True, cwd=REPO, env=env, preexec_fn=cg.join
        )
        th = threading.Thread(target=sample, daemon=True)
        th.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        # what the command started may outlive it a moment (the Prefect server)
        for _ in range(100):
            if not cg.pids():
                break
            time.sleep(0.1)
        stop.set()
        th.join()
        so.seek(0)
        se.seek(0)
        out, err = so.read(), se.read()
    seconds = time.perf_counter() - t
    cg.remove()
    return {
        "cmd": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)),
        "limit_gb": limit_gb,
        "exit": code,
        "killed": code < 0,
        "seconds": seconds,
        "peak_rss_mb": peak / 2**20,
        "stdout_tail": out[-1500:],
        "stderr_tail": err[-1500:],
    }


def compare(store: Path, whole: Path, windowed: Path) -> dict[str, Any]:
    """Alerts of both runs: (typology, subject) pairs in common, and scenario recall."""
    sys.path.insert(0, str(REPO))
    import pandas as pd

    from fiu_analytics import evaluation, schema
    from fiu_analytics.detection import load_catalog
    from fiu_analytics.store import Store

    catalog = load_catalog(REPO / "typologies")
    labels = Store(store).read(schema.LABELS)
    out: dict[str, Any] = {}
    pairs = {}
    for name, path in (("whole", whole), ("backfill", windowed)):
        a = pd.read_csv(path / "alerts.csv", dtype={"subject_account_key": "int64"})
        pairs[name] = set(zip(a["typology_id"], a["subject_account_key"], strict=True))
        rec = evaluation.scenario_recall(a, labels, catalog) if len(labels) else pd.DataFrame()
        out[name] = {
            "alerts": len(a),
            "pairs": len(pairs[name]),
            "recall_any": rec.set_index("typology")["recall_any"].round(3).to_dict(),
            "recall_intended": rec.set_index("typology")["recall_intended"].round(3).to_dict(),
            "scenarios": rec.set_index("typology")["scenarios"].to_dict(),
        }
    common = pairs["whole"] & pairs["backfill"]
    out["pairs_in_both"] = len(common)
    out["whole_pairs_found_by_backfill"] = len(common) / max(len(pairs["whole"]), 1)
    per = {}
    for typ in sorted({t for t, _ in pairs["whole"] | pairs["backfill"]}):
        w = {s for t, s in pairs["whole"] if t == typ}
        b = {s for t, s in pairs["backfill"] if t == typ}
        per[typ] = {"whole": len(w), "backfill": len(b), "both": len(w & b)}
    out["per_typology"] = per
    return out


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for p in ("numpy", "pandas", "pyarrow", "prefect"):
        try:
            out[p] = md.version(p)
        except md.PackageNotFoundError:
            out[p] = "-"
    return out


def store_section(r: dict[str, Any]) -> list[str]:
    """The doc's section for one result (one store)."""
    runs = r["runs"]
    L = [
        f"## {r['transactions']:,} transactions ({r['months']} months)",
        "",
        f"`{r['file']}` ({r['when']}):",
        "",
        f"    {r['command']}",
        "",
        f"Store `{r['store']}`: {r['transactions']:,} transactions over {r['months']} months, "
        f"{r['store_mb']:,.0f} MB of Parquet on disk, {r['accounts']:,} accounts. Machine: "
        f"{r['machine']}; " + ", ".join(f"{k} {v}" for k, v in r["versions"].items()) + ".",
        "",
        "| command | memory limit | result | seconds | peak RSS MB | alerts |",
        "|---|---|---|---|---|---|",
    ]
    for x in runs:
        lim = "none" if x["limit_gb"] is None else f"{x['limit_gb']:g} GB"
        res = (
            "killed by the limit"
            if x["killed"]
            else ("completed" if x["exit"] == 0 else f"failed ({x['exit']})")
        )
        L.append(
            f"| `{x['cmd']}` | {lim} | {res} | {x['seconds']:.1f} | "
            f"{x['peak_rss_mb']:,.0f} | {x.get('alerts', '-')} |"
        )
    c = r.get("comparison")
    if c:
        L += [
            "",
            "### Alerts: backfill against the whole-period run",
            "",
            f"(typology, subject) pairs: whole period {c['whole']['pairs']:,}, backfill "
            f"{c['backfill']['pairs']:,}, in both {c['pairs_in_both']:,} "
            f"({c['whole_pairs_found_by_backfill']:.1%} of the whole period's found by the "
            "backfill). A backfill alert is per month (its case period), so one subject can "
            "have an alert in several months where the whole period has one.",
            "",
            "| typology | whole period subjects | backfill subjects | in both |",
            "|---|---|---|---|",
        ]
        for typ, v in c["per_typology"].items():
            L.append(f"| {typ} | {v['whole']} | {v['backfill']} | {v['both']} |")
        L += [
            "",
            "Scenario recall against the store's labels (core accounts of a scenario alerted by "
            "the typologies meant for it; any alert in brackets):",
            "",
            "| label typology | scenarios | whole period | backfill |",
            "|---|---|---|---|",
        ]
        for typ, n in c["whole"]["scenarios"].items():
            cells = []
            for k in ("whole", "backfill"):
                ri = c[k]["recall_intended"].get(typ)
                ra = c[k]["recall_any"].get(typ)
                ri_s = "-" if ri is None or ri != ri else f"{ri:.2f}"
                cells.append(f"{ri_s} ({ra:.2f})")
            L.append(f"| {typ} | {n} | {cells[0]} | {cells[1]} |")
    return [*L, ""]


def write_doc() -> None:
    """``docs/benchmarks-out-of-core.md`` from the newest result of each store."""
    notes = ""
    if DOC.exists():
        text = DOC.read_text(encoding="utf-8")
        if "\n## Notes\n" in text:
            notes = text[text.index("\n## Notes\n") + 1 :]
    newest: dict[str, dict[str, Any]] = {}
    for f in sorted(RESULTS.glob("ooc-*.json")):
        r = json.loads(f.read_text())
        newest[r["store"]] = r
    L = [
        "# Out-of-core benchmark: a store larger than the memory a run may use",
        "",
        "Generated by `benchmarks/bench_out_of_core.py` from the newest "
        "`benchmarks/results/ooc-*.json` of each store (the `## Notes` section is written by "
        "hand and kept).",
        "",
        "Each command runs as users run it, in a fresh memory cgroup: the kernel enforces the "
        "limit on the command and every process it starts (the embedded Prefect server "
        "included), reclaiming page cache and then killing above it. Peak = the largest sum "
        "of the RSS of the cgroup's processes, sampled every 50 ms. `fiu backfill` scores "
        "calendar months one at a time, each read with 30 days of context before it "
        "(`fiu_analytics/detection/windows.py`).",
        "",
    ]
    for r in sorted(newest.values(), key=lambda r: r["transactions"]):
        L += store_section(r)
    L += [notes.rstrip() if notes else "## Notes\n\n- (none yet)", ""]
    DOC.write_text("\n".join(L), encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--limit-gb", type=float, default=2.5)
    ap.add_argument("--months", type=int, default=1)
    ap.add_argument("--lookback-days", type=int, default=30)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/fiu-ooc"))
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--no-reference", action="store_true", help="skip the unlimited fiu run")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--doc-only", action="store_true", help="rewrite the doc from results/")
    a = ap.parse_args()
    if a.doc_only:
        write_doc()
        return 0
    store = a.store.resolve()
    fiu = str(Path(sys.executable).parent / "fiu")
    shutil.rmtree(a.workdir, ignore_errors=True)
    a.workdir.mkdir(parents=True)

    def out(name: str) -> list[str]:
        return ["--data-dir", str(store), "--out-dir", str(a.workdir / name)]

    backfill = [
        fiu,
        "backfill",
        *out("backfill"),
        "--months",
        str(a.months),
        "--lookback-days",
        str(a.lookback_days),
    ]
    plan = [
        ("run-limited", [fiu, "run", *out("run-limited")], a.limit_gb),
        ("backfill", backfill, a.limit_gb),
    ]
    if not a.no_reference:
        plan.append(("run", [fiu, "run", *out("run")], None))
    runs = []
    for name, cmd, limit in plan:
        print(f"{name}: {' '.join(cmd[1:])} (limit {limit} GB)", file=sys.stderr)
        x = run_limited(cmd, limit, a.timeout)
        x["name"] = name
        alerts = a.workdir / name / "alerts.csv"
        if x["exit"] == 0 and alerts.exists():
            with open(alerts, encoding="utf-8", newline="") as fh:
                x["alerts"] = sum(1 for _ in csv.DictReader(fh))
        print(
            f"  exit {x['exit']}, {x['seconds']:.1f} s, peak {x['peak_rss_mb']:,.0f} MB, "
            f"alerts {x.get('alerts', '-')}",
            file=sys.stderr,
        )
        runs.append(x)
    sys.path.insert(0, str(REPO))
    import pyarrow.parquet as pq

    from fiu_analytics import schema
    from fiu_analytics.store import Store

    st = Store(store)
    lo, hi = st.time_range()
    n_tx = sum(pq.ParquetFile(p).metadata.num_rows for p in st.files(schema.TRANSACTIONS))
    res: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "store": str(store),
        "transactions": n_tx,
        "months": len(_months(lo, hi)),
        "accounts": sum(pq.ParquetFile(p).metadata.num_rows for p in st.files(schema.ACCOUNTS)),
        "store_mb": sum(p.stat().st_size for p in store.rglob("*.parquet")) / 2**20,
        "machine": f"{os.cpu_count()} cores, "
        f"{os.sysconf('SC_PHYS_PAGES') * PAGE / 2**30:.1f} GB RAM, {platform.machine()}",
        "versions": versions(),
        "runs": runs,
    }
    done = {x["name"] for x in runs if x["exit"] == 0}
    if {"run", "backfill"} <= done:
        res["comparison"] = compare(store, a.workdir / "run", a.workdir / "backfill")
    print(json.dumps(res, indent=1, default=str))
    if not a.no_write:
        RESULTS.mkdir(exist_ok=True)
        f = RESULTS / f"ooc-{res['when'].replace(':', '')}.json"
        res["file"] = f.name
        f.write_text(json.dumps(res, indent=1, default=str))
        write_doc()
    return 0


def _months(lo: Any, hi: Any) -> set[str]:
    import pandas as pd

    return {f"{p}" for p in pd.period_range(lo.tz_localize(None), hi.tz_localize(None), freq="M")}


if __name__ == "__main__":
    sys.exit(main())
