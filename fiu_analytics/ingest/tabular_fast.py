"""Columnar reading of delimited text: Arrow parses blocks, conversions run per column.

:func:`read_csv_chunks` reads the same files through the same :class:`CsvMapping` as
:func:`~fiu_analytics.ingest.tabular.parse_csv` and yields
:class:`~fiu_analytics.ingest.records.TxnChunk` objects for the pipeline, at several hundred
thousand rows a second with memory bounded by the block size.

How it stays exact: the file is cut into blocks at line ends outside quotes (an even number of
quote characters before the cut). A block is parsed by ``pyarrow.csv`` only when it is *plain*:
valid UTF-8 (after decoding from the mapping's encoding), one physical line per row, no blank
lines, the header's field count on every row. Other blocks go through the record reader of
:mod:`.tabular` unchanged, with their line numbers. In a plain block every column is converted
at once (dates by Arrow's ISO 8601 cast or pandas' strptime, amounts by a float cast, codes once
per distinct value with the record reader's own converters); a row that any of these does not
accept cleanly is handed, with its cells and line number, to the record reader, which decides
(and words the rejection) exactly as it always did.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from fiu_analytics.errors import InputFormatError
from fiu_analytics.ingest.columnar import _rows
from fiu_analytics.ingest.detect import open_binary
from fiu_analytics.ingest.pacs008 import party_type_from_name
from fiu_analytics.ingest.records import (
    TXN_TEXT_FIELDS,
    AccountRecord,
    LabelRecord,
    PartyRecord,
    TxnChunk,
)
from fiu_analytics.ingest.tabular import (
    CsvMapping,
    _chunks,
    _Converter,
    _has_surrogates,
    _Plan,
    _plan,
    _split_account_id,
    _zone,
    parse_csv,
)

__all__ = ["BLOCK_BYTES", "read_csv_chunks"]

BLOCK_BYTES = 16 << 20
"""Bytes parsed at once (about 100k rows of a typical transaction export)."""

_MAX_BLOCK = 256 << 20  # a quote never closed: cut anyway rather than hold the whole file
_SIDES_MAX = 1 << 18
_MISSING: Any = object()
_LINE_END = re.compile(rb"\r\n|\r|\n")
_SEPARATORS = (b"\x1c", b"\x1d", b"\x1e", b"\x1f")
_HEADER_PREFIX = 64 << 10
_SIDE_FIELDS = ("institution", "account", "iban", "account_id", "name", "party_type", "party_id")
_TEXT = TXN_TEXT_FIELDS


def _line_ends(data: bytes) -> int:
    """Physical line ends as the csv module counts them: \\n, \\r\\n and a lone \\r."""
    if b"\r" not in data:
        return data.count(b"\n")
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _cut(buf: bytes, quote: bytes) -> int:
    """Index just after the last line end with an even number of quotes before it; -1 if none."""
    parity = buf.count(quote) if quote else 0
    prev = len(buf)
    nl = buf.rfind(b"\n")
    while nl >= 0:
        if quote:
            parity -= buf.count(quote, nl, prev)
        prev = nl
        if parity % 2 == 0:
            return nl + 1
        nl = buf.rfind(b"\n", 0, nl)
    return -1


class _Blocks:
    """Blocks of whole rows from a binary stream, each with the line it starts on."""

    def __init__(self, fh: Any, quote: str, encoding: str) -> None:
        self.fh = fh
        self.quote = quote.encode(encoding, "replace") if quote else b""
        self.buf = b""
        self.eof = False

    def _fill(self, size: int = BLOCK_BYTES) -> None:
        data = self.fh.read(size)
        if not data:
            self.eof = True
        self.buf += data

    def __iter__(self) -> Iterator[bytes]:
        while True:
            if not self.eof and len(self.buf) < BLOCK_BYTES:
                self._fill(BLOCK_BYTES - len(self.buf))
            if not self.buf:
                return
            cut = -1 if self.eof else _cut(self.buf, self.quote)
            while cut < 0 and not self.eof and len(self.buf) < _MAX_BLOCK:
                self._fill()
                cut = -1 if self.eof else _cut(self.buf, self.quote)
            if cut < 0:
                cut = len(self.buf) if self.eof else (self.buf.rfind(b"\n") + 1 or len(self.buf))
            block, self.buf = self.buf[:cut], self.buf[cut:]
            yield block


def read_csv_chunks(path: str | Path, mapping: CsvMapping | str | Path) -> Iterator[Any]:
    """Stream a delimited text file as :class:`TxnChunk` objects (plus records for rows the
    record reader decides and for labels).

    Every data line ends up as exactly one transaction row or one rejection, as with
    :func:`~fiu_analytics.ingest.tabular.parse_csv`; raises the same
    :class:`~fiu_analytics.errors.InputFormatError` for an unreadable file, an empty file or a
    missing column.
    """
    m = mapping if isinstance(mapping, CsvMapping) else CsvMapping.load(mapping)
    src = str(path)
    try:
        ascii_compatible = "\n,".encode(m.encoding) == b"\n,"
    except (LookupError, UnicodeError):
        ascii_compatible = False
    if not ascii_compatible:  # UTF-16 and the like: line ends are not single bytes
        yield from parse_csv(path, m)
        return
    try:
        fh = open_binary(path)
    except OSError as exc:
        raise InputFormatError(src, f"cannot read the file: {exc}") from None
    try:
        yield from _read(src, fh, m)
    except OSError as exc:
        raise InputFormatError(src, f"cannot read the file: {exc}") from None
    except EOFError as exc:
        raise InputFormatError(src, f"cannot read the file: {exc}") from None
    finally:
        fh.close()


def _decode(data: bytes, m: CsvMapping) -> str:
    enc = "utf-8" if _utf8(m) else m.encoding
    return data.decode(enc, errors="surrogateescape")


def _utf8(m: CsvMapping) -> bool:
    return m.encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig")


def _read(src: str, fh: Any, m: CsvMapping) -> Iterator[Any]:
    blocks = iter(_Blocks(fh, m.quotechar, "utf-8" if _utf8(m) else m.encoding))
    first = True
    line = 1
    header: list[str] | None = None
    pending = b""
    fast: _Fast | None = None
    for block in blocks:
        if first and _utf8(m) and block.startswith(b"\xef\xbb\xbf"):
            block = block[3:]
        first = False
        if m.header and header is None:
            block = pending + block
            header, consumed, skipped = _header(block, m, src)
            if header is None:  # only blank lines so far
                pending = block
                continue
            line += skipped
            block = block[consumed:]
        if fast is None:
            fast = _Fast(src, m, _plan(m, header, src), header)
        if block:
            ends = _line_ends(block)
            yield from fast.block(block, line, ends)
            line += ends
    if m.header and header is None:
        raise InputFormatError(src, "empty file; expected a header line", "line 1")
    if fast is None:  # a headerless empty file: nothing to read
        return


def _header(block: bytes, m: CsvMapping, src: str) -> tuple[list[str] | None, int, int]:
    """The header cells, the bytes they take (blank lines before included) and their lines."""
    # a prefix is enough unless the header is very long or follows many blank lines
    size = _HEADER_PREFIX
    while size < len(block):
        try:
            got = _header_in(block[:size], m, src)
        except InputFormatError:  # perhaps only because the prefix cuts the header short
            got = (None, size, 0)
        if got[0] is not None and got[1] < size:
            return got
        size *= 4
    return _header_in(block, m, src)


def _header_in(block: bytes, m: CsvMapping, src: str) -> tuple[list[str] | None, int, int]:
    text = _decode(block, m)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=m.delimiter, quotechar=m.quotechar)
    try:
        for row in reader:
            if row:
                header, lines = row, reader.line_num
                break
        else:
            return None, 0, 0
    except csv.Error as exc:
        raise InputFormatError(
            src, f"not readable as delimited text: {exc}", f"line {reader.line_num}"
        ) from None
    if _has_surrogates("".join(header)):
        raise InputFormatError(
            src, f"the header is not valid {m.encoding}; set 'encoding' in {m.source}", "line 1"
        )
    # the byte length of those physical lines
    pos = 0
    for _ in range(lines):
        nl = _LINE_END.search(block, pos)
        pos = len(block) if nl is None else nl.end()
    return header, pos, lines


class _Fast:
    """Converts the blocks of one file."""

    def __init__(self, src: str, m: CsvMapping, plan: _Plan, header: list[str] | None) -> None:
        self.src, self.m, self.plan, self.header = src, m, plan, header
        self.slow = _Converter(src, m, plan, header)
        self.width = len(header) if header is not None else None
        self.labelled = "label_flag" in plan.sources or "label_scenario_id" in plan.sources
        self.zone = _zone(m.timezone, m.source)
        self.stem = Path(src).name.split(".")[0]
        # one AccountRecord per distinct side of the file (bounded): the pipeline resolves an
        # object it has seen before with a dict lookup
        self.sides: dict[tuple[str, str], AccountRecord | None] = {}

    # -- blocks ---------------------------------------------------------------------------
    def block(self, data: bytes, line: int, ends: int) -> Iterator[Any]:
        """The chunk and records of ``data``, whose first row is on ``line`` and which holds
        ``ends`` line ends."""
        table = self._arrow(data, ends)
        if table is None:
            yield from self._slow_block(data, line)
            return
        yield from self._convert(table, line)

    def _arrow(self, data: bytes, ends: int) -> pa.Table | None:
        """The block as string columns, or None if it is not plain (see module docstring)."""
        if not _utf8(self.m):
            try:
                data = data.decode(self.m.encoding).encode("utf-8")
            except (UnicodeDecodeError, UnicodeEncodeError):
                return None
            ends = _line_ends(data)
        if any(c in data for c in _SEPARATORS):
            return None  # whitespace to Python's strip, not to Arrow's: the record reader
        width = self.width or self.plan.width
        names = [f"c{i}" for i in range(self.width)] if self.width else None
        try:
            table = pacsv.read_csv(
                pa.py_buffer(data),
                read_options=pacsv.ReadOptions(
                    column_names=names,
                    autogenerate_column_names=names is None,
                    block_size=max(len(data) + 1, 1 << 16),
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.m.delimiter,
                    quote_char=self.m.quotechar or False,
                    double_quote=True,
                    escape_char=False,
                    newlines_in_values=False,
                    ignore_empty_lines=True,
                ),
                convert_options=pacsv.ConvertOptions(
                    check_utf8=True,
                    column_types={f"f{i}": pa.string() for i in range(width)}
                    if names is None
                    else dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
            return None
        ends += 0 if data.endswith((b"\n", b"\r")) else 1
        if table.num_rows != ends or table.num_columns < width:
            return None
        if any(not pa.types.is_string(t) for t in table.schema.types):
            table = table.cast(pa.schema([(n, pa.string()) for n in table.column_names]))
        return table

    def _slow_block(self, data: bytes, line: int) -> Iterator[Any]:
        text = _decode(data, self.m)
        rows = csv.reader(
            io.StringIO(text, newline=""), delimiter=self.m.delimiter, quotechar=self.m.quotechar
        )
        try:
            for chunk, lines in _chunks(rows):
                yield from self.slow(chunk, [n + line - 1 for n in lines])
        except csv.Error as exc:
            raise InputFormatError(
                self.src,
                f"not readable as delimited text: {exc}",
                f"line {rows.line_num + line - 1}",
            ) from None

    def _slow_rows(self, table: pa.Table, rows: np.ndarray, lines: np.ndarray) -> Iterator[Any]:
        if not len(rows):
            return
        sub = table.take(pa.array(rows))
        cols = [c.to_pylist() for c in sub.columns]
        cells = [list(r) for r in zip(*cols, strict=True)]
        yield from self.slow(cells, lines[rows].tolist())

    # -- columns --------------------------------------------------------------------------
    def _convert(self, table: pa.Table, line: int) -> Iterator[Any]:
        n = table.num_rows
        lines = np.arange(line, line + n, dtype=np.int64)
        slow = np.zeros(n, dtype=bool)
        values = {f: self._values(f, table, lines) for f in self.plan.sources}

        def get(f: str) -> pa.Array:
            return values[f] if f in values else pa.nulls(n, pa.string())

        for f in ("timestamp", "amount", "currency", "channel"):
            slow |= _is_null(get(f))
        ts, ts_bad = self._timestamps(get("timestamp"))
        amount, amount_bad = self._amounts(get("amount"))
        slow |= ts_bad | amount_bad
        conv = self.slow
        currency, bad = _mapped(get("currency"), conv.parse_currency)
        slow |= bad
        channel, bad = _mapped(get("channel"), conv.parse_channel)
        slow |= bad
        checked: dict[str, pa.Array] = {}
        for f, (parse, _) in conv.checks.items():
            if f in values:
                checked[f], bad = _mapped(values[f], parse)
                slow |= bad
        sides = {}
        for side in ("src", "dst"):
            sides[side] = self._accounts(side, values, checked)
        labels = self._labels(values, checked, lines) if self.labelled else None

        keep = np.flatnonzero(~slow)
        src_codes, src_accounts = sides["src"]
        dst_codes, dst_accounts = sides["dst"]
        text = {}
        for f in _TEXT:
            arr = checked.get(f, values.get(f))
            if arr is not None:
                text[f] = _rows(arr, keep)
        loc = pc.binary_join_element_wise("line ", pc.cast(pa.array(lines[keep]), pa.string()), "")
        offset = len(src_accounts)
        dst_kept = dst_codes[keep]
        chunk = TxnChunk(
            source_file=self.src,
            locator=loc,
            timestamp=ts[keep],
            amount=amount[keep],
            currency=_rows(currency, keep),
            channel=_rows(channel, keep),
            src=src_codes[keep],
            dst=np.where(dst_kept < 0, -1, dst_kept + offset),
            accounts=src_accounts + dst_accounts,
            text=text,
            labelled=self.labelled,
        )
        if len(keep):
            yield chunk
        if labels is not None:
            yield from (lab for i, lab in labels if not slow[i])
        yield from self._slow_rows(table, np.flatnonzero(slow), lines)

    def _values(self, f: str, table: pa.Table, lines: np.ndarray) -> pa.Array:
        """A field's raw values: trimmed, empty as null, the default filled in."""
        s = self.plan.sources[f]
        n = table.num_rows
        if s.kind == "column":
            col = table.column(s.index).combine_chunks()
            col = pc.utf8_trim_whitespace(col)
            empty = pc.equal(col, "")
            fill = pa.scalar(s.value, pa.string())
            return pc.if_else(empty, fill, col)
        if s.kind == "constant":
            return pc.fill_null(pa.nulls(n, pa.string()), pa.scalar(s.value, pa.string()))
        if s.kind == "line":
            return pc.binary_join_element_wise(
                s.value or "", pc.cast(pa.array(lines), pa.string()), s.suffix, ""
            )
        assert s.render is not None
        cols = [c.to_pylist() for c in table.columns]
        return pa.array(
            [
                s.render(list(r), int(ln))
                for r, ln in zip(zip(*cols, strict=True), lines, strict=True)
            ],
            pa.string(),
        )

    def _timestamps(self, raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """UTC datetime64[us] and a mask of values to leave to the record reader."""
        n = len(raw)
        out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
        numeric = self.m.timestamp_numeric
        if numeric is not None:
            return out, np.ones(n, dtype=bool)  # rare layouts: the record reader
        fmt = self.m.timestamp_format
        got = _iso(raw, self.zone) if fmt.upper() == "ISO8601" else _strptime(raw, fmt, self.zone)
        if got is None:
            return out, np.ones(n, dtype=bool)
        # years before 1 have no Python datetime: the record reader names the column and value
        bad = np.isnat(got) | (got < np.datetime64("0001-01-01", "us"))
        return got, bad

    def _amounts(self, raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        s = raw
        if self.m.thousands:
            s = pc.replace_substring(s, self.m.thousands, "")
        if self.m.decimal != ".":
            s = pc.replace_substring(s, self.m.decimal, ".")
        try:
            values = pc.cast(s, pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = pd.to_numeric(
                pd.Series(s.to_numpy(zero_copy_only=False)), errors="coerce"
            ).to_numpy(dtype=np.float64, na_value=np.nan)
        values = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(values) | (values < 0)
        return values, bad

    def _accounts(
        self, side: str, values: dict[str, pa.Array], checked: dict[str, pa.Array]
    ) -> tuple[np.ndarray, list[AccountRecord]]:
        """Per row the index of its side's account among the distinct ones, and those."""
        names = [f"{side}_{f}" for f in _SIDE_FIELDS]
        present = [f for f in names if f in values]
        n = len(next(iter(values.values()))) if values else 0
        if not present:
            return np.full(n, -1, dtype=np.int64), []
        cols = [checked.get(f, values[f]) for f in present]
        if len(cols) == 1:
            key = cols[0]
        else:
            key = pc.binary_join_element_wise(
                *[pc.fill_null(pc.cast(c, pa.string()), "") for c in cols], "\x1f"
            )
            key = pc.if_else(pc.equal(key, "\x1f" * (len(cols) - 1)), None, key)
        enc = (
            pc.dictionary_encode(key).combine_chunks()
            if isinstance(key, pa.ChunkedArray)
            else pc.dictionary_encode(key)
        )
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        uniques = enc.dictionary.to_pylist()
        accounts: list[AccountRecord | None] = []
        cache = self.sides
        if len(cache) > _SIDES_MAX:
            cache.clear()
        for u in uniques:
            a = cache.get((side, u), _MISSING)
            if a is _MISSING:
                parts = [u] if len(cols) == 1 else u.split("\x1f")
                got = {f: (p or None) for f, p in zip(present, parts, strict=True)}
                a = cache[(side, u)] = _account(got, side)
            accounts.append(a)
        # a side that names nothing is no account: -1
        none = np.array([a is None for a in accounts] + [True], dtype=bool)
        codes = np.where(none[codes], -1, codes)
        return codes, [a if a is not None else AccountRecord(None) for a in accounts]

    def _labels(
        self, values: dict[str, pa.Array], checked: dict[str, pa.Array], lines: np.ndarray
    ) -> list[tuple[int, LabelRecord]]:
        flags = checked.get("label_flag")
        scenario = values.get("label_scenario_id")
        if flags is not None:
            rows = np.flatnonzero(
                np.asarray(flags.to_numpy(zero_copy_only=False) == "true", dtype=bool)
            )
        elif scenario is not None:
            rows = np.flatnonzero(~_is_null(scenario))
        else:
            rows = np.zeros(0, dtype=np.int64)
        if not len(rows):
            return []
        take = pa.array(rows)

        def col(f: str) -> list[Any]:
            arr = values.get(f)
            return arr.take(take).to_pylist() if arr is not None else [None] * len(rows)

        refs, scen, typ, role = (
            col("txn_ref"),
            col("label_scenario_id"),
            col("label_typology"),
            col("label_role"),
        )
        out = []
        for k, i in enumerate(rows.tolist()):
            line = int(lines[i])
            scenario_id = scen[k] or f"{self.stem}-line-{line}" if flags is not None else scen[k]
            out.append(
                (
                    i,
                    LabelRecord(
                        source_file=self.src,
                        locator=f"line {line}",
                        scenario_id=scenario_id,
                        typology=typ[k] or "unspecified",
                        txn_ref=refs[k],
                        role=role[k],
                    ),
                )
            )
        return out


def _is_null(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _mapped(raw: pa.Array, parse: Any) -> tuple[pa.Array, np.ndarray]:
    """``parse`` once per distinct value; the converted column and a mask of failures.

    Booleans (label flags) come back as the strings ``true`` and ``false``."""
    enc = pc.dictionary_encode(raw)
    uniques = enc.dictionary.to_pylist()
    out: list[str | None] = []
    failed: list[bool] = []
    for u in uniques:
        try:
            v = parse(u)
        except (ValueError, OverflowError):
            out.append(None)
            failed.append(True)
            continue
        out.append(
            None if v is None else ("true" if v else "false") if isinstance(v, bool) else str(v)
        )
        failed.append(False)
    out.append(None)  # the slot of empty cells
    failed.append(False)
    codes = enc.indices.fill_null(len(uniques)).to_numpy(zero_copy_only=False)
    return pa.array(out, pa.string()).take(pa.array(codes)), np.array(failed, dtype=bool)[codes]


def _iso(raw: pa.Array, zone: Any) -> np.ndarray | None:
    """ISO 8601 strings to UTC datetime64[us]; NaT where Arrow cannot read one."""
    utc = str(zone) == "UTC"
    try:
        got = pc.cast(raw, pa.timestamp("us", "UTC"))
        return _np_ts(got)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:
        naive = pc.cast(raw, pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _pandas_iso(raw, zone)
    if utc:
        return _np_ts(naive)
    return _localise(naive, zone)


def _np_ts(arr: pa.Array) -> np.ndarray:
    return np.asarray(
        arr.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False), dtype="datetime64[us]"
    )


def _localise(naive: pa.Array, zone: Any) -> np.ndarray | None:
    try:
        got = pc.assume_timezone(naive, timezone=str(zone), ambiguous="raise", nonexistent="raise")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        return None  # a daylight-saving gap or fold in the block: the record reader decides
    return _np_ts(got)


def _pandas_iso(raw: pa.Array, zone: Any) -> np.ndarray | None:
    """Per value, for a block mixing offsets and local times or holding bad values."""
    obj = raw.to_numpy(zero_copy_only=False)
    has_tz = np.asarray(
        pc.match_substring_regex(raw, r"(?:Z|[+-]\d{2}:?\d{2})$")
        .fill_null(False)
        .to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    out = np.full(len(obj), np.datetime64("NaT"), dtype="datetime64[us]")
    for mask, aware in ((has_tz, True), (~has_tz, False)):
        if not mask.any():
            continue
        s = pd.to_datetime(pd.Series(obj[mask]), format="ISO8601", errors="coerce", utc=aware)
        if not aware:
            if str(zone) != "UTC":
                try:
                    s = s.dt.tz_localize(zone, ambiguous="raise", nonexistent="raise")
                except (ValueError, TypeError):
                    return None
                s = s.dt.tz_convert("UTC")
            else:
                s = s.dt.tz_localize("UTC")
        out[mask] = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    return out


def _strptime(raw: pa.Array, fmt: str, zone: Any) -> np.ndarray | None:
    """strftime-formatted strings, parsed once per distinct value."""
    enc = pc.dictionary_encode(raw)
    uniques = enc.dictionary.to_numpy(zero_copy_only=False)
    try:
        parsed = pd.to_datetime(pd.Series(uniques, dtype=object), format=fmt, errors="coerce")
    except (ValueError, TypeError):
        return None
    if getattr(parsed.dt, "tz", None) is None:
        try:
            parsed = parsed.dt.tz_localize(zone, ambiguous="raise", nonexistent="raise")
        except (ValueError, TypeError):
            return None
    values = parsed.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    values = np.append(values, np.datetime64("NaT", "us"))
    codes = enc.indices.fill_null(len(uniques)).to_numpy(zero_copy_only=False)
    return values[codes]


def _account(got: dict[str, str | None], side: str) -> AccountRecord | None:
    """An account side from its cells, as the record reader builds it."""
    i = got.get(f"{side}_institution")
    a = got.get(f"{side}_account")
    b = got.get(f"{side}_iban")
    acct_id = got.get(f"{side}_account_id")
    name = got.get(f"{side}_name")
    owner = None
    if name is not None:
        owner = PartyRecord(
            party_type=got.get(f"{side}_party_type") or party_type_from_name(name),
            name=name,
            key_hint=got.get(f"{side}_party_id"),
        )
    if acct_id is not None:
        i2, a2, b2 = _split_account_id(acct_id)
        i, a, b = i or i2, a or a2, b or b2
    if i is None and a is None and b is None and owner is None:
        return None
    return AccountRecord(institution=i, number=a, iban=b, owner=owner)
