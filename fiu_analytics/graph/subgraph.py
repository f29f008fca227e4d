"""Money-flow subgraphs around an alert's subject, and their aggregated form.

networkx only ever sees a candidate neighbourhood here (the subject, the accounts of the
evidence and a capped set of counterparties), never the whole store: selecting the rows is
columnar (numpy ``isin`` over the period's transactions), and only the selected rows become
Python objects.

Node ids are account ids (``institution/number`` or IBAN), the identifier an analyst and Gephi
show; owner names are left out unless asked for (``include_names=True``), so the graph file can
travel further than the store. Cash deposits and withdrawals are self-loops in the store
(src = dst); the aggregated graph shows them as edges from a ``CASH-IN`` node and to a
``CASH-OUT`` node, so that deposits and withdrawals are not summed into one loop.

Example::

    >>> g = money_flow_subgraph(data.transactions, data.accounts, 7, alert_evidence_ids)
    >>> agg = aggregated_flow_graph(g)      # one edge per payer -> beneficiary
    >>> agg.graph["truncated"], agg.edges["BNK02/1", "BNK04/9"]["total"]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from fiu_analytics.errors import ConfigError

CASH_IN_KEY = -1
"""Account key of the pseudo-account that cash deposits come from (aggregated edges)."""
CASH_OUT_KEY = -2
"""Account key of the pseudo-account that cash withdrawals go to (aggregated edges)."""
CASH_IN = "CASH-IN"
CASH_OUT = "CASH-OUT"
_CASH_NODES = {
    CASH_IN_KEY: (CASH_IN, "Cash deposits"),
    CASH_OUT_KEY: (CASH_OUT, "Cash withdrawals"),
}

AGGREGATED_EDGE_COLUMNS = [
    "src_account_key",
    "dst_account_key",
    "total",
    "count",
    "first_time",
    "last_time",
    "channels",
    "currencies",
    "evidence_count",
    "evidence_total",
    "evidence_first_time",
    "evidence_last_time",
]

_NODE_ATTRS = ("owner_party_id", "institution", "country", "account_type")


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"parameter '{name}' must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _clean(value: Any) -> Any:
    """A GraphML-safe attribute value (str, int, float, bool), or None to leave it out."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _attrs(**kwargs: Any) -> dict[str, Any]:
    out = {}
    for k, v in kwargs.items():
        c = _clean(v)
        if c is not None:
            out[k] = c
    return out


def _counterparty_totals(
    src: np.ndarray, dst: np.ndarray, amount: np.ndarray, frontier: np.ndarray
) -> pd.DataFrame:
    """(frontier account, other account) pairs with their total amount, both directions."""
    out_rows = np.isin(src, frontier)
    in_rows = np.isin(dst, frontier)
    pairs = pd.DataFrame(
        {
            "f": np.r_[src[out_rows], dst[in_rows]],
            "o": np.r_[dst[out_rows], src[in_rows]],
            "amount": np.r_[amount[out_rows], amount[in_rows]],
        }
    )
    pairs = pairs[pairs["f"] != pairs["o"]]
    return pairs.groupby(["f", "o"], as_index=False, sort=True)["amount"].sum()


