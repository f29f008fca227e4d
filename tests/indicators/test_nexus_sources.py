"""NX-04 sources: a trafficking profile includes the accounts that sweep their money to it; mules
(new accounts that forward everything within hours) are conduits, never sources."""

from __future__ import annotations

import pandas as pd

from fiu_analytics.indicators import INDICATORS, DetectionInput
from tests.ledger import detection_input

T0 = pd.Timestamp("2025-01-01", tz="UTC")
HT = "HT-01,HT-02,HT-06,HT-07,HT-08,HT-09,HT-12,HT-13,HT-15,HT-16,HT-17"


def _accounts(keys: list[int], opened_days_before: int) -> pd.DataFrame:
    """Accounts of the test ledgers: 9 is the Lebanese endpoint, every other one British."""
    return pd.DataFrame(
        {
            "account_key": keys,
            "account_id": [f"A{k}" for k in keys],
            "country": ["LB" if k == 9 else "GB" for k in keys],
            "opened_at": [T0 - pd.Timedelta(days=opened_days_before)] * len(keys),
            "owner_party_id": [f"P{k}" for k in keys],
        }
    )


def _data(rows: list[tuple], fired: dict[str, set[int]], opened_days_before: int = 900):
    tx = detection_input(
        [(f"t{i}", T0 + pd.Timedelta(hours=h), float(a), "wire", s, d)
         for i, (h, a, s, d) in enumerate(rows)]
    ).transactions  # fmt: skip
    keys = sorted(set(tx["src_account_key"]) | set(tx["dst_account_key"]))
    accounts = _accounts(keys, opened_days_before)
    data = detection_input(tx.itertuples(index=False), accounts=accounts)
    for ind in HT.split(","):
        data.cache[f"nexus:fired:{ind}"] = fired.get(ind, set())
    return data


# victims 2 and 3 sweep their earnings to controller 1, who sends 5,000 on through 4 to an
# account in a conflict-adjacent jurisdiction
SWEEP = [(10, 900, 2, 1), (20, 800, 3, 1), (30, 50, 2, 7), (240, 5000, 1, 4), (260, 4800, 4, 9)]
VICTIMS = {"HT-06": {2}, "HT-08": {3}, "HT-12": {1, 2, 3}, "HT-01": {1}}


def _nx04(data: DetectionInput) -> pd.DataFrame:
    return INDICATORS["NX-04"](data, endpoint_rules="geo", min_value=2000, min_ht=3)


def test_controller_inherits_the_profile_of_the_accounts_swept_to_it() -> None:
    r = _nx04(_data(SWEEP, VICTIMS))
    assert list(r["account_key"]) == [1]
    reason = r.loc[0, "reason"]
    assert "HT-06" in reason and "HT-08" in reason and "TF-01 geography" in reason
    assert r.loc[0, "path"].startswith("A1 ")


def test_without_the_sweep_two_own_indicators_are_no_profile() -> None:
    # the same victims pay someone else: the controller has only HT-01 and HT-12
    rows = [(h, a, s, 8 if d == 1 else d) for h, a, s, d in SWEEP]
    assert _nx04(_data(rows, VICTIMS)).empty


def test_the_account_a_trafficker_sweeps_its_money_to_shares_the_profile() -> None:
    # 1 has a full profile of its own and pays its money on to 4, which sends it to the
    # endpoint: both are on the nexus path and both are subjects (the controller is not
    # dropped as a "feeder": only accounts without a profile of their own are victims)
    fired = {"HT-01": {1}, "HT-12": {1}, "HT-13": {1}}
    r = _nx04(_data(SWEEP, fired))
    assert sorted(r["account_key"]) == [1, 4]
    assert "HT-13" in r.set_index("account_key").loc[4, "reason"]


def test_a_new_mule_forwarding_everything_is_not_a_source() -> None:
    # account 1 is opened days before it starts forwarding each receipt within hours
    rows = [(24 * d, 3000, 100 + d, 1) for d in range(5)]
    rows += [(24 * d + 3, 2950, 1, 9) for d in range(5)]
    fired = {"HT-07": {1}, "HT-12": {1}, "HT-13": {1}}
    assert _nx04(_data(rows, fired, opened_days_before=10)).empty
    # the same flows from an old account with that profile are a nexus source
    assert list(_nx04(_data(rows, fired))["account_key"]) == [1]


def _scheme(
    rows: list[tuple],
    fired: dict[str, set[int]],
    parties: dict[int, dict],
    opened_days_before: int = 900,
) -> DetectionInput:
    """Rows (hours, amount, src, dst, channel, conductor party or None); ``parties`` per
    account key: party_type and identifiers of its holder (P<key>)."""
    cols = ["txn_id", "timestamp", "amount_base", "channel", "src_account_key",
            "dst_account_key", "conductor_party_id"]  # fmt: skip
    tx = [(f"t{i}", T0 + pd.Timedelta(hours=h), float(a), ch, s, d, c)
          for i, (h, a, s, d, ch, c) in enumerate(rows)]  # fmt: skip
    keys = sorted({r[2] for r in rows} | {r[3] for r in rows})
    accounts = _accounts(keys, opened_days_before)
    par = pd.DataFrame(
        [
            {
                "party_id": f"P{k}",
                "party_type": "person",
                "phone": f"+44{k:06d}",
                "address": f"{k} High St, Leeds, GB",
                "device_id": None,
                **parties.get(k, {}),
            }
            for k in keys
        ]
    )
    data = detection_input(tx, columns=cols, accounts=accounts, parties=par)
    for ind in HT.split(","):
        data.cache[f"nexus:fired:{ind}"] = fired.get(ind, set())
    return data


