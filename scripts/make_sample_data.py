"""Regenerate sample_data/ (deterministic for the seed).

* ``store/``: the whole sample world (preset ``sample``) as a store, with its labels;
* ``designated_list.xml``: the world's synthetic list in UN Consolidated List format;
* ``reports/``: real-format files for part of the same world, to exercise ingest: goAML
  reports (gzip-compressed; goAML XML is ~1.7 KB per transaction) and a CSV of the first
  month, both limited to transactions that touch two reporting institutions.

    python scripts/make_sample_data.py
"""

from __future__ import annotations

import gzip
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate
from fiu_analytics.synth.export import export_sinks

SEED = 2331
OUT = Path(__file__).resolve().parents[1] / "sample_data"
REPORTERS = ("BNK01", "MSB01")
FIRST_MONTH_END = "2025-02-01"


def main() -> int:
    for sub in ("store", "reports"):
        shutil.rmtree(OUT / sub, ignore_errors=True)
    sinks, close = export_sinks(OUT / "reports", ["goaml", "csv"])

    def first_month_of_two_reporters(world, txns: pa.Table) -> None:
        inst = [i.code for i in world.institutions]
        key_to_inst = {int(k): inst[world.acc_inst[i]] for i, k in enumerate(world.account_key)}
        src = [key_to_inst[k] in REPORTERS for k in txns.column("src_account_key").to_pylist()]
        dst = [key_to_inst[k] in REPORTERS for k in txns.column("dst_account_key").to_pylist()]
        cutoff = pa.scalar(
            datetime.fromisoformat(FIRST_MONTH_END).replace(tzinfo=UTC), pa.timestamp("us", "UTC")
        )
        early = pc.less(txns.column("timestamp"), cutoff)
        mask = pc.and_(early, pc.or_(pa.array(src), pa.array(dst)))
        part = txns.filter(mask)
        if len(part):
            for sink in sinks:
                sink(world, part)

    result = generate(
        SynthConfig.preset("sample", seed=SEED),
        Store(OUT / "store"),
        list_path=OUT / "designated_list.xml",
        sinks=[first_month_of_two_reporters],
    )
    close()
    goaml = OUT / "reports" / "goaml"
    for d in goaml.iterdir():
        if d.is_dir() and d.name not in REPORTERS:
            shutil.rmtree(d)
    (goaml / "manifest.json").unlink(missing_ok=True)  # it lists the files removed above
    for xml in goaml.rglob("*.xml"):
        with open(xml, "rb") as src, gzip.open(f"{xml}.gz", "wb", compresslevel=9) as dst:
            shutil.copyfileobj(src, dst)
        xml.unlink()
    csv = OUT / "reports" / "transactions.csv"
    with open(csv, "rb") as src, gzip.open(f"{csv}.gz", "wb", compresslevel=9) as dst:
        shutil.copyfileobj(src, dst)
    csv.unlink()
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
