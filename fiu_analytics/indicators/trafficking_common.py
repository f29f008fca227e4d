"""Building blocks shared by the trafficking indicators (HT-*, MS-*).

Nothing here is registered: these are the vectorised pieces the indicator modules compose.
Party lookups (who holds an account, their identifiers and address city), local hours, the
peak number of distinct counterparties within a trailing window, the account a set of accounts
sweeps its money to, salary credits, and the result frame of the indicator contract.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fiu_analytics.errors import TypologyError
from fiu_analytics.indicators.base import (
    RESULT_COLUMNS,
    DetectionInput,
    Param,
    empty_result,
    window_counts,
)
from fiu_analytics.reference import country_reference

DAY = 86_400
HOUR = 3_600
CASH = ("cash_deposit", "cash_withdrawal")
TRANSFERS = "wire,mobile_money,msb_remittance,hawala,crypto,cheque,internal,other"
"""Channels that move value to another account (not cash, not card spend)."""
SALARY_TEXT = r"(?i)\b(?:payroll|salary|salaries|wages?)\b"
NIGHT_PARAMS = {
    "night_start": Param(22.0, float, min=0, max=24, help="local hour the night starts"),
    "night_end": Param(6.0, float, min=0, max=24, help="local hour the night ends"),
    "utc_offset_hours": Param(0.0, float, min=-14, max=14, help="local time minus UTC"),
}
"""Night window parameters shared by HT-06 and HT-08 (22:00-06:00, FINTRAC-16)."""


@dataclass(frozen=True)
class Choice(Param):
    """A string parameter restricted to ``choices`` (checked when the typology is loaded)."""

    choices: tuple[str, ...] = ()

    def check(self, indicator: str, name: str, value: Any, where: str) -> Any:
        value = super().check(indicator, name, value, where)
        if self.choices and value not in self.choices:
            raise TypologyError(
                f"{where}: indicator {indicator} parameter '{name}' got {value!r}; "
                f"expected one of {list(self.choices)}"
            )
        return value


# -- parameters -----------------------------------------------------------------------------
def csv_list(spec: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]`` (empty items dropped)."""
    return [s.strip() for s in spec.split(",") if s.strip()]


def code_set(spec: str) -> set[str]:
    """Codes and inclusive numeric ranges: ``"7011,3501-3999"`` -> every code as a string."""
    out: set[str] = set()
    for item in csv_list(spec):
        if re.fullmatch(r"\d+-\d+", item):
            lo, hi = (int(x) for x in item.split("-"))
            width = len(item.split("-")[0])
            out.update(f"{c:0{width}d}" for c in range(lo, hi + 1))
        else:
            out.add(item)
    return out


def tagged_countries(data: DetectionInput, tags: str) -> set[str]:
    """Country codes carrying any of ``tags`` in ``data.reference['countries']`` (the packaged
    country reference when the input carries none)."""
    ref = data.reference.get("countries") or country_reference()
    want = set(csv_list(tags))
    return {c for c, d in ref["countries"].items() if want & set(d.get("tags") or [])}


# -- time -----------------------------------------------------------------------------------
def local_hours(ts_s: np.ndarray, utc_offset_hours: float) -> np.ndarray:
    """Hour of day (fractional) in the FIU's local time."""
    return ((ts_s + round(utc_offset_hours * HOUR)) % DAY) / HOUR


def is_night(hours: np.ndarray, start: float, end: float) -> np.ndarray:
    """Whether a local hour falls in ``[start, end)``, wrapping past midnight."""
    if start <= end:
        return (hours >= start) & (hours < end)
    return (hours >= start) | (hours < end)


# -- parties and accounts -------------------------------------------------------------------
def _address_city(address: pd.Series) -> pd.Series:
    """City of a ``'12 Oak St, Dallas, US'`` style address (second-last comma part)."""
    parts = address.fillna("").astype(str).str.split(",")
    return parts.map(lambda p: p[-2].strip() if len(p) >= 3 else None)


