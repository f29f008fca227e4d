"""Evaluation of alerts against ground-truth labels.

Scenario recall: a scenario counts as found when an alert names one of its core accounts.
Reported per label typology, both for alerts of any typology and for alerts of the typologies
meant for it (a typology's ``labels`` field). Account-level precision is the share of alerted
subjects that are core accounts of a scenario of a typology the alert's typology is meant for.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from fiu_analytics.detection.typology import Typology


def scenario_recall(
    alerts: pd.DataFrame, labels: pd.DataFrame, typologies: Iterable[Typology] = ()
) -> pd.DataFrame:
    """Per label typology: scenarios, found by any alert, found by the intended typologies."""
    core = labels[labels["account_key"].notna() & labels["is_core"].fillna(False).astype(bool)]
    core = core[["scenario_id", "typology", "account_key"]].astype({"account_key": "int64"})
    alerted_any = set(alerts["subject_account_key"]) if len(alerts) else set()
    intended: dict[str, set[str]] = {}
    for t in typologies:
        for lab in t.labels:
            intended.setdefault(lab, set()).add(t.id)
    rows = []
    for typ, g in core.groupby("typology"):
        scen = g.groupby("scenario_id")["account_key"].apply(set)
        found_any = sum(bool(s & alerted_any) for s in scen)
        if typ in intended and len(alerts):
            subj = set(alerts.loc[alerts["typology_id"].isin(intended[typ]), "subject_account_key"])
            found_int = sum(bool(s & subj) for s in scen)
        else:
            found_int = None
        rows.append(
            {
                "typology": typ,
                "scenarios": len(scen),
                "found_by_any_alert": found_any,
                "recall_any": found_any / len(scen),
                "intended_typologies": ";".join(sorted(intended.get(typ, []))),
                "recall_intended": None if found_int is None else found_int / len(scen),
            }
        )
    return pd.DataFrame(rows)


def alert_precision(
    alerts: pd.DataFrame, labels: pd.DataFrame, typologies: Iterable[Typology]
) -> pd.DataFrame:
    """Per typology: alerted subjects and the share that are core accounts of its labels."""
    core = labels[labels["account_key"].notna() & labels["is_core"].fillna(False).astype(bool)]
    rows = []
    for t in typologies:
        a = alerts[alerts["typology_id"] == t.id] if len(alerts) else alerts
        truth = set(core.loc[core["typology"].isin(t.labels), "account_key"].astype("int64"))
        n = int(a["subject_account_key"].nunique()) if len(a) else 0
        tp = len(set(a["subject_account_key"]) & truth) if n else 0
        rows.append(
            {
                "typology_id": t.id,
                "alerted_accounts": n,
                "true_positives": tp,
                "precision": tp / n if n else None,
            }
        )
    return pd.DataFrame(rows)


def typology_scores(
    alerts: pd.DataFrame,
    labels: pd.DataFrame,
    typologies: Iterable[Typology],
    n_accounts: int | None = None,
) -> pd.DataFrame:
    """Per typology, side by side: scenarios of its label typologies, scenario recall (found
    when an alert *of this typology* names a core account), alerted accounts, account-level
    precision, recall and F1.

    Precision counts an alerted account as correct when it is a core account of a scenario of
    the typology's ``labels`` or ``related_labels`` (scenarios that contain the same behaviour:
    an NX-04 controller runs a sexual-exploitation scheme, so TY-HTSE alerting him is right).
    ``precision_strict`` counts ``labels`` only. Recall is over ``labels`` only.
    """
    core = labels[labels["account_key"].notna() & labels["is_core"].fillna(False).astype(bool)]
    core = core.astype({"account_key": "int64"})
    rows = []
    for t in typologies:
        g = core[core["typology"].isin(t.labels)]
        related = set(core.loc[core["typology"].isin(t.related_labels), "account_key"])
        a = alerts[alerts["typology_id"] == t.id] if len(alerts) else alerts
        alerted = set(a["subject_account_key"]) if len(a) else set()
        truth = set(g["account_key"])
        scen = g.groupby("scenario_id")["account_key"].apply(set)
        found = sum(bool(s & alerted) for s in scen)
        tp = len(alerted & truth)
        tp_rel = len(alerted & (truth | related))
        prec = tp_rel / len(alerted) if alerted else None
        strict = tp / len(alerted) if alerted else None
        rec = tp / len(truth) if truth else None
        f1 = (2 * prec * rec / (prec + rec)) if prec and rec else (0.0 if truth else None)
        rows.append(
            {
                "typology_id": t.id,
                "labels": ";".join(t.labels),
                "related_labels": ";".join(t.related_labels),
                "scenarios": len(scen),
                "scenario_recall": found / len(scen) if len(scen) else None,
                "alerted_accounts": len(alerted),
                "true_positives": tp_rel,
                "precision": prec,
                "precision_strict": strict,
                "account_recall": rec,
                "f1": f1,
                "alerted_share": len(alerted) / n_accounts if n_accounts else None,
            }
        )
    return pd.DataFrame(rows)
