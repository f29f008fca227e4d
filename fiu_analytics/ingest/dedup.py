"""Duplicate detection state kept compact: sorted runs of 64-bit keys, not Python sets.

Ingest has to remember every report it has seen (in the store and earlier in the file) to
recognise re-ingests and the other side of a wire. A Python set of ``(reporter, ref)`` tuples
and a dict of fingerprints cost some 500 bytes per transaction; here a report costs two int64
keys, a reporter code and its transaction id in an Arrow string array (about 50 bytes), and a
batch that fails is forgotten by dropping its runs (no copy of the state per file).

Keys live in sorted runs (an LSM tree in miniature): a chunk adds one run, lookups are
``searchsorted`` per run, and runs of similar size are merged so there are only O(log n) of
them. Runs added since :meth:`DedupIndex.begin` are *pending* until :meth:`DedupIndex.commit`;
:meth:`DedupIndex.rollback` drops them. A run of :data:`SPILL_ENTRIES` or more goes to disk,
behind one Bloom filter of every spilled key, so memory stays small whatever the number of
reports.

``fingerprints`` hashes numbers only (account keys, day, cents, currency letters) with a fixed
mix, so a stored fingerprint means the same thing whatever the library versions. Reference keys
hash strings with pandas' SipHash; they are never stored, only rebuilt from ``txn_reports``.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
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

    def __len__(self) -> int:
        return len(self.keys)


_BLOOM_BITS = 10  # per key at least (a power of two in all): about 1 % false positives
_BLOOM_PROBES = 7
_SLICE = 1 << 16


def _probes(keys: np.ndarray, nbits: int) -> tuple[np.ndarray, np.ndarray]:
    """The word of each key in a filter of ``nbits`` bits (a power of two) and the mask of
    its 7 bits there: a blocked Bloom filter, one memory access a key."""
    h1 = np.asarray(keys, dtype=np.int64).view(np.uint64)
    with np.errstate(over="ignore"):
        h2 = _mix(h1 ^ _GOLDEN)
        word = h1 & np.uint64(nbits // 64 - 1)
        mask = np.zeros(len(h1), dtype=np.uint64)
        for i in range(_BLOOM_PROBES):
            mask |= np.uint64(1) << ((h2 >> np.uint64(6 * i)) & np.uint64(63))
    return word, mask


def _bloom_bits(n: int) -> int:
    """Filter size for ``n`` keys: the power of two at or above 10 bits a key."""
    return 1 << max(6, int(_BLOOM_BITS * n - 1).bit_length())


class _Spilled:
    """A run written to disk: sorted keys, reporter codes and ids as files, memory-mapped
    only while a lookup reads them. What is in it is first asked of the index's Bloom filter
    (:class:`_Runs`), so most lookups of new keys never touch the disk."""

    def __init__(self, run: _Run, prefix: Path) -> None:
        self.n = len(run)
        self.prefix = prefix
        np.save(prefix.with_suffix(".keys.npy"), run.keys)
        np.save(prefix.with_suffix(".rep.npy"), run.reporter)
        self.has_ids = run.txn_id is not None
        if run.txn_id is not None:
            table = pa.table({"txn_id": run.txn_id})
            path = str(prefix.with_suffix(".ids.arrow"))
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)

    def __len__(self) -> int:
        return self.n

    def keys(self) -> np.ndarray:
        return np.load(self.prefix.with_suffix(".keys.npy"), mmap_mode="r")

    def reporter(self) -> np.ndarray:
        return np.load(self.prefix.with_suffix(".rep.npy"), mmap_mode="r")

    def txn_ids(self, pos: np.ndarray) -> list[str]:
        with pa.memory_map(str(self.prefix.with_suffix(".ids.arrow"))) as src:
            ids = pa.ipc.open_file(src).read_all().column("txn_id")
            return ids.take(pa.array(pos)).to_pylist()  # type: ignore[no-any-return]

    def delete(self) -> None:
        for suffix in (".keys.npy", ".rep.npy", ".ids.arrow"):
            self.prefix.with_suffix(suffix).unlink(missing_ok=True)


SPILL_ENTRIES = 1 << 19
"""A run of at least this many entries goes to disk: the index then keeps in memory only
runs smaller than this (O(log n) of them) and a Bloom filter of 10-20 bits a spilled key."""


@dataclass
class _Runs:
    """Sorted runs of keys with optional payload; runs from ``pending`` on are uncommitted.
    Runs of :data:`SPILL_ENTRIES` or more live on disk under ``spill_dir`` (created when first
    needed)."""

    with_payload: bool
    runs: list[_Run | _Spilled] = field(default_factory=list)
    pending: int = 0
    spill_dir: Path | None = None
    spill_at: int = SPILL_ENTRIES
    _spilled: int = 0
    # one blocked Bloom filter of every spilled key: a lookup reads one word a key, however
    # many runs are on disk; it doubles (rebuilt from the runs' files) as they grow
    _filter: np.ndarray | None = None
    _filter_keys: int = 0

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
        self._settle(self.pending)

    def _settle(self, floor: int) -> None:
        """Merge the newest in-memory runs while the newest is at least half the size of the
        one before it, never below run ``floor``; spill a run that has grown large."""
        while len(self.runs) - floor >= 2:
            b, a = self.runs[-1], self.runs[-2]
            if not (isinstance(a, _Run) and isinstance(b, _Run)) or len(b) * 2 < len(a):
                break
            self.runs[-2:] = [_merge(a, b)]
        last = self.runs[-1] if len(self.runs) > floor else None
        if isinstance(last, _Run) and len(last) >= self.spill_at:
            self.runs[-1] = self._spill(last)

    def _spill(self, run: _Run) -> _Spilled:
        if self.spill_dir is None:
            self.spill_dir = Path(tempfile.mkdtemp(prefix="fiu-dedup-"))
            weakref.finalize(self, shutil.rmtree, self.spill_dir, True)
        self._spilled += 1
        spilled = _Spilled(run, self.spill_dir / f"run{self._spilled:06d}")
        self._filter_add(run.keys)
        return spilled

    def _filter_add(self, keys: np.ndarray) -> None:
        """Add a newly spilled run's keys to the filter (rebuilt twice as large, from the
        files of the runs already spilled, when it is full)."""
        need = self._filter_keys + len(keys)
        if self._filter is None or need * _BLOOM_BITS > len(self._filter) * 64:
            self._filter = np.zeros(_bloom_bits(need) // 64, dtype=np.uint64)
            for r in self.runs:
                if isinstance(r, _Spilled):
                    rk = r.keys()
                    for start in range(0, len(rk), _SLICE):
                        self._filter_set(np.asarray(rk[start : start + _SLICE]))
                    del rk
        for start in range(0, len(keys), _SLICE):  # in slices: a few MB at a time
            self._filter_set(keys[start : start + _SLICE])
        self._filter_keys = need

    def _filter_set(self, keys: np.ndarray) -> None:
        assert self._filter is not None
        word, mask = _probes(keys, len(self._filter) * 64)
        np.bitwise_or.at(self._filter, word, mask)

    def _maybe(self, keys: np.ndarray) -> np.ndarray:
        """False where a key is certainly in no spilled run."""
        if self._filter is None:
            return np.zeros(len(keys), dtype=bool)
        word, mask = _probes(keys, len(self._filter) * 64)
        return (self._filter[word] & mask) == mask  # type: ignore[no-any-return]

    def contains(self, keys: np.ndarray) -> np.ndarray:
        found = np.zeros(len(keys), dtype=bool)
        if not len(keys) or not self.runs:
            return found
        order = np.argsort(keys)
        ks = keys[order]  # sorted queries: searchsorted walks each run in order
        hit = np.zeros(len(ks), dtype=bool)
        cand = np.flatnonzero(self._maybe(ks))  # the keys worth looking for on disk
        for run in self.runs:
            if isinstance(run, _Spilled):
                ask = cand[~hit[cand]]
                if not len(ask):
                    continue
                rk = run.keys()
                pos = np.searchsorted(rk, ks[ask])
                pos[pos >= len(rk)] = 0
                hit[ask] |= np.asarray(rk[pos]) == ks[ask]
                del rk
                continue
            pos = np.searchsorted(run.keys, ks)
            pos[pos >= len(run.keys)] = 0
            hit |= run.keys[pos] == ks
        found[order] = hit
        return found

    def entries(self, key: int) -> list[tuple[str, int]]:
        """(txn_id, reporter code) of every entry with ``key``, oldest first."""
        return self.entries_many(np.array([key], dtype=np.int64)).get(int(key), [])

    def entries_many(self, keys: np.ndarray) -> dict[int, list[tuple[str, int]]]:
        """(txn_id, reporter code) of every entry of each distinct key in ``keys``, oldest
        first (keys with no entry are left out): one ``searchsorted`` per run, one id lookup
        per run."""
        out: dict[int, list[tuple[str, int]]] = {}
        uniq = np.unique(np.asarray(keys, dtype=np.int64))
        if not len(uniq):
            return out
        cand = uniq[self._maybe(uniq)]  # the keys worth looking for on disk
        for run in self.runs:
            if isinstance(run, _Spilled):
                if not run.has_ids:
                    continue
                ask = cand
                if not len(ask):
                    continue
                rk = run.keys()
                lo, hi = np.searchsorted(rk, ask, "left"), np.searchsorted(rk, ask, "right")
                del rk
                got = _spans(ask, lo, hi)
                if got is None:
                    continue
                owner, pos = got
                ids = run.txn_ids(pos)
                reps = np.asarray(run.reporter()[pos]).tolist()
            else:
                if run.txn_id is None:
                    continue
                lo, hi = (
                    np.searchsorted(run.keys, uniq, "left"),
                    np.searchsorted(run.keys, uniq, "right"),
                )
                got = _spans(uniq, lo, hi)
                if got is None:
                    continue
                owner, pos = got
                ids = run.txn_id.take(pa.array(pos)).to_pylist()
                reps = run.reporter[pos].tolist()
            for k, tid, r in zip(owner.tolist(), ids, reps, strict=True):
                out.setdefault(k, []).append((tid, r))
        return out

    def begin(self) -> None:
        self.pending = len(self.runs)

    def rollback(self) -> None:
        for run in self.runs[self.pending :]:
            if isinstance(run, _Spilled):
                run.delete()
        del self.runs[self.pending :]

    def commit(self) -> None:
        self.pending = len(self.runs)
        self._settle(0)
        self.pending = len(self.runs)

    def nbytes(self) -> int:
        """Bytes the index holds in memory."""
        total = self._filter.nbytes if self._filter is not None else 0
        for run in self.runs:
            if isinstance(run, _Run):
                total += run.keys.nbytes + run.reporter.nbytes
                total += run.txn_id.nbytes if run.txn_id is not None else 0
        return total


def _spans(
    keys: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """For keys found at ``lo:hi`` in a run: each position from lo to hi, in order, and the
    key it belongs to; None if no key was found."""
    has = np.flatnonzero(hi > lo)
    if not len(has):
        return None
    counts = hi[has] - lo[has]
    starts = np.repeat(lo[has] - np.cumsum(counts) + counts, counts)
    pos = starts + np.arange(int(counts.sum()))
    return np.repeat(keys[has], counts), pos


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
    def from_reports(cls, reports: pa.Table | Iterable[pa.RecordBatch]) -> DedupIndex:
        """Index the ``txn_reports`` rows of a store (columns txn_id, reporter_id, txn_ref,
        fingerprint), given whole or as record batches (a large store: the index then never
        holds more than a batch and its in-memory runs)."""
        idx = cls()
        parts = [reports] if isinstance(reports, pa.Table) else reports
        for part in parts:
            idx._add_reports(part)
            idx.commit()
        idx.commit()
        return idx

    def _add_reports(self, reports: pa.Table | pa.RecordBatch) -> None:
        if reports.num_rows:
            rep = self.reporter_codes(reports.column("reporter_id"))
            refs = reports.column("txn_ref")
            has_ref = np.asarray(refs.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            has_ref &= np.asarray(
                refs.fill_null("").to_numpy(zero_copy_only=False) != "", dtype=bool
            )
            keys = self.ref_keys(rep, refs)
            self.refs.add(keys[has_ref], rep[has_ref], None)
            fp = reports.column("fingerprint").to_numpy(zero_copy_only=False).astype(np.int64)
            ids = reports.column("txn_id")
            if isinstance(ids, pa.ChunkedArray):
                ids = ids.combine_chunks()
            self.fps.add(fp, rep, ids)

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
