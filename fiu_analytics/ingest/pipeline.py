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

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fiu_analytics import schema
from fiu_analytics.errors import FiuError, InputFormatError
from fiu_analytics.ingest.fx import FxTable
from fiu_analytics.ingest.records import LabelRecord, PartyRecord, Record, Rejected, TxnRecord
from fiu_analytics.ingest.resolve import Resolver
from fiu_analytics.store import Store

log = logging.getLogger(__name__)
CHUNK = 50_000
_CCY = re.compile(r"[A-Z]{3}")


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


def fingerprint(src_id: str, dst_id: str, day: str, amount: float, currency: str) -> int:
    """Content hash of a transfer: both accounts, the day, the amount in cents, the currency."""
    raw = f"{src_id}|{dst_id}|{day}|{round(amount * 100)}|{currency}".encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big", signed=True)


Parser = Callable[[Path], Iterator[Record]]


def parser_for(fmt: str, mapping: Path | None = None) -> Parser:
    """The record parser of a format name."""
    if fmt == "goaml":
        from fiu_analytics.ingest.goaml import GoamlMapping, parse_goaml

        m = GoamlMapping.load(mapping) if mapping else None
        return lambda p: parse_goaml(p, m)
    if fmt == "pacs008":
        from fiu_analytics.ingest.pacs008 import parse_pacs008

        return parse_pacs008
    if fmt in ("csv", "amlworld", "fiu_csv"):
        from fiu_analytics.ingest.tabular import CsvMapping, builtin_mapping, parse_csv

        if mapping is not None:
            cm = CsvMapping.load(mapping)
        elif fmt in ("amlworld", "fiu_csv"):
            cm = builtin_mapping(fmt)
        else:
            raise InputFormatError(
                "(csv)",
                "a CSV file of unknown layout needs --mapping (a column-mapping YAML; "
                "see fiu_analytics/data/mappings/example.yaml)",
            )
        return lambda p: parse_csv(p, cm)
    if fmt == "amlsim":
        from fiu_analytics.ingest.tabular import parse_amlsim

        return parse_amlsim
    raise InputFormatError(
        "(format)",
        f"unknown format '{fmt}'; expected goaml, pacs008, csv, amlworld, amlsim or un_list",
    )


