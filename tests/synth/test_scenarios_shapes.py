"""Structure of the injected laundering scenarios (GEN-01..03) and AMLworld shapes.

Each test builds a small world holding only two instances of one scenario and checks that the
defining structure of that typology really holds in the emitted, labelled transactions.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from fiu_analytics.synth import SCENARIOS, SynthConfig, build_world
from fiu_analytics.synth.world import World

HOUR_US = 3600 * 1_000_000
DAY_US = 24 * HOUR_US
SEEDS = (3, 17)
CODES = (
    "GEN-01",
    "GEN-02",
    "GEN-03",
    "fan_in",
    "fan_out",
    "cycle",
    "scatter_gather",
    "gather_scatter",
    "bipartite",
    "stack",
)


@cache
def _built(code: str, seed: int) -> tuple[World, pd.DataFrame, pd.DataFrame]:
    cfg = SynthConfig(
        seed=seed, n_persons=400, days=92, scenarios_per_typology=0, scenario_mix={code: 2}
    )
    world, events, txn_labels, roles = build_world(cfg)
    label = np.asarray(events.column("label"))
    assert (label >= 0).all()  # build_world holds scenario rows only
    txns = pd.DataFrame(
        {
            "src": np.asarray(events.column("src")),
            "dst": np.asarray(events.column("dst")),
            "ts": np.asarray(events.column("ts")),
            "amount": np.asarray(events.column("amount")),
            "conductor": np.asarray(events.column("conductor")),
            "scenario": [txn_labels[i][0] for i in label],
            "typology": [txn_labels[i][1] for i in label],
            "stage": [txn_labels[i][2] for i in label],
        }
    )
    for col in ("channel", "city", "narrative", "src_country", "dst_country"):
        txns[col] = events.column(col).to_pylist()
    txns = txns.sort_values("ts", kind="stable", ignore_index=True)
    role_df = pd.DataFrame(roles, columns=["scenario", "typology", "acc", "role", "core"])
    return world, txns, role_df


def _instances(code: str, seed: int) -> list[tuple[World, pd.DataFrame, pd.DataFrame]]:
    world, txns, roles = _built(code, seed)
    out = []
    for sid in sorted(txns["scenario"].unique()):
        out.append((world, txns[txns["scenario"] == sid], roles[roles["scenario"] == sid]))
    assert len(out) == 2
    return out


def _only(roles: pd.DataFrame, role: str) -> int:
    accs = roles.loc[roles["role"] == role, "acc"].unique()
    assert len(accs) == 1, f"expected one '{role}', got {len(accs)}"
    return int(accs[0])


def _own_cities(world: World, acc: int) -> set[str]:
    """Where the holder lives (address), banks (account city) and works (employer's city)."""
    cities = {world.acc_city[acc], world.parties[world.acc_party[acc]]["address"].split(", ")[-2]}
    pos = np.flatnonzero(world.rel["persons"] == acc)
    if len(pos) and world.rel["employer_of"][pos[0]] >= 0:
        cities.add(world.acc_city[int(world.rel["employer_of"][pos[0]])])
    return cities


def _edges(t: pd.DataFrame) -> pd.DataFrame:
    """Transfers between two different accounts (cash deposits/withdrawals excluded)."""
    return t[t["src"] != t["dst"]]


# -- common properties ------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("code", CODES)
def test_common_properties(code: str, seed: int) -> None:
    spec = SCENARIOS[code]
    assert spec.duration_days <= 80
    world, txns, _ = _built(code, seed)
    assert (txns["typology"] == code).all()
    assert set(txns["stage"]) <= {"placement", "layering", "integration"}
    for _, t, r in _instances(code, seed):
        assert (3 if code == "cycle" else 5) <= len(t) <= 250
        assert t["ts"].max() - t["ts"].min() <= spec.duration_days * DAY_US
        assert (t["amount"] > 0).all()
        assert r["core"].any()
        if code != "cycle":  # every ring member is core; elsewhere some accounts are peripheral
            assert not r["core"].all()
        # every account the scenario moves money through carries a role in it
        assert set(t["src"]) | set(t["dst"]) <= set(r["acc"])
        # no label leaks into names or narratives
        sid = t["scenario"].iloc[0]
        texts = [str(n) for n in t["narrative"].dropna()]
        texts += [str(world.parties[world.acc_party[a]]["name"]) for a in r["acc"]]
        for text in texts:
            low = text.lower()
            assert sid.lower() not in low and code.lower() not in low
            assert not any(w in low for w in ("launder", "funnel", "structur", "mule", "fan-"))
    start = int(world.start.value // 1000)
    assert txns["ts"].min() >= start and txns["ts"].max() < start + 92 * DAY_US


@pytest.mark.parametrize("code", CODES)
def test_instances_vary(code: str) -> None:
    """Amounts, counts and participants differ between instances and seeds."""
    inst = [t for seed in SEEDS for _, t, _ in _instances(code, seed)]
    medians = {round(float(t["amount"].median()), 2) for t in inst}
    assert len(medians) == len(inst)
    participants = [frozenset(t["src"]) | frozenset(t["dst"]) for t in inst]
    assert len(set(participants)) == len(inst)
    if code not in ("cycle",):
        assert len({len(t) for t in inst}) > 1


def test_deterministic() -> None:
    cfg = {"seed": 5, "n_persons": 400, "days": 92, "scenarios_per_typology": 0}
    runs = [
        build_world(SynthConfig(**cfg, scenario_mix={"stack": 1, "GEN-02": 1}))[1] for _ in range(2)
    ]
    for col in ("src", "dst", "ts", "amount"):
        np.testing.assert_array_equal(runs[0].column(col), runs[1].column(col))


# -- laundering mechanics ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_structuring_under_threshold(seed: int) -> None:
    for world, t, r in _instances("GEN-01", seed):
        acct = _only(r, "structurer")
        dep = t[(t["channel"] == "cash_deposit") & (t["src"] == acct) & (t["dst"] == acct)]
        assert len(dep) >= 4
        assert dep["amount"].between(8000, 10_000, inclusive="left").all()
        ts = dep["ts"].to_numpy()
        # at least three deposits within seven days summing over the threshold
        assert any(
            ((ts >= x) & (ts < x + 7 * DAY_US)).sum() >= 3
            and dep["amount"][(ts >= x) & (ts < x + 7 * DAY_US)].sum() >= 10_000
            for x in ts
        )
        wires = t[(t["src"] == acct) & (t["channel"] == "wire")]
        assert len(wires) >= 1 and (wires["ts"] > ts.max()).all()
        assert (wires["dst_country"] != world.home).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_funnel_deposits_away_from_home_then_out_elsewhere(seed: int) -> None:
    for world, t, r in _instances("GEN-02", seed):
        holder = _only(r, "funnel")
        assert r.loc[r["acc"] == holder, "core"].all()
        assert not r.loc[r["acc"] != holder, "core"].any()
        dep = t[(t["channel"] == "cash_deposit") & (t["dst"] == holder)]
        assert len(dep) >= 4 and (dep["src"] == holder).all()
        dep_cities = set(dep["city"])
        assert len(dep_cities) >= 2
        assert not dep_cities & _own_cities(world, holder)
        assert (dep["amount"] < 10_000).all()
        # deposits are made by people other than the holder
        assert (dep["conductor"] >= 0).all()
        assert (dep["conductor"] != world.acc_party[holder]).all()
        assert dep["conductor"].nunique() >= 2
        out = t[(t["src"] == holder) & t["channel"].isin(["cash_withdrawal", "wire"])]
        elsewhere = ((out["channel"] == "cash_withdrawal") & ~out["city"].isin(dep_cities)) | (
            (out["channel"] == "wire") & (out["dst_country"] != world.home)
        )
        assert elsewhere.all()
        out_ts = out["ts"].to_numpy()
        for ts in dep["ts"]:
            assert ((out_ts > ts) & (out_ts <= ts + 72 * HOUR_US)).any()
        assert 0.8 * dep["amount"].sum() <= out["amount"].sum() <= dep["amount"].sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_pass_through_in_equals_out_fast(seed: int) -> None:
    for _, t, r in _instances("GEN-03", seed):
        mule = _only(r, "mule")
        assert r.loc[r["acc"] == mule, "core"].all()
        inflow = t[(t["dst"] == mule) & ((t["src"] != mule) | (t["channel"] == "cash_deposit"))]
        outflow = t[(t["src"] == mule) & (t["dst"] != mule)]
        assert len(inflow) >= 8 and len(outflow) >= len(inflow)
        assert inflow["src"].nunique() >= 2 or (inflow["channel"] == "cash_deposit").any()
        i_sum, o_sum = inflow["amount"].sum(), outflow["amount"].sum()
        assert min(i_sum, o_sum) / max(i_sum, o_sum) >= 0.9
        assert inflow["ts"].max() - inflow["ts"].min() <= 31 * DAY_US
        # dwell: time from each inflow to the next outflow
        o_ts = outflow["ts"].to_numpy()
        dwell = [(o_ts[o_ts > x].min() - x) / HOUR_US for x in inflow["ts"]]
        assert np.median(dwell) < 24
        # scenario balance never goes negative, never piles up and ends near zero
        flow = pd.concat([inflow.assign(d=inflow["amount"]), outflow.assign(d=-outflow["amount"])])
        balance = flow.sort_values("ts")["d"].cumsum().to_numpy()
        assert balance.min() >= -0.01
        assert balance.max() <= 0.5 * i_sum
        assert balance[-1] <= 0.1 * i_sum


# -- shapes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_fan_in(seed: int) -> None:
    for _, t, r in _instances("fan_in", seed):
        hub = _only(r, "collector")
        inflow = t[t["dst"] == hub]
        assert inflow["src"].nunique() >= 10
        assert set(inflow["src"]) == set(r.loc[r["role"] == "sender", "acc"])
        assert inflow["ts"].max() - inflow["ts"].min() <= 20 * DAY_US
        onward = t[t["src"] == hub]
        assert (onward["ts"] > inflow["ts"].max()).all()
        assert onward["amount"].sum() <= inflow["amount"].sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_fan_out(seed: int) -> None:
    for _, t, r in _instances("fan_out", seed):
        hub = _only(r, "source")
        out = t[t["src"] == hub]
        assert out["dst"].nunique() >= 8
        assert set(out["dst"]) == set(r.loc[r["role"] == "receiver", "acc"])
        funding = t[t["dst"] == hub]
        assert len(funding) <= 1 and (funding["ts"].max() < out["ts"].min() or funding.empty)


@pytest.mark.parametrize("seed", SEEDS)
def test_cycle_returns_to_start_in_time_order(seed: int) -> None:
    for _, t, r in _instances("cycle", seed):
        ring = r["acc"].unique()
        k = len(ring)
        assert 3 <= k <= 6 and r["core"].all()
        src, dst = t["src"].to_numpy(), t["dst"].to_numpy()
        ts, amt = t["ts"].to_numpy(), t["amount"].to_numpy()
        assert (np.diff(ts) > 0).all()
        assert (dst[:-1] == src[1:]).all()  # each hop leaves where the previous one arrived
        assert src[0] == dst[-1] == _only(r, "source")
        assert len(t) % k == 0 and len(set(src[:k])) == k
        for start in range(0, len(t), k):
            assert dst[start + k - 1] == src[start]  # every round closes the ring
            rnd = amt[start : start + k]
            assert (np.diff(rnd) < 0).all() and rnd[-1] >= 0.85 * rnd[0]


@pytest.mark.parametrize("seed", SEEDS)
def test_scatter_gather(seed: int) -> None:
    for _, t, r in _instances("scatter_gather", seed):
        senders, receivers = set(t["src"]), set(t["dst"])
        sources, sinks = senders - receivers, receivers - senders
        assert sources == {_only(r, "source")} and sinks == {_only(r, "sink")}
        (source,), (sink,) = sources, sinks
        mids = senders & receivers
        assert len(mids) >= 3
        assert mids == set(r.loc[r["role"] == "intermediary", "acc"])
        for m in mids:
            first = t[(t["src"] == source) & (t["dst"] == m)]
            second = t[(t["src"] == m) & (t["dst"] == sink)]
            assert len(first) == 1 and len(second) == 1
            assert second["ts"].iloc[0] > first["ts"].iloc[0]
            assert second["amount"].iloc[0] <= first["amount"].iloc[0]
        assert len(t) == 2 * len(mids)


@pytest.mark.parametrize("seed", SEEDS)
def test_gather_scatter(seed: int) -> None:
    for _, t, r in _instances("gather_scatter", seed):
        hub = _only(r, "hub")
        assert ((t["src"] == hub) | (t["dst"] == hub)).all()
        inflow, outflow = t[t["dst"] == hub], t[t["src"] == hub]
        sources, sinks = set(inflow["src"]), set(outflow["dst"])
        assert len(sources) >= 4 and len(sinks) >= 4 and not sources & sinks
        assert outflow["ts"].min() > inflow["ts"].max()
        assert 0.85 * inflow["amount"].sum() <= outflow["amount"].sum() <= inflow["amount"].sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_bipartite_dense(seed: int) -> None:
    for _, t, r in _instances("bipartite", seed):
        senders, receivers = set(t["src"]), set(t["dst"])
        assert not senders & receivers
        assert len(senders) >= 3 and len(receivers) >= 3
        assert receivers == set(r.loc[r["core"], "acc"])
        pairs = t[["src", "dst"]].drop_duplicates()
        assert len(pairs) / (len(senders) * len(receivers)) >= 0.5
        assert (pairs.groupby("src").size() >= 2).all()
        assert (pairs.groupby("dst").size() >= 2).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_stack_layers(seed: int) -> None:
    for _, t, r in _instances("stack", seed):
        senders, receivers = set(t["src"]), set(t["dst"])
        layers = [senders - receivers]
        for _ in range(3):
            layers.append(set(t.loc[t["src"].isin(layers[-1]), "dst"]))
        sources, l1, l2, sinks = layers
        assert sinks == receivers - senders
        assert len({a for layer in layers for a in layer}) == sum(map(len, layers))  # disjoint
        assert len(l1) >= 3 and len(l2) >= 3 and len(sources) >= 2
        assert l1 | l2 == set(r.loc[r["core"], "acc"])
        pos = {a: i for i, layer in enumerate(layers) for a in layer}
        assert all(pos[d] == pos[s] + 1 for s, d in zip(t["src"], t["dst"], strict=True))
        for relay in l1 | l2:
            inflow, outflow = t[t["dst"] == relay], t[t["src"] == relay]
            assert outflow["ts"].min() > inflow["ts"].max()
            assert outflow["amount"].sum() <= inflow["amount"].sum() + 0.05
        into_sinks = t.loc[t["dst"].isin(sinks), "amount"].sum()
        assert into_sinks >= 0.9 * t.loc[t["src"].isin(sources), "amount"].sum()
