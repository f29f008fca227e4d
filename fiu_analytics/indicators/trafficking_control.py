"""Who controls whom: HT-12 identifiers (phone, address, device) shared among unrelated
parties, and HT-13 third-party control of accounts (one online-banking device for several
holders, or accounts forwarding most of what they receive to one common counterparty)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fiu_analytics.indicators.base import (
    DetectionInput,
    Param,
    empty_result,
    indicator,
    ramp,
)
from fiu_analytics.indicators.trafficking_common import (
    HOUR,
    TRANSFERS,
    Choice,
    account_parties,
    csv_list,
    group_evidence,
    result,
    txn_ids,
)


def _identifier_groups(data: DetectionInput, identifiers: list[str]) -> pd.DataFrame:
    """Accounts whose holders share any of ``identifiers`` with another party, with their
    group (connected component of the party-identifier graph). Columns: account_key, group,
    parties, unrelated (distinct families in the group), shared (identifier kinds).
    Computed once per input and identifier list."""
    key = "trafficking.groups." + ",".join(identifiers)
    if key not in data.cache:
        data.cache[key] = _build_identifier_groups(data, identifiers)
    return data.cache[key]


def _build_identifier_groups(data: DetectionInput, identifiers: list[str]) -> pd.DataFrame:
    ap = account_parties(data)
    par = ap.reset_index().dropna(subset=["party_id"]).drop_duplicates("party_id")
    if par.empty:
        return pd.DataFrame()
    party_idx = pd.Index(par["party_id"])
    edges_p, edges_v, kinds = [], [], []
    for col in identifiers:
        if col not in par.columns:
            continue
        v = par[col]
        ok = v.notna().to_numpy() & (v.astype(str).str.strip() != "").to_numpy()
        vals = col + "=" + v[ok].astype(str).str.strip().str.casefold()
        edges_p.append(party_idx.get_indexer(par["party_id"][ok]))
        edges_v.append(vals.to_numpy())
        kinds.append(np.full(ok.sum(), col, dtype=object))
    if not edges_p:
        return pd.DataFrame()
    ep, ev, ek = np.concatenate(edges_p), np.concatenate(edges_v), np.concatenate(kinds)
    vcodes, uniq = pd.factorize(ev)
    used = np.bincount(vcodes, minlength=len(uniq))
    shared = used[vcodes] >= 2
    if not shared.any():
        return pd.DataFrame()
    ep, vcodes, ek = ep[shared], vcodes[shared], ek[shared]
    n_p = len(party_idx)
    n = n_p + len(uniq)
    g = coo_matrix((np.ones(len(ep)), (ep, n_p + vcodes)), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    members = pd.DataFrame({"p": np.unique(ep)})
    members["group"] = comp[members["p"]]
    members["party_id"] = party_idx[members["p"]]
    members["family"] = par["family"].to_numpy()[members["p"]]
    stats = members.groupby("group").agg(
        parties=("party_id", "nunique"), unrelated=("family", "nunique")
    )
    kinds_by_group = (
        pd.DataFrame({"group": comp[ep], "kind": ek})
        .drop_duplicates()
        .groupby("group")["kind"]
        .agg(lambda s: ", ".join(sorted(s)))
    )
    members = members.join(stats, on="group").join(kinds_by_group.rename("shared"), on="group")
    acc = ap.reset_index()[["account_key", "party_id"]]
    return acc.merge(members[["party_id", "group", "parties", "unrelated", "shared"]])


@indicator(
    "HT-12",
    "Shared phone, address or device among unrelated parties",
    identifiers=Param("phone,address,device_id", str, help="party columns that link parties"),
    min_unrelated=Param(3, int, min=2, help="fewest unrelated holders in a linked group"),
    max_evidence=Param(50, int, min=1),
)
def shared_identifiers(
    data: DetectionInput, identifiers: str, min_unrelated: int, max_evidence: int
) -> pd.DataFrame:
    """Accounts whose holder belongs to a group of parties linked by shared identifiers
    (connected components of the party-identifier graph) with >= ``min_unrelated`` unrelated
    holders: different surnames, or entities. Evidence: payments within the group."""
    groups = _identifier_groups(data, csv_list(identifiers))
    if groups.empty:
        return empty_result()
    groups = groups[groups["unrelated"] >= min_unrelated]
    if groups.empty:
        return empty_result()
    ev = group_evidence(data, groups.set_index("account_key")["group"], max_evidence)
    return result(
        groups["account_key"],
        groups["unrelated"],
        ramp(groups["unrelated"].to_numpy(), min_unrelated, min_unrelated + 2),
        [
            f"holder shares {k} with {p - 1} other parties; {u} unrelated holders in the group"
            for k, p, u in zip(
                groups["shared"], groups["parties"], groups["unrelated"], strict=True
            )
        ],
        [ev.get(g, []) for g in groups["group"]],
    )


def _forwarding_hubs(
    data: DetectionInput,
    forward_share: float,
    forward_hours: float,
    min_inflow: float,
    min_sources: int,
    channels: str,
) -> pd.DataFrame:
    """Accounts to which >= ``min_sources`` accounts each forward >= ``forward_share`` of
    their inflows within ``forward_hours`` of receiving them. Columns: account_key, sources,
    share (median over sources), rows (positions of the forwarded payments).

    Forwarded share of an account A to a counterparty C: each inflow counts as forwarded up
    to what A paid out within ``forward_hours`` after it (capped by what A paid out after
    inflows at all), split over counterparties by their part of those payments.
    """
    v = data.arrays
    src, dst, amt = v.src, v.dst, v.amount
    ts = data.ts_seconds
    card = v.equals("channel", "card")
    deposit = v.equals("channel", "cash_deposit")
    inflow = ((src != dst) & ~card) | deposit
    outflow = (src != dst) & v.isin("channel", csv_list(channels))
    if not inflow.any() or not outflow.any():
        return pd.DataFrame()
    ins = pd.DataFrame({"a": dst[inflow], "x": amt[inflow]})
    per_in = ins.groupby("a")["x"].agg(["sum", "size"])
    busy = per_in.index[(per_in["sum"] >= min_inflow) & (per_in["size"] >= 3)].to_numpy()
    is_busy = pd.Index(busy)
    in_pos = np.flatnonzero(inflow & (is_busy.get_indexer(dst) >= 0))
    out_pos = np.flatnonzero(outflow & (is_busy.get_indexer(src) >= 0))
    if len(in_pos) == 0 or len(out_pos) == 0:
        return pd.DataFrame()
    h = round(forward_hours * HOUR)
    t0 = int(ts.min())
    span = int(ts.max()) - t0 + h + 1
    in_key = dst[in_pos].astype(np.int64) * span + (ts[in_pos] - t0)
    o_key = src[out_pos].astype(np.int64) * span + (ts[out_pos] - t0)
    io, oo = np.argsort(in_key, kind="stable"), np.argsort(o_key, kind="stable")
    in_pos, in_key, out_pos, o_key = in_pos[io], in_key[io], out_pos[oo], o_key[oo]
    # what each inflow could have funded: payments out within forward_hours after it
    csum = np.r_[0.0, np.cumsum(amt[out_pos])]
    after = csum[np.searchsorted(o_key, in_key + h, "right")]
    after = after - csum[np.searchsorted(o_key, in_key, "right")]
    funded = np.minimum(amt[in_pos], after)
    # payments out that follow an inflow within forward_hours
    lo = np.searchsorted(in_key, o_key - h, side="left")
    hi = np.searchsorted(in_key, o_key, side="right")
    follow = out_pos[hi > lo]
    if len(follow) == 0:
        return pd.DataFrame()
    f = pd.DataFrame({"a": src[follow], "c": dst[follow], "amt": amt[follow], "pos": follow})
    per = f.groupby(["a", "c"], as_index=False)["amt"].sum()
    out_a = per.groupby("a")["amt"].transform("sum")
    fund_a = pd.Series(funded).groupby(dst[in_pos]).sum().reindex(per["a"]).to_numpy()
    total_in = per_in["sum"].reindex(per["a"]).to_numpy()
    per["share"] = np.minimum(fund_a, out_a) * (per["amt"] / out_a) / total_in
    per = per[per["share"] >= forward_share]
    hubs = per.groupby("c").agg(sources=("a", "nunique"), share=("share", "median"))
    hubs = hubs[hubs["sources"] >= min_sources]
    if hubs.empty:
        return pd.DataFrame()
    ev = f.merge(per.loc[per["c"].isin(hubs.index), ["a", "c"]], on=["a", "c"])
    hubs["rows"] = ev.groupby("c")["pos"].agg(list).reindex(hubs.index)
    return hubs.rename_axis("account_key").reset_index()


@indicator(
    "HT-13",
    "Third-party control of other people's accounts",
    mode=Choice("both", str, choices=("both", "device", "forwarding")),
    min_holders=Param(3, int, min=2, help="device: fewest unrelated holders on one device"),
    forward_share=Param(0.8, float, min=0, max=1, help="share of inflows forwarded"),
    forward_hours=Param(48.0, float, min=1, max=24 * 30),
    min_inflow=Param(500.0, float, min=0, help="ignore accounts receiving less overall"),
    min_sources=Param(2, int, min=1, help="forwarding: accounts forwarding to one hub"),
    channels=Param(TRANSFERS, str, help="channels of the forwarding payments"),
    max_evidence=Param(50, int, min=1),
)
def third_party_control(
    data: DetectionInput,
    mode: str,
    min_holders: int,
    forward_share: float,
    forward_hours: float,
    min_inflow: float,
    min_sources: int,
    channels: str,
    max_evidence: int,
) -> pd.DataFrame:
    """Accounts run by someone else: one online-banking device used by >= ``min_holders``
    unrelated holders (reported on each of their accounts), or >= ``min_sources`` accounts
    that each forward >= ``forward_share`` of what they receive within ``forward_hours`` to
    one common counterparty (reported on that counterparty)."""
    parts = []
    if mode in ("both", "device"):
        dev = _identifier_groups(data, ["device_id"])
        if not dev.empty:
            dev = dev[dev["unrelated"] >= min_holders]
        if not dev.empty:
            ev = group_evidence(data, dev.set_index("account_key")["group"], max_evidence)
            parts.append(
                pd.DataFrame(
                    {
                        "account_key": dev["account_key"].to_numpy(),
                        "value": dev["unrelated"].to_numpy(float),
                        "score": ramp(dev["unrelated"].to_numpy(), min_holders, min_holders + 2),
                        "reason": [
                            f"online-banking device shared by {u} unrelated holders"
                            for u in dev["unrelated"]
                        ],
                        "evidence_txn_ids": [ev.get(g, []) for g in dev["group"]],
                    }
                )
            )
    if mode in ("both", "forwarding"):
        hubs = _forwarding_hubs(
            data, forward_share, forward_hours, min_inflow, min_sources, channels
        )
        if not hubs.empty:
            parts.append(
                pd.DataFrame(
                    {
                        "account_key": hubs["account_key"].to_numpy(),
                        "value": hubs["sources"].to_numpy(float),
                        "score": ramp(hubs["sources"].to_numpy(), min_sources, min_sources + 2),
                        "reason": [
                            f"{n} accounts each forward {forward_share:.0%}+ of their inflows "
                            f"(median {s:.0%}) to it within {forward_hours:g} h"
                            for n, s in zip(hubs["sources"], hubs["share"], strict=True)
                        ],
                        "evidence_txn_ids": [txn_ids(data, r, max_evidence) for r in hubs["rows"]],
                    }
                )
            )
    if not parts:
        return empty_result()
    allp = pd.concat(parts, ignore_index=True)
    agg = allp.groupby("account_key").agg(
        value=("value", "max"),
        score=("score", "max"),
        reason=("reason", "; ".join),
        evidence_txn_ids=("evidence_txn_ids", lambda s: [x for e in s for x in e][:max_evidence]),
    )
    return result(
        agg.index.to_numpy(),
        agg["value"],
        agg["score"],
        list(agg["reason"]),
        list(agg["evidence_txn_ids"]),
    )
