"""Reading what detection needs from the store (the IO edge of detection)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fiu_analytics import schema
from fiu_analytics.errors import StoreError
from fiu_analytics.indicators import DetectionInput
from fiu_analytics.reference import country_reference
from fiu_analytics.store import Store, as_utc


def utc(value: Any, what: str = "date") -> pd.Timestamp:
    """``value`` as a UTC timestamp (a naive one is taken as UTC); a value that is no date
    is a :class:`StoreError` naming ``what`` it was."""
    try:
        return as_utc(value)
    except (ValueError, TypeError) as exc:
        raise StoreError(
            f"{what} {value!r}: expected a date such as 2025-02-01 or 2025-02-01T06:00"
        ) from exc


def resolve_period(
    store: Store, start: Any = None, end: Any = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` in UTC; missing bounds default to the store's first and last day."""
    rng = store.time_range()
    if rng is None:
        raise StoreError(
            f"{store.root}: the store holds no transactions; run `fiu generate` or "
            "`fiu ingest` first"
        )
    lo = utc(start, "period start") if start else rng[0].normalize()
    hi = utc(end, "period end") if end else rng[1].normalize() + pd.Timedelta(days=1)
    if hi <= lo:
        raise StoreError(f"period end {hi:%Y-%m-%d} is not after start {lo:%Y-%m-%d}")
    return lo, hi


CATEGORICAL_COLUMNS = ("currency", "reporter_id", "report_id", "batch_id")
"""Transaction columns detection holds as pandas categoricals: they repeat a few values and
no indicator computes with them (they are carried into evidence and case packages). A code
per row and each distinct value once, instead of an Arrow string per row: 61 of the 193 bytes
a row the frame took. Columns that indicators compare with each other or with other columns
(countries, channel, city ...) stay strings: pandas compares categoricals only when their
categories are the same."""


def _sort_columns(cols: list[pa.ChunkedArray], order: pa.Array) -> None:
    """Put each column of ``cols`` in ``order``, in place, releasing each unsorted original
    before the next is taken (the caller holds no other reference to them)."""
    pool = pa.default_memory_pool()
    for i in range(len(cols)):
        cols[i] = cols[i].take(order)
        pool.release_unused()  # the unsorted column, back to the system


def load_detection_input(store: Store, start: Any = None, end: Any = None) -> DetectionInput:
    """Transactions of the period (sorted by time) plus accounts, parties and reference data.
    :data:`CATEGORICAL_COLUMNS` are pandas categoricals."""
    lo, hi = resolve_period(store, start, end)
    at = store.read_arrow(schema.TRANSACTIONS, lo, hi, dictionary=CATEGORICAL_COLUMNS)
    # sorted column by column, never two whole copies of the table (``Table.sort_by`` builds
    # the sorted copy next to the original), then converted freeing each Arrow column as
    # pandas takes it: at 11.5M transactions the load peaks at 3.3 GB instead of 4.3 GB and
    # takes 2.9 s instead of 7.8 s
    order = pc.sort_indices(at["timestamp"])
    names, cols = at.column_names, list(at.columns)
    del at
    _sort_columns(cols, order)
    del order
    at = pa.table(cols, names=names)
    del cols
    tx = at.to_pandas(split_blocks=True, self_destruct=True)
    del at
    pa.default_memory_pool().release_unused()
    return DetectionInput(
        transactions=tx,
        accounts=store.read(schema.ACCOUNTS),
        parties=store.read(schema.PARTIES),
        period_start=lo,
        period_end=hi,
        reference={
            "countries": country_reference(),
            "designations": store.read(schema.DESIGNATIONS),
        },
    )