class Ingestor:
    """Ingests files into one store, keeping resolution state across files of a run."""

    def __init__(
        self, store: Store, fx: FxTable | None = None, progress: Callable[[int], None] | None = None
    ) -> None:
        self.store = store
        self.fx = fx or FxTable.from_csv()
        self.progress = progress
        self.resolver = Resolver.from_store_tables(
            store.read(schema.ACCOUNTS),
            store.read(schema.PARTIES),
            store.read(schema.PARTY_MATCHES),
        )
        reports = store.read(
            schema.TXN_REPORTS, columns=["txn_id", "reporter_id", "txn_ref", "fingerprint"]
        )
        self.seen_refs: set[tuple[str, str]] = set(
            zip(reports["reporter_id"].fillna(""), reports["txn_ref"].fillna(""), strict=True)
        )
        # fingerprint -> stored transactions with that content, each with the reporters that
        # reported it (two genuine cash withdrawals of 100 on one day share a fingerprint)
        self.by_fp: dict[int, dict[str, set[str]]] = {}
        for tid, rep, fp in zip(
            reports["txn_id"],
            reports["reporter_id"].fillna(""),
            reports["fingerprint"],
            strict=True,
        ):
            self.by_fp.setdefault(int(fp), {}).setdefault(tid, set()).add(rep)
        d = store.read(schema.DESIGNATIONS, columns=["reference_number", "name"])
        self.designation_keys = set(zip(d["reference_number"], d["name"], strict=True))

    # -- public -----------------------------------------------------------------------------
    def ingest(
        self, paths: Iterable[Path], fmt: str | None = None, mapping: Path | None = None
    ) -> IngestReport:
        from fiu_analytics.ingest.detect import sniff_format

        report = IngestReport()
        for path in expand_paths(paths):
            f = fmt or sniff_format(path)
            fr = FileReport(str(path), f)
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
                else:
                    self._ingest_file(path, parser_for(f, mapping), fr)
            except FiuError as exc:
                fr.error = str(exc)
                log.error("%s", exc)
            except Exception as exc:  # a parser bug must not stop the other files
                fr.error = f"{path}: unexpected {type(exc).__name__}: {exc}"
                log.exception("unexpected error in %s", path)
            report.files.append(fr)
        return report

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

    def _ingest_file(self, path: Path, parser: Parser, fr: FileReport) -> None:
        res = self.resolver
        res.start_batch()
        saved_refs = set(self.seen_refs)
        saved_fp = {k: {t: set(r) for t, r in v.items()} for k, v in self.by_fp.items()}
        saved_ids = dict(res.account_id_of)
        saved_keys = (
            dict(res.account_keys),
            res.next_key,
            dict(res.party_index),
            set(res.known_parties),
        )
        try:
            with self.store.batch(source=f"fiu ingest {path}") as b:
                ref_to_id: dict[str, str] = {}
                buf: list[Record] = []
                for rec in parser(path):
                    buf.append(rec)
                    if len(buf) >= CHUNK:
                        self._flush(buf, b, fr, ref_to_id)
                        buf = []
                self._flush(buf, b, fr, ref_to_id)
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
            # the batch did not commit: forget what it taught the resolver
            self.seen_refs, self.by_fp = saved_refs, saved_fp
            res.account_keys, res.next_key, res.party_index, res.known_parties = saved_keys
            res.account_id_of = saved_ids
            res.start_batch()
            fr.stored = fr.quarantined = fr.duplicates = fr.linked_reports = fr.labels = 0
            raise

    def _flush(
        self, records: list[Record], b: Any, fr: FileReport, ref_to_id: dict[str, str]
    ) -> None:
        if not records:
            return
        quarantine: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        labels: list[LabelRecord] = []
        for rec in records:
            fr.read += 1
            if isinstance(rec, Rejected):
                quarantine.append(_q(rec))
            elif isinstance(rec, TxnRecord):
                row = self._txn_row(rec)
                if isinstance(row, Rejected):
                    quarantine.append(_q(row))
                else:
                    rows.append(row)
            elif isinstance(rec, PartyRecord):
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
        stored_rows, report_rows = self._dedup_and_convert(rows, quarantine, fr)
        for r in stored_rows:
            if r["_txn_ref"]:
                ref_to_id[r["_txn_ref"]] = r["txn_id"]
        if stored_rows:
            df = pd.DataFrame(stored_rows).drop(
                columns=[c for c in stored_rows[0] if c.startswith("_")]
            )
            b.write(schema.TRANSACTIONS, df)
        if report_rows:
            b.write(schema.TXN_REPORTS, pd.DataFrame(report_rows))
        if labels:
            lab = self._label_rows(labels, ref_to_id, quarantine, fr)
            if len(lab):
                b.write(schema.LABELS, lab)
        if quarantine:
            fr.quarantined += len(quarantine)
            b.write(schema.QUARANTINE, pd.DataFrame(quarantine))
        if self.progress:
            self.progress(len(records))

    def _txn_row(self, t: TxnRecord) -> dict[str, Any] | Rejected:
        def bad(fld: str, value: Any, reason: str) -> Rejected:
            return Rejected(
                t.source_file, t.locator, fld, None if value is None else str(value), reason
            )

        if t.timestamp is None:
            return bad("timestamp", None, "missing date; expected an ISO 8601 date or datetime")
        if t.amount is None or not np.isfinite(t.amount) or t.amount < 0:
            return bad("amount", t.amount, "expected a non-negative number")
        cur = (t.currency or "").upper()
        if not _CCY.fullmatch(cur):
            return bad("currency", t.currency, "expected a three-letter ISO 4217 code")
        if t.channel not in schema.CHANNELS:
            return bad("channel", t.channel, f"expected one of {list(schema.CHANNELS)}")
        res = self.resolver
        cash_party = None
        if t.channel == "cash_deposit" and t.dst is not None and t.dst.account_id:
            # cash is a self-loop on the account; the person paying in is the conductor
            cash_party = t.src.owner if t.src is not None and t.src.account_id is None else None
            src_rec, dst_rec = t.dst, t.dst
        elif t.channel == "cash_withdrawal" and t.src is not None and t.src.account_id:
            cash_party = t.dst.owner if t.dst is not None and t.dst.account_id is None else None
            src_rec, dst_rec = t.src, t.src
        else:
            src_rec, dst_rec = t.src, t.dst
        src = res.account(src_rec, t.src_country, t.source_file, t.locator) if src_rec else None
        dst = res.account(dst_rec, t.dst_country, t.source_file, t.locator) if dst_rec else None
        if t.conductor is None and cash_party is not None:
            owner = dst_rec.owner if dst_rec is not None else None
            same = owner is not None and (owner.name or "") == (cash_party.name or "")
            if not same:
                t.conductor = cash_party
        if src is None and dst is None:
            return bad("src/dst", None, "neither side names an account or a party")
        if src is None or dst is None:
            if t.channel in ("cash_deposit", "cash_withdrawal"):
                src = dst = src if src is not None else dst  # cash is a self-loop
            else:
                side = "src" if src is None else "dst"
                return bad(side, None, "this side names no account and no party")
        ts = pd.Timestamp(t.timestamp)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        if t.conductor is not None and (t.conductor.name or t.conductor.id_document):
            conductor = res.party(t.conductor, None, t.source_file, t.locator)
        else:
            conductor = None
        for p in t.extra_parties:
            if p.name or p.id_document:
                res.party(p, None, t.source_file, t.locator)
        src_id = _id_of(res, src)
        dst_id = _id_of(res, dst)
        return {
            "timestamp": ts,
            "amount": float(t.amount),
            "currency": cur,
            "channel": t.channel,
            "src_account_key": src,
            "dst_account_key": dst,
            "src_country": _cc(t.src_country),
            "dst_country": _cc(t.dst_country),
            "city": t.city,
            "mcc": t.mcc if t.mcc and re.fullmatch(r"\d{4}", t.mcc) else None,
            "merchant": t.merchant,
            "narrative": t.narrative,
            "purpose_code": t.purpose_code,
            "conductor_party_id": conductor,
            "reporter_id": t.reporter_id,
            "report_id": t.report_id,
            "_txn_ref": t.txn_ref,
            "_src_id": src_id,
            "_dst_id": dst_id,
            "_file": t.source_file,
            "_locator": t.locator,
        }

    def _dedup_and_convert(
        self, rows: list[dict[str, Any]], quarantine: list[dict[str, Any]], fr: FileReport
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        if not rows:
            return [], []
        amounts = np.array([r["amount"] for r in rows])
        currencies = np.array([r["currency"] for r in rows])
        days = np.array(
            [r["timestamp"].to_datetime64() for r in rows], dtype="datetime64[D]"
        ).astype(np.int64)
        base, missing = self.fx.convert(amounts, currencies, days)
        stored, reports = [], []
        for i, r in enumerate(rows):
            if missing[i]:
                reason = self.fx.why_missing(r["currency"], np.datetime64(int(days[i]), "D"))
                quarantine.append(
                    {
                        "source_file": r["_file"],
                        "locator": r["_locator"],
                        "field": "currency",
                        "value": r["currency"],
                        "reason": reason,
                    }
                )
                continue
            rep = r["reporter_id"] or ""
            ref = r["_txn_ref"] or ""
            if ref and (rep, ref) in self.seen_refs:
                fr.duplicates += 1
                continue
            fp = fingerprint(
                r["_src_id"], r["_dst_id"], str(r["timestamp"].date()), r["amount"], r["currency"]
            )
            same = self.by_fp.get(fp, {})
            hit = next((tid for tid, reps in same.items() if rep not in reps), None)
            if ref:
                self.seen_refs.add((rep, ref))
            if hit is not None:
                # another reporter's report of a transfer already stored (the other side of a
                # wire): link this report to it
                same[hit].add(rep)
                fr.duplicates += 1
                fr.linked_reports += 1
                reports.append(_report(hit, r, fp, "duplicate"))
                continue
            txn_id = f"{rep or 'NA'}-{ref}" if ref else f"FP{fp & 0xFFFFFFFFFFFF:012X}-{i}"
            r["txn_id"] = txn_id
            r["amount_base"] = float(base[i])
            self.by_fp.setdefault(fp, {})[txn_id] = {rep}
            stored.append(r)
            reports.append(_report(txn_id, r, fp, "stored"))
        fr.stored += len(stored)
        return stored, reports

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


def _id_of(res: Resolver, key: int) -> str:
    return res.account_id_of[key]


def _cc(code: str | None) -> str | None:
    return code.upper() if code and re.fullmatch(r"[A-Za-z]{2}", code) else None


def _q(r: Rejected) -> dict[str, Any]:
    return {
        "source_file": r.source_file,
        "locator": r.locator,
        "field": r.field,
        "value": r.value,
        "reason": r.reason,
    }


def _report(txn_id: str, r: dict[str, Any], fp: int, how: str) -> dict[str, Any]:
    return {
        "txn_id": txn_id,
        "reporter_id": r["reporter_id"],
        "report_id": r["report_id"],
        "txn_ref": r["_txn_ref"],
        "source_file": r["_file"],
        "locator": r["_locator"],
        "fingerprint": fp,
        "linked_as": how,
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
