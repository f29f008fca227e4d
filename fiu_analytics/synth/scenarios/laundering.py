"""Laundering mechanics shared by all typologies: structuring (GEN-01), funnel (GEN-02) and
pass-through (GEN-03)."""

from __future__ import annotations

import math

import numpy as np

from fiu_analytics.synth.scenarios.base import ScenarioContext, scenario
from fiu_analytics.synth.scenarios.shapes import (
    after,
    amount,
    daytime,
    emit_at,
    pay,
    recruit_mixed,
    some_account,
)
from fiu_analytics.synth.world import country_reference

THRESHOLD = 10_000.0
# Cities near the southern border where funnel proceeds are typically pulled out.
BORDER_CITIES = ("El Paso", "Laredo", "McAllen", "San Diego", "Houston", "Phoenix")
# Beneficiary countries of funnel and structuring proceeds.
BENEFICIARY_COUNTRIES = ("MX", "GT", "HN", "SV", "CN", "AE")


def _party_id(ctx: ScenarioContext, account: int) -> int:
    return int(ctx.world.acc_party[account])


def _address_city(ctx: ScenarioContext, account: int) -> str | None:
    """The city in the owner's address (``'12 Oak St, Dallas, US'`` -> ``'Dallas'``)."""
    parts = str(ctx.party_of(account).get("address") or "").split(", ")
    return parts[-2] if len(parts) >= 3 else None


def home_and_work_cities(ctx: ScenarioContext, account: int) -> set[str]:
    """Cities where the holder of ``account`` lives, banks or works (employer's city)."""
    w = ctx.world
    cities = {w.acc_city[account], _address_city(ctx, account)}
    persons = w.rel.get("persons")
    if persons is not None:
        pos = np.flatnonzero(persons == account)
        if len(pos) and w.rel["employer_of"][pos[0]] >= 0:
            cities.add(w.acc_city[int(w.rel["employer_of"][pos[0]])])
    return {c for c in cities if c}


