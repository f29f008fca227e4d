"""Real-format exports of a synthetic world: goAML XML reports and a flat CSV.

Both writers are *sinks* for :func:`fiu_analytics.synth.generate`: each is called as
``sink(world, txns)`` with one time window of canonical transactions and keeps nothing but
open file handles and small per-account caches, so memory is bounded by the window, however
large the world.
Call ``close()`` (or use them as context managers) after the generator returns::

    sinks, close = export_sinks("out", ["goaml", "csv.gz"])
    generate(cfg, store, sinks=sinks)
    files = close()

goAML layout (:class:`GoamlWriter`)::

    <out_dir>/<institution code>/<YYYY-MM>-CTR.xml    cash deposits and withdrawals of the month
    <out_dir>/<institution code>/<YYYY-MM>-EFT.xml    every other transaction of the month
    <out_dir>/<institution code>/activity-SAR.xml     one activity report per run (parties only)
    <out_dir>/manifest.json                           reporting entities and files written

One transaction report per reporting institution, month and report code. Its file is opened
when the first transaction of that month arrives and stays open across windows (the generator
splits large months into several windows); it is closed by :meth:`GoamlWriter.close`, or
earlier as soon as a window starts in a later month. If a month that was already closed comes
back (windows out of time order), its continuation goes to ``<YYYY-MM>-<code>-part2.xml`` and so
on, never overwriting a finished file.

Who reports a transaction: every reporting institution that holds one of its accounts (both
banks of an interbank transfer report it, so the FIU has to deduplicate by
``transactionnumber``), plus the store's ``reporter_id`` when it holds neither account (an MSB
reporting a remittance for its walk-in customer). A cash deposit is reported only by the
institution of the receiving account, a cash withdrawal only by that of the paying account. A
transaction no reporting institution sees (between two foreign banks) is written under its
``reporter_id``, a foreign bank's code, standing for what a foreign FIU would share, so that
every stored transaction appears in at least one report.

The reporter's own side is ``t_from_my_client``/``t_to_my_client`` with full KYC (account with
owner, birth date, identity document, nationality, phone, address, opening date); the other side
is ``t_from``/``t_to`` with names only. Cash comes from or goes to a person or entity
(``from_person``/``to_entity`` ...) with funds code cash; ``t_conductor`` is written whenever
the transaction has a conductor. Codes (``transmode_code``, funds codes) come from the per-FIU
mapping file ``fiu_analytics/data/goaml_default_mapping.yaml``, which an ingest reads back.
``transaction_description`` is the narrative, or the ``transmode_code`` description from the
mapping when there is none (goAML schemas require the element); merchant, MCC and purpose code,
which have no goAML element, go to ``comments`` as ``merchant=...; mcc=...; purpose_code=...``.
Times are UTC, truncated to the second; ``amount_local`` is in USD.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml
from lxml import etree

from fiu_analytics import schema
from fiu_analytics.errors import ConfigError
from fiu_analytics.synth.world import World, country_reference

MAPPING_FILE = "goaml_default_mapping.yaml"
CURRENCY_LOCAL = "USD"
CASH_IN = "cash_deposit"
CASH_OUT = "cash_withdrawal"
CASH_CHANNELS = frozenset({CASH_IN, CASH_OUT})
# (from_funds_code, to_funds_code) per canonical channel; codes are checked against the mapping
CHANNEL_FUNDS: dict[str, tuple[str, str]] = {
    "wire": ("A", "A"),
    "cash_deposit": ("K", "A"),
    "cash_withdrawal": ("A", "K"),
    "card": ("D", "A"),
    "mobile_money": ("E", "E"),
    "msb_remittance": ("A", "R"),
    "hawala": ("H", "H"),
    "crypto": ("A", "V"),
    "cheque": ("Q", "A"),
    "internal": ("A", "A"),
    "other": ("O", "O"),
}
# activity report: repeated cash deposits just under the CTR threshold, third-party deposits
NEAR_THRESHOLD = (8_000.0, 10_000.0)
NEAR_THRESHOLD_MIN_COUNT = 3
ACTIVITY_MAX_PARTIES = 5
_OFFICER_FIRST = ["Alex", "Jordan", "Morgan", "Taylor", "Casey", "Riley", "Jamie", "Avery"]
_OFFICER_LAST = [
    "Whitfield",
    "Okonkwo",
    "Lindqvist",
    "Moreau",
    "Castellano",
    "Brennan",
    "Ishikawa",
    "Novak",
]

Sink = Callable[[World, pa.Table], None]


def load_mapping(path: str | Path | None = None) -> dict[str, Any]:
    """A per-FIU goAML code-list mapping (the packaged default when ``path`` is None)."""
    if path is None:
        return _default_mapping()
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read goAML mapping file {p}: {exc}") from exc
    _check_mapping(data, str(p))
    return data


@cache
def _default_mapping() -> dict[str, Any]:
    text = resources.files("fiu_analytics.data").joinpath(MAPPING_FILE).read_text("utf-8")
    data = yaml.safe_load(text)
    _check_mapping(data, MAPPING_FILE)
    return data


def _check_mapping(data: Any, source: str) -> None:
    if not isinstance(data, dict) or not {"transmode_code", "funds_code"} <= set(data):
        raise ConfigError(
            f"goAML mapping {source}: expected keys 'transmode_code' and 'funds_code'"
        )
    for code, entry in data["transmode_code"].items():
        if entry.get("channel") not in schema.CHANNELS:
            raise ConfigError(
                f"goAML mapping {source}: transmode_code {code!r} maps to "
                f"{entry.get('channel')!r}, not one of {list(schema.CHANNELS)}"
            )
    for code, entry in data["funds_code"].items():
        for side in ("from_channel", "to_channel"):
            if entry.get(side) is not None and entry[side] not in schema.CHANNELS:
                raise ConfigError(
                    f"goAML mapping {source}: funds_code {code!r} {side} "
                    f"{entry[side]!r} is not one of {list(schema.CHANNELS)}"
                )


def report_code_for(channel: str) -> str:
    """goAML report code of a transaction: CTR for cash, EFT for everything else."""
    return "CTR" if channel in CASH_CHANNELS else "EFT"


# -- world lookups --------------------------------------------------------------------------


@dataclass
class _WorldIndex:
    """Arrays and dictionaries derived once per world."""

    world: World
    key2idx: np.ndarray
    acc_inst: np.ndarray
    acc_party: np.ndarray
    acc_inst_l: list[int]
    acc_party_l: list[int]
    acc_number: list[str]
    codes: list[str]
    names: list[str]
    countries: list[str]
    reporting: np.ndarray
    code_index: dict[str, int]
    party_index: dict[str, int]

    @classmethod
    def build(cls, world: World) -> _WorldIndex:
        if world.account_key is None or world.account_id is None:
            raise ConfigError("the world is not finalised: accounts have no public keys yet")
        keys = np.asarray(world.account_key, dtype=np.int64)
        key2idx = np.full(int(keys.max()) + 1 if len(keys) else 1, -1, dtype=np.int64)
        key2idx[keys] = np.arange(len(keys))
        insts = world.institutions
        return cls(
            world=world,
            key2idx=key2idx,
            acc_inst=np.asarray(world.acc_inst, dtype=np.int64),
            acc_party=np.asarray(world.acc_party, dtype=np.int64),
            acc_inst_l=[int(i) for i in world.acc_inst],
            acc_party_l=[int(p) for p in world.acc_party],
            acc_number=[str(a).split("/", 1)[-1] for a in world.account_id],
            codes=[i.code for i in insts],
            names=[i.name for i in insts],
            countries=[i.country for i in insts],
            reporting=np.array([i.reporting for i in insts], dtype=bool),
            code_index={i.code: k for k, i in enumerate(insts)},
            party_index={str(p): k for k, p in enumerate(world.party_ids)},
        )

    def accounts(self, keys: pa.ChunkedArray | pa.Array, column: str) -> np.ndarray:
        k = np.asarray(keys.to_numpy(), dtype=np.int64)
        bad = (k < 0) | (k >= len(self.key2idx))
        idx = self.key2idx[np.where(bad, 0, k)]
        if bad.any() or (idx < 0).any():
            raise ConfigError(
                f"{column}: account keys not in the world, e.g. {k[bad | (idx < 0)][:5].tolist()}"
            )
        return idx


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = str(name).strip().rpartition(" ")
    return (first, last) if first else (last, last)


def _iso_date(value: Any) -> str | None:
    if value is None:
        return None
    try:
        if value != value:  # NaN / NaT
            return None
    except (TypeError, ValueError):
        pass
    return f"{str(value)[:10]}T00:00:00"


def _currency(country: str) -> str:
    c = country_reference()["countries"].get(country)
    return c["currency"] if c else CURRENCY_LOCAL


# -- goAML ------------------------------------------------------------------------------------


@dataclass
class _ReportFile:
    """One open goAML transaction report: lxml's incremental writer holds the declaration,
    the header and the ``report`` element; transaction text is written in blocks between."""

    path: Path
    reporter: str
    month: str
    report_code: str
    stack: ExitStack
    fh: Any
    xf: Any
    count: int = 0
    prefix: str = ""

    def __post_init__(self) -> None:
        self.prefix = f"{self.reporter}-{self.month.replace('-', '')}-"


@dataclass
class _Flags:
    near: int = 0
    third: int = 0
    amount: float = 0.0
    first: str = ""
    last: str = ""
    conductors: Counter = field(default_factory=Counter)


_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def _escaped(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """XML-escaped text of a string column (control characters XML 1.0 forbids removed)."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    col = pc.replace_substring_regex(col, _CONTROL, "")
    for raw, esc in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        col = pc.replace_substring(col, raw, esc)
    return col


