"""GEN-01 and fan-in/fan-out on small hand-made fixtures with known answers."""

from __future__ import annotations

import pytest

from fiu_analytics.errors import TypologyError
from fiu_analytics.indicators import INDICATORS, DetectionInput
from tests.ledger import detection_input


def _input(rows: list[tuple]) -> DetectionInput:
    return detection_input(rows)


def test_structuring_fires_on_three_near_threshold_deposits_in_a_week() -> None:
    rows = [
        ("a1", "2025-01-01", 9500, "cash_deposit", 1, 1),
        ("a2", "2025-01-03", 9100, "cash_deposit", 1, 1),
        ("a3", "2025-01-06", 8800, "cash_deposit", 1, 1),
        # account 2: same amounts but spread over three weeks -> no
        ("b1", "2025-01-01", 9500, "cash_deposit", 2, 2),
        ("b2", "2025-01-09", 9100, "cash_deposit", 2, 2),
        ("b3", "2025-01-18", 8800, "cash_deposit", 2, 2),
        # account 3: within a week but wires, not cash -> no
        ("c1", "2025-01-01", 9500, "wire", 9, 3),
        ("c2", "2025-01-02", 9500, "wire", 9, 3),
        ("c3", "2025-01-03", 9500, "wire", 9, 3),
        # account 4: cash but well below the band -> no
        ("d1", "2025-01-01", 5000, "cash_deposit", 4, 4),
        ("d2", "2025-01-02", 5000, "cash_deposit", 4, 4),
        ("d3", "2025-01-03", 5000, "cash_deposit", 4, 4),
    ]
    out = INDICATORS["GEN-01"](_input(rows))
    assert list(out["account_key"]) == [1]
    assert out.loc[0, "value"] == 3
    assert sorted(out.loc[0, "evidence_txn_ids"]) == ["a1", "a2", "a3"]
    assert 0.5 <= out.loc[0, "score"] <= 1
    assert "3 cash deposits" in out.loc[0, "reason"]
    # a jurisdiction with a lower threshold sees account 4 instead
    low = INDICATORS["GEN-01"](_input(rows), threshold=6000.0)
    assert list(low["account_key"]) == [4]


def test_fan_in_counts_distinct_senders_in_a_trailing_window() -> None:
    rows = [(f"x{i}", f"2025-01-{1 + i % 10:02d}", 100.0, "wire", 100 + i, 1) for i in range(12)]
    rows += [
        (f"y{i}", f"2025-01-{1 + 2 * i:02d}", 100.0, "wire", 200 + i % 3, 2) for i in range(12)
    ]  # many payments, only three senders
    rows += [
        (f"z{i}", f"2025-{1 + i // 4:02d}-{1 + 7 * (i % 4):02d}", 100.0, "wire", 300 + i, 3)
        for i in range(12)
    ]  # twelve senders but spread over three months
    out = INDICATORS["fan_in"](_input(rows), min_counterparties=10, window_days=14)
    assert list(out["account_key"]) == [1]
    assert out.loc[0, "value"] == 12
    assert len(out.loc[0, "evidence_txn_ids"]) == 12
    # repeated payments by the same sender count once
    out3 = INDICATORS["fan_in"](_input(rows), min_counterparties=3, window_days=14)
    assert dict(zip(out3["account_key"], out3["value"], strict=True))[2] == 3


def test_fan_out_is_the_mirror_of_fan_in() -> None:
    rows = [(f"x{i}", "2025-01-02", 100.0, "wire", 1, 100 + i) for i in range(11)]
    out = INDICATORS["fan_out"](_input(rows), min_counterparties=10)
    assert list(out["account_key"]) == [1] and out.loc[0, "value"] == 11
    assert INDICATORS["fan_in"](_input(rows), min_counterparties=10).empty


def test_parameters_are_checked_with_names_and_values() -> None:
    spec = INDICATORS["GEN-01"]
    with pytest.raises(TypologyError, match="parameter 'window_days' got 0; expected >= 1"):
        spec.resolve({"window_days": 0})
    with pytest.raises(TypologyError, match=r"no parameter\(s\) \['windw'\]"):
        spec.resolve({"windw": 3})
    with pytest.raises(TypologyError, match="expected int"):
        spec.resolve({"min_count": "three"})
