"""Duplicate detection state kept compact: sorted runs of 64-bit keys, not Python sets.

Ingest has to remember every report it has seen (in the store and earlier in the file) to
recognise re-ingests and the other side of a wire. A Python set of ``(reporter, ref)`` tuples
and a dict of fingerprints cost some 500 bytes per transaction; here a report costs two int64
keys, a reporter code and its transaction id in an Arrow string array (about 50 bytes), and a
batch that fails is forgotten by dropping its runs (no copy of the state per file).

Keys live in sorted runs (an LSM tree in miniature): a chunk adds one run, lookups are
``searchsorted`` per run, and runs of similar size are merged so there are only O(log n) of
them. Runs added since :meth:`DedupIndex.begin` are *pending* until :meth:`DedupIndex.commit`;
:meth:`DedupIndex.rollback` drops them.

``fingerprints`` hashes numbers only (account keys, day, cents, currency letters) with a fixed
mix, so a stored fingerprint means the same thing whatever the library versions. Reference keys
hash strings with pandas' SipHash; they are never stored, only rebuilt from ``txn_reports``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (uint64 in, uint64 out; wraps by design)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def combine(*parts: np.ndarray) -> np.ndarray:
    """One int64 hash per row of several uint64/int64 columns."""
    h = np.full(len(parts[0]), 0x84222325, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for p in parts:
            h = _mix(h ^ (np.asarray(p).astype(np.uint64, copy=False) + _GOLDEN))
    return h.view(np.int64)


def fingerprints(
    src_key: np.ndarray, dst_key: np.ndarray, day: np.ndarray, amount: np.ndarray, ccy: np.ndarray
) -> np.ndarray:
    """Content hash of transfers: both account keys, the UTC day, the amount in cents (as the
    bits of the rounded float, so huge amounts cannot overflow) and the currency (its letters
    packed into an integer)."""
    cents = np.rint(np.asarray(amount, dtype=np.float64) * 100.0) + 0.0  # -0.0 -> 0.0
    return combine(
        np.asarray(src_key, np.int64),
        np.asarray(dst_key, np.int64),
        np.asarray(day, np.int64),
        cents.view(np.uint64),
        np.asarray(ccy, np.uint64),
    )


def string_hashes(values: Sequence[Any] | pa.Array) -> np.ndarray:
    """SipHash of each string (None hashes as the empty string), as uint64."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        arr = values.fill_null("").to_numpy(zero_copy_only=False)
    else:
        arr = np.array(["" if v is None else v for v in values], dtype=object)
    return pd.util.hash_array(arr.astype(object, copy=False), categorize=False)


@dataclass
class _Run:
    keys: np.ndarray  # int64, sorted (stable: insertion order within equal keys)
    reporter: np.ndarray  # int32 codes
    txn_id: pa.Array | None  # string, or None for key-only runs


