"""Trafficking scenarios: HTSE, HTFL, MS, KFR (NX-01) and NX-06 (victim accounts as mules)."""

from __future__ import annotations

import numpy as np

from fiu_analytics.synth import names
from fiu_analytics.synth.scenarios.base import ScenarioContext, scenario
from fiu_analytics.synth.scenarios.toolkit import (
    FOREIGN_HUBS,
    P2P_NOTES,
    REGION_OF,
    REGIONAL_NAMES,
    REMIT_NOTES,
    US_HUBS,
    WIRE_NOTES,
    after,
    amount,
    daytime,
    emit,
    forced_labour_block,
    held_accounts,
    move_to,
    near_conflict,
    night,
    note,
    pay_endpoint,
    recruit,
    regional_name,
    remit,
    split_min,
    tf_endpoint,
)
from fiu_analytics.synth.world import country_reference


@scenario(
    "HTSE",
    indicators=["HT-01", "HT-02", "HT-06", "HT-07", "HT-08", "HT-12", "HT-13"],
    description="Controller advertises victims, collects their night-time earnings and "
    "cash deposited in several cities, and sweeps their accounts.",
    duration_days=45,
)
def htse(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    controller = ctx.recruit("regular", role="controller", core=True)
    cparty = ctx.party_of(controller)
    victims = []
    for _ in range(int(rng.integers(3, 6))):
        v = ctx.new_person("victim", address=cparty["address"], phone=cparty["phone"], country=None)
        # victims' accounts are opened recently, often by the controller (HT-12, HT-13)
        ctx.world.acc_opened[v] = ctx.world.start
        ctx.party_of(v)["device_id"] = cparty["device_id"]
        victims.append(v)
    persons = ctx.world.rel["persons"]
    ad_site = ctx.world.rel["merchants"][ctx.world.rel["merchant_mcc"] == "7311"][0]
    hotels = ctx.world.rel["merchants"][ctx.world.rel["merchant_mcc"] == "7011"]
    cities = ["Las Vegas", "Houston", "Dallas", "Atlanta", "Miami", "Phoenix"]
    for day in range(45):
        if day % 3 == 0:
            ctx.txn(
                controller,
                ad_site,
                day,
                float(rng.choice([3, 12, 24, 48])),
                "card",
                "expenses",
                hour=float(rng.uniform(21, 23.9)),
                mcc="7311",
                merchant="Online Classifieds",
            )
        if day % 4 == 1:
            ctx.txn(
                controller,
                int(rng.choice(hotels)),
                day,
                float(rng.uniform(90, 180)),
                "card",
                "expenses",
                mcc="7011",
                merchant="Travel Hotel Group",
                city=str(rng.choice(cities)),
            )
        for v in victims:
            for _ in range(int(rng.poisson(1.3))):
                buyer = int(rng.choice(persons))
                ctx.txn(
                    buyer,
                    v,
                    day,
                    float(rng.uniform(100, 800)),
                    "mobile_money",
                    "exploitation_income",
                    hour=float(rng.uniform(22, 27.5) % 24),
                )
            if day % 5 == 2:
                ctx.txn(
                    v,
                    v,
                    day,
                    float(rng.uniform(200, 800)),
                    "cash_deposit",
                    "placement",
                    hour=float(rng.uniform(0, 4)),
                    city=str(rng.choice(cities)),
                    conductor=ctx.world.acc_party[controller],
                )
            if day % 2 == 1:
                ctx.txn(
                    v,
                    controller,
                    day,
                    float(rng.uniform(500, 1500)),
                    "mobile_money",
                    "collection",
                    hour=float(rng.uniform(9, 12)),
                )


@scenario(
    "HTFL",
    indicators=["HT-09", "HT-12", "HT-13", "HT-14", "HT-15", "HT-16", "HT-17", "HT-20", "HT-22"],
    description="A front company pays workers' wages that come back to the employer or its "
    "associates within days, or pays several workers' wages into one account a third party "
    "holds.",
    duration_days=75,
)
def forced_labour(ctx: ScenarioContext) -> None:
    controller = recruit(
        ctx, "controller", core=True, profiles={"regular": 0.85, "salesperson": 0.15}
    )
    forced_labour_block(ctx, controller, days=int(ctx.rng.integers(50, 74)))


@scenario(
    "MS",
    indicators=["MS-01", "MS-02", "GEN-02"],
    description="Many senders in many cities pay one beneficiary at a border or transit hub, each "
    "under the 3,000 record-keeping threshold; a domestic beneficiary moves the money on to a "
    "hawala or exchange business abroad.",
    duration_days=40,
)
def migrant_smuggling(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    home = ctx.world.home
    domestic = rng.random() < 0.5
    if domestic:
        ben = recruit(ctx, "beneficiary", core=True, profiles={"regular": 0.8, "gig_worker": 0.2})
        move_to(ctx, ben, str(rng.choice(US_HUBS)))
    else:
        country = str(rng.choice(list(FOREIGN_HUBS)))
        ben = ctx.new_person(
            "beneficiary", core=True, country=country, name=regional_name(rng, country)
        )
        move_to(ctx, ben, str(rng.choice(FOREIGN_HUBS[country])))
    origins = [c for c in country_reference()["countries"][home]["cities"] if c not in US_HUBS]
    origins = [str(c) for c in rng.permutation(origins)]
    span = float(rng.uniform(12, 24)) * 24
    fee = float(rng.uniform(1300, 2500))
    received: list[tuple[float, float]] = []
    for i in range(int(rng.integers(6, 15))):
        sender = recruit(
            ctx, "sender", profiles={"migrant_remitter": 0.45, "regular": 0.4, "gig_worker": 0.15}
        )
        city = origins[i % len(origins)]
        h = daytime(ctx, float(rng.uniform(0, span)))
        for _ in range(1 + int(rng.random() < 0.35)):
            value = float(np.clip(rng.normal(fee, 450), 300, 2990))
            value = float(round(value, -1)) if rng.random() < 0.5 else value
            if not domestic:
                remit(ctx, sender, ben, h, value, "collection", city=city, **note(rng, REMIT_NOTES))
            else:
                ch = str(
                    rng.choice(
                        ["cash_deposit", "mobile_money", "wire", "msb_remittance"],
                        p=[0.35, 0.3, 0.2, 0.15],
                    )
                )
                if ch == "cash_deposit":  # paid in at a branch in the sender's city
                    emit(
                        ctx,
                        ben,
                        ben,
                        h,
                        value,
                        ch,
                        "collection",
                        city=city,
                        conductor=ctx.world.acc_party[sender],
                    )
                elif ch == "msb_remittance":
                    remit(ctx, sender, ben, h, value, "collection", city=city)
                else:
                    emit(
                        ctx,
                        sender,
                        ben,
                        h,
                        value,
                        ch,
                        "collection",
                        city=city,
                        **note(rng, P2P_NOTES),
                    )
            received.append((h, value))
            h = after(ctx, h, 3 * 24, 10 * 24)
            if h > span + 10 * 24:
                break
    if not domestic:
        return
    # the hub beneficiary pulls some cash out and settles the rest with a hawala abroad
    dest = str(rng.choice(["MX", "MX", "GT", "TR"]))
    hawala = ctx.new_entity(
        str(rng.choice(["hawala", "exchange_house"])), "intermediary", core=True, country=dest
    )
    received.sort()
    gap = float(rng.uniform(4, 8)) * 24
    due, balance = received[0][0] + gap, 0.0
    for k, (h, value) in enumerate(received):
        balance += value
        if h < due and k < len(received) - 1:
            continue
        t = after(ctx, h, 4, 40)
        cash = float(np.floor(balance * rng.uniform(0.05, 0.3) / 100) * 100)
        if cash:
            emit(ctx, ben, ben, t, cash, "cash_withdrawal", "placement", city=ctx.city(ben))
        emit(
            ctx,
            ben,
            hawala,
            after(ctx, t, 1, 20),
            (balance - cash) * rng.uniform(0.85, 0.98),
            "wire",
            "settlement",
            **note(rng, WIRE_NOTES),
        )
        balance, due = 0.0, h + gap


def _family(ctx: ScenarioContext, country: str, avoid: str) -> tuple[int, list[int], str]:
    """A diaspora family: a relative who pays and 3-5 relatives who chip in, all with one
    surname, each sharing the payer's address (household) or phone (family contact)."""
    rng = ctx.rng
    given, families = REGIONAL_NAMES[REGION_OF.get(country, "levant")]
    surname = str(rng.choice([f for f in families if f != avoid]))
    payer = recruit(ctx, "family_payer", profiles={"migrant_remitter": 0.5, "regular": 0.5})
    pp = ctx.party_of(payer)
    pp["name"] = f"{rng.choice(given)} {surname}"
    members = []
    for i in range(int(rng.integers(3, 6))):
        m = recruit(ctx, "family", profiles={"regular": 0.7, "migrant_remitter": 0.3})
        mp = ctx.party_of(m)
        mp["name"] = f"{rng.choice(given)} {surname}"
        if i < 2 or rng.random() < 0.5:
            mp["address"] = pp["address"]
        else:
            mp["phone"] = pp["phone"]
        members.append(m)
    return payer, members, surname


@scenario(
    "KFR",
    indicators=["NX-01", "TF-01", "SAN-02"],
    description="Relatives pool money within days and one of them sends one to three large "
    "money-transfer payments to an unrelated intermediary near an area where captives are held; "
    "the same intermediary is paid by several families.",
    duration_days=70,
)
def ransom(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    country, city = near_conflict(ctx)
    inter_name = regional_name(rng, country)
    inter = ctx.new_person("intermediary", core=True, country=country, name=inter_name)
    move_to(ctx, inter, city)
    agent = None
    if rng.random() < 0.4:  # a domestic trading business that moves the money informally
        agent = ctx.new_entity(
            "company", "intermediary", core=True, name=names.company_name(rng, "hawala")
        )
    owed: list[tuple[float, float]] = []
    for _ in range(int(rng.choice([1, 2, 3], p=[0.25, 0.45, 0.3]))):
        payer, members, _surname = _family(ctx, country, avoid=inter_name.split()[-1])
        start = daytime(ctx, float(rng.uniform(0, 40)) * 24)
        window = float(rng.uniform(3, 11)) * 24
        total, last = 0.0, start
        for m in members:
            for _ in range(1 + int(rng.random() < 0.3)):
                h = daytime(ctx, start + float(rng.uniform(0, window)))
                value = amount(rng, float(rng.uniform(900, 2500)), 0.5, 200, 6000)
                ch = str(rng.choice(["mobile_money", "wire", "cash_deposit"], p=[0.5, 0.3, 0.2]))
                if ch == "cash_deposit":
                    emit(
                        ctx,
                        payer,
                        payer,
                        h,
                        value,
                        ch,
                        "collection",
                        city=ctx.city(payer),
                        conductor=ctx.world.acc_party[m],
                    )
                else:
                    emit(ctx, m, payer, h, value, ch, "collection", **note(rng, P2P_NOTES))
                total += value
                last = max(last, h)
        ransom_total = total * float(rng.uniform(1.0, 1.4))
        h = after(ctx, last, 6, 96)
        for part in split_min(rng, ransom_total, int(rng.integers(1, 4)), minimum=3000.0):
            if agent is not None:
                emit(
                    ctx,
                    payer,
                    agent,
                    h,
                    part,
                    "wire",  # to a business
                    "transfer",
                )
                owed.append((h, part))
            else:
                remit(ctx, payer, inter, h, part, "transfer", **note(rng, REMIT_NOTES))
            h = after(ctx, h, 20, 96)
    if agent is not None:  # the agent settles with the intermediary, keeping a commission
        owed.sort()
        i = 0
        while i < len(owed):
            j, total = i, 0.0
            while j < len(owed) and owed[j][0] - owed[i][0] < 72:
                total += owed[j][1]
                j += 1
            emit(
                ctx,
                agent,
                inter,
                after(ctx, owed[j - 1][0], 6, 72),
                total * float(rng.uniform(0.95, 0.99)),
                "wire",
                "settlement",
                **note(rng, WIRE_NOTES),
            )
            i = j


@scenario(
    "NX-06",
    indicators=["NX-06", "HT-12", "HT-13", "GEN-03", "TF-01", "SAN-02"],
    description="Accounts a controller opened for the people he exploits receive money and pass "
    "80% or more of it on within two days to a conflict area, a hawala or exchange house "
    "abroad, or a listed party.",
    duration_days=50,
)
def victim_mules(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    controller = recruit(ctx, "controller", core=True)
    cparty = ctx.world.acc_party[controller]
    # the controller runs the mules' online banking from his own device
    mules = held_accounts(
        ctx, controller, int(rng.integers(3, 6)), "mule", p_phone=0.5, p_device=1.0
    )
    kind = str(rng.choice(["conflict", "hawala", "designated"]))
    endpoints = [tf_endpoint(ctx, kind) for _ in range(1 + int(rng.random() < 0.4))]
    funders = []
    if rng.random() < 0.5:
        funders = [recruit(ctx, "intermediary", core=True) for _ in range(int(rng.integers(1, 3)))]
    cities = [c for c in country_reference()["countries"][ctx.world.home]["cities"]]
    persons = ctx.world.rel["persons"]
    end_h = 48 * 24
    for m in mules:
        if rng.random() < 0.4:  # the controller also lives off the victim's work
            for _ in range(int(rng.integers(2, 7))):
                day = int(rng.integers(0, 45))
                value = amount(rng, 200, 0.5, 60, 700)
                emit(
                    ctx,
                    int(rng.choice(persons)),
                    m,
                    night(ctx, day),
                    value,
                    "mobile_money",
                    "exploitation_income",
                )
                emit(
                    ctx,
                    m,
                    controller,
                    after(ctx, night(ctx, day), 6, 30),
                    value * float(rng.uniform(0.7, 0.95)),
                    "mobile_money",
                    "collection",
                )
        h = daytime(ctx, float(rng.uniform(0, 12)) * 24)
        for _ in range(int(rng.integers(2, 6))):
            if h > end_h - 72:
                break
            total = float(rng.uniform(1500, 7500))
            t = h
            for part in split_min(rng, total, int(rng.integers(1, 4)), minimum=300.0):
                if funders:
                    src = funders[int(rng.integers(len(funders)))]
                    emit(
                        ctx,
                        src,
                        m,
                        t,
                        part,
                        str(rng.choice(["wire", "mobile_money"])),
                        "placement",
                        **note(rng, P2P_NOTES),
                    )
                else:
                    emit(
                        ctx,
                        m,
                        m,
                        t,
                        part,
                        "cash_deposit",
                        "placement",
                        city=str(rng.choice(cities)),
                        conductor=cparty,
                    )
                last = t
                t += float(rng.uniform(0.5, 4))  # ATM and app deposits: any hour
            out = total * float(rng.uniform(0.82, 0.97))
            t = after(ctx, last, 1, 20)
            for part in split_min(rng, out, 1 + int(rng.random() < 0.4), minimum=200.0):
                dst, ch = endpoints[int(rng.integers(len(endpoints)))]
                pay_endpoint(ctx, m, dst, ch, t, part)
                t += float(rng.uniform(0.5, 3))
            if rng.random() < 0.5:
                emit(
                    ctx,
                    m,
                    controller,
                    after(ctx, t, 6, 48),
                    (total - out) * 0.8,
                    "mobile_money",
                    "collection",
                )
            h = daytime(ctx, t + float(rng.uniform(3, 10)) * 24)
