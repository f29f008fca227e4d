"""Regenerate sample_data/ (deterministic): the store, its UN-format list and real-format files.

    python scripts/make_sample_data.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate
from fiu_analytics.synth.export import export_sinks

SEED = 2331
OUT = Path(__file__).resolve().parents[1] / "sample_data"


def main() -> int:
    for sub in ("store", "reports"):
        shutil.rmtree(OUT / sub, ignore_errors=True)
    sinks, close = export_sinks(OUT / "reports", ["goaml", "csv"])
    result = generate(SynthConfig.preset("sample", seed=SEED), Store(OUT / "store"),
                      list_path=OUT / "designated_list.xml", sinks=sinks)
    close()
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