def account_parties(data: DetectionInput) -> pd.DataFrame:
    """One row per account key: holder party and what we know of it (cached per input).

    Columns: party_id, party_type, entity_kind, name, family (a person's surname, an
    entity's own id: parties with different families count as unrelated), phone, address,
    device_id, city (from the address), country (the account's, else the party's)."""
    key = "trafficking.account_parties"
    if key in data.cache:
        return data.cache[key]
    acc, par = data.accounts, data.parties
    cols = ["party_type", "entity_kind", "name", "phone", "address", "device_id", "country"]
    if acc is None or acc.empty or "account_key" not in acc.columns:
        out = pd.DataFrame(columns=["party_id", *cols, "family", "city"])
        out.index.name = "account_key"
        data.cache[key] = out
        return out
    a = acc[["account_key", "owner_party_id", "country"]].drop_duplicates("account_key")
    a = a.rename(columns={"owner_party_id": "party_id", "country": "acc_country"})
    if par is not None and not par.empty and "party_id" in par.columns:
        p = par[[c for c in ["party_id", *cols] if c in par.columns]].drop_duplicates("party_id")
        a = a.merge(p, on="party_id", how="left")
    for c in cols:
        if c not in a.columns:
            a[c] = None
    a["country"] = a["acc_country"].where(a["acc_country"].notna(), a["country"])
    name = a["name"].fillna("").astype(str).str.strip().str.casefold()
    surname = name.str.extract(r"(\S+)$", expand=False).fillna("")  # last word
    is_person = a["party_type"].fillna("person").eq("person").to_numpy()
    a["family"] = np.where(is_person & (surname != ""), "n:" + surname, "p:" + a["party_id"])
    a["city"] = _address_city(a["address"])
    out = a.drop(columns="acc_country").set_index("account_key")
    data.cache[key] = out
    return out


def party_account_map(data: DetectionInput) -> pd.DataFrame:
    """``party_id`` -> ``account_key`` pairs (a party may hold several accounts)."""
    acc = data.accounts
    if acc is None or acc.empty or "owner_party_id" not in acc.columns:
        return pd.DataFrame({"party_id": pd.Series(dtype=object), "account_key": []})
    return acc.loc[acc["owner_party_id"].notna(), ["owner_party_id", "account_key"]].rename(
        columns={"owner_party_id": "party_id"}
    )


def per_row(data: DetectionInput, col: str, values: np.ndarray, fill: Any) -> np.ndarray:
    """``values`` (one per row of :func:`account_parties`) looked up for the account in
    transaction column ``col`` of every row; ``fill`` where the account is unknown. The row
    lookup is computed once per input."""
    key = f"trafficking.rows.{col}"
    if key not in data.cache:
        ap = account_parties(data)
        data.cache[key] = ap.index.get_indexer(data.transactions[col].to_numpy())
    ext = np.empty(len(values) + 1, dtype=np.asarray(values).dtype)
    ext[:-1] = values
    ext[-1] = fill
    return ext[data.cache[key]]