# front company 5 pays wages to workers 2 and 3, who hand them back to controller 1; 1 sends
# 5,000 on through 4 to an account in a conflict-adjacent jurisdiction
PAYROLL = [
    (0, 900, 5, 2, "wire", None),
    (0, 900, 5, 3, "wire", None),
    (6, 700, 2, 1, "mobile_money", None),
    (7, 700, 3, 1, "mobile_money", None),
    (240, 5000, 1, 4, "wire", None),
    (260, 4800, 4, 9, "wire", None),
]
CONTROLLER = {"HT-12": {1, 2, 3, 5}, "HT-15": {1, 5}, "HT-09": {5}}


def test_a_front_company_on_the_controllers_phone_adds_its_payroll_indicators() -> None:
    front = {5: {"party_type": "entity", "phone": "+44000001"}}  # the controller's phone
    r = _nx04(_scheme(PAYROLL, CONTROLLER, front))
    assert list(r["account_key"]) == [1]
    assert "HT-09" in r.loc[0, "reason"] and "3 HT indicators" in r.loc[0, "reason"]


def test_a_company_sharing_nothing_with_the_controller_adds_nothing() -> None:
    other = {5: {"party_type": "entity", "phone": "+44999999"}}
    assert _nx04(_scheme(PAYROLL, CONTROLLER, other)).empty
    # nor does a person on the controller's phone: only a business is his front
    person = {5: {"phone": "+44000001"}}
    assert _nx04(_scheme(PAYROLL, CONTROLLER, person)).empty


# the controller (party P1) withdraws worker 2's wage in cash, pay period after pay period
CASH = [
    (0, 900, 5, 2, "wire", None),
    (3, 880, 2, 2, "cash_withdrawal", "P1"),
    (168, 900, 5, 2, "wire", None),
    (171, 880, 2, 2, "cash_withdrawal", "P1"),
    (240, 5000, 1, 4, "wire", None),
    (260, 4800, 4, 9, "wire", None),
    (300, 40, 2, 7, "card", None),
]
WORKER = {"HT-12": {1, 2}, "HT-15": {1}, "HT-17": {2}}


def test_the_indicators_of_an_account_whose_cash_the_controller_takes_join_his_profile() -> None:
    r = _nx04(_scheme(CASH, WORKER, {}))
    assert list(r["account_key"]) == [1]  # the worker (HT-12, HT-17 of its own) is no subject
    assert "HT-17" in r.loc[0, "reason"]


def test_a_single_withdrawal_by_someone_else_is_no_control() -> None:
    once = [r for r in CASH if r[0] != 171]
    assert _nx04(_scheme(once, WORKER, {})).empty
    # withdrawals by the holder himself put the account under nobody
    own = [(h, a, s, d, ch, None if c == "P1" else c) for h, a, s, d, ch, c in CASH]
    assert _nx04(_scheme(own, WORKER, {})).empty


def test_a_new_account_collecting_handed_back_wages_is_a_source_not_a_mule() -> None:
    # account 1 is new and forwards each receipt within hours, like a mule; but HT-15 names it
    # as the account workers hand their wages back to: the controller, not a conduit
    rows = [(24 * d, 3000, 100 + d, 1, "wire", None) for d in range(5)]
    rows += [(24 * d + 3, 2950, 1, 9, "wire", None) for d in range(5)]
    fired = {"HT-12": {1}, "HT-13": {1}, "HT-15": {1}}
    assert list(_nx04(_scheme(rows, fired, {}, opened_days_before=10))["account_key"]) == [1]
    mule = {"HT-07": {1}, "HT-12": {1}, "HT-13": {1}}
    assert _nx04(_scheme(rows, mule, {}, opened_days_before=10)).empty


def test_mules_are_found_once_per_parameters() -> None:
    from fiu_analytics.indicators.nexus import _mules

    rows = [(24 * d, 3000, 100 + d, 1) for d in range(5)]
    rows += [(24 * d + 3, 2950, 1, 9) for d in range(5)]
    data = _data(rows, {})
    first = _mules(data, 0.8, 48)
    assert list(first.index) == [1] and first.loc[1, "dwell_h"] == 3
    first.loc[1, "tin"] = 0.0  # a caller's change does not reach the cached frame
    again = _mules(data, 0.8, 48)
    assert again.loc[1, "tin"] == 15000
    assert _mules(data, 0.8, 1).empty  # other parameters are their own entry
