"""Build the normal population: persons with behaviour profiles and the entities they deal with.

Profiles (``profiles`` table) and the typologies they are hard negatives for:

==================== ===========================================================================
regular              salaried person: card spend, rent, bills, ATM, P2P with friends
migrant_remitter     sends part of the wage to family in high-risk countries by MSB (TF-01, HT-20)
night_worker         card and ATM activity at night (HT-06)
salesperson          hotel stays in many cities, flights (HT-02, HT-03)
gig_worker           many small P2P payments from many people (HT-08, MS-01, fan_in)
employer             pays many workers on pay day (HTFL, HT-09, fan_out)
cash_shop            daily cash deposits, some habitually just under the threshold (GEN-01)
merchant             card takings from many customers (fan_in)
npo_humanitarian     donations from many donors, wires to partners in conflict areas (TF-04, TF-07)
msb_business         many customer deposits, periodic settlement abroad (TF-08, GEN-03)
landlord / utility   rents and bills from many tenants (fan_in)
==================== ===========================================================================
"""

from __future__ import annotations

import numpy as np

from fiu_analytics.synth import names
from fiu_analytics.synth.world import Institution, World, countries_with

HARD_NEGATIVES = {
    "migrant_remitter": "TF-01;HT-20;MS-01",
    "night_worker": "HT-06",
    "salesperson": "HT-02;HT-03",
    "gig_worker": "HT-08;MS-01;fan_in",
    "employer": "HTFL;HT-09;fan_out",
    "cash_shop": "GEN-01;HT-22",
    "merchant": "fan_in",
    "npo_humanitarian": "TF-04;TF-07",
    "msb_business": "TF-08;GEN-03",
    "landlord": "fan_in",
}

PERSON_MIX = {
    "regular": 0.78,
    "migrant_remitter": 0.08,
    "night_worker": 0.05,
    "salesperson": 0.04,
    "gig_worker": 0.05,
}

# (mcc, label, weight for ordinary spend)
MCCS = [
    ("5411", "Grocery", 30),
    ("5812", "Restaurant", 12),
    ("5814", "Fast Food", 12),
    ("5541", "Gas Station", 10),
    ("5912", "Pharmacy", 5),
    ("5651", "Clothing", 5),
    ("4814", "Telecom", 3),
    ("5813", "Bar", 3),
    ("7230", "Beauty Salon", 3),
    ("4121", "Taxi", 4),
    ("7011", "Hotel", 1),
    ("4511", "Airline", 1),
    ("4131", "Bus Lines", 1),
    ("7311", "Online Classifieds", 1),
    ("5999", "Online Marketplace", 8),
]


def build_institutions(world: World) -> None:
    home = world.home
    for i, label in enumerate(
        [
            "First National",
            "Citizens Federal",
            "Union Savings",
            "Metro Commerce",
            "Harbor Trust",
            "Frontier Community",
        ]
    ):
        world.institutions.append(
            Institution(f"BNK{i + 1:02d}", f"{label} Bank", home, "bank", True)
        )
    for i, label in enumerate(["SwiftSend Money Transfer", "GlobalRemit Services"]):
        world.institutions.append(Institution(f"MSB{i + 1:02d}", label, home, "msb", True))


