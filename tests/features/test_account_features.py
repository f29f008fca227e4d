"""account_features: exact values on hand-built ledgers, and no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fiu_analytics.features import account_feature_names, account_features
from tests.features.helpers import T0, ledger


def test_counts_sums_distinct_and_pass_through() -> None:
    # account 1 receives from 10, 11, 11 and pays 2 most of it on within a day
    tx = ledger(
        [
            (10, 1, 0, 1000),
            (11, 1, 1, 500),
            (11, 1, 2, 500),
            (1, 2, 5, 1800),
            (1, 1, 6, 300, "cash_deposit"),
            (1, 1, 7, 100, "cash_withdrawal"),
        ]
    )
    f = account_features(tx, T0 + pd.Timedelta(hours=23), windows=("1D", "7D"))
    assert f.index.dtype == np.int64
    assert list(f.columns) == account_feature_names(("1D", "7D"))
    r = f.loc[1]
    assert r["in_count_1d"] == 4  # three transfers plus the cash deposit
    assert r["in_sum_1d"] == 2300
    assert r["in_distinct_1d"] == 2  # cash has no counterparty
    assert r["out_count_1d"] == 2 and r["out_sum_1d"] == 1900
    assert r["out_distinct_1d"] == 1
    assert r["pass_through_1d"] == pytest.approx(1900 / 2300)
    assert r["channel_wire_share"] == pytest.approx(4 / 6)
    assert r["channel_cash_deposit_share"] == pytest.approx(1 / 6)
    assert r["round_share"] == 1.0
    assert r["age_days"] == pytest.approx(23 / 24)
    assert f.loc[2, "in_sum_7d"] == 1800 and f.loc[2, "out_count_7d"] == 0
    assert (f.dtypes == np.float64).all()


def test_only_transactions_up_to_as_of_are_used() -> None:
    tx = ledger([(10, 1, 0, 100), (1, 2, 10, 90), (3, 1, 50, 7000)])
    cut = T0 + pd.Timedelta(hours=10)
    early = account_features(tx, cut)
    trimmed = account_features(tx.iloc[:2], cut)
    pd.testing.assert_frame_equal(early, trimmed)
    assert 3 not in early.index  # account 3 appears only later
    assert early.loc[1, "in_sum_7d"] == 100
    later = account_features(tx)
    assert later.loc[1, "in_sum_7d"] == 7100


def test_window_is_half_open() -> None:
    # a transaction exactly one window before as_of is outside (t - w, t]
    tx = ledger([(10, 1, 0, 100), (11, 1, 24, 50)])
    f = account_features(tx, T0 + pd.Timedelta(hours=24), windows=("1D",))
    assert f.loc[1, "in_count_1d"] == 1 and f.loc[1, "in_sum_1d"] == 50


def test_designated_exposure_one_and_two_hops() -> None:
    # 99 is designated; 5 paid it; 6 paid 5; 7 only dealt with 6
    tx = ledger([(6, 5, 0, 4000), (5, 99, 1, 3900), (7, 6, 2, 10)])
    f = account_features(tx, designated_account_keys=[99])
    assert f.loc[99, "is_designated"] == 1
    assert f.loc[5, "designated_1hop_count"] == 1 and f.loc[5, "designated_1hop_amount"] == 3900
    assert f.loc[6, "designated_1hop_count"] == 0
    assert f.loc[6, "designated_2hop_counterparties"] == 1
    assert f.loc[7, "designated_2hop_counterparties"] == 0


def test_risk_country_shares_near_threshold_and_time_of_day() -> None:
    tx = ledger(
        [
            (10, 1, 0, 9500, "wire", "NG", "US"),  # 10:00 UTC, from a conflict-adjacent country
            (11, 1, 14, 500, "wire", "US", "US"),  # 00:00 UTC
            (1, 12, 15, 2000, "hawala", "US", "SO"),
        ]
    )
    f = account_features(tx, risk_countries=["NG", "SO"])
    r = f.loc[1]
    assert r["risk_country_in_share"] == pytest.approx(9500 / 10000)
    assert r["risk_country_out_share"] == 1.0
    assert r["near_threshold_share"] == pytest.approx(1 / 3)
    assert r["tod_morning_share"] == pytest.approx(1 / 3)
    assert r["tod_night_share"] == pytest.approx(2 / 3)
    assert r["channel_hawala_share"] == pytest.approx(1 / 3)


def test_dwell_time() -> None:
    # 1000 in at hour 0, 950 out at hour 3: 90% left after 3 hours; 500 in never leaves
    tx = ledger([(10, 1, 0, 1000), (1, 2, 3, 950), (11, 3, 0, 500)])
    f = account_features(tx, windows=("7D",))
    assert f.loc[1, "dwell_median_hours"] == pytest.approx(3.0)
    assert f.loc[1, "dwell_share_24h"] == 1.0
    assert f.loc[3, "dwell_median_hours"] == pytest.approx(7 * 24)
    assert f.loc[3, "dwell_share_24h"] == 0.0


def test_bad_parameters_name_the_parameter() -> None:
    tx = ledger([(1, 2, 0, 10)])
    with pytest.raises(ValueError, match="'windows'"):
        account_features(tx, windows=("soon",))
    with pytest.raises(ValueError, match="lacks column"):
        account_features(tx.drop(columns=["channel"]))


def test_edge_feature_aggregates() -> None:
    from fiu_analytics.features import EdgeFeatures

    tx = ledger([(0, 1, 1, 100), (1, 2, 2, 100), (2, 0, 3, 100), (5, 6, 4, 10)])
    edges = EdgeFeatures(windows=("1D",), n_jobs=1).fit_transform(tx)
    f = account_features(tx, edge_features=edges)
    assert list(f.columns) == account_feature_names(with_edge_aggregates=True)
    # the closing edge 2 -> 0 touches accounts 2 and 0
    assert f.loc[0, "cycles_max"] == 1 and f.loc[2, "cycles_sum"] == 1
    assert f.loc[1, "cycles_max"] == 0 and f.loc[5, "cycles_sum"] == 0


def test_account_features_transformer_in_a_pipeline() -> None:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from fiu_analytics.features import AccountFeatures

    tx = ledger([(10, 1, 0, 1000), (1, 2, 5, 900), (3, 1, 50, 7000)])
    early, late = T0 + pd.Timedelta(hours=10), T0 + pd.Timedelta(hours=60)
    subjects = pd.DataFrame({"account_key": [1, 1, 99], "as_of": [early, late, late]})
    acc = AccountFeatures(windows=("7D",)).fit(subjects, ledger=tx)
    out = acc.transform(subjects)
    assert out.index.equals(subjects.index)
    assert list(out.columns) == list(acc.get_feature_names_out())
    assert out.loc[0, "in_sum_7d"] == 1000 and out.loc[1, "in_sum_7d"] == 8000
    assert (out.loc[2] == 0).all()  # unknown account
    # a later ledger replaces the fitted one
    acc.set_ledger(tx.iloc[:1])
    assert acc.transform(subjects).loc[1, "in_sum_7d"] == 1000
    pipe = Pipeline([("accounts", AccountFeatures(windows=("7D",))), ("scale", StandardScaler())])
    scaled = pipe.fit_transform(subjects, accounts__ledger=tx)
    assert scaled.shape == (3, len(account_feature_names(("7D",))))
