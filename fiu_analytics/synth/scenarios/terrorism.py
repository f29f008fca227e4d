"""Terrorism-financing scenarios: TF-small (TF-01, TF-04), NPO misuse (TF-07), hawala (TF-08),
designated-party links (SAN-01, SAN-02) and the headline nexus NX-04.

Shared building blocks (time helpers, endpoints abroad, listed-party accounts, exploitation
profiles) live in :mod:`fiu_analytics.synth.scenarios.trafficking`.
"""

from __future__ import annotations

import numpy as np

from fiu_analytics.synth import names
from fiu_analytics.synth.scenarios.base import ScenarioContext, scenario
from fiu_analytics.synth.scenarios.toolkit import (
    NEAR_CONFLICT,
    P2P_NOTES,
    PERSON_PROFILES,
    REMIT_NOTES,
    WIRE_NOTES,
    after,
    amount,
    daytime,
    designated_record,
    emit,
    forced_labour_block,
    listed_party_account,
    move_to,
    near_conflict,
    note,
    opened_before,
    pay_endpoint,
    recruit,
    regional_name,
    remit,
    sexual_exploitation_block,
    split_min,
    tf_endpoint,
)
from fiu_analytics.synth.world import country_reference

CHARITY_NOTES = ("Humanitarian grant", "Food programme", "Medical supplies")
SETTLEMENT_NOTES = ("Settlement", "Invoice", "Goods", "Stock purchase")
# Where unlicensed hawala traders and exchange houses settle.
SETTLEMENT_COUNTRIES = ("AE", "TR", "PK", "SO", "AF", "IQ", "YE")


# -- TF-small ---------------------------------------------------------------------------------
def _small_transfers(ctx: ScenarioContext, days: int) -> None:
    """TF-01: several senders, repeated small MSB or wire transfers, one beneficiary (or its
    agent) in a conflict-adjacent city."""
    rng = ctx.rng
    country, city = near_conflict(ctx, transit=False)
    ben = ctx.new_person(
        "beneficiary", core=True, country=country, name=regional_name(rng, country)
    )
    move_to(ctx, ben, city)
    agent = None
    if rng.random() < 0.4:
        agent = ctx.new_entity("exchange_house", "intermediary", core=True, country=country)
        move_to(ctx, agent, city)
    median = float(rng.uniform(400, 1200))
    profiles = {"migrant_remitter": 0.4, "regular": 0.5, "gig_worker": 0.1}
    for _ in range(int(rng.integers(3, 7))):
        sender = recruit(ctx, "sender", core=True, profiles=profiles)
        for h in np.sort(rng.uniform(0, (days - 3) * 24, int(rng.integers(3, 7)))):
            dst = agent if agent is not None and rng.random() < 0.4 else ben
            value = amount(rng, median, 0.5, 200, 2990)
            if rng.random() < 0.8:
                remit(
                    ctx, sender, dst, daytime(ctx, h), value, "transfer", **note(rng, REMIT_NOTES)
                )
            else:
                emit(
                    ctx,
                    sender,
                    dst,
                    daytime(ctx, h),
                    value,
                    "wire",
                    "transfer",
                    **note(rng, REMIT_NOTES),
                )


