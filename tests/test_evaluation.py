"""Rules, ML and combined side by side (fiu_analytics.evaluation.compare_methods)."""

from __future__ import annotations

import pandas as pd
import pytest

from fiu_analytics.evaluation import compare_methods, laundering_transactions


def _case():
    # scenario S1 (core accounts 1 and 2): 1 -> 2 is laundering, 2 -> 5 pays a bystander;
    # scenario S2 is labelled by transaction only (research data): 3 -> 4
    tx = pd.DataFrame(
        {
            "txn_id": ["t1", "t2", "t3", "t4"],
            "src_account_key": [1, 2, 3, 6],
            "dst_account_key": [2, 5, 4, 1],
        }
    )
    labels = pd.DataFrame(
        {
            "scenario_id": ["S1", "S1", "S1", "S1", "S2"],
            "typology": ["HTSE", "HTSE", "HTSE", "HTSE", "laundering"],
            "account_key": [1, 2, None, None, None],
            "txn_id": [None, None, "t1", "t2", "t3"],
            "is_core": [True, True, None, None, None],
            "source": ["synthetic"] * 4 + ["research"],
        }
    )
    alerts = pd.DataFrame({"subject_account_key": [1, 5, 1], "score": [0.9, 0.5, 0.7]})
    ml = pd.Series({1: 0.1, 2: 0.8, 3: 0.7, 4: 0.6, 5: 0.2, 6: 0.1})
    return tx, labels, alerts, ml


def test_laundering_is_a_scenario_transaction_between_its_accounts() -> None:
    tx, labels, _, _ = _case()
    assert laundering_transactions(labels, tx).tolist() == [True, False, True, False]


def test_rules_ml_and_union_per_account_typology_and_transaction() -> None:
    tx, labels, alerts, ml = _case()
    cmp = compare_methods(range(1, 7), labels, tx, alerts, ml, 0.65, budget=2)
    acc = cmp.accounts.set_index("method")
    # positives 1, 2 (core of S1), 3, 4 (S2's labelled transaction); rules alert 1 and 5,
    # the model 2 and 3, the union 1, 2, 3, 5
    assert acc["positives"].tolist() == [4, 4, 4]
    assert acc["alerted"].tolist() == [2, 2, 4]
    assert acc.loc["rules", ["precision", "recall"]].tolist() == [0.5, 0.25]
    assert acc.loc["ML", ["precision", "recall"]].tolist() == [1.0, 0.5]
    assert acc.loc["rules + ML", "f1"] == pytest.approx(0.75)
    # top 2 of the union: the rule alerts first (1, then 5)
    assert acc.loc["rules + ML", "precision_at_2"] == 0.5
    assert acc.loc["ML", "precision_at_2"] == 1.0
    rec = cmp.recall.set_index("typology")
    assert rec.loc["HTSE", ["scenarios", "rules", "ML", "rules + ML"]].tolist() == [1, 1, 1, 1]
    assert rec.loc["laundering", ["rules", "ML", "rules + ML"]].tolist() == [0, 1, 1]
    # per transaction: flagged when both accounts are alerted; t1 and t3 are laundering
    txn = cmp.transactions.set_index("method")
    assert txn["positives"].tolist() == [2, 2, 2]
    assert txn["alerted"].tolist() == [0, 0, 2]  # the union flags t1 (1, 2) and t2 (2, 5)
    assert txn.loc["rules + ML", ["precision", "recall"]].tolist() == [0.5, 0.5]


def test_rules_only_without_a_model_and_a_model_needs_its_threshold() -> None:
    tx, labels, alerts, ml = _case()
    cmp = compare_methods(range(1, 7), labels, tx, alerts)
    assert cmp.accounts["method"].tolist() == ["rules"]
    with pytest.raises(ValueError, match="model_threshold"):
        compare_methods(range(1, 7), labels, tx, alerts, ml)