def money_flow_subgraph(
    transactions: pd.DataFrame,
    accounts: pd.DataFrame,
    subject_key: int,
    evidence_txn_ids: Iterable[str],
    hops: int = 1,
    max_nodes: int = 60,
    *,
    parties: pd.DataFrame | None = None,
    include_names: bool = False,
    hub_degree: int = 50,
    induced: bool = False,
) -> nx.MultiDiGraph:
    """The money flow around ``subject_key``: one node per account, one edge per transaction.

    Accounts: the subject, every account of the evidence transactions (always, whatever the
    cap), then counterparties up to ``hops`` steps from the subject, largest total amount first
    (ties by account key), until ``max_nodes`` accounts. A frontier account with more than
    ``hub_degree`` new counterparties is a hub: only its ``hub_degree`` largest are followed.
    Edges: the evidence transactions, plus every transaction of ``transactions`` (pass the
    period's transactions) between an account whose neighbourhood was followed (the subject
    for ``hops=1``) and another selected account; with ``induced=True`` every transaction
    between any two selected accounts (denser: counterparties paying each other).

    Node attributes: ``account_id``, ``account_key``, ``label``, ``owner_party_id``,
    ``institution``, ``country``, ``account_type``, ``is_subject``, ``is_evidence``, ``hop``
    (steps from the subject, -1 if not connected) and, with ``include_names``, ``owner_name``
    (needs ``parties``). Edge keys are transaction ids; edge attributes: ``txn_id``,
    ``timestamp``, ``date``, ``amount``, ``currency``, ``amount_base``, ``channel``,
    ``is_evidence`` and the countries where known. Graph attributes say what was left out:
    ``truncated``, ``omitted_accounts``, ``capped_hubs`` and a readable ``note``.
    """
    hops = _check_int("hops", hops, 0)
    max_nodes = _check_int("max_nodes", max_nodes, 2)
    hub_degree = _check_int("hub_degree", hub_degree, 1)
    if include_names and parties is None:
        raise ConfigError("include_names=True needs the parties table; got parties=None")
    subject_key = int(subject_key)
    evidence = list(dict.fromkeys(str(t) for t in evidence_txn_ids))

    tx = transactions
    src = tx["src_account_key"].to_numpy(dtype=np.int64)
    dst = tx["dst_account_key"].to_numpy(dtype=np.int64)
    amount = tx["amount_base"].to_numpy(dtype=np.float64)
    ev_mask = tx["txn_id"].isin(evidence).to_numpy(dtype=bool)
    found = set(tx["txn_id"].to_numpy()[ev_mask].tolist()) if ev_mask.any() else set()
    missing = [t for t in evidence if t not in found]

    nodes: dict[int, None] = {subject_key: None}
    for k in np.unique(np.r_[src[ev_mask], dst[ev_mask]]).tolist():
        nodes.setdefault(int(k), None)
    n_evidence_nodes = len(nodes)

    omitted: set[int] = set()
    capped: list[int] = []
    frontier = np.array([subject_key], dtype=np.int64)
    expanded: list[int] = []
    for _ in range(hops):
        if not len(frontier):
            break
        expanded.extend(frontier.tolist())
        pairs = _counterparty_totals(src, dst, amount, frontier)
        pairs = pairs[~pairs["o"].isin(expanded)]
        known = pairs["o"].isin(list(nodes))
        reached = set(pairs.loc[known, "o"].tolist())  # evidence accounts one step further
        pairs = pairs[~known].sort_values(["f", "amount", "o"], ascending=[True, False, True])
        rank = pairs.groupby("f").cumcount()
        over = pairs.loc[rank >= hub_degree]
        capped.extend(int(f) for f in over["f"].unique())
        omitted.update(int(o) for o in over["o"])
        kept = pairs.loc[rank < hub_degree]
        best = kept.groupby("o", as_index=False)["amount"].max()
        best = best.sort_values(["amount", "o"], ascending=[False, True])
        for o in best["o"].tolist():
            if len(nodes) >= max_nodes:
                omitted.add(int(o))
                continue
            nodes[int(o)] = None
            reached.add(int(o))
        omitted.difference_update(nodes)
        frontier = np.array(sorted(reached), dtype=np.int64)

    keys = np.fromiter(nodes, dtype=np.int64)
    src_in, dst_in = np.isin(src, keys), np.isin(dst, keys)
    if induced:
        edge_mask = src_in & dst_in
    else:
        done = np.asarray(expanded, dtype=np.int64)
        edge_mask = (np.isin(src, done) & dst_in) | (np.isin(dst, done) & src_in)
    rows = np.flatnonzero(edge_mask | ev_mask)

    info_of: dict[int, dict[str, Any]] = {}
    if len(accounts):
        acc = accounts[accounts["account_key"].isin(list(nodes))]
        info_of = {int(r["account_key"]): r for r in acc.to_dict("records")}
    names: dict[str, str] = {}
    if include_names and parties is not None and len(parties):
        owners = {r.get("owner_party_id") for r in info_of.values()}
        p = parties[parties["party_id"].isin([o for o in owners if isinstance(o, str)])]
        names = dict(zip(p["party_id"], p["name"], strict=True))
    ev_accounts = set(np.r_[src[ev_mask], dst[ev_mask]].tolist())
    node_id: dict[int, str] = {}
    g = nx.MultiDiGraph()
    for k in nodes:
        info = info_of.get(k)
        account_id = str(info["account_id"]) if info is not None else f"key:{k}"
        node_id[k] = account_id
        extra = {a: info.get(a) for a in _NODE_ATTRS} if info is not None else {}
        if include_names and info is not None:
            extra["owner_name"] = names.get(info.get("owner_party_id"))
        g.add_node(
            account_id,
            **_attrs(
                account_id=account_id,
                account_key=k,
                label=account_id,
                kind="account",
                is_subject=k == subject_key,
                is_evidence=k in ev_accounts,
                **extra,
            ),
        )

    sub = tx.iloc[rows]
    ts = pd.to_datetime(sub["timestamp"], utc=True)
    stamps = ts.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").tolist()
    cols = {
        c: sub[c].tolist() if c in sub.columns else [None] * len(sub)
        for c in ("txn_id", "amount", "currency", "channel", "src_country", "dst_country")
    }
    for i, r in enumerate(rows.tolist()):
        g.add_edge(
            node_id[int(src[r])],
            node_id[int(dst[r])],
            key=str(cols["txn_id"][i]),
            **_attrs(
                txn_id=cols["txn_id"][i],
                timestamp=stamps[i],
                date=stamps[i][:10],
                amount=cols["amount"][i],
                currency=cols["currency"][i],
                amount_base=amount[r],
                channel=cols["channel"][i],
                src_country=cols["src_country"][i],
                dst_country=cols["dst_country"][i],
                is_evidence=bool(ev_mask[r]),
            ),
        )

    hop = nx.single_source_shortest_path_length(g.to_undirected(as_view=True), node_id[subject_key])
    for n in node_id.values():
        g.nodes[n]["hop"] = int(hop.get(n, -1))

    capped_ids = [node_id.get(k, f"key:{k}") for k in sorted(set(capped))]
    truncated = bool(omitted or capped)
    note = (
        f"{len(nodes)} accounts: subject, {n_evidence_nodes - 1} from the evidence, "
        f"{len(nodes) - n_evidence_nodes} counterparties within {hops} hop(s)"
    )
    if omitted:
        note += f"; {len(omitted)} more counterparties left out (max_nodes={max_nodes}"
        note += f", hub_degree={hub_degree})" if capped else ")"
    if capped:
        note += f"; hub neighbourhoods capped at {hub_degree}: {', '.join(capped_ids)}"
    if missing:
        note += f"; {len(missing)} evidence transaction(s) not in the period's transactions"
    g.graph.update(
        subject=node_id[subject_key],
        subject_account_key=subject_key,
        hops=hops,
        max_nodes=max_nodes,
        hub_degree=hub_degree,
        induced=bool(induced),
        evidence_txn_count=len(evidence),
        missing_evidence_txn_count=len(missing),
        missing_evidence_txn_ids=";".join(missing),
        omitted_accounts=len(omitted),
        capped_hubs=";".join(capped_ids),
        truncated=truncated,
        note=note,
        names_included=bool(include_names),
    )
    return g


