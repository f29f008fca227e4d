"""Normal behaviour, vectorised over all accounts for one time window.

Every function draws counts per account from a Poisson rate, repeats account indices, and draws
times, amounts and counterparties as arrays: no Python loop over transactions. Rates are per 30
days. Hard-negative profiles (see :mod:`fiu_analytics.synth.population`) are generated here too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fiu_analytics.synth.events import Events
from fiu_analytics.synth.world import World, country_reference

US = 1_000_000
DAY = 86_400 * US


def _times(
    rng: np.random.Generator,
    n: int,
    t0: int,
    t1: int,
    night: np.ndarray | None = None,
) -> np.ndarray:
    """Random timestamps in [t0, t1): day-time by default, 22:00-05:00 where ``night``."""
    days = (t1 - t0) // DAY
    day = rng.integers(0, max(days, 1), n)
    hour = np.clip(rng.normal(14, 3.5, n), 6.5, 22.9)
    if night is not None:
        nh = (22 + rng.gamma(2.0, 1.4, n)) % 24
        nh = np.where((nh > 6) & (nh < 22), 23.5, nh)
        hour = np.where(night, nh, hour)
    return t0 + day * DAY + (hour * 3600 * US).astype(np.int64) + rng.integers(0, 60 * US, n)


def _repeat(
    rng: np.random.Generator, accounts: np.ndarray, rate_per_30d: float | np.ndarray, days: float
) -> np.ndarray:
    lam = np.broadcast_to(np.asarray(rate_per_30d, float) * days / 30.0, accounts.shape)
    return np.repeat(accounts, rng.poisson(lam))


def _days_in(t0: int, t1: int) -> pd.DatetimeIndex:
    return pd.date_range(
        pd.Timestamp(t0, unit="us", tz="UTC"), pd.Timestamp(t1 - 1, unit="us", tz="UTC"), freq="D"
    ).normalize()


def normal_events(world: World, t0: int, t1: int, rng: np.random.Generator) -> Events:
    """All normal transactions with timestamps in [t0, t1) (microseconds since the epoch)."""
    r = world.rel
    ev = Events()
    days = (t1 - t0) / DAY
    persons, prof = r["persons"], r["person_profile"]
    home = world.home
    country = np.asarray(world.acc_country)
    acc_city = np.asarray(world.acc_city)
    night = prof == "night_worker"
    cities = np.array(country_reference()["countries"][home]["cities"])

    # card spend -------------------------------------------------------------------------
    rate = np.select(
        [prof == "salesperson", prof == "regular", prof == "light"], [22.0, 16.0, 6.0], 12.0
    )
    idx = np.repeat(np.arange(len(persons)), rng.poisson(rate * days / 30))
    n = len(idx)
    w = r["mcc_weight"] / r["mcc_weight"].sum()
    m = rng.choice(len(r["merchants"]), n, p=w)
    amt = rng.lognormal(np.log(38), 0.9, n)
    ts = _times(rng, n, t0, t1, night[idx])
    city = acc_city[r["merchants"][m]]
    ev.add(
        persons[idx],
        r["merchants"][m],
        ts,
        amt,
        "card",
        mcc=r["merchant_mcc"][m],
        merchant=np.asarray([world.parties[world.acc_party[a]]["name"] for a in r["merchants"]])[m],
        city=city,
        src_country=home,
        dst_country=home,
    )
    # salespeople: hotels in many cities and flights
    sp = np.flatnonzero(prof == "salesperson")
    for mcc, label, rate_sp, median in (("7011", "Hotel", 9.0, 140), ("4511", "Airline", 3.0, 320)):
        i = _repeat(rng, sp, rate_sp, days)
        hotel_m = r["merchants"][r["merchant_mcc"] == mcc]
        ev.add(
            persons[i],
            rng.choice(hotel_m, len(i)),
            _times(rng, len(i), t0, t1),
            rng.lognormal(np.log(median), 0.4, len(i)),
            "card",
            mcc=mcc,
            merchant=f"Travel {label} Group",
            city=rng.choice(cities, len(i)),
            src_country=home,
            dst_country=home,
        )

    # ATM withdrawals ----------------------------------------------------------------------
    i = _repeat(rng, np.arange(len(persons)), 2.5, days)
    a = persons[i]
    ev.add(
        a,
        a,
        _times(rng, len(i), t0, t1, night[i]),
        rng.choice([40, 60, 100, 200, 300, 500], len(i), p=[0.15, 0.2, 0.3, 0.2, 0.1, 0.05]),
        "cash_withdrawal",
        city=acc_city[a],
        src_country=home,
        dst_country=home,
    )

    # bills and rent, salaries: calendar driven ---------------------------------------------
    for day in _days_in(t0, t1):
        d = day.day
        day_us = int(day.value // 1000)
        if d == 3:
            ev.add(
                persons,
                r["landlord_of"],
                _times(rng, len(persons), day_us, day_us + DAY),
                r["rent"],
                "wire",
                narrative="Rent",
                purpose_code="RENT",
                src_country=home,
                dst_country=home,
            )
        if d in (10, 20):
            util = rng.choice(r["utilities"], len(persons))
            ev.add(
                persons,
                util,
                _times(rng, len(persons), day_us, day_us + DAY),
                rng.lognormal(np.log(85), 0.5, len(persons)),
                "wire",
                narrative="Utility bill",
                purpose_code="UBIL",
                src_country=home,
                dst_country=home,
            )
        for e, pay_day in r["pay_day"].items():
            if pay_day != d:
                continue
            workers = np.flatnonzero(r["employer_of"] == e)
            if len(workers) == 0:
                continue
            ev.add(
                e,
                persons[workers],
                _times(rng, len(workers), day_us, day_us + DAY),
                r["salary"][workers],
                "wire",
                narrative=np.where(
                    rng.random(len(workers)) < 0.3,
                    np.char.add("Payroll ", r["person_names"][workers]),
                    "Payroll",
                ).astype(object),
                purpose_code="SALA",
                src_country=home,
                dst_country=home,
            )
            # employer pays its own rent and suppliers the same day
            ev.add(
                e,
                rng.choice(r["suppliers"], 3),
                _times(rng, 3, day_us, day_us + DAY),
                rng.lognormal(np.log(9000), 0.8, 3),
                "wire",
                narrative="Invoice",
                purpose_code="SUPP",
                src_country=home,
                dst_country=home,
            )

    # cash deposits by persons, a quarter made by a friend or relative (a conductor) ----------
    i = _repeat(rng, np.arange(len(persons)), 0.6, days)
    a = persons[i]
    friend_party = np.asarray(world.acc_party)[r["friends"][i, 0]]
    ev.add(
        a,
        a,
        _times(rng, len(i), t0, t1, night[i]),
        rng.lognormal(np.log(450), 0.8, len(i)),
        "cash_deposit",
        city=acc_city[a],
        conductor=np.where(rng.random(len(i)) < 0.25, friend_party, -1),
        src_country=home,
        dst_country=home,
    )
    # a few people buy crypto-assets now and then
    i = _repeat(rng, np.flatnonzero(r["crypto_user"]), 1.5, days)
    ev.add(
        persons[i],
        rng.choice(r["vasps"], len(i)),
        _times(rng, len(i), t0, t1, night[i]),
        rng.lognormal(np.log(150), 1.0, len(i)),
        "crypto",
        narrative="Crypto purchase",
        src_country=home,
        dst_country=home,
    )

    # P2P with friends ---------------------------------------------------------------------
    i = _repeat(rng, np.arange(len(persons)), 1.5, days)
    f = r["friends"][i, rng.integers(0, 3, len(i))]
    ev.add(
        persons[i],
        f,
        _times(rng, len(i), t0, t1),
        rng.lognormal(np.log(60), 0.8, len(i)),
        "mobile_money",
        narrative=rng.choice(["dinner", "thanks", "rent share", "gift", None], len(i)).astype(
            object
        ),
        src_country=home,
        dst_country=home,
    )
    # gig workers receive many small payments from many different people
    gig = np.flatnonzero(prof == "gig_worker")
    i = _repeat(rng, gig, 25.0, days)
    payers = persons[rng.integers(0, len(persons), len(i))]
    ev.add(
        payers,
        persons[i],
        _times(rng, len(i), t0, t1, rng.random(len(i)) < 0.3),
        rng.lognormal(np.log(120), 0.6, len(i)),
        "mobile_money",
        narrative=rng.choice(
            ["lesson", "haircut", "repair", "delivery", "cleaning"], len(i)
        ).astype(object),
        src_country=home,
        dst_country=home,
    )

    # donations to NPOs, NPO grants to partners in conflict areas ----------------------------
    donors = np.flatnonzero(r["donor"])
    i = _repeat(rng, donors, 1.0, days)
    ev.add(
        persons[i],
        r["npo_of"][i],
        _times(rng, len(i), t0, t1),
        rng.lognormal(np.log(45), 0.7, len(i)),
        np.where(rng.random(len(i)) < 0.5, "card", "mobile_money").astype(object),
        narrative=np.where(
            rng.random(len(i)) < 0.35, r["npo_handle"][r["npo_index"][i]], "Donation"
        ).astype(object),
        purpose_code="CHAR",
        src_country=home,
        dst_country=home,
    )
    i = _repeat(rng, r["npos"], 3.0, days)
    p = rng.choice(r["partners"], len(i))
    ev.add(
        i,
        p,
        _times(rng, len(i), t0, t1),
        rng.lognormal(np.log(12000), 0.6, len(i)),
        "wire",
        narrative=rng.choice(
            ["Humanitarian grant", "Food programme", "Medical supplies"], len(i)
        ).astype(object),
        purpose_code="CHAR",
        src_country=home,
        dst_country=country[p],
    )

    # migrant workers remit to family abroad by MSB ------------------------------------------
    mig = r["migrants"]
    k = np.repeat(np.arange(len(mig)), rng.poisson(2.2 * days / 30, len(mig)))
    fam = r["family_of_migrant"][k]
    inst = r["migrant_msb_inst"][k]
    ev.add(
        mig[k],
        fam,
        _times(rng, len(k), t0, t1),
        rng.lognormal(np.log(380), 0.45, len(k)),
        np.where(rng.random(len(k)) < 0.15, "hawala", "msb_remittance").astype(object),
        narrative="Family support",
        purpose_code="FAMI",
        reporter_id=np.array([world.institutions[j].code for j in inst], dtype=object),
        src_country=home,
        dst_country=country[fam],
    )

    # cash businesses deposit takings; some habitually just under the reporting threshold ----
    shops = r["shops"]
    i = _repeat(rng, np.arange(len(shops)), 22.0, days)
    near = r["near_threshold_shop"][i] & (rng.random(len(i)) < 0.45)
    amt = np.where(near, rng.uniform(8000, 9990, len(i)), rng.lognormal(np.log(2600), 0.6, len(i)))
    a = shops[i]
    ev.add(
        a,
        a,
        _times(rng, len(i), t0, t1),
        amt,
        "cash_deposit",
        city=acc_city[a],
        conductor=np.where(rng.random(len(i)) < 0.5, r["shop_staff"][i], -1),
        src_country=home,
        dst_country=home,
    )
    i = _repeat(rng, shops, 4.0, days)
    ev.add(
        i,
        rng.choice(r["suppliers"], len(i)),
        _times(rng, len(i), t0, t1),
        rng.lognormal(np.log(7000), 0.5, len(i)),
        "wire",
        narrative="Stock purchase",
        purpose_code="SUPP",
        src_country=home,
        dst_country=home,
    )

    # MSB businesses: customer cash in, weekly settlement to exchange houses abroad ----------
    msbs = r["msbs"]
    i = _repeat(rng, msbs, 60.0, days)
    ev.add(
        i,
        i,
        _times(rng, len(i), t0, t1),
        rng.lognormal(np.log(900), 0.7, len(i)),
        "cash_deposit",
        city=acc_city[i],
        src_country=home,
        dst_country=home,
    )
    i = _repeat(rng, msbs, 4.5, days)
    x = rng.choice(r["exchange_houses"], len(i))
    ev.add(
        i,
        x,
        _times(rng, len(i), t0, t1),
        rng.lognormal(np.log(11000), 0.4, len(i)),
        "wire",
        narrative="Settlement",
        purpose_code="INTC",
        src_country=home,
        dst_country=country[x],
    )

    # merchants, landlords and utilities pay suppliers ---------------------------------------
    payers = np.concatenate([r["merchants"], r["landlords"], r["utilities"]])
    i = _repeat(rng, payers, 2.0, days)
    ev.add(
        i,
        rng.choice(r["suppliers"], len(i)),
        _times(rng, len(i), t0, t1),
        rng.lognormal(np.log(5000), 0.9, len(i)),
        "wire",
        narrative="Invoice",
        purpose_code="SUPP",
        src_country=home,
        dst_country=home,
    )
    return ev
