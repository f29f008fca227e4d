"""A deterministic left-to-right layout of a money flow: earlier flows point rightwards.

Columns come from the order in which money moved: flows are taken earliest first, each one
kept as a left-to-right constraint unless it would close a cycle with flows already kept (a
later flow back is drawn right to left). Columns are then the longest chain of kept flows
leading to an account, with pure payers pulled right next to the first account they pay.
Within a column, accounts are ordered by the first time money reached them (top =
earliest). No randomness and no force simulation: the same graph always gives the same
picture.
"""

from __future__ import annotations

from collections.abc import Hashable

import networkx as nx

_NEVER = "9999"  # sorts after every ISO timestamp


def flow_layers(graph: nx.DiGraph, subject: Hashable | None = None) -> dict[Hashable, int]:
    """Column of every node, from 0 (left): money flows left to right, earliest flows first.

    ``subject``, if given, must be a node (it is not pinned: its column follows the flows).
    """
    if subject is not None and subject not in graph:
        raise KeyError(f"subject {subject!r} is not a node of the graph")
    flows = sorted(
        (str(d.get("first_time", _NEVER)), str(u), str(v), u, v)
        for u, v, d in graph.edges(data=True)
        if u != v
    )
    dag = nx.DiGraph()
    dag.add_nodes_from(sorted(graph.nodes, key=str))
    for *_, u, v in flows:
        if not nx.has_path(dag, v, u):
            dag.add_edge(u, v)
    layers: dict[Hashable, int] = {}
    for n in nx.lexicographical_topological_sort(dag, key=str):
        layers[n] = max((layers[p] + 1 for p in dag.predecessors(n)), default=0)
    for n in dag:
        if dag.in_degree(n) == 0 and dag.out_degree(n) > 0:
            layers[n] = min(layers[s] for s in dag.successors(n)) - 1
    lo = min(layers.values(), default=0)
    return {n: c - lo for n, c in layers.items()}


def arrival_time(graph: nx.DiGraph, node: Hashable) -> str:
    """First time money reached ``node`` (ISO), else the first time it paid out."""
    ins = [str(d.get("first_time", _NEVER)) for _, _, d in graph.in_edges(node, data=True)]
    if ins:
        return min(ins)
    outs = [str(d.get("first_time", _NEVER)) for _, _, d in graph.out_edges(node, data=True)]
    return min(outs, default=_NEVER)


def flow_layout(graph: nx.DiGraph, subject: Hashable) -> dict[Hashable, tuple[int, int]]:
    """``(column, row)`` of every node: columns from 0 (left), rows from 0 (top).

    Columns come from :func:`flow_layers` (empty columns are closed up); rows order a column
    by :func:`arrival_time`, then id. Nodes whose ``kind`` is "more" (a collapsed remainder)
    go to the bottom of their column.
    """
    layers = flow_layers(graph, subject)
    index = {c: i for i, c in enumerate(sorted(set(layers.values())))}
    columns: dict[int, list[Hashable]] = {}
    for n, c in layers.items():
        columns.setdefault(index[c], []).append(n)
    pos: dict[Hashable, tuple[int, int]] = {}
    for c, members in columns.items():
        members.sort(
            key=lambda n: (
                graph.nodes[n].get("kind") == "more",
                arrival_time(graph, n),
                str(n),
            )
        )
        for r, n in enumerate(members):
            pos[n] = (c, r)
    return pos
