"""Evaluation of alerts against ground-truth labels.

Scenario recall: a scenario counts as found when an alert names one of its core accounts.
Reported per label typology, both for alerts of any typology and for alerts of the typologies
meant for it (a typology's ``labels`` field). Account-level precision is the share of alerted
subjects that are core accounts of a scenario of a typology the alert's typology is meant for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
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


# -- rules, ML and combined, side by side ------------------------------------------------------

RULES, ML, COMBINED = "rules", "ML", "rules + ML"


@dataclass
class MethodComparison:
    """Rules, a model and their union on the same accounts and labels (:func:`compare_methods`).

    ``accounts``: per method, PR-AUC, minority-class F1 at the best threshold, precision,
    recall and F1 at the method's operating point, precision and recall among the top
    ``budget`` accounts. ``recall``: scenario recall per label typology (rows) and method
    (columns) at the operating points. ``transactions``: the same metrics per transaction.
    """

    accounts: pd.DataFrame
    recall: pd.DataFrame
    transactions: pd.DataFrame
    budget: int


def _scenario_accounts(labels: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """(typology, scenario_id, account_key) of every scenario: its core accounts, or for a
    scenario labelled by transaction only (research data), both accounts of its transactions."""
    core = labels[labels["account_key"].notna() & labels["is_core"].fillna(False).astype(bool)]
    parts = [core[["typology", "scenario_id", "account_key"]].astype({"account_key": "int64"})]
    with_accounts = set(core["scenario_id"])
    txn_only = labels[labels["txn_id"].notna() & ~labels["scenario_id"].isin(with_accounts)]
    if len(txn_only) and len(transactions):
        ends = transactions.set_index("txn_id")[["src_account_key", "dst_account_key"]]
        hit = txn_only[["typology", "scenario_id", "txn_id"]].join(ends, on="txn_id", how="inner")
        for side in ("src_account_key", "dst_account_key"):
            parts.append(
                hit[["typology", "scenario_id", side]]
                .rename(columns={side: "account_key"})
                .astype({"account_key": "int64"})
            )
    return pd.concat(parts, ignore_index=True).drop_duplicates()


def laundering_transactions(labels: pd.DataFrame, transactions: pd.DataFrame) -> np.ndarray:
    """Per row of ``transactions``, whether it is laundering: a scenario's labelled
    transaction between two accounts of that scenario (its payments to shops, landlords and
    other bystanders are not), or, for a scenario labelled by transaction only (AMLworld's
    ``Is Laundering``, AMLSim's ``is_sar``), each of its labelled transactions."""
    scen = labels.dropna(subset=["txn_id"]).drop_duplicates("txn_id")[["txn_id", "scenario_id"]]
    tx = transactions[["txn_id", "src_account_key", "dst_account_key"]].merge(
        scen, on="txn_id", how="left"
    )
    members = labels.dropna(subset=["account_key"])[["scenario_id", "account_key"]]
    members = members.astype({"account_key": "int64"}).drop_duplicates()
    flag = tx["scenario_id"].notna().to_numpy()
    with_accounts = tx["scenario_id"].isin(set(members["scenario_id"])).to_numpy()
    inside = {}
    for side in ("src", "dst"):
        m = members.rename(columns={"account_key": f"{side}_account_key"}).assign(**{side: True})
        inside[side] = (
            tx[["scenario_id", f"{side}_account_key"]]
            .astype({f"{side}_account_key": "int64"})
            .merge(m, on=["scenario_id", f"{side}_account_key"], how="left")[side]
            .fillna(False)
            .to_numpy(bool)
        )
    return flag & (~with_accounts | (inside["src"] & inside["dst"]))


def _metrics_rows(
    y: np.ndarray, methods: dict[str, tuple[np.ndarray, np.ndarray]], budget: int
) -> pd.DataFrame:
    from fiu_analytics.models.metrics import method_metrics

    rows = [
        {
            "method": name,
            **method_metrics(y, score, alerted, budget),
            "alerted": int(np.asarray(alerted).sum()),
            "positives": int(np.asarray(y).sum()),
        }
        for name, (score, alerted) in methods.items()
    ]
    return pd.DataFrame(rows)


def compare_methods(
    account_keys: Iterable[int],
    labels: pd.DataFrame,
    transactions: pd.DataFrame,
    rule_alerts: pd.DataFrame,
    model_scores: pd.Series | None = None,
    model_threshold: float | None = None,
    budget: int = 100,
) -> MethodComparison:
    """Rules, ML and rules + ML side by side, at account and at transaction level.

    ``rule_alerts`` are :func:`~fiu_analytics.detection.detect` alerts (without the model's
    own typology); ``model_scores`` an account model's score per account key and
    ``model_threshold`` the cut it alerts at (the model card's). Methods:

    * ``rules``: an account's score is its highest alert score, alerted when it has an alert;
    * ``ML``: the model score, alerted at ``model_threshold``;
    * ``rules + ML``: alerted by either; ranked rule alerts first, then by model score.

    A suspicious account is a scenario's core account (research data: an account of a labelled
    transaction), as :func:`~fiu_analytics.models.dataset.account_labels`. At transaction level
    a method flags a transaction when it alerts both of
    its accounts (its score: the lower of the two), the usual projection of account alerts on
    AMLworld's per-transaction labels; a transaction is positive when
    :func:`laundering_transactions` says so. Without a model only ``rules`` is reported.
    """
    from fiu_analytics.models.dataset import account_labels

    keys = pd.Index(np.fromiter((int(k) for k in account_keys), np.int64), name="account_key")
    y = account_labels(labels, keys, transactions=transactions).to_numpy()
    rule = pd.Series(0.0, index=keys)
    if len(rule_alerts):
        best = rule_alerts.groupby("subject_account_key")["score"].max()
        best = best[best.index.isin(keys)]
        rule.loc[best.index.astype(np.int64)] = best.to_numpy(float)
    methods: dict[str, tuple[pd.Series, pd.Series]] = {
        RULES: (rule, pd.Series(rule.to_numpy() > 0, index=keys))
    }
    if model_scores is not None:
        if model_threshold is None:
            raise ValueError("compare_methods: model_scores need model_threshold")
        ml = model_scores.reindex(keys).fillna(0.0).astype(float)
        ml_alert = ml >= model_threshold
        methods[ML] = (ml, ml_alert)
        either = methods[RULES][1] | ml_alert
        methods[COMBINED] = (pd.Series(np.where(rule > 0, 1.0 + rule, ml), index=keys), either)

    acc = _metrics_rows(
        y, {k: (s.to_numpy(), a.to_numpy()) for k, (s, a) in methods.items()}, budget
    )

    scen = _scenario_accounts(labels, transactions)
    recall: dict[str, pd.Series] = {}
    for name, (_, alerted) in methods.items():
        hit = scen["account_key"].isin(keys[alerted.to_numpy()])
        recall[name] = (
            hit.groupby([scen["typology"], scen["scenario_id"]]).any().groupby(level=0).mean()
        )
    rec = pd.DataFrame(recall)
    rec.index.name = "typology"
    if len(scen):
        rec.insert(0, "scenarios", scen.groupby("typology")["scenario_id"].nunique())

    txn = transactions[["txn_id", "src_account_key", "dst_account_key"]]
    y_txn = laundering_transactions(labels, txn)
    src, dst = txn["src_account_key"].to_numpy(np.int64), txn["dst_account_key"].to_numpy(np.int64)
    pos_s, pos_d = keys.get_indexer(src), keys.get_indexer(dst)
    known = (pos_s >= 0) & (pos_d >= 0)
    per_txn = {}
    for name, (score, alerted) in methods.items():
        s, a = score.to_numpy(), alerted.to_numpy()
        t_score = np.where(known, np.minimum(s[pos_s], s[pos_d]), 0.0)
        t_alert = known & a[pos_s] & a[pos_d]
        per_txn[name] = (t_score, t_alert)
    tx_rows = _metrics_rows(y_txn, per_txn, budget)
    return MethodComparison(acc, rec.reset_index(), tx_rows, budget)
