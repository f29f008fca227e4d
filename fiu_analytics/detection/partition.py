"""Partitioned detection: the same alerts, computed in pieces that can run on many workers.

Accounts are assigned to ``n`` partitions by a hash of their key. An indicator declared
*local* (its result for an account depends only on that account's own transactions) runs once
per partition, on the transactions that touch the partition's accounts, and keeps only the
partition's accounts; every other indicator (network paths, peer groups, screening across all
parties) runs once on the whole period. Results are concatenated and scored exactly as in
:func:`fiu_analytics.detection.detect`, so the alerts do not depend on the partitioning.

The library stays free of any scheduler: callers pass ``mapper``, a function that applies a
callable to a list of inputs (``map`` for one process, a Prefect/Dask map for a cluster).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fiu_analytics.detection.engine import detect_from_results, indicator_key, release_caches
from fiu_analytics.detection.typology import Typology
from fiu_analytics.indicators import DetectionInput, get_indicator

# indicators whose result for an account reads only transactions in which it takes part
LOCAL_INDICATORS = frozenset({"GEN-01", "fan_in", "fan_out"})

Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]
Key = tuple[str, tuple[tuple[str, Any], ...]]


def partition_of(account_keys: np.ndarray, n: int) -> np.ndarray:
    """Stable partition number of each account key (a multiplicative hash, not Python's)."""
    k = np.asarray(account_keys, dtype=np.uint64)
    return ((k * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)).astype(np.int64) % n


def partition_input(data: DetectionInput, n: int, i: int) -> DetectionInput:
    """The transactions touching accounts of partition ``i`` (others' tables unchanged)."""
    tx = data.transactions
    src = partition_of(tx["src_account_key"].to_numpy(), n) == i
    dst = partition_of(tx["dst_account_key"].to_numpy(), n) == i
    return DetectionInput(
        tx[src | dst].reset_index(drop=True),
        data.accounts,
        data.parties,
        data.period_start,
        data.period_end,
        data.reference,
    )


def _uses(typologies: Iterable[Typology]) -> dict[Key, dict[str, Any]]:
    out: dict[Key, dict[str, Any]] = {}
    for t in typologies:
        for u in t.indicators:
            out.setdefault(indicator_key(u), dict(u.params))
    return out


def run_partition(
    args: tuple[DetectionInput, int, int, list[tuple[Key, dict[str, Any]]]],
) -> dict[Key, pd.DataFrame]:
    """Local indicators on one partition, keeping only that partition's accounts."""
    part, n, i, uses = args
    out = {}
    for key, params in uses:
        r = get_indicator(key[0])(part, **params)
        out[key] = r[partition_of(r["account_key"].to_numpy(), n) == i]
    return out


def run_global(
    args: tuple[DetectionInput, list[tuple[Key, dict[str, Any]]]],
) -> dict[Key, pd.DataFrame]:
    """Non-local indicators on the whole period."""
    data, uses = args
    before = set(data.cache)
    try:
        return {key: get_indicator(key[0])(data, **params) for key, params in uses}
    finally:
        release_caches(data, before)


def detect_partitioned(
    data: DetectionInput, typologies: Iterable[Typology], n: int, mapper: Mapper = map
) -> pd.DataFrame:
    """Alerts as :func:`~fiu_analytics.detection.detect` would raise them, with local
    indicators computed over ``n`` account partitions through ``mapper``."""
    typologies = list(typologies)
    uses = _uses(typologies)
    local = [(k, p) for k, p in uses.items() if k[0] in LOCAL_INDICATORS]
    other = [(k, p) for k, p in uses.items() if k[0] not in LOCAL_INDICATORS]
    jobs: list[Any] = [partition_input(data, n, i) for i in range(n)]
    part_results = list(mapper(run_partition, [(p, n, i, local) for i, p in enumerate(jobs)]))
    del jobs  # the partitions' copies of their transactions, before the whole-period run
    results: dict[Key, pd.DataFrame] = {}
    for key, _ in local:
        frames = [r[key] for r in part_results if len(r[key])]
        results[key] = (
            pd.concat(frames, ignore_index=True) if frames else part_results[0][key].iloc[0:0]
        )
    if other:
        (glob,) = list(mapper(run_global, [(data, other)]))
        results.update(glob)
    return detect_from_results(data, typologies, results)
