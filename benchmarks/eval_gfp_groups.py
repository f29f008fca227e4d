"""Which group of GFP's vertex statistics adds to our edge features (a follow-up of
``eval_gfp.py --ablation``, on its cached features and with its split, training rows and booster).

For each group of GFP's per-vertex columns (variance + kurtosis, mean + sum, fan + degree +
ratio, skewness; for src/dst and in/out), the booster is trained on our columns plus that group
and tested on the held-out worlds; means over the test worlds are printed.

    python benchmarks/eval_gfp.py --ablation          # fills the feature cache first
    python benchmarks/eval_gfp_groups.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_gfp as E
from eval_typologies import synth_hash, world

TRAIN, TEST, MAX_TRAIN = (1, 2), (2001, 2002), 60_000


def main() -> int:
    h = synth_hash()
    ws = {s: E.World(world("small", s), f"small-{s}-{h}") for s in (*TRAIN, *TEST)}
    train, test = [ws[s] for s in TRAIN], [ws[s] for s in TEST]
    rng = np.random.default_rng(0)  # the rows eval_gfp.edge_level samples
    y_tr = np.concatenate([w.edge_labels() for w in train])
    keep = np.sort(rng.choice(len(y_tr), MAX_TRAIN, replace=False))
    cols = ws[TRAIN[0]].gfp.columns

    def group(*stats: str) -> list[str]:
        return [c for c in cols if c.endswith(tuple(f"_{s}" for s in stats))]

    sets = {
        "var+kurt": group("var", "kurt"),
        "avg+sum": group("avg", "sum"),
        "fan+deg+ratio": group("fan", "deg", "ratio"),
        "skew": group("skew"),
    }
    for name, extra in sets.items():

        def frame(w: E.World, extra: list[str] = extra) -> pd.DataFrame:
            return pd.concat([w.ours.loc[w.rows], w.gfp[extra]], axis=1)

        Xtr = pd.concat([frame(w) for w in train], ignore_index=True).iloc[keep]
        Xtr, *Xte = E._drop_constant([Xtr, *(frame(w) for w in test)])
        model, thr, secs = E.fit_with_threshold(Xtr, pd.Series(y_tr[keep], index=Xtr.index))
        res = [
            E.metrics(w.edge_labels(), model.predict_proba(X)[:, 1], thr, 1000)
            for w, X in zip(test, Xte, strict=True)
        ]
        m = pd.DataFrame(res).mean()
        print(
            f"ours + GFP {name} ({len(extra)} cols): pr_auc {m.pr_auc:.3f} "
            f"best_f1 {m.best_f1:.3f} f1 {m.f1:.3f} ({secs:.0f} s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
