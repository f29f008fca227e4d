"""Screening parties against designations (SAN-01): blocking, fuzzy scoring, corroboration.

Scoring (names are compared on their normalised keys, see :mod:`.normalise`):

* ``token_sort`` -- :func:`rapidfuzz.fuzz.ratio` of the sorted canonical tokens: spelling
  variants, typos and another token order.
* ``token_set`` -- :func:`rapidfuzz.fuzz.token_set_ratio`, which scores 1.0 when one name's
  tokens are a subset of the other's (a party using a shorter or longer form of a listed name).
  It counts only if the two names share at least two tokens, covering at least 70 % of the
  listed name's tokens and half of the party name's (repeated tokens count: "Abdullah
  Abdullah X" is not a subset of "Mustafa Abdullah X"): "Ali Ibrahim" must not match a
  six-token listed name because both words appear in it.

The score of a pair is the larger of the two, in [0, 1]. A listed name hits at ``score >=
threshold``; a ``Low``-quality alias hits only if an identifier corroborates it: birth date
(exact date, or year equal to a listed year or inside a listed year range), nationality or
document number. A person is screened against individuals and an entity against entities
when both types are known.

Blocking keeps one million parties against a full list within a minute on two cores: each
token has keys (consonant skeleton, first and last three letters, so that one typo leaves a
key intact; the first letter of a short token) and a name is indexed under the key pairs of
each two of its tokens (a one-token name under its token's keys). A party is scored only
against listed names sharing such a pair, i.e. two tokens up to a typo; common tokens
(``muhammad``, ``abu``) therefore never pull in every listed name on their own. The index
lookup is vectorised (numpy ``searchsorted`` on integer codes) and scoring runs in rapidfuzz
(``process.cpdist``, ``workers=-1``) after a length bound and a token-mask bound have dropped
pairs that cannot reach the threshold. ``blocking=False`` scores every party against every
name (tests, audits).
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from itertools import combinations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from fiu_analytics.errors import ConfigError
from fiu_analytics.reference import country_reference
from fiu_analytics.screening.normalise import (
    Transliteration,
    default_transliteration,
    name_tokens,
    split_listed_name,
)

__all__ = ["HIT_COLUMNS", "screen"]

HIT_COLUMNS = [
    "party_id",
    "party_name",
    "reference_number",
    "dataid",
    "matched_name",
    "name_kind",
    "alias_quality",
    "score",
    "method",
    "corroboration",
    "reason",
]
"""Columns of :func:`screen`'s result, one row per (party, list record) hit."""

_MIN_SHARED = 2
_LISTED_COVERAGE = 0.7
_PARTY_COVERAGE = 0.5
_ANNOTATIONS = re.compile(r"\b(original script|sub-unit name)\b", re.IGNORECASE)
_SOUNDS = str.maketrans("qcz", "kks")
_SKELETON_DROP = str.maketrans("", "", "aeiouhwy")
_DOUBLE = re.compile(r"(.)\1+")
_DOC_TOKEN = re.compile(r"[A-Z]*\d[A-Z\d]{3,}")
_KIND_RANK = {"primary": 0, "alias": 1, "original_script": 2}
_TYPE_FOR = {"person": "individual", "entity": "entity"}


@cache
def _token_keys(token: str) -> tuple[str, str, str, str]:
    """Blocking keys of one token: consonant skeleton, first three letters, last three letters
    (for tokens of four letters or more) and first letter (for tokens of four letters or less).

    ``mohammed`` and ``muhamad`` share the skeleton ``mhmd``; one typo leaves at least one of
    the first three keys of a token of six letters or more intact.
    """
    t = token.replace("ph", "f").translate(_SOUNDS)
    skel = (t[0] if t[0] not in "aeiou" else "") + t[1:].translate(_SKELETON_DROP)
    if len(set(skel)) < len(skel):
        skel = _DOUBLE.sub(r"\1", skel)
    skel = skel or token
    suffix = "e" + token[-3:] if len(token) > 3 else ""
    initial = "i" + token[0] if len(token) <= 4 else ""
    return ("s" + skel, "p" + token[:3], suffix, initial)


_SINGLE = np.int64(1) << np.int64(62)  # code space of one-token names


# Pairs of key kinds that make a blocking code for two tokens: the same kind of key of both
# (skeleton, prefix, suffix), or the skeleton of one and the first letter of the other when
# that one is short (a typo in "Iraq" such as "Iaq" leaves only its first letter).
_CODE_KINDS = ((0, 0), (1, 1), (2, 2), (0, 3), (3, 0))


