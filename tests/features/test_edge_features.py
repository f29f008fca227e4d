"""EdgeFeatures: exact values on hand-built ledgers, no look-ahead, history across periods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fiu_analytics.features import FEATURE_VERSION, EdgeFeatures
from tests.features.helpers import ledger


def small(**kw: object) -> EdgeFeatures:
    return EdgeFeatures(windows=("1D", "7D"), n_jobs=1, **kw)


def test_three_cycle_is_credited_to_the_closing_edge_only() -> None:
    tx = ledger([(0, 1, 1, 100), (1, 2, 2, 100), (2, 0, 3, 100), (5, 6, 4, 100)])
    f = small().fit_transform(tx)
    assert f["cycles_3"].tolist() == [0, 0, 1, 0]
    assert f["cycles_total"].tolist() == [0, 0, 1, 0]
    assert f["cycles_2"].sum() == 0


def test_cycle_needs_time_order_and_the_window() -> None:
    # hops going back in time are no cycle of money
    back = ledger([(0, 1, 3, 100), (1, 2, 2, 100), (2, 0, 4, 100)])
    assert small().fit_transform(back)["cycles_total"].sum() == 0
    # a ring that takes longer than the cycle window does not count
    slow = ledger([(0, 1, 0, 100), (1, 2, 24, 100), (2, 0, 49, 100)])
    assert small(cycle_window="2D").fit_transform(slow)["cycles_3"].sum() == 0
    assert small(cycle_window="3D").fit_transform(slow)["cycles_3"].tolist() == [0, 0, 1]


def test_cycles_of_every_length_up_to_the_cap_and_distinct_rings() -> None:
    # a 2-cycle, a 4-cycle and a 6-cycle, each closed by its last edge
    two = [(10, 11, 0, 5), (11, 10, 1, 5)]
    four = [(20, 21, 0, 5), (21, 22, 1, 5), (22, 23, 2, 5), (23, 20, 3, 5)]
    six = [(30 + i, 30 + (i + 1) % 6, i, 5) for i in range(6)]
    f = small().fit_transform(ledger(two + four + six))
    assert f["cycles_2"].tolist() == [0, 1] + [0] * 10
    assert f["cycles_4"].tolist() == [0] * 5 + [1] + [0] * 6
    assert f["cycles_6"].tolist() == [0] * 11 + [1]
    assert small(max_cycle_length=5).fit_transform(ledger(six))["cycles_total"].sum() == 0
    # two rings closed by one edge; a repeated transfer on a ring is still one ring
    rings = ledger([(0, 1, 1, 5), (0, 2, 2, 5), (1, 3, 3, 5), (2, 3, 4, 5), (3, 0, 5, 5)])
    assert small().fit_transform(rings)["cycles_3"].tolist() == [0, 0, 0, 0, 2]
    twice = ledger([(0, 1, 1, 5), (0, 1, 2, 5), (1, 2, 3, 5), (2, 0, 4, 5)])
    assert small().fit_transform(twice)["cycles_3"].tolist() == [0, 0, 0, 1]


def test_fan_in_of_five_and_windowed_counts() -> None:
    rows = [(i, 9, i, 100 * (i + 1)) for i in range(5)] + [(0, 9, 6, 50)]
    f = small().fit_transform(ledger(rows))
    assert f["dst_in_distinct_1d"].tolist() == [1, 2, 3, 4, 5, 5]
    assert f["dst_in_count_1d"].tolist() == [1, 2, 3, 4, 5, 6]
    assert f["dst_in_sum_1d"].iloc[4] == 1500
    assert f["src_out_count_1d"].tolist() == [1, 1, 1, 1, 1, 2]
    # a day later the first transfers have left the 1-day window
    late = small().fit_transform(ledger([*rows, (7, 9, 25, 10)]))
    # (hour 1, hour 25]: senders 2, 3, 4 (hours 2-4), 0 (hour 6) and 7; hour 1 is the boundary
    assert late["dst_in_distinct_1d"].iloc[-1] == 5
    assert late["dst_in_count_1d"].iloc[-1] == 5
    assert late["dst_in_distinct_7d"].iloc[-1] == 6


def test_scatter_gather_ordered_and_static() -> None:
    # 0 scatters to 1, 2, 3 which gather into 4
    rows = [(0, 1, 1, 9), (0, 2, 2, 9), (0, 3, 3, 9), (1, 4, 4, 9), (2, 4, 5, 9), (3, 4, 6, 9)]
    f = small().fit_transform(ledger(rows))
    assert f["scatter_gather_max"].tolist() == [0, 0, 0, 0, 2, 3]
    assert f["scatter_gather_sources"].tolist() == [0, 0, 0, 0, 1, 1]
    # an intermediary that paid 4 before it was paid is no flow of money (unless static)
    early = [(1, 4, 0, 9), (0, 1, 2, 9), (0, 2, 3, 9), (2, 4, 4, 9)]
    assert small().fit_transform(ledger(early))["scatter_gather_max"].max() == 0
    static = small(scatter_gather_ordered=False).fit_transform(ledger(early))
    assert static["scatter_gather_max"].tolist() == [0, 0, 0, 2]


def test_gather_scatter_pass_through_and_dwell() -> None:
    rows = [(1, 5, 0, 500), (2, 5, 1, 500), (5, 7, 3, 450), (5, 8, 4, 450)]
    f = small().fit_transform(ledger(rows))
    last = f.iloc[-1]
    assert last["gather_scatter"] == 2
    assert last["src_pass_through_1d"] == pytest.approx(900 / 1000)
    assert last["src_hours_since_in"] == pytest.approx(3.0)
    assert f["src_hours_since_in"].iloc[0] == pytest.approx(21 * 24)  # nothing in: the horizon


def test_row_features_amount_time_channel_country_designated_age() -> None:
    rows = [
        (1, 2, 0, 9_500, "hawala", "US", "SO"),
        (2, 2, 15, 300, "cash_withdrawal", "US", "US"),
    ]
    f = small(designated_account_keys=[2], risk_countries=["SO"]).fit_transform(ledger(rows))
    a, b = f.iloc[0], f.iloc[1]
    assert a["is_near_threshold"] == 1 and a["is_round"] == 1
    assert a["log_amount"] == pytest.approx(np.log1p(9_500))
    assert a["hour"] == 10 and b["hour"] == 1 and b["is_night"] == 1
    assert a["channel_hawala"] == 1 and b["channel_cash_withdrawal"] == 1 and b["is_cash"] == 1
    assert a["dst_country_risk"] == 1 and a["src_country_risk"] == 0 and a["cross_border"] == 1
    assert a["dst_designated"] == 1 and a["src_designated"] == 0
    assert b["src_age_days"] == pytest.approx(15 / 24)


def test_no_look_ahead_later_rows_change_nothing_earlier() -> None:
    rng = np.random.default_rng(3)
    n = 400
    rows = [
        (
            int(rng.integers(0, 25)),
            int(rng.integers(0, 25)),
            float(h),
            float(rng.integers(1, 50)) * 100,
        )
        for h in np.sort(rng.uniform(0, 24 * 20, n)).round(2)
    ]
    tx = ledger(rows)
    # every other self-loop a cash deposit (the rest count as cash going out)
    loops = np.flatnonzero(tx["src_account_key"] == tx["dst_account_key"])
    tx.loc[loops[::2], "channel"] = "cash_deposit"
    cut = tx["timestamp"].iloc[250]
    full = small(scatter_gather_ordered=False).fit_transform(tx)
    early_rows = tx["timestamp"] <= cut
    alone = small(scatter_gather_ordered=False).fit_transform(tx[early_rows])
    pd.testing.assert_frame_equal(full[early_rows.to_numpy()], alone)
    assert full["cycles_total"].sum() > 0 and full["scatter_gather_sources"].sum() > 0
    assert full["dst_cash_in_count_21d"].sum() > 0 and full["src_cash_out_sum_21d"].sum() > 0
    # shuffling the rows changes nothing either (ties are simultaneous)
    shuffled = tx.sample(frac=1.0, random_state=0)
    again = small(scatter_gather_ordered=False).fit_transform(shuffled).loc[tx.index]
    pd.testing.assert_frame_equal(again, full)


def test_a_cycle_completed_later_is_not_credited_earlier() -> None:
    tx = ledger([(0, 1, 1, 100), (1, 2, 2, 100)])
    before = small().fit_transform(tx)
    after = small().fit_transform(ledger([(0, 1, 1, 100), (1, 2, 2, 100), (2, 0, 3, 100)]))
    pd.testing.assert_frame_equal(before, after.iloc[:2])
    assert after["cycles_3"].iloc[2] == 1


def test_fit_on_earlier_transform_on_later_uses_history() -> None:
    january = ledger([(0, 1, 1, 100), (1, 2, 2, 100), (3, 9, 3, 10)])
    february = ledger([(2, 0, 30, 100), (4, 9, 31, 10)])
    february["txn_id"] = ["f0", "f1"]
    both = pd.concat([january, february], ignore_index=True)
    ef = small().fit(january)
    assert len(ef.history_.t) == 3
    got = ef.transform(february)
    want = small().fit_transform(both).iloc[3:].set_axis(february.index)
    pd.testing.assert_frame_equal(got, want)
    assert got["cycles_3"].iloc[0] == 1 and got["dst_in_distinct_7d"].iloc[1] == 2
    assert got["src_age_days"].iloc[0] == pytest.approx((30 - 2) / 24)
    # without the history February sees no cycle
    assert small().fit_transform(february)["cycles_3"].sum() == 0


def test_history_is_bounded_by_the_largest_window_and_dedupes() -> None:
    rows = [(0, 1, h * 24, 10) for h in range(60)]
    ef = EdgeFeatures(
        windows=("1D", "7D"), amount_window="3D", cycle_window="10D", scatter_gather_window="2D"
    )
    ef.fit(ledger(rows))
    assert ef.horizon_ == 10 * 86_400
    assert len(ef.history_.t) == 10
    tx = ledger(rows)
    # transforming the fitted rows again does not count them twice
    pd.testing.assert_frame_equal(ef.transform(tx), ef.fit_transform(tx))


def test_amount_statistics_of_both_endpoints_in_the_window() -> None:
    # 9 receives 100, 200, 400 from three payers, then pays 650 on; 25 days later 100 again
    rows = [(1, 9, 0, 100), (2, 9, 1, 200), (3, 9, 2, 400), (9, 5, 3, 650), (4, 9, 600, 100)]
    f = small(amount_window="21D").fit_transform(ledger(rows))
    # row 3's payee (5) has only that row's 650 in its window
    assert f["dst_in_amount_mean_21d"].tolist() == pytest.approx([100, 150, 700 / 3, 650, 100])
    assert f["dst_in_amount_min_21d"].tolist() == [100, 100, 100, 650, 100]
    assert f["dst_in_amount_max_21d"].tolist() == [100, 200, 400, 650, 100]
    logs = np.log1p([100.0, 200.0, 400.0])
    assert f["dst_in_log_amount_std_21d"].iloc[2] == pytest.approx(logs.std())
    centred = logs - logs.mean()
    skew = (centred**3).mean() / logs.std() ** 3
    assert f["dst_in_log_amount_skew_21d"].iloc[2] == pytest.approx(skew, abs=1e-9)
    # one amount, or equal amounts: no spread, no skew (not rounding noise)
    assert f["dst_in_log_amount_std_21d"].iloc[0] == 0 and f["dst_in_log_amount_skew_21d"][0] == 0
    # the payer of row 3 is 9: its incoming amounts, and its own outgoing 650
    assert f["src_in_amount_max_21d"].iloc[3] == 400
    assert f["src_out_amount_mean_21d"].iloc[3] == 650
    assert f["amount_to_dst_mean_in"].iloc[2] == pytest.approx(400 / (700 / 3))
    # 9 forwards 650 after receiving 400 last; the first payers received nothing
    assert f["amount_to_src_last_in"].iloc[3] == pytest.approx(650 / 400)
    assert f["amount_to_src_last_in"].iloc[0] == 0
    # the last row is 25 days later: the earlier receipts left the window
    assert f["dst_in_log_amount_std_21d"].iloc[4] == 0


def test_amount_statistics_match_a_direct_computation() -> None:
    rng = np.random.default_rng(7)
    n = 600
    hours = np.sort(rng.uniform(0, 40 * 24, n))
    amounts = np.round(rng.lognormal(6, 1.5, n), 2)
    amounts[:50] = 500.0  # a run of equal amounts: spread exactly 0
    rows = [
        (int(a), int(b), h, m)
        for a, b, h, m in zip(
            rng.integers(0, 15, n), rng.integers(0, 15, n), hours, amounts, strict=True
        )
    ]
    tx = ledger(rows)
    f = small(amount_window="7D").fit_transform(tx)
    t = tx["timestamp"]
    transfers = tx[tx["src_account_key"] != tx["dst_account_key"]]
    for i in rng.choice(n, 120, replace=False):
        row = tx.iloc[i]
        for end in ("src", "dst"):
            acct = row[f"{end}_account_key"]
            for side, key in (("in", "dst_account_key"), ("out", "src_account_key")):
                tt = t[transfers.index]
                inside = (tt <= t.iloc[i]) & (tt > t.iloc[i] - pd.Timedelta("7D"))
                a = transfers.loc[(transfers[key] == acct) & inside, "amount_base"].to_numpy()
                got = f.iloc[i][[f"{end}_{side}_{s}_7d" for s in ("amount_mean", "amount_min")]]
                want = [a.mean(), a.min()] if len(a) else [0.0, 0.0]
                assert got.tolist() == pytest.approx(want)
                assert f.iloc[i][f"{end}_{side}_amount_max_7d"] == (a.max() if len(a) else 0)
                spread = np.log1p(a).std() if len(a) else 0.0
                assert f.iloc[i][f"{end}_{side}_log_amount_std_7d"] == pytest.approx(
                    spread if spread**2 > 1e-4 else 0.0, abs=1e-9
                )


def test_transfers_per_counterparty_in_the_amount_window() -> None:
    # 1 pays 2 twice and 3 once; 4 pays 2; 25 days later 1 pays 2 again
    rows = [(1, 2, 0, 10), (1, 2, 1, 10), (1, 3, 2, 10), (4, 2, 3, 10), (1, 2, 600, 10)]
    f = small(amount_window="21D").fit_transform(ledger(rows))
    assert f["src_out_per_counterparty_21d"].tolist() == [1, 2, 1.5, 1, 1]
    assert f["dst_in_per_counterparty_21d"].tolist() == [1, 2, 1, 1.5, 1]
    assert f["src_in_per_counterparty_21d"].tolist() == [0, 0, 0, 0, 0]


def test_cash_of_both_endpoints_in_the_window() -> None:
    # 9 deposits cash twice and withdraws once; it pays 5, and 25 days later receives from 1
    rows = [
        (9, 9, 0, 3_000, "cash_deposit"),
        (9, 9, 1, 2_000, "cash_deposit"),
        (9, 5, 2, 4_500),
        (9, 9, 3, 400, "cash_withdrawal"),
        (1, 9, 600, 100),
    ]
    tx = ledger(rows)
    f = small(amount_window="21D").fit_transform(tx)
    assert f["src_cash_in_count_21d"].tolist() == [1, 2, 2, 2, 0]
    assert f["src_cash_in_sum_21d"].tolist() == [3_000, 5_000, 5_000, 5_000, 0]
    assert f["src_cash_out_sum_21d"].tolist() == [0, 0, 0, 400, 0]
    # the payee side: 9 paid 5 (no cash); 9 receives 25 days later, its cash left the window
    assert f["dst_cash_in_count_21d"].tolist() == [1, 2, 0, 2, 0]
    assert f["dst_cash_out_count_21d"].tolist() == [0, 0, 0, 1, 0]
    # transfers are not cash, cash is not a transfer
    assert f["src_out_count_7d"].iloc[3] == 1 and f["src_in_count_7d"].iloc[3] == 0
    # a later period sees the history's deposits as deposits
    ef = small(amount_window="21D").fit(tx.iloc[:2])
    pd.testing.assert_frame_equal(ef.transform(tx.iloc[2:]), f.iloc[2:])
    # without a channel (array input) every self-loop is cash going out
    t = tx["timestamp"].astype("int64").to_numpy() // 10**6
    arr = np.c_[t, tx["src_account_key"], tx["dst_account_key"], tx["amount_base"]].astype(float)
    g = small(amount_window="21D").fit_transform(arr)
    assert g["src_cash_in_count_21d"].sum() == 0
    assert g["src_cash_out_count_21d"].tolist() == [1, 2, 2, 3, 0]


def test_numeric_array_input_and_pipeline() -> None:
    tx = ledger([(0, 1, 1, 100), (1, 2, 2, 100), (2, 0, 3, 100)])
    t = tx["timestamp"].astype("int64").to_numpy() // 10**6
    arr = np.c_[t, tx["src_account_key"], tx["dst_account_key"], tx["amount_base"]].astype(float)
    f = small().fit_transform(arr)
    assert f["cycles_3"].tolist() == [0, 0, 1]
    pipe = Pipeline([("edges", small()), ("scale", StandardScaler())]).set_output(
        transform="pandas"
    )
    out = pipe.fit_transform(tx)
    assert list(out.columns) == list(small().get_feature_names_out())
    assert out.index.equals(tx.index)
    assert isinstance(FEATURE_VERSION, str) and FEATURE_VERSION


def test_caps_are_visible() -> None:
    # 0 pays 30 accounts then receives from 1, which 0 paid: the hub cap skips the walk
    rows = [(0, 100 + i, i * 0.1, 10) for i in range(30)] + [(0, 1, 4, 10), (1, 0, 5, 10)]
    f = small(hub_degree=5).fit_transform(ledger(rows))
    assert f["pattern_capped"].iloc[-1] == 1
    assert f["cycles_2"].iloc[-1] == 0
    assert small().fit_transform(ledger(rows))["cycles_2"].iloc[-1] == 1


def test_bad_parameters_name_the_parameter() -> None:
    tx = ledger([(0, 1, 1, 100)])
    with pytest.raises(ValueError, match=r"'max_cycle_length'.*2 to 10.*got 11"):
        EdgeFeatures(max_cycle_length=11).fit(tx)
    with pytest.raises(ValueError, match="'windows'"):
        EdgeFeatures(windows=()).fit(tx)
    with pytest.raises(ValueError, match="'hub_degree'"):
        EdgeFeatures(hub_degree=0).fit(tx)
    with pytest.raises(ValueError, match="lacks column"):
        EdgeFeatures().fit(tx.drop(columns=["amount_base"]))
