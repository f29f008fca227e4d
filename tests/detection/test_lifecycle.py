"""Alert lifecycle: stable ids, statuses across runs, dispositions and suppression."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fiu_analytics.detection import lifecycle as lc
from fiu_analytics.detection.engine import alert_id, case_period
from fiu_analytics.errors import InputFormatError


def _alerts(rows: list[tuple[str, int, float, int]], period: str = "2025-03") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "alert_id": alert_id(t, s, period),
                "typology_id": t,
                "typology_version": "1.0.0",
                "subject_account_key": s,
                "score": sc,
                "evidence_txn_ids": [f"T{i}" for i in range(n)],
                "case_period": period,
            }
            for t, s, sc, n in rows
        ]
    )


def test_case_period_groups_a_month_of_daily_runs() -> None:
    assert case_period(pd.Timestamp("2025-03-02", tz="UTC")) == "2025-03"
    assert case_period(pd.Timestamp("2025-04-01", tz="UTC")) == "2025-03"  # exclusive end
    assert alert_id("TY-A", 1, "2025-03") == alert_id("TY-A", 1, "2025-03")
    assert alert_id("TY-A", 1, "2025-03") != alert_id("TY-A", 1, "2025-04")
    assert alert_id("TY-A", 1, "2025-03") != alert_id("TY-B", 1, "2025-03")


def test_statuses_across_three_runs(tmp_path: Path) -> None:
    t1, t2, t3 = (pd.Timestamp(d, tz="UTC") for d in ("2025-03-10", "2025-03-11", "2025-03-12"))
    run1, reg = lc.reconcile(
        lc.load_register(tmp_path),
        _alerts([("TY-A", 1, 0.7, 3), ("TY-A", 2, 0.6, 4), ("TY-B", 3, 0.9, 5)]),
        t1,
        {"2025-03"},
    )
    assert list(run1["status"]) == ["new", "new", "new"]
    lc.save_register(tmp_path, reg)
    # run 2: subject 1 unchanged, subject 2 has more evidence, subject 3 gone, subject 4 new
    run2, reg = lc.reconcile(
        lc.load_register(tmp_path),
        _alerts([("TY-A", 1, 0.7, 3), ("TY-A", 2, 0.8, 6), ("TY-A", 4, 0.5, 3)]),
        t2,
        {"2025-03"},
    )
    lc.save_register(tmp_path, reg)
    assert dict(zip(run2["subject_account_key"], run2["status"], strict=True)) == {
        1: "unchanged",
        2: "updated",
        4: "new",
    }
    assert (run2.loc[run2["subject_account_key"] == 1, "first_seen"] == t1).all()
    assert (run2["last_seen"] == t2).all()
    saved = lc.load_register(tmp_path).set_index("subject_account_key")
    assert saved.loc[3, "status"] == "closed" and len(saved) == 4
    # run 3 scores another month: March alerts are not closed by it
    _, reg3 = lc.reconcile(
        lc.load_register(tmp_path), _alerts([("TY-A", 1, 0.7, 3)], "2025-04"), t3, {"2025-04"}
    )
    assert (reg3.loc[reg3["case_period"] == "2025-03", "status"] != "closed").sum() == 3


def test_dispositions_suppress_false_positives_and_become_labels(tmp_path: Path) -> None:
    alerts = _alerts([("TY-A", 1, 0.7, 3), ("TY-A", 2, 0.6, 4)])
    _, reg = lc.reconcile(
        lc.load_register(tmp_path), alerts, pd.Timestamp.now(tz="UTC"), {"2025-03"}
    )
    lc.save_register(tmp_path, reg)
    csv = tmp_path / "d.csv"
    csv.write_text(
        f"alert_id,disposition,note\n{alerts.alert_id[0]},false_positive,shop\n"
        f"{alerts.alert_id[1]},True_Positive,\n"
    )
    rows = lc.apply_feedback(tmp_path, lc.read_dispositions(csv), pd.Timestamp.now(tz="UTC"))
    assert set(rows["disposition"]) == {"false_positive", "true_positive"}
    kept, n = lc.suppress(
        _alerts([("TY-A", 1, 0.9, 9), ("TY-A", 2, 0.9, 9), ("TY-B", 1, 0.9, 9)], "2025-04"),
        lc.load_dispositions(tmp_path),
    )
    assert n == 1 and set(zip(kept["typology_id"], kept["subject_account_key"], strict=True)) == {
        ("TY-A", 2),
        ("TY-B", 1),
    }
    labels = lc.dispositions_as_labels(lc.load_dispositions(tmp_path))
    assert dict(zip(labels["account_key"], labels["is_core"], strict=True)) == {1: False, 2: True}
    assert (labels["source"] == "analyst").all()


def test_bad_dispositions_name_file_line_field_and_value(tmp_path: Path) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text("alert_id,disposition\nAL-1,true_positive\nAL-2,maybe\n")
    with pytest.raises(
        InputFormatError,
        match=r"d\.csv at line 3: field 'disposition' value "
        r"'maybe'",
    ):
        lc.read_dispositions(csv)
    csv.write_text("alert,disposition\n")
    with pytest.raises(InputFormatError, match="missing column"):
        lc.read_dispositions(csv)
    csv.write_text("alert_id,disposition\nAL-unknown,escalated\n")
    with pytest.raises(InputFormatError, match="unknown alert id"):
        lc.apply_feedback(tmp_path, lc.read_dispositions(csv), pd.Timestamp.now(tz="UTC"))
