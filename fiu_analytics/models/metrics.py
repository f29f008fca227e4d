"""Ranking metrics for alert scores: what an FIU with a fixed analyst budget cares about."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve


def threshold_for_budget(scores: np.ndarray, budget: int) -> float:
    """The score above which at most ``budget`` subjects are alerted (the budget-th highest
    score; ties may add a few)."""
    s = np.sort(np.asarray(scores, dtype=float))[::-1]
    if len(s) == 0 or budget <= 0:
        return float("inf")
    return float(s[min(budget, len(s)) - 1])


def ranking_metrics(y: np.ndarray, scores: np.ndarray, budget: int) -> dict[str, float]:
    """PR-AUC (average precision), minority-class F1 at the best threshold (and that
    threshold), precision and recall among the top ``budget`` scores."""
    y = np.asarray(y).astype(int)
    s = np.asarray(scores, dtype=float)
    out: dict[str, float] = {"n": float(len(y)), "positives": float(y.sum())}
    if y.sum() == 0 or len(y) == 0:
        return out | {"pr_auc": float("nan"), "best_f1": float("nan")}
    out["pr_auc"] = float(average_precision_score(y, s))
    p, r, t = precision_recall_curve(y, s)
    f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0.0)[:-1]
    i = int(np.argmax(f1))
    out["best_f1"] = float(f1[i])
    out["best_threshold"] = float(t[i])
    k = min(budget, len(s))
    top = np.argsort(-s, kind="stable")[:k]
    out[f"precision_at_{budget}"] = float(y[top].mean()) if k else float("nan")
    out[f"recall_at_{budget}"] = float(y[top].sum() / y.sum())
    return out


def f1_of(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of a yes/no decision (e.g. "alerted by any rule")."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(predicted).astype(bool)
    tp = float((y & p).sum())
    prec = tp / p.sum() if p.sum() else float("nan")
    rec = tp / y.sum() if y.sum() else float("nan")
    f1 = 2 * prec * rec / (prec + rec) if prec == prec and rec == rec and prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1}


def method_metrics(
    y: np.ndarray, scores: np.ndarray, alerted: np.ndarray, budget: int
) -> dict[str, float]:
    """One method's row in a side-by-side table: PR-AUC and best F1 of its ranking
    ``scores``, precision, recall and F1 of its decision ``alerted``, precision and recall
    among the top ``budget``."""
    m = ranking_metrics(y, scores, budget)
    d = f1_of(y, alerted)
    nan = float("nan")
    return {
        "pr_auc": m.get("pr_auc", nan),
        "best_f1": m.get("best_f1", nan),
        "f1": d["f1"],
        "precision": d["precision"],
        "recall": d["recall"],
        f"precision_at_{budget}": m.get(f"precision_at_{budget}", nan),
        f"recall_at_{budget}": m.get(f"recall_at_{budget}", nan),
    }