def to_party_accounts(
    data: DetectionInput, party_ids: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Expand ``rows`` (positions) whose party is ``party_ids`` to (row, account_key) pairs
    for every account that party holds."""
    left = pd.DataFrame({"row": rows, "party_id": party_ids})
    m = left.merge(party_account_map(data), on="party_id", how="inner")
    return m["row"].to_numpy(np.int64), m["account_key"].to_numpy(np.int64)


def conductors(tx: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
    """The conductor party of the rows at ``pos`` as an object array (None where absent)."""
    if "conductor_party_id" not in tx.columns:
        return np.full(len(pos), None, dtype=object)
    c = tx["conductor_party_id"].iloc[pos]
    return c.where(c.notna(), None).to_numpy(dtype=object)


def third_party_conducted(data: DetectionInput, account_col: str = "dst_account_key") -> np.ndarray:
    """Rows physically conducted by a party other than the holder of ``account_col``
    (computed once per input; do not modify the returned array)."""
    key = f"trafficking.third_party.{account_col}"
    if key in data.cache:
        return data.cache[key]
    tx = data.transactions
    out = np.zeros(len(tx), bool)
    if "conductor_party_id" in tx.columns:
        pos = np.flatnonzero(tx["conductor_party_id"].notna().to_numpy())
        if len(pos):
            cond = conductors(tx, pos).astype(str)
            keys = tx[account_col].to_numpy()[pos]
            owner = account_parties(data)["party_id"].reindex(keys).to_numpy(dtype=object)
            out[pos[cond != owner.astype(str)]] = True
    out.flags.writeable = False
    data.cache[key] = out
    return out


# -- windows --------------------------------------------------------------------------------
def peak_distinct(
    subject: np.ndarray, other: np.ndarray, day: np.ndarray, window_days: int
) -> pd.DataFrame:
    """Per subject, the largest number of distinct ``other`` values seen within any window of
    ``window_days`` days, and the last day of that window.

    Each (subject, other, day) covers window ends ``[day, day + window)``; covers of one pair
    are made disjoint, so a sweep of +1/-1 events per subject counts distinct values. Linear
    after one sort.
    """
    if len(subject) == 0:
        return pd.DataFrame({"subject": [], "distinct": [], "end_day": []}, dtype=np.int64)
    pairs = (
        pd.DataFrame({"s": subject, "o": other, "d": day})
        .drop_duplicates()
        .sort_values(["s", "o", "d"])
    )
    s, o, d = (pairs[c].to_numpy(np.int64) for c in ("s", "o", "d"))
    same = np.r_[False, (s[1:] == s[:-1]) & (o[1:] == o[:-1])]
    prev = np.r_[d[0], d[:-1]]
    start = np.where(same, np.maximum(d, prev + window_days), d)
    stop = d + window_days
    ok = start < stop
    ev_s = np.r_[s[ok], s[ok]]
    ev_t = np.r_[start[ok], stop[ok]]
    ev_d = np.r_[np.ones(ok.sum(), np.int64), -np.ones(ok.sum(), np.int64)]
    order = np.lexsort((ev_d, ev_t, ev_s))
    ev_s, ev_t, level = ev_s[order], ev_t[order], np.cumsum(ev_d[order])
    peaks = pd.DataFrame({"subject": ev_s, "end_day": ev_t, "distinct": level})
    best = peaks.loc[peaks.groupby("subject")["distinct"].idxmax()]
    return best[["subject", "distinct", "end_day"]].reset_index(drop=True)


def rows_in_window(
    subject: np.ndarray, day: np.ndarray, wanted: pd.DataFrame, window_days: int
) -> pd.Series:
    """Positions of rows of each wanted subject whose day lies in ``(end_day - window,
    end_day]``; ``wanted`` has columns subject and end_day. Returns subject -> positions."""
    f = pd.DataFrame({"subject": subject, "day": day, "pos": np.arange(len(subject))})
    f = f.merge(wanted[["subject", "end_day"]], on="subject", how="inner")
    f = f[(f["day"] <= f["end_day"]) & (f["day"] > f["end_day"] - window_days)]
    return f.groupby("subject")["pos"].agg(list)


def peak_window_share(
    subject: np.ndarray, ts: np.ndarray, flag: np.ndarray, window_s: int, min_count: int
) -> pd.DataFrame:
    """Per subject, the largest share of flagged rows among windows of ``window_s`` seconds
    holding at least ``min_count`` rows; rows must be sorted by (subject, ts). Columns:
    subject, share, count, flagged, left, right (row positions of the best window)."""
    left, count, total = window_counts(subject, ts, window_s, flag.astype(float))
    rows = np.flatnonzero(count >= min_count)
    if len(rows) == 0:
        return pd.DataFrame(columns=["subject", "share", "count", "flagged", "left", "right"])
    share = total[rows] / count[rows]
    subj = subject[rows]
    order = np.lexsort((count[rows], share, subj))
    last = order[np.r_[subj[order][1:] != subj[order][:-1], True]]
    best = rows[last]
    return pd.DataFrame(
        {
            "subject": subject[best],
            "share": share[last],
            "count": count[best],
            "flagged": total[best],
            "left": left[best],
            "right": best,
        }
    )


# -- money movement -------------------------------------------------------------------------
def top_recipients(
    data: DetectionInput, sources: Iterable[int], channels: str = TRANSFERS
) -> pd.DataFrame:
    """For each source account, the account that received most of its transfers and that
    account's share of them. Columns: source, collector, amount, share."""
    v = data.arrays
    src, dst = v.src, v.dst
    m = np.isin(src, np.fromiter(sources, np.int64)) & v.isin("channel", csv_list(channels))
    m &= src != dst
    if not m.any():
        return pd.DataFrame(columns=["source", "collector", "amount", "share"])
    f = pd.DataFrame({"source": src[m], "collector": dst[m], "amount": v.amount[m]})
    per = f.groupby(["source", "collector"], as_index=False)["amount"].sum()
    per["share"] = per["amount"] / per.groupby("source")["amount"].transform("sum")
    best = per.sort_values(["source", "share"]).groupby("source").tail(1)
    return best.reset_index(drop=True)


def salary_credits(
    data: DetectionInput, purposes: str, text_pattern: str = SALARY_TEXT
) -> np.ndarray:
    """Boolean mask of wage credits: a salary purpose code (pacs.008 SALA/PAYR, or an FIU's
    own code such as WPS) or payroll words in the narrative; never cash or self-loops
    (computed once per input and arguments; do not modify the returned array)."""
    key = f"trafficking.salary.{purposes}.{text_pattern}"
    if key in data.cache:
        return data.cache[key]
    tx = data.transactions
    v = data.arrays
    m = np.zeros(len(tx), bool)
    if "purpose_code" in tx.columns:
        m |= v.isin("purpose_code", csv_list(purposes))
    if "narrative" in tx.columns and text_pattern:
        m |= v.contains("narrative", text_pattern)
    m &= ~v.isin("channel", CASH)
    m &= v.src != v.dst
    m.flags.writeable = False
    data.cache[key] = m
    return m


def shared_identifier_pairs(data: DetectionInput, identifiers: Sequence[str]) -> pd.DataFrame:
    """Pairs of accounts whose holders are different parties sharing an identifier value.
    Columns: a, b (account keys, both orders)."""
    ap = account_parties(data).reset_index()
    frames = []
    for col in identifiers:
        if col not in ap.columns:
            continue
        v = ap.loc[ap[col].notna() & (ap[col].astype(str) != ""), ["account_key", "party_id", col]]
        v = v.rename(columns={col: "value"})
        frames.append(v)
    if not frames:
        return pd.DataFrame(columns=["a", "b"])
    v = pd.concat(frames, ignore_index=True)
    m = v.merge(v, on="value", suffixes=("_a", "_b"))
    m = m[m["party_id_a"] != m["party_id_b"]]
    out = m[["account_key_a", "account_key_b"]].drop_duplicates()
    return out.rename(columns={"account_key_a": "a", "account_key_b": "b"})


# -- results --------------------------------------------------------------------------------
def result(
    keys: Sequence[int] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    reasons: Sequence[str],
    evidence: Sequence[list[str]],
) -> pd.DataFrame:
    """The indicator contract's frame, one row per account, sorted by account key."""
    if len(keys) == 0:
        return empty_result()
    out = pd.DataFrame(
        {
            "account_key": np.asarray(keys, dtype=np.int64),
            "value": np.asarray(values, dtype=float),
            "score": np.clip(np.asarray(scores, dtype=float), 0.0, 1.0),
            "reason": list(reasons),
            "evidence_txn_ids": [list(e) for e in evidence],
        }
    )
    out = out[out["score"] > 0]
    return out.sort_values("account_key", ignore_index=True)[RESULT_COLUMNS]


def best_per_account(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep, per account, the row with the highest score (then value)."""
    if frame.empty:
        return frame
    f = frame.sort_values(["account_key", "score", "value"])
    return f.groupby("account_key").tail(1).sort_values("account_key", ignore_index=True)


def txn_ids(data: DetectionInput, positions: Iterable[int], cap: int) -> list[str]:
    """Transaction ids at ``positions`` of ``data.transactions`` (at most ``cap``)."""
    return data.arrays.txn_ids(list(positions)[:cap])


def group_evidence(data: DetectionInput, group_of: pd.Series, cap: int) -> dict[int, list[str]]:
    """Per group id, ids of transactions between two different accounts of the same group
    (``group_of``: account_key -> group id), at most ``cap`` per group."""
    tx = data.transactions
    if group_of.empty:
        return {}
    gs = group_of.reindex(tx["src_account_key"].to_numpy()).to_numpy()
    gd = group_of.reindex(tx["dst_account_key"].to_numpy()).to_numpy()
    m = pd.notna(gs) & (gs == gd) & (tx["src_account_key"] != tx["dst_account_key"]).to_numpy()
    if not m.any():
        return {}
    ids = tx["txn_id"].iloc[np.flatnonzero(m)].astype(str).to_numpy()
    f = pd.DataFrame({"g": gs[m], "id": ids})
    return {g: list(ids[:cap]) for g, ids in f.groupby("g")["id"]}


def column(tx: pd.DataFrame, name: str) -> pd.Series:
    """``tx[name]``, or an all-null column when a report format does not carry it."""
    if name in tx.columns:
        return tx[name]
    return pd.Series([None] * len(tx), index=tx.index, dtype=object)