def _block_codes(key_ids: list[tuple[int, ...]]) -> list[int]:
    """Blocking codes of a name from the key ids of its distinct tokens (-1: key absent).

    Two names are compared only if they share a code: two tokens, each equal up to a typo.
    A one-token name has one code per key of its token (first letter excepted)."""
    if len(key_ids) == 1:
        return [int(_SINGLE) | k for k in key_ids[0][:3] if k >= 0]
    codes = []
    for ka_all, kb_all in combinations(key_ids, 2):
        for i, j in _CODE_KINDS:
            ka, kb = ka_all[i], kb_all[j]
            if ka >= 0 and kb >= 0:
                codes.append((min(ka, kb) << 32) | max(ka, kb))
    return codes


def _shared_tokens(a: list[str], b: list[str]) -> int:
    """Tokens two names share, counting repeats (multiset intersection)."""
    if len(set(a)) == len(a) and len(set(b)) == len(b):
        return len(set(a) & set(b))
    return sum((Counter(a) & Counter(b)).values())


@dataclass
class _Listed:
    """Listed names prepared for matching: one entry per name or part of a name."""

    keys: list[str]
    row: np.ndarray  # position of the designation row
    part: list[str]  # the part of the listed name that was indexed
    key_id: dict[str, int]  # token key -> id, for the keys of listed tokens
    codes: np.ndarray  # sorted distinct blocking codes
    starts: np.ndarray  # where each code's names start in ``members`` (one extra at the end)
    members: np.ndarray  # listed-name indices grouped by code


def _key_ids(token: str, key_id: dict[str, int], add: bool = False) -> tuple[int, ...]:
    """Ids of the token's keys (-1 for a key the list does not have, or an empty key)."""
    if add:
        return tuple(key_id.setdefault(k, len(key_id)) if k else -1 for k in _token_keys(token))
    return tuple(key_id.get(k, -1) if k else -1 for k in _token_keys(token))


def _prepare_listed(names: pd.Series, table: Transliteration, blocking: bool) -> _Listed:
    keys: list[str] = []
    rows: list[int] = []
    parts: list[str] = []
    key_id: dict[str, int] = {}
    code_list: list[int] = []
    member_list: list[int] = []
    for pos, name in enumerate(names.astype(str)):
        seen: set[str] = set()
        for part in split_listed_name(_ANNOTATIONS.sub(" ", name)):
            tokens = name_tokens(part, table)
            key = " ".join(sorted(tokens))
            if not tokens or key in seen:
                continue
            seen.add(key)
            idx = len(keys)
            keys.append(key)
            rows.append(pos)
            parts.append(part)
            if blocking:
                distinct = sorted(set(tokens))
                codes = _block_codes([_key_ids(t, key_id, add=True) for t in distinct])
                if len(distinct) > 1:  # "Boko Haram" is also reached from "Bokoharam"
                    codes += _block_codes([_key_ids("".join(tokens), key_id, add=True)])
                code_list.extend(codes)
                member_list.extend([idx] * len(codes))
    code_arr = np.asarray(code_list, dtype=np.int64)
    member_arr = np.asarray(member_list, dtype=np.int64)
    pairs = np.unique(np.stack([code_arr, member_arr], axis=1), axis=0) if len(code_arr) else None
    if pairs is None:
        codes_u, starts, members = (np.zeros(0, np.int64),) * 3
    else:
        codes_u, first = np.unique(pairs[:, 0], return_index=True)
        starts, members = np.append(first, len(pairs)), pairs[:, 1]
    return _Listed(
        keys=keys,
        row=np.asarray(rows, dtype=np.int64),
        part=parts,
        key_id=key_id,
        codes=codes_u,
        starts=np.asarray(starts, dtype=np.int64),
        members=np.asarray(members, dtype=np.int64),
    )


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort: faster than ``np.unique``'s hashing on large arrays)."""
    v = np.sort(values)
    return v[np.r_[True, v[1:] != v[:-1]]] if len(v) else v


