"""NX-01: a family pools money in one episode and one relative sends it on to an unrelated
intermediary; relatives share a surname and a household address or family phone."""

from __future__ import annotations

import pandas as pd

from fiu_analytics.indicators import INDICATORS, DetectionInput
from tests.ledger import LEDGER_COLUMNS, detection_input

T0 = pd.Timestamp("2025-01-01", tz="UTC")
DAY = 24
PAYER = 1  # the relative who pays the intermediary
INTERMEDIARY = 9  # abroad (LB), unrelated to the family


def _country(account: int) -> str:
    return "LB" if account == INTERMEDIARY else "GB"


def _data(
    rows: list[tuple],
    people: dict[int, tuple[str, str, str]],
    depositors: dict[str, tuple[str, str, str]] | None = None,
) -> DetectionInput:
    """Rows (hours, amount, src, dst, channel[, conductor party]); ``people`` per account
    key: (name, address, phone) of its holder (others get their own); ``depositors``: parties
    without an account here (party id: name, address, phone)."""
    cols = [*LEDGER_COLUMNS, "dst_country", "conductor_party_id"]
    tx = [(f"t{i}", T0 + pd.Timedelta(hours=r[0]), float(r[1]), r[4], r[2], r[3], _country(r[3]),
           r[5] if len(r) > 5 else None)
          for i, r in enumerate(rows)]  # fmt: skip
    keys = sorted({r[2] for r in rows} | {r[3] for r in rows})
    accounts = pd.DataFrame(
        {
            "account_key": keys,
            "account_id": [f"A{k}" for k in keys],
            "country": [_country(k) for k in keys],
            "owner_party_id": [f"P{k}" for k in keys],
        }
    )
    par = pd.DataFrame(
        [
            {
                "party_id": f"P{k}",
                "name": people.get(k, (f"Person{k} Other{k}",))[0],
                "address": people.get(k, ("", f"{k} High St, Leeds"))[1],
                "phone": people.get(k, ("", "", f"+44{k:06d}"))[2],
            }
            for k in keys
        ]
        + [
            {"party_id": pid, "name": n, "address": a, "phone": ph}
            for pid, (n, a, ph) in (depositors or {}).items()
        ]
    )
    return detection_input(tx, columns=cols, accounts=accounts, parties=par)


HOME = "5 Park Rd, Leeds"
FAMILY = {
    PAYER: ("Ibrahim Haddad", HOME, "+44700001"),
    2: ("Hala Haddad", HOME, "+44700002"),
    3: ("Omar Haddad", HOME, "+44700003"),
    4: ("Rami Haddad", "8 Mill Lane, Bradford", "+44700001"),  # the family phone
}
# relatives 2, 3 and 4 pay the payer within a week; three days later he sends 9,000 abroad
POOLING = [
    (30 * DAY, 2800, 2, PAYER, "mobile_money"),
    (33 * DAY, 2400, 3, PAYER, "wire"),
    (36 * DAY, 2900, 4, PAYER, "mobile_money"),
    (39 * DAY, 9000, PAYER, INTERMEDIARY, "msb_remittance"),
]


def _nx01(data: DetectionInput) -> pd.DataFrame:
    return INDICATORS["NX-01"](data, min_family=3, family_window_days=14)


def test_a_family_pooling_then_paying_an_intermediary_abroad_names_the_intermediary() -> None:
    r = _nx01(_data(POOLING, FAMILY))
    assert list(r["account_key"]) == [INTERMEDIARY]
    assert "family clusters of 4+" in r.loc[0, "reason"]
    assert "conflict-adjacent" in r.loc[0, "reason"]


def test_a_small_payment_by_a_namesake_weeks_before_does_not_hide_the_pooling() -> None:
    # a friend who shares the family's surname (not its address or phone) sent 170 a month
    # before the pooling: he is no relative, and the pooling is still one episode
    friend = {7: ("Emeka Haddad", "1 Bay St, Hull", "+44700777")}
    rows = [(0, 170, 7, PAYER, "mobile_money"), *POOLING]
    assert list(_nx01(_data(rows, {**FAMILY, **friend}))["account_key"]) == [INTERMEDIARY]


