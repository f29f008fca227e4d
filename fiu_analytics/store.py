"""The store: a directory of partitioned Parquet tables with a manifest of batches.

Layout::

    <data_dir>/
      manifest.json                      committed batches and the files each one added
      tables/transactions/month=2025-01/<batch>-<n>.parquet
      tables/accounts/<batch>-<n>.parquet
      ...
      .staging/                          files of a batch that is being written

Atomicity: a batch's files are written under ``.staging``, moved into ``tables/`` and only then
recorded in ``manifest.json``, which is replaced atomically (write a temporary file, fsync,
``os.replace``). Readers only read files listed in the manifest, so a crash at any point leaves
the previous state readable; files of an uncommitted batch are invisible and removed by
:meth:`Store.vacuum`.

Partition pruning: transactions are partitioned by calendar month (UTC) of ``timestamp``;
:meth:`Store.read_transactions` opens only the files of the months that overlap the range.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from fiu_analytics import schema
from fiu_analytics.errors import StoreError

MANIFEST = "manifest.json"
_UNIQUE_COLUMNS = frozenset({"txn_id", "locator", "narrative"})
FORMAT_VERSION = 1


def month_of(ts: pd.Timestamp | datetime) -> str:
    """Partition value (``YYYY-MM``) of a timestamp."""
    return f"{ts.year:04d}-{ts.month:02d}"


def _months_between(start: pd.Timestamp, end: pd.Timestamp) -> set[str]:
    months = pd.period_range(
        start.tz_localize(None) if start.tzinfo else start,
        end.tz_localize(None) if end.tzinfo else end,
        freq="M",
    )
    return {str(p) for p in months}


def as_utc(ts: Any) -> pd.Timestamp:
    """``ts`` as a UTC timestamp (a naive one is taken as UTC)."""
    t = pd.Timestamp(ts)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _fsync_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass
class Batch:
    """A batch being written: collect tables with :meth:`write`, committed on context exit."""

    store: Store
    batch_id: str
    source: str
    staging: Path
    files: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    _n: int = 0

    def write(
        self, table: schema.Table, data: pa.Table | pd.DataFrame, validated: bool = False
    ) -> None:
        """Stage rows of ``table``. DataFrames are validated; Arrow tables are cast to the schema.

        The ``batch_id`` column is filled with this batch's id.
        """
        if isinstance(data, pd.DataFrame):
            df = data.copy()
            df["batch_id"] = self.batch_id
            arrow = schema.to_arrow(df, table, source=self.source, validated=validated)
        else:
            arrow = data
            if "batch_id" in arrow.column_names:
                arrow = arrow.drop_columns(["batch_id"])
            arrow = arrow.append_column(
                "batch_id", pa.array([self.batch_id] * len(arrow), pa.string())
            )
            arrow = arrow.select(table.names).cast(table.arrow_schema)
        if len(arrow) == 0:
            return
        if table.partition_by == "month":
            # months as integers (much faster than formatting every timestamp)
            ts = arrow.column("timestamp").cast(pa.int64()).to_numpy(zero_copy_only=False)
            month = ts.astype("datetime64[us]").astype("datetime64[M]")
            for m in np.unique(month):
                part = arrow.filter(pa.array(month == m))
                self._write_file(table, part, f"month={str(m)[:7]}")
        else:
            self._write_file(table, arrow, None)
        self.rows[table.name] = self.rows.get(table.name, 0) + len(arrow)

    def _write_file(self, table: schema.Table, arrow: pa.Table, partition: str | None) -> None:
        rel = Path("tables") / table.name
        if partition:
            rel = rel / partition
        rel = rel / f"{self.batch_id}-{self._n:05d}.parquet"
        self._n += 1
        target = self.staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        # dictionary pages only for columns that repeat: on ids, times and amounts they cost
        # a third of the write time and are abandoned by the writer anyway
        repeat = [
            f.name
            for f in arrow.schema
            if pa.types.is_string(f.type) and f.name not in _UNIQUE_COLUMNS
        ]
        pq.write_table(arrow, target, compression="zstd", use_dictionary=repeat)
        self.files.setdefault(table.name, []).append(rel.as_posix())


class Store:
    """A partitioned Parquet store rooted at ``root``.

    Example::

        store = Store("data")
        with store.batch(source="fiu generate") as b:
            b.write(schema.TRANSACTIONS, txns)
        frame = store.read_transactions("2025-01-01", "2025-02-01")
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    # -- manifest ---------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def exists(self) -> bool:
        return self.manifest_path.exists()

    def manifest(self) -> dict[str, Any]:
        """The committed manifest (an empty one for a new store)."""
        if not self.manifest_path.exists():
            return {"format_version": FORMAT_VERSION, "batches": []}
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StoreError(f"{self.manifest_path}: manifest is not valid JSON ({exc})") from exc
        if data.get("format_version") != FORMAT_VERSION:
            raise StoreError(
                f"{self.manifest_path}: format_version {data.get('format_version')!r}"
                f", expected {FORMAT_VERSION}"
            )
        return data

    def batches(self) -> list[dict[str, Any]]:
        return list(self.manifest()["batches"])

    # -- writing ----------------------------------------------------------------------------
    @contextmanager
    def batch(self, source: str, batch_id: str | None = None) -> Iterator[Batch]:
        """Write a batch atomically: nothing is visible unless the block finishes."""
        bid = batch_id or datetime.now(UTC).strftime("b%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        if any(b["batch_id"] == bid for b in self.batches()):
            raise StoreError(f"{self.root}: batch '{bid}' already committed")
        staging = self.root / ".staging" / bid
        staging.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        b = Batch(self, bid, source, staging)
        try:
            yield b
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._commit(b)

    def _commit(self, b: Batch) -> None:
        for files in b.files.values():
            for rel in files:
                dest = self.root / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(b.staging / rel, dest)
        manifest = self.manifest()
        manifest["batches"].append(
            {
                "batch_id": b.batch_id,
                "source": b.source,
                "committed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "rows": b.rows,
                "counts": b.counts,
                "files": b.files,
            }
        )
        _fsync_write(self.manifest_path, json.dumps(manifest, indent=1))
        shutil.rmtree(b.staging, ignore_errors=True)

    def vacuum(self) -> list[Path]:
        """Remove files that no committed batch lists (left by a crash); return them."""
        listed = {rel for b in self.batches() for fs in b["files"].values() for rel in fs}
        removed = []
        tables = self.root / "tables"
        if tables.exists():
            for p in tables.rglob("*.parquet"):
                if p.relative_to(self.root).as_posix() not in listed:
                    p.unlink()
                    removed.append(p)
        shutil.rmtree(self.root / ".staging", ignore_errors=True)
        return removed

    # -- reading ----------------------------------------------------------------------------
    def files(self, table: schema.Table, start: Any = None, end: Any = None) -> list[Path]:
        """Committed files of ``table``; for month-partitioned tables only the months that
        overlap ``[start, end)``."""
        rels = [rel for b in self.batches() for rel in b["files"].get(table.name, [])]
        if table.partition_by == "month" and (start is not None or end is not None):
            lo = as_utc(start) if start is not None else None
            hi = as_utc(end) if end is not None else None
            if lo is not None and hi is not None:
                wanted = _months_between(lo, hi - pd.Timedelta(microseconds=1))
                rels = [r for r in rels if r.split("/")[2].removeprefix("month=") in wanted]
            else:

                def keep(r: str) -> bool:
                    m = pd.Period(r.split("/")[2].removeprefix("month="), freq="M")
                    if lo is not None and m.end_time.tz_localize("UTC") < lo:
                        return False
                    return not (hi is not None and m.start_time.tz_localize("UTC") >= hi)

                rels = [r for r in rels if keep(r)]
        return [self.root / r for r in rels]

    def read_arrow(
        self,
        table: schema.Table,
        start: Any = None,
        end: Any = None,
        columns: Iterable[str] | None = None,
        dictionary: Iterable[str] = (),
    ) -> pa.Table:
        """Read a table as Arrow; transactions are filtered to ``start <= timestamp < end``.
        String columns named in ``dictionary`` come back dictionary-encoded, straight from
        Parquet's own dictionary pages (no string per row is built)."""
        paths = self.files(table, start, end)
        cols = list(columns) if columns is not None else table.names
        dict_cols = [c for c in dictionary if pa.types.is_string(table.arrow_schema.field(c).type)]
        arrow_schema = pa.schema(
            [
                f.with_type(pa.dictionary(pa.int32(), f.type)) if f.name in dict_cols else f
                for f in table.arrow_schema
            ]
        )
        if not paths:
            return arrow_schema.empty_table().select(cols)
        fmt: Any = "parquet"
        if dict_cols:
            opts = ds.ParquetReadOptions(dictionary_columns=dict_cols)
            fmt = ds.ParquetFileFormat(read_options=opts)
        dataset = ds.dataset([str(p) for p in paths], schema=arrow_schema, format=fmt)
        flt = None
        if table.partition_by == "month":
            if start is not None:
                flt = ds.field("timestamp") >= pa.scalar(as_utc(start), schema.TS)
            if end is not None:
                f2 = ds.field("timestamp") < pa.scalar(as_utc(end), schema.TS)
                flt = f2 if flt is None else flt & f2
        return dataset.to_table(columns=cols, filter=flt)

    def scan(
        self, table: schema.Table, columns: Iterable[str], batch_rows: int = 1 << 18
    ) -> Iterator[pa.RecordBatch]:
        """The committed rows of ``table`` in record batches of at most ``batch_rows``, in
        store order, never the whole table in memory at once."""
        paths = self.files(table)
        if not paths:
            return
        dataset = ds.dataset([str(p) for p in paths], schema=table.arrow_schema, format="parquet")
        yield from dataset.to_batches(columns=list(columns), batch_size=batch_rows)

    def read(
        self,
        table: schema.Table | str,
        start: Any = None,
        end: Any = None,
        columns: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Read a table as a pandas DataFrame (Arrow-backed strings)."""
        t = schema.get_table(table) if isinstance(table, str) else table
        return self.read_arrow(t, start, end, columns).to_pandas()

    def read_transactions(
        self, start: Any = None, end: Any = None, columns: Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Transactions with ``start <= timestamp < end`` (UTC), touching only needed months."""
        return self.read(schema.TRANSACTIONS, start, end, columns)

    def time_range(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """First and last transaction timestamp in the store, or None if it has none."""
        paths = self.files(schema.TRANSACTIONS)
        if not paths:
            return None
        lo, hi = None, None
        for p in paths:
            md = pq.ParquetFile(p).metadata
            idx = md.schema.names.index("timestamp")
            for rg in range(md.num_row_groups):
                st = md.row_group(rg).column(idx).statistics
                if st is None or not st.has_min_max:
                    continue
                lo = st.min if lo is None or st.min < lo else lo
                hi = st.max if hi is None or st.max > hi else hi
        if lo is None or hi is None:
            return None
        return as_utc(lo), as_utc(hi)
