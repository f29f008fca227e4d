"""The sorted-run index behind duplicate detection."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from fiu_analytics.ingest.dedup import _Runs, _Spilled

_batches = st.lists(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 4)), min_size=1, max_size=30),
    min_size=1,
    max_size=8,
)


def _runs(
    batches: list[list[tuple[int, int]]], spill_at: int = 1 << 30, commit_every: int = 0
) -> tuple[_Runs, list[tuple[int, str, int]]]:
    runs = _Runs(with_payload=True, spill_at=spill_at)
    added = []
    for b, batch in enumerate(batches):
        if commit_every and b % commit_every == 0:
            runs.commit()
        keys = np.array([k for k, _ in batch], dtype=np.int64)
        reps = np.array([r for _, r in batch], dtype=np.int64)
        ids = [f"t{b}-{i}" for i in range(len(batch))]
        runs.add(keys, reps, pa.array(ids))
        added += [(k, tid, r) for (k, r), tid in zip(batch, ids, strict=True)]
    return runs, added


@settings(max_examples=80, deadline=None)
@given(
    _batches,
    st.lists(st.integers(-2, 45), max_size=40),
    st.sampled_from([1 << 30, 1, 5, 16]),
    st.integers(0, 3),
)
def test_lookups_find_every_entry_in_memory_or_spilled(
    batches, queries, spill_at, commit_every
) -> None:
    runs, added = _runs(batches, spill_at, commit_every)
    if spill_at == 1:
        assert all(isinstance(r, _Spilled) for r in runs.runs)
    many = runs.entries_many(np.array(queries, dtype=np.int64))
    found = runs.contains(np.array(queries, dtype=np.int64)).tolist()
    for i, q in enumerate(queries):
        expected = [(tid, r) for k, tid, r in added if k == q]  # oldest first
        assert runs.entries(q) == expected
        assert many.get(q, []) == expected
        assert found[i] == bool(expected)
    assert set(many) <= set(queries)


def test_spilled_runs_keep_little_in_memory_and_rollback_deletes_them() -> None:
    rng = np.random.default_rng(3)
    runs = _Runs(with_payload=True, spill_at=1000)
    keys = rng.integers(-(2**62), 2**62, size=50_000)
    for part in np.array_split(keys, 10):
        runs.add(part, np.zeros(len(part), np.int64), pa.array([f"t{k}" for k in part]))
    runs.commit()
    assert runs.nbytes() < 50_000 * 4  # 10-20 bits a key, not ~50 bytes
    assert runs.contains(keys[::97]).all()
    others = rng.integers(-(2**62), 2**62, size=20_000)
    assert not runs.contains(others[~np.isin(others, keys)]).any()
    runs.begin()
    runs.add(others[:5000], np.ones(5000, np.int64), pa.array(["x"] * 5000))
    assert runs.spill_dir is not None
    files = set(runs.spill_dir.iterdir())
    runs.rollback()
    assert set(runs.spill_dir.iterdir()) < files
    assert not runs.contains(others[:5000][~np.isin(others[:5000], keys)]).any()


def test_rollback_forgets_pending_runs() -> None:
    runs, _ = _runs([[(1, 0), (2, 0)]])
    runs.begin()
    runs.add(np.array([3]), np.array([1]), pa.array(["x"]))
    assert runs.contains(np.array([1, 3])).tolist() == [True, True]
    runs.rollback()
    assert runs.contains(np.array([1, 3])).tolist() == [True, False]


def test_index_from_record_batches_is_the_index_from_the_whole_table() -> None:
    from fiu_analytics.ingest.dedup import DedupIndex

    n = 200
    reports = pa.table(
        {
            "txn_id": [f"T{i % 150}" for i in range(n)],
            "reporter_id": [f"B{i % 3}" for i in range(n)],
            "txn_ref": [None if i % 10 == 0 else f"R{i}" for i in range(n)],
            "fingerprint": pa.array([i % 150 for i in range(n)], pa.int64()),
        }
    )
    whole = DedupIndex.from_reports(reports)
    parts = DedupIndex.from_reports(reports.to_batches(max_chunksize=17))
    fps = np.arange(-5, 160, dtype=np.int64)
    assert whole.fps.entries_many(fps) == parts.fps.entries_many(fps)
    rep = whole.reporter_codes(reports.column("reporter_id"))
    keys = whole.ref_keys(rep, reports.column("txn_ref"))
    assert (whole.refs.contains(keys) == parts.refs.contains(keys)).all()
