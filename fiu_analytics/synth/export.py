"""Real-format exports of a synthetic world: goAML XML reports and a flat CSV.

Both writers are *sinks* for :func:`fiu_analytics.synth.generate`: each is called as
``sink(world, txns)`` with one time window of canonical transactions and keeps nothing but
open file handles and small per-account caches, so memory stays flat however large the world.
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
transaction no reporting institution sees is written under its ``reporter_id`` so that every
stored transaction appears in at least one report.

The reporter's own side is ``t_from_my_client``/``t_to_my_client`` with full KYC (account with
owner, birth date, identity document, nationality, phone, address, opening date); the other side
is ``t_from``/``t_to`` with names only. Cash comes from or goes to a person or entity
(``from_person``/``to_entity`` ...) with funds code cash; ``t_conductor`` is written whenever
the transaction has a conductor. Codes (``transmode_code``, funds codes) come from the per-FIU
mapping file ``fiu_analytics/data/goaml_default_mapping.yaml``, which an ingest reads back.
Times are UTC, truncated to the second; ``amount_local`` is in USD.
"""

from __future__ import annotations

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
    "hawala": ("K", "H"),
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
_OFFICER_LAST = ["Whitfield", "Okonkwo", "Lindqvist", "Moreau", "Castellano", "Brennan",
                 "Ishikawa", "Novak"]

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
        raise ConfigError(f"goAML mapping {source}: expected keys 'transmode_code' and "
                          f"'funds_code'")
    for code, entry in data["transmode_code"].items():
        if entry.get("channel") not in schema.CHANNELS:
            raise ConfigError(f"goAML mapping {source}: transmode_code {code!r} maps to "
                              f"{entry.get('channel')!r}, not one of {list(schema.CHANNELS)}")
    for code, entry in data["funds_code"].items():
        for side in ("from_channel", "to_channel"):
            if entry.get(side) is not None and entry[side] not in schema.CHANNELS:
                raise ConfigError(f"goAML mapping {source}: funds_code {code!r} {side} "
                                  f"{entry[side]!r} is not one of {list(schema.CHANNELS)}")


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
            raise ConfigError(f"{column}: account keys not in the world, e.g. "
                              f"{k[bad | (idx < 0)][:5].tolist()}")
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
    """One open goAML transaction report."""

    path: Path
    reporter: str
    month: str
    report_code: str
    stack: ExitStack
    xf: Any
    count: int = 0

    def next_ref(self) -> str:
        self.count += 1
        return f"{self.reporter}-{self.month.replace('-', '')}-{self.count:07d}"


@dataclass
class _Flags:
    near: int = 0
    third: int = 0
    amount: float = 0.0
    first: str = ""
    last: str = ""
    conductors: Counter = field(default_factory=Counter)


