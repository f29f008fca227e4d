"""Ingest files into the store, losing nothing and doubling nothing.

For each file: detect its format (or take the one forced), stream its records from the parser,
and write one store batch per file (atomic: a file that fails midway adds nothing). Every
record read ends in exactly one place, and the file's counts say so:

* stored: a new transaction (or party, label, designation name);
* quarantined: rejected with file, locator, field, value and reason (``quarantine`` table);
* duplicate: already in the store or earlier in the batch. A transaction is a duplicate when
  the same reporter already reported the same transaction number (a re-ingest), or when a
  *different* reporter reported a transfer with the same content fingerprint (the other side
  of the same wire): that report is linked to the stored transaction in ``txn_reports``.

``read == stored + quarantined + duplicates`` holds for every file and is checked before the
batch commits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from contextlib import closing, nullcontext, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from fiu_analytics import schema
from fiu_analytics.errors import FiuError, InputFormatError
from fiu_analytics.ingest.chunks import chunk_of_records
from fiu_analytics.ingest.columnar import ChunkWriter
from fiu_analytics.ingest.dedup import DedupIndex
from fiu_analytics.ingest.fx import FxTable
from fiu_analytics.ingest.overlap import OrderedWrites, read_ahead
from fiu_analytics.ingest.parse_worker import PROCESS_FORMATS, ParseWorker, RecordGroup
from fiu_analytics.ingest.parsers import Parser, parser_for
from fiu_analytics.ingest.records import (
    LabelRecord,
    PartyRecord,
    Record,
    Rejected,
    TxnChunk,
    TxnRecord,
)
from fiu_analytics.ingest.resolve import Resolver
from fiu_analytics.store import Store

log = logging.getLogger(__name__)
CHUNK = 50_000
_AHEAD_BATCH = 256  # record-at-a-time parsers hand over records in groups of this many
PROCESS_MIN_BYTES = 16 << 20
"""goAML and pacs.008 input from which parse processes pay for their start (about 0.4 s)."""
PARSE_PROCESSES = 2  # the parse is two thirds of a goAML ingest's CPU: two share the cores
PARSE_GROUP = 10_000  # records a parse process hands over at once (finer: the ingest starts sooner)
_Write = Callable[[schema.Table, Any], None]


@dataclass
class FileReport:
    """What happened to one file."""

    path: str
    format: str | None
    read: int = 0
    stored: int = 0
    quarantined: int = 0
    duplicates: int = 0
    linked_reports: int = 0
    new_accounts: int = 0
    new_parties: int = 0
    labels: int = 0
    error: str | None = None
    batch_id: str | None = None

    @property
    def balanced(self) -> bool:
        return self.read == self.stored + self.quarantined + self.duplicates


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.error is None for f in self.files)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(f) for f in self.files])


class Ingestor:
    """Ingests files into one store, keeping resolution state across files of a run."""

    def __init__(
        self,
        store: Store,
        fx: FxTable | None = None,
        progress: Callable[[int], None] | None = None,
        parse_process: bool | None = None,
    ) -> None:
        """``parse_process``: parse goAML and pacs.008 files in child processes
        (:mod:`.parse_worker`) while this one converts and writes; ``None`` (the default)
        does so when there are at least two such files holding :data:`PROCESS_MIN_BYTES` or
        more and the machine has a second core."""
        self.store = store
        self.parse_process = parse_process
        self.fx = fx or FxTable.from_csv()
        self.progress = progress
        self.resolver = Resolver.from_store_tables(
            store.read(schema.ACCOUNTS),
            store.read(schema.PARTIES),
            store.read(schema.PARTY_MATCHES),
        )
        self.dedup = DedupIndex.from_reports(
            store.scan(schema.TXN_REPORTS, ["txn_id", "reporter_id", "txn_ref", "fingerprint"])
        )
        self.writer = ChunkWriter(self.resolver, self.dedup, self.fx)
        d = store.read(schema.DESIGNATIONS, columns=["reference_number", "name"])
        self.designation_keys = set(zip(d["reference_number"], d["name"], strict=True))

    # -- public -----------------------------------------------------------------------------
    def ingest(
        self, paths: Iterable[Path], fmt: str | None = None, mapping: Path | None = None
    ) -> IngestReport:
        from fiu_analytics.ingest.detect import sniff_format

        report = IngestReport()
        files: list[tuple[Path, str | None, str | None]] = []  # path, format, sniff error
        for path in expand_paths(paths):
            try:
                files.append((path, fmt or sniff_format(path), None))
            except OSError as exc:
                files.append((path, None, f"{path}: cannot read the file: {exc}"))
        with self._parse_worker(files, mapping) as worker:
            for path, f, error in files:
                report.files.append(self._ingest_one(path, f, error, mapping, worker))
        return report

    def _parse_worker(
        self, files: list[tuple[Path, str | None, str | None]], mapping: Path | None
    ) -> Any:
        """A :class:`ParseWorker` for the goAML and pacs.008 files, or a null context."""
        todo = [(p, f, mapping) for p, f, err in files if f in PROCESS_FORMATS and err is None]
        use = self.parse_process
        if use is None:
            size = 0
            for p, _, _ in todo:
                with suppress(OSError):
                    size += p.stat().st_size
            # one file is parsed by one process either way: a child would only add its start
            use = size >= PROCESS_MIN_BYTES and len(todo) >= 2 and (os.cpu_count() or 1) >= 2
        if not use or not todo:
            return nullcontext(None)
        return ParseWorker(todo, size=PARSE_GROUP, processes=PARSE_PROCESSES)

    def _ingest_one(
        self,
        path: Path,
        f: str | None,
        error: str | None,
        mapping: Path | None,
        worker: ParseWorker | None,
    ) -> FileReport:
        fr = FileReport(str(path), f)
        if error is not None:
            fr.error = error
            log.error("%s", error)
            return fr
        try:
            if f is None:
                raise InputFormatError(
                    str(path), "format not recognised from content; pass --format"
                )
            if f == "csv" and mapping is None:
                raise InputFormatError(
                    str(path),
                    "a CSV file of unknown layout needs --mapping (a column-mapping YAML; "
                    "see fiu_analytics/data/mappings/example.yaml)",
                )
            if f == "un_list":
                self._ingest_un_list(path, fr)
            elif worker is not None and worker.handles(path):
                self._ingest_file(path, worker.items, fr, ahead=False)
            else:
                self._ingest_file(path, parser_for(f, mapping), fr)
        except FiuError as exc:
            fr.error = str(exc)
            log.error("%s", exc)
        except Exception as exc:  # a parser bug must not stop the other files
            fr.error = f"{path}: unexpected {type(exc).__name__}: {exc}"
            log.exception("unexpected error in %s", path)
        return fr

    # -- one file -----------------------------------------------------------------------------
    def _ingest_un_list(self, path: Path, fr: FileReport) -> None:
        from fiu_analytics.ingest.un_list import read_un_list

        frame, warnings = read_un_list(path)
        for w in warnings:
            log.warning("%s: %s", path, w)
        keys = list(zip(frame["reference_number"], frame["name"], strict=True))
        fresh = [k not in self.designation_keys for k in keys]
        # within-file repeats of the same name count as duplicates too
        seen: set[tuple[str, str]] = set()
        for i, k in enumerate(keys):
            if fresh[i] and k in seen:
                fresh[i] = False
            seen.add(k)
        new = frame[fresh]
        fr.read, fr.stored, fr.duplicates = len(frame), len(new), len(frame) - len(new)
        with self.store.batch(source=f"fiu ingest {path}") as b:
            b.write(schema.DESIGNATIONS, new)
            b.counts = {"file": str(path), "format": "un_list", **_counts(fr)}
            fr.batch_id = b.batch_id
        self.designation_keys.update(keys)

    def _ingest_file(self, path: Path, parser: Parser, fr: FileReport, ahead: bool = True) -> None:
        res = self.resolver
        res.start_batch()
        self.dedup.begin()
        self.writer.forget()  # sides are cached by object, and objects are per file
        try:
            with self.store.batch(source=f"fiu ingest {path}") as b:
                # the next block is parsed and the last one written while this one is
                # converted; writes keep their order, so the store is the same as without
                writes = OrderedWrites(depth=1)
                try:
                    self._ingest_items(
                        path, parser, lambda t, d: writes.submit(b.write, t, d), fr, ahead
                    )
                    writes.wait()
                finally:
                    writes.close()
                if res.new_accounts:
                    b.write(schema.ACCOUNTS, pd.DataFrame(res.new_accounts))
                if res.new_parties:
                    b.write(schema.PARTIES, pd.DataFrame(res.new_parties))
                if res.matches:
                    b.write(schema.PARTY_MATCHES, pd.DataFrame(res.matches))
                fr.new_accounts, fr.new_parties = len(res.new_accounts), len(res.new_parties)
                if not fr.balanced:  # a bug, not bad input: refuse to commit
                    raise RuntimeError(f"{path}: counts do not add up: {_counts(fr)}")
                b.counts = {"file": str(path), "format": fr.format, **_counts(fr)}
                fr.batch_id = b.batch_id
        except BaseException:
            # the batch did not commit: forget what it taught the resolver and the index
            self.dedup.rollback()
            res.rollback()
            self.writer.forget()
            fr.stored = fr.quarantined = fr.duplicates = fr.linked_reports = fr.labels = 0
            raise
        self.dedup.commit()
        res.start_batch()

    def _ingest_items(
        self, path: Path, parser: Parser, write: _Write, fr: FileReport, ahead: bool = True
    ) -> None:
        """Convert the parser's items, staging the rows through ``write``; ``ahead``: parse
        in a thread a few items ahead (a parse process hands over groups already)."""
        state = _FileState()
        buf: list[Record] = []
        source = parser(path)
        if ahead:
            source = read_ahead(
                source, depth=1, batch=_AHEAD_BATCH, whole=lambda x: isinstance(x, TxnChunk)
            )
        with closing(source) as items:  # type: ignore[type-var]
            for item in items:
                if isinstance(item, RecordGroup):
                    self._flush(buf, write, fr, state)
                    buf = []
                    self._flush_group(item, write, fr, state)
                    continue
                if isinstance(item, TxnChunk):
                    self._flush(buf, write, fr, state)
                    buf = []
                    self._write_chunk(item, write, fr, state)
                    continue
                buf.append(item)
                if len(buf) >= CHUNK:
                    self._flush(buf, write, fr, state)
                    buf = []
        self._flush(buf, write, fr, state)

    def _write_chunk(
        self, chunk: TxnChunk, write: _Write, fr: FileReport, state: _FileState
    ) -> None:
        n = len(chunk)
        if n == 0:
            return
        result, stored, duplicates, linked = self.writer.convert(chunk, state.rows)
        state.rows += n
        fr.read += n
        fr.stored += stored
        fr.duplicates += duplicates
        fr.linked_reports += linked
        state.ref_to_id.update(result.stored_refs)
        if result.transactions is not None and result.transactions.num_rows:
            write(schema.TRANSACTIONS, result.transactions)
        if result.reports is not None and result.reports.num_rows:
            write(schema.TXN_REPORTS, result.reports)
        if result.quarantine:
            fr.quarantined += len(result.quarantine)
            write(schema.QUARANTINE, _quarantine_table(result.quarantine))
        if self.progress:
            self.progress(n)

    def _flush(
        self, records: list[Record], write: _Write, fr: FileReport, state: _FileState
    ) -> None:
        if not records:
            return
        txns = [r for r in records if isinstance(r, TxnRecord)]
        others = [r for r in records if not isinstance(r, TxnRecord)] if txns else records
        chunk = chunk_of_records(txns, fr.path) if txns else None
        self._flush_group(RecordGroup(chunk, others), write, fr, state)

    def _flush_group(
        self, group: RecordGroup, write: _Write, fr: FileReport, state: _FileState
    ) -> None:
        """Store a group of records: parties, then the transactions, labels, rejections."""
        quarantine: list[dict[str, Any]] = []
        labels: list[LabelRecord] = []
        parties = 0
        for rec in group.others:
            if isinstance(rec, Rejected):
                quarantine.append(_q(rec))
            elif isinstance(rec, PartyRecord):
                parties += 1
                before = len(self.resolver.new_parties)
                self.resolver.party(
                    rec,
                    rec.key_hint,
                    rec.source_file or fr.path,
                    rec.locator or "(activity report)",
                )
                if len(self.resolver.new_parties) > before:
                    fr.stored += 1
                else:  # a party already known (merged): nothing new to store
                    fr.duplicates += 1
            elif isinstance(rec, LabelRecord):
                labels.append(rec)
            else:
                raise TypeError(f"parser produced {type(rec).__name__}")
        fr.read += len(quarantine) + parties + len(labels)
        if group.chunk is not None:
            progress, self.progress = self.progress, None
            try:
                self._write_chunk(group.chunk, write, fr, state)
            finally:
                self.progress = progress
        if labels:
            lab = self._label_rows(labels, state.ref_to_id, quarantine, fr)
            if len(lab):
                write(schema.LABELS, lab)
        if quarantine:
            fr.quarantined += len(quarantine)
            write(schema.QUARANTINE, _quarantine_table(quarantine))
        if self.progress:
            self.progress(len(group))

    def _label_rows(
        self,
        labels: list[LabelRecord],
        ref_to_id: dict[str, str],
        quarantine: list[dict[str, Any]],
        fr: FileReport,
    ) -> pd.DataFrame:
        out = []
        for rec in labels:
            txn_id = ref_to_id.get(rec.txn_ref) if rec.txn_ref else None
            key = None
            if rec.account is not None:
                key = self.resolver.account(rec.account, None, rec.source_file, rec.locator)
            if txn_id is None and key is None:
                quarantine.append(
                    {
                        "source_file": rec.source_file,
                        "locator": rec.locator,
                        "field": "txn_ref",
                        "value": rec.txn_ref,
                        "reason": "label refers to no stored transaction or account of this file",
                    }
                )
                continue
            fr.stored += 1
            fr.labels += 1
            out.append(
                {
                    "scenario_id": rec.scenario_id,
                    "typology": rec.typology,
                    "account_key": key,
                    "txn_id": txn_id,
                    "role": rec.role,
                    "stage": None,
                    "is_core": True if key is not None else None,
                    "source": "research",
                }
            )
        return pd.DataFrame(out)


@dataclass
class _FileState:
    """What one file's ingest carries from chunk to chunk."""

    rows: int = 0  # transaction rows so far (ids of rows without a reference)
    ref_to_id: dict[str, str] = field(default_factory=dict)  # labelled files only


