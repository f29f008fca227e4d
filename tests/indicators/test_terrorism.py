"""TF-01, TF-02, TF-04, TF-05, TF-07 and TF-08 on small hand-made fixtures with known answers.

Every fixture carries its own country reference (tags are data), so the indicators are shown
to read geography from ``data.reference`` rather than from code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fiu_analytics.errors import ConfigError
from fiu_analytics.indicators import INDICATORS, DetectionInput
from fiu_analytics.indicators.terrorism_text import KeywordList, normalise_text

REF = {
    "version": "test",
    "home": "US",
    "countries": {
        "US": {"tags": [], "cities": ["Springfield"]},
        "SY": {"tags": ["conflict_adjacent"], "cities": ["Idlib"]},
        "KE": {"tags": ["conflict_adjacent"], "cities": ["Mandera"]},
        "TR": {"tags": ["transit_hub"], "cities": ["Gaziantep"]},
        "AE": {"tags": [], "cities": ["Dubai"]},
    },
}
COLUMNS = [
    "txn_id",
    "timestamp",
    "amount_base",
    "channel",
    "src_account_key",
    "dst_account_key",
    "src_country",
    "dst_country",
    "city",
    "narrative",
    "purpose_code",
]


def _input(rows: list[dict], accounts: dict[int, dict] | None = None) -> DetectionInput:
    """Transactions from dicts (missing fields are null) and accounts ``{key: {country,
    party_type, entity_kind, phone, address}}`` (one party per account)."""
    tx = pd.DataFrame(rows).reindex(columns=COLUMNS)
    tx["txn_id"] = [f"t{i}" for i in range(len(tx))]
    tx["timestamp"] = pd.to_datetime(tx["timestamp"], utc=True)
    tx = tx.sort_values("timestamp", ignore_index=True)
    keys = sorted(set(tx["src_account_key"]) | set(tx["dst_account_key"]) | set(accounts or {}))
    info = {
        k: {"country": "US", "party_type": "person", **(accounts or {}).get(k, {})} for k in keys
    }
    acc = pd.DataFrame(
        {
            "account_key": keys,
            "owner_party_id": [f"P{k}" for k in keys],
            "country": [info[k]["country"] for k in keys],
        }
    )
    par = pd.DataFrame(
        {
            "party_id": [f"P{k}" for k in keys],
            **{
                c: [info[k].get(c) for k in keys]
                for c in ("party_type", "entity_kind", "phone", "address")
            },
            "name": [f"Name {k}" for k in keys],
            "device_id": None,
        }
    )
    return DetectionInput(
        tx, acc, par, tx["timestamp"].min(), tx["timestamp"].max(), reference={"countries": REF}
    )


def _day(d: int, hour: int = 12) -> str:
    return str(pd.Timestamp("2025-01-01") + pd.Timedelta(days=d, hours=hour))


def _send(
    src: int,
    dst: int,
    day: int,
    amount: float,
    channel: str = "msb_remittance",
    dst_country: str = "SY",
    **extra: str,
) -> dict:
    return {
        "timestamp": _day(day),
        "amount_base": amount,
        "channel": channel,
        "src_account_key": src,
        "dst_account_key": dst,
        "src_country": "US",
        "dst_country": dst_country,
        **extra,
    }


# -- TF-01 ------------------------------------------------------------------------------------
def _tf01_rows() -> list[dict]:
    rows = []
    for s in (1, 2, 3):  # three unrelated people, three small transfers each, one beneficiary
        rows += [_send(s, 100, 5 * s + 10 * k, 400 + 50 * s) for k in range(3)]
    for s in (4, 5, 6):  # a household (shared address) paying one relative: one group
        rows += [_send(s, 101, 3 * s + 9 * k, 300) for k in range(3)]
    rows += [_send(7, 102, 7 * k, 350) for k in range(8)]  # a migrant supporting family
    for s in range(10, 16):  # six migrants each paying a smuggler once
        rows.append(_send(s, 103, s, 2500))
    for s in (20, 21, 22):  # large transfers are not small
        rows += [_send(s, 104, s + 10 * k, 5000) for k in range(3)]
    for s in (30, 31, 32):  # small and repeated, but to an untagged country
        rows += [_send(s, 105, s + 10 * k, 500, dst_country="AE") for k in range(3)]
    for s in (40, 41, 42):  # small and repeated to a transit hub
        rows += [_send(s, 106, s + 10 * k, 500, dst_country="TR") for k in range(3)]
    return rows


def _tf01_accounts() -> dict[int, dict]:
    acc = {k: {"country": "SY"} for k in (100, 101, 102, 103, 104)}
    acc.update({105: {"country": "AE"}, 106: {"country": "TR"}})
    acc.update({s: {"address": "1 Shared St"} for s in (4, 5, 6)})
    return acc


def test_tf01_flags_beneficiary_of_repeated_small_transfers_and_its_senders() -> None:
    out = INDICATORS["TF-01"](_input(_tf01_rows(), _tf01_accounts()))
    assert sorted(out["account_key"]) == [1, 2, 3, 100]
    ben = out.set_index("account_key").loc[100]
    assert ben["value"] == 3 and ben["score"] == 0.5
    assert "3 unrelated senders made 9 small transfers" in ben["reason"] and "SY" in ben["reason"]
    assert len(ben["evidence_txn_ids"]) == 9
    sender = out.set_index("account_key").loc[2]
    assert "one of 3 unrelated senders to account 100" in sender["reason"]
    assert len(sender["evidence_txn_ids"]) == 3


def test_tf01_geography_and_thresholds_are_parameters() -> None:
    data = _input(_tf01_rows(), _tf01_accounts())
    hub = INDICATORS["TF-01"](data, geo_tags="transit_hub")
    assert sorted(hub["account_key"]) == [40, 41, 42, 106]
    large = INDICATORS["TF-01"](data, max_amount=6000.0)
    assert 104 in set(large["account_key"])
    # the household counts as one sender however many accounts it uses
    assert 101 not in set(INDICATORS["TF-01"](data, min_senders=2)["account_key"])
    assert INDICATORS["TF-01"](data, min_senders=4).empty


# -- TF-02 ------------------------------------------------------------------------------------
def test_tf02_counts_withdrawals_in_geo_fenced_places_within_a_week() -> None:
    def wd(acct: int, day: int, country: str | None, city: str) -> dict:
        return {
            "timestamp": _day(day),
            "amount_base": 200.0,
            "channel": "cash_withdrawal",
            "src_account_key": acct,
            "dst_account_key": acct,
            "src_country": country,
            "dst_country": country,
            "city": city,
        }

    rows = [
        wd(1, 1, "US", "Springfield"),
        wd(1, 20, "SY", "Idlib"),
        wd(1, 22, "SY", "Idlib"),
        wd(1, 23, "KE", "Mandera"),
        wd(2, 1, "SY", "Idlib"),
        wd(2, 30, "SY", "Idlib"),  # a month apart
        wd(3, 1, "US", "Springfield"),
        wd(3, 2, "US", "Springfield"),  # at home
        wd(4, 5, None, "mandera"),
        wd(4, 6, None, "MANDERA"),
    ]  # city only, any case
    out = INDICATORS["TF-02"](_input(rows)).set_index("account_key")
    assert sorted(out.index) == [1, 4]
    assert out.loc[1, "value"] == 3 and out.loc[1, "score"] == 0.75
    assert (
        "idlib, SY" in out.loc[1, "reason"]
        and "0 earlier withdrawals abroad" in (out.loc[1, "reason"])
    )
    assert out.loc[4, "value"] == 2
    assert INDICATORS["TF-02"](_input(rows), min_count=4).empty


# -- TF-04 ------------------------------------------------------------------------------------
def _donations(collector: int, donors: range, memo: str, day0: int = 0) -> list[dict]:
    rows = []
    for i, d in enumerate(donors):
        text = memo if i % 3 else "gift"  # two in three carry the campaign memo
        rows.append(_send(d, collector, day0 + i % 20, 30.0, "mobile_money", "US", narrative=text))
    return rows


def _tf04_rows() -> list[dict]:
    rows = _donations(50, range(1000, 1024), "Donation @brightfund77")
    rows.append(_send(50, 60, 22, 500.0))  # consolidated, by money transfer, to SY
    rows.append(_send(50, 60, 23, 150.0))
    rows += _donations(51, range(2000, 2024), "for @harbourhelp12")  # no onward transfer
    rows += [{**r, "narrative": "gift"} for r in _donations(52, range(3000, 3024), "x")]
    rows.append(_send(52, 61, 22, 600.0))  # onward transfer but no specific memo
    rows += _donations(53, range(4000, 4019), "@tinyappeal55")  # 19 donors only
    rows.append(_send(53, 62, 21, 500.0))
    # 'gift' is written to many accounts, so it is not a campaign keyword
    rows += [
        _send(5000 + i, 5100 + i, 3, 20.0, "mobile_money", "US", narrative="gift") for i in range(6)
    ]
    return rows


def test_tf04_flags_collector_and_recipient_of_consolidated_outflow() -> None:
    accounts = {60: {"country": "SY"}, 61: {"country": "SY"}, 62: {"country": "SY"}}
    out = INDICATORS["TF-04"](_input(_tf04_rows(), accounts)).set_index("account_key")
    assert sorted(out.index) == [50, 60]
    assert out.loc[50, "value"] == 24
    assert (
        "24 small donors within 30 days (16 with the memo token '@brightfund77'"
        in out.loc[50, "reason"]
    )
    assert "650 sent by money transfer" in out.loc[50, "reason"]
    assert "received 650 of 650 sent on by account 50" in out.loc[60, "reason"]
    assert 0.5 <= out.loc[50, "score"] <= 1
    # fewer donors are enough for a smaller threshold, which also finds account 53
    low = INDICATORS["TF-04"](_input(_tf04_rows(), accounts), min_donors=19)
    assert {50, 53} <= set(low["account_key"])


def test_tf04_outflow_far_above_the_collection_is_not_its_consolidation() -> None:
    rows = _donations(50, range(1000, 1024), "Donation @brightfund77")
    rows.append(_send(50, 60, 22, 12_000.0, "wire"))  # a grant from other funds
    assert INDICATORS["TF-04"](_input(rows, {60: {"country": "SY"}})).empty
    loose = INDICATORS["TF-04"](_input(rows, {60: {"country": "SY"}}), max_out_ratio=100.0)
    assert 50 in set(loose["account_key"])


def test_tf04_needs_the_outflow_to_follow_within_days() -> None:
    rows = _donations(50, range(1000, 1024), "Donation @brightfund77")
    rows.append(_send(50, 60, 40, 650.0))  # 20 days after the last donation
    assert INDICATORS["TF-04"](_input(rows, {60: {"country": "SY"}})).empty
    out = INDICATORS["TF-04"](_input(rows, {60: {"country": "SY"}}), out_days=30)
    assert 50 in set(out["account_key"])


# -- TF-05 ------------------------------------------------------------------------------------
def test_tf05_matches_case_accent_and_transliteration_variants() -> None:
    rows = [
        _send(1, 2, 1, 100.0, "wire", "US", narrative="for the MUJAHIDÉEN ⚔"),
        _send(3, 4, 2, 100.0, "wire", "US", narrative="Black-Banner  Brigade"),
        _send(5, 6, 3, 100.0, "wire", "US", narrative="ref 14/88"),
        _send(7, 8, 4, 100.0, "wire", "US", narrative="Invoice INV14880"),  # not a word
        _send(9, 10, 5, 100.0, "wire", "US", narrative="black bannered brigade"),
        _send(11, 12, 6, 100.0, "wire", "US", narrative="Rent"),
        _send(13, 14, 7, 100.0, "wire", "US"),
    ]
    out = INDICATORS["TF-05"](_input(rows)).set_index("account_key")
    assert sorted(out.index) == [1, 2, 3, 4, 5, 6]
    assert "KW-004" in out.loc[1, "reason"] and "KW-010" in out.loc[1, "reason"]
    assert out.loc[1, "score"] == pytest.approx(1 - (1 - 0.8) * 1)  # strongest entry per txn
    assert out.loc[3, "score"] == pytest.approx(0.9) and "KW-001" in out.loc[3, "reason"]
    assert "2026.11-illustrative" in out.loc[5, "reason"]
    assert list(INDICATORS["TF-05"](_input(rows), side="src")["account_key"]) == [1, 3, 5]


def test_tf05_reads_the_jurisdiction_list_from_reference_data() -> None:
    data = _input([_send(1, 2, 1, 100.0, "wire", "US", narrative="Lunch for Qalam Kitchen")])
    assert INDICATORS["TF-05"](data).empty
    data.reference["tf_keywords"] = {
        "version": "local-1",
        "fold": {"q": "k"},
        "terms": [{"id": "L-1", "term": "kalam kitchen", "weight": 0.4}],
    }
    out = INDICATORS["TF-05"](data)
    assert list(out["account_key"]) == [1, 2]
    assert "local-1" in out.loc[0, "reason"] and out.loc[0, "score"] == pytest.approx(0.4)
    with pytest.raises(ConfigError, match="weight 2"):
        KeywordList.from_mapping({"terms": [{"term": "x", "weight": 2}]})
    assert normalise_text(pd.Series(["Ḥijrah’s  EXPENSES"])).tolist() == ["hijrahs expenses"]


# -- TF-07 ------------------------------------------------------------------------------------
def _npo_accounts() -> dict[int, dict]:
    npo = {"party_type": "entity", "entity_kind": "npo"}
    return {
        10: {**npo, "phone": "+1555000"},
        11: npo,
        12: npo,
        13: npo,
        20: {"phone": "+1555000"},
        30: {"country": "SY"},
        31: {"country": "SY"},
        40: {"country": "AE", "party_type": "entity", "entity_kind": "company"},
        41: {"country": "SY", "party_type": "entity", "entity_kind": "npo"},
    }


def _tf07_rows() -> list[dict]:
    rows = []
    for npo in (10, 11, 12, 13):  # every NPO: small card donations twice a week
        rows += [
            _send(900 + d % 7, npo, d, 40.0, "card", "US", purpose_code="CHAR")
            for d in range(0, 84, 3)
        ]
    # NPO 10: a cash surge from week 6, money transfers to SY, a trader abroad, its controller
    rows += [
        {**_send(10, 10, 42 + 3 * k, 8000.0, "cash_deposit", "US"), "dst_country": "US"}
        for k in range(6)
    ]
    rows += [_send(10, 30, 50 + 4 * k, 9000.0, purpose_code="CHAR") for k in range(3)]
    rows.append(_send(10, 40, 62, 6000.0, "wire", "AE", purpose_code="SUPP"))
    rows.append(_send(10, 20, 64, 2000.0, "wire", "US"))
    # NPO 11: programme grants by wire to a partner NPO in SY (ordinary humanitarian work)
    rows += [_send(11, 41, 10 + 20 * k, 12000.0, "wire", purpose_code="CHAR") for k in range(4)]
    # NPO 12: small money transfers to SY, steady income, nothing else -> one limb only
    rows += [_send(12, 31, 20 + 20 * k, 300.0, purpose_code="CHAR") for k in range(3)]
    return rows


def test_tf07_flags_npo_with_risky_channel_and_a_second_fact() -> None:
    out = INDICATORS["TF-07"](_input(_tf07_rows(), _npo_accounts())).set_index("account_key")
    assert sorted(out.index) == [10, 20, 30, 40]  # the NPO, its controller and payees
    npo = out.loc[10]
    assert npo["value"] == 5 and npo["score"] == 1.0
    for fact in (
        "cash",
        "3 money-transfer payments (27,000) to SY",
        "x its earlier median",
        "abroad to non-NPO payees",
        "personal accounts of its controllers",
    ):
        assert fact in npo["reason"]
    assert "counterparty of NPO account 10" in out.loc[20, "reason"]


def test_tf07_compares_with_own_history_and_peers_not_with_charities_in_general() -> None:
    data = _input(_tf07_rows(), _npo_accounts())
    # NPO 12 pays SY by money transfer but has no surge, no unrelated payee, no controller link
    assert 12 not in set(INDICATORS["TF-07"](data)["account_key"])
    # a jurisdiction that sees small-NPO MVTS payments as enough on their own can say so
    # through the surge thresholds (here: any peak passes)
    loose = INDICATORS["TF-07"](data, min_surge=1.0, min_peer_ratio=1.0)
    assert 12 in set(loose["account_key"]) and 11 not in set(loose["account_key"])


def _border_rows(payee_city: str) -> tuple[list[dict], dict[int, dict]]:
    """NPO 14: sponsors' wires surge from week 6 and leave by money transfer to one person in
    Turkey (a transit country, not tagged conflict-adjacent) living in ``payee_city``."""
    accounts = {
        **_npo_accounts(),
        14: {"party_type": "entity", "entity_kind": "npo"},
        33: {"country": "TR", "address": f"12 Ataturk Cd, {payee_city}, TR"},
    }
    rows = _tf07_rows()
    rows += [
        _send(900 + d % 7, 14, d, 40.0, "card", "US", purpose_code="CHAR") for d in range(0, 84, 3)
    ]
    rows += [
        _send(50 + k, 14, 42 + 3 * k, 9000.0, "wire", "US", purpose_code="CHAR") for k in range(6)
    ]
    rows += [_send(14, 33, 50 + 4 * k, 12000.0, "msb_remittance", "TR") for k in range(3)]
    return rows, accounts


def test_tf07_counts_money_transfers_to_a_border_area_as_the_red_flag_geography() -> None:
    rows, accounts = _border_rows("Gaziantep")
    data = _input(rows, accounts)
    # Turkey is no conflict-adjacent jurisdiction: without border areas, a surge is one limb
    assert 14 not in set(INDICATORS["TF-07"](data)["account_key"])
    out = INDICATORS["TF-07"](data, border_areas="Hatay, gaziantep").set_index("account_key")
    assert {14, 33} <= set(out.index)
    assert "3 money-transfer payments (36,000) to TR" in out.loc[14, "reason"]
    assert out.loc[14, "value"] == 2  # money transfers to the border, and the surge


def test_tf07_border_areas_match_the_payees_city_not_the_country() -> None:
    rows, accounts = _border_rows("Istanbul")
    out = INDICATORS["TF-07"](_input(rows, accounts), border_areas="Gaziantep,Hatay")
    assert 14 not in set(out["account_key"])


# -- TF-08 ------------------------------------------------------------------------------------
def _hawala_rows(node: int, first_customer: int, settlements: int = 3) -> list[dict]:
    rows = [_send(first_customer + i, node, i % 25, 500.0, "mobile_money", "US") for i in range(35)]
    rows += [
        _send(node, first_customer + 100 + i, 5 + 4 * i, 300.0, "mobile_money", "US")
        for i in range(5)
    ]
    rows += [
        _send(node, 80, 8 + 9 * k, 15_500.0 / settlements, "wire", "AE", narrative="Goods")
        for k in range(settlements)
    ]
    return rows


def test_tf08_flags_unlicensed_account_with_many_counterparties_and_settlements() -> None:
    rows = _hawala_rows(70, 1000) + _hawala_rows(71, 2000)  # 71 is a licensed MSB
    rows += [_send(3000 + i, 72, i % 25, 120.0, "mobile_money", "US") for i in range(40)]
    rows += _hawala_rows(73, 4000, settlements=2)  # too few settlements
    accounts = {
        71: {"party_type": "entity", "entity_kind": "msb"},
        80: {"country": "AE", "party_type": "entity", "entity_kind": "company"},
    }
    out = INDICATORS["TF-08"](_input(rows, accounts)).set_index("account_key")
    assert sorted(out.index) == [70, 80]
    assert out.loc[70, "value"] == 41  # 35 payers, 5 payees, 1 settlement partner
    assert (
        "balance 0.97" in out.loc[70, "reason"]
        and "3 settlements abroad" in (out.loc[70, "reason"])
    )
    assert "settlement counterparty abroad of account 70" in out.loc[80, "reason"]
    # a fan-in alone (account 72, a gig worker) is not hawala
    assert 72 not in out.index
    # a pass-through account: many small payers, but three large ones bring most of the money
    fed = _hawala_rows(74, 5000) + [
        _send(6000 + k, 74, 3 + 5 * k, 30_000.0, "wire", "US") for k in range(3)
    ]
    fed += [_send(74, 80, 9 + 9 * k, 30_000.0, "wire", "AE") for k in range(3)]
    assert INDICATORS["TF-08"](_input(fed, accounts)).empty
    assert 74 in set(INDICATORS["TF-08"](_input(fed, accounts), max_top_share=0.9)["account_key"])
    # far from balanced: settle only a third of what came in
    unbalanced = [r for r in _hawala_rows(70, 1000) if r["dst_account_key"] != 80]
    unbalanced += [_send(70, 80, 8 + 9 * k, 2600.0, "wire", "AE") for k in range(3)]
    assert INDICATORS["TF-08"](_input(unbalanced, accounts)).empty


def test_distinct_donors_per_trailing_window_match_a_day_by_day_count() -> None:
    from fiu_analytics.indicators.terrorism_text import _distinct_in_trailing_window

    rng = np.random.default_rng(7)
    n, n_groups, n_days, window = 400, 5, 40, 6
    group = rng.integers(0, n_groups, n)
    member = rng.integers(0, 12, n)
    day = rng.integers(0, n_days, n)
    got = _distinct_in_trailing_window(group, member, day, n_groups, n_days, window)
    expected = np.zeros((n_groups, n_days), np.int64)
    for g in range(n_groups):
        for d in range(n_days):
            seen = (group == g) & (day <= d) & (day >= d - window)
            expected[g, d] = len(set(member[seen].tolist()))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, expected)
    assert got.max() > 3  # the draw does exercise overlapping windows
    empty = _distinct_in_trailing_window(*(np.zeros(0, np.int64),) * 3, 2, 3, window)
    np.testing.assert_array_equal(empty, np.zeros((2, 3), np.int32))
