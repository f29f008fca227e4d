"""Record-at-a-time parser output as columns: what the parse processes send the ingest.

NumPy and Arrow only (no pandas), so that a parse process starts quickly.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import numpy as np
import pyarrow as pa

from fiu_analytics.ingest.records import TXN_TEXT_FIELDS, AccountRecord, PartyRecord, TxnChunk

__all__ = ["as_arrow", "chunk_of_records"]


def as_arrow(values: Any, n: int) -> pa.Array:
    """A string column as an Arrow array of length ``n`` (None: all null)."""
    if values is None:
        return pa.nulls(n, pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else values.cast(pa.string())
    return pa.array(values, pa.string())


def chunk_of_records(records: list[Any], source_file: str) -> TxnChunk:
    """A chunk of :class:`TxnRecord` objects (the record-at-a-time parsers' output)."""
    accounts: list[AccountRecord] = []
    # a side object that several records share (a reader's cache) is one account of the
    # chunk, resolved once
    index: dict[int, int] = {}
    src = np.full(len(records), -1, dtype=np.int64)
    dst = np.full(len(records), -1, dtype=np.int64)

    def slot(a: AccountRecord | None) -> int:
        if a is None:
            return -1
        k = index.get(id(a))
        if k is None:
            k = index[id(a)] = len(accounts)
            accounts.append(a)
        return k

    for i, t in enumerate(records):
        src[i] = slot(t.src)
        dst[i] = slot(t.dst)
    ts = _utc64_many([t.timestamp for t in records])
    amounts = np.array(
        [np.nan if t.amount is None else _float(t.amount) for t in records], dtype=np.float64
    )
    text = {name: [getattr(t, name) for t in records] for name in TXN_TEXT_FIELDS}
    conductors: list[PartyRecord | None] = [t.conductor for t in records]
    extras = [t.extra_parties for t in records]
    return TxnChunk(
        source_file=source_file,
        locator=[t.locator for t in records],
        timestamp=ts,
        amount=amounts,
        currency=[None if t.currency is None else str(t.currency) for t in records],
        channel=[None if t.channel is None else str(t.channel) for t in records],
        src=src,
        dst=dst,
        accounts=accounts,
        text={k: [None if v is None else str(v) for v in vs] for k, vs in text.items()},
        conductor=conductors if any(p is not None for p in conductors) else None,
        extra_parties=extras if any(extras) else None,
        labelled=True,
    )


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _utc64_many(values: list[Any]) -> np.ndarray:
    """:func:`_utc64` of each value; datetimes converted by NumPy at once when it can."""
    try:
        naive = [
            t if t is None or t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)
            for t in values
        ]
        return np.array(naive, dtype="datetime64[us]")
    except (TypeError, ValueError, OverflowError, AttributeError):
        return np.array([_utc64(t) for t in values], dtype="datetime64[us]")


def _utc64(t: Any) -> np.datetime64:
    """A datetime (naive: UTC) as datetime64[us] in UTC; NaT when missing."""
    if t is None:
        return np.datetime64("NaT", "us")
    if hasattr(t, "to_pydatetime"):  # a pandas Timestamp
        t = t.to_pydatetime()
    if getattr(t, "tzinfo", None) is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    try:
        return np.datetime64(t, "us")
    except (TypeError, ValueError, OverflowError):
        return np.datetime64("NaT", "us")