def _crowdfunding(ctx: ScenarioContext, days: int) -> None:
    """TF-04: 20+ small donors within a month under a common handle in the memo, then the
    collector consolidates and sends the money abroad within a week."""
    rng = ctx.rng
    collector = recruit(ctx, "collector", core=True, profiles={"regular": 0.7, "gig_worker": 0.3})
    handle = f"@{str(rng.choice(names.COMPANY_WORDS)).lower()}{int(rng.integers(10, 99))}"
    memos = (
        handle,
        handle,
        f"for {handle}",
        f"Donation {handle}",
        f"{handle} appeal",
        "Donation",
        "gift",
        None,
    )
    campaign = float(rng.uniform(18, min(30, days - 10))) * 24
    rounds = (
        [campaign] if rng.random() < 0.5 else [campaign * float(rng.uniform(0.4, 0.6)), campaign]
    )
    median = float(rng.uniform(25, 80))
    gifts: list[tuple[float, float]] = []
    for _ in range(int(rng.integers(20, 36))):
        donor = recruit(ctx, "donor", profiles=PERSON_PROFILES)
        for _ in range(1 if rng.random() < 0.7 else int(rng.integers(2, 4))):
            h = float(rng.uniform(0, campaign - 1))
            h = h if rng.random() < 0.3 else daytime(ctx, h, end=23.0)
            h = min(h, campaign - 0.5)
            value = amount(rng, median, 0.8, 5, 500)
            memo = memos[int(rng.integers(len(memos)))]
            ch = "mobile_money" if rng.random() < 0.85 else "wire"
            emit(
                ctx,
                donor,
                collector,
                h,
                value,
                ch,
                "donation",
                **({"narrative": memo} if memo else {}),
            )
            gifts.append((h, value))
    dest_kind = str(rng.choice(["msb", "exchange"]))
    if dest_kind == "msb":
        country, city = near_conflict(ctx)
        dest = ctx.new_person(
            "beneficiary", core=True, country=country, name=regional_name(rng, country)
        )
        move_to(ctx, dest, city)
    else:
        dest = ctx.new_entity(
            "exchange_house",
            "beneficiary",
            core=True,
            country=str(rng.choice(["TR", "AE", "LB", "SO"])),
        )
    start = 0.0
    for end in rounds:
        collected = sum(v for h, v in gifts if start <= h < end)
        start = end
        t = after(ctx, end, 6, 3 * 24)  # everything leaves within a week of the round
        for part in split_min(
            rng, collected * float(rng.uniform(0.85, 0.98)), int(rng.integers(1, 4)), minimum=100.0
        ):
            if dest_kind == "msb":
                remit(ctx, collector, dest, t, part, "transfer", **note(rng, REMIT_NOTES))
            else:
                emit(ctx, collector, dest, t, part, "wire", "transfer", **note(rng, WIRE_NOTES))
            t = after(ctx, t, 1, 12)


@scenario(
    "TF-small",
    indicators=["TF-01", "TF-04", "TF-05"],
    description="Several people send repeated small money transfers to one beneficiary near a "
    "conflict zone, or a collector gathers small donations under a shared handle and sends "
    "them abroad within a week.",
    duration_days=50,
)
def small_scale_tf(ctx: ScenarioContext) -> None:
    if ctx.rng.random() < 0.5:
        _small_transfers(ctx, 50)
    else:
        _crowdfunding(ctx, 50)