def aggregated_edges(
    transactions: pd.DataFrame,
    evidence_txn_ids: Iterable[str] = (),
    *,
    split_cash: bool = True,
) -> pd.DataFrame:
    """One row per payer -> beneficiary pair: total (base currency), count, first and last time.

    Columnar, so it also serves whole-store edge lists. With ``split_cash`` cash deposits
    (self-loops) come from :data:`CASH_IN_KEY` and withdrawals go to :data:`CASH_OUT_KEY`.
    ``evidence_count`` and ``evidence_total`` count the rows among ``evidence_txn_ids``.
    Columns: :data:`AGGREGATED_EDGE_COLUMNS`; sorted by payer, beneficiary.
    """
    if transactions.empty:
        return pd.DataFrame(columns=AGGREGATED_EDGE_COLUMNS)
    src = transactions["src_account_key"].to_numpy(dtype=np.int64).copy()
    dst = transactions["dst_account_key"].to_numpy(dtype=np.int64).copy()
    if split_cash:
        loop = src == dst
        channel = transactions["channel"].to_numpy()
        src[loop & (channel == "cash_deposit")] = CASH_IN_KEY
        dst[loop & (channel == "cash_withdrawal")] = CASH_OUT_KEY
    evidence = list(evidence_txn_ids)
    is_ev = transactions["txn_id"].isin(evidence).to_numpy(dtype=bool)
    amount = transactions["amount_base"].to_numpy(dtype=np.float64)
    ts = pd.to_datetime(transactions["timestamp"], utc=True, format="ISO8601")
    frame = pd.DataFrame(
        {
            "src_account_key": src,
            "dst_account_key": dst,
            "amount": amount,
            "ts": ts.to_numpy(),
            "ev_ts": ts.where(is_ev).to_numpy(),
            "channel": transactions["channel"].astype(str).to_numpy(),
            "currency": (
                transactions["currency"].astype(str).to_numpy()
                if "currency" in transactions.columns
                else np.full(len(amount), "")
            ),
            "ev": is_ev,
            "ev_amount": np.where(is_ev, amount, 0.0),
        }
    )
    grouped = frame.groupby(["src_account_key", "dst_account_key"], sort=True)
    out = grouped.agg(
        total=("amount", "sum"),
        count=("amount", "size"),
        first_time=("ts", "min"),
        last_time=("ts", "max"),
        evidence_count=("ev", "sum"),
        evidence_total=("ev_amount", "sum"),
        evidence_first_time=("ev_ts", "min"),
        evidence_last_time=("ev_ts", "max"),
    )
    out["channels"] = grouped["channel"].agg(lambda s: ";".join(sorted(set(s))))
    out["currencies"] = grouped["currency"].agg(lambda s: ";".join(sorted(set(s))))
    for c in ("first_time", "last_time", "evidence_first_time", "evidence_last_time"):
        out[c] = pd.to_datetime(out[c], utc=True)
    out["evidence_count"] = out["evidence_count"].astype(np.int64)
    out["total"] = out["total"].round(2)
    out["evidence_total"] = out["evidence_total"].round(2)
    return out.reset_index()[AGGREGATED_EDGE_COLUMNS]