def build_population(world: World, n_persons: int) -> None:
    """Fill ``world`` with ``n_persons`` persons and proportionate entities, and relationships."""
    rng = world.rng
    build_institutions(world)
    world.hard_negative.update(HARD_NEGATIVES)
    n_employers = max(4, n_persons // 40)
    n_shops = max(6, n_persons // 60)
    n_merchants = max(len(MCCS) * 2, n_persons // 40)
    n_landlords = max(3, n_persons // 80)
    n_npo = max(8, n_persons // 150)
    n_msb = max(2, n_persons // 2500)

    emp = [world.add_entity_account("employer", "employer") for _ in range(n_employers)]
    shops = [world.add_entity_account("cash_business", "cash_shop") for _ in range(n_shops)]
    merch_mcc = [MCCS[i % len(MCCS)] for i in range(n_merchants)]
    merchants = []
    for _mcc, label, _ in merch_mcc:
        acct = world.add_entity_account(
            "merchant", "merchant", name=f"{rng.choice(names.COMPANY_WORDS)} {label}"
        )
        merchants.append(acct)
    utilities = [world.add_entity_account("utility", "utility") for _ in range(6)]
    landlords = [world.add_entity_account("landlord", "landlord") for _ in range(n_landlords)]
    npos = [world.add_entity_account("npo", "npo_humanitarian") for _ in range(n_npo)]
    msbs = [world.add_entity_account("msb", "msb_business") for _ in range(n_msb)]
    vasps = [
        world.add_entity_account("company", "vasp", name=f"{w} Crypto Exchange")
        for w in rng.choice(names.COMPANY_WORDS, 2, replace=False)
    ]
    suppliers = [
        world.add_entity_account("company", "supplier") for _ in range(max(5, n_persons // 150))
    ]

    conflict = countries_with("conflict_adjacent")
    tip = countries_with("tip_source")
    partners = [
        world.add_entity_account("npo", "foreign_partner", country=str(c))
        for c in rng.choice(conflict, max(4, 2 * n_npo))
    ]
    exch_countries = ["AE", "TR", "PK", "JO"]
    exchange_houses = [
        world.add_entity_account("exchange_house", "foreign_exchange_house", country=c)
        for c in exch_countries
    ]

    profiles = rng.choice(list(PERSON_MIX), n_persons, p=list(PERSON_MIX.values()))
    persons = np.array([world.add_person_account(str(p)) for p in profiles])
    # family abroad of migrant remitters: mostly trafficking-source or conflict-adjacent countries
    migrants = persons[profiles == "migrant_remitter"]
    fam_countries = rng.choice(tip + conflict + ["IN", "PH", "MX", "GT"], len(migrants))
    family = np.array(
        [world.add_person_account("family_abroad", country=str(c)) for c in fam_countries],
        dtype=np.int64,
    )

    # employers have Zipf-like sizes so that a few pay hundreds of workers
    weights = 1.0 / np.arange(1, n_employers + 1) ** 0.9
    employed_mask = rng.random(n_persons) < 0.92
    employer_of = np.full(n_persons, -1)
    employer_of[employed_mask] = np.asarray(emp)[
        rng.choice(n_employers, employed_mask.sum(), p=weights / weights.sum())
    ]
    world.rel.update(
        {
            "persons": persons,
            "person_profile": profiles,
            "employer_of": employer_of,
            "employers": np.asarray(emp),
            "pay_day": {e: int(rng.integers(1, 29)) for e in emp},
            "salary": rng.lognormal(np.log(3200), 0.35, n_persons).round(2),
            "landlord_of": np.asarray(landlords)[rng.integers(0, n_landlords, n_persons)],
            "rent": rng.lognormal(np.log(1300), 0.3, n_persons).round(0),
            "friends": persons[rng.integers(0, n_persons, (n_persons, 3))],
            "donor": rng.random(n_persons) < 0.08,
            "npo_index": (npo_index := rng.integers(0, n_npo, n_persons)),
            "npo_of": np.asarray(npos)[npo_index],
            "npo_handle": np.array(
                [
                    f"@{str(rng.choice(names.COMPANY_WORDS)).lower()}{int(rng.integers(10, 99))}"
                    for _ in range(n_npo)
                ]
            ),
            "vasps": np.asarray(vasps),
            "crypto_user": rng.random(n_persons) < 0.06,
            "person_names": np.array([world.parties[world.acc_party[a]]["name"] for a in persons]),
            "shop_staff": np.asarray(world.acc_party)[rng.choice(persons, n_shops)],
            "migrants": migrants,
            "family_of_migrant": family,
            "migrant_msb_inst": np.array(
                [world.institution("msb") for _ in migrants], dtype=np.int64
            ),
            "shops": np.asarray(shops),
            "near_threshold_shop": rng.permutation(n_shops) < max(2, int(0.4 * n_shops)),
            "merchants": np.asarray(merchants),
            "merchant_mcc": np.array([m[0] for m in merch_mcc]),
            "merchant_label": np.array([m[1] for m in merch_mcc]),
            "mcc_weight": np.array([m[2] for m in merch_mcc], dtype=float),
            "utilities": np.asarray(utilities),
            "landlords": np.asarray(landlords),
            "npos": np.asarray(npos),
            "partners": np.asarray(partners),
            "msbs": np.asarray(msbs),
            "exchange_houses": np.asarray(exchange_houses),
            "suppliers": np.asarray(suppliers),
        }
    )


def extend_with_light_lives(world: World) -> None:
    """Give home-country persons that scenarios created (victims, mules, new recruits) a light
    ordinary life: card spend, ATM, rent and bills, cash deposits, friends. Without it, an
    account whose every transaction is suspicious would give the scenario away."""
    r = world.rel
    rng = world.rng
    new = np.array(
        [
            a
            for a in range(world.n_accounts)
            if world.acc_profile[a] == "scenario_only"
            and world.parties[world.acc_party[a]]["party_type"] == "person"
            and world.acc_country[a] == world.home
        ],
        dtype=np.int64,
    )
    if len(new) == 0:
        return
    n = len(new)
    r["persons"] = np.concatenate([r["persons"], new])
    r["person_profile"] = np.concatenate([r["person_profile"], np.full(n, "light")])
    r["employer_of"] = np.concatenate([r["employer_of"], np.full(n, -1)])
    r["salary"] = np.concatenate([r["salary"], np.zeros(n)])
    r["landlord_of"] = np.concatenate([r["landlord_of"], rng.choice(r["landlords"], n)])
    r["rent"] = np.concatenate([r["rent"], rng.lognormal(np.log(900), 0.3, n).round(0)])
    r["friends"] = np.concatenate([r["friends"], rng.choice(r["persons"], (n, 3))])
    r["donor"] = np.concatenate([r["donor"], np.zeros(n, bool)])
    r["npo_index"] = np.concatenate([r["npo_index"], np.zeros(n, np.int64)])
    r["npo_of"] = np.concatenate([r["npo_of"], np.repeat(r["npo_of"][:1], n)])
    r["crypto_user"] = np.concatenate([r["crypto_user"], np.zeros(n, bool)])
    names_new = [world.parties[world.acc_party[a]]["name"] for a in new]
    r["person_names"] = np.concatenate([r["person_names"], np.array(names_new)])
