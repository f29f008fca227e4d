"""Typology scoring: run each typology's indicators, weigh them, raise alerts.

Score of a subject for a typology = sum(weight_i * score_i) / sum(weight_i) over the typology's
indicators (a missing indicator result is a 0). An alert is raised when the score reaches the
typology's threshold. Every alert records the typology id and version and each indicator's
value, score and reason, so it can be replayed and defended.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from fiu_analytics.detection.typology import IndicatorUse, Typology
from fiu_analytics.indicators import DetectionInput, get_indicator

ALERT_FRAME_COLUMNS = [
    "alert_id",
    "typology_id",
    "typology_version",
    "typology_title",
    "level",
    "subject_account_key",
    "score",
    "indicators",
    "evidence_txn_ids",
    "period_start",
    "period_end",
    "case_period",
    "path",
]


def case_period(period_end: pd.Timestamp) -> str:
    """The calendar month (``YYYY-MM``) in which a scored period ends: alerts of daily reruns
    over a sliding window in the same month share their ids."""
    return f"{pd.Timestamp(period_end) - pd.Timedelta(microseconds=1):%Y-%m}"


def alert_id(typology_id: str, subject: int, period: str) -> str:
    """Stable alert id: the same typology, subject and case period always give the same id."""
    raw = f"{typology_id}|{subject}|{period}"
    return "AL-" + hashlib.sha1(raw.encode()).hexdigest()[:16]


def indicator_key(use: IndicatorUse) -> tuple:
    """Identity of an indicator run: its id and parameters (shared runs are computed once)."""
    return (use.id, tuple(sorted(use.params.items())))


RUN_NOTES = ("warnings", "nexus:errors")
"""``data.cache`` entries that are messages for the run's summary, kept after a run."""


def release_caches(data: DetectionInput, keep: Iterable[Any]) -> None:
    """Drop the entries of ``data.cache`` a run added (those not in ``keep``), its notes
    (:data:`RUN_NOTES`) excepted. Indicators cache what several of them share (money
    movements, transfer edges, string codes, other indicators' results): at 11.5M
    transactions some 2.2 GB, which the stages after detection (scoring, alert tables, case
    packages) would otherwise carry."""
    keep = set(keep) | set(RUN_NOTES)
    for k in [k for k in data.cache if k not in keep]:
        del data.cache[k]


def run_indicators(
    data: DetectionInput, typologies: Iterable[Typology], *, keep_cache: bool = False
) -> dict[tuple, pd.DataFrame]:
    """Each distinct (indicator, params) once; keyed by (id, frozen params). What the
    indicators cached in ``data.cache`` is released when they are done, unless
    ``keep_cache`` (e.g. a notebook that runs indicators on the same input afterwards)."""
    before = set(data.cache)
    results: dict[tuple, pd.DataFrame] = {}
    try:
        for t in typologies:
            for u in t.indicators:
                key = indicator_key(u)
                if key not in results:
                    results[key] = get_indicator(u.id)(data, **u.params)
    finally:
        if not keep_cache:
            release_caches(data, before)
    return results


def score_typology(
    t: Typology,
    results: dict[tuple, pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per subject weighted score, and the indicator rows that contributed to it."""
    parts = []
    total_w = sum(u.weight for u in t.indicators)
    for u in t.indicators:
        r = results[indicator_key(u)]
        if r.empty:
            continue
        parts.append(r.assign(indicator=u.id, weighted=r["score"] * u.weight / total_w))
    if not parts:
        return pd.DataFrame(columns=["account_key", "score"]), pd.DataFrame()
    allr = pd.concat(parts, ignore_index=True)
    score = allr.groupby("account_key")["weighted"].sum()
    return pd.DataFrame({"account_key": score.index.to_numpy(), "score": score.to_numpy()}), allr


def detect(
    data: DetectionInput, typologies: Iterable[Typology], *, keep_cache: bool = False
) -> pd.DataFrame:
    """Alerts for every typology over ``data`` (one row per typology and subject); see
    :func:`run_indicators` for ``keep_cache``."""
    typologies = list(typologies)
    results = run_indicators(data, typologies, keep_cache=keep_cache)
    return detect_from_results(data, typologies, results)


def detect_from_results(
    data: DetectionInput, typologies: Iterable[Typology], results: dict[tuple, pd.DataFrame]
) -> pd.DataFrame:
    """Alerts from indicator results computed elsewhere (e.g. partitioned on a cluster)."""
    rows = []
    for t in typologies:
        score, allr = score_typology(t, results)
        hit = score[score["score"] >= t.threshold - 1e-12]
        if hit.empty:
            continue
        fired = allr[allr["account_key"].isin(hit["account_key"]) & (allr["score"] > 0)]
        # each subject's fired rows, in their order in ``fired`` (one stable sort, no groupby
        # of frames per subject)
        order = np.argsort(fired["account_key"].to_numpy(), kind="stable")
        keys, starts = np.unique(fired["account_key"].to_numpy()[order], return_index=True)
        ends = [*starts[1:].tolist(), len(order)]
        bounds = dict(zip(keys.tolist(), zip(starts.tolist(), ends, strict=True), strict=True))
        ind = fired["indicator"].to_numpy()[order].tolist()
        val = fired["value"].to_numpy()[order].tolist()
        why = fired["reason"].to_numpy()[order].tolist()
        evs = fired["evidence_txn_ids"].to_numpy()[order].tolist()
        has_path = "path" in fired
        pth = fired["path"].to_numpy()[order].tolist() if has_path else []
        for acct, sc in zip(hit["account_key"], hit["score"], strict=True):
            lo, hi = bounds[acct]
            inds = "; ".join(
                f"{i}={v:g} ({r})"
                for i, v, r in zip(ind[lo:hi], val[lo:hi], why[lo:hi], strict=True)
            )
            evidence = list(dict.fromkeys(x for ev in evs[lo:hi] for x in ev))
            paths = [p for p in pth[lo:hi] if isinstance(p, str) and p] if has_path else []
            rows.append(
                {
                    "alert_id": alert_id(t.id, int(acct), case_period(data.period_end)),
                    "case_period": case_period(data.period_end),
                    "typology_id": t.id,
                    "typology_version": t.version,
                    "typology_title": t.title,
                    "level": t.level,
                    "subject_account_key": int(acct),
                    "score": float(sc),
                    "indicators": inds,
                    "evidence_txn_ids": evidence,
                    "path": " | ".join(dict.fromkeys(paths)),
                    "period_start": data.period_start,
                    "period_end": data.period_end,
                }
            )
    if not rows:
        return pd.DataFrame(columns=ALERT_FRAME_COLUMNS)
    out = pd.DataFrame(rows, columns=ALERT_FRAME_COLUMNS)
    out["score"] = out["score"].astype(np.float64)
    return out.sort_values(
        ["score", "typology_id", "subject_account_key"],
        ascending=[False, True, True],
        ignore_index=True,
    )