def aggregated_flow_graph(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """The subgraph with one edge per payer -> beneficiary pair (the picture and GraphML form).

    Edge attributes: ``total`` (base currency), ``count``, ``first_date``, ``last_date``,
    ``first_time``, ``last_time`` (ISO), ``channels``, ``currencies``, ``evidence_count``,
    ``evidence_total``, ``evidence_first_date`` and ``evidence_last_date`` (when the edge
    carries evidence) and a short ``label``. Node and graph attributes are carried over; cash
    self-loops become edges from ``CASH-IN`` / to ``CASH-OUT`` (nodes of ``kind`` "cash").
    """
    key_of = {n: d.get("account_key") for n, d in graph.nodes(data=True)}
    id_of = {k: n for n, k in key_of.items()}
    rows = [
        (
            d.get("txn_id", k),
            key_of[u],
            key_of[v],
            d.get("amount_base", 0.0),
            d.get("timestamp"),
            d.get("channel", "other"),
            d.get("currency", ""),
            bool(d.get("is_evidence", False)),
        )
        for u, v, k, d in graph.edges(keys=True, data=True)
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "txn_id",
            "src_account_key",
            "dst_account_key",
            "amount_base",
            "timestamp",
            "channel",
            "currency",
            "is_evidence",
        ],
    )
    evidence = frame.loc[frame["is_evidence"], "txn_id"].tolist()
    edges = aggregated_edges(frame, evidence)

    agg = nx.DiGraph()
    agg.graph.update(graph.graph)
    agg.graph["aggregated"] = True
    agg.add_nodes_from(graph.nodes(data=True))
    for key in (CASH_IN_KEY, CASH_OUT_KEY):
        if key in set(edges["src_account_key"]) | set(edges["dst_account_key"]):
            node, label = _CASH_NODES[key]
            agg.add_node(node, kind="cash", label=label, account_key=key, is_subject=False)
            id_of[key] = node
    for e in edges.itertuples(index=False):
        first, last = e.first_time, e.last_time
        ev_first, ev_last = e.evidence_first_time, e.evidence_last_time
        has_ev = e.evidence_count > 0
        agg.add_edge(
            id_of[e.src_account_key],
            id_of[e.dst_account_key],
            **_attrs(
                total=float(e.total),
                count=int(e.count),
                first_date=f"{first:%Y-%m-%d}",
                last_date=f"{last:%Y-%m-%d}",
                first_time=first.isoformat(),
                last_time=last.isoformat(),
                channels=e.channels,
                currencies=e.currencies,
                evidence_count=int(e.evidence_count),
                evidence_total=float(e.evidence_total),
                evidence_first_date=f"{ev_first:%Y-%m-%d}" if has_ev else None,
                evidence_last_date=f"{ev_last:%Y-%m-%d}" if has_ev else None,
                label=f"{e.total:,.2f} ({e.count})",
            ),
        )
    return agg