# -- NPO misuse -------------------------------------------------------------------------------
def _misused_npo(
    ctx: ScenarioContext,
    npo: int,
    days: int,
    incoming: list[tuple[float, float]] | None = None,
    controller_role: str = "controller",
) -> None:
    """TF-07 around an existing NPO account: modest donations at first, then a sudden surge
    (cash, or a few large sponsors, plus ``incoming`` (hours, amount) paid in by the caller),
    paid out by MVTS to individuals in conflict-adjacent places and to traders abroad; the
    controller is linked to a listed person (shared phone or payments) and may take NPO money
    for himself."""
    rng = ctx.rng
    rel = ctx.world.rel
    home = ctx.world.home
    opened_before(ctx, npo, 200, 3000)
    controller = recruit(ctx, controller_role, core=True, profiles={"regular": 1.0})
    cp = ctx.party_of(controller)
    ctx.party_of(npo)["phone"] = cp["phone"]
    cash = rng.random() < 0.55
    mvts = not cash or rng.random() < 0.7
    unrelated = rng.random() < 0.6
    commingle = rng.random() < 0.5
    surge = float(rng.uniform(0.3, 0.5)) * days * 24
    end = (days - 2) * 24
    flows: list[tuple[float, float]] = list(incoming or [])
    persons = rel["persons"]
    lam = float(rng.uniform(0.3, 1.0))
    for day in range(days - 2):
        for _ in range(int(rng.poisson(lam))):
            value = amount(rng, 45, 0.7, 5, 400)
            emit(
                ctx,
                int(rng.choice(persons)),
                npo,
                daytime(ctx, day * 24 + 12),
                value,
                "card",
                "donation",
                narrative="Donation",
                purpose_code="CHAR",
            )
            flows.append((day * 24 + 12, value))
    # the surge: cash paid in, or a handful of large sponsors
    target = float(rng.uniform(30_000, 110_000))
    got = 0.0
    cities = country_reference()["countries"][home]["cities"]
    sponsors = (
        []
        if cash
        else [
            recruit(ctx, "donor", core=True, profiles={"regular": 1.0})
            for _ in range(int(rng.integers(2, 5)))
        ]
    )
    h = daytime(ctx, surge)
    while got < target and h < end - 72:
        if cash:
            value = amount(rng, 5500, 0.4, 2000, 9800)
            emit(ctx, npo, npo, h, value, "cash_deposit", "placement", city=str(rng.choice(cities)))
            h = after(ctx, h, 12, 4 * 24)
        else:
            value = amount(rng, 7000, 0.5, 2500, 18_000)
            emit(
                ctx,
                sponsors[int(rng.integers(len(sponsors)))],
                npo,
                h,
                value,
                "wire",
                "donation",
                narrative="Donation",
                purpose_code="CHAR",
            )
            h = after(ctx, h, 24, 5 * 24)
        flows.append((h, value))
        got += value
    # payees: individuals by MVTS in conflict-adjacent places, traders abroad
    payees: list[tuple[int, str]] = []
    if mvts:
        for _ in range(int(rng.integers(2, 6))):
            country, city = near_conflict(ctx)
            p = ctx.new_person(
                "beneficiary", core=True, country=country, name=regional_name(rng, country)
            )
            move_to(ctx, p, city)
            payees.append((p, "msb_remittance"))
    if unrelated or not payees:
        for _ in range(int(rng.integers(1, 3))):
            trader = ctx.new_entity(
                "company",
                "beneficiary",
                core=True,
                country=str(rng.choice(["AE", "TR", "LB"])),
                name=names.company_name(rng, "hawala"),
            )
            payees.append((trader, "wire"))
    flows.sort()
    balance, k = 0.0, 0
    t = daytime(ctx, float(rng.uniform(5, 10)) * 24)
    while t < end:
        while k < len(flows) and flows[k][0] <= t:
            balance += flows[k][1]
            k += 1
        if t < surge:  # ordinary programme spending at home before the surge
            if balance > 500:
                value = balance * float(rng.uniform(0.5, 0.8))
                emit(
                    ctx,
                    npo,
                    int(rng.choice(rel["suppliers"])),
                    t,
                    value,
                    "wire",
                    "expenses",
                    narrative=str(rng.choice(CHARITY_NOTES)),
                    purpose_code="CHAR",
                )
                balance -= value
            t = after(ctx, t, 8 * 24, 15 * 24)
            continue
        if balance > 2000:
            for part in split_min(
                rng, balance * float(rng.uniform(0.6, 0.9)), int(rng.integers(1, 4)), minimum=1000.0
            ):
                dst, ch = payees[int(rng.integers(len(payees)))]
                if ch == "msb_remittance":
                    remit(
                        ctx,
                        npo,
                        dst,
                        t,
                        part,
                        "transfer",
                        narrative=str(rng.choice(CHARITY_NOTES)),
                        purpose_code="CHAR",
                    )
                else:
                    emit(
                        ctx,
                        npo,
                        dst,
                        t,
                        part,
                        "wire",
                        "transfer",
                        narrative="Invoice",
                        purpose_code="SUPP",
                    )
                balance -= part
                t = after(ctx, t, 1, 20)
        if commingle and balance > 1500 and rng.random() < 0.35:
            value = amount(rng, 2000, 0.4, 800, 4500)
            emit(ctx, npo, controller, t, value, "wire", "layering")
            balance -= value
        t = after(ctx, t, 2 * 24, 7 * 24)
    # the controller's link to a listed person: a shared phone, payments, or both
    listed = listed_party_account(
        ctx, "designated", core=True, record=designated_record(ctx, "individual")
    )
    link = str(rng.choice(["phone", "payments", "both"]))
    if link in ("phone", "both"):
        ctx.party_of(listed)["phone"] = cp["phone"]
    if link in ("payments", "both"):
        h = daytime(ctx, float(rng.uniform(surge / 24, days - 4)) * 24)
        for _ in range(int(rng.integers(1, 3))):
            if h > end:
                break
            remit(
                ctx,
                controller,
                listed,
                h,
                amount(rng, 1200, 0.5, 300, 3000),
                "transfer",
                **note(rng, REMIT_NOTES),
            )
            h = after(ctx, h, 3 * 24, 10 * 24)


