"""Classic layering shapes: fan-in, fan-out, cycle, scatter-gather, gather-scatter, bipartite,
stack. They follow the laundering patterns of AMLworld (Altman et al. 2023); each scenario keeps
amounts and timing plausible rather than perfectly regular.

Core accounts (``core=True``) are the ones an analyst should find: the account money converges on
or is relayed through (collector, hub, cycle members, the relay layers of a stack, the source and
sink of a scatter-gather, the receivers of a dense bipartite block). Accounts that only send
once or only receive once at the rim of the shape are peripheral.

The helpers at the top (:func:`emit_at`, :func:`daytime`, :func:`recruit_mixed` ...) are shared
with :mod:`fiu_analytics.synth.scenarios.laundering`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from fiu_analytics.synth.scenarios.base import ScenarioContext, scenario

# Profiles of people who also have an ordinary life in the normal population.
MIXED_PROFILES: dict[str, float] = {
    "regular": 0.72,
    "gig_worker": 0.1,
    "migrant_remitter": 0.07,
    "night_worker": 0.05,
    "salesperson": 0.06,
}
# Countries where shell companies and foreign end points of the shapes bank.
OFFSHORE = ("AE", "TR", "GB", "DE", "MX", "CN", "CA")
WIRE_NARRATIVES = (
    "Invoice",
    "Consulting services",
    "Loan repayment",
    "Goods",
    "Deposit",
    None,
    None,
    None,
)
P2P_NARRATIVES = ("thanks", "loan", "rent share", "car", "repayment", None, None)
MIN_GAP_H = 0.25
"""Smallest gap (hours) between two causally ordered hops; larger than the 60 s jitter of
:meth:`ScenarioContext.t`, so ordered hops keep strictly increasing timestamps."""


# -- helpers shared by scenario modules ------------------------------------------------------
def emit_at(
    ctx: ScenarioContext,
    src: int,
    dst: int,
    hours: float,
    amount: float,
    channel: str,
    stage: str,
    **strings: object,
) -> None:
    """Emit one transaction ``hours`` (fractional) after the scenario start."""
    day = int(hours // 24)
    ctx.txn(src, dst, day, amount, channel, stage, hour=float(hours - 24 * day), **strings)


def daytime(ctx: ScenarioContext, hours: float, start: float = 7.5, end: float = 21.5) -> float:
    """``hours`` unchanged if it falls in [start, end) local time, else the next morning.

    Never moves time backwards, so hops generated in sequence stay ordered."""
    h = hours % 24
    if start <= h < end:
        return hours
    midnight = hours - h + (24.0 if h >= end else 0.0)
    return midnight + start + float(ctx.rng.uniform(0.0, 2.5))


def after(ctx: ScenarioContext, hours: float, lo: float, hi: float) -> float:
    """A daytime moment between ``lo`` and ``hi`` hours (at least :data:`MIN_GAP_H`) after."""
    return daytime(ctx, hours + max(MIN_GAP_H, float(ctx.rng.uniform(lo, hi))))


def amount(ctx: ScenarioContext, median: float, sigma: float, lo: float, hi: float) -> float:
    """A log-normal amount clipped to [lo, hi]."""
    return float(np.clip(ctx.rng.lognormal(np.log(median), sigma), lo, hi))


def recruit_mixed(
    ctx: ScenarioContext, role: str, core: bool = False, profiles: Mapping[str, float] | None = None
) -> int:
    """A person from the normal population, profile drawn from ``profiles`` (weights).

    Falls back to other profiles and finally to a new scenario-only person when the population
    has no unused account left, so small worlds with many scenarios still build."""
    prof = dict(profiles or MIXED_PROFILES)
    names = list(prof)
    w = np.asarray([prof[n] for n in names], float)
    first = str(ctx.rng.choice(names, p=w / w.sum()))
    for p in dict.fromkeys([first, *names, "regular"]):
        try:
            return ctx.recruit(p, role=role, core=core)
        except (RuntimeError, ValueError):
            continue
    return ctx.new_person(role, core=core)


def some_account(
    ctx: ScenarioContext,
    role: str,
    core: bool = False,
    p_recruit: float = 0.7,
    p_foreign: float = 0.5,
) -> int:
    """A recruit from the population with probability ``p_recruit``; otherwise a new account
    only this scenario uses: abroad (a person or a company) with probability ``p_foreign``,
    else a domestic shell company."""
    if ctx.rng.random() < p_recruit:
        return recruit_mixed(ctx, role, core)
    if ctx.rng.random() < p_foreign:
        country = str(ctx.rng.choice(OFFSHORE))
        if ctx.rng.random() < 0.5:
            return ctx.new_person(role, core=core, country=country)
        return ctx.new_entity("company", role, core=core, country=country)
    return ctx.new_entity("company", role, core=core)


def channel_for(ctx: ScenarioContext, src: int, dst: int, p_wire: float = 0.5) -> str:
    """``wire`` when a business or foreign account is involved, else wire or mobile money."""
    w = ctx.world
    if any(w.acc_type[a] == "business" or w.acc_country[a] != w.home for a in (src, dst)):
        return "wire"
    return "wire" if ctx.rng.random() < p_wire else "mobile_money"


def pay(
    ctx: ScenarioContext,
    src: int,
    dst: int,
    hours: float,
    value: float,
    stage: str,
    channel: str | None = None,
) -> None:
    """One payment with a channel and an ordinary-looking (often empty) narrative."""
    ch = channel or channel_for(ctx, src, dst)
    pool = WIRE_NARRATIVES if ch == "wire" else P2P_NARRATIVES
    note = pool[int(ctx.rng.integers(len(pool)))]
    extra = {"narrative": note} if note is not None else {}
    emit_at(ctx, src, dst, hours, value, ch, stage, **extra)


def dense_mask(rng: np.random.Generator, n: int, m: int, density: float) -> np.ndarray:
    """Random ``n`` x ``m`` edge mask with every row and column holding at least one edge (two
    when the other side has two or more accounts)."""
    mask = rng.random((n, m)) < density
    need_row, need_col = min(2, m), min(2, n)
    for i in range(n):
        missing = need_row - int(mask[i].sum())
        if missing > 0:
            mask[i, rng.choice(np.flatnonzero(~mask[i]), missing, replace=False)] = True
    for j in range(m):
        missing = need_col - int(mask[:, j].sum())
        if missing > 0:
            mask[rng.choice(np.flatnonzero(~mask[:, j]), missing, replace=False), j] = True
    return mask


def split(ctx: ScenarioContext, total: float, n: int, alpha: float = 4.0) -> np.ndarray:
    """``total`` split into ``n`` uneven but not tiny parts."""
    return total * ctx.rng.dirichlet(np.full(n, alpha))


# -- shapes ----------------------------------------------------------------------------------
@scenario(
    "fan_in",
    indicators=["fan_in"],
    description="Many unrelated accounts pay one collector within days; the collector "
    "often moves the pooled money on.",
    duration_days=30,
)
def fan_in(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    hub = recruit_mixed(ctx, "collector", core=True, profiles={"regular": 0.8, "gig_worker": 0.2})
    window = float(rng.uniform(3, 14)) * 24
    median = float(rng.uniform(700, 2500))
    last, total = 0.0, 0.0
    for _ in range(int(rng.integers(10, 25))):
        src = some_account(ctx, "sender", p_recruit=0.8, p_foreign=0.3)
        t = daytime(ctx, float(rng.uniform(0, window)))
        for _ in range(1 + int(rng.random() < 0.25)):
            value = amount(ctx, median, 0.5, 150, 9800)
            pay(ctx, src, hub, t, value, "layering", channel_for(ctx, src, hub, p_wire=0.4))
            last, total = max(last, t), total + value
            t = after(ctx, t, 24, 96)
    if rng.random() < 0.6:
        bene = some_account(ctx, "beneficiary", p_recruit=0.0, p_foreign=0.7)
        t = last
        for part in split(ctx, total * float(rng.uniform(0.8, 0.97)), int(rng.integers(1, 4))):
            t = after(ctx, t, 4, 60)
            pay(ctx, hub, bene, t, part, "integration", "wire")


@scenario(
    "fan_out",
    indicators=["fan_out"],
    description="One account pays many receivers within days, usually right after a "
    "lump sum arrives.",
    duration_days=28,
)
def fan_out(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    hub = recruit_mixed(ctx, "source", core=True)
    n = int(rng.integers(8, 21))
    median = float(rng.uniform(600, 2500))
    t0 = daytime(ctx, float(rng.uniform(0, 72)))
    if rng.random() < 0.6:
        funder = some_account(ctx, "sender", p_recruit=0.0, p_foreign=0.5)
        pay(ctx, funder, hub, t0, n * median * float(rng.uniform(1.0, 1.4)), "placement", "wire")
        t0 = after(ctx, t0, 2, 48)
    window = float(rng.uniform(2, 12)) * 24
    for _ in range(n):
        dst = some_account(ctx, "receiver", p_recruit=0.8, p_foreign=0.4)
        t = daytime(ctx, t0 + float(rng.uniform(0, window)))
        for _ in range(1 + int(rng.random() < 0.3)):
            pay(ctx, hub, dst, t, amount(ctx, median, 0.5, 150, 9800), "layering")
            t = after(ctx, t, 24, 120)


@scenario(
    "cycle",
    indicators=["cycle"],
    description="Money travels around a ring of 3-6 accounts back to where it started, "
    "each hop after the previous one and a little smaller.",
    duration_days=60,
)
def cycle(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    k = int(rng.integers(3, 7))
    ring = [recruit_mixed(ctx, "source", core=True)]
    ring += [
        some_account(ctx, "intermediary", core=True, p_recruit=0.55, p_foreign=0.5)
        for _ in range(k - 1)
    ]
    limit = 60 * 24 - 24.0
    max_hop = float(rng.uniform(12, 60))
    t = daytime(ctx, float(rng.uniform(0, 72)))
    for r in range(int(rng.integers(1, 4))):
        if r and t + k * (max_hop + 14) > limit:
            break
        value = amount(ctx, 7000, 0.7, 1500, 40000)
        for i in range(k):
            pay(ctx, ring[i], ring[(i + 1) % k], t, value, "layering")
            value *= 1 - float(rng.uniform(0.004, 0.03))
            t = after(ctx, t, 1, max_hop)
        t = after(ctx, t, 24, 24 * 6)


@scenario(
    "scatter_gather",
    indicators=["scatter_gather"],
    description="One source pays several intermediaries, each of which passes the money "
    "on to the same sink.",
    duration_days=20,
)
def scatter_gather(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    source = some_account(ctx, "source", core=True, p_recruit=0.6, p_foreign=0.3)
    sink = some_account(ctx, "sink", core=True, p_recruit=0.3, p_foreign=0.6)
    median = float(rng.uniform(1500, 6000))
    t0 = daytime(ctx, float(rng.uniform(0, 72)))
    spread = float(rng.uniform(6, 96))
    for _ in range(int(rng.integers(3, 9))):
        mid = some_account(ctx, "intermediary", p_recruit=0.85, p_foreign=0.3)
        t1 = daytime(ctx, t0 + float(rng.uniform(0, spread)))
        value = amount(ctx, median, 0.4, 400, 9800)
        pay(ctx, source, mid, t1, value, "layering")
        t2 = after(ctx, t1, 1, float(rng.choice([30, 120])))
        pay(ctx, mid, sink, t2, value * (1 - float(rng.uniform(0.0, 0.05))), "layering")


@scenario(
    "gather_scatter",
    indicators=["gather_scatter"],
    description="Many sources pay one hub, which then pays many sinks.",
    duration_days=30,
)
def gather_scatter(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    if rng.random() < 0.7:
        hub = recruit_mixed(ctx, "hub", core=True)
    else:
        hub = ctx.new_entity("company", "hub", core=True)
    gather = float(rng.uniform(3, 12)) * 24
    median = float(rng.uniform(800, 3500))
    last, total = 0.0, 0.0
    for _ in range(int(rng.integers(4, 11))):
        src = some_account(ctx, "source", p_recruit=0.75, p_foreign=0.4)
        t = daytime(ctx, float(rng.uniform(0, gather)))
        for _ in range(1 + int(rng.random() < 0.3)):
            value = amount(ctx, median, 0.5, 200, 9800)
            pay(ctx, src, hub, t, value, "layering")
            last, total = max(last, t), total + value
            t = after(ctx, t, 12, 72)
    n_sinks = int(rng.integers(4, 11))
    start = after(ctx, last, 2, 48)
    scatter = float(rng.uniform(1, 8)) * 24
    parts = split(ctx, total * float(rng.uniform(0.88, 0.98)), n_sinks)
    for part in parts:
        dst = some_account(ctx, "sink", p_recruit=0.6, p_foreign=0.6)
        t = daytime(ctx, start + float(rng.uniform(0, scatter)))
        # large shares go out in a few payments a day or so apart
        n_pay = math.ceil(part / float(rng.uniform(6000, 15000)))
        for piece in split(ctx, part, n_pay, alpha=20):
            pay(ctx, hub, dst, t, piece, "layering")
            t = after(ctx, t, 6, 40)


@scenario(
    "bipartite",
    indicators=["bipartite"],
    description="A set of senders pays a set of receivers, nearly every sender paying "
    "nearly every receiver.",
    duration_days=30,
)
def bipartite(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    senders = [
        some_account(ctx, "sender", p_recruit=0.7, p_foreign=0.4)
        for _ in range(int(rng.integers(3, 8)))
    ]
    receivers = [
        some_account(ctx, "receiver", core=True, p_recruit=0.75, p_foreign=0.5)
        for _ in range(int(rng.integers(3, 8)))
    ]
    mask = dense_mask(rng, len(senders), len(receivers), float(rng.uniform(0.6, 1.0)))
    window = float(rng.uniform(4, 20)) * 24
    median = float(rng.uniform(500, 3000))
    for i, j in zip(*np.nonzero(mask), strict=True):
        t = daytime(ctx, float(rng.uniform(0, window)))
        for _ in range(1 + int(rng.random() < 0.2)):
            pay(ctx, senders[i], receivers[j], t, amount(ctx, median, 0.5, 100, 9800), "layering")
            t = after(ctx, t, 24, 96)


@scenario(
    "stack",
    indicators=["stack"],
    description="Money moves from a set of sources through two relay layers to a set of "
    "sinks, each relay forwarding what it received.",
    duration_days=25,
)
def stack(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    sources = [
        some_account(ctx, "source", p_recruit=0.5, p_foreign=0.4)
        for _ in range(int(rng.integers(2, 6)))
    ]
    layer1 = [
        some_account(ctx, "intermediary", core=True, p_recruit=0.8, p_foreign=0.3)
        for _ in range(int(rng.integers(3, 7)))
    ]
    layer2 = [
        some_account(ctx, "intermediary", core=True, p_recruit=0.7, p_foreign=0.4)
        for _ in range(int(rng.integers(3, 7)))
    ]
    sinks = [
        some_account(ctx, "sink", p_recruit=0.3, p_foreign=0.7)
        for _ in range(int(rng.integers(1, 4)))
    ]
    median = float(rng.uniform(800, 4000))
    window = float(rng.uniform(2, 10)) * 24
    # account -> [total received, time of the last inflow]
    received: dict[int, list[float]] = {}

    def send(src: int, dst: int, t: float, value: float) -> None:
        pay(ctx, src, dst, t, value, "layering")
        got = received.setdefault(dst, [0.0, 0.0])
        got[0] += value
        got[1] = max(got[1], t)

    mask = dense_mask(rng, len(sources), len(layer1), float(rng.uniform(0.55, 1.0)))
    for i, j in zip(*np.nonzero(mask), strict=True):
        send(
            sources[i],
            layer1[j],
            daytime(ctx, float(rng.uniform(0, window))),
            amount(ctx, median, 0.5, 200, 9800),
        )
    for layer, nxt in ((layer1, layer2), (layer2, sinks)):
        mask = dense_mask(rng, len(layer), len(nxt), float(rng.uniform(0.55, 1.0)))
        for i, acct in enumerate(layer):
            total, last = received[acct]
            targets = np.flatnonzero(mask[i])
            parts = split(ctx, total * (1 - float(rng.uniform(0.0, 0.04))), len(targets))
            for j, part in zip(targets, parts, strict=True):
                send(acct, nxt[j], after(ctx, last, 2, 72), float(part))
