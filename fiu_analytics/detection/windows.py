"""Detection window by window: a store of any size in the memory of one window.

A whole-period run holds the period's transactions and the indicators' working sets at once
(at 11.5M transactions, 1.9 GB of frame and 5.7 GB at the peak). A store larger than the
memory a run may use is scored instead as a sequence of windows, each read from the store on
its own and released before the next, the way monthly runs would have scored it:

- a window owns the calendar months ``[start, end)`` and is read with ``lookback`` days of
  *context* before it (``context_start``), so a pattern that began before the window's first
  day (a pass-through episode, a structuring run, a money path) is seen whole;
- an alert whose evidence lies entirely in the context, for a typology and subject the
  window before raised already, is that window's and is dropped; every other alert is kept,
  including those the window before did not raise (a result moves with the data around it,
  so "the window before saw it" is checked, not assumed; :func:`own_alerts`);
- alert ids carry the case period (the month the window ends in, see
  :func:`fiu_analytics.detection.engine.case_period`), so each window's alerts are that
  month's cases, as in the lifecycle of scheduled runs.

Indicators whose windows are longer than the lookback (a 90-day pass-through window with a
30-day lookback) see less history near a window's start than a whole-period run would; the
lookback is a parameter for that reason, and ``docs/benchmarks-out-of-core.md`` compares
the alerts of both ways on the same store.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fiu_analytics.detection.inputs import utc
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
        last = utc(self.end) - pd.Timedelta(microseconds=1)
        first = f"{utc(self.start):%Y-%m}"
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
    start, end = utc(start), utc(end)
    if end <= start:
        raise ValueError(f"window end {end} is not after start {start}")
    first_month = start.tz_localize(None).to_period("M")
    out = []
    lo = start
    k = 1
    while lo < end:
        hi = min((first_month + k * months).to_timestamp().tz_localize("UTC"), end)
        out.append(Window(lo, hi, max(start, lo - pd.Timedelta(days=lookback_days))))
        lo = hi
        k += 1
    return out


def own_alerts(
    alerts: pd.DataFrame,
    data: DetectionInput,
    start: pd.Timestamp,
    raised: Collection[tuple[str, int]] = (),
) -> pd.DataFrame:
    """The alerts of a window read from before ``start`` that are the window's own, with
    ``period_start`` set to ``start`` (the period scored, not the context read).

    An alert is dropped only when the window before raised it already: ``raised`` holds that
    window's (typology id, subject account key) pairs, and all of the alert's evidence lies
    before ``start``. An alert with evidence in the window's own days, with no evidence to
    place it, or that the window before did not raise (results move with the data around
    them) is kept."""
    if alerts.empty:
        return alerts
    start = utc(start)
    out = alerts
    tx = data.transactions
    cut = int(tx["timestamp"].searchsorted(start, side="left"))
    if cut > 0 and len(raised):
        cited = {t for ev in alerts["evidence_txn_ids"] for t in ev}
        ids = tx["txn_id"]
        rows = np.flatnonzero(ids.isin(cited).to_numpy())
        late = set(ids.iloc[rows[rows >= cut]].tolist())
        raised = set(raised)
        keep = [
            not ev or any(t in late for t in ev) or (typ, int(subj)) not in raised
            for typ, subj, ev in zip(
                alerts["typology_id"],
                alerts["subject_account_key"],
                alerts["evidence_txn_ids"],
                strict=True,
            )
        ]
        out = alerts[np.asarray(keep, bool)].reset_index(drop=True)
    return out.assign(period_start=start) if start > data.period_start else out


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
    raised: set[tuple[str, int]] = set()
    for w in windows:
        data = load(w.context_start, w.end)
        alerts = own_alerts(detect(data, typologies), data, w.start, raised)
        del data
        raised = set(
            zip(alerts["typology_id"], alerts["subject_account_key"].astype(int), strict=True)
        )
        yield w, alerts
