"""Layout and case picture: money reads left to right, pictures are capped and reproducible."""

from __future__ import annotations

import io

import networkx as nx
import pytest
from PIL import Image

from fiu_analytics.errors import ConfigError
from fiu_analytics.graph import (
    MORE,
    aggregated_flow_graph,
    edge_caption,
    flow_layers,
    flow_layout,
    money_flow_picture,
    money_flow_subgraph,
    picture_graph,
)
from tests.graph.sample_run import SampleRun


def _flow(*edges: tuple[str, str, str, float]) -> nx.DiGraph:
    g = nx.DiGraph()
    for u, v, day, total in edges:
        g.add_edge(
            u,
            v,
            first_time=f"2025-01-{day}T00:00:00+00:00",
            first_date=f"2025-01-{day}",
            last_date=f"2025-01-{day}",
            total=total,
            count=1,
            evidence_total=0.0,
            evidence_count=0,
        )
    return g


def test_layers_follow_the_money_and_a_later_flow_back_does_not_flip_them() -> None:
    g = _flow(("a", "s", "01", 10), ("s", "b", "02", 5), ("b", "c", "03", 5), ("c", "s", "04", 1))
    assert flow_layers(g, "s") == {"a": 0, "s": 1, "b": 2, "c": 3}


def test_a_pure_payer_sits_next_to_the_account_it_pays() -> None:
    g = _flow(("a", "b", "01", 1), ("b", "c", "02", 1), ("x", "c", "03", 1))
    layers = flow_layers(g, "c")
    assert layers["x"] == layers["b"] == 1 and layers["c"] == 2


def test_rows_are_ordered_by_first_arrival() -> None:
    g = _flow(("p", "s", "05", 1), ("q", "s", "02", 1), ("r", "s", "09", 1))
    pos = flow_layout(g, "s")
    assert [n for n in sorted("pqr", key=lambda n: pos[n][1])] == ["q", "p", "r"]
    assert pos["s"] == (1, 0)


def test_picture_graph_combines_the_rest_and_keeps_their_totals() -> None:
    g = _flow(*[(f"p{i:02d}", "s", f"{i + 1:02d}", float(i + 1)) for i in range(12)])
    g.nodes["s"]["is_subject"] = True
    small = picture_graph(g, "s", max_nodes=5)
    assert small.number_of_nodes() == 5 and small.nodes[MORE]["hidden"] == 9
    assert small.edges[MORE, "s"]["count"] == 9
    assert sum(d["total"] for *_, d in small.edges(data=True)) == sum(range(1, 13))
    kept = {n for n in small if n not in (MORE, "s")}
    assert kept == {"p11", "p10", "p09"}  # largest flows first
    with pytest.raises(ConfigError, match="max_nodes"):
        picture_graph(g, "s", max_nodes=1)


def test_edge_caption_has_total_count_and_dates() -> None:
    d = {"total": 12345.6, "count": 3, "first_date": "2025-01-03", "last_date": "2025-02-20"}
    assert edge_caption(d) == "12,346 · 3× · 3 Jan 2025 → 20 Feb 2025"
    assert edge_caption(d, "USD", year="2025") == "12,346 USD · 3× · 3 Jan → 20 Feb"
    d |= {
        "evidence_count": 1,
        "evidence_total": 9000.0,
        "evidence_first_date": "2025-01-03",
        "evidence_last_date": "2025-01-03",
    }
    assert edge_caption(d, year="2025").splitlines()[1] == "evidence 9,000 · 1× · 3 Jan"


def test_sample_picture_is_a_reproducible_png_of_a_readable_size(sample: SampleRun) -> None:
    data = sample.data
    alert = sample.alerts.iloc[0]
    agg = aggregated_flow_graph(
        money_flow_subgraph(
            data.transactions, data.accounts, alert.subject_account_key, alert.evidence_txn_ids
        )
    )
    pngs = []
    for _ in range(2):
        buf = io.BytesIO()
        money_flow_picture(agg, title="t", subtitle="s", max_nodes=40).save_png(buf)
        pngs.append(buf.getvalue())
    assert pngs[0] == pngs[1]
    image = Image.open(io.BytesIO(pngs[0]))
    assert image.format == "PNG" and image.width >= 800 and image.height >= 500
    with pytest.raises(ConfigError, match="subject"):
        money_flow_picture(agg, subject="nobody")


def test_labels_that_find_no_room_are_left_out_and_counted() -> None:
    senders = [f"s{i}" for i in range(8)]
    g = _flow(*[(s, f"r{j}", f"{j + 1:02d}", 100.0 + j) for s in senders for j in range(8)])
    g.add_edge(
        "r0",
        "x",
        first_time="2025-01-20",
        first_date="2025-01-20",
        last_date="2025-01-20",
        total=1.0,
        count=1,
    )
    picture = money_flow_picture(g, "r0")
    labels = [t for t in picture.texts if t.background]
    assert picture.unlabelled > 0 and len(labels) + picture.unlabelled == g.number_of_edges()
    assert any("not labelled" in t.text for t in picture.texts)
    assert picture._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
