"""The shared NumPy view of the transactions and the once-per-input indicator runs.

Indicators select rows through ``DetectionInput.arrays`` instead of masking the Arrow-backed
frame, and ``IndicatorSpec`` computes each (indicator, parameters) once per input; both must
give exactly what the frame operations and a fresh run give.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fiu_analytics.indicators import DetectionInput
from fiu_analytics.indicators.base import IndicatorSpec, Param, empty_result
from tests.ledger import detection_input

COLUMNS = ["txn_id", "timestamp", "amount_base", "channel", "src_account_key",
           "dst_account_key", "city", "merchant"]  # fmt: skip
ROWS = [
    ("a", "2025-01-01 10:00", 10.0, "wire", 1, 2, "Oslo", "Classified Ads Ltd"),
    ("b", "2025-01-01 11:00", 20.5, "card", 1, 3, None, "Corner Shop"),
    ("c", "2025-01-02 09:00", 30.0, "cash_deposit", 4, 4, "Bergen", None),
    ("d", "2025-01-03 23:00", 40.0, "wire", 2, 1, "Oslo", "escort listings"),
    ("e", "2025-01-04 08:00", 50.0, None, 3, 2, "bergen", "Corner Shop"),
]


@pytest.fixture
def data() -> DetectionInput:
    return detection_input(ROWS, COLUMNS)


def test_numeric_arrays_are_the_frame_columns_and_read_only(data: DetectionInput) -> None:
    tx, v = data.transactions, data.arrays
    assert v.src.tolist() == tx["src_account_key"].tolist()
    assert v.dst.tolist() == tx["dst_account_key"].tolist()
    assert v.amount.tolist() == tx["amount_base"].tolist()
    assert v.ts.tolist() == [int(t.timestamp()) for t in pd.to_datetime(tx["timestamp"], utc=True)]
    assert v.src.dtype == np.int64 and v.amount.dtype == np.float64
    with pytest.raises(ValueError):
        v.src[0] = 9
    assert data.arrays is v  # built once per input


@pytest.mark.parametrize("name", ["channel", "city", "merchant"])
def test_codes_isin_and_values_match_the_frame(data: DetectionInput, name: str) -> None:
    tx, v = data.transactions, data.arrays
    codes, values = v.codes(name)
    assert codes.dtype == np.int32
    assert (codes >= 0).tolist() == tx[name].notna().tolist() == v.notna(name).tolist()
    present = [x for x in tx[name].tolist() if isinstance(x, str)]
    assert values[codes[codes >= 0]].tolist() == present
    for wanted in (["wire"], ["Oslo", "bergen"], ["Corner Shop", "nowhere"], []):
        assert v.isin(name, wanted).tolist() == tx[name].isin(wanted).tolist()
    rows = np.array([4, 0, 1])
    expected = [x if isinstance(x, str) else None for x in tx[name].iloc[rows]]
    assert v.values_at(name, rows).tolist() == expected
    assert v.values_at(name, rows, missing="?").tolist() == [
        "?" if x is None else x for x in expected
    ]


def test_equals_contains_and_absent_columns(data: DetectionInput) -> None:
    tx, v = data.transactions, data.arrays
    assert v.equals("channel", "wire").tolist() == (tx["channel"] == "wire").fillna(False).tolist()
    pattern = r"(?i)classified|escort"
    expected = tx["merchant"].fillna("").astype(str).str.contains(pattern).tolist()
    assert v.contains("merchant", pattern).tolist() == expected == [
        True, False, False, True, False
    ]  # fmt: skip
    # a column a report format does not carry is all missing
    assert not v.notna("purpose_code").any()
    assert not v.isin("purpose_code", ["SALA"]).any()
    assert v.values_at("purpose_code", [0, 1]).tolist() == [None, None]


def test_txn_ids_in_the_order_given(data: DetectionInput) -> None:
    assert data.arrays.txn_ids([3, 0, 3]) == ["d", "a", "d"]
    assert data.arrays.txn_ids(np.zeros(0, np.int64)) == []


def _counting_spec(calls: list[int]) -> IndicatorSpec:
    def at_least(data: DetectionInput, min_amount: float) -> pd.DataFrame:
        calls.append(1)
        tx = data.transactions
        hit = tx[tx["amount_base"] >= min_amount]
        if hit.empty:
            return empty_result()
        return pd.DataFrame(
            {
                "account_key": hit["src_account_key"].to_numpy(np.int64),
                "value": hit["amount_base"].to_numpy(float),
                "score": np.ones(len(hit)),
                "reason": ["large"] * len(hit),
                "evidence_txn_ids": [[t] for t in hit["txn_id"]],
            }
        )

    return IndicatorSpec("T-COUNT", "test", at_least, {"min_amount": Param(25.0, float)})


def test_an_indicator_runs_once_per_input_and_parameters(data: DetectionInput) -> None:
    calls: list[int] = []
    spec = _counting_spec(calls)
    first = spec(data)
    again = spec(data, min_amount=25.0)  # the defaults spelled out are the same run
    assert len(calls) == 1
    pd.testing.assert_frame_equal(first, again)
    assert first["account_key"].tolist() == [4, 2, 3]
    spec(data, min_amount=45.0)
    assert len(calls) == 2
    # a caller changing its result does not change what the next caller gets
    first.loc[0, "score"] = 0.0
    first["extra"] = 1
    pd.testing.assert_frame_equal(spec(data), again)
    assert spec(data)["score"].tolist() == [1.0, 1.0, 1.0]
    # another input is another run
    spec(detection_input(ROWS, COLUMNS))
    assert len(calls) == 3


def test_replacing_a_reference_entry_or_a_table_runs_again(data: DetectionInput) -> None:
    calls: list[int] = []
    spec = _counting_spec(calls)
    spec(data)
    data.reference["lists"] = {"version": "1"}
    spec(data)
    data.reference["lists"] = {"version": "2"}
    spec(data)
    assert len(calls) == 3
    data.transactions = data.transactions.iloc[:2].copy()
    assert spec(data).empty
    assert len(calls) == 4


def test_an_indicator_that_fails_is_not_remembered(data: DetectionInput) -> None:
    calls: list[int] = []

    def broken(data: DetectionInput) -> pd.DataFrame:
        calls.append(1)
        raise RuntimeError("boom")

    spec = IndicatorSpec("T-FAIL", "test", broken, {})
    for _ in range(2):
        with pytest.raises(RuntimeError, match="boom"):
            spec(data)
    assert len(calls) == 2
