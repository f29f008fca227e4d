"""Account labels from scenario labels and from transaction-only research labels."""

from __future__ import annotations

import pandas as pd

from fiu_analytics.models import account_labels

TX = pd.DataFrame(
    {
        "txn_id": ["t1", "t2", "t3"],
        "timestamp": pd.to_datetime(["2025-01-05", "2025-02-05", "2025-03-05"], utc=True),
        "src_account_key": [1, 2, 3],
        "dst_account_key": [4, 5, 6],
    }
)


def _labels(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["scenario_id", "typology", "account_key", "txn_id", "is_core"]
    ).astype({"account_key": "Int64"})


def test_core_accounts_of_scenarios_are_positive_others_not() -> None:
    lab = _labels(
        [
            ("S1", "HTSE", 1, None, True),
            ("S1", "HTSE", 4, None, False),
            ("S1", "HTSE", None, "t1", None),
        ]
    )
    y = account_labels(lab, range(1, 7), transactions=TX)
    assert y[y == 1].index.tolist() == [1]  # t1's receiver is not core; txn rows add nothing


def test_transaction_only_labels_mark_both_accounts() -> None:
    # AMLworld: Is Laundering on a row, no account labels
    lab = _labels([("AMLW-2", "amlworld_laundering", None, "t2", None)])
    y = account_labels(lab, range(1, 7), transactions=TX)
    assert y[y == 1].index.tolist() == [2, 5]


def test_before_keeps_only_scenarios_already_begun() -> None:
    lab = _labels(
        [
            ("S1", "GEN-01", 1, None, True),
            ("S1", "GEN-01", None, "t1", None),
            ("S3", "GEN-01", 3, None, True),
            ("S3", "GEN-01", None, "t3", None),
        ]
    )
    y = account_labels(
        lab, range(1, 7), before=pd.Timestamp("2025-02-01", tz="UTC"), transactions=TX
    )
    assert y[y == 1].index.tolist() == [1]


def test_analyst_dispositions_become_labels() -> None:
    from fiu_analytics.models import with_feedback

    lab = _labels([("S1", "HTSE", 1, None, True)]).assign(source="generator")
    disp = pd.DataFrame(
        {
            "alert_id": ["AL-1", "AL-2"],
            "disposition": ["true_positive", "false_positive"],
            "typology_id": ["TY-FAN-IN", "TY-HTSE"],
            "subject_account_key": [3, 1],
        }
    )
    y = account_labels(with_feedback(lab, disp), range(1, 7), transactions=TX)
    # 3 confirmed by an analyst; 1 judged a false positive outranks its other label
    assert y[y == 1].index.tolist() == [3]
    assert with_feedback(lab, disp.iloc[0:0]) is lab
