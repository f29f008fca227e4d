"""Graphs of accounts around candidates: money-flow subgraphs, aggregated edges, case pictures.

networkx works on candidate neighbourhoods and aggregated edges only, never on one object per
transaction of the whole store (see docs/architecture.md).

- :func:`money_flow_subgraph`: accounts and transactions around an alert's subject (capped).
- :func:`aggregated_flow_graph`: one edge per payer -> beneficiary (total, count, dates).
- :func:`aggregated_edges`: the same aggregation as a frame, columnar, for any transactions.
- :func:`flow_layout`: deterministic left-to-right columns around the subject.
- :func:`money_flow_picture`: the case picture (:class:`FlowPicture`, saved as PNG).
"""

from fiu_analytics.graph.layout import flow_layers, flow_layout
from fiu_analytics.graph.picture import (
    MORE,
    FlowPicture,
    edge_caption,
    money_flow_picture,
    picture_graph,
)
from fiu_analytics.graph.subgraph import (
    AGGREGATED_EDGE_COLUMNS,
    CASH_IN,
    CASH_IN_KEY,
    CASH_OUT,
    CASH_OUT_KEY,
    aggregated_edges,
    aggregated_flow_graph,
    money_flow_subgraph,
)

__all__ = [
    "AGGREGATED_EDGE_COLUMNS",
    "CASH_IN",
    "CASH_IN_KEY",
    "CASH_OUT",
    "CASH_OUT_KEY",
    "MORE",
    "FlowPicture",
    "aggregated_edges",
    "aggregated_flow_graph",
    "edge_caption",
    "flow_layers",
    "flow_layout",
    "money_flow_picture",
    "money_flow_subgraph",
    "picture_graph",
]
