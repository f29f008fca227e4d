"""The columnar back end: record chunks, shared sides, skipped copies."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa

from fiu_analytics.ingest.chunks import chunk_of_records
from fiu_analytics.ingest.columnar import _rows
from fiu_analytics.ingest.records import AccountRecord, PartyRecord, TxnRecord


def _txn(i: int, src: AccountRecord, dst: AccountRecord) -> TxnRecord:
    return TxnRecord(
        "f.xml", f"/report/transaction[{i}]", "BNK1", "R1", f"T{i}",
        datetime(2025, 1, 2), 10.0 + i, "USD", "wire", src, dst,
    )  # fmt: skip


def test_a_side_object_shared_by_records_is_one_account_of_the_chunk() -> None:
    mine = AccountRecord("BNK1", "1", owner=PartyRecord("person", "Ana Lopez"))
    other = AccountRecord("BNK2", "7")
    equal_but_separate = AccountRecord("BNK2", "7")
    chunk = chunk_of_records(
        [_txn(1, mine, other), _txn(2, other, mine), _txn(3, mine, equal_but_separate)], "f.xml"
    )
    assert len(chunk.accounts) == 3
    assert chunk.accounts[0] is mine and chunk.accounts[1] is other
    assert chunk.src.tolist() == [0, 1, 0] and chunk.dst.tolist() == [1, 0, 2]
    assert chunk.amount.tolist() == [11.0, 12.0, 13.0]


def test_rows_skips_the_copy_only_when_every_row_is_kept() -> None:
    arr = pa.array(["a", "b", "c"])
    assert _rows(arr, np.arange(3)) is arr
    assert _rows(arr, np.array([0, 2])).to_pylist() == ["a", "c"]
    assert _rows(arr, np.array([], dtype=np.int64)).to_pylist() == []