@scenario(
    "NPO",
    indicators=["TF-07", "SAN-02", "TF-01"],
    description="A small charity's income surges (cash or a few large sponsors) and goes out "
    "through money-transfer businesses to individuals and traders in conflict-adjacent places; "
    "its controller is linked to a listed person.",
    duration_days=75,
)
def npo_misuse(ctx: ScenarioContext) -> None:
    npo = ctx.new_entity("npo", "npo", core=True)
    _misused_npo(ctx, npo, 75)


# -- hawala -----------------------------------------------------------------------------------
def _hawala_node(ctx: ScenarioContext, role: str = "hawala_operator") -> int:
    """A personal account or a small trading company: no money-transfer licence."""
    if ctx.rng.random() < 0.5:
        return recruit(ctx, role, core=True, profiles={"regular": 0.6, "migrant_remitter": 0.4})
    acct = ctx.new_entity("company", role, core=True, name=names.company_name(ctx.rng, "hawala"))
    opened_before(ctx, acct, 100, 2500)
    return acct


def _run_hawala(
    ctx: ScenarioContext,
    node: int,
    days: int,
    incoming: list[tuple[float, float]] | None = None,
) -> None:
    """TF-08: 30+ customers a month pay ``node`` small sums, a few local payouts, and the
    balance is settled every week or two with trading companies or exchange houses abroad,
    so money in and out nearly balance. ``incoming`` (hours, amount) are extra receipts."""
    rng = ctx.rng
    persons = ctx.world.rel["persons"]
    persons = persons[persons != node]
    partners = []
    for _ in range(int(rng.integers(1, 4))):
        kind = str(rng.choice(["company", "exchange_house"]))
        country = str(rng.choice(SETTLEMENT_COUNTRIES))
        p = ctx.new_entity(
            kind,
            "beneficiary",
            core=True,
            country=country,
            name=names.company_name(rng, "hawala" if kind == "company" else kind),
        )
        if country in NEAR_CONFLICT and rng.random() < 0.5:
            move_to(ctx, p, str(rng.choice(NEAR_CONFLICT[country])))
        partners.append(p)
    flows: list[tuple[float, float]] = list(incoming or [])
    end = (days - 2) * 24
    median = float(rng.uniform(350, 900))
    for block in range(0, days - 2, 30):
        span = min(30, days - 2 - block)
        n_cust = max(8, round(int(rng.integers(32, 46)) * span / 30))
        block_in = 0.0
        for c in rng.choice(persons, min(n_cust, len(persons)), replace=False):
            for _ in range(1 + int(rng.random() < 0.3)):
                h = daytime(ctx, block * 24 + float(rng.uniform(0, span * 24 - 12)))
                value = amount(rng, median, 0.7, 60, 4000)
                ch = "mobile_money" if rng.random() < 0.6 else "wire"
                emit(
                    ctx,
                    int(c),
                    node,
                    h,
                    value,
                    ch,
                    "collection",
                    **note(rng, REMIT_NOTES + P2P_NOTES),
                )
                flows.append((h, value))
                block_in += value
        payout = block_in * float(rng.uniform(0.15, 0.35))
        n_pay = int(rng.integers(5, 14))
        for c, part in zip(
            rng.choice(persons, n_pay, replace=False), split_min(rng, payout, n_pay), strict=False
        ):
            h = daytime(ctx, block * 24 + float(rng.uniform(0, span * 24 - 12)))
            emit(ctx, node, int(c), h, part, "mobile_money", "transfer", **note(rng, P2P_NOTES))
            flows.append((h, -part))
    flows.sort()
    balance, k = 0.0, 0
    t = daytime(ctx, float(rng.uniform(6, 12)) * 24)
    while True:
        while k < len(flows) and flows[k][0] <= t:
            balance += flows[k][1]
            k += 1
        if balance > 3000:
            value = balance * float(rng.uniform(0.9, 1.0))
            emit(
                ctx,
                node,
                partners[int(rng.integers(len(partners)))],
                t,
                value,
                "wire",
                "settlement",
                narrative=str(rng.choice(SETTLEMENT_NOTES)),
            )
            balance -= value
        if t >= end - 24:
            break
        t = min(after(ctx, t, 6 * 24, 14 * 24), end - 24)


