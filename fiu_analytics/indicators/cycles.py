"""Temporal cycles: money that goes round a ring of accounts and comes back to where it started.

A temporal cycle of length k is a sequence of k transfers ``a0 -> a1 -> ... -> a0`` in which
every hop leaves after the previous one arrived (and within ``max_hop_hours`` of it), the whole
ring closes within ``window_days``, every amount is within ``amount_tolerance`` of the previous
hop's and of the first hop's, and no account repeats inside the ring. A sequence whose hops go
back in time is not a cycle of money, however the static graph looks.

Cost is kept linear, as measured in docs (architecture, "Scale"): only transfers of at least
``min_amount`` are searched; accounts with more than ``max_degree`` counterparties are skipped
(hubs make path counts explode and are not where a ring hides); the static graph is pruned to
its strongly connected components (an edge outside every directed cycle cannot be on a temporal
one); paths are grown by vectorised joins one hop at a time, at most ``max_length`` hops and at
most ``max_paths`` partial paths per step. Every reason states these caps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from fiu_analytics.indicators._flows import (
    HOUR,
    hubs,
    money,
    result_frame,
    transfer_edges,
    txn_ids,
)
from fiu_analytics.indicators.base import DetectionInput, Param, empty_result, indicator


def _scc_edges(e: pd.DataFrame) -> pd.DataFrame:
    """Edges whose two ends lie in the same non-trivial strongly connected component."""
    if e.empty:
        return e
    keys, inv = np.unique(np.r_[e["s"].to_numpy(), e["d"].to_numpy()], return_inverse=True)
    n, m = len(keys), len(e)
    si, di = inv[:m], inv[m:]
    graph = csr_matrix((np.ones(m), (si, di)), shape=(n, n))
    _, comp = connected_components(graph, directed=True, connection="strong")
    size = np.bincount(comp)
    keep = (comp[si] == comp[di]) & (size[comp[si]] >= 2)
    return e[keep].reset_index(drop=True)


def temporal_cycles(
    edges: pd.DataFrame,
    max_length: int,
    max_hop_s: int,
    window_s: int,
    tolerance: float,
    max_paths: int,
) -> tuple[list[tuple[list[int], list[int]]], bool]:
    """All temporal cycles of 2..``max_length`` hops in ``edges`` (columns s, d, t, a, row).

    Returns ``[(accounts, rows)]`` per cycle and whether a step was truncated at
    ``max_paths`` partial paths (then the earliest paths were kept)."""
    lo, hi = 1.0 - tolerance, 1.0 / (1.0 - tolerance)
    nxt = edges.rename(columns={"s": "cur", "d": "nxt", "t": "tn", "a": "an", "row": "rn"})
    paths = pd.DataFrame(
        {
            "start": edges["s"].to_numpy(),
            "cur": edges["d"].to_numpy(),
            "tf": edges["t"].to_numpy(),
            "tl": edges["t"].to_numpy(),
            "af": edges["a"].to_numpy(),
            "al": edges["a"].to_numpy(),
            "n0": edges["s"].to_numpy(),
            "n1": edges["d"].to_numpy(),
            "r0": edges["row"].to_numpy(),
        }
    )
    cycles: list[tuple[list[int], list[int]]] = []
    truncated = False
    for hops in range(2, max_length + 1):
        if paths.empty:
            break
        j = paths.merge(nxt[["cur", "nxt", "tn", "an", "rn"]], on="cur")
        ratio, ratio0 = j["an"] / j["al"], j["an"] / j["af"]
        ok = (
            (j["tn"] > j["tl"])
            & (j["tn"] - j["tl"] <= max_hop_s)
            & (j["tn"] - j["tf"] <= window_s)
            & ratio.between(lo, hi)
            & ratio0.between(lo, hi)
        )
        j = j[ok]
        back = j["nxt"].to_numpy() == j["start"].to_numpy()
        node_cols = [f"n{i}" for i in range(hops)]
        row_cols = [f"r{i}" for i in range(hops - 1)]
        for rec in j[back].itertuples(index=False):
            rd = rec._asdict()
            cycles.append(
                ([int(rd[c]) for c in node_cols], [int(rd[c]) for c in row_cols] + [int(rd["rn"])])
            )
        if hops == max_length:
            break
        j = j[~back]
        simple = np.ones(len(j), bool)
        nx = j["nxt"].to_numpy()
        for c in node_cols[1:]:
            simple &= j[c].to_numpy() != nx
        j = j[simple]
        if len(j) > max_paths:
            truncated = True
            j = j.sort_values(["tf", "tn"], kind="stable").head(max_paths)
        paths = j.drop(columns=["cur", "tl", "al"]).rename(
            columns={"nxt": "cur", "tn": "tl", "an": "al", "rn": f"r{hops - 1}"}
        )
        paths[f"n{hops}"] = paths["cur"]
    return cycles, truncated


@indicator(
    "cycle",
    "Temporal cycle: money returns to where it started",
    min_amount=Param(1000.0, float, min=0, help="only transfers of at least this amount"),
    max_length=Param(6, int, min=2, max=8, help="longest ring searched (hops)"),
    max_hop_hours=Param(96, int, min=1, max=24 * 30, help="each hop within this of the last"),
    window_days=Param(21, int, min=1, max=120, help="the whole ring closes within this"),
    amount_tolerance=Param(0.2, float, min=0.0, max=0.9, help="hop amounts within this share"),
    max_degree=Param(50, int, min=2, help="skip accounts with more counterparties (hubs)"),
    max_paths=Param(200_000, int, min=1000, help="cap on partial paths per hop"),
)
def cycle(
    data: DetectionInput,
    min_amount: float,
    max_length: int,
    max_hop_hours: int,
    window_days: int,
    amount_tolerance: float,
    max_degree: int,
    max_paths: int,
) -> pd.DataFrame:
    """Every account on a time-ordered ring of 2..``max_length`` transfers of similar amounts.

    Value: the number of temporal cycles through the account (a ring travelled twice counts
    twice); score 0.7 for a single cycle of two hops (a loan and its repayment look the same),
    0.85 for one longer cycle, 1.0 for two or more. Evidence: the transfers of the cycles."""
    e = transfer_edges(data, min_amount)
    skipped = hubs(data, max_degree, min_amount)
    e = e[~e["s"].isin(skipped) & ~e["d"].isin(skipped)]
    e = _scc_edges(e[["s", "d", "t", "a", "row"]])
    if e.empty:
        return empty_result()
    cycles, truncated = temporal_cycles(
        e, max_length, max_hop_hours * HOUR, window_days * 86_400, amount_tolerance, max_paths
    )
    if not cycles:
        return empty_result()
    ts = data.ts_seconds
    amt = data.transactions["amount_base"].to_numpy(dtype=float)
    per: dict[int, dict] = {}
    for nodes, rows in cycles:
        ring = tuple(nodes)
        for a in nodes:
            d = per.setdefault(a, {"rings": set(), "n": 0, "rows": [], "best": None})
            d["rings"].add(ring)
            d["n"] += 1
            d["rows"].extend(rows)
            first, last = rows[0], rows[-1]
            desc = (len(nodes), amt[first], amt[last], (ts[last] - ts[first]) / 86_400)
            if d["best"] is None or desc[0] > d["best"][0]:
                d["best"] = desc
    caps = (
        f"search: transfers >= {money(min_amount)}, <= {max_length} hops, each within "
        f"{max_hop_hours} h, ring within {window_days} d, amounts within "
        f"{amount_tolerance:.0%}, {len(skipped)} hubs with > {max_degree} counterparties "
        "skipped" + (f", truncated at {max_paths} paths" if truncated else "")
    )
    keys, values, scores, reasons, evidence = [], [], [], [], []
    for a in sorted(per):
        d = per[a]
        n = d["n"]
        k, a0, a1, days = d["best"]
        keys.append(a)
        values.append(n)
        scores.append(1.0 if n >= 2 else (0.85 if k >= 3 else 0.7))
        reasons.append(
            f"on {n} time-ordered cycle(s) over {len(d['rings'])} ring(s) of accounts, longest "
            f"{k} hops: {money(a0)} out, "
            f"{money(a1)} back after {days:.1f} days ({caps})"
        )
        evidence.append(txn_ids(data, d["rows"]))
    return result_frame(keys, values, scores, reasons, evidence)
