"""Detection window by window: the windows, which alerts a window owns, one window at a time."""

from __future__ import annotations

import pandas as pd
import pytest

from fiu_analytics.detection import detect, load_catalog
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.detection.windows import (
    Window,
    detect_by_window,
    month_windows,
    own_alerts,
)
from fiu_analytics.store import Store
from tests.conftest import REPO

SAMPLE = Store(REPO / "sample_data" / "store")
CATALOG = [t for t in load_catalog(REPO / "typologies") if t.id != "TY-ML-ACCOUNT"]


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def test_month_windows_cover_the_period_once_with_context_inside_it() -> None:
    ws = month_windows(ts("2025-01-10"), ts("2025-04-03"), months=1, lookback_days=30)
    assert [(w.start, w.end) for w in ws] == [
        (ts("2025-01-10"), ts("2025-02-01")),
        (ts("2025-02-01"), ts("2025-03-01")),
        (ts("2025-03-01"), ts("2025-04-01")),
        (ts("2025-04-01"), ts("2025-04-03")),
    ]
    # context: 30 days back, never before the period asked for
    assert [w.context_start for w in ws] == [
        ts("2025-01-10"),
        ts("2025-01-10"),
        ts("2025-01-30"),
        ts("2025-03-02"),
    ]
    assert [w.label for w in ws] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    two = month_windows(ts("2025-01-01"), ts("2025-06-01"), months=2, lookback_days=0)
    assert [w.label for w in two] == ["2025-01..2025-02", "2025-03..2025-04", "2025-05"]
    assert all(w.context_start == w.start for w in two)


@pytest.mark.parametrize(
    ("months", "lookback", "end", "message"),
    [
        (0, 30, "2025-03-01", "months must be >= 1"),
        (1, -1, "2025-03-01", "lookback_days must be >= 0"),
        (1, 30, "2025-01-01", "is not after start"),
    ],
)
def test_month_windows_refuse_what_makes_no_windows(months, lookback, end, message) -> None:
    with pytest.raises(ValueError, match=message):
        month_windows(ts("2025-01-01"), ts(end), months, lookback)


def test_a_window_drops_only_what_the_window_before_raised_from_the_context() -> None:
    start = ts("2025-02-01")
    data = load_detection_input(SAMPLE, "2025-01-02", "2025-03-01")
    alerts = detect(data, CATALOG)
    when = dict(zip(data.transactions["txn_id"], data.transactions["timestamp"], strict=True))
    in_context = {
        a.alert_id
        for a in alerts.itertuples(index=False)
        if a.evidence_txn_ids and all(when[t] < start for t in a.evidence_txn_ids)
    }
    pairs = list(zip(alerts["typology_id"], alerts["subject_account_key"], strict=True))
    # the window before raised half of them: only those are dropped
    raised = set(pairs[::2])
    own = own_alerts(alerts, data, start, raised)
    dropped = set(alerts["alert_id"]) - set(own["alert_id"])
    assert dropped == {
        a.alert_id
        for a, p in zip(alerts.itertuples(index=False), pairs, strict=True)
        if a.alert_id in in_context and p in raised
    }
    assert dropped and len(in_context) > len(dropped)  # both cases occur on the sample
    # what the window scored, not the context it read
    assert set(own["period_start"]) == {start}
    # nothing raised before: nothing dropped
    assert own_alerts(alerts, data, start).alert_id.tolist() == alerts.alert_id.tolist()
    # a window read from its own start keeps everything as it is
    assert own_alerts(alerts, data, data.period_start, set(pairs)).equals(alerts)


def test_month_windows_take_naive_bounds_as_utc() -> None:
    ws = month_windows(pd.Timestamp("2025-01-31 12:00"), pd.Timestamp("2025-03-01"), 1, 30)
    assert [(w.start, w.end, w.context_start) for w in ws] == [
        (ts("2025-01-31 12:00"), ts("2025-02-01"), ts("2025-01-31 12:00")),
        (ts("2025-02-01"), ts("2025-03-01"), ts("2025-01-31 12:00")),
    ]
    # labels are UTC months, whatever zone the bounds came in
    w = month_windows(pd.Timestamp("2025-02-01T00:00+01:00"), ts("2025-03-01"))[0]
    assert w.label == "2025-01"


def test_detect_by_window_reads_one_window_at_a_time_and_names_each_month() -> None:
    loaded: list[tuple[pd.Timestamp, pd.Timestamp]] = []

    def load(lo: pd.Timestamp, hi: pd.Timestamp):
        loaded.append((lo, hi))
        return load_detection_input(SAMPLE, lo, hi)

    windows = month_windows(ts("2025-01-01"), ts("2025-04-03"), lookback_days=30)
    got = list(detect_by_window(load, CATALOG, windows))
    assert loaded == [(w.context_start, w.end) for w in windows]
    assert [w for w, _ in got] == windows
    for w, alerts in got:
        assert isinstance(w, Window)
        # alert ids carry the month the window ends in: each window's alerts are its cases
        assert set(alerts["case_period"]) <= {f"{w.end - pd.Timedelta(microseconds=1):%Y-%m}"}
    assert sum(len(a) for _, a in got) > 0
