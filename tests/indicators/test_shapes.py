"""Layering indicators on small hand-made fixtures with known answers: temporal cycles,
scatter-gather, gather-scatter, bipartite blocks, stacks, funnel (GEN-02), pass-through (GEN-03)
and mirrored flows, the fan bursts and the structuring peer comparisons.

Each fixture is a handful of transactions between integer account keys; times are given as
``(day, hour)`` offsets from 2025-01-01 so that the order of hops is explicit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fiu_analytics.indicators import INDICATORS, RESULT_COLUMNS, DetectionInput, get_indicator
from fiu_analytics.indicators._flows import forward_dwell, window_stats
from tests.ledger import LEDGER_COLUMNS, detection_input

T0 = pd.Timestamp("2025-01-01", tz="UTC")
RESULT = RESULT_COLUMNS


def _ts(day: float, hour: float = 10.0) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=day) + pd.Timedelta(hours=hour)


def _input(
    rows: list[tuple],
    accounts: pd.DataFrame | None = None,
    parties: pd.DataFrame | None = None,
) -> DetectionInput:
    """rows: (txn_id, (day, hour), amount, channel, src, dst[, city[, conductor]])."""
    recs = []
    for r in rows:
        tid, (day, hour), amount, channel, src, dst = r[:6]
        city = r[6] if len(r) > 6 else None
        cond = r[7] if len(r) > 7 else None
        recs.append((tid, _ts(day, hour), float(amount), channel, src, dst, city, cond))
    columns = [*LEDGER_COLUMNS, "city", "conductor_party_id"]
    return detection_input(recs, columns, accounts=accounts, parties=parties)


def _keys(frame: pd.DataFrame) -> list[int]:
    assert list(frame.columns) == RESULT
    assert frame["score"].between(0, 1).all()
    assert frame["reason"].map(lambda r: isinstance(r, str) and "\n" not in r).all()
    return sorted(int(k) for k in frame["account_key"])


# -- cycle -----------------------------------------------------------------------------------
def _ring(prefix: str, accounts: list[int], start_day: float, amount: float, gap_h: float):
    rows, t = [], start_day * 24.0
    for i, a in enumerate(accounts):
        b = accounts[(i + 1) % len(accounts)]
        rows.append((f"{prefix}{i}", (t // 24, t % 24), amount * (0.99**i), "wire", a, b))
        t += gap_h
    return rows


def test_cycle_finds_a_time_ordered_ring_of_similar_amounts() -> None:
    rows = _ring("r", [1, 2, 3, 4], 3, 8000, 20)  # 1 -> 2 -> 3 -> 4 -> 1, 20 h apart
    out = INDICATORS["cycle"](_input(rows))
    assert _keys(out) == [1, 2, 3, 4]
    assert (out["value"] == 1).all() and (out["score"] == 0.85).all()
    assert sorted(out.loc[0, "evidence_txn_ids"]) == ["r0", "r1", "r2", "r3"]
    assert "4 hops" in out.loc[0, "reason"] and "hubs" in out.loc[0, "reason"]


def test_a_ring_whose_hops_go_back_in_time_is_not_a_cycle() -> None:
    # 1 -> 2 on day 1, 2 -> 3 on day 3, 3 -> 1 on day 2: the static graph has a ring, but from
    # no starting point does each hop follow the previous one in time
    rows = [
        ("a", (1, 10), 8000, "wire", 1, 2),
        ("b", (3, 10), 7900, "wire", 2, 3),
        ("c", (2, 10), 7800, "wire", 3, 1),
    ]
    assert INDICATORS["cycle"](_input(rows)).empty
    # the same hops in forward order are a cycle
    rows[2] = ("c", (4, 10), 7800, "wire", 3, 1)
    assert _keys(INDICATORS["cycle"](_input(rows))) == [1, 2, 3]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"r1": 3000}, "amounts not similar"),
        ({"all": 300}, "below the materiality floor"),
    ],
)
def test_cycle_needs_similar_material_amounts(change: dict, why: str) -> None:
    rows = _ring("r", [1, 2, 3], 3, 8000, 20)
    rows = [(r[0], r[1], change.get(r[0], change.get("all", r[2])), *r[3:]) for r in rows]
    assert INDICATORS["cycle"](_input(rows)).empty, why


def test_cycle_hops_must_follow_within_the_hop_window() -> None:
    rows = _ring("r", [1, 2, 3], 3, 8000, 24 * 6)  # six days between hops
    assert INDICATORS["cycle"](_input(rows)).empty
    assert _keys(INDICATORS["cycle"](_input(rows), max_hop_hours=24 * 7)) == [1, 2, 3]


def test_friends_paying_each_other_back_small_sums_is_not_a_cycle() -> None:
    rows = [("a", (1, 10), 60, "mobile_money", 1, 2), ("b", (2, 10), 58, "mobile_money", 2, 1)]
    assert INDICATORS["cycle"](_input(rows)).empty
    two = INDICATORS["cycle"](_input(rows), min_amount=50.0)
    assert _keys(two) == [1, 2] and (two["score"] == 0.7).all()  # a 2-hop ring scores lower


# -- scatter-gather --------------------------------------------------------------------------
def _scatter_gather(mids: list[int], forward: float = 0.98, sink=None, late=False) -> list:
    rows = []
    for i, m in enumerate(mids):
        rows.append((f"s{i}", (2, 9 + i), 3000 + 100 * i, "wire", 1, m))
        hop = (1, 20) if late else (3, 9 + i)
        dst = sink[i] if sink else 99
        rows.append((f"g{i}", hop, (3000 + 100 * i) * forward, "wire", m, dst))
    return rows


def test_scatter_gather_reports_source_and_sink() -> None:
    out = INDICATORS["scatter_gather"](_input(_scatter_gather([11, 12, 13, 14])))
    assert _keys(out) == [1, 99]
    assert (out["value"] == 4).all()
    assert "source of a scatter-gather" in out.set_index("account_key").loc[1, "reason"]
    assert len(out.loc[0, "evidence_txn_ids"]) == 8


@pytest.mark.parametrize(
    "rows",
    [
        _scatter_gather([11, 12, 13], sink=[97, 98, 99]),  # every intermediary pays elsewhere
        _scatter_gather([11, 12, 13], late=True),  # the second hop comes before the first
        _scatter_gather([11, 12, 13], forward=0.5),  # half kept: not passed on
        _scatter_gather([11, 12]),  # only two intermediaries
    ],
)
def test_scatter_gather_negatives(rows: list) -> None:
    assert INDICATORS["scatter_gather"](_input(rows)).empty


# -- gather-scatter --------------------------------------------------------------------------
def _gather_scatter(ratio: float = 0.95, inflow_during: bool = False) -> list:
    rows = [(f"i{k}", (1 + k, 10), 2000, "wire", 100 + k, 50) for k in range(5)]
    rows += [(f"o{k}", (8 + k, 10), 2000 * ratio, "wire", 50, 200 + k) for k in range(5)]
    if inflow_during:
        rows += [(f"d{k}", (8 + k, 12), 2000, "wire", 300 + k, 50) for k in range(5)]
    return rows


def test_gather_scatter_finds_the_hub() -> None:
    out = INDICATORS["gather_scatter"](_input(_gather_scatter()))
    assert _keys(out) == [50]
    assert out.loc[0, "value"] == 5 and out.loc[0, "score"] > 0.5
    assert "gathered 10,000 from 5 senders" in out.loc[0, "reason"]
    assert len(out.loc[0, "evidence_txn_ids"]) == 10


def test_gather_scatter_negatives() -> None:
    # keeps most of the money
    assert INDICATORS["gather_scatter"](_input(_gather_scatter(ratio=0.4))).empty
    # money keeps arriving while it pays out: a business, not a hub's episode
    assert INDICATORS["gather_scatter"](_input(_gather_scatter(inflow_during=True))).empty


def test_a_lump_sum_then_many_payments_is_a_fan_out_not_a_gather_scatter() -> None:
    # 50 earns 250 from each of three customers, is paid 14,000 once and pays it on to nine
    # new people: four senders, but one of them brought 95% of the money
    rows = [(f"c{k}", (1 + k, 10), 250, "mobile_money", 100 + k, 50) for k in range(3)]
    rows += [("lump", (5, 10), 14000, "wire", 99, 50)]
    rows += [(f"o{k}", (7 + k // 3, 10), 1500, "wire", 50, 200 + k) for k in range(9)]
    data = _input(rows)
    assert INDICATORS["gather_scatter"](data).empty
    assert _keys(INDICATORS["gather_scatter"](data, max_top_source=1.0)) == [50]
    # so the fan-out burst no longer leaves it to the gather-scatter typology
    assert _keys(INDICATORS["fan_out_burst"](data, leave_to_shapes=True)) == [50]


# -- bipartite -------------------------------------------------------------------------------
def test_bipartite_block_receivers() -> None:
    senders, receivers = [1, 2, 3, 4], [11, 12, 13]
    rows = [
        (f"b{s}{r}", (2 + (s + r) % 5, 10), 900 + 10 * s + r, "wire", s, r)
        for s in senders
        for r in receivers
        if (s, r) != (4, 13)
    ]
    out = INDICATORS["bipartite"](_input(rows))
    assert _keys(out) == receivers
    assert out.loc[0, "value"] == pytest.approx(11 / 12)
    assert "4 senders x 3 receivers" in out.loc[0, "reason"]


def test_bipartite_sparse_payments_are_not_a_block() -> None:
    # a chain: each sender pays two receivers, but no dense block forms
    rows = [(f"c{i}", (2 + i, 10), 900, "wire", i, 10 + i) for i in range(1, 6)]
    rows += [(f"d{i}", (3 + i, 10), 900, "wire", i, 11 + i) for i in range(1, 6)]
    assert INDICATORS["bipartite"](_input(rows)).empty


# -- stack -----------------------------------------------------------------------------------
def _stack(keep: float = 0.0) -> list:
    rows = []
    layer1, layer2 = [11, 12, 13], [21, 22, 23]
    for i, s in enumerate([1, 2]):
        for j, r in enumerate(layer1):
            rows.append((f"a{i}{j}", (2, 9 + 2 * i + j), 1000, "wire", s, r))
    for j, r in enumerate(layer1):  # each relay forwards its 2,000 to the three next relays
        for k, n in enumerate(layer2):
            rows.append((f"b{j}{k}", (4, 9 + 3 * j + k), 2000 * (1 - keep) / 3, "wire", r, n))
    for k, n in enumerate(layer2):  # and they to two sinks
        for m, sink in enumerate([91, 92]):
            rows.append((f"c{k}{m}", (6, 9 + 2 * k + m), 2000 * (1 - keep) / 2, "wire", n, sink))
    return rows


def test_stack_reports_the_relays() -> None:
    out = INDICATORS["stack"](_input(_stack()))
    assert _keys(out) == [11, 12, 13, 21, 22, 23]
    assert (out["value"] == 6).all()
    assert "relay in a stack of 6 relays" in out.loc[0, "reason"]


def test_layers_that_keep_the_money_are_not_a_stack() -> None:
    assert INDICATORS["stack"](_input(_stack(keep=0.5))).empty


# -- GEN-02 funnel ---------------------------------------------------------------------------
def _funnel(
    cities=("Laredo", "Phoenix"), conductors=("P2", "P3"), outflow=True, home="Dallas"
) -> DetectionInput:
    rows = []
    for k in range(3):
        city, cond = cities[k % len(cities)], conductors[k % len(conductors)]
        rows.append((f"d{k}", (3, 9 + 3 * k), 4000, "cash_deposit", 7, 7, city, cond))
    if outflow:
        rows.append(("w0", (4, 15), 11500, "wire", 7, 70))
    rows.append(("own", (1, 10), 300, "cash_deposit", 7, 7, "Austin", None))  # own branch
    accounts = pd.DataFrame({"account_key": [7, 70], "owner_party_id": ["P1", "P9"]})
    parties = pd.DataFrame(
        {"party_id": ["P1", "P9"], "address": [f"1 Oak St, {home}, US", "2 Elm St, Tijuana, MX"]}
    )
    return _input(rows, accounts, parties)


def test_funnel_flags_third_party_cash_in_away_cities_moved_on() -> None:
    out = INDICATORS["GEN-02"](_funnel())
    assert _keys(out) == [7]
    assert out.loc[0, "value"] == 2
    assert "by 2 other people in 2 cities" in out.loc[0, "reason"]
    assert sorted(out.loc[0, "evidence_txn_ids"]) == ["d0", "d1", "d2"]


@pytest.mark.parametrize(
    "data",
    [
        _funnel(outflow=False),  # the cash stays
        _funnel(cities=("Laredo", "Dallas")),  # one of the two cities is the holder's home
        _funnel(conductors=("P2",)),  # one person carrying cash around is not a network
        _funnel(conductors=("P1", "P1")),  # the holder's own deposits
    ],
)
def test_funnel_negatives(data: DetectionInput) -> None:
    assert INDICATORS["GEN-02"](data).empty


# -- GEN-03 pass-through and mirrored flows --------------------------------------------------
def _mule(dwell_h: float = 5.0, forward: float = 0.97) -> list:
    rows = [("sal", (0, 9), 3000, "wire", 900, 5)]  # an ordinary salary that stays a while
    for k in range(8):
        day = 2 + 3 * k
        src = 101 + k % 3
        rows.append((f"in{k}", (day, 9), 2500 + 100 * k, "wire", src, 5))
        t = 9 + dwell_h
        rows.append((f"out{k}", (day + t // 24, t % 24), (2500 + 100 * k) * forward, "wire", 5, 77))
    return rows


def test_pass_through_and_mirrored_flows_on_a_mule() -> None:
    data = _input(_mule())
    gen03 = INDICATORS["GEN-03"](data)
    assert _keys(gen03) == [5]
    assert gen03.loc[0, "value"] == pytest.approx(5.0, abs=0.1)  # median dwell, hours
    assert "flow-through ratio" in gen03.loc[0, "reason"]
    mir = INDICATORS["mirrored_flows"](data)
    assert _keys(mir) == [5] and mir.loc[0, "value"] == 8


def test_pass_through_looks_past_a_richer_window_that_fails() -> None:
    # the richest month holds a lump sum for three weeks (dwell and balance fail); a later,
    # smaller month is a clean pass-through and must still be found
    rows = [("lump", (0, 8), 40_000, "wire", 900, 5), ("lump-out", (20, 8), 40_000, "wire", 5, 78)]
    for k in range(6):
        rows.append((f"a{k}", (1 + k, 9), 300, "wire", 101 + k % 3, 5))
        rows.append((f"b{k}", (1 + k, 12), 295, "wire", 5, 77))
    rows += [(r[0], (r[1][0] + 60, r[1][1]), *r[2:]) for r in _mule()[1:]]
    data = _input(rows)
    gen03 = INDICATORS["GEN-03"](data)
    assert _keys(gen03) == [5]
    assert gen03.loc[0, "value"] == pytest.approx(5.0, abs=0.1)
    # the evidence is the month that passed, not the lump sum
    ev = set(gen03.loc[0, "evidence_txn_ids"])
    assert "in0" in ev and "lump" not in ev


def test_pass_through_negatives() -> None:
    # the same receipts but kept for a week before leaving
    slow = _input(_mule(dwell_h=24 * 7))
    assert INDICATORS["GEN-03"](slow).empty
    # a salaried person: pay comes in, bills and shopping leave over the month
    rows = [(f"s{m}", (30 * m, 9), 3200, "wire", 900, 6) for m in range(3)]
    rows += [
        (f"c{m}{d}", (30 * m + d, 15), 95, "card", 6, 800) for m in range(3) for d in range(30)
    ]
    data = _input(rows)
    assert INDICATORS["GEN-03"](data, min_inflows=2).empty
    assert INDICATORS["mirrored_flows"](data).empty


def test_mirrored_flows_need_several_payers() -> None:
    # one employer's wages handed on in cash within hours: wage control, not a mule
    rows = []
    for k in range(6):
        rows.append((f"w{k}", (2 + 7 * k, 9), 900, "wire", 300, 8))
        rows.append((f"x{k}", (2 + 7 * k, 15), 880, "cash_withdrawal", 8, 8))
    data = _input(rows)
    assert INDICATORS["mirrored_flows"](data).empty
    assert _keys(INDICATORS["mirrored_flows"](data, min_sources=1)) == [8]


def test_forward_dwell_ignores_an_old_balance() -> None:
    acct = np.array([1, 1, 1, 1])
    t = np.array([0, 100, 200, 300])
    amount = np.array([5000.0, 1000.0, 950.0, 10.0])
    inflow = np.array([True, True, False, False])
    rows, dwell = forward_dwell(acct, t, amount, inflow)
    # the 1,000 received at t=100 left at t=200 (950 >= 90%); the 5,000 never did
    assert list(rows) == [0, 1] and list(dwell) == [-1, 100]


def test_window_stats_counts_per_group() -> None:
    n, total = window_stats(
        np.array([1, 2]),
        np.array([10, 10]),
        np.array([1, 1, 2, 1]),
        np.array([5, 12, 11, 30]),
        0,
        10,
        np.array([1.0, 2.0, 3.0, 4.0]),
    )
    assert list(n) == [1, 1] and list(total) == [2.0, 3.0]


# -- fan bursts ------------------------------------------------------------------------------
def test_fan_in_burst_against_a_landlord() -> None:
    rows = [(f"c{k}", (40 + k // 3, 10), 900, "wire", 100 + k, 1) for k in range(10)]  # burst
    rows += [
        (f"r{m}{k}", (3 + 30 * m, 10), 1300, "wire", 200 + k, 2)
        for m in range(3)
        for k in range(10)
    ]  # ten tenants paying rent every month
    out = INDICATORS["fan_in_burst"](_input(rows))
    assert _keys(out) == [1]
    assert out.loc[0, "value"] == 1.0
    # both are fan-ins by the plain count
    assert _keys(INDICATORS["fan_in"](_input(rows), min_counterparties=10)) == [1, 2]


def _ordinary_life_collector(spread: int) -> list:
    """Account 1: twelve one-off senders within a week (days 60-65) and ``spread`` one-off
    customers paying it for lessons, one every nine days, away from that week."""
    rows = [(f"c{k}", (60 + k // 2, 10), 900, "wire", 100 + k, 1) for k in range(12)]
    days = [d for d in range(0, 150, 9) if not 45 < d < 80][:spread]
    rows += [(f"o{k}", (d, 12), 320, "mobile_money", 300 + k, 1) for k, d in enumerate(days)]
    return rows


def test_fan_in_burst_contrast_finds_a_collector_with_an_ordinary_life() -> None:
    rows = _ordinary_life_collector(spread=10)  # 12 of 22 senders in the burst: 55%
    assert _keys(INDICATORS["fan_in_burst"](_input(rows))) == []  # share alone misses it
    out = INDICATORS["fan_in_burst"](_input(rows), min_contrast=4.0)
    assert _keys(out) == [1]
    assert out.loc[0, "value"] == pytest.approx(12 / 22)
    assert "against at most 2 in any other 14-day window" in out.loc[0, "reason"]
    # below the share the contrast route still asks for, nothing
    assert (
        _keys(INDICATORS["fan_in_burst"](_input(rows), min_contrast=4.0, contrast_min_share=0.6))
        == []
    )


def test_fan_in_burst_contrast_ignores_a_busy_spell_that_goes_on() -> None:
    """A victim's clients: one-off payers in every week of a six-week spell, so the busiest
    window is not much busier than the ones around it."""
    rows = [(f"v{k}", (40 + k, 10), 400, "wire", 100 + k, 1) for k in range(42)]
    rows += [(f"o{k}", (5 + 3 * k, 12), 320, "wire", 300 + k, 1) for k in range(5)]
    params = {"min_contrast": 4.0, "contrast_min_share": 0.0}  # the contrast alone decides
    assert _keys(INDICATORS["fan_in_burst"](_input(rows), **params)) == []
    # the same burst of 14 in two weeks with no spell around it does stand out
    calm = [r for r in rows if not (r[0].startswith("v") and not 40 <= r[1][0] < 54)]
    assert _keys(INDICATORS["fan_in_burst"](_input(calm), **params)) == [1]


def test_other_window_peak_matches_a_day_by_day_count() -> None:
    """``second`` (busiest window sharing no day with the best one) against a direct count
    over every window end, on random sender histories."""
    from fiu_analytics.indicators.fan import _confined_peak

    rng = np.random.default_rng(7)
    rows, k = [], 0
    for subject in range(1, 30):
        for sender in range(int(rng.integers(3, 25))):
            first = int(rng.integers(0, 100))
            for _ in range(int(rng.integers(1, 3))):
                rows.append(
                    (
                        f"t{k}",
                        (first + int(rng.integers(0, 20)), 10),
                        500,
                        "wire",
                        1000 + 100 * subject + sender,
                        subject,
                    )
                )
                k += 1
    data = _input(rows)
    best = _confined_peak(data, "dst_account_key", 14, 300).set_index("account_key")
    frame = pd.DataFrame([(r[5], r[4], r[1][0]) for r in rows], columns=["x", "y", "day"])
    pairs = frame.groupby(["x", "y"])["day"].agg(["min", "max"]).reset_index()
    pairs = pairs[pairs["max"] - pairs["min"] < 14]
    for x, p in pairs.groupby("x"):
        days = np.arange(0, 150)
        t0 = int(T0.timestamp()) // 86_400
        level = (
            (p["max"].to_numpy()[None, :] <= days[:, None])
            & (days[:, None] < p["min"].to_numpy()[None, :] + 14)
        ).sum(1)
        end = int(best.loc[x, "end"]) - t0
        assert level.max() == best.loc[x, "peak"]
        far = (days <= end - 14) | (days >= end + 14)
        assert level[far].max() == best.loc[x, "second"], x


def test_fan_out_burst_against_an_employer() -> None:
    rows = [(f"p{k}", (40 + k // 4, 10), 800, "wire", 1, 100 + k) for k in range(9)]
    rows += [
        (f"w{m}{k}", (25 + 30 * m, 10), 3000, "wire", 2, 200 + k)
        for m in range(3)
        for k in range(12)
    ]  # payroll every month to the same staff
    out = INDICATORS["fan_out_burst"](_input(rows))
    assert _keys(out) == [1]


# -- structuring peers -----------------------------------------------------------------------
def test_structuring_episode_and_band_concentration_against_a_cash_shop() -> None:
    rows = [(f"s{k}", (20 + 2 * k, 10), 9200 + 50 * k, "cash_deposit", 1, 1) for k in range(5)]
    rows += [("p", (5, 10), 300, "cash_deposit", 1, 1)]
    rng = np.random.default_rng(0)
    # a shop: near-threshold takings every week of the period, and many other sizes
    for d in range(90):
        near = d % 7 in (0, 2, 4)
        amount = float(rng.uniform(8000, 9990)) if near else float(rng.uniform(3000, 7900))
        rows.append((f"shop{d}", (d, 17), amount, "cash_deposit", 2, 2))
    data = _input(rows)
    assert _keys(INDICATORS["GEN-01"](data)) == [1, 2]  # the plain rule cannot tell them apart
    episode = INDICATORS["structuring_episode"](data)
    assert _keys(episode) == [1] and episode.loc[0, "value"] == 1.0
    band = INDICATORS["cash_band_concentration"](data)
    assert _keys(band) == [1] and band.loc[0, "value"] == 1.0


def test_new_indicators_declare_checked_parameters() -> None:
    for ind in (
        "cycle",
        "scatter_gather",
        "gather_scatter",
        "bipartite",
        "stack",
        "GEN-02",
        "GEN-03",
        "mirrored_flows",
        "fan_in_burst",
        "fan_out_burst",
        "structuring_episode",
        "cash_band_concentration",
    ):
        spec = get_indicator(ind)
        assert spec.params and spec.func.__doc__
        assert spec.resolve({}) == {k: p.default for k, p in spec.params.items()}


def test_movement_sort_order_is_lexsort() -> None:
    """money_movements' one-key sort gives np.lexsort's order (ties in input order), and
    falls back to lexsort when the key would not fit in int64."""
    from fiu_analytics.indicators.passthrough import _sort_order

    rng = np.random.default_rng(3)
    g = rng.integers(0, 50, 5000)
    t = rng.integers(1_700_000_000, 1_700_000_400, 5000)
    late = rng.random(5000) < 0.5
    assert (_sort_order(g, t, late) == np.lexsort((late, t, g))).all()
    huge = g * (2**40)
    assert (_sort_order(huge, t, late) == np.lexsort((late, t, huge))).all()
    assert len(_sort_order(g[:0], t[:0], late[:0])) == 0
