"""TY-NX-04 and TY-NPO-MISUSE as shipped (the catalog files, their parameters and thresholds) on
hand-made ledgers: a forced-labour controller whose profile comes from his front company, and
an NPO whose money transfers go to a border city of a transit country."""

from __future__ import annotations

import pandas as pd

from fiu_analytics.detection import detect, load_typology
from tests.conftest import REPO
from tests.indicators.test_nexus_sources import CONTROLLER, PAYROLL, _scheme
from tests.indicators.test_terrorism import _border_rows, _input


def _alerted(typology_file: str, data) -> set[int]:
    alerts: pd.DataFrame = detect(data, [load_typology(REPO / "typologies" / typology_file)])
    return set(alerts["subject_account_key"]) if len(alerts) else set()


def test_nx04_alerts_the_controller_whose_front_company_completes_the_profile() -> None:
    front = {5: {"party_type": "entity", "phone": "+44000001"}}  # registered on 1's phone
    assert _alerted("nx04_nexus.yaml", _scheme(PAYROLL, CONTROLLER, front)) == {1}


def test_nx04_stays_quiet_when_the_company_is_not_the_controllers() -> None:
    unrelated = {5: {"party_type": "entity", "phone": "+44999999"}}
    assert _alerted("nx04_nexus.yaml", _scheme(PAYROLL, CONTROLLER, unrelated)) == set()


def test_npo_misuse_alerts_money_transfers_to_a_border_city() -> None:
    rows, accounts = _border_rows("Gaziantep")
    assert {14, 33} <= _alerted("npo_misuse.yaml", _input(rows, accounts))


def test_npo_misuse_ignores_money_transfers_elsewhere_in_the_transit_country() -> None:
    rows, accounts = _border_rows("Istanbul")
    alerted = _alerted("npo_misuse.yaml", _input(rows, accounts))
    assert 14 not in alerted and 33 not in alerted
    assert 10 in alerted  # the NPO of the shared fixture still is
