"""Path tracing respects time order, the window, bottleneck amounts and hub caps."""

from __future__ import annotations

import pandas as pd

from fiu_analytics.nexus import best_paths, describe_path, trace_paths


def _tx(rows: list[tuple[str, int, int, float, str]]) -> pd.DataFrame:
    df = pd.DataFrame(
        rows, columns=["txn_id", "src_account_key", "dst_account_key", "amount_base", "timestamp"]
    )
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return df


def test_two_hop_path_in_time_order_with_bottleneck_value() -> None:
    tx = _tx(
        [
            ("t1", 1, 2, 5000, "2025-01-10"),
            ("t2", 2, 9, 4500, "2025-01-12"),
            # a hop that left *before* the money arrived does not count
            ("t3", 2, 8, 9000, "2025-01-05"),
        ]
    )
    paths = trace_paths(tx, {1}, {9: "SAN-01", 8: "TF-07"})
    assert len(paths) == 1
    p = paths.iloc[0]
    assert p["accounts"] == [1, 2, 9] and p["txn_ids"] == ["t1", "t2"]
    assert p["value"] == 4500 and p["endpoint_rule"] == "SAN-01" and p["hops"] == 2
    assert p["times"][0] < p["times"][1]
    text = describe_path(p, {1: "BNK01/1", 2: "BNK02/2", 9: "FB/9"})
    assert text == (
        "BNK01/1 -(5,000.00 2025-01-10)-> BNK02/2 -(4,500.00 2025-01-12)-> FB/9 [SAN-01]"
    )


def test_window_and_hop_limits() -> None:
    tx = _tx(
        [
            ("t1", 1, 2, 100, "2025-01-01"),
            ("t2", 2, 3, 100, "2025-05-01"),
            ("t3", 1, 4, 100, "2025-01-01"),
            ("t4", 4, 5, 100, "2025-01-02"),
            ("t5", 5, 6, 100, "2025-01-03"),
        ]
    )
    assert trace_paths(tx, {1}, {3: "X"}, window_days=90).empty  # second hop 120 days later
    assert len(trace_paths(tx, {1}, {3: "X"}, window_days=150)) == 1
    assert trace_paths(tx, {1}, {6: "X"}, max_hops=2).empty  # three hops away
    assert len(trace_paths(tx, {1}, {6: "X"}, max_hops=3)) == 1


def test_direct_hits_and_best_path_per_source() -> None:
    tx = _tx(
        [
            ("a", 1, 9, 300, "2025-01-01"),
            ("b", 1, 2, 2000, "2025-01-02"),
            ("c", 2, 9, 1900, "2025-01-03"),
            ("d", 7, 9, 50, "2025-01-01"),
        ]
    )
    paths = trace_paths(tx, {1, 7}, {9: "TF-08"})
    assert sorted(map(tuple, paths["accounts"])) == [(1, 2, 9), (1, 9), (7, 9)]
    best = best_paths(paths).set_index("source")
    assert best.loc[1, "accounts"] == [1, 2, 9] and best.loc[1, "value"] == 1900
    assert best.loc[7, "value"] == 50


def test_hub_branching_is_capped_and_reported() -> None:
    rows = [("in", 1, 2, 1000, "2025-01-01")]
    rows += [(f"o{i}", 2, 100 + i, 10 + i, "2025-01-02") for i in range(30)]
    tx = _tx(rows)
    cut = trace_paths(tx, {1}, {100: "X"}, max_branch=20)  # smallest onward hop: beyond the cap
    assert cut.empty
    kept = trace_paths(tx, {1}, {129: "X"}, max_branch=20)
    assert len(kept) == 1 and bool(kept.iloc[0]["capped"])
    assert trace_paths(tx, {1}, {1: "X"}).empty  # a source is not its own endpoint
