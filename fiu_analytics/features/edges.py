"""Per-transaction (edge) features: :class:`EdgeFeatures`, a scikit-learn transformer.

No look-ahead: the features of a row at time ``t`` are computed from the transactions with
``timestamp <= t`` only, among the fitted history and the rows of X. Ties are simultaneous: every
transaction in the same second as the row (the row itself included) is in its windows, so the
result never depends on row order. Graph patterns are stricter: a temporal cycle or
scatter-gather closed by the row uses other transfers strictly before it (the row is the last
hop). Timestamps are floored to the second.

Counts, sums and distinct counterparties run over *transfers*, transactions between two
different accounts; cash deposits and withdrawals are self-loops (src = dst) and show in the
row's own channel and amount features, in each endpoint's cash columns (``e_cash_in_*``,
``e_cash_out_*``) and in :func:`account_features`, not in graph counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from fiu_analytics import schema
from fiu_analytics.features import _patterns
from fiu_analytics.features._common import (
    DAY,
    HOUR,
    SortedEvents,
    check_input_features,
    group_keys,
    parse_window,
    parse_windows,
    window_label,
)
from fiu_analytics.features._extremes import window_extremes
from fiu_analytics.features._ledger import (
    ARRAY_COLUMNS,
    Batch,
    batch_from_array,
    batch_from_frame,
    is_ledger_frame,
)
from fiu_analytics.features.accounts import (
    REPORTING_THRESHOLD,
    channel_codes,
    country_flags,
    default_risk_countries,
    is_near_threshold,
    is_round,
)

DEFAULT_EDGE_WINDOWS: tuple[str, ...] = ("1D", "7D", "21D", "30D")

# log-amounts are centred on this constant before their power sums are accumulated, which keeps
# the running sums small (the variance is a difference of two of them); any constant gives the
# same moments, this one (log of about 1,100) is near typical transfers
_LOG_CENTRE = 7.0
# below this variance of log-amounts (a spread of about 1 %) the amounts are taken as equal:
# standard deviation and skewness are 0 rather than rounding noise
_MIN_LOG_VAR = 1e-4


class _Distinct:
    """Distinct counterparties of each group in a trailing window, for many windows: the
    (group, other, time) sort is done once, only the interval ends depend on the window."""

    def __init__(self, group: np.ndarray, other: np.ndarray, t: np.ndarray, t0: int, span: int):
        order = np.lexsort((t, other, group))
        self.g, self.te = group[order], t[order].astype(np.int64)
        o = other[order]
        same = np.r_[(self.g[1:] == self.g[:-1]) & (o[1:] == o[:-1]), False]
        self.tn = np.where(same, np.r_[self.te[1:], 0], np.iinfo(np.int64).max // 4)
        self.t0, self.span = t0, span
        self.starts = np.sort(group_keys(self.g, self.te, t0, span))
        self._ends: dict[int, np.ndarray] = {}

    def count(self, q_group: np.ndarray, q_t: np.ndarray, window: int) -> np.ndarray:
        if window not in self._ends:
            end = np.minimum(self.tn, self.te + window)
            self._ends[window] = np.sort(group_keys(self.g, end, self.t0, self.span))
        q = group_keys(q_group, q_t, self.t0, self.span)
        return np.searchsorted(self.starts, q, "right") - np.searchsorted(
            self._ends[window], q, "right"
        )


class EdgeFeatures(TransformerMixin, BaseEstimator):
    """Graph and profile features of each transaction, using only the past (no look-ahead).

    X is a transactions frame (columns of ``schema.TRANSACTIONS``; ``timestamp``,
    ``src_account_key``, ``dst_account_key`` and ``amount_base`` required; ``txn_id``,
    ``channel``, ``src_country``, ``dst_country`` used when present) or a numeric array with
    columns ``timestamp`` (epoch seconds), ``src_account_key``, ``dst_account_key``,
    ``amount_base``. ``fit`` keeps the last ``horizon`` of transactions (``history_``) and each
    account's first-seen time, so that ``transform`` on a later period sees earlier history;
    a transaction present in both (same ``txn_id``) counts once. ``transform`` returns a frame
    with X's index and the columns of :meth:`get_feature_names_out`.

    Parameters
    ----------
    windows : trailing windows of the per-endpoint counts, sums and distinct counterparties.
    amount_window : trailing window of the per-endpoint amount statistics (mean, minimum and
        maximum of the amounts, standard deviation and skewness of their logarithms), in and
        out, for both endpoints; also of the transfers per distinct counterparty and of the
        endpoints' cash (count and sum of cash deposits and of cash withdrawals).
    cycle_window : a temporal cycle closes within this (first hop after ``t - cycle_window``).
    max_cycle_length : longest ring counted (2 to 10 hops).
    scatter_gather_window : window of scatter-gather and gather-scatter.
    scatter_gather_ordered : each intermediary pays on only after it was paid (money flow);
        False counts the static pattern in the window, as snapml's GraphFeaturePreprocessor.
    hub_degree : an account with more transfers out than this inside the pattern window is not
        walked through (employers, payment hubs); rows where it mattered get ``pattern_capped``.
    max_cycle_steps : a cycle search per row stops after this many path extensions.
    patterns : compute cycles and scatter-gather (the costly part); False leaves them 0.
    reporting_threshold : near-threshold means ``[0.8 T, T)``.
    risk_countries : country codes counted as risk-tagged (default: ``conflict_adjacent``).
    designated_account_keys : accounts of designated parties.
    n_jobs : threads of the pattern kernels (None: all cores).

    Example::

        >>> ef = EdgeFeatures(windows=("1D", "7D")).fit(january)
        >>> feats = ef.transform(february)     # February rows see January's last 30 days
        >>> feats.loc[:, ["dst_in_distinct_1d", "cycles_total"]]
    """

    def __init__(
        self,
        windows: Sequence[str | pd.Timedelta | int] = DEFAULT_EDGE_WINDOWS,
        amount_window: str | pd.Timedelta | int = "21D",
        cycle_window: str | pd.Timedelta | int = "21D",
        max_cycle_length: int = 6,
        scatter_gather_window: str | pd.Timedelta | int = "5D",
        scatter_gather_ordered: bool = True,
        hub_degree: int = 500,
        max_cycle_steps: int = 100_000,
        patterns: bool = True,
        reporting_threshold: float = REPORTING_THRESHOLD,
        risk_countries: Iterable[str] | None = None,
        designated_account_keys: Iterable[int] | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.windows = windows
        self.amount_window = amount_window
        self.cycle_window = cycle_window
        self.max_cycle_length = max_cycle_length
        self.scatter_gather_window = scatter_gather_window
        self.scatter_gather_ordered = scatter_gather_ordered
        self.hub_degree = hub_degree
        self.max_cycle_steps = max_cycle_steps
        self.patterns = patterns
        self.reporting_threshold = reporting_threshold
        self.risk_countries = risk_countries
        self.designated_account_keys = designated_account_keys
        self.n_jobs = n_jobs

    # -- parameters -----------------------------------------------------------------------
    def _params(self) -> dict:
        wins = sorted(parse_windows(self.windows, "windows"))
        aw = parse_window(self.amount_window, "amount_window")
        cw = parse_window(self.cycle_window, "cycle_window")
        sgw = parse_window(self.scatter_gather_window, "scatter_gather_window")
        ml = self.max_cycle_length
        if not isinstance(ml, (int, np.integer)) or isinstance(ml, bool) or not 2 <= ml <= 10:
            raise ValueError(
                f"parameter 'max_cycle_length' must be an integer from 2 to 10; got {ml!r}"
            )
        for name in ("hub_degree", "max_cycle_steps"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"parameter '{name}' must be an integer >= 1; got {v!r}")
        if not (
            isinstance(self.reporting_threshold, (int, float)) and self.reporting_threshold > 0
        ):
            raise ValueError(
                f"parameter 'reporting_threshold' must be a number > 0; "
                f"got {self.reporting_threshold!r}"
            )
        if self.n_jobs is not None and (
            not isinstance(self.n_jobs, (int, np.integer)) or self.n_jobs < 1
        ):
            raise ValueError(
                f"parameter 'n_jobs' must be None or an integer >= 1; got {self.n_jobs!r}"
            )
        return {
            "windows": wins,
            "amount_window": aw,
            "cycle_window": cw,
            "sg_window": sgw,
            "max_len": int(ml),
            "horizon": max([*wins, aw, cw, sgw]),
        }

    # -- input ----------------------------------------------------------------------------
    def _read(self, X: object, reset: bool) -> tuple[Batch, pd.DataFrame | None]:
        if is_ledger_frame(X):
            frame = X  # type: ignore[assignment]
            batch = batch_from_frame(frame)
            if reset:
                self.n_features_in_ = frame.shape[1]
                self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
            return batch, frame
        arr = validate_data(self, X, reset=reset, dtype=np.float64, ensure_min_samples=1)
        if arr.shape[1] < 2:
            raise ValueError(
                f"X has {arr.shape[1]} feature(s); EdgeFeatures needs a transactions frame or "
                f"an array with columns {list(ARRAY_COLUMNS)} (at least the first two)"
            )
        return batch_from_array(arr), None

    def _trim(self, batch: Batch, horizon: int) -> Batch:
        if len(batch) == 0:
            return batch
        return batch.take(batch.t > batch.t.max() - horizon)

    def _remember(self, batch: Batch, horizon: int, previous: Batch | None) -> None:
        hist = (
            batch
            if previous is None
            else Batch.concat(previous.take(~np.isin(previous.key, batch.key)), batch)
        )
        self.history_ = self._trim(hist, horizon)
        keys = np.r_[batch.src, batch.dst]
        times = np.r_[batch.t, batch.t]
        if previous is not None and len(self.first_seen_keys_):
            keys = np.r_[keys, self.first_seen_keys_]
            times = np.r_[times, self.first_seen_t_]
        order = np.lexsort((times, keys))
        keys, times = keys[order], times[order]
        first = np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, bool)
        self.first_seen_keys_ = keys[first]
        self.first_seen_t_ = times[first]

    # -- estimator API --------------------------------------------------------------------
    def fit(self, X: object, y: object = None) -> EdgeFeatures:
        """Validate the parameters and keep the last ``horizon`` of X as history."""
        p = self._params()
        batch, _ = self._read(X, reset=True)
        self.horizon_ = p["horizon"]
        self.first_seen_keys_ = np.zeros(0, np.int64)
        self._remember(batch, p["horizon"], None)
        return self

    def partial_fit(self, X: object, y: object = None) -> EdgeFeatures:
        """Add X to the history (a streaming update: score a period, then append it)."""
        if not hasattr(self, "history_"):
            return self.fit(X, y)
        p = self._params()
        batch, _ = self._read(X, reset=False)
        self._remember(batch, p["horizon"], self.history_)
        return self

    def fit_transform(self, X: object, y: object = None, **fit_params: object) -> pd.DataFrame:
        """Features of X from X alone (equal to ``fit(X).transform(X)``), then fit."""
        p = self._params()
        batch, frame = self._read(X, reset=True)
        out = self._features(batch, frame, Batch.empty(), None, p, X)
        self.horizon_ = p["horizon"]
        self.first_seen_keys_ = np.zeros(0, np.int64)
        self._remember(batch, p["horizon"], None)
        return out

    def transform(self, X: object) -> pd.DataFrame:
        """Features of every row of X, each from the transactions at or before its time."""
        check_is_fitted(self, "history_")
        p = self._params()
        batch, frame = self._read(X, reset=False)
        hist = self.history_
        if len(hist):
            hist = hist.take(~np.isin(hist.key, batch.key))
        first = (self.first_seen_keys_, self.first_seen_t_)
        return self._features(batch, frame, hist, first, p, X)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Output column names; they depend only on the parameters."""
        check_input_features(self, input_features)
        return np.asarray(edge_feature_names(self._params()), dtype=object)

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # -- the features ---------------------------------------------------------------------
    def _features(
        self,
        x: Batch,
        frame: pd.DataFrame | None,
        hist: Batch,
        first_seen: tuple[np.ndarray, np.ndarray] | None,
        p: dict,
        X: object,
    ) -> pd.DataFrame:
        names = edge_feature_names(p)
        col = {n: i for i, n in enumerate(names)}
        nq = len(x)
        out = np.zeros((nq, len(names)), order="F")  # column writes, no copy into pandas
        index = (
            frame.index
            if frame is not None
            else (X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(nq))
        )
        if nq == 0:
            return pd.DataFrame(out, index=index, columns=names, copy=False)
        g = Batch.concat(hist, x) if len(hist) else x
        nh = len(hist)
        keys, inv = np.unique(np.r_[g.src, g.dst], return_inverse=True)
        n_acc = len(keys)
        sc, dc = inv[: len(g)], inv[len(g) :]
        qs, qd, qt = sc[nh:], dc[nh:], x.t
        transfer = sc != dc
        es, ed, et, ea = sc[transfer], dc[transfer], g.t[transfer], g.amount[transfer]
        horizon = p["horizon"]
        t0 = int(g.t.min()) - horizon - 2
        span = int(g.t.max()) - t0 + horizon + 4

        # windowed counts, sums, distinct counterparties of both endpoints
        ev = {"out": SortedEvents(es, et, t0, span, ea), "in": SortedEvents(ed, et, t0, span, ea)}
        dist = {"out": _Distinct(es, ed, et, t0, span), "in": _Distinct(ed, es, et, t0, span)}
        moments = {side: _Moments(e, ea) for side, e in ev.items()}
        # cash: self-loops, deposits in and every other self-loop (withdrawals) out
        loop = ~transfer
        lt, ls, la, ldep = g.t[loop], sc[loop], g.amount[loop], g.deposit[loop]
        cash = {
            side: SortedEvents(ls[m], lt[m], t0, span, la[m])
            for side, m in (("in", ldep), ("out", ~ldep))
        }
        his: dict[tuple[str, str], np.ndarray] = {}
        for end_name, q_raw in (("src", qs), ("dst", qd)):
            # queries sorted by (account, time): searchsorted then walks the keys forward
            # instead of jumping around memory (several times faster on 1M rows)
            qo = np.argsort(group_keys(q_raw, qt, t0, span), kind="stable")
            q, tq = q_raw[qo], qt[qo]
            rows: dict[str, np.ndarray] = {}
            aw = p["amount_window"]
            lab_a = window_label(aw)
            for side in ("in", "out"):
                e = ev[side]
                hi = e.upto(q, tq)
                his[(end_name, side)] = np.empty_like(hi)
                his[(end_name, side)][qo] = hi
                for w in p["windows"]:
                    lab = window_label(w)
                    lo = e.upto(q, tq - w)
                    rows[f"{end_name}_{side}_count_{lab}"] = hi - lo
                    rows[f"{end_name}_{side}_sum_{lab}"] = e.cw[hi] - e.cw[lo]
                    rows[f"{end_name}_{side}_distinct_{lab}"] = dist[side].count(q, tq, w)
                # transfers per distinct counterparty over the amount window (the window's
                # count and distinct columns when it is one of ``windows``)
                if aw in p["windows"]:
                    n_a = rows[f"{end_name}_{side}_count_{lab_a}"]
                    d_a = rows[f"{end_name}_{side}_distinct_{lab_a}"]
                else:
                    n_a, d_a = hi - e.upto(q, tq - aw), dist[side].count(q, tq, aw)
                rows[f"{end_name}_{side}_per_counterparty_{lab_a}"] = np.divide(
                    n_a.astype(float), d_a, out=np.zeros(len(q)), where=d_a > 0
                )
            rows.update(_amount_stats(ev, moments, q, tq, aw, end_name))
            for side, e in cash.items():
                n_c, s_c = e.count_sum(q, tq - aw, tq)
                rows[f"{end_name}_cash_{side}_count_{lab_a}"] = n_c
                rows[f"{end_name}_cash_{side}_sum_{lab_a}"] = s_c
            for name, values in rows.items():
                out[qo, col[name]] = values
            for w in p["windows"]:
                lab = window_label(w)
                i = out[:, col[f"{end_name}_in_sum_{lab}"]]
                o = out[:, col[f"{end_name}_out_sum_{lab}"]]
                hi_io = np.maximum(i, o)
                out[:, col[f"{end_name}_pass_through_{lab}"]] = np.divide(
                    np.minimum(i, o), hi_io, out=np.zeros(nq), where=hi_io > 0
                )

        # dwell: hours since the payer's last incoming transfer (capped at the horizon)
        e_in = ev["in"]
        hi = his[("src", "in")]
        base = group_keys(qs, np.zeros(nq, np.int64) + t0, t0, span)  # group start key
        has = hi > np.searchsorted(e_in.key, base, "left")
        since = np.full(nq, horizon / HOUR)
        if has.any():
            last_key = e_in.key[hi[has] - 1]
            last_t = last_key - qs[has].astype(np.int64) * span + t0
            since[has] = (qt[has] - last_t) / HOUR
        out[:, col["src_hours_since_in"]] = np.minimum(since, horizon / HOUR)
        # this payment against the payer's latest incoming transfer (a mule forwards about
        # what it just received); 0 when the payer has received nothing in the horizon
        last_in = np.zeros(nq)
        if has.any():
            amt_in = moments["in"].amount
            end = hi[has]
            start = np.searchsorted(e_in.key, e_in.key[end - 1], "left")
            last = amt_in[end - 1]
            for i in np.flatnonzero(end - start > 1):  # ties: the largest, whatever the order
                last[i] = amt_in[start[i] : end[i]].max()
            last_in[has] = last
        out[:, col["amount_to_src_last_in"]] = np.divide(
            x.amount, last_in, out=np.zeros(nq), where=last_in > 0
        )

        # this payment against the payer's mean outgoing transfer in the longest window
        lab = window_label(p["windows"][-1])
        n_out = out[:, col[f"src_out_count_{lab}"]]
        mean_out = np.divide(
            out[:, col[f"src_out_sum_{lab}"]], n_out, out=np.zeros(nq), where=n_out > 0
        )
        out[:, col["amount_to_src_mean_out"]] = np.divide(
            x.amount, mean_out, out=np.zeros(nq), where=mean_out > 0
        )
        # and against the payee's mean incoming transfer in the amount window
        mean_in = out[:, col[f"dst_in_amount_mean_{window_label(p['amount_window'])}"]]
        out[:, col["amount_to_dst_mean_in"]] = np.divide(
            x.amount, mean_in, out=np.zeros(nq), where=mean_in > 0
        )

        # gather-scatter: the payer as a hub, in the scatter-gather window
        sgw = p["sg_window"]
        fan_in = dist["in"].count(qs, qt, sgw)
        fan_out = dist["out"].count(qs, qt, sgw)
        out[:, col["gather_scatter"]] = np.minimum(fan_in, fan_out)

        # temporal cycles and scatter-gather (compiled kernels)
        if self.patterns:
            self._patterns(out, col, p, qs, qd, qt, es, ed, et, n_acc)

        # the row itself: amount, time, channel, geography, designated, age
        a = x.amount
        out[:, col["log_amount"]] = np.log1p(np.maximum(a, 0.0))
        out[:, col["is_round"]] = is_round(a)
        out[:, col["is_near_threshold"]] = is_near_threshold(a, float(self.reporting_threshold))
        hour = (qt % DAY) // HOUR
        out[:, col["hour"]] = hour
        out[:, col["is_night"]] = hour < 6
        out[:, col["is_weekend"]] = ((qt // DAY) + 3) % 7 >= 5
        out[:, col["is_cash"]] = x.src == x.dst
        if frame is not None and "channel" in frame.columns:
            codes = channel_codes(frame["channel"])
            for i_c, c in enumerate(schema.CHANNELS):
                out[:, col[f"channel_{c}"]] = codes == i_c
        if frame is not None:
            risk = set(
                default_risk_countries() if self.risk_countries is None else self.risk_countries
            )
            have = [c for c in ("src_country", "dst_country") if c in frame.columns]
            for c in have:
                out[:, col[f"{c}_risk"]] = country_flags(frame[c], risk)
            if len(have) == 2:
                sc_, dc_ = frame["src_country"], frame["dst_country"]
                out[:, col["cross_border"]] = (sc_.notna() & dc_.notna() & (sc_ != dc_)).to_numpy(
                    bool
                )
        desig = np.fromiter((int(k) for k in (self.designated_account_keys or [])), np.int64)
        out[:, col["src_designated"]] = np.isin(x.src, desig)
        out[:, col["dst_designated"]] = np.isin(x.dst, desig)
        for end_name, q_code, acct in (("src", qs, x.src), ("dst", qd, x.dst)):
            first = self._first_seen(keys, sc, dc, g.t, q_code, acct, first_seen)
            out[:, col[f"{end_name}_age_days"]] = (qt - first) / DAY
        return pd.DataFrame(out, index=index, columns=names, copy=False)

    @staticmethod
    def _first_seen(
        keys: np.ndarray,
        sc: np.ndarray,
        dc: np.ndarray,
        t: np.ndarray,
        q_code: np.ndarray,
        acct: np.ndarray,
        first_seen: tuple[np.ndarray, np.ndarray] | None,
    ) -> np.ndarray:
        """Earliest time each account appears (history, X or remembered first-seen). The row
        itself is an appearance at its own time, so this is never after it (no look-ahead)."""
        first = np.full(len(keys), np.iinfo(np.int64).max)
        np.minimum.at(first, sc, t)
        np.minimum.at(first, dc, t)
        res = first[q_code]
        if first_seen is not None and len(first_seen[0]):
            fk, ft = first_seen
            pos = np.clip(np.searchsorted(fk, acct), 0, len(fk) - 1)
            hit = fk[pos] == acct
            res = np.where(hit, np.minimum(res, ft[pos]), res)
        return res

    def _patterns(
        self,
        out: np.ndarray,
        col: dict[str, int],
        p: dict,
        qs: np.ndarray,
        qd: np.ndarray,
        qt: np.ndarray,
        es: np.ndarray,
        ed: np.ndarray,
        et: np.ndarray,
        n_acc: int,
    ) -> None:
        threads = _patterns.set_threads(self.n_jobs)
        chunks = max(1, 8 * threads)
        adj_out = _patterns.build_adjacency(es, ed, et, n_acc)
        adj_in = _patterns.build_adjacency(ed, es, et, n_acc)
        # queries in time order: the kernels' marks stay valid from one query to the next
        order = np.argsort(qt, kind="stable")
        qs64, qd64, qt64 = (a[order].astype(np.int64) for a in (qs, qd, qt))
        counts, cyc_capped = _patterns.temporal_cycles(
            qs64, qd64, qt64, int(p["cycle_window"]), int(p["max_len"]),
            *_cols(adj_out), adj_out.time_ptr, adj_out.time_t, *_cols(adj_in),
            int(self.hub_degree), int(self.max_cycle_steps), chunks, n_acc,
        )  # fmt: skip
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        counts, cyc_capped = counts[back], cyc_capped[back]
        for k in range(2, p["max_len"] + 1):
            out[:, col[f"cycles_{k}"]] = counts[:, k]
        out[:, col["cycles_total"]] = counts.sum(axis=1)
        best, sources, sg_capped = _patterns.scatter_gather(
            qs64, qd64, qt64, int(p["sg_window"]), bool(self.scatter_gather_ordered),
            *_cols(adj_out), adj_out.time_ptr, adj_out.time_t, *_cols(adj_in),
            int(self.hub_degree), chunks, n_acc,
        )  # fmt: skip
        best, sources, sg_capped = best[back], sources[back], sg_capped[back]
        out[:, col["scatter_gather_max"]] = best
        out[:, col["scatter_gather_sources"]] = sources
        out[:, col["pattern_capped"]] = cyc_capped | sg_capped


class _Moments:
    """Running power sums of centred log-amounts over :class:`SortedEvents` order, and the raw
    amounts in that order (for the extremes)."""

    def __init__(self, events: SortedEvents, amount: np.ndarray) -> None:
        a = np.maximum(np.asarray(amount, float)[events.order], 0.0)
        v = np.log1p(a) - _LOG_CENTRE
        self.amount = a
        self.c1 = np.concatenate([[0.0], np.cumsum(v)])
        self.c2 = np.concatenate([[0.0], np.cumsum(v * v)])
        self.c3 = np.concatenate([[0.0], np.cumsum(v * v * v)])


_AMOUNT_STATS = ("amount_mean", "amount_min", "amount_max", "log_amount_std", "log_amount_skew")


def _amount_stat_names(end_name: str, lab: str) -> list[str]:
    return [f"{end_name}_{side}_{s}_{lab}" for side in ("in", "out") for s in _AMOUNT_STATS]


def _repeat_and_cash_names(end_name: str, lab: str) -> list[str]:
    names = [f"{end_name}_{side}_per_counterparty_{lab}" for side in ("in", "out")]
    return names + [
        f"{end_name}_cash_{side}_{s}_{lab}" for side in ("in", "out") for s in ("count", "sum")
    ]


def _amount_stats(
    ev: dict[str, SortedEvents],
    moments: dict[str, _Moments],
    q: np.ndarray,
    tq: np.ndarray,
    window: int,
    end_name: str,
) -> dict[str, np.ndarray]:
    """Amount statistics of the transfers into and out of each queried account in
    ``(t - window, t]``; ``q``, ``tq`` sorted by (account, time). Accounts without transfers in
    the window get 0 everywhere."""
    lab = window_label(window)
    res: dict[str, np.ndarray] = {}
    for side in ("in", "out"):
        e, m = ev[side], moments[side]
        hi, lo = e.upto(q, tq), e.upto(q, tq - window)
        n = (hi - lo).astype(float)
        has = n > 0
        nn = np.where(has, n, 1.0)
        s1 = (m.c1[hi] - m.c1[lo]) / nn
        s2 = (m.c2[hi] - m.c2[lo]) / nn
        s3 = (m.c3[hi] - m.c3[lo]) / nn
        var = s2 - s1 * s1
        spread = var > _MIN_LOG_VAR
        m3 = s3 - 3.0 * s1 * s2 + 2.0 * s1**3
        std = np.sqrt(np.where(spread, var, 1.0))
        qkey = group_keys(q, tq, e.t0, e.span)
        mx, mn = window_extremes(e.key, m.amount, qkey, np.int64(window))
        res[f"{end_name}_{side}_amount_mean_{lab}"] = np.where(has, (e.cw[hi] - e.cw[lo]) / nn, 0.0)
        res[f"{end_name}_{side}_amount_min_{lab}"] = mn
        res[f"{end_name}_{side}_amount_max_{lab}"] = mx
        res[f"{end_name}_{side}_log_amount_std_{lab}"] = np.where(spread, std, 0.0)
        res[f"{end_name}_{side}_log_amount_skew_{lab}"] = np.where(
            spread & (n >= 3), m3 / std**3, 0.0
        )
    return res


def _cols(adj: _patterns.Adjacency) -> tuple[np.ndarray, ...]:
    """The pair-level arrays the kernels take, in their order."""
    return (adj.pair_ptr, adj.pair_other, adj.pair_t0, adj.pair_t1, adj.edge_ptr, adj.edge_t)


def edge_feature_names(p: dict | None = None) -> list[str]:
    """Column names of :class:`EdgeFeatures` for parsed parameters (defaults if None)."""
    if p is None:
        p = EdgeFeatures()._params()
    names: list[str] = []
    for end_name in ("src", "dst"):
        for w in p["windows"]:
            lab = window_label(w)
            for side in ("in", "out"):
                names += [
                    f"{end_name}_{side}_count_{lab}",
                    f"{end_name}_{side}_sum_{lab}",
                    f"{end_name}_{side}_distinct_{lab}",
                ]
            names.append(f"{end_name}_pass_through_{lab}")
        names += _amount_stat_names(end_name, window_label(p["amount_window"]))
        names += _repeat_and_cash_names(end_name, window_label(p["amount_window"]))
    names += ["src_hours_since_in", "amount_to_src_last_in", "amount_to_src_mean_out"]
    names += ["amount_to_dst_mean_in"]
    names += ["gather_scatter"]
    names += [f"cycles_{k}" for k in range(2, p["max_len"] + 1)]
    names += ["cycles_total", "scatter_gather_max", "scatter_gather_sources", "pattern_capped"]
    names += ["log_amount", "is_round", "is_near_threshold", "hour", "is_night", "is_weekend"]
    names += ["is_cash"] + [f"channel_{c}" for c in schema.CHANNELS]
    names += ["src_country_risk", "dst_country_risk", "cross_border"]
    names += ["src_designated", "dst_designated", "src_age_days", "dst_age_days"]
    return names
