"""Alert lifecycle: stable ids across runs, new/updated/unchanged/closed, analyst feedback.

An alert's id hashes its typology, subject and *case period* (the calendar month in which the
scored period ends), so a daily rerun over a sliding window updates the month's alert instead of
raising a new one. The register (``<data_dir>/registers/alerts.parquet``) keeps the latest state
of every alert with ``first_seen`` and ``last_seen``; each run reconciles against it.

Analyst dispositions (``true_positive``, ``false_positive``, ``escalated``) come from a CSV
(:func:`read_dispositions`), are kept in ``<state_dir>/dispositions.parquet``, become
``labels`` (source ``analyst``) for training, and false positives suppress the same typology on
the same subject in later runs until the typology's version changes. They survive reruns
because they live in the register, not in the run's output.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pandas as pd

from fiu_analytics.errors import InputFormatError

DISPOSITIONS = ("true_positive", "false_positive", "escalated")
REGISTER_COLUMNS = [
    "alert_id",
    "typology_id",
    "typology_version",
    "subject_account_key",
    "case_period",
    "score",
    "evidence_count",
    "first_seen",
    "last_seen",
    "status",
]


def registers_dir(state_dir: str | os.PathLike[str]) -> Path:
    return Path(state_dir)


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    path.chmod(0o600)


def load_register(state_dir: str | os.PathLike[str]) -> pd.DataFrame:
    p = registers_dir(state_dir) / "alerts.parquet"
    if not p.exists():
        return pd.DataFrame(columns=REGISTER_COLUMNS)
    return pd.read_parquet(p)


def reconcile(
    register: pd.DataFrame, alerts: pd.DataFrame, run_time: pd.Timestamp, periods: set[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare this run's alerts with the register.

    Returns ``(alerts with status, first_seen, last_seen)`` and the new register. Status:
    ``new`` (not in the register), ``updated`` (score or evidence changed), ``unchanged``;
    register alerts of the case ``periods`` scored by this run that did not fire again are
    ``closed``.
    """
    cur = alerts.copy()
    cur["evidence_count"] = cur["evidence_txn_ids"].map(len) if len(cur) else []
    prev = register.set_index("alert_id") if len(register) else None
    status, first = [], []
    for a in cur.itertuples(index=False):
        if prev is None or a.alert_id not in prev.index:
            status.append("new")
            first.append(run_time)
            continue
        p = prev.loc[a.alert_id]
        changed = (
            abs(float(p["score"]) - float(a.score)) > 1e-9
            or int(p["evidence_count"]) != int(a.evidence_count)
            or str(p["typology_version"]) != str(a.typology_version)
        )
        status.append("updated" if changed else "unchanged")
        first.append(p["first_seen"])
    cur["status"] = status
    cur["first_seen"] = pd.to_datetime(pd.Series(first, index=cur.index, dtype=object), utc=True)
    cur["last_seen"] = run_time
    new_reg = cur[REGISTER_COLUMNS].copy() if len(cur) else pd.DataFrame(columns=REGISTER_COLUMNS)
    if prev is not None:
        old = register[~register["alert_id"].isin(cur["alert_id"])].copy()
        same_period = old["case_period"].isin(periods)
        old.loc[same_period & (old["status"] != "closed"), "status"] = "closed"
        new_reg = pd.concat([new_reg, old], ignore_index=True)
    return cur, new_reg


def save_register(state_dir: str | os.PathLike[str], register: pd.DataFrame) -> None:
    _atomic_parquet(register[REGISTER_COLUMNS], registers_dir(state_dir) / "alerts.parquet")


