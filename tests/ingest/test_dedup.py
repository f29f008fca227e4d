"""The sorted-run index behind duplicate detection."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from fiu_analytics.ingest.dedup import _Runs

_batches = st.lists(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 4)), min_size=1, max_size=30),
    min_size=1,
    max_size=8,
)


def _runs(batches: list[list[tuple[int, int]]]) -> tuple[_Runs, list[tuple[int, str, int]]]:
    runs = _Runs(with_payload=True)
    added = []
    for b, batch in enumerate(batches):
        keys = np.array([k for k, _ in batch], dtype=np.int64)
        reps = np.array([r for _, r in batch], dtype=np.int64)
        ids = [f"t{b}-{i}" for i in range(len(batch))]
        runs.add(keys, reps, pa.array(ids))
        added += [(k, tid, r) for (k, r), tid in zip(batch, ids, strict=True)]
    return runs, added


@settings(max_examples=60, deadline=None)
@given(_batches, st.lists(st.integers(-2, 45), max_size=40))
def test_entries_many_is_entries_of_each_key(batches, queries) -> None:
    runs, added = _runs(batches)
    many = runs.entries_many(np.array(queries, dtype=np.int64))
    for q in set(queries):
        expected = [(tid, r) for k, tid, r in added if k == q]  # oldest first
        assert runs.entries(q) == expected
        assert many.get(q, []) == expected
    assert set(many) <= set(queries)


def test_rollback_forgets_pending_runs() -> None:
    runs, _ = _runs([[(1, 0), (2, 0)]])
    runs.begin()
    runs.add(np.array([3]), np.array([1]), pa.array(["x"]))
    assert runs.contains(np.array([1, 3])).tolist() == [True, True]
    runs.rollback()
    assert runs.contains(np.array([1, 3])).tolist() == [True, False]