class GoamlWriter:
    """Sink writing goAML XML transaction reports, one per reporter, month and report code.

    See the module documentation for the file layout and who reports what. ``mapping`` is a
    mapping file path or a loaded mapping (default: the packaged one); ``activity_report``
    adds one goAML activity report (SAR, parties only) per reporter that saw repeated cash
    deposits just under the CTR threshold or cash deposited by a third party.
    """

    def __init__(self, out_dir: str | Path, mapping: str | Path | dict[str, Any] | None = None,
                 pretty_print: bool = True, activity_report: bool = True,
                 cache_size: int = 200_000) -> None:
        self.out_dir = Path(out_dir)
        self.mapping = mapping if isinstance(mapping, dict) else load_mapping(mapping)
        _check_mapping(self.mapping, "mapping")
        self.pretty_print = pretty_print
        self.activity_report = activity_report
        self.cache_size = cache_size
        self.transmode = {e["channel"]: code for code, e in
                          reversed(list(self.mapping["transmode_code"].items()))}
        missing = [c for c in schema.CHANNELS if c not in self.transmode]
        if missing:
            raise ConfigError(f"goAML mapping has no transmode_code for channels {missing}")
        unknown = {f for pair in CHANNEL_FUNDS.values() for f in pair} - set(
            self.mapping["funds_code"])
        if unknown:
            raise ConfigError(f"goAML mapping has no funds_code {sorted(unknown)}")
        self.files: list[dict[str, Any]] = []
        self.transactions = 0
        self.reports_written = 0
        self._open: dict[tuple[str, str, str], _ReportFile] = {}
        self._parts: dict[tuple[str, str, str], int] = {}
        self._wi: _WorldIndex | None = None
        self._cache: dict[tuple[Any, ...], etree._Element] = {}
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
            self._cache.clear()
            self._extra_codes = []
        n = txns.num_rows
        if n == 0:
            return
        wi = self._wi
        src = wi.accounts(txns.column("src_account_key"), "src_account_key")
        dst = wi.accounts(txns.column("dst_account_key"), "dst_account_key")
        si, di = wi.acc_inst[src], wi.acc_inst[dst]
        channel = txns.column("channel").to_pylist()
        ch = np.asarray(channel, dtype=object)
        cash_in, cash_out = ch == CASH_IN, ch == CASH_OUT
        n_inst = len(wi.codes)
        given = np.array([self._reporter_index(c) for c in txns.column("reporter_id").to_pylist()],
                         dtype=np.int64)
        src_rep = wi.reporting[si] & ~cash_in
        dst_rep = wi.reporting[di] & ~cash_out & ~(src_rep & (si == di))
        extra = (given >= 0) & ~((src_rep & (given == si)) | (dst_rep & (given == di)))
        nobody = ~(src_rep | dst_rep | extra)
        given = np.where(nobody, np.where(cash_out, si, di), given)
        extra |= nobody

        ts = pc.cast(txns.column("timestamp"), pa.timestamp("s", tz="UTC"), safe=False)
        dates = pc.strftime(ts, format="%Y-%m-%dT%H:%M:%S").to_pylist()
        vdates = pc.strftime(ts, format="%Y-%m-%dT00:00:00").to_pylist()
        months = pc.strftime(ts, format="%Y-%m").to_pylist()
        self._close_before(min(months))
        amounts = txns.column("amount").to_pylist()
        cond_ids = txns.column("conductor_party_id").to_pylist()
        cond = np.array([-1 if c is None else wi.party_index.get(c, -1) for c in cond_ids],
                        dtype=np.int64)
        if self.activity_report:
            self._track(wi, dst, di, cash_in, np.asarray(amounts, dtype=float), cond, months)

        txn_id = txns.column("txn_id").to_pylist()
        city = txns.column("city").to_pylist()
        narrative = txns.column("narrative").to_pylist()
        src_country = txns.column("src_country").to_pylist()
        dst_country = txns.column("dst_country").to_pylist()
        comments = [_comments(m, mer, p) for m, mer, p in zip(
            txns.column("mcc").to_pylist(), txns.column("merchant").to_pylist(),
            txns.column("purpose_code").to_pylist(), strict=True)]
        src_l, dst_l, si_l, di_l = src.tolist(), dst.tolist(), si.tolist(), di.tolist()
        cond_l, given_l = cond.tolist(), given.tolist()
        src_rep_l, dst_rep_l, extra_l = src_rep.tolist(), dst_rep.tolist(), extra.tolist()
        transmode, report_code = self.transmode, report_code_for
        SE = etree.SubElement
        pretty = self.pretty_print
        for i in range(n):
            chan = channel[i]
            rcode = report_code(chan)
            month = months[i]
            txn = etree.Element("transaction")
            SE(txn, "transactionnumber").text = txn_id[i]
            irn = SE(txn, "internal_ref_number")
            if city[i] is not None:
                SE(txn, "transaction_location").text = city[i]
            if narrative[i] is not None:
                SE(txn, "transaction_description").text = narrative[i]
            SE(txn, "date_transaction").text = dates[i]
            SE(txn, "value_date").text = vdates[i]
            SE(txn, "transmode_code").text = transmode[chan]
            SE(txn, "amount_local").text = f"{amounts[i]:.2f}"
            comment = None
            if comments[i] is not None:
                comment = etree.Element("comments")
                comment.text = comments[i]
            reporters = []
            if src_rep_l[i]:
                reporters.append(si_l[i])
            if dst_rep_l[i]:
                reporters.append(di_l[i])
            if extra_l[i]:
                reporters.append(given_l[i])
            funds = CHANNEL_FUNDS.get(chan, ("O", "O"))
            for r in reporters:
                f = self._file(r, month, rcode, n_inst)
                irn.text = f.next_ref()
                detach: list[tuple[etree._Element, etree._Element]] = []
                from_w = self._from_side(r, chan, src_l[i], si_l[i], di_l[i], cond_l[i],
                                         funds[0], src_country[i], detach)
                to_w = self._to_side(r, chan, dst_l[i], di_l[i], funds[1], dst_country[i],
                                     detach)
                txn.append(from_w)
                txn.append(to_w)
                if comment is not None:
                    txn.append(comment)
                f.xf.write(txn, pretty_print=pretty)
                for parent, child in detach:
                    parent.remove(child)
                txn.remove(from_w)
                txn.remove(to_w)
                if comment is not None:
                    txn.remove(comment)
                self.reports_written += 1
        self.transactions += n
        if len(self._cache) > self.cache_size:
            self._cache.clear()

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

    def _file(self, r: int, month: str, rcode: str, n_inst: int) -> _ReportFile:
        code = self._code(r)
        key = (code, month, rcode)
        f = self._open.get(key)
        if f is not None:
            return f
        part = self._parts.get(key, 0) + 1
        self._parts[key] = part
        suffix = "" if part == 1 else f"-part{part}"
        path = self.out_dir / code / f"{month}-{rcode}{suffix}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        stack = ExitStack()
        xf = stack.enter_context(etree.xmlfile(str(path), encoding="utf-8"))
        xf.write_declaration()
        stack.enter_context(xf.element("report"))
        label = "Cash transaction report: cash deposits and withdrawals" if rcode == "CTR" \
            else "Electronic funds transfer report: funds transfers"
        for el in self._header(r, rcode, f"{code}-{rcode}-{month.replace('-', '')}{suffix}",
                               _submission_date(month), f"{label} of {month}.",
                               "Reported as required; no action taken by the reporting entity."):
            xf.write(el, pretty_print=self.pretty_print)
        f = _ReportFile(path, code, month, rcode, stack, xf)
        self._open[key] = f
        return f

    def _finish(self, key: tuple[str, str, str]) -> None:
        f = self._open.pop(key)
        ind = etree.Element("report_indicators")
        etree.SubElement(ind, "indicator").text = f"RT-{f.report_code}"
        f.xf.write(ind, pretty_print=self.pretty_print)
        f.stack.close()
        self.files.append({"path": str(f.path.relative_to(self.out_dir)), "reporter": f.reporter,
                           "month": f.month, "report_code": f.report_code,
                           "transactions": f.count})

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
                    entities[code] = {"rentity_id": self._rentity_id(r),
                                      "name": wi.names[r] if r < len(wi.names) else code}
        manifest = {
            "format": "goAML XML",
            "mapping": {"fiu": self.mapping.get("fiu"), "version": self.mapping.get("version")},
            "currency_code_local": CURRENCY_LOCAL,
            "transactions": self.transactions,
            "transaction_reports_written": self.reports_written,
            "reporting_entities": entities,
            "files": sorted(self.files, key=lambda f: f["path"]),
        }
        path = self.out_dir / "manifest.json"
        path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return [self.out_dir / f["path"] for f in manifest["files"]] + [path]

    # -- report header ----------------------------------------------------------------------
    def _rentity_id(self, r: int) -> int:
        return 1001 + r if self._wi is None or r < len(self._wi.codes) else 9001 + r

    def _header(self, r: int, rcode: str, reference: str, submitted: str, reason: str,
                action: str) -> list[etree._Element]:
        assert self._wi is not None
        code = self._code(r)
        out = []
        for tag, text in (("rentity_id", str(self._rentity_id(r))),
                          ("rentity_branch", "Head office"), ("submission_code", "E"),
                          ("report_code", rcode), ("entity_reference", reference),
                          ("submission_date", submitted),
                          ("currency_code_local", CURRENCY_LOCAL)):
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

    # -- transaction sides ------------------------------------------------------------------
    def _from_side(self, r: int, chan: str, acc: int, si: int, di: int, cond: int, funds: str,
                   country: str | None, detach: list) -> etree._Element:
        wi = self._wi
        assert wi is not None
        if chan == CASH_IN:
            mine, block = False, self._party_block(int(wi.acc_party[acc]), "from", False)
        elif si == r:
            mine, block = True, self._account_block(acc, "from_account", True)
        elif r != di:  # the reporter holds neither account: its customer is the sender
            mine, block = True, self._party_block(int(wi.acc_party[acc]), "from", True)
        else:
            mine, block = False, self._account_block(acc, "from_account", False)
        w = etree.Element("t_from_my_client" if mine else "t_from")
        etree.SubElement(w, "from_funds_code").text = funds
        if cond >= 0:
            c = self._conductor(cond)
            if c is not None:
                w.append(c)
                detach.append((w, c))
        w.append(block)
        detach.append((w, block))
        etree.SubElement(w, "from_country").text = country or wi.countries[int(wi.acc_inst[acc])]
        return w

    def _to_side(self, r: int, chan: str, acc: int, di: int, funds: str, country: str | None,
                 detach: list) -> etree._Element:
        wi = self._wi
        assert wi is not None
        if chan == CASH_OUT:
            mine, block = False, self._party_block(int(wi.acc_party[acc]), "to", False)
        elif di == r:
            mine, block = True, self._account_block(acc, "to_account", True)
        else:
            mine, block = False, self._account_block(acc, "to_account", False)
        w = etree.Element("t_to_my_client" if mine else "t_to")
        etree.SubElement(w, "to_funds_code").text = funds
        w.append(block)
        detach.append((w, block))
        etree.SubElement(w, "to_country").text = country or wi.countries[int(wi.acc_inst[acc])]
        return w

    # cached blocks: built once per (account or party, tag, detail), re-attached per report
    def _account_block(self, acc: int, tag: str, full: bool) -> etree._Element:
        key = ("a", acc, tag, full)
        el = self._cache.get(key)
        if el is None:
            el = self._cache[key] = self._build_account(etree.Element(tag), acc, full)
        return el

    def _party_block(self, party: int, prefix: str, full: bool) -> etree._Element:
        key = ("p", party, prefix, full)
        el = self._cache.get(key)
        if el is None:
            assert self._wi is not None
            p = self._wi.world.parties[party]
            if p["party_type"] == "person":
                el = _person(etree.Element(f"{prefix}_person"), p, full, self._wi.world.home)
            else:
                el = _entity(etree.Element(f"{prefix}_entity"), p, full)
            self._cache[key] = el
        return el

    def _conductor(self, party: int) -> etree._Element | None:
        key = ("c", party)
        if key in self._cache:
            return self._cache[key]
        assert self._wi is not None
        p = self._wi.world.parties[party]
        el = None
        if p["party_type"] == "person":  # a conductor is a natural person
            el = _person(etree.Element("t_conductor"), p, True, self._wi.world.home)
        self._cache[key] = el  # type: ignore[assignment]
        return el

    def _build_account(self, el: etree._Element, acc: int, full: bool) -> etree._Element:
        wi = self._wi
        assert wi is not None
        SE = etree.SubElement
        inst = int(wi.acc_inst[acc])
        SE(el, "institution_name").text = wi.names[inst]
        SE(el, "institution_code").text = wi.codes[inst]
        SE(el, "account").text = wi.acc_number[acc]
        SE(el, "currency_code").text = _currency(wi.countries[inst])
        p = wi.world.parties[int(wi.acc_party[acc])]
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
    def _track(self, wi: _WorldIndex, dst: np.ndarray, di: np.ndarray, cash_in: np.ndarray,
               amounts: np.ndarray, cond: np.ndarray, months: list[str]) -> None:
        lo, hi = NEAR_THRESHOLD
        near = cash_in & (amounts >= lo) & (amounts < hi) & wi.reporting[di]
        third = cash_in & (cond >= 0) & (cond != wi.acc_party[dst]) & wi.reporting[di]
        for i in np.flatnonzero(near | third).tolist():
            fl = self._flags.setdefault((int(di[i]), int(dst[i])), _Flags(first=months[i]))
            fl.near += bool(near[i])
            fl.third += bool(third[i])
            fl.amount += float(amounts[i])
            fl.first, fl.last = min(fl.first, months[i]), max(fl.last, months[i])
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
            ranked = sorted(by_reporter[r], key=lambda x: (-(3 * x[1].third + x[1].near),
                                                           -x[1].amount, x[0]))
            chosen = ranked[:ACTIVITY_MAX_PARTIES]
            last = max(fl.last for _, fl in chosen)
            code = wi.codes[r]
            path = self.out_dir / code / "activity-SAR.xml"
            path.parent.mkdir(parents=True, exist_ok=True)
            indicators = set()
            conductors: Counter = Counter()
            with etree.xmlfile(str(path), encoding="utf-8") as xf:
                xf.write_declaration()
                with xf.element("report"):
                    for el in self._header(
                            r, "SAR", f"{code}-SAR-{last.replace('-', '')}",
                            _submission_date(last),
                            "Cash deposits into the accounts below follow a pattern the "
                            "reporting entity considers unusual for the customers' profile.",
                            "Accounts under enhanced monitoring; relationships maintained "
                            "pending FIU feedback."):
                        xf.write(el, pretty_print=self.pretty_print)
                    act = etree.Element("activity")
                    parties = etree.SubElement(act, "report_parties")
                    for acc, fl in chosen:
                        why = []
                        if fl.near:
                            why.append(f"{fl.near} cash deposit(s) between {lo:,.0f} and "
                                       f"{hi:,.0f} {CURRENCY_LOCAL}")
                            indicators.add("SAR-STRUCT")
                        if fl.third:
                            why.append(f"{fl.third} cash deposit(s) made by a third party")
                            indicators.add("SAR-3RDPARTY")
                            conductors.update(fl.conductors)
                        rp = etree.SubElement(parties, "report_party")
                        rp.append(self._build_account(etree.Element("account"), acc, True))
                        etree.SubElement(rp, "significance").text = str(
                            min(10, 3 + fl.near + 2 * fl.third))
                        etree.SubElement(rp, "reason").text = (
                            "; ".join(why) + f" ({fl.first} to {fl.last}).")
                    for party, count in sorted(conductors.items(),
                                               key=lambda x: (-x[1], x[0]))[:ACTIVITY_MAX_PARTIES]:
                        p = wi.world.parties[party]
                        if p["party_type"] != "person":
                            continue
                        rp = etree.SubElement(parties, "report_party")
                        _person(etree.SubElement(rp, "person"), p, True, wi.world.home)
                        etree.SubElement(rp, "significance").text = str(min(10, 5 + count))
                        etree.SubElement(rp, "reason").text = (
                            f"Deposited cash {count} time(s) into accounts of other customers.")
                    xf.write(act, pretty_print=self.pretty_print)
                    ind = etree.Element("report_indicators")
                    for code_ind in sorted(indicators):
                        etree.SubElement(ind, "indicator").text = code_ind
                    xf.write(ind, pretty_print=self.pretty_print)
            self.files.append({"path": str(path.relative_to(self.out_dir)), "reporter": code,
                               "month": last, "report_code": "SAR", "transactions": 0,
                               "parties": len(parties)})


