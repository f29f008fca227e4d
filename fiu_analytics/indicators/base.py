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
import pyarrow as pa

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

    @property
    def arrays(self) -> TransactionArrays:
        """NumPy views of ``transactions`` shared by all indicators (built once per input)."""
        arrays = self.cache.get("arrays")
        if arrays is None or arrays.transactions is not self.transactions:
            arrays = self.cache["arrays"] = TransactionArrays(self)
        return arrays


class TransactionArrays:
    """The period's transactions as NumPy arrays, each built on first use and kept.

    Indicators select rows with these instead of boolean-masking the Arrow-backed frame (which
    copies every column, strings included): ``src`` and ``dst`` (account keys, int64), ``ts``
    (epoch seconds), ``amount`` (base amount, float64), ``codes(name)`` (a string column as
    int32 codes into its distinct values, -1 where missing), ``isin(name, values)`` (a mask
    over those codes) and ``txn_ids(rows)`` (ids of some rows, without converting the column).
    A string column as codes costs 4 bytes a row, against some 60 for a NumPy object array of
    Python strings. The arrays are shared: do not modify them.
    """

    def __init__(self, data: DetectionInput) -> None:
        self._data = data
        self.transactions = data.transactions
        self._arrays: dict[Any, Any] = {}

    def _numeric(self, name: str, dtype: Any) -> np.ndarray:
        if name not in self._arrays:
            a = self.transactions[name].to_numpy(dtype=dtype)
            a.flags.writeable = False
            self._arrays[name] = a
        return self._arrays[name]

    def __len__(self) -> int:
        return len(self.transactions)

    @property
    def src(self) -> np.ndarray:
        return self._numeric("src_account_key", np.int64)

    @property
    def dst(self) -> np.ndarray:
        return self._numeric("dst_account_key", np.int64)

    @property
    def amount(self) -> np.ndarray:
        return self._numeric("amount_base", np.float64)

    @property
    def ts(self) -> np.ndarray:
        return self._data.ts_seconds

    def codes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, values)``: column ``name`` as int32 positions into ``values`` (its
        distinct non-missing values, object array); -1 where the value is missing. A column
        absent from the frame is all missing."""
        key = ("codes", name)
        if key not in self._arrays:
            tx = self.transactions
            if name in tx.columns:
                codes, uniques = pd.factorize(tx[name], use_na_sentinel=True)
                values = np.asarray(uniques, dtype=object)
            else:
                codes, values = np.full(len(tx), -1), np.empty(0, dtype=object)
            codes = codes.astype(np.int32)
            codes.flags.writeable = False
            self._arrays[key] = (codes, values)
        return self._arrays[key]

    def isin(self, name: str, values: Any) -> np.ndarray:
        """Rows whose ``name`` is one of ``values`` (never a missing value); same as
        ``transactions[name].isin(values)`` for values that are not missing."""
        codes, uniques = self.codes(name)
        hit = np.append(pd.Index(uniques).isin(list(values)), False)
        return hit[codes]

    def equals(self, name: str, value: Any) -> np.ndarray:
        """Rows whose ``name`` is ``value``."""
        return self.isin(name, [value])

    def contains(self, name: str, pattern: str) -> np.ndarray:
        """Rows whose ``name`` matches the regular expression ``pattern`` (``re.search``; a
        missing value is matched as the empty string). Each distinct value is matched once."""
        codes, uniques = self.codes(name)
        text = pd.Series([*(str(u) for u in uniques), ""], dtype=object)
        return text.str.contains(pattern).to_numpy(dtype=bool)[codes]

    def notna(self, name: str) -> np.ndarray:
        return self.codes(name)[0] >= 0

    def values_at(self, name: str, rows: Any, missing: Any = None) -> np.ndarray:
        """Column ``name`` at positions ``rows`` as an object array (``missing`` where the
        value is missing)."""
        codes, uniques = self.codes(name)
        ext = np.empty(len(uniques) + 1, dtype=object)
        ext[:-1] = uniques
        ext[-1] = missing
        return ext[codes[np.asarray(rows, dtype=np.int64)]]

    def txn_ids(self, rows: Any) -> list[str]:
        """Transaction ids at positions ``rows``, in the order given."""
        if "txn_id" not in self._arrays:
            self._arrays["txn_id"] = pa.chunked_array([pa.array(self.transactions["txn_id"])])
        r = np.asarray(rows, dtype=np.int64)
        if len(r) == 0:
            return []
        return [str(x) for x in self._arrays["txn_id"].take(r).to_pylist()]


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
        """The indicator's result over ``data``; computed once per input and resolved
        parameters (the engine, the nexus endpoint sets and the shape roles ask for the same
        runs), and handed out as a new frame each time, so a caller changing it changes only
        its own copy. Replacing a table or a reference entry of ``data`` computes anew."""
        resolved = self.resolve(params)
        inputs = _inputs_of(data)
        key = (
            "indicator",
            self.id,
            tuple(sorted(resolved.items())),
            tuple(sorted(map(str, data.reference))),
            tuple(map(id, inputs)),
        )
        hit = data.cache.get(key)
        if hit is None:
            out = self.func(data, **resolved)
            missing = set(RESULT_COLUMNS) - set(out.columns)
            if missing:
                raise TypeError(f"indicator {self.id} returned no {sorted(missing)}")
            out = out[RESULT_COLUMNS + [c for c in OPTIONAL_COLUMNS if c in out.columns]]
            # the entry holds the inputs it was computed from, so that their ids in the key
            # cannot be reused by other objects while it exists
            hit = data.cache[key] = (inputs, out)
        return hit[1].copy(deep=False)


def _inputs_of(data: DetectionInput) -> tuple:
    """The objects an indicator reads: the tables, the period and each reference entry."""
    ref = sorted(data.reference.items(), key=lambda kv: str(kv[0]))
    return (
        data.transactions,
        data.accounts,
        data.parties,
        data.period_start,
        data.period_end,
        *(v for _, v in ref),
    )


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