def test_a_relative_paying_a_small_sum_in_another_month_does_not_hide_the_pooling() -> None:
    rows = [(0, 150, 2, PAYER, "mobile_money"), *POOLING]
    assert list(_nx01(_data(rows, FAMILY))["account_key"]) == [INTERMEDIARY]


def test_payers_sharing_only_a_surname_are_no_family() -> None:
    strangers = {k: (name, f"{k} Other St, York", f"+44800{k:03d}") for k, (name, *_) in
                 FAMILY.items()}  # fmt: skip
    assert _nx01(_data(POOLING, strangers)).empty


def test_a_household_sharing_costs_every_month_is_no_pooling_episode() -> None:
    # relatives 2 and 3 pay their share to the payer every month; in the fourth month he
    # sends 9,000 abroad: no window holds most of the family's money
    rows = [(m * 30 * DAY + d * DAY, 900, k, PAYER, "mobile_money")
            for m in range(4) for d, k in ((1, 2), (3, 3))]  # fmt: skip
    rows.append((3 * 30 * DAY + 6 * DAY, 9000, PAYER, INTERMEDIARY, "msb_remittance"))
    assert _nx01(_data(rows, FAMILY)).empty
    # the same three months' shares paid within one week are a pooling episode
    pooled = [(h % (7 * DAY), a, s, d, ch) for h, a, s, d, ch in rows[:-1]]
    pooled.append((9 * DAY, 9000, PAYER, INTERMEDIARY, "msb_remittance"))
    assert list(_nx01(_data(pooled, FAMILY))["account_key"]) == [INTERMEDIARY]


def test_relatives_depositing_cash_into_the_payers_account_are_part_of_the_pooling() -> None:
    # one relative pays by transfer; two others, without accounts here, bring cash to the
    # branch and deposit it into the payer's account (the deposit names them as conductor)
    aunts = {
        "PX1": ("Samira Haddad", HOME, "+44700011"),
        "PX2": ("Yusuf Haddad", "2 Dale St, Leeds", "+44700001"),  # the family phone
    }
    rows = [
        (30 * DAY, 2800, 2, PAYER, "mobile_money"),
        (32 * DAY, 2400, PAYER, PAYER, "cash_deposit", "PX1"),
        (35 * DAY, 2900, PAYER, PAYER, "cash_deposit", "PX2"),
        (39 * DAY, 9000, PAYER, INTERMEDIARY, "msb_remittance"),
    ]
    r = _nx01(_data(rows, FAMILY, aunts))
    assert list(r["account_key"]) == [INTERMEDIARY]
    assert {"t1", "t2"} <= set(r.loc[0, "evidence_txn_ids"])
    # the payer depositing his own cash, or a stranger's deposit, is no relative's payment
    own = [(*r_[:5], "P1") if r_[4] == "cash_deposit" else r_ for r_ in rows]
    assert _nx01(_data(own, FAMILY, aunts)).empty
    strangers = {k: (f"Ann Lee{i}", f"{i} Far Rd, York", f"+4490{i}") for i, k in enumerate(aunts)}
    assert _nx01(_data(rows, FAMILY, strangers)).empty


def test_relatives_on_codes_matches_values():
    """Kinship from int codes (-1 missing) is kinship from the values themselves."""
    import numpy as np

    from fiu_analytics.indicators.nexus import relatives

    src = np.array(
        [["ali", "1 Road", None], ["ali", None, "555"], ["ali", "", "7"], [None, "x", "x"]],
        dtype=object,
    )
    dst = np.array(
        [["ali", "1 Road", "9"], ["ali", "2 Road", "555"], ["ali", "", "8"], [None, "x", "x"]],
        dtype=object,
    )
    both = np.concatenate([src, dst])
    codes = np.stack([pd.factorize(both[:, j], use_na_sentinel=True)[0] for j in range(3)], 1)
    coded = relatives(codes[: len(src)].astype(np.int32), codes[len(src) :].astype(np.int32))
    assert coded.tolist() == relatives(src, dst).tolist() == [True, True, True, False]
