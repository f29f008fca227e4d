"""The period a detection run reads: bounds given as text, naive or zone-aware timestamps."""

from __future__ import annotations

import pandas as pd
import pytest

from fiu_analytics.detection.inputs import CATEGORICAL_COLUMNS, load_detection_input, resolve_period
from fiu_analytics.errors import StoreError
from fiu_analytics.store import Store
from tests.conftest import REPO

SAMPLE = Store(REPO / "sample_data" / "store")


def test_period_bounds_in_any_form_are_utc() -> None:
    want = (pd.Timestamp("2025-02-01", tz="UTC"), pd.Timestamp("2025-03-01", tz="UTC"))
    assert resolve_period(SAMPLE, "2025-02-01", "2025-03-01") == want
    assert resolve_period(SAMPLE, pd.Timestamp("2025-02-01"), want[1]) == want
    lo, hi = resolve_period(SAMPLE, pd.Timestamp("2025-02-01 01:00", tz="Europe/Paris"), want[1])
    assert lo == want[0] and hi == want[1]
    with pytest.raises(StoreError, match="is not after start"):
        resolve_period(SAMPLE, "2025-03-01", "2025-02-01")


def test_repeated_id_columns_load_as_categoricals_with_the_same_values() -> None:
    data = load_detection_input(SAMPLE, "2025-02-01", "2025-03-01")
    tx = data.transactions
    raw = SAMPLE.read_transactions("2025-02-01", "2025-03-01").sort_values(
        "timestamp", kind="stable"
    )
    for c in CATEGORICAL_COLUMNS:
        assert isinstance(tx[c].dtype, pd.CategoricalDtype)
        assert tx[c].astype("str").tolist() == raw[c].astype("str").tolist()
    assert tx["channel"].dtype == raw["channel"].dtype  # compared across columns: strings


def test_loaded_transactions_are_the_period_sorted_by_time_ties_in_store_order() -> None:
    data = load_detection_input(SAMPLE)
    raw = SAMPLE.read_transactions().sort_values("timestamp", kind="stable")
    raw = raw.reset_index(drop=True)
    tx = data.transactions
    assert len(tx) == len(raw) > 0
    assert tx["timestamp"].is_monotonic_increasing
    for c in raw.columns:
        got = tx[c].astype("str") if c in CATEGORICAL_COLUMNS else tx[c]
        want = raw[c].astype("str") if c in CATEGORICAL_COLUMNS else raw[c]
        pd.testing.assert_series_equal(got, want, check_names=False)