@dataclass
class _Runs:
    """Sorted runs of keys with optional payload; runs from ``pending`` on are uncommitted."""

    with_payload: bool
    runs: list[_Run] = field(default_factory=list)
    pending: int = 0

    def add(self, keys: np.ndarray, reporter: np.ndarray, txn_id: pa.Array | None) -> None:
        if len(keys) == 0:
            return
        order = np.argsort(keys, kind="stable")
        self.runs.append(
            _Run(
                keys[order],
                reporter[order].astype(np.int32),
                txn_id.take(pa.array(order)) if txn_id is not None else None,
            )
        )
        # merge while the newest run is at least half the size of the one before it, never
        # merging a pending run into a committed one
        while len(self.runs) - self.pending >= 2 and len(self.runs[-1].keys) * 2 >= len(
            self.runs[-2].keys
        ):
            b, a = self.runs.pop(), self.runs.pop()
            self.runs.append(_merge(a, b))

    def contains(self, keys: np.ndarray) -> np.ndarray:
        found = np.zeros(len(keys), dtype=bool)
        if not len(keys) or not self.runs:
            return found
        order = np.argsort(keys)
        ks = keys[order]  # sorted queries: searchsorted walks each run in order
        hit = np.zeros(len(ks), dtype=bool)
        for run in self.runs:
            pos = np.searchsorted(run.keys, ks)
            pos[pos >= len(run.keys)] = 0
            hit |= run.keys[pos] == ks
        found[order] = hit
        return found

    def entries(self, key: int) -> list[tuple[str, int]]:
        """(txn_id, reporter code) of every entry with ``key``, oldest first."""
        out: list[tuple[str, int]] = []
        for run in self.runs:
            lo = int(np.searchsorted(run.keys, key, "left"))
            hi = int(np.searchsorted(run.keys, key, "right"))
            if hi > lo and run.txn_id is not None:
                ids = run.txn_id.slice(lo, hi - lo).to_pylist()
                out.extend(zip(ids, run.reporter[lo:hi].tolist(), strict=True))
        return out

    def entries_many(self, keys: np.ndarray) -> dict[int, list[tuple[str, int]]]:
        """:meth:`entries` of each distinct key in ``keys`` at once (keys with no entry are
        left out): one ``searchsorted`` per run, one id lookup per run."""
        out: dict[int, list[tuple[str, int]]] = {}
        uniq = np.unique(np.asarray(keys, dtype=np.int64))
        if not len(uniq):
            return out
        for run in self.runs:
            if run.txn_id is None:
                continue
            lo = np.searchsorted(run.keys, uniq, "left")
            hi = np.searchsorted(run.keys, uniq, "right")
            has = np.flatnonzero(hi > lo)
            if not len(has):
                continue
            counts = hi[has] - lo[has]
            # every position from lo to hi of each key, in order
            starts = np.repeat(lo[has] - np.cumsum(counts) + counts, counts)
            pos = starts + np.arange(int(counts.sum()))
            ids = run.txn_id.take(pa.array(pos)).to_pylist()
            reps = run.reporter[pos].tolist()
            owner = np.repeat(uniq[has], counts).tolist()
            for k, tid, r in zip(owner, ids, reps, strict=True):
                out.setdefault(k, []).append((tid, r))
        return out

    def begin(self) -> None:
        self.pending = len(self.runs)

    def rollback(self) -> None:
        del self.runs[self.pending :]

    def commit(self) -> None:
        self.pending = len(self.runs)
        while len(self.runs) >= 2 and len(self.runs[-1].keys) * 2 >= len(self.runs[-2].keys):
            b, a = self.runs.pop(), self.runs.pop()
            self.runs.append(_merge(a, b))
        self.pending = len(self.runs)


def _merge(a: _Run, b: _Run) -> _Run:
    keys = np.concatenate([a.keys, b.keys])
    order = np.argsort(keys, kind="stable")  # a's entries stay before b's for equal keys
    ids = None
    if a.txn_id is not None and b.txn_id is not None:
        ids = pa.concat_arrays([a.txn_id, b.txn_id]).take(pa.array(order))
    return _Run(keys[order], np.concatenate([a.reporter, b.reporter])[order], ids)


class DedupIndex:
    """What ingest has seen: reports by (reporter, reference), transactions by fingerprint."""

    def __init__(self) -> None:
        self.reporter_code: dict[str, int] = {"": 0}
        self.refs = _Runs(with_payload=False)
        self.fps = _Runs(with_payload=True)

    @classmethod
    def from_reports(cls, reports: pa.Table) -> DedupIndex:
        """Index the ``txn_reports`` rows of a store (columns txn_id, reporter_id, txn_ref,
        fingerprint)."""
        idx = cls()
        if reports.num_rows:
            rep = idx.reporter_codes(reports.column("reporter_id"))
            refs = reports.column("txn_ref")
            has_ref = np.asarray(refs.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            has_ref &= np.asarray(
                refs.fill_null("").to_numpy(zero_copy_only=False) != "", dtype=bool
            )
            keys = idx.ref_keys(rep, refs)
            idx.refs.add(keys[has_ref], rep[has_ref], None)
            fp = reports.column("fingerprint").to_numpy().astype(np.int64)
            ids = reports.column("txn_id").combine_chunks()
            idx.fps.add(fp, rep, ids)
        idx.commit()
        return idx

    def reporter_codes(self, reporters: Sequence[Any] | pa.Array) -> np.ndarray:
        """A small integer per reporter (0 for none), stable for the life of the index."""
        arr = reporters if isinstance(reporters, pa.Array) else pa.array(reporters, pa.string())
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        enc = pc.dictionary_encode(arr.fill_null(""))
        mapped = np.array(
            [
                self.reporter_code.setdefault(u, len(self.reporter_code))
                for u in enc.dictionary.to_pylist()
            ],
            dtype=np.int64,
        )
        codes = enc.indices.to_numpy(zero_copy_only=False)
        return mapped[codes] if len(mapped) else np.zeros(len(codes), np.int64)

    def ref_keys(self, reporter: np.ndarray, refs: Sequence[Any] | pa.Array) -> np.ndarray:
        return combine(reporter, string_hashes(refs))

    def begin(self) -> None:
        self.refs.begin()
        self.fps.begin()

    def commit(self) -> None:
        self.refs.commit()
        self.fps.commit()

    def rollback(self) -> None:
        self.refs.rollback()
        self.fps.rollback()
