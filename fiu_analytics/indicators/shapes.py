"""Layering shapes over transfers: scatter-gather, gather-scatter, dense bipartite blocks and
stacks of relays (the AMLworld patterns of Altman et al. 2023).

All four work on *one-off relations*: transfers of at least ``min_amount`` between two accounts
that deal with each other at most ``max_pair_txns`` times in the period, all within
:data:`ONE_OFF_SPAN_DAYS` days. Salaries, rent, bills and a friend's repayments recur every
month and never make such a pair; money moved once through recruited accounts does. Accounts
with more than ``max_degree`` distinct counterparties (employers, landlords, utilities, busy
payment hubs) are skipped, so that the two-hop join of scatter-gather costs at most
``max_degree`` times the number of edges and components stay small; each reason says how many.

A *relay episode* of an account is the best split time ``p`` (one of its outgoing transfers)
such that money came in from several one-off senders in ``[p - gather, p)``, went out to
one-off receivers in ``[p, p + scatter]``, little came in while it went out, and about as much
left as arrived. Gather-scatter hubs and the relay layers of a stack have one; a merchant,
a landlord or a salaried person does not. Episodes are computed for every account at once with
sorted searches (:func:`~fiu_analytics.indicators._flows.window_stats`), no loop over accounts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fiu_analytics.indicators._flows import (
    DAY,
    HOUR,
    hubs,
    money,
    result_frame,
    transfer_edges,
    txn_ids,
    window_stats,
)
from fiu_analytics.indicators.base import (
    DetectionInput,
    Param,
    empty_result,
    get_indicator,
    indicator,
    ramp,
)
from fiu_analytics.indicators.passthrough import money_movements

ONE_OFF_SPAN_DAYS = 14
"""A one-off relation's transfers all fall within this many days (monthly rent or salary over
a short period is still a recurring relation, not a one-off)."""


def one_off_edges(
    data: DetectionInput, min_amount: float, max_pair_txns: int, max_degree: int
) -> pd.DataFrame:
    """Transfers of one-off relations between accounts that are not hubs (columns s, d, t, a,
    row, pc, first: whether it is the pair's first transfer)."""
    key = ("one_off_edges", float(min_amount), int(max_pair_txns), int(max_degree))
    if key in data.cache:
        return data.cache[key]
    e = transfer_edges(data, min_amount)
    skipped = hubs(data, max_degree, min_amount)
    e = e[
        (e["pc"] <= max_pair_txns)
        & (e["span"] <= ONE_OFF_SPAN_DAYS * DAY)
        & ~e["s"].isin(skipped)
        & ~e["d"].isin(skipped)
    ]
    e = e.assign(first=~e.duplicated(["s", "d"]).to_numpy()).reset_index(drop=True)
    data.cache[key] = e
    return e


def relay_episodes(
    data: DetectionInput,
    min_amount: float,
    max_pair_txns: int,
    max_degree: int,
    gather_days: float,
    scatter_days: float,
    band: tuple[float, float, float] | None = None,
) -> pd.DataFrame:
    """Per account with outgoing one-off transfers, its best relay episode.

    Columns: ``account_key``, ``p`` (split time), ``k_in`` / ``k_out`` (distinct one-off
    senders before / receivers after), ``sum_in`` / ``sum_out``, ``ratio`` (out / in),
    ``during`` / ``during_sum`` (transfers received while paying out). Best: most
    ``min(k_in, k_out)``, then ratio closest to 1, then earliest. With ``band = (lo, hi,
    max_during)`` only split points whose episode is a relay (see :func:`_relay_set`) compete:
    a split at an ordinary payment a few days before the scatter, which counts more receivers
    but also some of the senders' late payments as arriving meanwhile, no longer hides the
    split at the scatter itself."""
    key = (
        "relay_episodes",
        min_amount,
        max_pair_txns,
        max_degree,
        gather_days,
        scatter_days,
        band,
    )
    if key in data.cache:
        return data.cache[key]
    e = one_off_edges(data, min_amount, max_pair_txns, max_degree)
    g_s, s_s = int(gather_days * DAY), int(scatter_days * DAY) + 1
    src, dst, t = e["s"].to_numpy(), e["d"].to_numpy(), e["t"].to_numpy()
    amt, first = e["a"].to_numpy(), e["first"].to_numpy().astype(float)
    # distinct counterparties: each pair's first transfer weighs 1, later ones 0
    _, k_in = window_stats(src, t, dst, t, -g_s, 0, first)
    _, sum_in = window_stats(src, t, dst, t, -g_s, 0, amt)
    _, k_out = window_stats(src, t, src, t, 0, s_s, first)
    _, sum_out = window_stats(src, t, src, t, 0, s_s, amt)
    during, during_sum = window_stats(src, t, dst, t, 0, s_s, amt)
    ep = pd.DataFrame(
        {
            "account_key": src,
            "p": t,
            "k_in": k_in.astype(np.int64),
            "k_out": k_out.astype(np.int64),
            "sum_in": sum_in,
            "sum_out": sum_out,
            "during": during,
            "during_sum": during_sum,
        }
    )
    ep = ep[ep["k_in"] > 0]
    ep["ratio"] = ep["sum_out"] / ep["sum_in"]
    if band is not None:
        ep = _relay_set(ep, 1, 1, *band)
    ep["k"] = np.minimum(ep["k_in"], ep["k_out"])
    ep["off"] = (np.log(ep["ratio"].clip(lower=1e-9))).abs()
    ep = (
        ep.sort_values(["account_key", "k", "off", "p"], ascending=[True, False, True, True])
        .drop_duplicates("account_key")
        .reset_index(drop=True)
    )
    data.cache[key] = ep
    return ep


def episode_rows(
    data: DetectionInput, e: pd.DataFrame, ep: pd.DataFrame, gather_days: float, scatter_days: float
) -> pd.DataFrame:
    """The transfers of each episode: inflows in ``[p - gather, p)`` and outflows in
    ``[p, p + scatter]``; columns account_key, s, d, t, a, row, direction (+1 in, -1 out)."""
    g_s, s_s = int(gather_days * DAY), int(scatter_days * DAY)
    piv = ep[["account_key", "p"]]
    inn = e.merge(piv, left_on="d", right_on="account_key")
    inn = inn[(inn["t"] >= inn["p"] - g_s) & (inn["t"] < inn["p"])].assign(direction=1)
    out = e.merge(piv, left_on="s", right_on="account_key")
    out = out[(out["t"] >= out["p"]) & (out["t"] <= out["p"] + s_s)].assign(direction=-1)
    cols = ["account_key", "s", "d", "t", "a", "row", "direction"]
    return pd.concat([inn[cols], out[cols]], ignore_index=True)


def _relay_set(
    ep: pd.DataFrame, min_in: int, min_out: int, lo: float, hi: float, max_during: float
) -> pd.DataFrame:
    """Episodes with enough senders and receivers, paying out ``lo``..``hi`` of what came in,
    and receiving at most ``max_during`` of that meanwhile (its ordinary life goes on)."""
    return ep[
        (ep["k_in"] >= min_in)
        & (ep["k_out"] >= min_out)
        & ep["ratio"].between(lo, hi)
        & (ep["during_sum"] <= max_during * ep["sum_in"])
    ]


def _caps(min_amount: float, max_pair_txns: int, max_degree: int, n_hubs: int) -> str:
    return (
        f"one-off transfers >= {money(min_amount)} (<= {max_pair_txns} per pair), {n_hubs} hubs "
        f"with > {max_degree} counterparties skipped"
    )


# -- scatter-gather --------------------------------------------------------------------------
def _scatter_gather_paths(
    data: DetectionInput,
    min_intermediaries: int,
    max_hop_days: int,
    window_days: int,
    amount_tolerance: float,
    min_amount: float,
    max_pair_txns: int,
    max_degree: int,
) -> list[tuple[int, int, int, pd.DataFrame]]:
    """``(source, sink, intermediaries, two-hop rows)`` of each scatter-gather (cached)."""
    key = (
        "scatter_gather",
        min_intermediaries,
        max_hop_days,
        window_days,
        amount_tolerance,
        min_amount,
        max_pair_txns,
        max_degree,
    )
    if key in data.cache:
        return data.cache[key]
    best: list[tuple[int, int, int, pd.DataFrame]] = []
    data.cache[key] = best
    e = one_off_edges(data, min_amount, max_pair_txns, max_degree)
    if e.empty:
        return best
    cols = ["s", "d", "t", "a", "row"]
    j = e[cols].merge(e[cols], left_on="d", right_on="s", suffixes=("1", "2"))
    j = j[
        (j["d2"] != j["s1"])
        & (j["t2"] > j["t1"])
        & (j["t2"] - j["t1"] <= max_hop_days * DAY)
        & (j["a2"] / j["a1"]).between(1.0 - amount_tolerance, 1.02)
    ]
    if j.empty:
        return best
    # per (source, sink): the most intermediaries whose first hops fit in one window
    j = j.sort_values(["s1", "d2", "t1"], ignore_index=True)
    grp = j.groupby(["s1", "d2"], sort=False).ngroup().to_numpy()
    t1 = j["t1"].to_numpy()
    span = int(t1.max() - t1.min()) + window_days * DAY + 1
    gkey = grp.astype(np.int64) * span + (t1 - t1.min())
    lo = np.searchsorted(gkey, gkey - window_days * DAY, side="left")
    j["lo"] = lo
    j["i"] = np.arange(len(j))
    mids = j["d1"].to_numpy()
    for (s, d), g in j.groupby(["s1", "d2"], sort=False):
        if g["d1"].nunique() < min_intermediaries:
            continue
        top, top_rows = 0, None
        for i, lo_i in zip(g["i"], g["lo"], strict=True):
            n = len(set(mids[lo_i : i + 1]))
            if n > top:
                top, top_rows = n, (lo_i, i)
        if top >= min_intermediaries:
            w = j.iloc[top_rows[0] : top_rows[1] + 1]
            best.append((s, d, top, w))
    return best


@indicator(
    "scatter_gather",
    "Scatter-gather: one source pays several intermediaries who all pass it to one sink",
    min_intermediaries=Param(3, int, min=2, help="distinct intermediaries"),
    max_hop_days=Param(7, int, min=1, max=60, help="second hop within this of the first"),
    window_days=Param(10, int, min=1, max=90, help="all first hops within this"),
    amount_tolerance=Param(0.1, float, min=0.0, max=0.9, help="forwarded amount within this"),
    min_amount=Param(300.0, float, min=0),
    max_pair_txns=Param(2, int, min=1, max=20),
    max_degree=Param(200, int, min=2),
)
def scatter_gather(
    data: DetectionInput,
    min_intermediaries: int,
    max_hop_days: int,
    window_days: int,
    amount_tolerance: float,
    min_amount: float,
    max_pair_txns: int,
    max_degree: int,
) -> pd.DataFrame:
    """Source and sink of >= ``min_intermediaries`` two-hop paths ``source -> m -> sink``,
    each m distinct, the second hop after the first (within ``max_hop_days``) and forwarding
    ``(1 - amount_tolerance)`` to 100% (plus 2%) of what m received, first hops within
    ``window_days``. Both ends are reported (value: intermediaries)."""
    best = _scatter_gather_paths(
        data,
        min_intermediaries,
        max_hop_days,
        window_days,
        amount_tolerance,
        min_amount,
        max_pair_txns,
        max_degree,
    )
    if not best:
        return empty_result()
    n_hubs = len(hubs(data, max_degree, min_amount))
    caps = _caps(min_amount, max_pair_txns, max_degree, n_hubs)
    rows: dict[int, tuple] = {}
    for s, d, n, w in best:
        ev = list(w["row1"]) + list(w["row2"])
        days = (w["t2"].max() - w["t1"].min()) / DAY
        for acct, role, other in ((s, "source", d), (d, "sink", s)):
            if acct not in rows or rows[acct][0] < n:
                rows[acct] = (n, role, other, w["a1"].sum(), w["a2"].sum(), days, ev)
    keys = sorted(rows)
    return result_frame(
        keys,
        [rows[k][0] for k in keys],
        [float(ramp(rows[k][0], min_intermediaries, min_intermediaries + 3)) for k in keys],
        [
            f"{rows[k][1]} of a scatter-gather through {rows[k][0]} intermediaries: "
            f"{money(rows[k][3])} out, {money(rows[k][4])} gathered in {rows[k][5]:.1f} days "
            f"(other end account {rows[k][2]}; {caps})"
            for k in keys
        ],
        [txn_ids(data, rows[k][6]) for k in keys],
    )


# -- gather-scatter --------------------------------------------------------------------------
def _exclusive_share(
    e: pd.DataFrame, rows: pd.DataFrame, ep: pd.DataFrame, g_s: int, s_s: int
) -> pd.Series:
    """Per hub: share of its episode counterparties that dealt (one-off) with no other account
    than the hub during the episode. A stack's relays share senders and receivers with their
    siblings; a gather-scatter hub's senders and receivers are its own."""
    win = ep[["account_key", "p"]]
    out = {}
    for direction, me, other in ((1, "s", "d"), (-1, "d", "s")):
        r = rows.loc[rows["direction"] == direction, ["account_key", me]].drop_duplicates()
        r = r.merge(win, on="account_key")
        x = r.merge(e[[me, other, "t"]], on=me)
        x = x[(x["t"] >= x["p"] - g_s) & (x["t"] <= x["p"] + s_s)]
        n = x.groupby(["account_key", me])[other].nunique()
        out[direction] = n
    both = pd.concat([out[1], out[-1]])
    hub = both.index.get_level_values(0)
    return pd.Series((both.to_numpy() == 1).astype(float), index=hub).groupby(level=0).mean()


@indicator(
    "gather_scatter",
    "Gather-scatter: many sources pay a hub, which then pays many sinks",
    min_sources=Param(4, int, min=2),
    min_sinks=Param(4, int, min=2),
    gather_days=Param(16, int, min=1, max=90),
    scatter_days=Param(12, int, min=1, max=90),
    min_ratio=Param(0.75, float, min=0.0, max=2.0, help="paid out / gathered, at least"),
    max_ratio=Param(1.05, float, min=0.5, max=5.0, help="paid out / gathered, at most"),
    min_exclusive=Param(0.5, float, min=0.0, max=1.0, help="share of own counterparties"),
    max_top_source=Param(
        0.8, float, min=0.0, max=1.0, help="share of the gathered money from its largest sender"
    ),
    min_amount=Param(200.0, float, min=0),
    max_pair_txns=Param(3, int, min=1, max=20),
    max_degree=Param(200, int, min=2),
)
def gather_scatter(
    data: DetectionInput,
    min_sources: int,
    min_sinks: int,
    gather_days: int,
    scatter_days: int,
    min_ratio: float,
    max_ratio: float,
    min_exclusive: float,
    max_top_source: float,
    min_amount: float,
    max_pair_txns: int,
    max_degree: int,
) -> pd.DataFrame:
    """Hubs whose relay episode gathers from >= ``min_sources`` one-off senders within
    ``gather_days``, then pays >= ``min_sinks`` one-off receivers within ``scatter_days``
    (receiving at most a fifth as much meanwhile: its ordinary life goes on), paying out
    ``min_ratio``..``max_ratio`` of what came in; and >= ``min_exclusive`` of those
    counterparties deal with nobody else in the episode (a stack layer shares them); and no
    sender brought more than ``max_top_source`` of the gathered money (one lump sum followed
    by a few customers' payments is a fan-out, not a gathering). Value: min(sources, sinks)."""
    band = (min_ratio, max_ratio, 0.2)
    ep = relay_episodes(
        data, min_amount, max_pair_txns, max_degree, gather_days, scatter_days, band
    )
    ep = _relay_set(ep, min_sources, min_sinks, *band)
    if ep.empty:
        return empty_result()
    e = one_off_edges(data, min_amount, max_pair_txns, max_degree)
    rows = episode_rows(data, e, ep, gather_days, scatter_days)
    excl = _exclusive_share(e, rows, ep, gather_days * DAY, scatter_days * DAY)
    ep = ep.assign(excl=excl.reindex(ep["account_key"]).fillna(0.0).to_numpy())
    inn = rows[rows["direction"] == 1].groupby(["account_key", "s"])["a"].sum()
    top = inn.groupby(level=0).max() / inn.groupby(level=0).sum()
    ep = ep.assign(top=top.reindex(ep["account_key"]).fillna(1.0).to_numpy())
    ep = ep[(ep["excl"] >= min_exclusive) & (ep["top"] <= max_top_source)]
    if ep.empty:
        return empty_result()
    ev = rows.groupby("account_key")["row"].apply(list)
    t_rng = rows.groupby(["account_key", "direction"])["t"].agg(["min", "max"])
    caps = _caps(min_amount, max_pair_txns, max_degree, len(hubs(data, max_degree, min_amount)))
    reasons = []
    for r in ep.itertuples(index=False):
        gin = (t_rng.loc[(r.account_key, 1), "max"] - t_rng.loc[(r.account_key, 1), "min"]) / DAY
        gout = (t_rng.loc[(r.account_key, -1), "max"] - r.p) / DAY
        reasons.append(
            f"gathered {money(r.sum_in)} from {r.k_in} senders over {gin:.1f} days, then paid "
            f"{money(r.sum_out)} ({r.ratio:.0%}) to {r.k_out} receivers over {gout:.1f} days; "
            f"{r.excl:.0%} of them deal with no one else ({caps})"
        )
    k = np.minimum(ep["k_in"], ep["k_out"]).to_numpy()
    low = min(min_sources, min_sinks)
    return result_frame(
        ep["account_key"].to_numpy(),
        k,
        ramp(k, low, low + 3),
        reasons,
        [txn_ids(data, ev.get(a, [])) for a in ep["account_key"]],
    )


# -- stack -----------------------------------------------------------------------------------
MIN_LINK_SHARE = 0.05
"""A link between two relays carries at least this share of what the paying relay sent on."""


@indicator(
    "stack",
    "Stack: layers of relays, each forwarding what it received to the next layer",
    min_relays=Param(4, int, min=2, help="relays in the connected stack"),
    min_links=Param(2, int, min=1, help="relay neighbours on one side"),
    gather_days=Param(12, int, min=1, max=60),
    scatter_days=Param(4, int, min=1, max=60),
    min_ratio=Param(0.85, float, min=0.0, max=2.0),
    max_ratio=Param(1.05, float, min=0.5, max=5.0),
    min_amount=Param(100.0, float, min=0),
    max_pair_txns=Param(2, int, min=1, max=20),
    max_degree=Param(200, int, min=2),
)
def stack(
    data: DetectionInput,
    min_relays: int,
    min_links: int,
    gather_days: int,
    scatter_days: int,
    min_ratio: float,
    max_ratio: float,
    min_amount: float,
    max_pair_txns: int,
    max_degree: int,
) -> pd.DataFrame:
    """Relays (>= 2 one-off senders, then one-off receivers, forwarding ``min_ratio`` ..
    ``max_ratio`` of it with little arriving meanwhile) that pay or are paid by >=
    ``min_links`` other relays, in a connected group of >= ``min_relays`` relays. A link is a
    transfer out of one relay's episode into the next one's, carrying at least
    :data:`MIN_LINK_SHARE` of what the payer sent on. Value: the size of that group."""
    band = (min_ratio, max_ratio, 0.2)
    ep = relay_episodes(
        data, min_amount, max_pair_txns, max_degree, gather_days, scatter_days, band
    )
    rel = _relay_set(ep, 2, 1, *band)
    if len(rel) < min_relays:
        return empty_result()
    e = one_off_edges(data, min_amount, max_pair_txns, max_degree)
    ids = rel["account_key"].to_numpy()
    links = e[e["s"].isin(ids) & e["d"].isin(ids)]
    # a link between relays is part of both episodes (out of one, into the other) and carries
    # a material share of the money (a relay's utility bill does not tie it to the utility)
    ep_s = rel.set_index("account_key")
    p_s = ep_s["p"].reindex(links["s"]).to_numpy()
    p_d = ep_s["p"].reindex(links["d"]).to_numpy()
    out_s = ep_s["sum_out"].reindex(links["s"]).to_numpy()
    t = links["t"].to_numpy()
    links = links[
        (t >= p_s)
        & (t <= p_s + scatter_days * DAY)
        & (t >= p_d - gather_days * DAY)
        & (t < p_d)
        & (links["a"].to_numpy() >= MIN_LINK_SHARE * out_s)
    ]
    if links.empty:
        return empty_result()
    pairs = links[["s", "d"]].drop_duplicates()
    n_succ = pairs.groupby("s").size()
    n_pred = pairs.groupby("d").size()
    keys, inv = np.unique(np.r_[pairs["s"].to_numpy(), pairs["d"].to_numpy()], return_inverse=True)
    m = len(pairs)
    graph = coo_matrix((np.ones(m), (inv[:m], inv[m:])), shape=(len(keys), len(keys)))
    _, comp = connected_components(graph, directed=False)
    size = np.bincount(comp)
    frame = pd.DataFrame({"account_key": keys, "comp": comp, "size": size[comp]})
    frame["succ"] = n_succ.reindex(keys).fillna(0).to_numpy(np.int64)
    frame["pred"] = n_pred.reindex(keys).fillna(0).to_numpy(np.int64)
    frame = frame[
        (frame["size"] >= min_relays) & (np.maximum(frame["succ"], frame["pred"]) >= min_links)
    ]
    if frame.empty:
        return empty_result()
    frame = frame.merge(rel, on="account_key")
    rows = episode_rows(data, e, frame, gather_days, scatter_days)
    ev = rows.groupby("account_key")["row"].apply(list)
    caps = _caps(min_amount, max_pair_txns, max_degree, len(hubs(data, max_degree, min_amount)))
    return result_frame(
        frame["account_key"].to_numpy(),
        frame["size"].to_numpy(),
        ramp(frame["size"].to_numpy(), min_relays, min_relays + 4),
        [
            f"relay in a stack of {r.size} relays: received {money(r.sum_in)} from {r.k_in} "
            f"senders and forwarded {r.ratio:.0%} to {r.k_out} receivers; pays {r.succ} and is "
            f"paid by {r.pred} other relays ({caps})"
            for r in frame.itertuples(index=False)
        ],
        [txn_ids(data, ev.get(a, [])) for a in frame["account_key"]],
    )


# -- bipartite -------------------------------------------------------------------------------
def _two_core(pairs: pd.DataFrame, min_links: int) -> pd.DataFrame:
    """Peel senders with fewer than ``min_links`` receivers and receivers with fewer than
    ``min_links`` senders (per window ``w``) until none is left to peel."""
    while not pairs.empty:
        n_out = pairs.groupby(["w", "s"])["d"].transform("size")
        n_in = pairs.groupby(["w", "d"])["s"].transform("size")
        keep = (n_out >= min_links) & (n_in >= min_links)
        if keep.all():
            break
        pairs = pairs[keep]
    return pairs


FUNDED_HOURS = 48
"""A sender's payment is *funded* when at least as much reached it in the hours before."""
MAX_BLOCK_NODES = 150
"""Components larger than this are not peeled (cost is quadratic in a component's size)."""
MAX_BLOCKS_PER_COMPONENT = 3


def _dense_block(
    src: np.ndarray, dst: np.ndarray, min_s: int, min_r: int, min_density: float
) -> tuple[list[int], list[int], float] | None:
    """Greedy peeling of a bipartite component: drop the account with the smallest share of
    the other side until the block is too small; keep the block seen with the most pairs times
    density (pairs^2 / (senders x receivers)) among those whose density reaches
    ``min_density``. Returns (senders, receivers, density) or None."""
    s_keys, s_i = np.unique(src, return_inverse=True)
    d_keys, d_i = np.unique(dst, return_inverse=True)
    adj = np.zeros((len(s_keys), len(d_keys)))
    adj[s_i, d_i] = 1.0
    alive_s = np.ones(len(s_keys), bool)
    alive_d = np.ones(len(d_keys), bool)
    best, best_value = None, 0.0
    while alive_s.sum() >= min_s and alive_d.sum() >= min_r:
        sub = adj[np.ix_(alive_s, alive_d)]
        ns, nd = sub.shape
        density = sub.sum() / (ns * nd)
        value = sub.sum() * density
        if density >= min_density and (best is None or value > best_value):
            best = (list(s_keys[alive_s]), list(d_keys[alive_d]), float(density))
            best_value = value
        if density >= 0.999:
            break
        row = sub.sum(axis=1) / nd
        col = sub.sum(axis=0) / ns
        if row.min() <= col.min():
            alive_s[np.flatnonzero(alive_s)[int(row.argmin())]] = False
        else:
            alive_d[np.flatnonzero(alive_d)[int(col.argmin())]] = False
    return best


@indicator(
    "bipartite",
    "Dense bipartite block: a set of senders each paying most of a set of receivers",
    min_senders=Param(3, int, min=2),
    min_receivers=Param(3, int, min=2),
    min_density=Param(0.5, float, min=0.0, max=1.0, help="paying pairs / (senders x receivers)"),
    window_days=Param(28, int, min=1, max=120, help="the block's transfers fit in this"),
    min_amount=Param(150.0, float, min=0),
    max_pair_txns=Param(2, int, min=1, max=20),
    max_degree=Param(200, int, min=2),
    min_concentration=Param(
        0.5, float, min=0.0, max=1.0, help="share of an account's one-off money in the window"
    ),
    min_cohesion=Param(
        0.6, float, min=0.0, max=1.0, help="block money / all one-off money of its members"
    ),
)
def bipartite(
    data: DetectionInput,
    min_senders: int,
    min_receivers: int,
    min_density: float,
    window_days: int,
    min_amount: float,
    max_pair_txns: int,
    max_degree: int,
    min_concentration: float,
    min_cohesion: float,
) -> pd.DataFrame:
    """Receivers in a block of >= ``min_senders`` x >= ``min_receivers`` accounts joined by
    one-off transfers within ``window_days`` (windows start every quarter window), each
    sender paying >= 2 receivers and each receiver paid by >= 2 senders, with density >=
    ``min_density``, whose members deal mostly with each other in that window. Accounts that
    forward the money on at once are relays of a stack (indicator ``stack``), and senders
    that mostly pay out what reached them in the previous :data:`FUNDED_HOURS` hours pass
    money through (mules); both are left out. Value: density."""
    e = one_off_edges(data, min_amount, max_pair_txns, max_degree)
    if e.empty:
        return empty_result()
    step = max(1, window_days // 4) * DAY
    w0 = (e["t"].to_numpy() - int(e["t"].min())) // step
    # senders that were paid just before they paid (money passing through them) are a layer
    # of something else (mules, relays), not the origin of a bipartite block
    mv = money_movements(data)
    inn = mv["inflow"].to_numpy()
    _, funded_by = window_stats(
        e["s"].to_numpy(),
        e["t"].to_numpy(),
        mv["acct"].to_numpy()[inn],
        mv["t"].to_numpy()[inn],
        -FUNDED_HOURS * HOUR,
        0,
        mv["a"].to_numpy()[inn],
    )
    funded = (funded_by >= e["a"].to_numpy()).astype(float)
    parts = []
    for k in range(max(1, window_days * DAY // step)):
        w = w0 - k
        t_start = int(e["t"].min()) + w * step
        ok = (w >= 0) & (e["t"].to_numpy() < t_start + window_days * DAY)
        parts.append(
            pd.DataFrame(
                {
                    "w": w[ok],
                    "s": e["s"].to_numpy()[ok],
                    "d": e["d"].to_numpy()[ok],
                    "a": e["a"].to_numpy()[ok],
                    "funded": funded[ok],
                }
            )
        )
    edges_w = pd.concat(parts)
    pairs = edges_w[["w", "s", "d"]].drop_duplicates()
    # both ends concentrate their one-off money in the window: a charity granting to partners
    # all year round, suppliers paid by many businesses, people paying gig workers now and
    # then do not (money-weighted, so a gig worker's many small payers do not hide a block)
    all_s = e.groupby("s")["a"].sum()
    all_d = e.groupby("d")["a"].sum()
    w_s = edges_w.groupby(["w", "s"])["a"].sum()
    w_d = edges_w.groupby(["w", "d"])["a"].sum()
    conc_s = (
        w_s.reindex(pd.MultiIndex.from_frame(pairs[["w", "s"]])).to_numpy()
        / all_s.reindex(pairs["s"]).to_numpy()
    )
    conc_d = (
        w_d.reindex(pd.MultiIndex.from_frame(pairs[["w", "d"]])).to_numpy()
        / all_d.reindex(pairs["d"]).to_numpy()
    )
    pairs = pairs[(conc_s >= min_concentration) & (conc_d >= min_concentration)]
    passing = edges_w.groupby(["w", "s"])["funded"].mean()
    passing = passing[passing >= 0.5]
    pairs = pairs[~pd.MultiIndex.from_frame(pairs[["w", "s"]]).isin(passing.index)]
    # relays pass the money straight on: they are the layers of a stack (indicator "stack")
    ep = relay_episodes(data, 100.0, 2, max_degree, 12, 4, (0.85, 1.05, 0.2))
    relays = _relay_set(ep, 2, 1, 0.85, 1.05, 0.2)["account_key"].to_numpy()
    pairs = _two_core(pairs[~pairs["s"].isin(relays) & ~pairs["d"].isin(relays)], 2)
    if pairs.empty:
        return empty_result()
    # components of the bipartite graph per window (sender and receiver nodes kept apart),
    # then the densest large-enough block of each by greedy peeling
    snode = pairs[["w", "s"]].drop_duplicates().reset_index(drop=True)
    dnode = pairs[["w", "d"]].drop_duplicates().reset_index(drop=True)
    si = pairs.merge(snode.reset_index(), on=["w", "s"], how="left")["index"].to_numpy()
    di = pairs.merge(dnode.reset_index(), on=["w", "d"], how="left")["index"].to_numpy()
    n = len(snode) + len(dnode)
    graph = coo_matrix((np.ones(len(si)), (si, di + len(snode))), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    pairs = pairs.assign(c=comp[si])
    found = []
    size = pairs.groupby("c").agg(n_s=("s", "nunique"), n_d=("d", "nunique"))
    size = size[(size["n_s"] >= min_senders) & (size["n_d"] >= min_receivers)]
    big = (size["n_s"] + size["n_d"]) > MAX_BLOCK_NODES
    skipped_big = int(big.sum())
    pairs = pairs[pairs["c"].isin(size.index[~big])]
    for c, g in pairs.groupby("c", sort=False):
        for _ in range(MAX_BLOCKS_PER_COMPONENT):
            blk = _dense_block(
                g["s"].to_numpy(), g["d"].to_numpy(), min_senders, min_receivers, min_density
            )
            if blk is None:
                break
            found.append((f"{c}.{len(found)}", int(g["w"].iloc[0]), *blk))
            g = g[~g["s"].isin(blk[0]) & ~g["d"].isin(blk[1])]
    if not found:
        return empty_result()
    # cohesion: the money of the block's pairs against all the one-off money its members moved
    # in the window; a dense corner of a large web of payments (a victim's many buyers) is not
    # a block, while a member's small side income (a gig worker's clients) does not break one
    kept = []
    windows = {f[1] for f in found}
    by_w = {w: g for w, g in edges_w.groupby("w") if w in windows}
    for f in found:
        g = by_w[f[1]]
        ins, ind = g["s"].isin(f[2]).to_numpy(), g["d"].isin(f[3]).to_numpy()
        amounts = g["a"].to_numpy()
        inner = amounts[ins & ind].sum()
        touching = amounts[ins | ind].sum()
        if inner >= min_cohesion * touching:
            kept.append(f)
    found = kept
    if not found:
        return empty_result()
    blocks = pd.DataFrame(found, columns=["c", "w", "S", "R", "density"]).set_index("c")
    blocks["n_s"] = blocks["S"].map(len)
    blocks["n_d"] = blocks["R"].map(len)
    blocks["size"] = blocks["n_s"] * blocks["n_d"]
    members = blocks.reset_index()[["c", "w", "R", "size", "density", "n_s", "n_d"]]
    members = members.explode("R").rename(columns={"R": "d"})
    members["d"] = members["d"].astype(np.int64)
    best = members.sort_values(["d", "size", "density"], ascending=[True, False, False])
    best = best.drop_duplicates("d").reset_index(drop=True)
    # evidence: the block's transfers in its window
    t_min = int(e["t"].min())
    e_s, e_d, e_t, e_row = (e[c].to_numpy() for c in ("s", "d", "t", "row"))
    per_block: dict[str, tuple[list[int], int, float, list[str]]] = {}
    lines = []
    for r in best.itertuples(index=False):
        if r.c not in per_block:  # every receiver of a block has the same evidence
            S, R = blocks.loc[r.c, "S"], blocks.loc[r.c, "R"]
            lo = t_min + r.w * step
            m = (e_t >= lo) & (e_t < lo + window_days * DAY)
            m[m] &= np.isin(e_s[m], S) & np.isin(e_d[m], R)
            xt = e_t[m]
            rows = list(e_row[m])
            days = (xt.max() - xt.min()) / DAY if len(xt) else 0
            per_block[r.c] = (rows, len(xt), days, txn_ids(data, rows))
        lines.append(per_block[r.c])
    caps = _caps(min_amount, max_pair_txns, max_degree, len(hubs(data, max_degree, min_amount)))
    if skipped_big:
        caps += f", {skipped_big} components over {MAX_BLOCK_NODES} accounts skipped"
    caps = _caps(min_amount, max_pair_txns, max_degree, len(hubs(data, max_degree, min_amount)))
    return result_frame(
        best["d"].to_numpy(),
        best["density"].to_numpy(),
        ramp(best["size"].to_numpy(), min_senders * min_receivers, 2 * min_senders * min_receivers),
        [
            f"receiver in a block of {r.n_s} senders x {r.n_d} receivers, {r.density:.0%} of "
            f"pairs paying ({ln[1]} transfers within {ln[2]:.1f} days; {caps})"
            for r, ln in zip(best.itertuples(index=False), lines, strict=True)
        ],
        [list(ln[3]) for ln in lines],
    )


def shape_roles(data: DetectionInput) -> dict[str, np.ndarray]:
    """Accounts that the more specific shapes explain, with their default parameters:
    ``gather_scatter_hub``, ``scatter_gather_source`` and ``scatter_gather_sink``. Used by
    the fan-in and fan-out bursts to leave these to their own typologies."""
    if "shape_roles" in data.cache:
        return data.cache["shape_roles"]
    gs = get_indicator("gather_scatter")(data)
    sg_params = get_indicator("scatter_gather").resolve({})
    paths = _scatter_gather_paths(data, **sg_params)
    roles = {
        "gather_scatter_hub": gs["account_key"].to_numpy(np.int64),
        "scatter_gather_source": np.array([p[0] for p in paths], dtype=np.int64),
        "scatter_gather_sink": np.array([p[1] for p in paths], dtype=np.int64),
    }
    data.cache["shape_roles"] = roles
    return roles
