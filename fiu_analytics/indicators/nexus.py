"""Nexus indicators: trafficking proceeds reaching terrorism-financing endpoints.

* SAN-02: exposure, accounts that exchanged value with an account of a designated party.
* NX-04: an account with a trafficking-proceeds profile (several HT indicators) from which
  value travels forward in time, within two hops and 90 days, to a TF endpoint: a SAN-01 hit,
  a SAN-02 exposed account, an NPO flagged by TF-07, a hawala node flagged by TF-08, or an
  account in a conflict-adjacent jurisdiction (TF-01 geography). The profile of a controller
  counts the HT indicators of the accounts he controls (accounts sweeping their money to him,
  accounts he withdraws cash from, businesses on his phone, address or device). The alert
  carries the path.
* NX-06: accounts used as mules for someone else (pass-through of >= 80% within 48 h, opened
  recently, sharing a device or address with the person who controls them or paid in by that
  person as conductor) whose outflows reach TF endpoints; the subject is the controller, and
  the endpoints reached.
* NX-01: ransom or "purchase" payments: a family cluster (a shared surname and a shared address
  or phone) pays one relative within 14 days, in one pooling episode that holds most of the
  money the relatives ever paid him, and he then sends >= 3,000 by MSB or hawala to an
  unrelated intermediary in or next to a conflict-adjacent jurisdiction; the subject is the
  intermediary (families are victims, never subjects). An intermediary paid by several
  families scores more.

Endpoint sets and HT profiles are built from the other indicators of the registry (by id), so
each nexus rule reuses exactly the logic that analysts see alone.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from fiu_analytics.indicators.base import (
    DetectionInput,
    Param,
    empty_result,
    get_indicator,
    indicator,
    ramp,
)
from fiu_analytics.nexus import best_paths, describe_path, trace_paths
from fiu_analytics.reference import countries_with

_SELF = ("cash_deposit", "cash_withdrawal")


def _fired(data: DetectionInput, ind: str) -> set[int]:
    key = f"nexus:fired:{ind}"
    if key not in data.cache:
        try:
            r = get_indicator(ind)(data)
            data.cache[key] = set(map(int, r.loc[r["score"] > 0, "account_key"]))
        except Exception as exc:  # an endpoint rule that cannot run must not hide the others
            data.cache[key] = set()
            data.cache.setdefault("nexus:errors", []).append(f"{ind}: {exc}")
    return data.cache[key]


def _conflict_accounts(data: DetectionInput, tag: str) -> set[int]:
    codes = set(countries_with(tag, data.reference.get("countries")))
    acc = data.accounts
    return set(map(int, acc.loc[acc["country"].isin(codes), "account_key"]))


def _counterparties(data: DetectionInput, accounts: set[int]) -> set[int]:
    s, d = data.arrays.src, data.arrays.dst
    acc = np.fromiter(accounts, np.int64) if accounts else np.empty(0, np.int64)
    out = set(map(int, d[np.isin(s, acc)])) | set(map(int, s[np.isin(d, acc)]))
    return out - accounts


def _mvts_abroad(data: DetectionInput) -> set[int]:
    """Accounts of exchange houses and hawala businesses outside the home jurisdiction."""
    home = (data.reference.get("countries") or {}).get("home")
    kinds = data.parties.loc[
        data.parties["entity_kind"].isin(["exchange_house", "hawala"]), "party_id"
    ]
    acc = data.accounts
    sel = acc["owner_party_id"].isin(kinds) & (acc["country"] != home)
    return set(map(int, acc.loc[sel, "account_key"]))


def endpoints(
    data: DetectionInput,
    geography_tag: str = "conflict_adjacent",
    rules: str = "SAN-01,SAN-02,TF-07,TF-08,geo",
) -> dict[int, str]:
    """TF endpoints by account, each with the rule that made it one (strongest rule wins)."""
    wanted = [r.strip() for r in rules.split(",")]
    out: dict[int, str] = {}
    san = _fired(data, "SAN-01") if "SAN-01" in wanted or "SAN-02" in wanted else set()
    order = [
        ("SAN-01", san if "SAN-01" in wanted else set()),
        ("TF-07", _fired(data, "TF-07") if "TF-07" in wanted else set()),
        ("TF-08", _fired(data, "TF-08") if "TF-08" in wanted else set()),
        ("MVTS abroad", _mvts_abroad(data) if "mvts" in wanted else set()),
        ("SAN-02", _counterparties(data, san) if "SAN-02" in wanted else set()),
        ("TF-01 geography", _conflict_accounts(data, geography_tag) if "geo" in wanted else set()),
    ]
    for rule, accounts in order:
        for a in accounts:
            out.setdefault(a, rule)
    return out


@indicator(
    "SAN-02",
    "Network proximity to designated parties",
    min_value=Param(0.0, float, min=0, help="least value exchanged with the designated account"),
    max_evidence=Param(50, int, min=1),
)
def designated_exposure(data: DetectionInput, min_value: float, max_evidence: int) -> pd.DataFrame:
    """Accounts that paid or were paid by an account of a SAN-01 hit (one hop)."""
    san = _fired(data, "SAN-01")
    if not san:
        return empty_result()
    tx = data.transactions
    s, d = tx["src_account_key"], tx["dst_account_key"]
    touch = tx[(s.isin(san) ^ d.isin(san)) & (s != d)]
    other = np.where(
        touch["src_account_key"].isin(san), touch["dst_account_key"], touch["src_account_key"]
    )
    g = touch.assign(other=other).groupby("other")
    agg = g["amount_base"].sum()
    agg = agg[agg >= min_value]
    if agg.empty:
        return empty_result()
    ev = g["txn_id"].agg(lambda x: list(x)[:max_evidence])
    n = g.size()
    return pd.DataFrame(
        {
            "account_key": agg.index.to_numpy(np.int64),
            "value": agg.to_numpy(float),
            "score": np.full(len(agg), 0.6),
            "reason": [
                f"exchanged {v:,.0f} in {n[k]} transaction(s) with a designated party's account"
                for k, v in agg.items()
            ],
            "evidence_txn_ids": [ev[k] for k in agg.index],
        }
    )


@indicator(
    "NX-04",
    "Trafficking-proceeds profile with onward flow to TF endpoints",
    ht_indicators=Param(
        "HT-01,HT-02,HT-06,HT-07,HT-08,HT-09,HT-12,HT-13,HT-15,HT-16,HT-17",
        str,
        help="HT indicators that make the trafficking profile",
    ),
    min_ht=Param(3, int, min=1, max=20, help="HT indicators that must fire on the source"),
    max_hops=Param(2, int, min=1, max=3),
    window_days=Param(90, int, min=1, max=365),
    min_value=Param(1000.0, float, min=0, help="least value carried the whole way"),
    endpoint_rules=Param("SAN-01,SAN-02,TF-07,TF-08,geo", str),
    geography_tag=Param("conflict_adjacent", str),
    mule_forward=Param(
        0.8, float, min=0.1, max=1.0, help="sources forwarding this share of their inflow..."
    ),
    mule_hours=Param(48, int, min=1, max=720, help="...within these hours..."),
    mule_max_age_days=Param(120, int, min=1, help="...from a new account: mules, not sources"),
    collector_indicators=Param(
        "HT-15,HT-16",
        str,
        help="indicators naming an account as the one other people's wages go to: such a "
        "source is a collector, never a mule",
    ),
    min_withdrawals=Param(
        2, int, min=1, help="cash withdrawals a third party makes that put an account under it"
    ),
)
def nexus_path(
    data: DetectionInput,
    ht_indicators: str,
    min_ht: int,
    max_hops: int,
    window_days: int,
    min_value: float,
    endpoint_rules: str,
    geography_tag: str,
    mule_forward: float,
    mule_hours: int,
    mule_max_age_days: int,
    collector_indicators: str,
    min_withdrawals: int,
) -> pd.DataFrame:
    """Sources with >= ``min_ht`` HT indicators whose money reaches a TF endpoint; the
    subject is the source, the reason names the HT indicators and the endpoint rule, and the
    alert carries the path with amounts and dates. Victims who sweep their earnings to a
    controller, and new accounts (first inflow within ``mule_max_age_days`` of opening) that
    forward >= ``mule_forward`` of what they receive within ``mule_hours`` (mules, whose
    controller NX-06 names) are not sources: the money they hold was never theirs; unless a
    ``collector_indicators`` indicator names the account as the one other people's wages
    are handed to (a controller forwarding his workers' wages is no mule).

    A source's profile is its own HT indicators plus those of the accounts it controls:
    accounts that sweep most of their money to it, accounts from which its holder withdraws
    cash >= ``min_withdrawals`` times (victims' wages taken in cash), and businesses whose
    holder shares its holder's phone, address or device (a front company's payroll)."""
    own: dict[int, list[str]] = {}
    for ind in (i.strip() for i in ht_indicators.split(",")):
        for a in _fired(data, ind):
            own.setdefault(a, []).append(ind)
    counts = {a: list(inds) for a, inds in own.items()}
    swept = _swept_to(data, set(own))
    taken = _cash_taken_by(data, set(own), min_withdrawals)
    links = [*swept.items(), *taken, *_businesses_of(data, set(own))]
    for feeder, dst in links:
        inds = counts.setdefault(dst, [])
        inds.extend(i for i in own[feeder] if i not in inds)
    sources = {a for a, inds in counts.items() if len(inds) >= min_ht}
    # victims (no profile of their own) are not subjects; their controller is
    victims = [*swept.items(), *taken]
    sources -= {f for f, dst in victims if dst in sources and len(own[f]) < min_ht}
    if sources:
        collectors = set()
        for ind in (i.strip() for i in collector_indicators.split(",") if i.strip()):
            collectors |= _fired(data, ind)
        conduits = set(map(int, _mules(data, mule_forward, mule_hours).index)) & sources
        sources -= _young(data, conduits - collectors, mule_max_age_days)
    ends = endpoints(data, geography_tag, endpoint_rules)
    paths = trace_paths(
        data.transactions,
        sources,
        ends,
        max_hops=max_hops,
        window_days=window_days,
        min_value=min_value,
    )
    best = best_paths(paths)
    if best.empty:
        return empty_result()
    ids = data.accounts.set_index("account_key")["account_id"].to_dict()
    return pd.DataFrame(
        {
            "account_key": best["source"].to_numpy(np.int64),
            "value": best["value"].to_numpy(float),
            "score": ramp(best["value"].to_numpy(), min_value, 5 * min_value),
            "reason": [
                f"{len(counts[s])} HT indicators ({','.join(counts[s])}); "
                f"{v:,.0f} reached a {rule} endpoint in {h} hop(s)"
                + (" (hub branching capped)" if c else "")
                for s, v, rule, h, c in zip(
                    best["source"],
                    best["value"],
                    best["endpoint_rule"],
                    best["hops"],
                    best["capped"],
                    strict=True,
                )
            ],
            "evidence_txn_ids": list(best["txn_ids"]),
            "path": [describe_path(r, ids) for _, r in best.iterrows()],
        }
    )


def _swept_to(data: DetectionInput, accounts: set[int], share: float = 0.5) -> dict[int, int]:
    """For each of ``accounts`` that pays at least ``share`` of its outgoing money to one
    other account, that account: victims whose earnings are swept to their controller look
    like trafficking profiles too, but the controller is the subject."""
    if not accounts:
        return {}
    view = data.arrays
    src, dst = view.src, view.dst
    rows = np.flatnonzero(np.isin(src, np.fromiter(accounts, np.int64)) & (src != dst))
    if len(rows) == 0:
        return {}
    by = pd.Series(view.amount[rows]).groupby([src[rows], dst[rows]]).sum()
    total = by.groupby(level=0).sum()
    top = by.groupby(level=0).idxmax()
    return {
        int(src): int(dst) for src, (_, dst) in top.items() if by[(src, dst)] >= share * total[src]
    }


def _cash_taken_by(
    data: DetectionInput, accounts: set[int], min_withdrawals: int
) -> list[tuple[int, int]]:
    """(account, taker) pairs: cash was withdrawn from one of ``accounts`` >=
    ``min_withdrawals`` times by a conductor who is not its holder; the taker is each account
    of that conductor. A worker whose wage the controller takes out in cash has no transfer
    to him that :func:`_swept_to` could see."""
    if not accounts:
        return []
    tx = data.transactions
    if "conductor_party_id" not in tx.columns or "owner_party_id" not in data.accounts:
        return []
    owner = data.accounts.set_index("account_key")["owner_party_id"]
    w = tx[
        (tx["channel"] == "cash_withdrawal")
        & (tx["src_account_key"] == tx["dst_account_key"])
        & tx["src_account_key"].isin(accounts)
        & tx["conductor_party_id"].notna()
    ]
    w = w[w["conductor_party_id"].to_numpy() != owner.reindex(w["src_account_key"]).to_numpy()]
    if w.empty:
        return []
    n = w.groupby(["src_account_key", "conductor_party_id"]).size()
    n = n[n >= min_withdrawals].reset_index()
    held = owner.reset_index().rename(columns={"owner_party_id": "conductor_party_id"})
    pairs = n.merge(held, on="conductor_party_id")
    pairs = pairs[pairs["src_account_key"] != pairs["account_key"]]
    return [
        (int(a), int(b))
        for a, b in zip(pairs["src_account_key"], pairs["account_key"], strict=True)
    ]


def _businesses_of(data: DetectionInput, accounts: set[int]) -> list[tuple[int, int]]:
    """(business, person) pairs: an account of an entity among ``accounts`` whose holder shares
    a phone, address or device with the holder of a person's account. A front company is
    registered on its controller's phone or address; its payroll is part of his scheme."""
    if not accounts:
        return []
    par = data.parties
    if par is None or par.empty or "party_type" not in par or "owner_party_id" not in data.accounts:
        return []
    acc = data.accounts[["account_key", "owner_party_id"]]
    par = par.drop_duplicates("party_id").set_index("party_id")
    kind = par["party_type"].reindex(acc["owner_party_id"]).to_numpy()
    firms = acc[(kind == "entity") & acc["account_key"].isin(accounts).to_numpy()]
    people = acc[kind == "person"]
    if firms.empty or people.empty:
        return []
    out: set[tuple[int, int]] = set()
    for col in ("phone", "address", "device_id"):
        if col not in par.columns:
            continue
        f = firms.assign(v=par[col].reindex(firms["owner_party_id"]).to_numpy())
        p = people.assign(v=par[col].reindex(people["owner_party_id"]).to_numpy())
        f, p = f[f["v"].notna() & (f["v"] != "")], p[p["v"].notna() & (p["v"] != "")]
        m = f.merge(p, on="v", suffixes=("_f", "_p"))
        out |= set(zip(m["account_key_f"].astype(int), m["account_key_p"].astype(int), strict=True))
    return sorted(out)


def _mules(data: DetectionInput, min_forward: float, within_hours: int) -> pd.DataFrame:
    """Accounts forwarding >= ``min_forward`` of what they receive within ``within_hours``
    (cached per parameters: NX-04 and NX-06 ask for the same)."""
    key = ("nexus:mules", float(min_forward), int(within_hours))
    if key not in data.cache:
        data.cache[key] = _find_mules(data, min_forward, within_hours)
    return data.cache[key].copy()


def _find_mules(data: DetectionInput, min_forward: float, within_hours: int) -> pd.DataFrame:
    view = data.arrays
    src, dst, amount = view.src, view.dst, view.amount
    e = np.flatnonzero(src != dst)
    cash_in = np.flatnonzero(view.equals("channel", "cash_deposit"))
    in_rows = np.concatenate([e, cash_in])
    tin = pd.Series(amount[in_rows]).groupby(dst[in_rows]).sum()
    tout = pd.Series(amount[e]).groupby(src[e]).sum()
    both = pd.concat([tin.rename("tin"), tout.rename("tout")], axis=1).dropna()
    both = both[(both["tin"] > 0) & (both["tout"] >= min_forward * both["tin"])]
    if both.empty:
        return both
    # dwell: median time from an inflow to the next outflow
    cand = both.index.to_numpy(np.int64)
    ts = data.transactions["timestamp"]
    i_rows = in_rows[np.isin(dst[in_rows], cand)]
    o_rows = e[np.isin(src[e], cand)]
    i2 = pd.DataFrame({"acct": dst[i_rows], "timestamp": ts.array.take(i_rows)}).sort_values(
        "timestamp"
    )
    o2 = pd.DataFrame({"acct": src[o_rows], "t_out": ts.array.take(o_rows)}).sort_values("t_out")
    m = pd.merge_asof(i2, o2, left_on="timestamp", right_on="t_out", by="acct", direction="forward")
    dwell = (m["t_out"] - m["timestamp"]).dt.total_seconds() / 3600
    med = dwell.groupby(m["acct"]).median()
    both["dwell_h"] = med
    return both[both["dwell_h"] <= within_hours]


def _young(data: DetectionInput, accounts: set[int], max_age_days: int) -> set[int]:
    """The ``accounts`` whose first inflow came at most ``max_age_days`` after opening."""
    if not accounts:
        return set()
    tx = data.transactions
    acc = data.accounts.set_index("account_key")
    first_in = (
        tx[tx["dst_account_key"].isin(accounts)].groupby("dst_account_key")["timestamp"].min()
    )
    opened = pd.to_datetime(acc["opened_at"], utc=True).reindex(first_in.index)
    young = ((first_in - opened) <= pd.Timedelta(days=max_age_days)).fillna(False)
    return set(map(int, young.index[young.to_numpy(dtype=bool)]))


@indicator(
    "NX-06",
    "Victim-controlled mule accounts moving TF funds",
    min_forward=Param(0.8, float, min=0.1, max=1.0),
    within_hours=Param(48, int, min=1, max=720),
    min_mules=Param(2, int, min=1, max=50),
    max_account_age_days=Param(
        120, int, min=1, help="mule accounts are this new or newer at their first inflow"
    ),
    min_value=Param(3000.0, float, min=0, help="least value the mules paid to endpoints"),
    endpoint_rules=Param("SAN-01,TF-08,mvts,geo", str),
    geography_tag=Param("conflict_adjacent", str),
)
def victim_mules(
    data: DetectionInput,
    min_forward: float,
    within_hours: int,
    min_mules: int,
    max_account_age_days: int,
    min_value: float,
    endpoint_rules: str,
    geography_tag: str,
) -> pd.DataFrame:
    """Controllers of >= ``min_mules`` pass-through accounts whose outflows reach TF
    endpoints; control = shared device or address with the mules' owners, or depositing cash
    into them as conductor. Endpoints reached are subjects too."""
    mules = _mules(data, min_forward, within_hours)
    if mules.empty:
        return empty_result()
    ends = endpoints(data, geography_tag, endpoint_rules)
    tx = data.transactions
    view = data.arrays
    src, dst = view.src, view.dst
    rows = np.flatnonzero(
        np.isin(src, mules.index.to_numpy(np.int64))
        & np.isin(dst, np.fromiter(ends.keys(), np.int64, len(ends)))
        & (src != dst)
    )
    out = tx[["src_account_key", "dst_account_key", "amount_base", "txn_id"]].iloc[rows]
    tf_mules = _young(data, set(map(int, out["src_account_key"])), max_account_age_days)
    out = out[out["src_account_key"].isin(tf_mules)]
    if not tf_mules:
        return empty_result()
    par = data.parties.set_index("party_id")
    acc = data.accounts.set_index("account_key")
    owner = acc["owner_party_id"]
    links: dict[str, set[int]] = {}  # controller party -> mules it controls
    mule_parties = owner.reindex(list(tf_mules)).dropna()
    for col in ("device_id", "address"):
        vals = par[col].reindex(mule_parties.to_numpy())
        # the parties holding each value the mules' owners have, in the parties' order
        wanted = {v for v in vals if isinstance(v, str) and v}
        holders: dict[str, list] = {}
        col_vals = par[col]
        hit = col_vals.isin(wanted).to_numpy(dtype=bool)
        for p, v in zip(par.index[hit], col_vals.to_numpy()[hit], strict=True):
            holders.setdefault(v, []).append(p)
        for m, v in zip(mule_parties.index, vals, strict=True):
            if isinstance(v, str) and v:
                sharers = holders.get(v, [])
                for p in sharers:
                    if p != mule_parties[m]:
                        links.setdefault(p, set()).add(int(m))
    cond_rows = np.flatnonzero(
        np.isin(dst, np.fromiter(tf_mules, np.int64, len(tf_mules)))
        & view.notna("conductor_party_id")
    )
    cond = tx[["conductor_party_id", "dst_account_key"]].iloc[cond_rows]
    for p, m in zip(cond["conductor_party_id"], cond["dst_account_key"], strict=True):
        if owner.get(int(m)) != p:
            links.setdefault(p, set()).add(int(m))
    rows = []
    # accounts of each controller, in the accounts' order
    by_owner: dict = {}
    controllers = [p for p in links if pd.notna(p)]
    held = owner.isin(controllers).to_numpy(dtype=bool)
    for a, p in zip(owner.index[held], owner.to_numpy()[held], strict=True):
        by_owner.setdefault(p, []).append(a)
    for p, linked in links.items():
        ms = linked & tf_mules
        if len(ms) < min_mules:
            continue
        ev = out[out["src_account_key"].isin(ms)]
        if ev["amount_base"].sum() < min_value:
            continue
        rules = sorted({ends[int(d)] for d in ev["dst_account_key"]})
        for a in by_owner.get(p, []):
            if a in tf_mules:
                continue
            rows.append(
                {
                    "account_key": int(a),
                    "value": float(len(ms)),
                    "score": float(ramp(np.array([len(ms)]), min_mules, min_mules + 2)[0]),
                    "reason": f"controls {len(ms)} pass-through accounts that paid "
                    f"{ev['amount_base'].sum():,.0f} to {', '.join(rules)} "
                    "endpoints",
                    "evidence_txn_ids": list(ev["txn_id"])[:100],
                }
            )
        for d, g in ev.groupby("dst_account_key"):
            if g["src_account_key"].nunique() < 2 and g["amount_base"].sum() < min_value:
                continue  # a stray payment, not an endpoint of the scheme
            rows.append(
                {
                    "account_key": int(d),
                    "value": float(g["amount_base"].sum()),
                    "score": 0.6,
                    "reason": f"received {g['amount_base'].sum():,.0f} from "
                    f"{g['src_account_key'].nunique()} controlled "
                    f"pass-through account(s) ({ends[int(d)]} endpoint)",
                    "evidence_txn_ids": list(g["txn_id"])[:100],
                }
            )
    if not rows:
        return empty_result()
    return (
        pd.DataFrame(rows)
        .sort_values("score", ascending=False)
        .drop_duplicates("account_key")
        .reset_index(drop=True)
    )


_SURNAME = re.compile(r"(\S+)\s*$")


def relatives(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Whether the owners of two accounts are relatives: rows of (surname, address, phone) of
    each side; the same surname and the same address (household) or phone (family contact).
    A common surname alone is no kinship: in a diaspora community many unrelated people share
    it, and a friend's small payment would otherwise join the family."""
    known = src >= 0 if src.dtype.kind == "i" else pd.notna(src)  # int codes: -1 is missing
    same = (src == dst) & known
    return same[:, 0] & (same[:, 1] | same[:, 2])


def pooling_episodes(
    fam: pd.DataFrame, min_payers: int, window_days: int, min_share: float
) -> pd.DataFrame:
    """Per receiver of payments from relatives (``fam``: txn_id, src_account_key,
    dst_account_key, timestamp, amount_base): its pooling episode, the window of
    ``window_days`` days in which the most distinct relatives paid it (the most money among
    equals). Kept when >= ``min_payers`` relatives paid within it and it holds >= ``min_share``
    of all the money the receiver had from relatives in the period: a family pooling for a
    ransom is one episode, even if a relative also sent a small sum some other week; a
    household sharing rent every month is none. Columns n (relatives), first, last, ids.
    """
    win = np.timedelta64(window_days, "D")
    rows = []
    for dst, g in fam.sort_values("timestamp").groupby("dst_account_key", sort=False):
        if g["src_account_key"].nunique() < min_payers:
            continue
        ts = g["timestamp"].dt.tz_convert(None).to_numpy()
        src = g["src_account_key"].to_numpy()
        amt = g["amount_base"].to_numpy(dtype=float)
        starts = np.searchsorted(ts, ts - win, side="left")
        best = None
        for end, start in enumerate(starts):
            n = len(set(src[start : end + 1].tolist()))
            value = float(amt[start : end + 1].sum())
            if best is None or (n, value) > (best[0], best[1]):
                best = (n, value, int(start), end)
        n, value, start, end = best
        if n < min_payers or value < min_share * float(amt.sum()):
            continue
        rows.append(
            {
                "dst_account_key": dst,
                "n": n,
                "first": pd.Timestamp(ts[start], tz="UTC"),
                "last": pd.Timestamp(ts[end], tz="UTC"),
                "ids": list(g["txn_id"].to_numpy()[start : end + 1]),
            }
        )
    cols = ["n", "first", "last", "ids"]
    if not rows:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="dst_account_key"))
    return pd.DataFrame(rows).set_index("dst_account_key")[cols]


