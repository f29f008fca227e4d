"""SAN-01 as a registered indicator: party hits mapped to accounts, with reason and evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fiu_analytics.errors import TypologyError
from fiu_analytics.indicators import RESULT_COLUMNS, DetectionInput, get_indicator
from fiu_analytics.ingest import read_un_list
from tests.conftest import SHARED_SAMPLES

EXCERPT = SHARED_SAMPLES / "un_sanctions" / "un_consolidated_excerpt_2018-10-29.xml"


@pytest.fixture(scope="module")
def designations() -> pd.DataFrame:
    frame, _ = read_un_list(EXCERPT)
    return frame


def detection_input(designations: pd.DataFrame | None) -> DetectionInput:
    parties = pd.DataFrame(
        {
            "party_id": ["P1", "P2", "P3", "P4"],
            "party_type": ["entity", "person", "person", "person"],
            "name": [
                "Islamic State of Iraq and the Levant",
                "Mary Smith",
                "Abu Bakr al-Baghdadi",  # Low alias, no birth date: not a hit
                "Muhamad Aman Akhund",
            ],
            "birth_date": [None, None, None, "1970-05-05"],
            "nationality": [None, "US", None, "AF"],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_key": [1, 2, 3, 4, 5],
            "owner_party_id": ["P1", "P1", "P2", "P3", "P4"],
        }
    )
    # account 1 pays account 3 sixty times, account 2 is paid once by 3, 5 has no activity
    n = 60
    ts = pd.date_range("2025-01-01", periods=n + 1, freq="h", tz="UTC")
    tx = pd.DataFrame(
        {
            "txn_id": [f"T{i:03d}" for i in range(n + 1)],
            "timestamp": ts,
            "src_account_key": np.r_[np.full(n, 1), 3],
            "dst_account_key": np.r_[np.full(n, 3), 2],
            "amount_base": 100.0,
            "channel": "wire",
        }
    )
    reference = {} if designations is None else {"designations": designations}
    return DetectionInput(
        transactions=tx,
        accounts=accounts,
        parties=parties,
        period_start=ts[0],
        period_end=ts[-1] + pd.Timedelta(hours=1),
        reference=reference,
    )


def test_san01_scores_accounts_of_matching_parties(designations: pd.DataFrame) -> None:
    out = get_indicator("SAN-01")(detection_input(designations)).set_index("account_key")
    assert sorted(out.index) == [1, 2, 5]
    assert (out["value"] == out["score"]).all()
    assert out["score"].between(0.9, 1.0).all()
    assert out.loc[1, "reason"].startswith("SAN-01 QDe.115")
    assert "TAi.158" in out.loc[5, "reason"]
    # evidence: the account's own transactions in the period, at most 50, in time order
    ev1 = out.loc[1, "evidence_txn_ids"]
    assert ev1 == [f"T{i:03d}" for i in range(50)]
    assert out.loc[2, "evidence_txn_ids"] == ["T060"]
    assert out.loc[5, "evidence_txn_ids"] == []


def test_san01_parameters(designations: pd.DataFrame) -> None:
    spec = get_indicator("SAN-01")
    out = spec(detection_input(designations), max_evidence=5).set_index("account_key")
    assert len(out.loc[1, "evidence_txn_ids"]) == 5
    with pytest.raises(TypologyError, match="threshold"):
        spec(detection_input(designations), threshold=1.5)


def test_san01_without_designations_says_nothing() -> None:
    out = get_indicator("SAN-01")(detection_input(None))
    assert out.empty
    assert list(out.columns) == RESULT_COLUMNS