def _candidates(
    party_tokens: list[tuple[str, ...]], listed: _Listed, blocking: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(party index, listed-name index) pairs to score: those sharing a blocking code.

    Vectorised: the parties' distinct tokens are flattened, each distinct token is keyed once,
    and the codes of every two tokens of a party are looked up in the sorted list codes."""
    n_listed = len(listed.keys)
    if not blocking:
        p = np.repeat(np.arange(len(party_tokens), dtype=np.int64), n_listed)
        return p, np.tile(np.arange(n_listed, dtype=np.int64), len(party_tokens))
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    if not party_tokens or not len(listed.codes):
        return empty
    flat = pd.Series(party_tokens, dtype=object).explode().dropna()
    tok_code, uniq = pd.factorize(flat.to_numpy(dtype=object))
    pair = _distinct(flat.index.to_numpy(dtype=np.int64) * len(uniq) + tok_code)
    party, tok = pair // len(uniq), pair % len(uniq)  # distinct (party, token), party-sorted
    n_distinct = np.bincount(party, minlength=len(party_tokens))
    key_ids = np.asarray([_key_ids(t, listed.key_id) for t in uniq.tolist()], dtype=np.int64)
    known = (key_ids >= 0).any(axis=1)
    party, tok = party[known[tok]], tok[known[tok]]  # tokens with no listed key cannot match
    if not len(party):
        return empty
    n_party = np.bincount(party, minlength=len(party_tokens))
    start = np.concatenate([[0], np.cumsum(n_party)[:-1]])
    codes_p: list[np.ndarray] = []
    codes_c: list[np.ndarray] = []
    # one-token names (among the tokens the list knows) are looked up under their own keys
    solo = np.flatnonzero((n_party == 1) & (n_distinct == 1))
    for kind in range(3):
        k = key_ids[tok[start[solo]], kind]
        ok = k >= 0
        codes_p.append(solo[ok])
        codes_c.append(_SINGLE | k[ok])
    for b in range(1, int(n_party.max())):
        have = np.flatnonzero(n_party > b)
        ib = start[have] + b
        for a in range(b):
            ia = start[have] + a
            for i, j in _CODE_KINDS:
                ka, kb = key_ids[tok[ia], i], key_ids[tok[ib], j]
                ok = (ka >= 0) & (kb >= 0)
                lo, hi = np.minimum(ka[ok], kb[ok]), np.maximum(ka[ok], kb[ok])
                codes_p.append(have[ok])
                codes_c.append((lo << 32) | hi)
    cp, cc = np.concatenate(codes_p), np.concatenate(codes_c)
    pos = np.searchsorted(listed.codes, cc)
    found = pos < len(listed.codes)
    found[found] = listed.codes[pos[found]] == cc[found]
    cp, pos = cp[found], pos[found]
    counts = listed.starts[pos + 1] - listed.starts[pos]
    total = int(counts.sum())
    if total == 0:
        return empty
    offsets = np.repeat(listed.starts[pos] - np.cumsum(counts) + counts, counts)
    members = listed.members[offsets + np.arange(total)]
    both = _distinct(np.repeat(cp, counts) * n_listed + members)
    return both // n_listed, both % n_listed


def _token_masks(
    keys: list[str], which: np.ndarray, bit_of: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """128-bit masks of the listed tokens in each name of ``which`` (two uint64 words), and
    whether the mask may undercount (a repeated token, or two tokens on one bit). Common bits
    of two exact masks bound the number of tokens the names share from above."""
    masks = np.zeros((len(keys), 2), dtype=np.uint64)
    inexact = np.zeros(len(keys), dtype=bool)
    for i in which.tolist():
        mask = 0
        n = 0
        for w in keys[i].split():
            b = bit_of.get(w)
            if b is not None:
                mask |= 1 << b
                n += 1
        masks[i, 0], masks[i, 1] = mask & 0xFFFFFFFFFFFFFFFF, mask >> 64
        inexact[i] = mask.bit_count() != n
    return masks, inexact


def _scores(
    p_keys: list[str],
    listed: _Listed,
    cand_p: np.ndarray,
    cand_l: np.ndarray,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scores of candidate pairs at or above ``threshold``: (party, listed, score, is_set)."""
    cut = threshold * 100.0
    p_arr = np.asarray(p_keys, dtype=object)
    l_arr = np.asarray(listed.keys, dtype=object)
    p_len = np.fromiter((len(k) for k in p_keys), np.int64, len(p_keys))
    l_len = np.fromiter((len(k) for k in listed.keys), np.int64, len(listed.keys))
    p_ntok = np.fromiter((k.count(" ") + 1 for k in p_keys), np.int64, len(p_keys))
    l_ntok = np.fromiter((k.count(" ") + 1 for k in listed.keys), np.int64, len(listed.keys))
    a, b = p_len[cand_p], l_len[cand_l]
    # an Indel ratio cannot exceed 2 min / (a + b); the token-set route needs enough tokens in
    # common, which the token masks bound from above
    may_sort = 200.0 * np.minimum(a, b) / np.maximum(a + b, 1) >= cut
    pn, ln = p_ntok[cand_p], l_ntok[cand_l]
    may_set = (pn >= _MIN_SHARED) & (ln >= _MIN_SHARED)
    if may_set.any():
        vocab = sorted({w for k in listed.keys for w in k.split()})
        bit_of = {w: i % 128 for i, w in enumerate(vocab)}
        pm, prep = _token_masks(p_keys, _distinct(cand_p[may_set]), bit_of)
        lm, lrep = _token_masks(listed.keys, np.arange(len(listed.keys)), bit_of)
        common = np.bitwise_count(pm[cand_p] & lm[cand_l]).sum(axis=1)
        need = np.maximum(_MIN_SHARED, np.maximum(_LISTED_COVERAGE * ln, _PARTY_COVERAGE * pn))
        may_set &= prep[cand_p] | lrep[cand_l] | (common >= need)
    keep = may_sort | may_set
    cand_p, cand_l, may_sort, may_set = cand_p[keep], cand_l[keep], may_sort[keep], may_set[keep]
    score = np.zeros(len(cand_p))
    is_set = np.zeros(len(cand_p), dtype=bool)

    def scored(idx: np.ndarray, scorer: object) -> np.ndarray:
        return process.cpdist(
            p_arr[cand_p[idx]].tolist(),
            l_arr[cand_l[idx]].tolist(),
            scorer=scorer,
            score_cutoff=cut,
            workers=-1,
            dtype=np.float32,
        )

    if may_sort.any():
        idx = np.flatnonzero(may_sort)
        score[idx] = scored(idx, fuzz.ratio)
    idx = np.flatnonzero(may_set & (score < 100.0))
    if len(idx):
        s_set = scored(idx, fuzz.token_set_ratio)
        better = s_set > score[idx]
        idx, s_set = idx[better], s_set[better]
        # the token-set score counts only for names that share enough tokens
        ok = np.fromiter(
            (
                _set_route_allowed(p_keys[cand_p[k]].split(), listed.keys[cand_l[k]].split())
                for k in idx
            ),
            dtype=bool,
            count=len(idx),
        )
        score[idx[ok]] = s_set[ok]
        is_set[idx[ok]] = True
    hit = score >= cut
    return cand_p[hit], cand_l[hit], score[hit] / 100.0, is_set[hit]


def _set_route_allowed(party: list[str], listed: list[str]) -> bool:
    shared = _shared_tokens(party, listed)
    return (
        shared >= _MIN_SHARED
        and shared >= _LISTED_COVERAGE * len(listed)
        and shared >= _PARTY_COVERAGE * len(party)
    )


# -- corroboration -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _RecordIds:
    exact: frozenset[date]
    years: frozenset[int]
    ranges: tuple[tuple[int, int], ...]
    nationalities: frozenset[str]
    documents: frozenset[str]


@cache
def _country_codes() -> dict[str, str]:
    countries = country_reference()["countries"]
    return {d["name"].casefold(): code for code, d in countries.items()}


def _record_ids(birth_dates: object, nationalities: object, documents: object) -> _RecordIds:
    exact: set[date] = set()
    years: set[int] = set()
    ranges: list[tuple[int, int]] = []
    for item in str(birth_dates or "").split(";") if pd.notna(birth_dates) else ():
        item = item.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", item):
            with contextlib.suppress(ValueError):  # e.g. 1961-02-30
                exact.add(date.fromisoformat(item))
        elif re.fullmatch(r"\d{4}", item):
            years.add(int(item))
        elif m := re.fullmatch(r"(\d{4})-(\d{4})", item):
            ranges.append((int(m.group(1)), int(m.group(2))))
    codes = _country_codes()
    nats: set[str] = set()
    for item in str(nationalities).split(";") if pd.notna(nationalities) else ():
        item = item.strip()
        code = item.upper() if len(item) == 2 else codes.get(item.casefold())
        if code:
            nats.add(code)
    docs: set[str] = set()
    for item in str(documents).split(";") if pd.notna(documents) else ():
        number = item.split(":", 1)[-1].upper()
        compact = re.sub(r"[^A-Z0-9]", "", number)
        if len(compact) >= 4:
            docs.add(compact)
        docs.update(_DOC_TOKEN.findall(re.sub(r"[^A-Z0-9 ]", "", number)))
    return _RecordIds(
        frozenset(exact), frozenset(years), tuple(ranges), frozenset(nats), frozenset(docs)
    )


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):  # pd.Timestamp included
        return None if pd.isna(value) else value.date()
    if isinstance(value, date):
        return value
    if value is None or pd.isna(value):
        return None
    ts = pd.to_datetime(value, errors="coerce")
    return None if pd.isna(ts) else ts.date()


