"""The indicator contract and registry.

An indicator is a pure, vectorised function ``f(data: DetectionInput, **params) -> DataFrame``
returning one row per subject it has something to say about, with the columns of
:data:`RESULT_COLUMNS`: ``account_key``, ``value`` (the measured quantity), ``score`` in [0, 1],
``reason`` (one line an analyst can read) and ``evidence_txn_ids`` (list of transaction ids).
Subjects with nothing to report are simply absent (score 0).

Indicators are registered with :func:`indicator`, which also declares their parameters with
defaults and allowed ranges, so that typology files can be checked before they run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fiu_analytics.errors import TypologyError

RESULT_COLUMNS = ["account_key", "value", "score", "reason", "evidence_txn_ids"]
OPTIONAL_COLUMNS = ["path"]
"""``path``: for nexus indicators, the money path as one readable line (see
:func:`fiu_analytics.nexus.describe_path`); it is carried into the alert."""


@dataclass(frozen=True)
class Param:
    """A declared indicator parameter: default, type and optional bounds."""

    default: Any
    type: type
    min: float | None = None
    max: float | None = None
    help: str = ""

    def check(self, indicator: str, name: str, value: Any, where: str) -> Any:
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.type) or isinstance(value, bool) != (self.type is bool):
            raise TypologyError(
                f"{where}: indicator {indicator} parameter '{name}' got "
                f"{value!r}; expected {self.type.__name__}"
            )
        if self.min is not None and value < self.min:
            raise TypologyError(
                f"{where}: indicator {indicator} parameter '{name}' got "
                f"{value!r}; expected >= {self.min}"
            )
        if self.max is not None and value > self.max:
            raise TypologyError(
                f"{where}: indicator {indicator} parameter '{name}' got "
                f"{value!r}; expected <= {self.max}"
            )
        return value


@dataclass
class DetectionInput:
    """What indicators read: the period's transactions plus reference tables.

    ``transactions`` must be sorted by timestamp; ``accounts`` and ``parties`` are the store's
    tables. ``reference`` holds country risk tags and other lists (parameters, not code).
    """

    transactions: pd.DataFrame
    accounts: pd.DataFrame
    parties: pd.DataFrame
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    reference: Mapping[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def ts_seconds(self) -> np.ndarray:
        """Transaction times as int64 seconds since the epoch (cached)."""
        if "ts_s" not in self.cache:
            self.cache["ts_s"] = (
                self.transactions["timestamp"].to_numpy(dtype="datetime64[s]").astype(np.int64)
            )
        return self.cache["ts_s"]


IndicatorFunc = Callable[..., pd.DataFrame]


@dataclass(frozen=True)
class IndicatorSpec:
    id: str
    title: str
    func: IndicatorFunc
    params: Mapping[str, Param]

    def resolve(self, params: Mapping[str, Any] | None, where: str = "parameters") -> dict:
        """Defaults overlaid with ``params``, each checked; unknown names are an error."""
        params = dict(params or {})
        unknown = set(params) - set(self.params)
        if unknown:
            raise TypologyError(
                f"{where}: indicator {self.id} has no parameter(s) "
                f"{sorted(unknown)}; expected some of {sorted(self.params)}"
            )
        return {
            k: p.check(self.id, k, params.get(k, p.default), where) for k, p in self.params.items()
        }

    def __call__(self, data: DetectionInput, **params: Any) -> pd.DataFrame:
        out = self.func(data, **self.resolve(params))
        missing = set(RESULT_COLUMNS) - set(out.columns)
        if missing:
            raise TypeError(f"indicator {self.id} returned no {sorted(missing)}")
        return out[RESULT_COLUMNS + [c for c in OPTIONAL_COLUMNS if c in out.columns]]


INDICATORS: dict[str, IndicatorSpec] = {}


def indicator(id: str, title: str, **params: Param) -> Callable[[IndicatorFunc], IndicatorSpec]:
    """Register an indicator function under ``id`` (an id from indicators.yaml or a shape)."""

    def deco(func: IndicatorFunc) -> IndicatorSpec:
        if id in INDICATORS:
            raise ValueError(f"indicator {id} registered twice")
        spec = IndicatorSpec(id, title, func, params)
        INDICATORS[id] = spec
        return spec

    return deco


def get_indicator(id: str) -> IndicatorSpec:
    try:
        return INDICATORS[id]
    except KeyError:
        raise TypologyError(f"unknown indicator '{id}'; known: {sorted(INDICATORS)}") from None


def empty_result() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_key": pd.Series(dtype="int64"),
            "value": pd.Series(dtype="float64"),
            "score": pd.Series(dtype="float64"),
            "reason": pd.Series(dtype="object"),
            "evidence_txn_ids": pd.Series(dtype="object"),
        }
    )


def ramp(value: np.ndarray | pd.Series, low: float, high: float) -> np.ndarray:
    """Score that is 0 below ``low``, 0.5 at ``low`` and 1 at ``high`` or more (linear)."""
    v = np.asarray(value, dtype=float)
    span = max(high - low, 1e-9)
    return np.where(v < low, 0.0, np.clip(0.5 + 0.5 * (v - low) / span, 0.5, 1.0))


def window_counts(
    group: np.ndarray, ts: np.ndarray, window_s: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trailing-window counts and sums per row, for rows sorted by (group, ts).

    For each row i returns the index of the first row of the same group within
    ``(ts[i] - window_s, ts[i]]``, the count of rows in that window and the sum of ``weights``.
    Sorting plus ``searchsorted`` on cumulative sums: linear after the sort, no Python loop.
    """
    if len(ts) == 0:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0)
    t0 = int(ts.min())
    span = int(ts.max()) - t0 + window_s + 1
    key = group.astype(np.int64) * span + (ts.astype(np.int64) - t0)
    left = np.searchsorted(key, key - window_s + 1, side="left")
    idx = np.arange(len(ts))
    count = idx - left + 1
    w = np.ones(len(ts)) if weights is None else np.asarray(weights, float)
    csum = np.concatenate([[0.0], np.cumsum(w)])
    total = csum[idx + 1] - csum[left]
    return left, count, total
