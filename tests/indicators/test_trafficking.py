"""Trafficking indicators (HT-*, MS-01) on small hand-made fixtures with known answers.

Each test builds a few accounts that show the pattern and a few that come close without it
(the hard negatives of the indicator), and checks who is reported, the value and the reason.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from fiu_analytics.errors import TypologyError
from fiu_analytics.indicators import INDICATORS, RESULT_COLUMNS, DetectionInput

TX_COLS = [
    "txn_id",
    "timestamp",
    "amount_base",
    "channel",
    "src_account_key",
    "dst_account_key",
    "mcc",
    "merchant",
    "city",
    "narrative",
    "purpose_code",
    "conductor_party_id",
    "src_country",
    "dst_country",
]
MINE = [
    "HT-01",
    "HT-02",
    "HT-03",
    "HT-06",
    "HT-07",
    "HT-08",
    "HT-09",
    "HT-12",
    "HT-13",
    "HT-15",
    "HT-16",
    "HT-17",
    "HT-20",
    "MS-01",
]


def t(tid: str, ts: str, amount: float, channel: str, src: int, dst: int, **kw: Any) -> dict:
    """One transaction row; other columns default to null (countries to US)."""
    row = dict.fromkeys(TX_COLS)
    row.update(txn_id=tid, timestamp=ts, amount_base=float(amount), channel=channel)
    row.update(src_account_key=src, dst_account_key=dst, src_country="US", dst_country="US")
    row.update(kw)
    return row


def p(pid: str, name: str, kind: str = "person", **kw: Any) -> dict:
    """One party; ``entity_kind`` for entities, identifiers as keywords."""
    row = {
        "party_id": pid,
        "party_type": "entity" if kind != "person" else "person",
        "name": name,
        "entity_kind": None if kind == "person" else kind,
        "country": "US",
        "phone": None,
        "address": None,
        "device_id": None,
    }
    row.update(kw)
    return row


def data(
    rows: list[dict],
    parties: list[dict] | None = None,
    owners: dict[int, str] | None = None,
    reference: dict | None = None,
) -> DetectionInput:
    """A DetectionInput; every account without an owner gets a person party P<key>."""
    tx = pd.DataFrame(rows, columns=TX_COLS)
    tx["timestamp"] = pd.to_datetime(tx["timestamp"], utc=True, format="ISO8601")
    tx = tx.sort_values("timestamp", ignore_index=True)
    owners = dict(owners or {})
    keys = set(tx["src_account_key"]) | set(tx["dst_account_key"]) | set(owners)
    parties = list(parties or [])
    known = {x["party_id"] for x in parties}
    for k in sorted(keys):
        pid = owners.setdefault(int(k), f"P{k}")
        if pid not in known:
            parties.append(p(pid, f"Person {k} Surname{k}"))
            known.add(pid)
    accounts = pd.DataFrame(
        {
            "account_key": list(owners),
            "account_id": [f"BNK/{k}" for k in owners],
            "owner_party_id": list(owners.values()),
            "institution": "BNK",
            "country": [
                next(x["country"] for x in parties if x["party_id"] == o) for o in owners.values()
            ],
        }
    )
    return DetectionInput(
        tx,
        accounts,
        pd.DataFrame(parties),
        tx["timestamp"].min(),
        tx["timestamp"].max(),
        reference or {},
    )


def keys(out: pd.DataFrame) -> list[int]:
    return sorted(int(k) for k in out["account_key"])


def value(out: pd.DataFrame, key: int) -> float:
    return float(out.loc[out["account_key"] == key, "value"].iloc[0])


def reason(out: pd.DataFrame, key: int) -> str:
    return str(out.loc[out["account_key"] == key, "reason"].iloc[0])


# -- contract -------------------------------------------------------------------------------
@pytest.mark.parametrize("ind", MINE)
def test_contract_on_an_input_without_matches(ind: str) -> None:
    rows = [t("x1", "2025-01-01 12:00", 10, "card", 1, 2, mcc="5411", city="Dallas")]
    out = INDICATORS[ind](data(rows))
    assert list(out.columns) == RESULT_COLUMNS
    assert out.empty


def test_subject_choices_are_checked_when_the_typology_loads() -> None:
    with pytest.raises(TypologyError, match="parameter 'subject' got 'boss'; expected one of"):
        INDICATORS["HT-08"].resolve({"subject": "boss"}, where="x.yaml")
    with pytest.raises(TypologyError, match="'min_cities' got 1; expected >= 2"):
        INDICATORS["HT-02"].resolve({"min_cities": 1})


# -- HT-01 / HT-02 / HT-03: card spend --------------------------------------------------------
def test_ht01_counts_small_repeated_ad_payments() -> None:
    rows = [
        t(f"a{i}", f"2025-01-{1 + 4 * i:02d} 22:30", v, "card", 1, 90, mcc="7311")
        for i, v in enumerate([3, 12, 24, 12, 3])
    ]
    # account 2: the same merchant but large campaign payments (a business) -> no
    rows += [
        t(f"b{i}", f"2025-01-{1 + 4 * i:02d}", 250, "card", 2, 90, mcc="7311") for i in range(5)
    ]
    # account 3: three small ads only -> below the count
    rows += [
        t(f"c{i}", f"2025-01-{1 + 4 * i:02d}", 12, "card", 3, 90, mcc="7311") for i in range(3)
    ]
    # account 4: no MCC, but an escort-site descriptor
    rows += [
        t(f"d{i}", f"2025-02-{1 + 3 * i:02d}", 24, "card", 4, 91, merchant="VIPEscorts ads")
        for i in range(4)
    ]
    out = INDICATORS["HT-01"](data(rows))
    assert keys(out) == [1, 4]
    assert value(out, 1) == 5 and out["score"].between(0.5, 1).all()
    assert "5 advertising/classified payments" in reason(out, 1)
    assert "3, 12, 24" in reason(out, 1)
    assert sorted(out.loc[out["account_key"] == 1, "evidence_txn_ids"].iloc[0]) == [
        "a0",
        "a1",
        "a2",
        "a3",
        "a4",
    ]


def test_ht02_lodging_in_three_cities_within_two_weeks() -> None:
    rows = [
        t("a1", "2025-01-01", 120, "card", 1, 90, mcc="7011", city="Dallas"),
        t("a2", "2025-01-05", 120, "card", 1, 90, mcc="7011", city="Houston"),
        t("a3", "2025-01-10", 120, "card", 1, 91, mcc="3650", city="Miami"),
        # account 2: three cities but weeks apart -> no
        t("b1", "2025-01-01", 120, "card", 2, 90, mcc="7011", city="Dallas"),
        t("b2", "2025-01-20", 120, "card", 2, 90, mcc="7011", city="Houston"),
        t("b3", "2025-02-10", 120, "card", 2, 90, mcc="7011", city="Miami"),
        # account 3: many nights in one city -> no
        *[
            t(f"c{i}", f"2025-01-0{1 + i}", 120, "card", 3, 90, mcc="7011", city="Dallas")
            for i in range(5)
        ],
    ]
    out = INDICATORS["HT-02"](data(rows))
    assert keys(out) == [1]
    assert value(out, 1) == 3
    assert "3 cities within 14 days (Dallas, Houston, Miami)" in reason(out, 1)


def test_ht03_counts_air_rail_and_bus_tickets() -> None:
    mccs = ["4511", "3005", "4112", "4131"]
    rows = [
        t(f"a{i}", f"2025-01-{1 + 5 * i:02d}", 200, "card", 1, 90, mcc=m)
        for i, m in enumerate(mccs)
    ]
    rows += [
        t(f"b{i}", f"2025-01-{1 + 5 * i:02d}", 200, "card", 2, 90, mcc="4511") for i in range(3)
    ]
    out = INDICATORS["HT-03"](data(rows))
    assert keys(out) == [1] and value(out, 1) == 4


# -- HT-06 / HT-07: night and cash --------------------------------------------------------------
def test_ht06_night_share_including_cash_conducted_for_others() -> None:
    rows = [t(f"a{i}", f"2025-01-{1 + i:02d} 23:15", 40, "card", 1, 90) for i in range(10)]
    rows += [t(f"a{i}d", f"2025-01-{1 + i:02d} 14:00", 40, "card", 1, 90) for i in range(2)]
    # account 2: the same volume by day -> no
    rows += [t(f"b{i}", f"2025-01-{1 + i:02d} 14:00", 40, "card", 2, 90) for i in range(12)]
    # party P3 pays cash into account 4 at 02:00 ten times; its own card use is by day
    rows += [t(f"c{i}", f"2025-01-{1 + i:02d} 13:00", 40, "card", 3, 90) for i in range(5)]
    rows += [
        t(f"d{i}", f"2025-01-{1 + i:02d} 02:00", 300, "cash_deposit", 4, 4, conductor_party_id="P3")
        for i in range(10)
    ]
    d = data(rows)
    out = INDICATORS["HT-06"](d)
    assert keys(out) == [1, 3, 4]
    assert value(out, 1) == pytest.approx(10 / 12)
    assert "10 of 15 cash/card transactions" in reason(out, 3)
    assert "10 of them cash it conducted for others" in reason(out, 3)
    assert 3 not in keys(INDICATORS["HT-06"](d, include_conducted=False))
    # an FIU in UTC-6 sees the same card use at 17:15 local time
    assert 1 not in keys(INDICATORS["HT-06"](d, utc_offset_hours=-6.0))


def test_ht07_third_party_cash_in_three_cities_on_account_or_conductor() -> None:
    cities = ["Dallas", "Houston", "Miami"]
    rows = [
        t(
            f"a{i}",
            f"2025-01-0{1 + i} 01:00",
            400,
            "cash_deposit",
            10,
            10,
            city=c,
            conductor_party_id="P20",
        )
        for i, c in enumerate(cities)
    ]
    # account 11: its own holder pays in, in three cities -> not third party
    rows += [
        t(
            f"b{i}",
            f"2025-01-0{1 + i}",
            400,
            "cash_deposit",
            11,
            11,
            city=c,
            conductor_party_id="P11",
        )
        for i, c in enumerate(cities)
    ]
    # account 12: a friend pays in, always in one city -> no
    rows += [
        t(
            f"c{i}",
            f"2025-01-0{1 + i}",
            400,
            "cash_deposit",
            12,
            12,
            city="Dallas",
            conductor_party_id="P21",
        )
        for i in range(3)
    ]
    # account 13: third party, three cities, but amounts above the band -> no
    rows += [
        t(
            f"e{i}",
            f"2025-01-0{1 + i}",
            5000,
            "cash_deposit",
            13,
            13,
            city=c,
            conductor_party_id="P21",
        )
        for i, c in enumerate(cities)
    ]
    d = data(rows, owners={20: "P20", 21: "P21"})
    out = INDICATORS["HT-07"](d)
    assert keys(out) == [10] and value(out, 10) == 3
    assert "3 cash deposits by 1 third parties" in reason(out, 10)
    by_conductor = INDICATORS["HT-07"](d, subject="conductor")
    assert keys(by_conductor) == [20]
    assert "into 1 others' accounts" in reason(by_conductor, 20)
    assert keys(INDICATORS["HT-07"](d, max_amount=6000.0)) == [10, 13]


# -- HT-08: many night payers ------------------------------------------------------------------
def _payers(prefix: str, payee: int, hour: str, first: int, n: int = 12) -> list[dict]:
    return [
        t(
            f"{prefix}{i}",
            f"2025-01-{1 + i:02d} {hour}",
            250 + 10 * i,
            "mobile_money",
            first + i,
            payee,
        )
        for i in range(n)
    ]


def test_ht08_night_payers_on_the_payee_and_the_collector() -> None:
    rows = _payers("a", 1, "23:30", 100)
    rows += [
        t(f"s{i}", f"2025-01-{3 + 4 * i:02d} 10:00", 900, "mobile_money", 1, 50) for i in range(3)
    ]  # payee 1 sweeps its takings to 50
    rows += _payers("b", 2, "14:00", 200)  # payee 2: daytime (a tutor, a barber) -> no
    rows += _payers("c", 3, "23:30", 300)
    rows += [
        t(f"r{i}", "2025-01-20 12:00", 50, "mobile_money", 3, 300 + i) for i in range(5)
    ]  # payee 3 pays five of its payers back -> 7 left, no
    d = data(rows)
    out = INDICATORS["HT-08"](d)
    assert keys(out) == [1]
    assert value(out, 1) == 12
    assert "12 distinct P2P payers within 30 days, none paid back" in reason(out, 1)
    assert "100% at night" in reason(out, 1)
    coll = INDICATORS["HT-08"](d, subject="collector")
    assert keys(coll) == [50]
    assert sorted(coll["evidence_txn_ids"].iloc[0]) == ["s0", "s1", "s2"]


# -- HT-09 / HT-15 / HT-16 / HT-17: wages ------------------------------------------------------
def test_ht09_pays_individuals_without_business_costs() -> None:
    parties = [
        p("E1", "Front Staffing LLC", "employer"),
        p("E2", "Real Foods Inc", "employer"),
        p("S", "Supplier Co", "company"),
    ]
    rows = [
        t(f"a{i}", f"2025-01-{5 + i:02d}", 900, "wire", 1, 11 + i, purpose_code="SALA")
        for i in range(6)
    ]
    rows += [
        t(f"b{i}", f"2025-01-{5 + i:02d}", 900, "wire", 2, 21 + i, purpose_code="SALA")
        for i in range(6)
    ]
    rows += [t("b-sup", "2025-01-06", 9000, "wire", 2, 90, purpose_code="SUPP")]
    out = INDICATORS["HT-09"](data(rows, parties, {1: "E1", 2: "E2", 90: "S"}))
    assert keys(out) == [1]
    assert "paid 6 individuals within 30 days; business costs 0.0%" in reason(out, 1)


def _wage(tid: str, ts: str, employer: int, worker: int, amount: float = 1000.0) -> dict:
    return t(tid, ts, amount, "wire", employer, worker, narrative="Payroll", purpose_code="SALA")


def test_ht15_wages_returned_to_a_linked_associate() -> None:
    parties = [
        p("E1", "Front Cleaning Ltd", "employer", phone="+100"),
        p("C", "Carl Boss", phone="+100"),  # the controller shares the front's phone
        p("E2", "Honest Builders", "employer"),
        p("L", "Landlord Co", "landlord"),
    ]
    rows = []
    for k, day in enumerate(["2025-01-10", "2025-01-24"]):
        for w in (11, 12, 13):
            rows.append(_wage(f"w{k}{w}", f"{day} 09:00", 1, w))
        rows.append(t(f"r{k}11", f"{day} 18:00", 700, "mobile_money", 11, 50))
        rows.append(t(f"r{k}12", f"{day} 20:00", 650, "wire", 12, 50))
        # employer 2: its workers pay rent right after pay day -> a living cost, not a return
        for w in (21, 22):
            rows.append(_wage(f"v{k}{w}", f"{day} 09:00", 2, w))
            rows.append(t(f"q{k}{w}", f"{day} 19:00", 800, "wire", w, 60, purpose_code="RENT"))
    d = data(rows, parties, {1: "E1", 50: "C", 2: "E2", 60: "L"})
    out = INDICATORS["HT-15"](d)
    assert keys(out) == [1, 50]
    assert value(out, 1) == 2 and value(out, 50) == 2
    assert reason(out, 1).startswith("2 workers' wages: 50%+ of a wage handed back")
    assert reason(out, 50).startswith("from 2 workers")
    assert keys(INDICATORS["HT-15"](d, subject="receiver")) == [50]
    # returns in only one pay period are not enough
    assert INDICATORS["HT-15"](d, min_periods=3).empty


def test_ht16_several_workers_wages_into_one_account() -> None:
    parties = [p("H", "Zed Holder"), p("O", "Zoe Six")]
    names = ["Ann Lee", "Bo Chan", "Cy Dee", "Di Eng"]
    rows = [
        t(
            f"a{i}",
            f"2025-01-10 1{i}:00",
            1100,
            "wire",
            1,
            5,
            narrative=f"Payroll {n}",
            purpose_code="SALA",
        )
        for i, n in enumerate(names)
    ]
    # account 6 is paid its own wage, naming its holder, each month -> no
    rows += [
        t(
            f"b{m}",
            f"2025-0{m}-10",
            3000,
            "wire",
            1,
            6,
            narrative="Payroll Zoe Six",
            purpose_code="SALA",
        )
        for m in (1, 2, 3)
    ]
    d = data(rows, parties, {5: "H", 6: "O"})
    out = INDICATORS["HT-16"](d)
    assert keys(out) == [5] and value(out, 5) == 4
    assert "wage credits naming 4 other workers" in reason(out, 5)
    assert keys(INDICATORS["HT-16"](d, subject="both")) == [1, 5]


def test_ht17_whole_wage_cashed_by_a_third_party_every_week() -> None:
    rows = []
    for k in range(4):
        day = f"2025-01-{3 + 7 * k:02d}"
        rows.append(_wage(f"w{k}", f"{day} 09:00", 1, 11))
        rows.append(
            t(f"c{k}", f"{day} 14:00", 960, "cash_withdrawal", 11, 11, conductor_party_id="P50")
        )
        rows.append(_wage(f"v{k}", f"{day} 09:00", 1, 12))  # worker 12 keeps half
        rows.append(t(f"d{k}", f"{day} 14:00", 500, "cash_withdrawal", 12, 12))
    d = data(rows, owners={50: "P50"})
    out = INDICATORS["HT-17"](d)
    assert keys(out) == [11] and value(out, 11) == 4
    assert "4 pay periods in a row" in reason(out, 11)
    assert keys(INDICATORS["HT-17"](d, subject="linked")) == [1, 50]
    assert INDICATORS["HT-17"](d, min_periods=5).empty


# -- HT-12 / HT-13: identifiers and control ------------------------------------------------------
def test_ht12_shared_identifiers_among_unrelated_parties() -> None:
    parties = [
        p("A", "Ann Smith", phone="+1", address="1 Oak St, Dallas, US"),
        p("B", "Bea Jones", phone="+1"),
        p("C", "Cat Brown", address="1 Oak St, Dallas, US"),
        # a family: one surname at one address -> related
        p("D", "Dan Green", address="9 Elm St, Miami, US"),
        p("E", "Eve Green", address="9 Elm St, Miami, US"),
        p("F", "Fay White", address="9 Elm St, Miami, US"),
    ]
    rows = [t("x1", "2025-01-01", 500, "mobile_money", 2, 1)]
    d = data(rows, parties, {1: "A", 2: "B", 3: "C", 4: "D", 5: "E", 6: "F"})
    out = INDICATORS["HT-12"](d)
    assert keys(out) == [1, 2, 3]
    assert value(out, 1) == 3
    assert "shares address, phone with 2 other parties; 3 unrelated holders" in reason(out, 1)
    assert out.loc[out["account_key"] == 1, "evidence_txn_ids"].iloc[0] == ["x1"]
    # the Greens and Fay White are only two families
    assert keys(INDICATORS["HT-12"](d, min_unrelated=2)) == [1, 2, 3, 4, 5, 6]


def test_ht13_shared_device_and_forwarding_to_one_counterparty() -> None:
    parties = [
        p("A", "Ann Smith", device_id="dev1"),
        p("B", "Bea Jones", device_id="dev1"),
        p("C", "Cat Brown", device_id="dev1"),
        p("D", "Dan Green", device_id="dev2"),
        p("E", "Eve Hill", device_id="dev2"),
    ]
    d1 = data(
        [t("x", "2025-01-01", 1, "card", 1, 90)], parties, {1: "A", 2: "B", 3: "C", 4: "D", 5: "E"}
    )
    dev = INDICATORS["HT-13"](d1, mode="device")
    assert keys(dev) == [1, 2, 3]
    assert "device shared by 3 unrelated holders" in reason(dev, 1)
    rows = []
    for k in range(4):
        day = f"2025-01-{1 + 3 * k:02d}"
        for a, hub, share in ((21, 30, 0.9), (22, 30, 0.9), (23, 31, 0.3), (24, 32, 0.9)):
            rows.append(t(f"i{a}{k}", f"{day} 02:00", 500, "mobile_money", 100 + a, a))
            rows.append(t(f"o{a}{k}", f"{day} 11:00", 500 * share, "mobile_money", a, hub))
    out = INDICATORS["HT-13"](data(rows), mode="forwarding")
    assert keys(out) == [30]  # 31 gets too little, 32 has a single source
    assert value(out, 30) == 2
    assert "2 accounts each forward 80%+ of their inflows" in reason(out, 30)


# -- HT-20 / MS-01: geography --------------------------------------------------------------------
def test_ht20_counts_payments_to_countries_tagged_in_reference_data() -> None:
    rows = [
        t(f"a{i}", f"2025-01-{1 + 9 * i:02d}", 800, "msb_remittance", 1, 9, dst_country="GT")
        for i in range(3)
    ]
    rows += [
        t(f"b{i}", f"2025-01-{1 + 9 * i:02d}", 800, "wire", 2, 8, dst_country="DE")
        for i in range(3)
    ]
    out = INDICATORS["HT-20"](data(rows))
    assert keys(out) == [1]
    assert "3 payments (2,400) to GT (tip_source) within 90 days" in reason(out, 1)
    # a jurisdiction's own list replaces the packaged one
    ref = {"countries": {"countries": {"DE": {"tags": ["tip_source"]}}}}
    assert keys(INDICATORS["HT-20"](data(rows, reference=ref))) == [2]


def test_ms01_many_senders_from_many_cities_to_a_border_beneficiary() -> None:
    cities = ["Dallas", "Chicago", "Denver", "Atlanta", "Miami", "Boston"]
    parties = [
        p("B1", "Ben One", address="5 Main St, El Paso, US"),
        p("B2", "Ben Two", address="5 Main St, Chicago, US"),
        p("B3", "Ben Three", address="7 Main St, Laredo, US"),
        p("B4", "Ben Four", country="MX"),
        p("B5", "Ben Five", address="8 Main St, McAllen, US"),
    ]
    rows = []
    for i, c in enumerate(cities):
        ts = f"2025-01-{2 + 3 * i:02d} 10:00"
        rows.append(t(f"a{i}", ts, 1500, "msb_remittance", 101 + i, 1, city=c))
        rows.append(t(f"b{i}", ts, 1500, "msb_remittance", 201 + i, 2, city=c))  # not a hub
        rows.append(t(f"c{i}", ts, 1500, "msb_remittance", 301 + i, 3, city="Dallas"))
        rows.append(t(f"d{i}", ts, 1500, "msb_remittance", 401 + i, 4, city=c, dst_country="MX"))
        # cash paid in at branches in the senders' cities counts as sent by the depositor
        rows.append(
            t(f"e{i}", ts, 1500, "cash_deposit", 5, 5, city=c, conductor_party_id=f"P{501 + i}")
        )
    owners = {1: "B1", 2: "B2", 3: "B3", 4: "B4", 5: "B5"}
    owners.update({501 + i: f"P{501 + i}" for i in range(6)})
    d = data(rows, parties, owners)
    out = INDICATORS["MS-01"](d)
    assert keys(out) == [1, 4, 5]  # 2 is not at a hub; 3's senders all paid in Dallas
    assert value(out, 1) == 6
    assert "6 senders from 6 cities paid 9,000" in reason(out, 1)
    assert "(El Paso)" in reason(out, 1)
    # amounts at or above the record-keeping threshold do not count
    assert INDICATORS["MS-01"](d, max_amount=1500.0).empty


def test_wage_outflows_are_those_of_joining_each_wage_with_its_workers_payments() -> None:
    import numpy as np

    from fiu_analytics.indicators.trafficking_labour import _flows_after

    rng = np.random.default_rng(3)
    n_out, n_wages, day = 300, 40, 86_400
    t = np.sort(rng.integers(0, 60 * day, n_out))
    worker = rng.integers(0, 6, n_out)
    receiver = rng.integers(-1, 20, n_out)
    amount = rng.random(n_out) * 100
    pos = np.arange(n_out) * 3  # positions in the (time-ordered) transactions
    wages = pd.DataFrame(
        {
            "sid": np.arange(n_wages),
            "worker": rng.integers(0, 7, n_wages),  # worker 6 never pays anything out
            "t": rng.integers(0, 60 * day, n_wages),
        }
    )
    window_s = 2.5 * day
    got = _flows_after(wages, worker, t, receiver, amount, pos, window_s)
    flows = pd.DataFrame(
        {"worker": worker, "to": t, "receiver": receiver, "amount": amount, "pos": pos}
    )
    m = wages.merge(flows, on="worker")
    m = m[(m["to"] > m["t"]) & (m["to"] <= m["t"] + window_s)]
    expected = m[["sid", "receiver", "amount", "pos"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert len(got) > 20
    none = _flows_after(wages, worker[:0], t[:0], receiver[:0], amount[:0], pos[:0], window_s)
    assert none.empty and list(none.columns) == ["sid", "receiver", "amount", "pos"]