def _quarantine_table(rows: list[dict[str, Any]]) -> pa.Table:
    cols = ("source_file", "locator", "field", "value", "reason")
    return pa.table({c: pa.array([_text(r[c]) for r in rows], pa.string()) for c in cols})


def _text(value: Any) -> str | None:
    """Text that Parquet can hold: bytes that were not valid in the file's encoding (kept as
    surrogates by the readers) become U+FFFD."""
    if value is None:
        return None
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = text.encode("utf-8", "replace")
        return raw.decode("utf-8", "replace")
    return text


def _q(r: Rejected) -> dict[str, Any]:
    return {
        "source_file": r.source_file,
        "locator": r.locator,
        "field": r.field,
        "value": r.value,
        "reason": r.reason,
    }


def _counts(fr: FileReport) -> dict[str, int]:
    return {
        "read": fr.read,
        "stored": fr.stored,
        "quarantined": fr.quarantined,
        "duplicates": fr.duplicates,
        "linked_reports": fr.linked_reports,
    }


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders expanded to their files (sorted), skipping hidden ones. An
    AMLSim output folder (with transactions.csv and accounts.csv) stays one input."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            if (p / "transactions.csv").exists() and (p / "accounts.csv").exists():
                out.append(p)
                continue
            out.extend(
                sorted(
                    q
                    for q in p.rglob("*")
                    if q.is_file() and not any(part.startswith(".") for part in q.parts)
                )
            )
        elif p.exists():
            out.append(p)
        else:
            raise InputFormatError(str(p), "no such file or folder")
    return out