def _submission_date(month: str) -> str:
    """Reports of a month are filed on the 15th of the next month."""
    y, m = (int(x) for x in month.split("-"))
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return f"{y:04d}-{m:02d}-15T10:00:00"


def _comments(mcc: str | None, merchant: str | None, purpose: str | None) -> str | None:
    parts = []
    if merchant is not None:
        parts.append(f"merchant={merchant}")
    if mcc is not None:
        parts.append(f"mcc={mcc}")
    if purpose is not None:
        parts.append(f"purpose_code={purpose}")
    return "; ".join(parts) if parts else None


_BUSINESS = {
    "company": "Trading company", "cash_business": "Cash-intensive retail business",
    "npo": "Non-profit organisation", "msb": "Money service business",
    "hawala": "Informal value transfer", "exchange_house": "Exchange house",
    "employer": "Employer", "merchant": "Retail merchant", "utility": "Utility provider",
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
                col = pc.strftime(pc.cast(col, pa.timestamp("us", tz="UTC")),
                                  format="%Y-%m-%dT%H:%M:%SZ")
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
        if self.path.suffix == ".gz":
            self._stream = pa.CompressedOutputStream(str(self.path), "gzip")
        else:
            self._stream = pa.OSFile(str(self.path), "wb")
        self._writer_schema = schema_
        self._writer = pacsv.CSVWriter(self._stream, schema_)

    def close(self) -> Path:
        """Finish the file (a header-only file if no window came) and return its path."""
        if not self._closed:
            self._closed = True
            if self._writer is None:
                names = [n.removesuffix("_key") if n in ("src_account_key", "dst_account_key")
                         else n for n in schema.TRANSACTIONS.names if n != "batch_id"]
                self._start(pa.schema([pa.field(n, pa.string()) for n in names]))
            assert self._writer is not None
            self._writer.close()
            self._stream.close()
        return self.path


# -- convenience ----------------------------------------------------------------------------

FORMATS = ("goaml", "csv", "csv.gz")


def export_sinks(out_dir: str | Path, formats: Iterable[str],
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
        writers[key] = (GoamlWriter(out / "goaml") if key == "goaml"
                        else CsvWriter(out / f"transactions.{key}"))

    def close() -> dict[str, list[str]]:
        files: dict[str, list[str]] = {}
        for key, w in writers.items():
            res = w.close()
            files[key] = [str(p) for p in (res if isinstance(res, list) else [res])]
        return files

    return list(writers.values()), close
