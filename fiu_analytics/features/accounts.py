"""Per-account features as of a cutoff: :func:`account_features` and the
:class:`AccountFeatures` transformer.

An account's features at ``as_of`` use only transactions with ``timestamp <= as_of``. Each
transaction is a money movement of the accounts it touches: a transfer (``src != dst``) is an
outflow of the payer and an inflow of the payee; a cash deposit (a self-loop on channel
``cash_deposit``) is an inflow and any other self-loop (cash withdrawal) an outflow. Windowed
features cover ``(as_of - w, as_of]``; profile features (amounts, channels, time of day,
geography, designated exposure) cover the longest window; age covers everything up to ``as_of``.
See docs/features.md for every definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from fiu_analytics import schema
from fiu_analytics.features._common import (
    DAY,
    HOUR,
    check_input_features,
    epoch_seconds,
    parse_windows,
    window_label,
)
from fiu_analytics.indicators._flows import forward_dwell
from fiu_analytics.reference import countries_with

DEFAULT_ACCOUNT_WINDOWS: tuple[str, ...] = ("7D", "30D", "90D")
REPORTING_THRESHOLD = 10_000.0
"""Default reporting threshold T (base currency); near-threshold means ``[0.8 T, T)`` as in the
structuring indicators."""
NEAR_THRESHOLD_FRACTION = 0.8
TIME_OF_DAY = (("night", 0, 6), ("morning", 6, 12), ("afternoon", 12, 18), ("evening", 18, 24))
REQUIRED_COLUMNS = (
    "timestamp",
    "amount_base",
    "channel",
    "src_account_key",
    "dst_account_key",
)


def default_risk_countries() -> list[str]:
    """Countries tagged ``conflict_adjacent`` in the packaged country reference."""
    return countries_with("conflict_adjacent")


def _check_columns(frame: pd.DataFrame, needed: Iterable[str], what: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} lacks column(s) {missing}; expected the transactions table "
            f"({', '.join(schema.TRANSACTIONS.names)})"
        )


def is_round(amount: np.ndarray) -> np.ndarray:
    """Amounts of at least 100 that are whole multiples of 100."""
    a = np.asarray(amount, float)
    return (a >= 100) & (np.abs(a - 100 * np.round(a / 100)) < 1e-6)


def is_near_threshold(
    amount: np.ndarray,
    threshold: float = REPORTING_THRESHOLD,
    fraction: float = NEAR_THRESHOLD_FRACTION,
) -> np.ndarray:
    """Amounts in ``[fraction * threshold, threshold)``: just below a reporting threshold."""
    a = np.asarray(amount, float)
    return (a >= fraction * threshold) & (a < threshold)


def channel_codes(channel: pd.Series | np.ndarray) -> np.ndarray:
    """Channel names as small integer codes (position in :data:`schema.CHANNELS`; -1 unknown).
    Comparing codes instead of strings is what keeps channel features cheap on 1M rows."""
    return pd.Categorical(channel, categories=schema.CHANNELS).codes


def country_flags(country: pd.Series | np.ndarray, risk: set[str]) -> np.ndarray:
    """Whether each country code is in ``risk`` (hash lookup, not an object-array ``isin``)."""
    s = country if isinstance(country, pd.Series) else pd.Series(country)
    return s.isin(sorted(risk)).to_numpy(bool)


def _movements(tx: pd.DataFrame, t: np.ndarray) -> dict[str, np.ndarray]:
    """One entry per (account, movement), sorted by (acct, t): ``acct``, ``other`` (-1 for
    cash), ``t``, ``a``, ``inflow``, ``row`` (position in ``tx``)."""
    src = tx["src_account_key"].to_numpy(np.int64)
    dst = tx["dst_account_key"].to_numpy(np.int64)
    amt = tx["amount_base"].to_numpy(float)
    chan = channel_codes(tx["channel"])
    rows = np.arange(len(tx))
    loop = src == dst
    dep = loop & (chan == schema.CHANNELS.index("cash_deposit"))
    inn = ~loop | dep
    out = ~loop | (loop & ~dep)
    m = {
        "acct": np.r_[dst[inn], src[out]],
        "other": np.r_[np.where(loop, -1, src)[inn], np.where(loop, -1, dst)[out]],
        "t": np.r_[t[inn], t[out]],
        "a": np.r_[amt[inn], amt[out]],
        "inflow": np.r_[np.ones(inn.sum(), bool), np.zeros(out.sum(), bool)],
        "row": np.r_[rows[inn], rows[out]],
    }
    order = np.lexsort((m["t"], m["acct"]))
    return {k: v[order] for k, v in m.items()}


def _per_account(index: pd.Index, values: pd.Series) -> np.ndarray:
    return values.reindex(index, fill_value=0.0).to_numpy(float)


def _distinct(code: np.ndarray, other: np.ndarray, n: int) -> np.ndarray:
    """Distinct ``other`` (ignoring -1, cash) per account code."""
    ok = other >= 0
    pairs = pd.DataFrame({"c": code[ok], "o": other[ok]}).drop_duplicates()
    return np.bincount(pairs["c"].to_numpy(), minlength=n).astype(float)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def account_features(
    transactions: pd.DataFrame,
    as_of: pd.Timestamp | str | None = None,
    *,
    designated_account_keys: Iterable[int] | None = None,
    risk_countries: Iterable[str] | None = None,
    windows: Sequence[str | pd.Timedelta | int] = DEFAULT_ACCOUNT_WINDOWS,
    reporting_threshold: float = REPORTING_THRESHOLD,
    edge_features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Features of every account seen up to ``as_of``, one row per account.

    Only transactions with ``timestamp <= as_of`` are read (``as_of`` defaults to the latest
    timestamp). ``edge_features``: optional output of :class:`EdgeFeatures` for (a superset of)
    the same transactions, same index; its cycle and scatter-gather columns are aggregated over
    each account's incident edges in the longest window (max cycles, summed scatter-gather).

    Returns a frame indexed by ``account_key`` (int64) with float64 columns; the column list
    depends only on the parameters (see :func:`account_feature_names`).

    Example::

        >>> feats = account_features(tx, pd.Timestamp("2026-03-31", tz="UTC"),
        ...                          designated_account_keys=[17, 42])
        >>> feats.loc[17, "in_count_30d"]
    """
    _check_columns(transactions, REQUIRED_COLUMNS, "transactions")
    wins = parse_windows(windows, "windows")
    if not reporting_threshold > 0:
        raise ValueError(
            f"parameter 'reporting_threshold' must be > 0; got {reporting_threshold!r}"
        )
    risk = set(default_risk_countries() if risk_countries is None else risk_countries)
    desig = np.unique(np.fromiter((int(k) for k in (designated_account_keys or [])), np.int64))
    names = account_feature_names(windows, edge_features is not None)
    t_all = epoch_seconds(transactions["timestamp"])
    if as_of is None:
        cut = int(t_all.max()) if len(t_all) else 0
    else:
        cut = int(epoch_seconds([pd.Timestamp(as_of)])[0])
    keep = t_all <= cut
    tx = transactions.loc[keep] if not keep.all() else transactions
    t = t_all[keep]
    if len(tx) == 0:
        return pd.DataFrame(
            np.zeros((0, len(names))),
            columns=names,
            index=pd.Index(np.zeros(0, np.int64), name="account_key"),
        )
    m = _movements(tx, t)
    keys, code = np.unique(m["acct"], return_inverse=True)
    n = len(keys)
    acct_index = pd.Index(keys, name="account_key")
    cols: dict[str, np.ndarray] = {}
    longest = max(wins)

    def per(weights: np.ndarray | None, sel: np.ndarray) -> np.ndarray:
        w = None if weights is None else weights[sel]
        return np.bincount(code[sel], w, minlength=n).astype(float)

    # windowed in/out counts, sums, distinct counterparties, pass-through
    for w in sorted(wins):
        lab = window_label(w)
        inw = m["t"] > cut - w
        for side, flag in (("in", True), ("out", False)):
            sel = inw & (m["inflow"] == flag)
            cols[f"{side}_count_{lab}"] = per(None, sel)
            cols[f"{side}_sum_{lab}"] = per(m["a"], sel)
            cols[f"{side}_distinct_{lab}"] = _distinct(code[sel], m["other"][sel], n)
        i, o = cols[f"in_sum_{lab}"], cols[f"out_sum_{lab}"]
        cols[f"pass_through_{lab}"] = _ratio(np.minimum(i, o), np.maximum(i, o))

    lw = m["t"] > cut - longest
    ml = {k: v[lw] for k, v in m.items()}
    cl = code[lw]
    cnt = np.bincount(cl, minlength=n).astype(float)
    amt = ml["a"]

    def share(flag: np.ndarray) -> np.ndarray:
        return _ratio(np.bincount(cl[flag], minlength=n).astype(float), cnt)

    # dwell: hours until 90% of each inflow has left (never, within the window: its length)
    in_rows, dwell = forward_dwell(ml["acct"], ml["t"], amt, ml["inflow"])
    dwell_h = np.where(dwell >= 0, dwell / HOUR, longest / HOUR)
    dcode = cl[in_rows]
    med = pd.Series(dwell_h).groupby(dcode).median()
    cols["dwell_median_hours"] = med.reindex(np.arange(n), fill_value=0.0).to_numpy(float)
    n_in = np.bincount(dcode, minlength=n).astype(float)
    cols["dwell_share_24h"] = _ratio(np.bincount(dcode[dwell_h <= 24], minlength=n), n_in)

    # amount profile
    s1 = np.bincount(cl, amt, minlength=n)
    s2 = np.bincount(cl, amt * amt, minlength=n)
    mean = _ratio(s1, cnt)
    cols["amount_mean"] = mean
    cols["amount_std"] = np.sqrt(np.maximum(_ratio(s2, cnt) - mean * mean, 0.0))
    g = pd.Series(amt).groupby(cl)
    cols["amount_median"] = g.median().reindex(np.arange(n), fill_value=0.0).to_numpy(float)
    cols["amount_max"] = g.max().reindex(np.arange(n), fill_value=0.0).to_numpy(float)
    cols["log_amount_mean"] = _ratio(np.bincount(cl, np.log1p(amt), minlength=n), cnt)
    cols["round_share"] = share(is_round(amt))
    cols["near_threshold_share"] = share(is_near_threshold(amt, reporting_threshold))

    # channel mix (share of movements)
    chan = channel_codes(tx["channel"])[ml["row"]]
    for i_c, c in enumerate(schema.CHANNELS):
        cols[f"channel_{c}_share"] = share(chan == i_c)

    # time-of-day profile (UTC hours) and weekend share
    hour = (ml["t"] % DAY) // HOUR
    for name, h0, h1 in TIME_OF_DAY:
        cols[f"tod_{name}_share"] = share((hour >= h0) & (hour < h1))
    weekday = ((ml["t"] // DAY) + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    cols["weekend_share"] = share(weekday >= 5)

    # geography: share of inflow amount from, and of outflow amount to, risk-tagged countries
    for side, flag, col in (("in", True, "src_country"), ("out", False, "dst_country")):
        sel = ml["inflow"] == flag
        tot = np.bincount(cl[sel], amt[sel], minlength=n)
        if col not in tx.columns:
            cols[f"risk_country_{side}_share"] = np.zeros(n)
            continue
        hit = sel & country_flags(tx[col], risk)[ml["row"]]
        cols[f"risk_country_{side}_share"] = _ratio(
            np.bincount(cl[hit], amt[hit], minlength=n), tot
        )

    # designated exposure: the account itself, one hop (direct dealings), two hops (dealing with
    # a counterparty that dealt directly with a designated account), all in the longest window
    other = ml["other"]
    cols["is_designated"] = np.isin(keys, desig).astype(float)
    hop1 = (other >= 0) & np.isin(other, desig)
    cols["designated_1hop_count"] = np.bincount(cl[hop1], minlength=n).astype(float)
    cols["designated_1hop_amount"] = np.bincount(cl[hop1], amt[hop1], minlength=n)
    exposed = np.unique(ml["acct"][hop1])
    exposed = exposed[~np.isin(exposed, desig)]
    hop2 = (other >= 0) & np.isin(other, exposed) & ~hop1
    cols["designated_2hop_counterparties"] = _distinct(cl[hop2], other[hop2], n)

    # age: since first seen (any transaction up to as_of), and since last seen
    starts = np.r_[0, np.flatnonzero(np.diff(code)) + 1]  # code is sorted (m sorted by acct)
    ends = np.r_[starts[1:], len(code)] - 1
    first, last = m["t"][starts], m["t"][ends]
    cols["age_days"] = (cut - first) / DAY
    cols["days_since_last"] = (cut - last) / DAY

    if edge_features is not None:
        cols.update(_edge_aggregates(tx, t, edge_features, acct_index, cut - longest))

    return pd.DataFrame({k: np.asarray(cols[k], float) for k in names}, index=acct_index)


EDGE_AGGREGATES = (
    ("cycles_max", "cycles_total", "max"),
    ("cycles_sum", "cycles_total", "sum"),
    ("scatter_gather_max", "scatter_gather_max", "max"),
    ("scatter_gather_sum", "scatter_gather_sources", "sum"),
    ("gather_scatter_max", "gather_scatter", "max"),
)
"""(account column, EdgeFeatures column, aggregation over the account's incident edges)."""


def _edge_aggregates(
    tx: pd.DataFrame,
    t: np.ndarray,
    edge_features: pd.DataFrame,
    acct_index: pd.Index,
    lo: int,
) -> dict[str, np.ndarray]:
    feats = edge_features.reindex(tx.index)
    sel = t > lo
    src = tx["src_account_key"].to_numpy(np.int64)[sel]
    dst = tx["dst_account_key"].to_numpy(np.int64)[sel]
    loop = src == dst
    out: dict[str, np.ndarray] = {}
    for name, col, how in EDGE_AGGREGATES:
        if col not in feats.columns:
            raise ValueError(f"edge_features lacks column '{col}'; pass the output of EdgeFeatures")
        v = feats[col].to_numpy(float)[sel]
        v = np.where(np.isnan(v), 0.0, v)
        acct = np.r_[src, dst[~loop]]
        vals = np.r_[v, v[~loop]]
        s = pd.Series(vals).groupby(acct)
        out[name] = _per_account(acct_index, s.max() if how == "max" else s.sum())
    return out


def account_feature_names(
    windows: Sequence[object] = DEFAULT_ACCOUNT_WINDOWS, with_edge_aggregates: bool = False
) -> list[str]:
    """The columns :func:`account_features` returns for these parameters, in order."""
    wins = parse_windows(windows, "windows")
    names: list[str] = []
    for w in sorted(wins):
        lab = window_label(w)
        for side in ("in", "out"):
            names += [f"{side}_count_{lab}", f"{side}_sum_{lab}", f"{side}_distinct_{lab}"]
        names.append(f"pass_through_{lab}")
    names += ["dwell_median_hours", "dwell_share_24h"]
    names += [
        "amount_mean",
        "amount_std",
        "amount_median",
        "amount_max",
        "log_amount_mean",
        "round_share",
        "near_threshold_share",
    ]
    names += [f"channel_{c}_share" for c in schema.CHANNELS]
    names += [f"tod_{n}_share" for n, _, _ in TIME_OF_DAY] + ["weekend_share"]
    names += ["risk_country_in_share", "risk_country_out_share"]
    names += [
        "is_designated",
        "designated_1hop_count",
        "designated_1hop_amount",
        "designated_2hop_counterparties",
    ]
    names += ["age_days", "days_since_last"]
    if with_edge_aggregates:
        names += [n for n, _, _ in EDGE_AGGREGATES]
    return names


SUBJECT_COLUMNS: tuple[str, ...] = ("account_key", "as_of")
"""Columns of the subjects X of :class:`AccountFeatures` (for a numeric array: the account key,
then ``as_of`` in epoch seconds)."""


class AccountFeatures(TransformerMixin, BaseEstimator):
    """:func:`account_features` as a transformer: one output row per subject row.

    X holds subjects, an ``account_key`` and an ``as_of`` time (a frame with those columns, or a
    numeric array in that order with epoch seconds). The ledger (a transactions frame) is given
    to ``fit(X, ledger=...)`` (in a Pipeline: ``pipe.fit(X, y, accounts__ledger=tx)``) and kept
    as ``ledger_``; :meth:`set_ledger` replaces it to score a later period without refitting
    what follows in the Pipeline. Each subject's features use only ledger rows with
    ``timestamp <= as_of``; an account absent from the ledger gets zeros.

    Example::

        >>> subjects = pd.DataFrame({"account_key": [17, 42], "as_of": [cut, cut]})
        >>> AccountFeatures().fit(subjects, ledger=tx).transform(subjects)
    """

    def __init__(
        self,
        windows: Sequence[str | pd.Timedelta | int] = DEFAULT_ACCOUNT_WINDOWS,
        designated_account_keys: Iterable[int] | None = None,
        risk_countries: Iterable[str] | None = None,
        reporting_threshold: float = REPORTING_THRESHOLD,
    ) -> None:
        self.windows = windows
        self.designated_account_keys = designated_account_keys
        self.risk_countries = risk_countries
        self.reporting_threshold = reporting_threshold

    def _subjects(self, X: object, reset: bool) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        if isinstance(X, pd.DataFrame) and all(c in X.columns for c in SUBJECT_COLUMNS):
            if reset:
                self.n_features_in_ = X.shape[1]
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            if X["account_key"].isna().any() or X["as_of"].isna().any():
                raise ValueError("X columns 'account_key' and 'as_of' must not be missing")
            keys = X["account_key"].to_numpy(np.int64)
            return keys, epoch_seconds(X["as_of"]), X.index
        arr = validate_data(self, X, reset=reset, dtype=np.float64)
        if arr.shape[1] < 2:
            raise ValueError(
                f"X has {arr.shape[1]} feature(s); AccountFeatures needs subjects with columns "
                f"{list(SUBJECT_COLUMNS)} (a frame, or an array in that order)"
            )
        return (
            np.floor(arr[:, 0]).astype(np.int64),
            np.floor(arr[:, 1]).astype(np.int64),
            (pd.RangeIndex(len(arr))),
        )

    def fit(
        self, X: object, y: object = None, ledger: pd.DataFrame | None = None
    ) -> AccountFeatures:
        """Check the parameters and subjects; keep ``ledger`` (None: an empty ledger)."""
        parse_windows(self.windows, "windows")
        if not (
            isinstance(self.reporting_threshold, (int, float)) and self.reporting_threshold > 0
        ):
            raise ValueError(
                f"parameter 'reporting_threshold' must be a number > 0; "
                f"got {self.reporting_threshold!r}"
            )
        self._subjects(X, reset=True)
        self.set_ledger(ledger)
        return self

    def set_ledger(self, ledger: pd.DataFrame | None) -> AccountFeatures:
        """Replace the ledger the features are computed from (e.g. a later period)."""
        if ledger is None:
            ledger = schema.empty(schema.TRANSACTIONS)
        _check_columns(ledger, REQUIRED_COLUMNS, "ledger")
        keep = [c for c in (*REQUIRED_COLUMNS, "src_country", "dst_country") if c in ledger]
        self.ledger_ = ledger[keep]
        return self

    def transform(self, X: object) -> pd.DataFrame:
        """Features of each subject as of its own ``as_of`` (one computation per distinct
        ``as_of``)."""
        check_is_fitted(self, "ledger_")
        keys, as_of, index = self._subjects(X, reset=False)
        names = self.get_feature_names_out()
        out = np.zeros((len(keys), len(names)))
        for cut in np.unique(as_of):
            rows = np.flatnonzero(as_of == cut)
            feats = account_features(
                self.ledger_,
                pd.Timestamp(int(cut), unit="s", tz="UTC"),
                designated_account_keys=self.designated_account_keys,
                risk_countries=self.risk_countries,
                windows=self.windows,
                reporting_threshold=self.reporting_threshold,
            )
            if len(feats):
                pos = feats.index.get_indexer(keys[rows])
                hit = pos >= 0
                out[rows[hit]] = feats.to_numpy()[pos[hit]]
        return pd.DataFrame(out, index=index, columns=list(names))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Output column names; they depend only on the parameters."""
        check_input_features(self, input_features)
        return np.asarray(account_feature_names(self.windows), dtype=object)

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