def _corroboration(ids: _RecordIds, born: date | None, nationality: object, doc: object) -> list:
    found = []
    if born is not None:
        if born in ids.exact:
            found.append("birth_date_exact")
        elif born.year in ids.years or any(lo <= born.year <= hi for lo, hi in ids.ranges):
            found.append("birth_year")
    if isinstance(nationality, str) and nationality.upper() in ids.nationalities:
        found.append("nationality")
    if isinstance(doc, str) and ids.documents:
        compact = re.sub(r"[^A-Z0-9]", "", doc.upper())
        if len(compact) >= 4 and compact in ids.documents:
            found.append("document")
    return found


# -- the public function -------------------------------------------------------------------------
def _empty_hits() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in HIT_COLUMNS})
    frame["score"] = frame["score"].astype("float64")
    return frame


def _label(kind: str, quality: object) -> str:
    if kind == "alias":
        return f"{quality if isinstance(quality, str) else 'ungraded'} alias"
    return "original-script name" if kind == "original_script" else "primary name"


def screen(
    parties: pd.DataFrame,
    designations: pd.DataFrame,
    threshold: float = 0.9,
    *,
    match_types: bool = True,
    blocking: bool = True,
    table: Transliteration | None = None,
) -> pd.DataFrame:
    """Parties whose name matches a listed name, with corroboration and a reason.

    ``parties`` needs ``party_id`` and ``name``; ``party_type``, ``birth_date``,
    ``nationality`` (ISO alpha-2) and ``id_document`` are used when present. ``designations``
    has the columns of the ``designations`` table (``batch_id`` not needed). Returns one row
    per (party, list record) with the best accepted name of that record (:data:`HIT_COLUMNS`),
    best score first.

    Example::

        >>> hits = screen(parties, designations, threshold=0.9)
        >>> hits[["party_id", "reference_number", "score", "reason"]]
    """
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"screen: parameter 'threshold' got {threshold!r}; expected 0 < t <= 1")
    for frame, what, needed in (
        (parties, "parties", ("party_id", "name")),
        (designations, "designations", ("reference_number", "name", "name_kind")),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ConfigError(f"screen: {what} frame has no column(s) {missing}; expected {needed}")
    if parties.empty or designations.empty:
        return _empty_hits()
    t = table or default_transliteration()
    des = designations.reset_index(drop=True)
    listed = _prepare_listed(des["name"], t, blocking)

    # parties: normalise each distinct written name once, then each distinct key once
    raw_codes, raw_names = pd.factorize(parties["name"].astype(str), sort=False)
    raw_tokens = [name_tokens(n, t) for n in raw_names.tolist()]
    raw_keys = [" ".join(sorted(tok)) for tok in raw_tokens]
    key_codes, keys = pd.factorize(pd.Series(raw_keys, dtype=object), sort=False)
    first_raw = pd.Series(np.arange(len(raw_keys))).groupby(key_codes).first().to_numpy()
    key_tokens = [raw_tokens[i] for i in first_raw]
    key_list = [str(k) for k in keys]
    nonempty = [i for i, tok in enumerate(key_tokens) if tok]
    cand_p, cand_l = _candidates([key_tokens[i] for i in nonempty], listed, blocking)
    cand_p = np.asarray(nonempty, dtype=np.int64)[cand_p] if len(cand_p) else cand_p
    hp, hl, hscore, hset = _scores(key_list, listed, cand_p, cand_l, threshold)
    if len(hp) == 0:
        return _empty_hits()

    # expand name-key hits to parties
    party_key = key_codes[raw_codes]
    pairs = pd.DataFrame({"k": hp, "l": hl, "score": hscore, "is_set": hset})
    members = pd.DataFrame({"k": party_key, "p": np.arange(len(parties))})
    pairs = pairs.merge(members[members["k"].isin(np.unique(hp))], on="k")
    pairs["d"] = listed.row[pairs["l"].to_numpy()]
    cols = ["reference_number", "dataid", "record_type", "name", "name_kind", "alias_quality"]
    for c in cols:
        pairs[c] = des[c].to_numpy()[pairs["d"].to_numpy()] if c in des else None
    pp = parties.reset_index(drop=True)

    def party_col(name: str) -> np.ndarray:
        if name not in pp:
            return np.full(len(pairs), None, dtype=object)
        return pp[name].to_numpy(dtype=object)[pairs["p"].to_numpy()]

    if match_types and "party_type" in pp:
        want = pd.Series(party_col("party_type")).map(_TYPE_FOR).to_numpy()
        ok = pd.isna(want) | (want == pairs["record_type"].to_numpy())
        pairs = pairs[ok].reset_index(drop=True)
        if pairs.empty:
            return _empty_hits()

    # corroboration per (party, record)
    ids_of: dict[str, _RecordIds] = {}
    first = des.drop_duplicates("reference_number")
    for ref, bd, nat, doc in zip(
        first["reference_number"],
        first["birth_dates"] if "birth_dates" in first else [None] * len(first),
        first["nationalities"] if "nationalities" in first else [None] * len(first),
        first["documents"] if "documents" in first else [None] * len(first),
        strict=True,
    ):
        ids_of[ref] = _record_ids(bd, nat, doc)
    born = party_col("birth_date")
    nat = party_col("nationality")
    doc = party_col("id_document")
    corr = [
        _corroboration(ids_of[ref], _as_date(b), n, d)
        for ref, b, n, d in zip(pairs["reference_number"], born, nat, doc, strict=True)
    ]
    pairs["corroboration"] = [";".join(c) for c in corr]
    low = (pairs["alias_quality"] == "Low").to_numpy()
    pairs = pairs[~low | (pairs["corroboration"] != "").to_numpy()]
    if pairs.empty:
        return _empty_hits()

    # best accepted name per (party, record): score, then primary > alias > original, Good > Low
    pairs = pairs.assign(
        _kind=pairs["name_kind"].map(_KIND_RANK).fillna(3),
        _low=(pairs["alias_quality"] == "Low").astype(int),
    ).sort_values(
        ["p", "reference_number", "score", "is_set", "_kind", "_low", "l"],
        ascending=[True, True, False, True, True, True, True],
    )
    best = pairs.drop_duplicates(["p", "reference_number"]).reset_index(drop=True)
    names = pp["name"].to_numpy(dtype=object)[best["p"].to_numpy()]
    primary = (
        des[des["name_kind"] == "primary"]
        .drop_duplicates("reference_number")
        .set_index("reference_number")["name"]
        .to_dict()
    )
    reasons = []
    for pname, row in zip(names, best.itertuples(index=False), strict=True):
        part = listed.part[row.l]
        via = f" (as '{part}')" if part != row.name else ""
        what = primary.get(row.reference_number, row.name)
        corr_text = (
            "corroborated by " + row.corroboration.replace(";", ", ").replace("_", " ")
            if row.corroboration
            else "no corroborating identifier"
        )
        reasons.append(
            f"'{pname}' matches {_label(row.name_kind, row.alias_quality)} '{row.name}'{via} "
            f"of {row.reference_number} ({what}), "
            f"{'token-set' if row.is_set else 'token-sort'} score {row.score:.2f}; {corr_text}"
        )
    out = pd.DataFrame(
        {
            "party_id": pp["party_id"].to_numpy(dtype=object)[best["p"].to_numpy()],
            "party_name": names,
            "reference_number": best["reference_number"].to_numpy(dtype=object),
            "dataid": best["dataid"].to_numpy(dtype=object),
            "matched_name": best["name"].to_numpy(dtype=object),
            "name_kind": best["name_kind"].to_numpy(dtype=object),
            "alias_quality": best["alias_quality"].to_numpy(dtype=object),
            "score": best["score"].to_numpy(dtype="float64").round(4),
            "method": np.where(best["is_set"].to_numpy(), "token_set", "token_sort"),
            "corroboration": best["corroboration"].to_numpy(dtype=object),
            "reason": reasons,
        }
    )
    n_corr = out["corroboration"].str.count(";") + (out["corroboration"] != "")
    order = np.lexsort((out["party_id"].to_numpy(dtype=str), -n_corr.to_numpy(), -out["score"]))
    return out.iloc[order].reset_index(drop=True)