def _iso(col: pa.ChunkedArray | pa.Array, unit: str) -> pa.Array:
    """ISO 8601 text (``2025-01-01T00:09:16``) of UTC timestamps, truncated to ``unit``."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    text = pc.cast(pc.cast(col, pa.timestamp(unit), safe=False), pa.string())
    return pc.replace_substring(text, " ", "T", max_replacements=1)


def _lookup(col: pa.ChunkedArray | pa.Array, index: Callable[[str], int]) -> np.ndarray:
    """``index(value)`` for each value of a string column (-1 for nulls), one call per distinct
    value."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    enc = pc.dictionary_encode(col)
    table = np.array([index(v) for v in enc.dictionary.to_pylist()] + [-1], dtype=np.int64)
    idx = pc.fill_null(enc.indices, len(enc.dictionary)).to_numpy()
    return table[idx]


def _optional(col: pa.ChunkedArray | pa.Array, before: str, after: str) -> pa.Array:
    """``before + escaped value + after``, or the empty string where the value is null."""
    return pc.fill_null(pc.binary_join_element_wise(before, _escaped(col), after, ""), "")


class GoamlWriter:
    """Sink writing goAML XML transaction reports, one per reporter, month and report code.

    See the module documentation for the file layout and who reports what. ``mapping`` is a
    mapping file path or a loaded mapping (default: the packaged one); ``activity_report``
    adds one goAML activity report (SAR, parties only) per reporter that saw repeated cash
    deposits just under the CTR threshold or cash deposited by a third party.

    ``indent`` pretty-prints (about 30 % larger files); by default each transaction is one
    line. ``chunk_reports`` bounds how many reports are assembled at once (memory).

    How it is written, and why: lxml's incremental writer (``etree.xmlfile``) writes each
    file's declaration, ``report`` element, header and ``report_indicators``; the KYC blocks
    (an account with its owner, a person, an entity, a conductor) are built with lxml once per
    account or party and detail level and kept serialised. The transactions themselves are
    assembled column-wise with Arrow string kernels from those blocks and their own escaped
    fields, and each file's share of a window is written as one byte range between lxml's
    writes. Building and serialising the fifty-odd elements of every report with lxml instead
    ran at about 6,500 transactions/s, several times slower.
    """

    def __init__(
        self,
        out_dir: str | Path,
        mapping: str | Path | dict[str, Any] | None = None,
        activity_report: bool = True,
        indent: bool = False,
        cache_size: int = 200_000,
        chunk_reports: int = 10_000,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.indent = indent
        self._pad = [("  " * k if indent else "") for k in range(4)]
        self._nl = "\n" if indent else ""
        self.mapping = mapping if isinstance(mapping, dict) else load_mapping(mapping)
        _check_mapping(self.mapping, "mapping")
        self.activity_report = activity_report
        self.cache_size = cache_size
        self.chunk_reports = chunk_reports
        self.transmode = {
            e["channel"]: code for code, e in reversed(list(self.mapping["transmode_code"].items()))
        }
        missing = [c for c in schema.CHANNELS if c not in self.transmode]
        if missing:
            raise ConfigError(f"goAML mapping has no transmode_code for channels {missing}")
        unknown = {f for pair in CHANNEL_FUNDS.values() for f in pair} - set(
            self.mapping["funds_code"]
        )
        if unknown:
            raise ConfigError(f"goAML mapping has no funds_code {sorted(unknown)}")
        self.files: list[dict[str, Any]] = []
        self.transactions = 0
        self.reports_written = 0
        self._open: dict[tuple[str, str, str], _ReportFile] = {}
        self._parts: dict[tuple[str, str, str], int] = {}
        self._wi: _WorldIndex | None = None
        self._blocks: dict[int, str] = {}
        self._conductors: dict[int, str] = {}
        self._extra_codes: list[str] = []
        self._flags: dict[tuple[int, int], _Flags] = {}
        self._closed = False

    # -- context manager --------------------------------------------------------------------
    def __enter__(self) -> GoamlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the sink ---------------------------------------------------------------------------
    def __call__(self, world: World, txns: pa.Table) -> None:
        if self._closed:
            raise ConfigError("GoamlWriter is closed")
        if self._wi is None or self._wi.world is not world:
            self._wi = _WorldIndex.build(world)
            self._blocks.clear()
            self._conductors.clear()
            self._extra_codes = []
        n = txns.num_rows
        if n == 0:
            return
        txns = txns.combine_chunks()
        wi = self._wi
        src = wi.accounts(txns.column("src_account_key"), "src_account_key")
        dst = wi.accounts(txns.column("dst_account_key"), "dst_account_key")
        si, di = wi.acc_inst[src], wi.acc_inst[dst]
        chan = pc.dictionary_encode(txns.column("channel")).chunk(0)
        chan_names = chan.dictionary.to_pylist()
        chan_idx = np.asarray(chan.indices.to_numpy(zero_copy_only=False))
        unknown = sorted(set(chan_names) - set(self.transmode))
        if unknown:
            raise ConfigError(f"channel values {unknown} have no transmode_code in the mapping")
        cash_in = chan_idx == (chan_names.index(CASH_IN) if CASH_IN in chan_names else -1)
        cash_out = chan_idx == (chan_names.index(CASH_OUT) if CASH_OUT in chan_names else -1)
        given = _lookup(txns.column("reporter_id"), self._reporter_index)
        # who reports: the reporting institutions holding an account, plus reporter_id
        src_rep = wi.reporting[si] & ~cash_in
        dst_rep = wi.reporting[di] & ~cash_out & ~(src_rep & (si == di))
        extra = (given >= 0) & ~((src_rep & (given == si)) | (dst_rep & (given == di)))
        nobody = ~(src_rep | dst_rep | extra)
        given = np.where(nobody, np.where(cash_out, si, di), given)
        extra |= nobody

        date = _iso(txns.column("timestamp"), "s")
        month = pc.dictionary_encode(pc.utf8_slice_codeunits(date, 0, 7))
        month_names = month.dictionary.to_pylist()
        month_idx = np.asarray(month.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        self._close_before(min(month_names))
        amount = np.asarray(txns.column("amount").to_numpy(), dtype=np.float64)
        cond = _lookup(txns.column("conductor_party_id"), lambda c: wi.party_index.get(c, -1))
        if self.activity_report:
            self._track(wi, dst, di, cash_in, amount, cond, month_names, month_idx)

        # one row per report, grouped by file and in time order within a file
        rows = np.concatenate(
            [np.flatnonzero(src_rep), np.flatnonzero(dst_rep), np.flatnonzero(extra)]
        )
        rep = np.concatenate([si[src_rep], di[dst_rep], given[extra]])
        ctr = (cash_in | cash_out)[rows]
        file_id = (rep * len(month_names) + month_idx[rows]) * 2 + ctr
        order = np.lexsort((rows, file_id))
        rows, rep, file_id, ctr = rows[order], rep[order], file_id[order], ctr[order]
        starts = np.flatnonzero(np.r_[True, file_id[1:] != file_id[:-1]])
        ends = np.r_[starts[1:], len(rows)]
        codes = wi.codes + self._extra_codes
        files, seq = [], np.empty(len(rows), dtype=np.int64)
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            key = (codes[rep[a]], month_names[month_idx[rows[a]]], "CTR" if ctr[a] else "EFT")
            f = self._open.get(key) or self._file(int(rep[a]), key)
            seq[a:b] = np.arange(f.count + 1, f.count + 1 + b - a)
            f.count += b - a
            files.append(f)
        group = np.repeat(np.arange(len(starts)), ends - starts)
        prefixes = pa.array([f.prefix for f in files], pa.string())

        # per transaction text, built once and repeated for each of its reports
        p1, p2, p3, nl = *self._pad[1:4], self._nl
        head1 = pc.binary_join_element_wise(
            f"{p1}<transaction>{nl}{p2}<transactionnumber>",
            _escaped(txns.column("txn_id")),
            f"</transactionnumber>{nl}{p2}<internal_ref_number>",
            "",
        )
        cents = np.rint(amount * 100).astype(np.int64)
        amount_s = pc.binary_join_element_wise(
            pc.cast(pa.array(cents // 100), pa.string()),
            pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), 2, "0"),
            ".",
        )
        transmode = pa.array([self.transmode[c] for c in chan_names]).take(chan.indices)
        # goAML schemas require a description: the narrative, else the transmode's description
        description = pc.fill_null(
            _escaped(txns.column("narrative")),
            _escaped(
                pa.array([self._describe(c) for c in chan_names], pa.string()).take(chan.indices)
            ),
        )
        head2 = pc.binary_join_element_wise(
            f"</internal_ref_number>{nl}",
            _optional(
                txns.column("city"), f"{p2}<transaction_location>", f"</transaction_location>{nl}"
            ),
            f"{p2}<transaction_description>",
            description,
            f"</transaction_description>{nl}",
            f"{p2}<date_transaction>",
            date,
            f"</date_transaction>{nl}{p2}<value_date>",
            pc.utf8_slice_codeunits(date, 0, 10),
            f"T00:00:00</value_date>{nl}{p2}<transmode_code>",
            transmode,
            f"</transmode_code>{nl}{p2}<amount_local>",
            amount_s,
            f"</amount_local>{nl}",
            "",
        )
        # merchant, MCC and purpose code have no goAML element: "merchant=...; mcc=..."
        # (null_handling="skip" is avoided: it drops all-null rows in some pyarrow versions)
        comments = pc.binary_join_element_wise(
            *(
                pc.fill_null(
                    pc.binary_join_element_wise(f"{name}=", txns.column(name), "; ", ""), ""
                )
                for name in ("merchant", "mcc", "purpose_code")
            ),
            "",
        )
        comments = pc.replace_substring_regex(comments, "; $", "")
        comments = pc.if_else(pc.equal(comments, ""), pa.scalar(None, pa.string()), comments)
        tail = pc.binary_join_element_wise(
            _optional(comments, f"{p2}<comments>", f"</comments>{nl}"), f"{p1}</transaction>\n", ""
        )
        countries = np.array(wi.countries, dtype=object)
        src_country = pc.fill_null(txns.column("src_country"), pa.array(countries[si], pa.string()))
        dst_country = pc.fill_null(txns.column("dst_country"), pa.array(countries[di], pa.string()))
        funds = {c: CHANNEL_FUNDS.get(c, ("O", "O")) for c in chan_names}
        from_funds = pa.array([funds[c][0] for c in chan_names]).take(chan.indices)
        to_funds = pa.array([funds[c][1] for c in chan_names]).take(chan.indices)

        # the two sides of each report: which block, and whether it is the reporter's client
        s_acc, d_acc, ci, co = src[rows], dst[rows], cash_in[rows], cash_out[rows]
        s_inst, d_inst = si[rows], di[rows]
        own_src = ~ci & (s_inst == rep)
        walk_in = ~ci & ~own_src & (d_inst != rep)  # the reporter's customer is the sender
        from_mine = own_src | walk_in
        from_party = ci | walk_in
        from_key = np.where(
            from_party, -4 * wi.acc_party[s_acc] - from_mine - 1, 4 * s_acc + from_mine
        )
        to_mine = ~co & (d_inst == rep)
        to_key = np.where(co, -4 * wi.acc_party[d_acc] - 3, 4 * d_acc + 2 + to_mine)
        keys, inverse = np.unique(np.concatenate([from_key, to_key]), return_inverse=True)
        blocks = pa.array([self._block(k) for k in keys.tolist()], pa.string())
        from_inv, to_inv = inverse[: len(rows)], inverse[len(rows) :]
        conductors, c_inv = np.unique(cond[rows], return_inverse=True)
        c_blocks = pa.array(
            [self._conductor(k) if k >= 0 else "" for k in conductors.tolist()], pa.string()
        )
        from_wrap = pa.array(["t_from", "t_from_my_client"]).take(pa.array(from_mine.astype(int)))
        to_wrap = pa.array(["t_to", "t_to_my_client"]).take(pa.array(to_mine.astype(int)))

        chunk = self.chunk_reports
        for a in range(0, len(rows), chunk):
            b = min(a + chunk, len(rows))
            r = pa.array(rows[a:b])
            ref = pc.binary_join_element_wise(
                prefixes.take(pa.array(group[a:b])),
                pc.utf8_lpad(pc.cast(pa.array(seq[a:b]), pa.string()), 7, "0"),
                "",
            )
            fw, tw = from_wrap[a:b], to_wrap[a:b]
            text = pc.binary_join_element_wise(
                head1.take(r),
                ref,
                head2.take(r),
                f"{p2}<",
                fw,
                f">{nl}{p3}<from_funds_code>",
                from_funds.take(r),
                f"</from_funds_code>{nl}",
                c_blocks.take(pa.array(c_inv[a:b])),
                blocks.take(pa.array(from_inv[a:b])),
                f"{p3}<from_country>",
                src_country.take(r),
                f"</from_country>{nl}{p2}</",
                fw,
                f">{nl}{p2}<",
                tw,
                f">{nl}{p3}<to_funds_code>",
                to_funds.take(r),
                f"</to_funds_code>{nl}",
                blocks.take(pa.array(to_inv[a:b])),
                f"{p3}<to_country>",
                dst_country.take(r),
                f"</to_country>{nl}{p2}</",
                tw,
                f">{nl}",
                tail.take(r),
                "",
            )
            if isinstance(text, pa.ChunkedArray):
                text = text.combine_chunks()
            offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[
                text.offset : text.offset + len(text) + 1
            ]
            data = memoryview(text.buffers()[2])
            for g in np.unique(group[a:b]).tolist():
                lo, hi = max(starts[g], a) - a, min(ends[g], b) - a
                f = files[g]
                f.xf.flush()  # anything lxml holds goes out before the raw block
                f.fh.write(data[offsets[lo] : offsets[hi]])
        self.reports_written += len(rows)
        self.transactions += n
        if len(self._blocks) > self.cache_size:
            self._blocks.clear()

    def _describe(self, channel: str) -> str:
        entry = self.mapping["transmode_code"][self.transmode[channel]]
        return str(entry.get("description") or channel)

    # -- reporters and files ----------------------------------------------------------------
    def _reporter_index(self, code: str | None) -> int:
        if code is None:
            return -1
        assert self._wi is not None
        k = self._wi.code_index.get(code)
        if k is not None:
            return k
        if code not in self._extra_codes:
            self._extra_codes.append(code)
        return len(self._wi.codes) + self._extra_codes.index(code)

    def _code(self, r: int) -> str:
        assert self._wi is not None
        n = len(self._wi.codes)
        return self._wi.codes[r] if r < n else self._extra_codes[r - n]

    def _file(self, r: int, key: tuple[str, str, str]) -> _ReportFile:
        code, month, rcode = key
        part = self._parts.get(key, 0) + 1
        self._parts[key] = part
        suffix = "" if part == 1 else f"-part{part}"
        path = self.out_dir / code / f"{month}-{rcode}{suffix}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        stack = ExitStack()
        fh = stack.enter_context(open(path, "wb"))  # noqa: SIM115 - closed by the stack
        xf = stack.enter_context(etree.xmlfile(fh, encoding="utf-8"))
        xf.write_declaration()
        stack.enter_context(xf.element("report"))
        xf.write(self._nl)
        label = (
            "Cash transaction report: cash deposits and withdrawals"
            if rcode == "CTR"
            else "Electronic funds transfer report: funds transfers"
        )
        for el in self._header(
            r,
            rcode,
            f"{code}-{rcode}-{month.replace('-', '')}{suffix}",
            _submission_date(month),
            f"{label} of {month}.",
            "Reported as required; no action taken by the reporting entity.",
        ):
            _write_el(xf, el, self.indent)
        if not self.indent:
            xf.write("\n")  # one transaction per line
        f = _ReportFile(path, code, month, rcode, stack, fh, xf)
        self._open[key] = f
        return f

    def _finish(self, key: tuple[str, str, str]) -> None:
        f = self._open.pop(key)
        ind = etree.Element("report_indicators")
        etree.SubElement(ind, "indicator").text = f"RT-{f.report_code}"
        _write_el(f.xf, ind, self.indent)
        f.stack.close()
        self.files.append(
            {
                "path": f.path.relative_to(self.out_dir).as_posix(),
                "reporter": f.reporter,
                "month": f.month,
                "report_code": f.report_code,
                "transactions": f.count,
            }
        )

    def _close_before(self, month: str) -> None:
        for key in [k for k in self._open if k[1] < month]:
            self._finish(key)

    def close(self) -> list[Path]:
        """Finish every open report, write the activity reports and ``manifest.json``.

        Returns the paths of the files written (reports and manifest)."""
        if self._closed:
            return [self.out_dir / f["path"] for f in self.files]
        self._closed = True
        for key in sorted(self._open):
            self._finish(key)
        if self.activity_report and self._wi is not None:
            self._write_activity_reports()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        wi = self._wi
        entities = {}
        if wi is not None:
            for r, code in enumerate(wi.codes + self._extra_codes):
                if any(f["reporter"] == code for f in self.files):
                    entities[code] = {
                        "rentity_id": self._rentity_id(r),
                        "name": wi.names[r] if r < len(wi.names) else code,
                    }
        self.files.sort(key=lambda f: f["path"])
        manifest = {
            "format": "goAML XML",
            "mapping": {"fiu": self.mapping.get("fiu"), "version": self.mapping.get("version")},
            "currency_code_local": CURRENCY_LOCAL,
            "transactions": self.transactions,
            "transaction_reports_written": self.reports_written,
            "reporting_entities": entities,
            "files": self.files,
        }
        path = self.out_dir / "manifest.json"
        path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return [self.out_dir / f["path"] for f in self.files] + [path]

    # -- report header ----------------------------------------------------------------------
    def _rentity_id(self, r: int) -> int:
        return 1001 + r if self._wi is None or r < len(self._wi.codes) else 9001 + r

    def _header(
        self, r: int, rcode: str, reference: str, submitted: str, reason: str, action: str
    ) -> list[etree._Element]:
        assert self._wi is not None
        code = self._code(r)
        out = []
        for tag, text in (
            ("rentity_id", str(self._rentity_id(r))),
            ("rentity_branch", "Head office"),
            ("submission_code", "E"),
            ("report_code", rcode),
            ("entity_reference", reference),
            ("submission_date", submitted),
            ("currency_code_local", CURRENCY_LOCAL),
        ):
            el = etree.Element(tag)
            el.text = text
            out.append(el)
        rp = etree.Element("reporting_person")
        SE = etree.SubElement
        SE(rp, "first_name").text = _OFFICER_FIRST[r % len(_OFFICER_FIRST)]
        SE(rp, "last_name").text = _OFFICER_LAST[(r * 3) % len(_OFFICER_LAST)]
        phone = SE(SE(rp, "phones"), "phone")
        SE(phone, "tph_contact_type").text = "B"
        SE(phone, "tph_communication_type").text = "L"
        SE(phone, "tph_number").text = f"+1 555 01{r % 100:02d}"
        SE(rp, "email").text = f"compliance@{code.lower()}.example"
        SE(rp, "occupation").text = "Compliance officer (MLRO)"
        out.append(rp)
        loc = etree.Element("location")
        country = self._wi.countries[r] if r < len(self._wi.countries) else "US"
        cities = country_reference()["countries"].get(country, {}).get("cities") or ["Capital"]
        SE(loc, "address_type").text = "B"
        SE(loc, "address").text = f"{100 + 10 * r} Main Street"
        SE(loc, "city").text = cities[r % len(cities)]
        SE(loc, "country_code").text = country
        out.append(loc)
        for tag, text in (("reason", reason), ("action", action)):
            el = etree.Element(tag)
            el.text = text
            out.append(el)
        return out

    # -- blocks: built with lxml once per (account or party, side, detail), kept serialised
    def _block(self, key: int) -> str:
        """Block of a report side: ``key`` >= 0 an account (4 * account + variant), < 0 a party
        (-4 * party - variant - 1); variant bit 0: full KYC (my client), bit 1: to side."""
        if key >= 0:
            acc, variant = divmod(key, 4)
            return self._account_block(acc, variant)
        party, variant = divmod(-key - 1, 4)
        return self._party_block(party, variant)

    def _serialise(self, el: etree._Element) -> str:
        if self.indent:
            etree.indent(el, space="  ", level=3)
        return self._pad[3] + etree.tostring(el, encoding="unicode") + self._nl

    def _account_block(self, acc: int, variant: int) -> str:
        """``variant``: bit 0 full KYC (my client), bit 1 the to side."""
        key = 4 * acc + variant
        s = self._blocks.get(key)
        if s is None:
            tag = "to_account" if variant & 2 else "from_account"
            s = self._serialise(self._build_account(etree.Element(tag), acc, bool(variant & 1)))
            self._blocks[key] = s
        return s

    def _party_block(self, party: int, variant: int) -> str:
        key = -4 * party - variant - 1
        s = self._blocks.get(key)
        if s is None:
            assert self._wi is not None
            p = self._wi.world.parties[party]
            prefix, full = ("to" if variant & 2 else "from"), bool(variant & 1)
            if p["party_type"] == "person":
                el = _person(etree.Element(f"{prefix}_person"), p, full, self._wi.world.home)
            else:
                el = _entity(etree.Element(f"{prefix}_entity"), p, full)
            s = self._blocks[key] = self._serialise(el)
        return s

    def _conductor(self, party: int) -> str:
        s = self._conductors.get(party)
        if s is None:
            assert self._wi is not None
            p = self._wi.world.parties[party]
            s = ""
            if p["party_type"] == "person":  # a conductor is a natural person
                s = self._serialise(
                    _person(etree.Element("t_conductor"), p, True, self._wi.world.home)
                )
            self._conductors[party] = s
        return s

    def _build_account(self, el: etree._Element, acc: int, full: bool) -> etree._Element:
        wi = self._wi
        assert wi is not None
        SE = etree.SubElement
        inst = wi.acc_inst_l[acc]
        SE(el, "institution_name").text = wi.names[inst]
        SE(el, "institution_code").text = wi.codes[inst]
        SE(el, "account").text = wi.acc_number[acc]
        SE(el, "currency_code").text = _currency(wi.countries[inst])
        p = wi.world.parties[wi.acc_party_l[acc]]
        if p["party_type"] == "person":
            sig = SE(el, "signatory")
            SE(sig, "is_primary").text = "true"
            _person(SE(sig, "t_person"), p, full, wi.world.home)
        else:
            _entity(SE(el, "t_entity"), p, full)
        if full:
            opened = _iso_date(wi.world.acc_opened[acc])
            if opened:
                SE(el, "opened").text = opened
            SE(el, "status_code").text = "A"
        return el

    # -- activity report --------------------------------------------------------------------
    def _track(
        self,
        wi: _WorldIndex,
        dst: np.ndarray,
        di: np.ndarray,
        cash_in: np.ndarray,
        amounts: np.ndarray,
        cond: np.ndarray,
        month_names: list[str],
        month_idx: np.ndarray,
    ) -> None:
        """Collect the accounts an activity report may name (cash deposits only)."""
        lo, hi = NEAR_THRESHOLD
        near = cash_in & (amounts >= lo) & (amounts < hi) & wi.reporting[di]
        third = cash_in & (cond >= 0) & (cond != wi.acc_party[dst]) & wi.reporting[di]
        for i in np.flatnonzero(near | third).tolist():
            month = month_names[month_idx[i]]
            fl = self._flags.setdefault((int(di[i]), int(dst[i])), _Flags(first=month))
            fl.near += bool(near[i])
            fl.third += bool(third[i])
            fl.amount += float(amounts[i])
            fl.first, fl.last = min(fl.first, month), max(fl.last, month)
            if third[i]:
                fl.conductors[int(cond[i])] += 1

    def _write_activity_reports(self) -> None:
        wi = self._wi
        assert wi is not None
        by_reporter: dict[int, list[tuple[int, _Flags]]] = defaultdict(list)
        for (r, acc), fl in self._flags.items():
            if fl.third or fl.near >= NEAR_THRESHOLD_MIN_COUNT:
                by_reporter[r].append((acc, fl))
        lo, hi = NEAR_THRESHOLD
        for r in sorted(by_reporter):
            # third-party deposits first (the stronger signal), then near-threshold counts
            ranked = sorted(
                by_reporter[r], key=lambda x: (-x[1].third, -x[1].near, -x[1].amount, x[0])
            )
            chosen = ranked[:ACTIVITY_MAX_PARTIES]
            last = max(fl.last for _, fl in chosen)
            code = wi.codes[r]
            act = etree.Element("activity")
            parties = etree.SubElement(act, "report_parties")
            indicators = set()
            conductors: Counter = Counter()
            for acc, fl in chosen:
                why = []
                if fl.near:
                    why.append(
                        f"{fl.near} cash deposit(s) between {lo:,.0f} and {hi:,.0f} "
                        f"{CURRENCY_LOCAL}"
                    )
                    indicators.add("SAR-STRUCT")
                if fl.third:
                    why.append(f"{fl.third} cash deposit(s) made by a third party")
                    indicators.add("SAR-3RDPARTY")
                    conductors.update(fl.conductors)
                rp = etree.SubElement(parties, "report_party")
                rp.append(self._build_account(etree.Element("account"), acc, True))
                etree.SubElement(rp, "significance").text = str(min(10, 3 + fl.near + 2 * fl.third))
                etree.SubElement(rp, "reason").text = "; ".join(why) + (
                    f" ({fl.first} to {fl.last})."
                )
            for party, count in sorted(conductors.items(), key=lambda x: (-x[1], x[0]))[
                :ACTIVITY_MAX_PARTIES
            ]:
                p = wi.world.parties[party]
                if p["party_type"] != "person":
                    continue
                rp = etree.SubElement(parties, "report_party")
                _person(etree.SubElement(rp, "person"), p, True, wi.world.home)
                etree.SubElement(rp, "significance").text = str(min(10, 5 + count))
                etree.SubElement(
                    rp, "reason"
                ).text = f"Deposited cash {count} time(s) into accounts of other customers."
            ind = etree.Element("report_indicators")
            for code_ind in sorted(indicators):
                etree.SubElement(ind, "indicator").text = code_ind
            path = self.out_dir / code / "activity-SAR.xml"
            path.parent.mkdir(parents=True, exist_ok=True)
            with etree.xmlfile(str(path), encoding="utf-8") as xf:
                xf.write_declaration()
                with xf.element("report"):
                    xf.write(self._nl)
                    for el in [
                        *self._header(
                            r,
                            "SAR",
                            f"{code}-SAR-{last.replace('-', '')}",
                            _submission_date(last),
                            "Cash deposits into the accounts below follow a pattern the "
                            "reporting entity considers unusual for the customers' profile.",
                            "Accounts under enhanced monitoring; relationships maintained "
                            "pending FIU feedback.",
                        ),
                        act,
                        ind,
                    ]:
                        _write_el(xf, el, self.indent)
            self.files.append(
                {
                    "path": path.relative_to(self.out_dir).as_posix(),
                    "reporter": code,
                    "month": last,
                    "report_code": "SAR",
                    "transactions": 0,
                    "parties": len(parties),
                }
            )


def _write_el(xf: Any, el: etree._Element, indent: bool) -> None:
    """Write ``el`` as a child of the root through lxml's incremental writer."""
    if indent:
        etree.indent(el, space="  ", level=1)
        xf.write("  ")
    xf.write(el)
    if indent:
        xf.write("\n")


def _submission_date(month: str) -> str:
    """Reports of a month are filed on the 15th of the next month."""
    y, m = (int(x) for x in month.split("-"))
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return f"{y:04d}-{m:02d}-15T10:00:00"


_BUSINESS = {
    "company": "Trading company",
    "cash_business": "Cash-intensive retail business",
    "npo": "Non-profit organisation",
    "msb": "Money service business",
    "hawala": "Informal value transfer",
    "exchange_house": "Exchange house",
    "employer": "Employer",
    "merchant": "Retail merchant",
    "utility": "Utility provider",
    "landlord": "Property rental",
}


def _address(parent: etree._Element, address: str | None, country: str, kind: str) -> None:
    if not address:
        return
    parts = [p.strip() for p in str(address).split(",")]
    cc = parts[-1] if len(parts) >= 2 and len(parts[-1]) == 2 and parts[-1].isupper() else country
    city = parts[-2] if len(parts) >= 3 else None
    SE = etree.SubElement
    a = SE(SE(parent, "addresses"), "address")
    SE(a, "address_type").text = kind
    SE(a, "address").text = parts[0]
    if city:
        SE(a, "city").text = city
    SE(a, "country_code").text = cc


def _phone(parent: etree._Element, phone: str | None, contact: str) -> None:
    if not phone:
        return
    SE = etree.SubElement
    ph = SE(SE(parent, "phones"), "phone")
    SE(ph, "tph_contact_type").text = contact
    SE(ph, "tph_communication_type").text = "M" if contact == "P" else "L"
    SE(ph, "tph_number").text = str(phone)


def _person(el: etree._Element, p: dict[str, Any], full: bool, home: str) -> etree._Element:
    """Fill a goAML person (``t_person``, or ``t_person_my_client`` when ``full``)."""
    SE = etree.SubElement
    first, last = _split_name(p["name"])
    SE(el, "first_name").text = first
    SE(el, "last_name").text = last
    if not full:
        return el
    birth = _iso_date(p.get("birth_date"))
    if birth:
        SE(el, "birthdate").text = birth
    doc, nat = p.get("id_document"), p.get("nationality") or p.get("country")
    if doc:
        if nat and nat != home:
            SE(el, "passport_number").text = str(doc)
            SE(el, "passport_country").text = nat
        else:
            SE(el, "id_number").text = str(doc)
    if nat:
        SE(el, "nationality1").text = nat
    if p.get("country"):
        SE(el, "residence").text = p["country"]
    _phone(el, p.get("phone"), "P")
    _address(el, p.get("address"), p.get("country") or home, "H")
    return el


def _entity(el: etree._Element, p: dict[str, Any], full: bool) -> etree._Element:
    """Fill a goAML entity (``t_entity``, or ``t_entity_my_client`` when ``full``)."""
    SE = etree.SubElement
    SE(el, "name").text = str(p["name"])
    if not full:
        return el
    if p.get("id_document"):
        SE(el, "incorporation_number").text = str(p["id_document"])
    SE(el, "business").text = _BUSINESS.get(p.get("entity_kind") or "", "Business")
    _phone(el, p.get("phone"), "B")
    _address(el, p.get("address"), p.get("country") or "", "B")
    if p.get("country"):
        SE(el, "incorporation_country_code").text = p["country"]
    return el


# -- CSV ------------------------------------------------------------------------------------


class CsvWriter:
    """Sink appending canonical transactions to one CSV file (gzip if the path ends in .gz).

    Columns are those of the window table, with ``src_account_key``/``dst_account_key``
    replaced in place by ``src_account``/``dst_account`` (the public ``INST/number`` ids);
    timestamps are ISO 8601 UTC (``2025-01-01T00:09:16.858895Z``); UTF-8 with one header.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.rows = 0
        self._stream: Any = None
        self._writer: pacsv.CSVWriter | None = None
        self._world: World | None = None
        self._id_by_key: np.ndarray | None = None
        self._closed = False

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ids(self, world: World) -> np.ndarray:
        if self._world is not world or self._id_by_key is None:
            if world.account_key is None or world.account_id is None:
                raise ConfigError("the world is not finalised: accounts have no public ids yet")
            keys = np.asarray(world.account_key, dtype=np.int64)
            ids = np.full(int(keys.max()) + 1 if len(keys) else 1, None, dtype=object)
            ids[keys] = np.asarray(world.account_id).astype(object)
            self._world, self._id_by_key = world, ids
        return self._id_by_key

    def convert(self, world: World, txns: pa.Table) -> pa.Table:
        """The window as it is written: account ids instead of keys, ISO timestamps."""
        ids = self._ids(world)
        cols, names = [], []
        for name in txns.column_names:
            col = txns.column(name)
            if name in ("src_account_key", "dst_account_key"):
                k = np.asarray(col.to_numpy(), dtype=np.int64)
                if len(k) and (k.min() < 0 or k.max() >= len(ids)):
                    raise ConfigError(f"{name}: account keys not in the world")
                col = pa.array(ids[k], pa.string())
                name = name.removesuffix("_key")
            elif pa.types.is_timestamp(col.type):
                col = pc.binary_join_element_wise(_iso(col, "us"), "Z", "")
            cols.append(col)
            names.append(name)
        return pa.table(cols, names=names)

    def __call__(self, world: World, txns: pa.Table) -> None:
        if self._closed:
            raise ConfigError("CsvWriter is closed")
        table = self.convert(world, txns)
        if self._writer is None:
            self._start(table.schema)
        elif table.schema != self._writer_schema:
            table = table.cast(self._writer_schema)
        assert self._writer is not None
        self._writer.write_table(table)
        self.rows += table.num_rows

    def _start(self, schema_: pa.Schema) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.suffix == ".gz":  # zlib level 6: Arrow's gzip stream is ~4x slower
            self._stream = gzip.open(self.path, "wb", compresslevel=6)  # noqa: SIM115
        else:
            self._stream = pa.OSFile(str(self.path), "wb")
        self._writer_schema = schema_
        self._writer = pacsv.CSVWriter(self._stream, schema_)

    def close(self) -> Path:
        """Finish the file (a header-only file if no window came) and return its path."""
        if not self._closed:
            self._closed = True
            if self._writer is None:
                names = [
                    n.removesuffix("_key") if n in ("src_account_key", "dst_account_key") else n
                    for n in schema.TRANSACTIONS.names
                    if n != "batch_id"
                ]
                self._start(pa.schema([pa.field(n, pa.string()) for n in names]))
            assert self._writer is not None
            self._writer.close()
            self._stream.close()
        return self.path


# -- convenience ----------------------------------------------------------------------------

FORMATS = ("goaml", "csv", "csv.gz")


def export_sinks(
    out_dir: str | Path,
    formats: Iterable[str],
) -> tuple[list[Sink], Callable[[], dict[str, list[str]]]]:
    """Sinks for :func:`~fiu_analytics.synth.generate` and a function that closes them.

    ``formats``: ``goaml`` (reports under ``<out_dir>/goaml/``), ``csv``
    (``<out_dir>/transactions.csv``) or ``csv.gz`` (``<out_dir>/transactions.csv.gz``).
    The close function returns the files written, by format.
    """
    out = Path(out_dir)
    writers: dict[str, GoamlWriter | CsvWriter] = {}
    for fmt in formats:
        key = fmt.lower().strip()
        if key not in FORMATS:
            raise ConfigError(f"unknown export format {fmt!r}; expected one of {list(FORMATS)}")
        if key in writers:
            continue
        writers[key] = (
            GoamlWriter(out / "goaml") if key == "goaml" else CsvWriter(out / f"transactions.{key}")
        )

    def close() -> dict[str, list[str]]:
        files: dict[str, list[str]] = {}
        for key, w in writers.items():
            res = w.close()
            files[key] = [str(p) for p in (res if isinstance(res, list) else [res])]
        return files

    return list(writers.values()), close