@scenario(
    "hawala",
    indicators=["TF-08", "GEN-03", "TF-01"],
    description="An account with no money-transfer licence takes small payments from dozens "
    "of people a month, pays some out locally and settles the balance every week or two with "
    "trading companies or exchange houses abroad.",
    duration_days=70,
)
def hawala(ctx: ScenarioContext) -> None:
    _run_hawala(ctx, _hawala_node(ctx), 70)


# -- designated parties -----------------------------------------------------------------------
@scenario(
    "designated",
    indicators=["SAN-01", "SAN-02"],
    description="A party spelt as a variant of a listed name, with the listed birth date and "
    "nationality, receives (and, when it banks here, sends) funds; the people one hop away "
    "pay it or are paid by it.",
    duration_days=60,
)
def designated_party(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    home = ctx.world.home
    rec = designated_record(ctx)
    if rec.record_type == "individual" and rng.random() < 0.25:
        where = home  # a listed person who banks here under another spelling
    elif rng.random() < 0.5:
        where = rec.nationality_code or "SY"
    else:
        where = str(rng.choice(["TR", "AE", "KE", "LB", "JO"]))
    listed = listed_party_account(ctx, "designated", core=True, record=rec, country=where)
    lp = ctx.party_of(listed)
    profiles = {"regular": 0.6, "migrant_remitter": 0.4}
    associates = [
        recruit(ctx, "associate", core=True, profiles=profiles)
        for _ in range(int(rng.integers(2, 5)))
    ]
    if rng.random() < 0.5:  # one associate shares an identifier with the listed party
        field = "address" if where == home else "phone"
        ctx.party_of(associates[0])[field] = lp[field]
    entity = lp["party_type"] == "entity"
    for a in associates:
        median = float(rng.uniform(800, 3500))
        for h in np.sort(rng.uniform(0, 55 * 24, int(rng.integers(1, 5)))):
            value = amount(rng, median, 0.6, 200, 9500)
            h = daytime(ctx, float(h))
            if where == home:
                ch = "wire" if entity or rng.random() < 0.4 else "mobile_money"
                emit(ctx, a, listed, h, value, ch, "transfer", **note(rng, P2P_NOTES))
            elif entity or rng.random() < 0.35:
                emit(ctx, a, listed, h, value, "wire", "transfer", **note(rng, WIRE_NOTES))
            else:
                remit(ctx, a, listed, h, value, "transfer", **note(rng, REMIT_NOTES))
    if where != home:
        return
    # banking here, the listed person also pays people and sends money abroad
    receivers = [
        recruit(ctx, "associate", core=True, profiles=profiles)
        for _ in range(int(rng.integers(1, 3)))
    ]
    country, city = near_conflict(ctx)
    abroad = ctx.new_person(
        "beneficiary", core=True, country=country, name=regional_name(rng, country)
    )
    move_to(ctx, abroad, city)
    for h in np.sort(rng.uniform(5 * 24, 57 * 24, int(rng.integers(2, 6)))):
        value = amount(rng, 1500, 0.5, 200, 6000)
        if rng.random() < 0.4:
            remit(
                ctx,
                listed,
                abroad,
                daytime(ctx, float(h)),
                value,
                "transfer",
                **note(rng, REMIT_NOTES),
            )
        else:
            dst = receivers[int(rng.integers(len(receivers)))]
            emit(
                ctx,
                listed,
                dst,
                daytime(ctx, float(h)),
                value,
                "mobile_money",
                "transfer",
                **note(rng, P2P_NOTES),
            )


# -- NX-04 --------------------------------------------------------------------------------------
@scenario(
    "NX-04",
    indicators=["NX-04", "HT-08", "HT-12", "HT-13", "HT-15", "SAN-01", "TF-07", "TF-08", "TF-01"],
    description="A controller who lives off exploited people sends part of the proceeds, "
    "through one intermediary and within 90 days, to a listed person, a charity or hawala with "
    "TF flags, or someone in a conflict-adjacent place.",
    duration_days=75,
)
def nexus(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    days = 75
    controller = recruit(
        ctx, "controller", core=True, profiles={"regular": 0.8, "night_worker": 0.2}
    )
    if rng.random() < 0.55:
        sexual_exploitation_block(
            ctx, controller, int(rng.integers(30, 50)), int(rng.integers(2, 5))
        )
    else:
        forced_labour_block(
            ctx,
            controller,
            int(rng.integers(40, 65)),
            mode="returned",
            associate_p=0.0,
            cash_p=0.25,
        )
    if rng.random() < 0.6:
        inter = recruit(ctx, "intermediary", core=True, profiles={"regular": 1.0})
    else:
        inter = ctx.new_entity("company", "intermediary", core=True)
        opened_before(ctx, inter, 30, 700)
    kind = str(rng.choice(["designated", "npo", "hawala", "conflict"]))
    channel = "wire"
    if kind == "npo":
        endpoint = ctx.new_entity("npo", "endpoint", core=True)
    elif kind == "hawala":
        endpoint = _hawala_node(ctx, "endpoint")
    else:
        endpoint, channel = tf_endpoint(ctx, kind)
    incoming: list[tuple[float, float]] = []
    t = daytime(ctx, float(rng.uniform(25, 40)) * 24)
    for _ in range(int(rng.integers(2, 5))):
        if t > (days - 10) * 24:
            break
        value = amount(rng, float(rng.uniform(2500, 6000)), 0.4, 1000, 9500)
        business = ctx.world.acc_type[inter] == "business"
        ch = "wire" if business or rng.random() < 0.5 else "mobile_money"
        emit(
            ctx,
            controller,
            inter,
            t,
            value,
            ch,
            "layering",
            **note(rng, WIRE_NOTES if ch == "wire" else P2P_NOTES),
        )
        fwd_t = after(ctx, t, 4, 96)
        fwd = value * float(rng.uniform(0.85, 1.0))
        if kind == "npo":
            emit(
                ctx,
                inter,
                endpoint,
                fwd_t,
                fwd,
                "wire",
                "transfer",
                narrative="Donation",
                purpose_code="CHAR",
            )
            incoming.append((fwd_t, fwd))
        elif kind == "hawala":
            emit(ctx, inter, endpoint, fwd_t, fwd, "mobile_money", "transfer")
            incoming.append((fwd_t, fwd))
        else:
            pay_endpoint(ctx, inter, endpoint, channel, fwd_t, fwd)
        t = daytime(ctx, t + float(rng.uniform(5, 12)) * 24)
    if kind == "npo":
        _misused_npo(ctx, endpoint, days, incoming, controller_role="npo_controller")
    elif kind == "hawala":
        _run_hawala(ctx, endpoint, days, incoming)
