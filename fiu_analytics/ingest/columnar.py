"""The columnar back end of ingest: a :class:`TxnChunk` in, rows of the canonical tables out.

Validation, FX conversion, duplicate removal and the building of the stored rows are array
operations over the chunk; Python runs once per *distinct* account side (entity resolution),
once per row only for the rows that need judgement (a fingerprint already seen, a conductor,
a rejected row's message). The rules are those of the record-at-a-time pipeline before it:

1. rejected, in this order: no date, amount not a non-negative number, currency not three
   letters, channel not canonical, no side naming an account or a party;
2. cash deposits and withdrawals are self-loops on the account; a walk-in depositor who is
   not the account holder becomes the conductor;
3. quarantined when the FX table has no rate for the currency on that day;
4. a duplicate when the same reporter already reported the same transaction number (in the
   store or earlier in the file);
5. linked (a duplicate too) when a *different* reporter already reported a transaction with
   the same fingerprint that this reporter has not reported yet: the other side of a wire;
6. otherwise stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fiu_analytics import schema
from fiu_analytics.ingest.chunks import as_arrow
from fiu_analytics.ingest.dedup import DedupIndex, fingerprints
from fiu_analytics.ingest.fx import FxTable
from fiu_analytics.ingest.records import AccountRecord, PartyRecord, TxnChunk
from fiu_analytics.ingest.resolve import Resolver

_CCY = re.compile(r"[A-Z]{3}")
_CTRY = re.compile(r"[A-Za-z]{2}")
_MCC = re.compile(r"\d{4}")
_CHANNELS = frozenset(schema.CHANNELS)
_KNOWN_MAX = 1 << 18
_TEXT = ("city", "merchant", "narrative", "purpose_code", "reporter_id", "report_id", "txn_ref")


def _upper_ccy(v: Any) -> str | None:
    up = str(v).upper()
    return up if _CCY.fullmatch(up) else None


def _country(v: Any) -> str | None:
    return v.upper() if isinstance(v, str) and _CTRY.fullmatch(v) else None


def _mcc(v: Any) -> str | None:
    return v if isinstance(v, str) and _MCC.fullmatch(v) else None


@dataclass
class ChunkResult:
    """What one chunk adds to the batch."""

    transactions: pa.Table | None
    reports: pa.Table | None
    quarantine: list[dict[str, Any]]
    stored_refs: dict[str, str]  # txn_ref -> txn_id, only for labelled chunks


class ChunkWriter:
    """Turns chunks into canonical rows, keeping the resolver and the dedup index current."""

    def __init__(self, resolver: Resolver, dedup: DedupIndex, fx: FxTable) -> None:
        self.res, self.dedup, self.fx = resolver, dedup, fx
        # account sides without an owner, by object: readers reuse the object of a side they
        # have seen, so after the first chunk resolving one is a dict hit, not a call
        self._known: dict[int, tuple[AccountRecord, int]] = {}

    def forget(self) -> None:
        """Drop cached resolutions (a batch rolled back: its keys are void)."""
        self._known.clear()

    def convert(self, c: TxnChunk, ordinal: int) -> tuple[ChunkResult, int, int, int]:
        """Rows of ``c`` for the store; also (stored, duplicates, linked) counts. ``ordinal``
        is the position of the chunk's first row in its file (ids of rows without a ref)."""
        n = len(c)
        src_file = c.source_file
        loc = as_arrow(c.locator, n)
        ts = np.asarray(c.timestamp, dtype="datetime64[us]")
        amount = np.asarray(c.amount, dtype=np.float64)
        text = {k: as_arrow(c.text.get(k), n) for k in (*_TEXT, "src_country", "dst_country")}
        text["mcc"] = as_arrow(c.text.get("mcc"), n)

        quarantine: list[dict[str, Any]] = []
        failed = np.zeros(n, dtype=bool)

        def reject(mask: np.ndarray, fld: str, value: Any, reason: Any) -> None:
            rows = np.flatnonzero(mask & ~failed)
            if not len(rows):
                return
            locs = loc.take(pa.array(rows)).to_pylist()
            for k, i in enumerate(rows.tolist()):
                v = None if value is None else value(i)
                if isinstance(v, float) and np.isnan(v):
                    v = None  # a missing amount, not the text 'nan'
                quarantine.append(
                    {
                        "source_file": src_file,
                        "locator": locs[k],
                        "field": fld,
                        "value": None if v is None else str(v),
                        "reason": reason(i) if callable(reason) else reason,
                    }
                )
            failed[rows] = True

        reject(
            np.isnat(ts), "timestamp", None, "missing date; expected an ISO 8601 date or datetime"
        )
        # a year such as -1 or 9999 parses, but no report describes it and pandas' nanosecond
        # timestamps (1677-2262) cannot hold every such value downstream
        implausible = ~np.isnat(ts) & ((ts < _EARLIEST) | (ts >= _LATEST))
        reject(
            implausible,
            "timestamp",
            lambda i: str(ts[i]),
            "date outside 1900-2099; expected the date the transaction happened",
        )
        with np.errstate(invalid="ignore"):
            bad_amount = ~np.isfinite(amount) | (amount < 0)
        reject(bad_amount, "amount", lambda i: amount[i], "expected a non-negative number")
        cur_codes, cur_raw = _dict(as_arrow(c.currency, n))
        cur_u = [_upper_ccy(v) for v in cur_raw] + [None]
        bad = np.array([v is None for v in cur_u], dtype=bool)[cur_codes]
        reject(
            bad,
            "currency",
            lambda i: cur_raw[cur_codes[i]] if cur_codes[i] < len(cur_raw) else None,
            "expected a three-letter ISO 4217 code",
        )
        ch_codes, ch_u = _dict(as_arrow(c.channel, n))
        ch_u = [*ch_u, None]
        bad = np.array([v not in _CHANNELS for v in ch_u], dtype=bool)[ch_codes]
        reject(
            bad, "channel", lambda i: ch_u[ch_codes[i]], f"expected one of {list(schema.CHANNELS)}"
        )
        is_dep = np.array([v == "cash_deposit" for v in ch_u], dtype=bool)[ch_codes]
        is_wd = np.array([v == "cash_withdrawal" for v in ch_u], dtype=bool)[ch_codes]

        # -- sides ------------------------------------------------------------------------
        accounts = c.accounts
        u = len(accounts)
        has_id = np.zeros(u + 1, dtype=bool)
        resolvable = np.zeros(u + 1, dtype=bool)
        keys_u = np.full(u + 1, -1, dtype=np.int64)
        known = self._known
        for k, a in enumerate(accounts):
            hit = known.get(id(a))
            if hit is not None and hit[0] is a:
                has_id[k] = resolvable[k] = True
                keys_u[k] = hit[1]
                continue
            has_id[k] = a.account_id is not None
            o = a.owner
            resolvable[k] = has_id[k] or (o is not None and bool(o.name or o.id_document))
        src_u = np.asarray(c.src, dtype=np.int64)
        dst_u = np.asarray(c.dst, dtype=np.int64)
        src_u = np.where(src_u < 0, u, src_u)
        dst_u = np.where(dst_u < 0, u, dst_u)
        deposit = is_dep & has_id[dst_u]
        withdrawal = ~deposit & is_wd & has_id[src_u]
        walk_in = (src_u < u) & ~has_id[src_u]  # depositor named without an account
        walk_out = (dst_u < u) & ~has_id[dst_u]
        src_rec = np.where(deposit, dst_u, src_u)
        dst_rec = np.where(withdrawal, src_u, dst_u)
        ok_src, ok_dst = resolvable[src_rec], resolvable[dst_rec]
        is_cash = is_dep | is_wd
        reject(~ok_src & ~ok_dst, "src/dst", None, "neither side names an account or a party")
        reject(~ok_src & ~is_cash, "src", None, "this side names no account and no party")
        reject(~ok_dst & ~is_cash, "dst", None, "this side names no account and no party")
        valid = ~failed

        # resolve each distinct side once, in the order the rows first use it
        order_pos: dict[int, int] = {}
        for side, recs in ((0, src_rec), (1, dst_rec)):
            rows = np.flatnonzero(valid & resolvable[recs] & (keys_u[recs] < 0))
            uniq, first = np.unique(recs[rows], return_index=True)
            for ui, fi in zip(uniq.tolist(), rows[first].tolist(), strict=True):
                pos = 2 * fi + side
                if pos < order_pos.get(ui, pos + 1):
                    order_pos[ui] = pos
        if order_pos:
            todo = sorted(order_pos.items(), key=lambda kv: kv[1])
            rows_needed = pa.array([pos // 2 for _, pos in todo])
            locs = loc.take(rows_needed).to_pylist()
            sc = text["src_country"].take(rows_needed).to_pylist()
            dc = text["dst_country"].take(rows_needed).to_pylist()
            for k, (ui, pos) in enumerate(todo):
                a = accounts[ui]
                key = self.res.account(a, dc[k] if pos % 2 else sc[k], src_file, locs[k])
                keys_u[ui] = -1 if key is None else key
                if key is not None and a.owner is None:
                    if len(known) >= _KNOWN_MAX:
                        known.clear()
                    known[id(a)] = (a, key)
        src_key = keys_u[src_rec]
        dst_key = keys_u[dst_rec]
        src_key = np.where(src_key < 0, dst_key, src_key)  # cash self-loop on the one side
        dst_key = np.where(dst_key < 0, src_key, dst_key)

        # conductors: reported ones, and walk-in cash parties who are not the holder
        conductor_id: np.ndarray | None = None
        need = valid & ((deposit & walk_in) | (withdrawal & walk_out))
        if c.conductor is not None:
            need |= valid & np.array([p is not None for p in c.conductor], dtype=bool)
        if c.extra_parties is not None:
            need |= valid & np.array([bool(p) for p in c.extra_parties], dtype=bool)
        if need.any():
            conductor_id = np.full(n, None, dtype=object)
            rows_need = np.flatnonzero(need)
            locs_need = loc.take(pa.array(rows_need)).to_pylist()
            # a party object that rows share (a reader's cache) is resolved once per chunk
            party_of: dict[int, str] = {}

            def party(p: PartyRecord, where: str) -> str:
                pid = party_of.get(id(p))
                if pid is None:
                    pid = party_of[id(p)] = self.res.party(p, None, src_file, where)
                return pid

            for k, i in enumerate(rows_need.tolist()):
                where = locs_need[k]
                cond = c.conductor[i] if c.conductor is not None else None
                if cond is None and (deposit[i] or withdrawal[i]):
                    cash = accounts[src_u[i]] if deposit[i] else accounts[dst_u[i]]
                    cash_party = cash.owner
                    holder = accounts[dst_rec[i]].owner
                    if cash_party is not None and not (
                        holder is not None and (holder.name or "") == (cash_party.name or "")
                    ):
                        cond = cash_party
                if cond is not None and (cond.name or cond.id_document):
                    conductor_id[i] = party(cond, where)
                for p in c.extra_parties[i] if c.extra_parties is not None else ():
                    if p.name or p.id_document:
                        party(p, where)

        # -- FX ---------------------------------------------------------------------------
        rows = np.flatnonzero(valid)
        day = ts[rows].astype("datetime64[D]").astype(np.int64)
        base, missing = self.fx.convert_codes(amount[rows], cur_codes[rows], cur_u, day)
        if missing.any():
            why: dict[tuple[str, int], str] = {}
            mask = np.zeros(n, dtype=bool)
            mask[rows[missing]] = True
            day_of = dict(zip(rows[missing].tolist(), day[missing].tolist(), strict=True))

            def reason(i: int) -> str:
                key = (cur_u[cur_codes[i]], day_of[i])
                if key not in why:
                    why[key] = self.fx.why_missing(key[0], np.datetime64(key[1], "D"))
                return why[key]

            reject(mask, "currency", lambda i: cur_u[cur_codes[i]], reason)
            keep = ~missing
            rows, day, base = rows[keep], day[keep], base[keep]
        currency = pa.array(cur_u, pa.string()).take(pa.array(cur_codes))
        channel = pa.array(ch_u, pa.string()).take(pa.array(ch_codes))
        ccy_packed = _packed(cur_u)[cur_codes]
        return self._dedup(
            c,
            rows,
            day,
            base,
            text,
            loc,
            currency,
            channel,
            ccy_packed,
            src_key,
            dst_key,
            conductor_id,
            ts,
            amount,
            ordinal,
            quarantine,
        )

    def _dedup(
        self,
        c: TxnChunk,
        rows: np.ndarray,
        day: np.ndarray,
        base: np.ndarray,
        text: dict[str, pa.Array],
        loc: pa.Array,
        currency: pa.Array,
        channel: pa.Array,
        ccy_packed: np.ndarray,
        src_key: np.ndarray,
        dst_key: np.ndarray,
        conductor_id: np.ndarray | None,
        ts: np.ndarray,
        amount: np.ndarray,
        ordinal: int,
        quarantine: list[dict[str, Any]],
    ) -> tuple[ChunkResult, int, int, int]:
        idx = self.dedup
        rep_arr = _rows(text["reporter_id"], rows)
        ref_arr = _rows(text["txn_ref"], rows)
        rep = idx.reporter_codes(rep_arr)
        has_ref = np.asarray(
            pc.fill_null(pc.not_equal(ref_arr, ""), False).to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        rkeys = idx.ref_keys(rep, ref_arr)
        seen = idx.refs.contains(rkeys)
        hr = np.flatnonzero(has_ref)
        seen[hr] |= pd.Series(rkeys[hr]).duplicated().to_numpy()
        dup = has_ref & seen
        n_dup_ref = int(dup.sum())
        live = ~dup
        idx.refs.add(rkeys[live & has_ref], rep[live & has_ref], None)

        sel = np.flatnonzero(live)
        r_all = rows[sel]
        fp = fingerprints(
            src_key[r_all], dst_key[r_all], day[sel], amount[r_all], ccy_packed[r_all]
        )
        cand = idx.fps.contains(fp) | pd.Series(fp).duplicated(keep=False).to_numpy()
        stored = np.ones(len(sel), dtype=bool)
        rep_sel = rep[sel]
        rep_s = _rows(rep_arr, sel)
        ref_s = _rows(ref_arr, sel)
        # the id of a new transaction: reporter-ref, or a content id without a ref
        ids = pc.binary_join_element_wise(
            pc.if_else(pc.fill_null(pc.equal(rep_s, ""), True), "NA", rep_s), ref_s, "-"
        )
        no_ref = ~has_ref[sel]
        patch: dict[int, str] = {}
        for j in np.flatnonzero(no_ref).tolist():
            patch[j] = f"FP{int(fp[j]) & 0xFFFFFFFFFFFF:012X}-{ordinal + int(r_all[j])}"
        cand_rows = np.flatnonzero(cand).tolist()
        if cand_rows:
            own = ids.take(pa.array(cand_rows)).to_pylist()
            stored_before = idx.fps.entries_many(fp[cand_rows])
            overlay: dict[int, dict[str, set[int]]] = {}
            for k, j in enumerate(cand_rows):
                f = int(fp[j])
                same = overlay.get(f)
                if same is None:
                    same = {}
                    for tid, r in stored_before.get(f, ()):
                        same.setdefault(tid, set()).add(r)
                    overlay[f] = same
                r = int(rep_sel[j])
                hit = next((tid for tid, reps in same.items() if r not in reps), None)
                if hit is not None:
                    same[hit].add(r)
                    patch[j] = hit
                    stored[j] = False
                else:
                    tid = patch.get(j, own[k])
                    same[tid] = {r}
        if patch:
            pos = np.array(sorted(patch), dtype=np.int64)
            mask = np.zeros(len(sel), dtype=bool)
            mask[pos] = True
            ids = pc.replace_with_mask(
                ids, pa.array(mask), pa.array([patch[j] for j in pos.tolist()], pa.string())
            )
        idx.fps.add(fp, rep_sel, ids)

        n_linked = int((~stored).sum())
        stored_arr = pa.array(stored)
        reports = pa.table(
            {
                "txn_id": ids,
                "reporter_id": rep_s,
                "report_id": _rows(text["report_id"], r_all),
                "txn_ref": ref_s,
                "source_file": pc.fill_null(pa.nulls(len(sel), pa.string()), c.source_file),
                "locator": _rows(loc, r_all),
                "fingerprint": pa.array(fp, pa.int64()),
                "linked_as": pc.if_else(stored_arr, "stored", "duplicate"),
            }
        )
        s_idx = np.flatnonzero(stored)
        srow = r_all[s_idx]
        tx = pa.table(
            {
                "txn_id": _rows(ids, s_idx),
                "timestamp": pa.array(ts[srow], schema.TS),
                "amount": pa.array(amount[srow], pa.float64()),
                "currency": _rows(currency, srow),
                "amount_base": pa.array(base[sel][s_idx], pa.float64()),
                "channel": _rows(channel, srow),
                "src_account_key": pa.array(src_key[srow], pa.int64()),
                "dst_account_key": pa.array(dst_key[srow], pa.int64()),
                "src_country": _codes(_rows(text["src_country"], srow), _country),
                "dst_country": _codes(_rows(text["dst_country"], srow), _country),
                "city": _rows(text["city"], srow),
                "mcc": _codes(_rows(text["mcc"], srow), _mcc),
                "merchant": _rows(text["merchant"], srow),
                "narrative": _rows(text["narrative"], srow),
                "purpose_code": _rows(text["purpose_code"], srow),
                "conductor_party_id": pa.nulls(len(srow), pa.string())
                if conductor_id is None
                else pa.array(conductor_id[srow].tolist(), pa.string()),
                "reporter_id": _rows(text["reporter_id"], srow),
                "report_id": _rows(text["report_id"], srow),
            }
        )
        stored_refs: dict[str, str] = {}
        if c.labelled:
            s_take = pa.array(s_idx)
            refs_s = ref_s.take(s_take).to_pylist()
            for ref, tid in zip(refs_s, ids.take(s_take).to_pylist(), strict=True):
                if ref:
                    stored_refs[ref] = tid
        result = ChunkResult(tx, reports, quarantine, stored_refs)
        return result, len(s_idx), n_dup_ref + n_linked, n_linked


def _rows(arr: pa.Array, rows: np.ndarray) -> pa.Array:
    """``arr`` at ``rows`` (ascending, distinct); ``arr`` itself when that is every row, which
    is the common case of a chunk without rejections or duplicates."""
    return arr if len(rows) == len(arr) else arr.take(pa.array(rows))


def _dict(arr: pa.Array) -> tuple[np.ndarray, list[Any]]:
    """Codes per row (``len(uniques)`` for null) and the distinct values."""
    enc = pc.dictionary_encode(arr)
    uniques = enc.dictionary.to_pylist()
    codes = enc.indices.fill_null(len(uniques)).to_numpy(zero_copy_only=False)
    return np.asarray(codes, dtype=np.int64), uniques


def _packed(codes: list[str | None]) -> np.ndarray:
    """Currency codes as integers for fingerprints (0 for none)."""
    return np.array(
        [int.from_bytes((c or "").encode()[:8].ljust(8, b"\0"), "big") for c in codes],
        dtype=np.uint64,
    )


def _codes(arr: pa.Array, fn: Any) -> pa.Array:
    """``fn`` of each value, computed once per distinct value."""
    codes, uniques = _dict(arr)
    return pa.array([*map(fn, uniques), None], pa.string()).take(pa.array(codes))


_EARLIEST = np.datetime64("1900-01-01", "us")
_LATEST = np.datetime64("2100-01-01", "us")
