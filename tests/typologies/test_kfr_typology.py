"""TY-KFR as shipped (the catalog file, its parameters and threshold) on hand-made ledgers: a
family pools money and one relative pays an intermediary abroad; a namesake's small payment
weeks before does not hide the pooling, and namesakes alone are no family."""

from __future__ import annotations

import pandas as pd

from fiu_analytics.detection import detect, load_typology
from tests.conftest import REPO
from tests.indicators.test_nexus_ransom import FAMILY, INTERMEDIARY, PAYER, POOLING, _data


def _alerted(data) -> set[int]:
    alerts: pd.DataFrame = detect(data, [load_typology(REPO / "typologies" / "kfr_ransom.yaml")])
    return set(alerts["subject_account_key"]) if len(alerts) else set()


def test_kfr_alerts_the_intermediary_paid_after_a_family_pooled_money() -> None:
    friend = {7: ("Emeka Haddad", "1 Bay St, Hull", "+44700777")}
    rows = [(0, 170, 7, PAYER, "mobile_money"), *POOLING]
    assert _alerted(_data(rows, {**FAMILY, **friend})) == {INTERMEDIARY}


def test_kfr_stays_quiet_when_the_payers_only_share_a_surname() -> None:
    strangers = {k: (name, f"{k} Other St, York", f"+44800{k:03d}") for k, (name, *_) in
                 FAMILY.items()}  # fmt: skip
    assert _alerted(_data(POOLING, strangers)) == set()
