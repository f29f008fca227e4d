"""GEN-03's window slicing: the movements of each candidate window, as a filter would give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fiu_analytics.indicators.passthrough import _window_rows


def movements(rng: np.random.Generator, n: int, t_scale: int) -> pd.DataFrame:
    acct = rng.integers(-3, 6, n)
    t = rng.integers(0, 50, n) * t_scale
    inflow = rng.random(n) < 0.5
    order = np.lexsort((~inflow, t, acct))  # by account, time, inflows first
    return pd.DataFrame(
        {
            "acct": acct[order],
            "t": t[order],
            "a": rng.random(n)[order],
            "inflow": inflow[order],
            "row": np.arange(n)[order],
        }
    )


def naive(mv: pd.DataFrame, acct: np.ndarray, t0: np.ndarray, span: int) -> pd.DataFrame:
    parts = []
    for wid, (a, s) in enumerate(zip(acct, t0, strict=True)):
        m = mv[(mv["acct"] == a) & (mv["t"] >= s) & (mv["t"] < s + span)]
        parts.append(m.assign(wid=wid))
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("t_scale", [1, 2**57])  # the second forces the window-by-window path
@pytest.mark.parametrize("seed", range(5))
def test_window_rows_are_each_windows_movements_in_order(seed: int, t_scale: int) -> None:
    rng = np.random.default_rng(seed)
    mv = movements(rng, 400, t_scale)
    pick = rng.integers(0, len(mv), 30)
    acct = mv["acct"].to_numpy()[pick]
    # windows start on a movement (ties at t0 included) or between movements
    t0 = mv["t"].to_numpy()[pick] + rng.integers(0, 2, 30) * (t_scale // 2)
    span = 7 * t_scale
    got = _window_rows(mv, acct, t0, span)
    pd.testing.assert_frame_equal(got, naive(mv, acct, t0, span), check_dtype=False)


def test_no_windows_or_no_movements_give_no_rows() -> None:
    mv = movements(np.random.default_rng(0), 50, 1)
    assert _window_rows(mv, np.array([], np.int64), np.array([], np.int64), 5).empty
    assert "wid" in _window_rows(mv.iloc[0:0], np.array([1]), np.array([3]), 5).columns
