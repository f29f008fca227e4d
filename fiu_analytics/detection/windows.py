"""Detection window by window: a store of any size in the memory of one window.

A whole-period run holds the period's transactions and the indicators' working sets at once
(at 11.5M transactions, 1.9 GB of frame and 5.7 GB at the peak). A store larger than the
memory a run may use is scored instead as a sequence of windows, each read from the store on
its own and released before the next, the way monthly runs would have scored it:

- a window owns the calendar months ``[start, end)`` and is read with ``lookback`` days of
  *context* before it (``context_start``), so a pattern that began before the window's first
  day (a pass-through episode, a structuring run, a money path) is seen whole;
- an alert belongs to the window in which some of its evidence falls: an alert whose evidence
  lies entirely in the context was the previous window's to raise, and is dropped
  (:func:`own_alerts`);
- alert ids carry the case period (the month the window ends in, see
  :func:`fiu_analytics.detection.engine.case_period`), so each window's alerts are that
  month's cases, as in the lifecycle of scheduled runs.

Indicators whose windows are longer than the lookback (a 90-day pass-through window with a
30-day lookback) see less history near a window's start than a whole-period run would; the
lookback is a parameter for that reason, and ``docs/benchmarks.md`` compares the alerts of
both ways on the same store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fiu_analytics.indicators.base import DetectionInput


@dataclass(frozen=True)
class Window:
    """Own period ``[start, end)``, read from ``context_start`` (<= ``start``)."""

    start: pd.Timestamp
    end: pd.Timestamp
    context_start: pd.Timestamp

    @property
    def label(self) -> str:
        """``YYYY-MM`` of the window's first month (``YYYY-MM..YYYY-MM`` for several)."""
        last = self.end - pd.Timedelta(microseconds=1)
        first = f"{self.start:%Y-%m}"
        return first if f"{last:%Y-%m}" == first else f"{first}..{last:%Y-%m}"


def month_windows(
    start: pd.Timestamp, end: pd.Timestamp, months: int = 1, lookback_days: int = 30
) -> list[Window]:
    """Windows of ``months`` calendar months (UTC) covering ``[start, end)``: the first
    starts at ``start``, later ones on the first of a month, the last ends at ``end``. Each
    is read from ``lookback_days`` before its start, never before ``start`` (there is
    nothing to look back to: the period read is the one asked for)."""
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    if lookback_days < 0:
        raise ValueError(f"lookback_days must be >= 0, got {lookback_days}")
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end <= start:
        raise ValueError(f"window end {end} is not after start {start}")
    first_month = start.tz_convert("UTC").tz_localize(None).to_period("M")
    out = []
    lo = start
    k = 1
    while lo < end:
        hi = min((first_month + k * months).to_timestamp().tz_localize("UTC"), end)
        out.append(Window(lo, hi, max(start, lo - pd.Timedelta(days=lookback_days))))
        lo = hi
        k += 1
    return out


def own_alerts(alerts: pd.DataFrame, data: DetectionInput, start: pd.Timestamp) -> pd.DataFrame:
    """The alerts of a window read from before ``start`` that are the window's own: those
    with at least one evidence transaction at or after ``start`` (or with no evidence to
    place them). An alert whose evidence lies entirely before ``start`` belongs to the
    previous window."""
    if alerts.empty or pd.Timestamp(start) <= data.period_start:
        return alerts
    tx = data.transactions
    cut = int(tx["timestamp"].searchsorted(pd.Timestamp(start), side="left"))
    if cut == 0:
        return alerts
    cited = {t for ev in alerts["evidence_txn_ids"] for t in ev}
    rows = np.flatnonzero(tx["txn_id"].isin(cited).to_numpy())
    late = set(data.arrays.txn_ids(rows[rows >= cut]))
    keep = [not ev or any(t in late for t in ev) for ev in alerts["evidence_txn_ids"]]
    return alerts[np.asarray(keep, bool)].reset_index(drop=True)


def detect_by_window(
    load: Any,
    typologies: Iterable[Any],
    windows: Iterable[Window],
) -> Iterator[tuple[Window, pd.DataFrame]]:
    """``(window, its own alerts)`` for each window, one window in memory at a time.
    ``load(context_start, end)`` returns the :class:`DetectionInput` of a window (for a store:
    ``lambda lo, hi: load_detection_input(store, lo, hi)``)."""
    from fiu_analytics.detection.engine import detect

    typologies = list(typologies)
    for w in windows:
        data = load(w.context_start, w.end)
        alerts = own_alerts(detect(data, typologies), data, w.start)
        del data
        yield w, alerts