@scenario(
    "GEN-01",
    indicators=["GEN-01"],
    description="Cash deposits split just under the 10,000 reporting threshold across "
    "days and branches.",
    duration_days=30,
)
def structuring(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    acct = recruit_mixed(
        ctx,
        "structurer",
        core=True,
        profiles={"regular": 0.8, "night_worker": 0.1, "salesperson": 0.1},
    )
    conductors = [_party_id(ctx, acct)]
    if rng.random() < 0.35:
        helper = recruit_mixed(ctx, "conductor", profiles={"regular": 1.0})
        conductors.append(_party_id(ctx, helper))
    cities = country_reference()["countries"][ctx.world.home]["cities"]
    branches = [ctx.city(acct), str(rng.choice(cities))]
    t, total = daytime(ctx, float(rng.uniform(0, 72))), 0.0
    for _ in range(int(rng.integers(4, 9))):
        value = float(rng.uniform(0.8 * THRESHOLD, 0.995 * THRESHOLD))
        emit_at(
            ctx,
            acct,
            acct,
            t,
            value,
            "cash_deposit",
            "placement",
            city=branches[int(rng.random() < 0.3)],
            conductor=conductors[int(rng.integers(len(conductors)))],
        )
        total += value
        t = after(ctx, t, 1, 50) if rng.random() < 0.25 else after(ctx, t, 20, 50)
    bene = ctx.new_person("beneficiary", country=str(rng.choice(BENEFICIARY_COUNTRIES)))
    n_wires = int(rng.integers(1, 3))
    for part in np.full(n_wires, total * float(rng.uniform(0.75, 0.98)) / n_wires):
        t = after(ctx, t, 12, 72)
        pay(ctx, acct, bene, t, float(part) * float(rng.uniform(0.97, 1.03)), "layering", "wire")


@scenario(
    "GEN-02",
    indicators=["GEN-02", "GEN-01"],
    description="People other than the holder pay cash into one account in several distant "
    "cities; within two to three days it is withdrawn or wired out elsewhere.",
    duration_days=60,
)
def funnel(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    home = ctx.world.home
    holder = recruit_mixed(
        ctx,
        "funnel",
        core=True,
        profiles={"regular": 0.7, "migrant_remitter": 0.2, "gig_worker": 0.1},
    )
    own = home_and_work_cities(ctx, holder)
    cities = [c for c in country_reference()["countries"][home]["cities"] if c not in own]
    n_dep = int(rng.integers(2, min(5, len(cities) - 1) + 1))
    dep_cities = [str(c) for c in rng.choice(cities, n_dep, replace=False)]
    rest = [c for c in cities if c not in dep_cities]
    border = [c for c in rest if c in BORDER_CITIES]
    out_city = str(rng.choice(border if border and rng.random() < 0.7 else rest))
    # people who carry the cash into branches of each deposit city
    conductors = {
        c: [
            _party_id(
                ctx, recruit_mixed(ctx, "conductor", profiles={"regular": 0.8, "gig_worker": 0.2})
            )
            for _ in range(int(rng.integers(1, 3)))
        ]
        for c in dep_cities
    }
    collector = _party_id(ctx, ctx.new_person("collector")) if rng.random() < 0.5 else None
    bene: int | None = None
    p_cash = float(rng.choice([0.0, 0.5, 1.0]))
    median = float(rng.uniform(2500, 6500))
    day = float(rng.integers(0, 6))
    while day < 55:
        h0 = day * 24
        order = list(rng.permutation(dep_cities))
        times = np.sort(
            [daytime(ctx, h0 + float(rng.uniform(0, 30))) for _ in range(int(rng.integers(2, 6)))]
        )
        total = 0.0
        for j, t in enumerate(times):
            city = str(order[j % len(order)])
            value = amount(ctx, median, 0.45, 600, 9_900)
            emit_at(
                ctx,
                holder,
                holder,
                float(t),
                value,
                "cash_deposit",
                "placement",
                city=city,
                conductor=int(rng.choice(conductors[city])),
            )
            total += value
        lo, hi = float(times[-1]) + 2, float(times[0]) + 70
        total *= float(rng.uniform(0.85, 0.99))
        if rng.random() < p_cash:
            n_out = math.ceil(total / float(rng.uniform(6000, 9800)))
            outs = np.sort(rng.uniform(lo, hi, n_out))
            who = _party_id(ctx, holder) if collector is None else collector
            for t, part in zip(outs, np.full(n_out, total / n_out), strict=True):
                emit_at(
                    ctx,
                    holder,
                    holder,
                    float(t),
                    float(part) * float(rng.uniform(0.97, 1.0)),
                    "cash_withdrawal",
                    "layering",
                    city=out_city,
                    conductor=who,
                )
        else:
            if bene is None:
                country = str(rng.choice(BENEFICIARY_COUNTRIES))
                bene = ctx.new_person("beneficiary", country=country)
            pay(ctx, holder, bene, float(rng.uniform(lo, hi)), total, "layering", "wire")
        day += float(rng.integers(4, 15))


@scenario(
    "GEN-03",
    indicators=["GEN-03"],
    description="Money paid into an account leaves again within hours, almost in full, so "
    "the balance stays near zero.",
    duration_days=45,
)
def pass_through(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    mule = recruit_mixed(
        ctx,
        "mule",
        core=True,
        profiles={"regular": 0.6, "gig_worker": 0.25, "migrant_remitter": 0.15},
    )
    sources: list[int | None] = [
        some_account(ctx, "source", p_recruit=0.4, p_foreign=0.3)
        for _ in range(int(rng.integers(2, 7)))
    ]
    if rng.random() < 0.3:
        sources.append(None)  # cash paid in by the mule
    sinks = [
        some_account(ctx, "sink", p_recruit=0.2, p_foreign=0.7)
        for _ in range(int(rng.integers(1, 4)))
    ]
    span = float(rng.uniform(18, 30)) * 24
    median = float(rng.uniform(900, 4500))
    dwell = float(rng.uniform(2, 14))
    arrivals = np.sort(
        [daytime(ctx, float(rng.uniform(0, span))) for _ in range(int(rng.integers(8, 19)))]
    )
    for t in arrivals:
        value = amount(ctx, median, 0.55, 250, 9_800)
        src = sources[int(rng.integers(len(sources)))]
        if src is None:
            emit_at(
                ctx,
                mule,
                mule,
                float(t),
                value,
                "cash_deposit",
                "placement",
                city=ctx.city(mule),
                conductor=_party_id(ctx, mule),
            )
        else:
            pay(ctx, src, mule, float(t), value, "placement")
        out = value * float(rng.uniform(0.93, 0.995))
        parts = [out] if rng.random() < 0.7 else list(out * np.array([0.55, 0.45]))
        t_out = float(t)
        for part in parts:
            t_out = after(ctx, t_out, 0.3, max(0.5, float(rng.lognormal(np.log(dwell), 0.6))))
            pay(ctx, mule, sinks[int(rng.integers(len(sinks)))], t_out, float(part), "layering")