@indicator(
    "NX-01",
    "Ransom or purchase payments for captives via intermediaries",
    min_family=Param(3, int, min=2, max=50, help="family members paying in"),
    family_window_days=Param(14, int, min=1, max=90),
    min_pooled_share=Param(
        0.6,
        float,
        min=0.0,
        max=1.0,
        help="share of all the money from relatives that arrives in the pooling window",
    ),
    onward_days=Param(30, int, min=1, max=120),
    min_amount=Param(3000.0, float, min=0, help="least onward MSB/hawala payment"),
    channels=Param("msb_remittance,hawala,wire", str),
    geography_tag=Param("conflict_adjacent", str),
)
def ransom_intermediary(
    data: DetectionInput,
    min_family: int,
    family_window_days: int,
    min_pooled_share: float,
    onward_days: int,
    min_amount: float,
    channels: str,
    geography_tag: str,
) -> pd.DataFrame:
    """Intermediaries receiving large MSB/hawala payments from people who had just been paid
    by a family cluster (:func:`relatives` of the receiver) within
    one pooling window (:func:`pooling_episodes`); the onward payment follows the window.
    A relative's contribution is a transfer from their account or cash they deposited into
    the receiver's account (the deposit's ``conductor_party_id``): families without bank
    accounts pool in cash."""
    tx = data.transactions
    view = data.arrays
    acc = data.accounts[["account_key", "owner_party_id", "country"]]
    par = data.parties[["party_id", "name", "address", "phone"]].drop_duplicates("party_id")
    par["surname"] = par["name"].str.extract(_SURNAME, expand=False).str.casefold()
    # (surname, address, phone) of each party as int32 codes (-1: missing), with a last row of
    # -1 for unknown parties; an account's are its owner's
    pkin = np.full((len(par) + 1, 3), -1, dtype=np.int32)
    for j, col in enumerate(["surname", "address", "phone"]):
        pkin[:-1, j] = pd.factorize(par[col], use_na_sentinel=True)[0]
    pkeys = pd.Index(par["party_id"])
    kin = pkin[pkeys.get_indexer(acc["owner_party_id"])]
    kin = np.vstack([kin, np.full((1, 3), -1, dtype=np.int32)])
    keys = pd.Index(acc["account_key"])
    src, dst = view.src, view.dst
    e = src != dst
    fam_mask = e & relatives(kin[keys.get_indexer(src)], kin[keys.get_indexer(dst)])
    cols = ["txn_id", "src_account_key", "dst_account_key", "timestamp", "amount_base"]
    fam = tx[cols].iloc[np.flatnonzero(fam_mask)]
    # cash a relative deposited into the receiver's account: the relative (a negative key per
    # depositing party, so that distinct relatives are counted) paid the receiver
    dep = np.flatnonzero(view.equals("channel", "cash_deposit") & view.notna("conductor_party_id"))
    if len(dep):
        who = pkeys.get_indexer(view.values_at("conductor_party_id", dep))
        at = keys.get_indexer(dst[dep])
        owner = pkeys.get_indexer(acc["owner_party_id"].to_numpy()[np.maximum(at, 0)])
        kin_dep = relatives(pkin[who], kin[at]) & (who >= 0) & (at >= 0) & (who != owner)
        if kin_dep.any():
            cash = tx[cols].iloc[dep[kin_dep]].assign(src_account_key=-1 - who[kin_dep])
            fam = pd.concat([fam, cash], ignore_index=True) if len(fam) else cash
    if fam.empty:
        return empty_result()
    fam_n = pooling_episodes(fam, min_family - 1, family_window_days, min_pooled_share)
    if fam_n.empty:
        return empty_result()
    chans = [c.strip() for c in channels.split(",")]
    geo = _conflict_accounts(data, geography_tag)
    sel = (
        e
        & np.isin(src, fam_n.index.to_numpy(np.int64))
        & view.isin("channel", chans)
        & (view.amount >= min_amount)
    )
    onward = tx.iloc[np.flatnonzero(sel)]
    onward = onward.merge(fam_n[["last", "ids", "n"]], left_on="src_account_key", right_index=True)
    onward = onward[
        (onward["timestamp"] >= onward["last"])
        & (onward["timestamp"] - onward["last"] <= pd.Timedelta(days=onward_days))
    ]
    # the intermediary is unrelated to the family and sits in (or next to) a risk geography
    od = kin[keys.get_indexer(onward["dst_account_key"].to_numpy(np.int64))]
    osrc = kin[keys.get_indexer(onward["src_account_key"].to_numpy(np.int64))]
    unrelated = ~((od == osrc) & (od >= 0)).any(axis=1)
    onward = onward[unrelated]
    if onward.empty:
        return empty_result()
    onward = onward.assign(
        in_geo=onward["dst_account_key"].isin(geo)
        | onward["dst_country"].isin(countries_with(geography_tag, data.reference.get("countries")))
    )
    rows = []
    for inter, g in onward.groupby("dst_account_key"):
        families = g["src_account_key"].nunique()
        geo_hit = bool(g["in_geo"].any())
        value = float(families) + (0.5 if geo_hit else 0.0)
        ev = list(dict.fromkeys([*g["txn_id"], *[i for ids in g["ids"] for i in ids]]))
        rows.append(
            {
                "account_key": int(inter),
                "value": value,
                "score": min(1.0, 0.45 + 0.25 * families + (0.15 if geo_hit else 0.0)),
                "reason": f"{len(g)} payment(s) of {g['amount_base'].sum():,.0f} from {families} "
                f"relative(s) paid by family clusters of {int(g['n'].max()) + 1}+"
                + (" into a conflict-adjacent jurisdiction" if geo_hit else ""),
                "evidence_txn_ids": ev[:100],
            }
        )
    return pd.DataFrame(rows)


