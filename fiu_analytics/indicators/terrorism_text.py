"""Terrorism-financing indicators that read payment text: TF-04 crowdfunding and TF-05 keywords.

TF-04: an account collects small donations from many people under one memo handle or keyword,
then sends the money on through money transfer, crypto-assets or abroad within days. TF-05:
words, phrases, numbers or symbols from an FIU-maintained list in the payment narrative.

Text is compared after one normalisation (:func:`normalise_text`) so that case, diacritics,
apostrophes and common transliteration differences do not matter. The keyword list is data
(``fiu_analytics/data/tf_keywords.yaml``, or ``data.reference["tf_keywords"]``), versioned, and
its version is quoted in every TF-05 reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from fiu_analytics.errors import ConfigError
from fiu_analytics.indicators.base import DetectionInput, Param, empty_result, indicator, ramp
from fiu_analytics.indicators.terrorism import (
    cross_border,
    day_index,
    pick,
    result,
    split_list,
    trailing_sum,
    tx_column,
)

# combining marks: Latin diacritics, Hebrew points, Arabic harakat and Quranic marks
_MARKS = r"[\u0300-\u036f\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]"
_APOSTROPHES = r"['\u2018\u2019\u201b`\u00b4\u02bb\u02bc\u02bd\u02be\u02bf]"
_PUNCT = '!"#$%&()*+,-./:;<=>?@[\\]^_{|}~'


# -- normalisation and the keyword list ----------------------------------------------------------
def normalise_text(
    text: pd.Series, fold: dict[str, str] | None = None, keep: str = ""
) -> pd.Series:
    """Matching form of free text: NFKD without combining marks, casefolded, apostrophes
    deleted, ASCII punctuation (but the characters in ``keep``) turned into spaces, the
    ``fold`` rewrites applied in order, doubled letters collapsed, spaces squeezed.

    >>> normalise_text(pd.Series(["For the MUJAHIDEEN!"]), {"ee": "i"}).tolist()
    ['for the mujahidin']
    """
    s = text.astype(str).str.normalize("NFKD").str.replace(_MARKS, "", regex=True)
    s = s.str.casefold().str.replace(_APOSTROPHES, "", regex=True)
    punct = "".join(c for c in _PUNCT if c not in keep)
    s = s.str.replace(f"[{re.escape(punct)}]", " ", regex=True)
    for a, b in (fold or {}).items():
        s = s.str.replace(str(a), str(b), regex=False)
    s = s.str.replace(r"([^\W\d_])\1+", r"\1", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


@dataclass(frozen=True)
class KeywordList:
    """A versioned TF-05 list: one row per normalised spelling (``pattern``) of an entry."""

    version: str
    fold: dict[str, str]
    patterns: pd.DataFrame  # pattern, id, term, kind, weight

    @classmethod
    def from_mapping(cls, doc: Any, where: str = "tf_keywords") -> KeywordList:
        if not isinstance(doc, dict) or not isinstance(doc.get("terms"), list):
            raise ConfigError(f"{where}: expected a mapping with a 'terms' list")
        fold = {str(k): str(v) for k, v in (doc.get("fold") or {}).items()}
        rows = []
        for i, t in enumerate(doc["terms"]):
            if not isinstance(t, dict) or "term" not in t:
                raise ConfigError(f"{where}: terms[{i}] has no 'term'")
            w = t.get("weight", 1.0)
            if not isinstance(w, (int, float)) or not 0 < w <= 1:
                raise ConfigError(f"{where}: terms[{i}] weight {w!r}; expected a number in (0, 1]")
            for spelling in [t["term"], *(t.get("variants") or [])]:
                rows.append(
                    {
                        "spelling": str(spelling),
                        "id": str(t.get("id", f"KW-{i + 1:03d}")),
                        "term": str(t["term"]),
                        "kind": str(t.get("kind", "phrase")),
                        "weight": float(w),
                    }
                )
        frame = pd.DataFrame(rows, columns=["spelling", "id", "term", "kind", "weight"])
        frame["pattern"] = normalise_text(frame["spelling"], fold)
        frame = frame[frame["pattern"] != ""].sort_values("weight", ascending=False)
        return cls(
            str(doc.get("version", "")),
            fold,
            frame.drop_duplicates("pattern").reset_index(drop=True),
        )


@cache
def default_keyword_list() -> KeywordList:
    """The packaged illustrative list (``data/tf_keywords.yaml``)."""
    text = resources.files("fiu_analytics.data").joinpath("tf_keywords.yaml").read_text("utf-8")
    return KeywordList.from_mapping(yaml.safe_load(text), "tf_keywords.yaml")


def keyword_list(data: DetectionInput) -> KeywordList:
    """The run's list: ``data.reference["tf_keywords"]`` (a :class:`KeywordList` or the YAML
    mapping) if given, else the packaged one."""
    ref = data.reference.get("tf_keywords") if data.reference else None
    if ref is None:
        return default_keyword_list()
    return ref if isinstance(ref, KeywordList) else KeywordList.from_mapping(ref)


def _alternation(patterns: pd.Series) -> str:
    return "|".join(re.escape(p) for p in sorted(patterns, key=len, reverse=True))


def keyword_hits(text: pd.Series, kw: KeywordList) -> pd.Series:
    """Per value of ``text``: the list of entry ids it mentions (empty list when none)."""
    pats = kw.patterns
    norm = normalise_text(text.fillna(""), kw.fold)
    found = pd.Series([[] for _ in range(len(text))], index=text.index, dtype=object)
    words = pats.loc[pats["kind"] != "symbol", "pattern"]
    symbols = pats.loc[pats["kind"] == "symbol", "pattern"]
    for pats_, regex in (
        (words, rf"(?<!\w)(?:{_alternation(words)})(?!\w)"),
        (symbols, f"(?:{_alternation(symbols)})"),
    ):
        if len(pats_):
            found = found + norm.str.findall(regex)
    id_of = dict(zip(pats["pattern"], pats["id"], strict=True))
    return found.map(lambda ms: list(dict.fromkeys(id_of[m] for m in ms)))


# -- TF-05 --------------------------------------------------------------------------------------
@indicator(
    "TF-05",
    "Extremist words, symbols or numbers in payment text",
    fields=Param("narrative", str, help="text columns to read, comma-separated"),
    side=Param("both", str, help="subject: src (payer), dst (payee) or both"),
    max_evidence=Param(50, int, min=1, max=10_000),
)
def extremist_terms_in_payment_text(
    data: DetectionInput, fields: str, side: str, max_evidence: int
) -> pd.DataFrame:
    """Accounts on either side of payments whose text mentions an entry of the TF keyword list.
    Value: the number of such payments; score ``1 - prod(1 - weight)`` over them (each
    payment counts with its strongest entry). The reason names entries and list version."""
    if side not in ("src", "dst", "both"):
        raise ConfigError(f"TF-05 parameter 'side' got {side!r}; expected src, dst or both")
    tx = data.transactions
    kw = keyword_list(data)
    cols = [c for c in split_list(fields) if c in tx.columns]
    if not cols or kw.patterns.empty or tx.empty:
        return empty_result()
    hit_ids: list[np.ndarray] = []
    hit_entries: list[pd.Series] = []
    for col in cols:
        codes, uniq = pd.factorize(tx[col])
        if len(uniq) == 0:
            continue
        per_value = keyword_hits(pd.Series(uniq, dtype=object), kw)
        hit_vals = np.flatnonzero(per_value.map(len).to_numpy() > 0)
        rows = np.flatnonzero(np.isin(codes, hit_vals))
        if len(rows):
            hit_ids.append(rows)
            hit_entries.append(per_value.iloc[codes[rows]].reset_index(drop=True))
    if not hit_ids:
        return empty_result()
    rows = np.concatenate(hit_ids)
    entries = pd.concat(hit_entries, ignore_index=True)
    per_txn = pd.DataFrame({"row": rows, "entries": entries}).explode("entries")
    per_txn = per_txn.groupby("row")["entries"].agg(lambda s: list(dict.fromkeys(s)))
    weight = kw.patterns.groupby("id")["weight"].max()
    term = kw.patterns.drop_duplicates("id").set_index("id")["term"]
    rows = per_txn.index.to_numpy()
    w = per_txn.map(lambda ids: max(weight[i] for i in ids)).to_numpy(dtype=float)
    sides = ["src", "dst"] if side == "both" else [side]
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "account_key": tx_column(data, f"{s}_account_key")[rows],
                    "row": rows,
                    "w": w,
                    "entries": per_txn.to_numpy(),
                }
            )
            for s in sides
        ],
        ignore_index=True,
    ).drop_duplicates(["account_key", "row"])
    ids = tx["txn_id"].to_numpy()
    keys, values, scores, reasons, evidence = [], [], [], [], []
    for acct, g in long.sort_values("row").groupby("account_key", sort=True):
        found = list(dict.fromkeys(e for es in g["entries"] for e in es))
        keys.append(acct)
        values.append(len(g))
        scores.append(1.0 - float(np.prod(1.0 - g["w"].to_numpy())))
        listed = ", ".join(f"'{term[e]}' ({e})" for e in found[:5])
        reasons.append(
            f"{len(g)} payment(s) whose text mentions {listed}"
            f"{' and more' if len(found) > 5 else ''} (TF keyword list {kw.version})"
        )
        evidence.append(list(ids[g["row"].to_numpy()[:max_evidence]]))
    return result(keys, values, scores, reasons, evidence)


# -- TF-04 --------------------------------------------------------------------------------------
def memo_tokens(text: pd.Series) -> pd.Series:
    """Per value: the set of memo tokens (words of 3+ characters and ``@handles``)."""
    norm = normalise_text(text.fillna(""), keep="@")
    return norm.str.split().map(lambda ws: sorted({w for w in ws if len(w.lstrip("@")) >= 3}))


def _distinct_in_trailing_window(
    group: np.ndarray, member: np.ndarray, day: np.ndarray, n_groups: int, n_days: int, window: int
) -> np.ndarray:
    """``out[g, D]``: distinct members of group ``g`` seen on a day in ``D - window .. D``
    (int32, ``n_groups x n_days``). Each sighting covers the window ends ``day .. day +
    window``; covers of one member are made disjoint and counted with +1/-1 events and one
    cumulative sum, so memory is one matrix and the events, not a day row per member."""
    out = np.zeros((n_groups, n_days + window + 2), np.int64)
    if len(day):
        g, m, d = (np.asarray(x, np.int64) for x in (group, member, day))
        order = np.lexsort((d, m, g))
        g, m, d = g[order], m[order], d[order]
        same = np.r_[False, (g[1:] == g[:-1]) & (m[1:] == m[:-1])]
        prev = np.r_[d[0], d[:-1]]
        start = np.where(same, np.maximum(d, prev + window + 1), d)
        stop = d + window + 1
        ok = start < stop
        np.add.at(out, (g[ok], start[ok]), 1)
        np.add.at(out, (g[ok], stop[ok]), -1)
    return np.cumsum(out, axis=1)[:, :n_days].astype(np.int32)


@indicator(
    "TF-04",
    "Crowdfunding / social-media donation aggregation",
    window_days=Param(30, int, min=1, max=120, help="collection window"),
    min_donors=Param(20, int, min=2, help="distinct small donors within the window"),
    max_donation=Param(1000.0, float, min=1, help="a donation is small up to this amount"),
    donation_channels=Param("mobile_money,wire,card,crypto,msb_remittance,hawala", str),
    min_common=Param(6, int, min=2, help="donors using one specific memo token or handle"),
    max_token_recipients=Param(
        3, int, min=1, help="a token is specific if memos to at most this many accounts use it"
    ),
    out_days=Param(7, int, min=0, max=60, help="outflow allowed this long after the window"),
    out_channels=Param("msb_remittance,hawala,crypto", str, help="plus any cross-border payment"),
    min_out_ratio=Param(0.6, float, min=0.01, max=10.0, help="outflow / collected under memo"),
    max_out_ratio=Param(
        5.0, float, min=0.01, max=1000.0, help="above it the outflow is not the collection"
    ),
    max_evidence=Param(60, int, min=1, max=10_000),
)
def crowdfunding_aggregation(
    data: DetectionInput,
    window_days: int,
    min_donors: int,
    max_donation: float,
    donation_channels: str,
    min_common: int,
    max_token_recipients: int,
    out_days: int,
    out_channels: str,
    min_out_ratio: float,
    max_out_ratio: float,
    max_evidence: int,
) -> pd.DataFrame:
    """Collectors: >= ``min_donors`` distinct small donors within ``window_days``, >=
    ``min_common`` of them using one *specific* memo token (a handle or keyword that memos to
    few other accounts use, so 'gift' or 'rent' never count), and within ``out_days`` after the
    window an outflow by money transfer, crypto-assets or abroad of ``min_out_ratio`` to
    ``max_out_ratio`` times what came in under such memos (much more means the money sent
    comes from elsewhere, as with a charity's programme grants). Subjects: the collector and
    the accounts receiving a quarter or more of that outflow. Value: the number of donors."""
    tx = data.transactions
    src = tx_column(data, "src_account_key")
    dst = tx_column(data, "dst_account_key")
    amt = tx_column(data, "amount_base")
    days = day_index(data)
    cross = cross_border(data)
    out_mask = (src != dst) & (tx["channel"].isin(split_list(out_channels)).to_numpy() | cross)
    out_mask &= ~tx["channel"].isin(["cash_deposit", "cash_withdrawal"]).to_numpy()
    if not out_mask.any():
        return empty_result()
    is_don = tx["channel"].isin(split_list(donation_channels)).to_numpy() & (src != dst)
    in_mask = is_don & (amt <= max_donation) & np.isin(dst, np.unique(src[out_mask]))
    if not in_mask.any():
        return empty_result()
    n_donors = pd.Series(src[in_mask]).groupby(dst[in_mask]).nunique()
    cands = n_donors.index[n_donors >= min_donors].to_numpy()
    in_mask &= np.isin(dst, cands)
    out_mask &= np.isin(src, cands)
    if len(cands) == 0 or not out_mask.any():
        return empty_result()
    # token specificity over every donation-channel memo of the period
    with_text = is_don & tx["narrative"].notna().to_numpy()
    codes, uniq = pd.factorize(pick(data, "narrative", with_text))
    toks = memo_tokens(pd.Series(uniq, dtype=object))
    spread = (
        pd.DataFrame({"dst": dst[with_text], "code": codes})
        .drop_duplicates()
        .assign(tok=lambda f: toks.to_numpy()[f["code"].to_numpy()])
        .explode("tok")
        .dropna(subset=["tok"])
        .groupby("tok")["dst"]
        .nunique()
    )
    specific = set(spread.index[spread <= max_token_recipients])
    # the candidates' donations
    n_days = int(days.max()) + 1
    acc_keys = np.sort(cands)
    rows = pd.DataFrame(
        {
            "a": dst[in_mask],
            "donor": src[in_mask],
            "day": days[in_mask],
            "amt": amt[in_mask],
            "id": pick(data, "txn_id", in_mask),
            "text": pick(data, "narrative", in_mask),
        }
    )
    a_idx = np.searchsorted(acc_keys, rows["a"].to_numpy())
    donors = _distinct_in_trailing_window(
        a_idx, rows["donor"].to_numpy(), rows["day"].to_numpy(), len(acc_keys), n_days, window_days
    )
    # donors per specific token, and what came in under such memos
    tcode = pd.Series(rows["text"]).map(dict(zip(uniq, toks, strict=True)) if len(uniq) else {})
    tok_rows = (
        pd.DataFrame({"r": np.arange(len(rows)), "tok": tcode})
        .explode("tok")
        .dropna(subset=["tok"])
    )
    tok_rows = tok_rows[tok_rows["tok"].isin(specific)]
    common = np.zeros((len(acc_keys), n_days), np.int32)
    trip = pd.DataFrame(columns=["a", "tok", "donor", "day"])
    tagged = np.zeros((len(acc_keys), n_days))
    if len(tok_rows):
        r = tok_rows["r"].to_numpy()
        trip = pd.DataFrame(
            {
                "a": a_idx[r],
                "tok": tok_rows["tok"].to_numpy(),
                "donor": rows["donor"].to_numpy()[r],
                "day": rows["day"].to_numpy()[r],
            }
        )
        trip["t"] = trip.groupby(["a", "tok"], sort=False).ngroup()
        per_tok = _distinct_in_trailing_window(
            trip["t"].to_numpy(),
            trip["donor"].to_numpy(),
            trip["day"].to_numpy(),
            int(trip["t"].max()) + 1,
            n_days,
            window_days,
        )
        tok_acct = trip.drop_duplicates("t").sort_values("t")["a"].to_numpy()
        np.maximum.at(common, tok_acct, per_tok)
        rr = np.unique(r)
        np.add.at(tagged, (a_idx[rr], rows["day"].to_numpy()[rr]), rows["amt"].to_numpy()[rr])
    collected = trailing_sum(tagged, window_days)
    # outflow within the window and up to out_days after it
    out_rows = pd.DataFrame(
        {
            "a": src[out_mask],
            "to": dst[out_mask],
            "day": days[out_mask],
            "amt": amt[out_mask],
            "id": pick(data, "txn_id", out_mask),
            "channel": pick(data, "channel", out_mask),
        }
    )
    daily_out = np.zeros((len(acc_keys), n_days + out_days))
    np.add.at(
        daily_out,
        (np.searchsorted(acc_keys, out_rows["a"].to_numpy()), out_rows["day"].to_numpy()),
        out_rows["amt"].to_numpy(),
    )
    out_sum = trailing_sum(daily_out, window_days + out_days)[:, out_days : out_days + n_days]
    ok = (
        (donors >= min_donors)
        & (common >= min_common)
        & (collected > 0)
        & (out_sum >= min_out_ratio * collected)
        & (out_sum <= max_out_ratio * collected)
    )
    if not ok.any():
        return empty_result()
    rank = np.where(ok, donors * 1e6 + np.minimum(out_sum / np.maximum(collected, 1), 999), -1)
    best_day = rank.argmax(axis=1)
    keys, values, scores, reasons, evidence = [], [], [], [], []
    for i in np.flatnonzero(ok.any(axis=1)):
        a, d = int(acc_keys[i]), int(best_day[i])
        n, c, col, out = int(donors[i, d]), int(common[i, d]), collected[i, d], out_sum[i, d]
        score = float(ramp(np.array([n]), min_donors, 1.5 * min_donors)[0])
        got = rows[(rows["a"] == a) & (rows["day"] <= d) & (rows["day"] >= d - window_days)]
        sent = out_rows[
            (out_rows["a"] == a)
            & (out_rows["day"] <= d + out_days)
            & (out_rows["day"] >= d - window_days)
        ]
        ev = list(got["id"][: max_evidence // 2]) + list(sent["id"][: max_evidence // 2])
        in_win = trip[(trip["a"] == i) & (trip["day"] <= d) & (trip["day"] >= d - window_days)]
        token = in_win.groupby("tok")["donor"].nunique().idxmax()
        keys.append(a)
        values.append(n)
        scores.append(score)
        reasons.append(
            f"{n} small donors within {window_days} days ({c} with the memo token '{token}', "
            f"{col:,.0f} collected under such memos), then {out:,.0f} sent by money transfer, "
            f"crypto or abroad within {out_days} days"
        )
        evidence.append(ev)
        per_to = sent.groupby("to")["amt"].sum()
        for to, v in per_to[per_to >= 0.25 * out].items():
            keys.append(int(to))
            values.append(n)
            scores.append(score)
            reasons.append(
                f"received {v:,.0f} of {out:,.0f} sent on by account {a} within {out_days} days "
                f"of collecting from {n} small donors under the memo token '{token}'"
            )
            evidence.append(list(sent.loc[sent["to"] == to, "id"][:max_evidence]))
    return result(keys, values, scores, reasons, evidence)
