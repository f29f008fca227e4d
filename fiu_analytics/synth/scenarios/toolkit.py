"""Building blocks shared by the trafficking and terrorism-financing scenarios.

Time helpers, plausible amounts, MSB remittances, recruiting with a fallback, listed-party
accounts and TF endpoints, and the two exploitation blocks (sexual exploitation, forced labour)
that HTSE, HTFL and NX-04 reuse.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from fiu_analytics.synth import names
from fiu_analytics.synth.designations import DesignatedRecord
from fiu_analytics.synth.scenarios.base import ScenarioContext
from fiu_analytics.synth.world import countries_with, country_reference

# Time is counted in fractional hours from the scenario start, so causally ordered hops can be
# spaced precisely (a gap of MIN_GAP_H exceeds the one-minute jitter of ScenarioContext.t).
MIN_GAP_H = 0.25
US_HUBS = ("El Paso", "Laredo", "McAllen")
FOREIGN_HUBS = {
    "MX": ("Tijuana", "Ciudad Juarez", "Nuevo Laredo"),
    "TR": ("Istanbul", "Gaziantep", "Hatay"),
    "NE": ("Agadez", "Niamey"),
    "LY": ("Sabha", "Tripoli"),
}
# Cities in or next to areas where listed groups operate or hold captives; TR is a transit
# country next to one (no conflict_adjacent tag), used only where ``transit`` is allowed.
NEAR_CONFLICT = {
    "SY": ("Idlib", "Al-Hasakah"),
    "IQ": ("Erbil", "Mosul"),
    "LB": ("Tripoli", "Beirut"),
    "SO": ("Mogadishu", "Kismayo"),
    "KE": ("Mandera", "Garissa"),
    "NG": ("Maiduguri", "Kano"),
    "NE": ("Agadez", "Niamey"),
    "ML": ("Gao", "Bamako"),
    "LY": ("Sabha",),
    "YE": ("Aden",),
    "AF": ("Jalalabad", "Kabul"),
    "TR": ("Gaziantep", "Sanliurfa", "Hatay"),
}
# Cities a sexual-exploitation circuit moves through (all in the home country's city list).
CIRCUIT_CITIES = ("Las Vegas", "Houston", "Dallas", "Atlanta", "Miami", "Phoenix", "Chicago")
PERSON_PROFILES = {
    "regular": 0.72,
    "gig_worker": 0.1,
    "migrant_remitter": 0.07,
    "night_worker": 0.05,
    "salesperson": 0.06,
}
P2P_NOTES = ("thanks", "rent share", "gift", "dinner", None, None)
REMIT_NOTES = ("Family support", "Family support", "gift", None)
WIRE_NOTES = ("Invoice", "Goods", "Stock purchase", None)
# Fictional given and family names by region, for parties abroad and diaspora families.
REGIONAL_NAMES = {
    "levant": (
        (
            "Omar",
            "Ali",
            "Hassan",
            "Khalid",
            "Youssef",
            "Ibrahim",
            "Samir",
            "Tariq",
            "Fatima",
            "Aisha",
            "Layla",
            "Rania",
            "Nour",
            "Amina",
        ),
        ("Haddad", "Mansour", "Khalil", "Nasser", "Saleh", "Darwish", "Jaber", "Karam", "Aziz"),
    ),
    "horn": (
        ("Abdi", "Ahmed", "Hassan", "Farah", "Ali", "Hodan", "Faduma", "Amina", "Asha", "Yusuf"),
        ("Abdi", "Ahmed", "Farah", "Warsame", "Osman", "Hersi", "Egal"),
    ),
    "sahel": (
        ("Musa", "Ibrahim", "Bello", "Aisha", "Fatima", "Hauwa", "Moussa", "Amadou", "Ngozi"),
        ("Bello", "Abubakar", "Musa", "Traore", "Maiga", "Okafor", "Eze", "Issoufou"),
    ),
    "turkic": (
        ("Mehmet", "Ahmet", "Emre", "Ayse", "Fatma", "Elif", "Hasan", "Murat"),
        ("Yilmaz", "Demir", "Kaya", "Sahin", "Celik", "Aydin"),
    ),
    "south_asia": (
        ("Ahmad", "Rahim", "Karim", "Zahra", "Maryam", "Bilal", "Farid"),
        ("Khan", "Rahimi", "Karimi", "Noori", "Ahmadi", "Sultani"),
    ),
    "latam": (
        ("Jose", "Luis", "Juan", "Carlos", "Maria", "Ana", "Rosa", "Sofia"),
        ("Garcia", "Hernandez", "Lopez", "Reyes", "Cruz", "Morales", "Ortiz", "Ramirez"),
    ),
}
REGION_OF = {
    "SY": "levant", "IQ": "levant", "LB": "levant", "JO": "levant", "YE": "levant",
    "AE": "levant", "LY": "levant", "SO": "horn", "KE": "horn", "NG": "sahel", "NE": "sahel",
    "ML": "sahel", "TR": "turkic", "AF": "south_asia", "PK": "south_asia", "MX": "latam",
    "GT": "latam", "HN": "latam", "SV": "latam",
}  # fmt: skip


def emit(
    ctx: ScenarioContext,
    src: int,
    dst: int,
    hours: float,
    amount: float,
    channel: str,
    stage: str,
    **strings: Any,
) -> None:
    """One transaction ``hours`` (fractional) after the scenario start."""
    day = int(hours // 24)
    ctx.txn(src, dst, day, amount, channel, stage, hour=float(hours - 24 * day), **strings)


def daytime(ctx: ScenarioContext, hours: float, start: float = 7.5, end: float = 21.5) -> float:
    """``hours`` if it is business time, else the next morning (never earlier)."""
    h = hours % 24
    if start <= h < end:
        return hours
    midnight = hours - h + (24.0 if h >= end else 0.0)
    return midnight + start + float(ctx.rng.uniform(0.0, 2.5))


def after(ctx: ScenarioContext, hours: float, lo: float, hi: float) -> float:
    """A business-time moment ``lo`` to ``hi`` hours (at least :data:`MIN_GAP_H`) later."""
    return daytime(ctx, hours + max(MIN_GAP_H, float(ctx.rng.uniform(lo, hi))))


def night(ctx: ScenarioContext, day: int) -> float:
    """A moment between 21:00 on ``day`` and 04:30 the next morning."""
    return day * 24 + float(ctx.rng.uniform(21.0, 28.5))


def amount(rng: np.random.Generator, median: float, sigma: float, lo: float, hi: float) -> float:
    """A log-normal amount clipped to [lo, hi]; often rounded, as people type amounts."""
    value = float(np.clip(rng.lognormal(np.log(median), sigma), lo, hi))
    step = 50 if value >= 500 else 5
    if rng.random() < 0.5 and lo <= round(value / step) * step <= hi:
        value = float(round(value / step) * step)
    return value


def split_min(rng: np.random.Generator, total: float, k: int, minimum: float = 0.0) -> list[float]:
    """``total`` in ``k`` uneven parts of at least ``minimum`` each (fewer if it cannot be)."""
    if minimum > 0:
        k = max(1, min(k, int(total // minimum)))
    rest = max(total - k * minimum, 0.0)
    return [minimum + rest * float(w) for w in rng.dirichlet(np.full(k, 4.0))]


def note(rng: np.random.Generator, pool: tuple[str | None, ...]) -> dict[str, str]:
    """Narrative (and purpose code) columns for an ordinary-looking payment."""
    text = pool[int(rng.integers(len(pool)))]
    if text is None:
        return {}
    out = {"narrative": text}
    if text == "Family support":
        out["purpose_code"] = "FAMI"
    return out


def msb_code(ctx: ScenarioContext) -> str:
    codes = [i.code for i in ctx.world.institutions if i.kind == "msb"]
    return codes[int(ctx.rng.integers(len(codes)))]


def remit(
    ctx: ScenarioContext,
    src: int,
    dst: int,
    hours: float,
    amount: float,
    stage: str,
    **strings: Any,
) -> None:
    """A money-transfer (MSB) payment, reported by the MSB like normal remittances."""
    emit(
        ctx, src, dst, hours, amount, "msb_remittance", stage, reporter_id=msb_code(ctx), **strings
    )


def recruit(
    ctx: ScenarioContext, role: str, core: bool = False, profiles: dict[str, float] | None = None
) -> int:
    """A person of the normal population (profile drawn from ``profiles``); other profiles and
    finally a new person when the population has no unused account left."""
    prof = profiles or PERSON_PROFILES
    keys = list(prof)
    w = np.asarray([prof[k] for k in keys], float)
    first = str(ctx.rng.choice(keys, p=w / w.sum()))
    for p in dict.fromkeys([first, *keys, *PERSON_PROFILES]):
        try:
            return ctx.recruit(p, role=role, core=core)
        except (RuntimeError, ValueError):
            continue
    return ctx.new_person(role, core=core)


def new_address(ctx: ScenarioContext, country: str, city: str | None = None) -> str:
    city = city or str(ctx.rng.choice(country_reference()["countries"][country]["cities"]))
    return (
        f"{ctx.rng.integers(1, 9999)} {ctx.rng.choice(names.COMPANY_WORDS)} St, {city}, {country}"
    )


def move_to(ctx: ScenarioContext, account: int, city: str) -> None:
    """Put ``account`` (branch city and holder's address) in ``city`` of its country."""
    ctx.world.acc_city[account] = city
    ctx.party_of(account)["address"] = new_address(ctx, ctx.country(account), city)


def opened_before(ctx: ScenarioContext, account: int, lo: int, hi: int) -> None:
    """The account was opened ``lo`` to ``hi`` days before the scenario starts."""
    start = pd.Timestamp(ctx.start_us, unit="us", tz="UTC")
    ctx.world.acc_opened[account] = start - pd.Timedelta(days=int(ctx.rng.integers(lo, hi)))


def regional_name(rng: np.random.Generator, country: str, family: str | None = None) -> str:
    given, families = REGIONAL_NAMES[REGION_OF.get(country, "levant")]
    return f"{rng.choice(given)} {family or rng.choice(families)}"


def near_conflict(ctx: ScenarioContext, transit: bool = True) -> tuple[str, str]:
    """A country tagged conflict-adjacent (or, if ``transit``, next to one) and a city there."""
    pool = [c for c in countries_with("conflict_adjacent") if c in NEAR_CONFLICT]
    if transit:
        pool.append("TR")
    country = pool[int(ctx.rng.integers(len(pool)))]
    return country, str(ctx.rng.choice(NEAR_CONFLICT[country]))


def merchants(ctx: ScenarioContext, mcc: str) -> np.ndarray:
    rel = ctx.world.rel
    return rel["merchants"][rel["merchant_mcc"] == mcc]


def card(
    ctx: ScenarioContext,
    src: int,
    mcc: str,
    hours: float,
    amount: float,
    stage: str,
    city: str | None = None,
) -> None:
    """A card payment at a population merchant of ``mcc``, with the fields normal spend has."""
    m = int(ctx.rng.choice(merchants(ctx, mcc)))
    emit(
        ctx,
        src,
        m,
        hours,
        amount,
        "card",
        stage,
        mcc=mcc,
        merchant=ctx.party_of(m)["name"],
        city=city or ctx.city(m),
    )


def held_accounts(
    ctx: ScenarioContext,
    controller: int,
    n: int,
    role: str,
    p_phone: float = 0.5,
    p_device: float = 0.75,
) -> list[int]:
    """New accounts of people a controller houses and whose banking he runs (HT-12, HT-13):
    opened recently, one shared address, often the controller's phone and device."""
    rng = ctx.rng
    cp = ctx.party_of(controller)
    home = ctx.world.home
    address = cp["address"] if rng.random() < 0.5 else new_address(ctx, home)
    out = []
    for _ in range(n):
        extra: dict[str, Any] = {"address": address}
        if rng.random() < p_phone:
            extra["phone"] = cp["phone"]
        if rng.random() < p_device:
            extra["device_id"] = cp["device_id"]
        v = ctx.new_person(role, **extra)
        opened_before(ctx, v, 2, 45)
        out.append(v)
    return out


def designated_record(ctx: ScenarioContext, record_type: str | None = None) -> DesignatedRecord:
    """A listed record whose ``variant`` spelling is none of the names on the list."""
    recs: list[DesignatedRecord] = ctx.world.rel["designated"]
    listed = {n.casefold() for r in recs for n in (r.primary_name, *(a for a, _ in r.aliases))}
    pool = [
        r
        for r in recs
        if (record_type is None or r.record_type == record_type)
        and r.variant
        and r.variant.casefold() not in listed
    ]
    return pool[int(ctx.rng.integers(len(pool)))]


def listed_party_account(
    ctx: ScenarioContext,
    role: str,
    core: bool = True,
    record: DesignatedRecord | None = None,
    country: str | None = None,
) -> int:
    """An account of a listed person or entity, under a variant spelling of the listed name and,
    for a person, with the listed birth date and nationality (sometimes the passport), so
    screening can corroborate a fuzzy name match (SAN-01)."""
    rng = ctx.rng
    rec = record or designated_record(ctx)
    where = country or rec.nationality_code or "SY"
    if rec.record_type == "individual":
        if rec.birth_date:
            born = date.fromisoformat(rec.birth_date)
        else:
            lo, hi = rec.birth_year_range or (1970, 1990)
            born = date(
                int(rng.integers(lo, hi + 1)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
            )
        party: dict[str, Any] = {"birth_date": born, "nationality": rec.nationality_code}
        if rec.document and rng.random() < 0.35:
            party["id_document"] = rec.document.split(":", 1)[1]
        return ctx.new_person(role, core=core, country=where, name=rec.variant, **party)
    if "Exchange" in rec.variant:
        kind = "exchange_house"
    elif "Hawala" in rec.variant:
        kind = "hawala"
    else:
        kind = "npo"
    return ctx.new_entity(kind, role, core=core, country=where, name=rec.variant)


def tf_endpoint(ctx: ScenarioContext, kind: str, role: str = "endpoint") -> tuple[int, str]:
    """An account abroad where TF funds end and the channel that reaches it: a person in a
    conflict-adjacent place (``conflict``), an exchange house or hawala trader abroad
    (``hawala``) or a listed party under a variant name (``designated``)."""
    rng = ctx.rng
    if kind == "conflict":
        country, city = near_conflict(ctx, transit=False)
        acct = ctx.new_person(role, core=True, country=country, name=regional_name(rng, country))
        move_to(ctx, acct, city)
        return acct, "msb_remittance"
    if kind == "hawala":
        country = str(rng.choice(["TR", "AE", "PK", "SO", "AF", "IQ", "LB"]))
        ek = str(rng.choice(["exchange_house", "hawala"]))
        acct = ctx.new_entity(ek, role, core=True, country=country)
        if country in NEAR_CONFLICT:
            move_to(ctx, acct, str(rng.choice(NEAR_CONFLICT[country])))
        return acct, "wire"
    acct = listed_party_account(ctx, role, core=True)
    person = ctx.party_of(acct)["party_type"] == "person"
    return acct, ("msb_remittance" if person and rng.random() < 0.7 else "wire")


def pay_endpoint(
    ctx: ScenarioContext,
    src: int,
    dst: int,
    channel: str,
    hours: float,
    amount: float,
    stage: str = "transfer",
) -> None:
    if channel == "msb_remittance":
        remit(ctx, src, dst, hours, amount, stage, **note(ctx.rng, REMIT_NOTES))
    else:
        emit(ctx, src, dst, hours, amount, channel, stage, **note(ctx.rng, WIRE_NOTES))


def sexual_exploitation_block(
    ctx: ScenarioContext, controller: int, days: int, n_victims: int
) -> list[int]:
    """Victims sold at night on a circuit of cities; their takings are swept to ``controller``
    (HT-01 adverts, HT-02 hotels, HT-06 night, HT-07 cash in many cities, HT-08 many payers,
    HT-12/HT-13 shared identifiers and control). Returns the victims' accounts."""
    rng = ctx.rng
    victims = held_accounts(ctx, controller, n_victims, "victim", p_phone=0.6, p_device=0.8)
    persons = ctx.world.rel["persons"]
    persons = persons[persons != controller]
    conductor = ctx.world.acc_party[controller]
    circuit = [str(c) for c in rng.choice(CIRCUIT_CITIES, int(rng.integers(3, 6)), replace=False)]
    ad_gap, hotel_gap, sweep_gap = (int(x) for x in rng.integers([2, 3, 1], [5, 7, 4]))
    rate = float(rng.uniform(0.6, 1.4))
    pending = dict.fromkeys(victims, 0.0)
    for day in range(days):
        if day % ad_gap == 0:
            price = float(rng.choice([3, 12, 24, 48, 60]))
            card(
                ctx, controller, "7311", day * 24 + float(rng.uniform(20, 23.9)), price, "expenses"
            )
        if day % hotel_gap == 1:
            card(
                ctx,
                controller,
                "7011",
                daytime(ctx, day * 24 + 14),
                amount(rng, 140, 0.3, 70, 320),
                "expenses",
                city=circuit[day % len(circuit)],
            )
        for v in victims:
            for _ in range(int(rng.poisson(rate))):
                value = amount(rng, 250, 0.5, 60, 900)
                buyer = int(rng.choice(persons))
                emit(ctx, buyer, v, night(ctx, day), value, "mobile_money", "exploitation_income")
                pending[v] += value
            if rng.random() < 0.15:
                value = amount(rng, 450, 0.4, 200, 900)
                emit(
                    ctx,
                    v,
                    v,
                    night(ctx, day),
                    value,
                    "cash_deposit",
                    "placement",
                    city=circuit[int(rng.integers(len(circuit)))],
                    conductor=conductor,
                )
                pending[v] += value
            if day % sweep_gap == 0 and pending[v] > 300:
                value = pending[v] * float(rng.uniform(0.7, 0.95))
                emit(
                    ctx,
                    v,
                    controller,
                    day * 24 + float(rng.uniform(9, 13)),
                    value,
                    "mobile_money",
                    "collection",
                )
                pending[v] -= value
    return victims


def forced_labour_block(
    ctx: ScenarioContext,
    controller: int,
    days: int,
    mode: str | None = None,
    associate_p: float = 0.4,
    cash_p: float = 0.35,
) -> list[int]:
    """A front company paid by real clients pays workers whose wages return to ``controller`` or
    an associate within days (HT-15, HT-17: cash out under the controller's hand), or pays
    several workers' wages into one account a third party holds (HT-16). Workers share a dorm
    address and often the controller's device (HT-12, HT-13); the front has no rent, tax or
    supplier costs (HT-09, HT-14). ``mode``: returned, pooled or mixed. Returns the workers'
    accounts (none when all wages are pooled)."""
    rng = ctx.rng
    rel = ctx.world.rel
    mode = mode or str(rng.choice(["returned", "pooled", "mixed"], p=[0.45, 0.25, 0.3]))
    cp = ctx.party_of(controller)
    conductor = ctx.world.acc_party[controller]
    front = ctx.new_entity("employer", "front_company", core=True, phone=cp["phone"])
    opened_before(ctx, front, 60, 900)
    n_workers = int(rng.integers(4, 10))
    if mode == "returned":
        n_own = n_workers
    elif mode == "pooled":
        n_own = 0
    else:  # two or more workers keep their own accounts, three or more are pooled
        n_workers = max(n_workers, 5)
        n_own = int(rng.integers(2, n_workers - 2))
    workers = held_accounts(ctx, controller, n_own, "victim", p_phone=0.3, p_device=0.6)
    pooled = [str(n) for n in names.person_names(rng, n_workers - n_own)]
    associate = None
    if pooled or rng.random() < associate_p:
        associate = recruit(ctx, "collector", core=True, profiles={"regular": 1.0})
    route = {w: "cash" if rng.random() < cash_p else "transfer" for w in workers}
    for w in workers[:2]:  # at least two workers hand wages back by transfer
        route[w] = "transfer"
    keep = float(rng.uniform(0.05, 0.4))  # share of a wage the worker is left with
    period = int(rng.choice([7, 14]))
    wage = rng.uniform(*((480, 950) if period == 7 else (950, 1900)), n_workers).round(-1)
    clients = rng.choice(
        np.concatenate([rel["suppliers"], rel["employers"]]), int(rng.integers(1, 4)), replace=False
    )
    cash_takings = rng.random() < 0.4
    t = daytime(ctx, 24 * float(rng.uniform(3, period + 3)))
    while t < (days - 4) * 24:
        revenue = float(wage.sum()) * float(rng.uniform(1.15, 1.8))
        in_cash = revenue * float(rng.uniform(0.3, 0.7)) if cash_takings else 0.0
        for part in split_min(rng, revenue - in_cash, int(rng.integers(1, 3))):
            emit(
                ctx,
                int(rng.choice(clients)),
                front,
                daytime(ctx, t - rng.uniform(24, 70)),
                part,
                "wire",
                "exploitation_income",
                narrative="Invoice",
                purpose_code="SUPP",
            )
        for part in split_min(rng, in_cash, int(rng.integers(1, 4))) if in_cash else []:
            emit(
                ctx,
                front,
                front,
                daytime(ctx, t - rng.uniform(12, 96)),
                part,
                "cash_deposit",
                "placement",
                city=ctx.city(front),
            )
        cash_kept = 0.0
        for i, w in enumerate(workers):
            paid = float(wage[i]) * float(rng.uniform(0.97, 1.03))
            tw = t + float(rng.uniform(0, 2))
            emit(
                ctx,
                front,
                w,
                tw,
                paid,
                "wire",
                "placement",
                narrative="Payroll",
                purpose_code="SALA",
            )
            if route[w] == "cash":
                out = float(np.floor(paid * rng.uniform(0.9, 1.0) / 20) * 20)
                emit(
                    ctx,
                    w,
                    w,
                    tw + float(rng.uniform(1, 20)),
                    out,
                    "cash_withdrawal",
                    "collection",
                    city=ctx.city(front),
                    conductor=conductor,
                )
                cash_kept += out
            else:
                to = associate if associate is not None and rng.random() < 0.5 else controller
                ch = "mobile_money" if rng.random() < 0.7 else "wire"
                emit(
                    ctx,
                    w,
                    to,
                    after(ctx, tw, 1, 60),
                    paid * (1 - keep) * rng.uniform(0.95, 1.05),
                    ch,
                    "collection",
                    **note(rng, P2P_NOTES),
                )
            if rng.random() < 0.5:
                card(
                    ctx,
                    w,
                    str(rng.choice(["5411", "5814"])),
                    after(ctx, tw, 10, 120),
                    amount(rng, 30, 0.5, 6, 90),
                    "expenses",
                )
        if cash_kept:
            emit(
                ctx,
                controller,
                controller,
                after(ctx, t, 24, 72),
                cash_kept * float(rng.uniform(0.6, 0.95)),
                "cash_deposit",
                "placement",
                city=ctx.city(controller),
            )
        if pooled and associate is not None:
            total = 0.0
            for name in pooled:
                paid = float(wage[n_own + pooled.index(name)]) * float(rng.uniform(0.97, 1.03))
                emit(
                    ctx,
                    front,
                    associate,
                    t + float(rng.uniform(0, 2)),
                    paid,
                    "wire",
                    "placement",
                    narrative=f"Payroll {name}",
                    purpose_code="SALA",
                )
                total += paid
            th = after(ctx, t, 3, 40)
            cash = max(100.0, float(np.floor(total * rng.uniform(0.2, 0.5) / 100) * 100))
            emit(
                ctx,
                associate,
                associate,
                th,
                cash,
                "cash_withdrawal",
                "collection",
                city=ctx.city(associate),
            )
            emit(
                ctx,
                associate,
                controller,
                after(ctx, th, 1, 30),
                (total - cash) * float(rng.uniform(0.6, 0.9)),
                "mobile_money" if rng.random() < 0.5 else "wire",
                "collection",
            )
        t = daytime(ctx, t + period * 24 + float(rng.uniform(-6, 6)))
    if rng.random() < 0.35:  # the recruiter abroad gets a cut (HT-20)
        country = str(rng.choice(countries_with("tip_source")))
        recruiter = ctx.new_person(
            "intermediary",
            core=True,
            country=country,
            name=regional_name(rng, country) if country in REGION_OF else None,
        )
        h = daytime(ctx, 24 * float(rng.uniform(10, 20)))
        for _ in range(int(rng.integers(1, 4))):
            if h > (days - 2) * 24:
                break
            remit(
                ctx,
                controller,
                recruiter,
                h,
                amount(rng, 1500, 0.4, 600, 2900),
                "transfer",
                **note(rng, REMIT_NOTES),
            )
            h = after(ctx, h, 7 * 24, 18 * 24)
    return workers


# -- scenarios -------------------------------------------------------------------------------