def read_dispositions(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Analyst dispositions: CSV with ``alert_id,disposition[,note]``; every bad row is an error
    naming the file, line, field and value."""
    p = Path(path)
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise InputFormatError(str(p), f"cannot read dispositions CSV ({exc})") from exc
    missing = {"alert_id", "disposition"} - set(df.columns)
    if missing:
        raise InputFormatError(
            str(p),
            f"missing column(s) {sorted(missing)}; expected alert_id,disposition[,note]",
            position="line 1",
        )
    bad = ~df["disposition"].str.strip().str.lower().isin(DISPOSITIONS)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputFormatError(
            str(p),
            f"field 'disposition' value {df['disposition'].iloc[i]!r}: expected one of "
            f"{list(DISPOSITIONS)}",
            position=f"line {i + 2}",
        )
    empty = df["alert_id"].str.strip() == ""
    if empty.any():
        i = int(empty.to_numpy().nonzero()[0][0])
        raise InputFormatError(str(p), "field 'alert_id' is empty", position=f"line {i + 2}")
    out = df.assign(
        disposition=df["disposition"].str.strip().str.lower(), alert_id=df["alert_id"].str.strip()
    )
    if "note" not in out:
        out["note"] = ""
    return out[["alert_id", "disposition", "note"]]


def apply_feedback(
    state_dir: str | os.PathLike[str], dispositions: pd.DataFrame, recorded_at: pd.Timestamp
) -> pd.DataFrame:
    """Store dispositions against the register; return the rows joined with their alerts.

    Unknown alert ids are an error (a disposition must refer to an alert we raised)."""
    reg = load_register(state_dir)
    unknown = sorted(set(dispositions["alert_id"]) - set(reg["alert_id"]))
    if unknown:
        raise InputFormatError(
            "dispositions",
            f"unknown alert id(s) {unknown[:5]}; expected ids from alerts.csv of an earlier run",
        )
    joined = dispositions.merge(
        reg[["alert_id", "typology_id", "typology_version", "subject_account_key"]], on="alert_id"
    )
    joined["recorded_at"] = recorded_at
    p = registers_dir(state_dir) / "dispositions.parquet"
    old = pd.read_parquet(p) if p.exists() else joined.iloc[0:0]
    allrows = pd.concat([old, joined], ignore_index=True).drop_duplicates("alert_id", keep="last")
    _atomic_parquet(allrows, p)
    return allrows


def load_dispositions(state_dir: str | os.PathLike[str]) -> pd.DataFrame:
    p = registers_dir(state_dir) / "dispositions.parquet"
    return (
        pd.read_parquet(p)
        if p.exists()
        else pd.DataFrame(
            columns=[
                "alert_id",
                "disposition",
                "note",
                "typology_id",
                "typology_version",
                "subject_account_key",
                "recorded_at",
            ]
        )
    )


def suppress(alerts: pd.DataFrame, dispositions: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop alerts whose typology (same version) was judged a false positive on the subject."""
    fp = dispositions[dispositions["disposition"] == "false_positive"]
    if fp.empty or alerts.empty:
        return alerts, 0
    key = set(
        zip(
            fp["typology_id"],
            fp["typology_version"].astype(str),
            fp["subject_account_key"].astype("int64"),
            strict=True,
        )
    )
    mask = [
        (t, str(v), int(s)) in key
        for t, v, s in zip(
            alerts["typology_id"],
            alerts["typology_version"],
            alerts["subject_account_key"],
            strict=True,
        )
    ]
    kept = alerts[[not m for m in mask]]
    return kept, int(sum(mask))


def dispositions_as_labels(dispositions: pd.DataFrame) -> pd.DataFrame:
    """Analyst labels: one account row per disposition (true positive and escalated are
    positives, false positive a negative, with ``is_core`` False)."""
    d = dispositions
    return pd.DataFrame(
        {
            "scenario_id": "CASE-" + d["alert_id"].astype(str),
            "typology": d["typology_id"].astype(str),
            "account_key": d["subject_account_key"].astype("int64"),
            "txn_id": None,
            "role": d["disposition"],
            "stage": None,
            "is_core": d["disposition"] != "false_positive",
            "source": "analyst",
        }
    )
