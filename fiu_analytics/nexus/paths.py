"""Temporal money paths: follow value forward in time from sources to endpoints.

A path is a chain of transactions ``source -> a1 -> ... -> endpoint`` in which each hop leaves
the account *after* the previous hop arrived, within ``window_days`` of the first hop. Its
value is the bottleneck (the smallest hop amount): no more than that can have travelled the
whole way. Hops are joined as columnar merges, one per hop length; each intermediate account
keeps only its ``max_branch`` largest onward hops, so hub accounts cannot blow the join up
(the cap is reported with every path that was cut).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

PATH_COLUMNS = [
    "source",
    "endpoint",
    "endpoint_rule",
    "hops",
    "value",
    "accounts",
    "txn_ids",
    "amounts",
    "times",
    "capped",
]


def _edges(tx: pd.DataFrame) -> pd.DataFrame:
    e = tx.loc[
        tx["src_account_key"] != tx["dst_account_key"],
        ["txn_id", "src_account_key", "dst_account_key", "amount_base", "timestamp"],
    ]
    return e.rename(
        columns={
            "src_account_key": "src",
            "dst_account_key": "dst",
            "amount_base": "amt",
            "timestamp": "ts",
        }
    )


def trace_paths(
    transactions: pd.DataFrame,
    sources: set[int],
    endpoints: Mapping[int, str],
    max_hops: int = 2,
    window_days: int = 90,
    min_value: float = 0.0,
    max_branch: int = 20,
) -> pd.DataFrame:
    """All time-ordered paths of 1..``max_hops`` hops from ``sources`` to ``endpoints``.

    ``endpoints`` maps an account key to the rule that made it an endpoint (e.g. ``SAN-01``,
    ``TF-07``). A source is never its own endpoint, and paths do not revisit an account.
    """
    if not sources or not endpoints:
        return pd.DataFrame(columns=PATH_COLUMNS)
    e = _edges(transactions)
    window = pd.Timedelta(days=window_days)
    frontier = e[e["src"].isin(sources)].rename(
        columns={"src": "source", "dst": "a1", "txn_id": "t1", "amt": "m1", "ts": "ts1"}
    )
    frontier = frontier.assign(first=frontier["ts1"], value=frontier["m1"], capped=False)
    found = []
    ends = pd.Series(endpoints, dtype=object)
    for hop in range(1, max_hops + 1):
        last = f"a{hop}"
        hit = frontier[
            frontier[last].isin(ends.index)
            & (frontier[last] != frontier["source"])
            & (frontier["value"] >= min_value)
        ]
        if len(hit):
            found.append(hit.assign(hops=hop, endpoint=hit[last]))
        if hop == max_hops:
            break
        # onward hops from this hop's receivers, later in time, inside the window
        nxt = e[e["src"].isin(frontier[last].unique())]
        nxt = nxt.sort_values("amt", ascending=False)
        ranks = nxt.groupby("src").cumcount()
        capped_src = set(nxt.loc[ranks >= max_branch, "src"])
        nxt = nxt[ranks < max_branch]
        j = frontier.merge(nxt, left_on=last, right_on="src")
        j = j[(j["ts"] > j[f"ts{hop}"]) & (j["ts"] - j["first"] <= window)]
        seen = np.zeros(len(j), bool)
        for k in range(1, hop + 1):
            seen |= (j["dst"] == j[f"a{k}"]).to_numpy()
        j = j[~seen & (j["dst"] != j["source"]).to_numpy()]
        n = hop + 1
        frontier = j.drop(columns=["src"]).rename(
            columns={"dst": f"a{n}", "txn_id": f"t{n}", "amt": f"m{n}", "ts": f"ts{n}"}
        )
        frontier["value"] = np.minimum(frontier["value"], frontier[f"m{n}"])
        frontier["capped"] = frontier["capped"] | frontier[last].isin(capped_src)
        if frontier.empty:
            break
    if not found:
        return pd.DataFrame(columns=PATH_COLUMNS)
    rows = []
    for f in found:
        h = int(f["hops"].iloc[0])
        for r in f.itertuples(index=False):
            d = r._asdict()
            rows.append(
                {
                    "source": int(d["source"]),
                    "endpoint": int(d["endpoint"]),
                    "endpoint_rule": ends[d["endpoint"]],
                    "hops": h,
                    "value": float(d["value"]),
                    "accounts": [int(d["source"])] + [int(d[f"a{k}"]) for k in range(1, h + 1)],
                    "txn_ids": [d[f"t{k}"] for k in range(1, h + 1)],
                    "amounts": [float(d[f"m{k}"]) for k in range(1, h + 1)],
                    "times": [pd.Timestamp(d[f"ts{k}"]) for k in range(1, h + 1)],
                    "capped": bool(d["capped"]),
                }
            )
    return pd.DataFrame(rows, columns=PATH_COLUMNS)


def best_paths(paths: pd.DataFrame) -> pd.DataFrame:
    """Per source, the path that carried the most value (ties: fewer hops, earlier)."""
    if paths.empty:
        return paths
    p = paths.assign(_t=paths["times"].map(lambda t: t[0]))
    p = p.sort_values(["source", "value", "hops", "_t"], ascending=[True, False, True, True])
    return p.groupby("source").head(1).drop(columns="_t").reset_index(drop=True)


def describe_path(row: pd.Series | dict, account_ids: Mapping[int, str] | None = None) -> str:
    """One line an analyst can read: ``A -(1,200.00 2025-02-03)-> B -(...)-> C [SAN-01]``."""
    ids = account_ids or {}
    parts = [str(ids.get(row["accounts"][0], row["accounts"][0]))]
    for acc, amt, ts in zip(row["accounts"][1:], row["amounts"], row["times"], strict=True):
        parts.append(f"-({amt:,.2f} {pd.Timestamp(ts):%Y-%m-%d})-> {ids.get(acc, acc)}")
    return " ".join(parts) + f" [{row['endpoint_rule']}]"