@indicator(
    "NX-02",
    "Crowdfunded payments to extract persons from camps or captivity",
    destinations=Param(
        "SY,TR,IQ",
        str,
        help="countries of the camps and of their brokers (a parameter, per jurisdiction profile)",
    ),
    min_payments=Param(2, int, min=1, max=50, help="recurring: payments to the destinations"),
    min_amount=Param(500.0, float, min=0),
)
def camp_extraction(
    data: DetectionInput, destinations: str, min_payments: int, min_amount: float
) -> pd.DataFrame:
    """Collectors of crowdfunded donations (TF-04) that pay, recurrently, into the countries of
    camps where captives are held and of the brokers who "buy them out" (BGH-23)."""
    collectors = _fired(data, "TF-04")
    if not collectors:
        return empty_result()
    dest = [c.strip().upper() for c in destinations.split(",") if c.strip()]
    view = data.arrays
    src, dst = view.src, view.dst
    rows = np.flatnonzero(
        np.isin(src, np.fromiter(collectors, np.int64))
        & view.isin("dst_country", dest)
        & (view.amount >= min_amount)
        & (src != dst)
    )
    cols = ["src_account_key", "dst_country", "amount_base", "txn_id"]
    out = data.transactions[cols].iloc[rows]
    g = out.groupby("src_account_key")
    n = g.size()
    n = n[n >= min_payments]
    if n.empty:
        return empty_result()
    total = g["amount_base"].sum()[n.index]
    countries = g["dst_country"].agg(lambda s: ",".join(sorted(set(s))))[n.index]
    ids = g["txn_id"].agg(list)[n.index]
    return pd.DataFrame(
        {
            "account_key": n.index.to_numpy(np.int64),
            "value": n.to_numpy(float),
            "score": np.minimum(1.0, 0.7 + 0.15 * (n.to_numpy() - min_payments)),
            "reason": [
                f"crowdfunded collector paid {t:,.0f} in {k} payment(s) to {c}"
                for t, k, c in zip(total, n, countries, strict=True)
            ],
            "evidence_txn_ids": list(ids),
        }
    )
