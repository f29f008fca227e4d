"""Money-flow subgraphs: which accounts and payments they hold, caps, names, aggregation."""

from __future__ import annotations

import io

import networkx as nx
import pandas as pd
import pytest

from fiu_analytics.errors import ConfigError
from fiu_analytics.graph import (
    AGGREGATED_EDGE_COLUMNS,
    CASH_IN,
    CASH_IN_KEY,
    CASH_OUT,
    aggregated_edges,
    aggregated_flow_graph,
    money_flow_subgraph,
)
from tests.graph.sample_run import SampleRun

SUBJECT = 1
EVIDENCE = ["e1", "e2", "d1"]


@pytest.fixture()
def world() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Subject 1 is paid by 2 and 3 (evidence), pays 4 and 5, deposits and withdraws cash."""
    rows = [
        ("e1", "2025-01-02", 100.0, "wire", 2, 1),
        ("e2", "2025-01-03", 200.0, "wire", 3, 1),
        ("e3", "2025-01-09", 50.0, "wire", 3, 1),
        ("c1", "2025-01-04", 300.0, "wire", 1, 4),
        ("c2", "2025-01-05", 10.0, "wire", 1, 5),
        ("d1", "2025-01-01", 900.0, "cash_deposit", 1, 1),
        ("w1", "2025-01-06", 40.0, "cash_withdrawal", 1, 1),
        ("x1", "2025-01-07", 20.0, "wire", 4, 6),
        ("x2", "2025-01-08", 5.0, "wire", 2, 3),
        ("u1", "2025-01-08", 7.0, "wire", 7, 8),
    ]
    tx = pd.DataFrame(
        rows,
        columns=["txn_id", "timestamp", "amount", "channel", "src_account_key", "dst_account_key"],
    )
    tx["timestamp"] = pd.to_datetime(tx["timestamp"], utc=True)
    tx["amount_base"] = tx["amount"]
    tx["currency"] = "USD"
    tx = tx.sort_values("timestamp", ignore_index=True)
    accounts = pd.DataFrame(
        {
            "account_key": range(1, 9),
            "account_id": [f"BNK/{k}" for k in range(1, 9)],
            "owner_party_id": [f"P{k}" for k in range(1, 9)],
            "institution": "BNK",
            "country": "US",
            "account_type": "current",
        }
    )
    parties = pd.DataFrame(
        {"party_id": [f"P{k}" for k in range(1, 9)], "name": [f"Person {k}" for k in range(1, 9)]}
    )
    return tx, accounts, parties


def _graphml(g: nx.Graph) -> str:
    buf = io.BytesIO()
    nx.write_graphml(g, buf)
    return buf.getvalue().decode()


def test_subject_evidence_and_direct_counterparties(world) -> None:
    tx, accounts, _ = world
    g = money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE)
    assert set(g.nodes) == {"BNK/1", "BNK/2", "BNK/3", "BNK/4", "BNK/5"}
    # payments touching the subject, not the counterparties' own (x1, x2) nor strangers' (u1)
    assert {k for *_, k in g.edges(keys=True)} == {"e1", "e2", "e3", "c1", "c2", "d1", "w1"}
    assert g.nodes["BNK/1"]["is_subject"] and g.nodes["BNK/1"]["hop"] == 0
    assert g.nodes["BNK/2"]["is_evidence"] and not g.nodes["BNK/4"]["is_evidence"]
    assert g.nodes["BNK/1"]["owner_party_id"] == "P1"
    e2 = g.edges["BNK/3", "BNK/1", "e2"]
    assert (e2["amount"], e2["currency"], e2["channel"], e2["date"]) == (
        200.0,
        "USD",
        "wire",
        "2025-01-03",
    )
    assert e2["is_evidence"] and not g.edges["BNK/3", "BNK/1", "e3"]["is_evidence"]
    assert g.graph["truncated"] is False and g.graph["omitted_accounts"] == 0
    induced = money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE, induced=True)
    assert "x2" in {k for *_, k in induced.edges(keys=True)}


def test_caps_keep_every_evidence_account_and_say_what_was_left_out(world) -> None:
    tx, accounts, _ = world
    g = money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE, max_nodes=4)
    assert set(g.nodes) == {"BNK/1", "BNK/2", "BNK/3", "BNK/4"}  # 4 paid more than 5
    assert g.graph["truncated"] and g.graph["omitted_accounts"] == 1
    assert "left out" in g.graph["note"]
    tiny = money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE, max_nodes=2)
    assert {"BNK/1", "BNK/2", "BNK/3"} <= set(tiny.nodes)  # evidence beats the cap
    hub = money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE, hub_degree=1)
    assert "BNK/5" not in hub and hub.graph["capped_hubs"] == "BNK/1"
    assert "hub neighbourhoods capped at 1" in hub.graph["note"]


def test_second_hop_follows_counterparties_and_evidence_accounts(world) -> None:
    tx, accounts, _ = world
    g = money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE, hops=2)
    assert "BNK/6" in g and g.nodes["BNK/6"]["hop"] == 2
    assert {"x1", "x2"} <= {k for *_, k in g.edges(keys=True)}
    only_evidence = money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE, hops=0)
    assert {k for *_, k in only_evidence.edges(keys=True)} == set(EVIDENCE)


def test_names_only_when_asked(world) -> None:
    tx, accounts, parties = world
    plain = money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE, parties=parties)
    assert all("owner_name" not in d for _, d in plain.nodes(data=True))
    assert "Person" not in _graphml(aggregated_flow_graph(plain))
    named = money_flow_subgraph(
        tx, accounts, SUBJECT, EVIDENCE, parties=parties, include_names=True
    )
    assert named.nodes["BNK/2"]["owner_name"] == "Person 2"
    with pytest.raises(ConfigError, match="parties"):
        money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE, include_names=True)


@pytest.mark.parametrize(
    ("param", "value"), [("hops", -1), ("max_nodes", 1), ("hub_degree", 0), ("hops", 1.5)]
)
def test_bad_parameters_are_named(world, param: str, value: object) -> None:
    tx, accounts, _ = world
    with pytest.raises(ConfigError, match=f"'{param}'"):
        money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE, **{param: value})


def test_aggregated_graph_one_edge_per_pair_with_cash_split(world) -> None:
    tx, accounts, _ = world
    agg = aggregated_flow_graph(money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE))
    assert isinstance(agg, nx.DiGraph) and not agg.has_edge("BNK/1", "BNK/1")
    e = agg.edges["BNK/3", "BNK/1"]
    assert (e["total"], e["count"], e["first_date"], e["last_date"]) == (
        250.0,
        2,
        "2025-01-03",
        "2025-01-09",
    )
    assert (e["evidence_total"], e["evidence_count"], e["evidence_first_date"]) == (
        200.0,
        1,
        "2025-01-03",
    )
    assert agg.edges[CASH_IN, "BNK/1"]["total"] == 900.0
    assert agg.edges["BNK/1", CASH_OUT]["total"] == 40.0
    assert agg.nodes[CASH_IN]["kind"] == "cash"
    assert sum(d["evidence_total"] for *_, d in agg.edges(data=True)) == 1200.0
    assert nx.read_graphml(io.BytesIO(_graphml(agg).encode())).number_of_edges() == 6


def test_aggregated_edges_frame(world) -> None:
    tx, *_ = world
    edges = aggregated_edges(tx, EVIDENCE)
    assert list(edges.columns) == AGGREGATED_EDGE_COLUMNS
    assert edges["count"].sum() == len(tx)
    cash = edges[edges["src_account_key"] == CASH_IN_KEY]
    assert cash[["dst_account_key", "total", "evidence_count"]].values.tolist() == [[1, 900, 1]]
    loops = aggregated_edges(tx, split_cash=False)
    assert ((loops["src_account_key"] == 1) & (loops["dst_account_key"] == 1)).sum() == 1


def test_same_input_same_graphml(world) -> None:
    tx, accounts, _ = world
    a = _graphml(aggregated_flow_graph(money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE)))
    b = _graphml(aggregated_flow_graph(money_flow_subgraph(tx, accounts, SUBJECT, EVIDENCE)))
    assert a == b


def test_sample_alerts_subgraphs_hold_subject_and_all_evidence(sample: SampleRun) -> None:
    data = sample.data
    ids = data.accounts.set_index("account_key")["account_id"]
    for alert in sample.top_alerts().itertuples():
        g = money_flow_subgraph(
            data.transactions,
            data.accounts,
            alert.subject_account_key,
            alert.evidence_txn_ids,
            max_nodes=10,
        )
        subject = ids[alert.subject_account_key]
        assert g.graph["subject"] == subject and g.nodes[subject]["is_subject"]
        keys = {k for *_, k in g.edges(keys=True)}
        assert set(alert.evidence_txn_ids) <= keys
        evidence_edges = [d for *_, d in g.edges(data=True) if d["is_evidence"]]
        assert len(evidence_edges) == len(set(alert.evidence_txn_ids))
        if g.number_of_nodes() > 10:  # only evidence accounts may exceed the cap
            assert all(d["is_evidence"] or d["is_subject"] for _, d in g.nodes(data=True))
