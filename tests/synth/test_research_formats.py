"""A generated world written as AMLworld and AMLSim files reads back through the research
readers with its labels (the path `benchmarks/eval_models.py` takes)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from fiu_analytics import schema
from fiu_analytics.models import account_labels
from fiu_analytics.store import Store
from fiu_analytics.synth.research_formats import write_amlsim, write_amlworld
from pipelines.cli import main


def test_amlworld_round_trip_keeps_every_row_and_label(small_world, tmp_path: Path) -> None:
    store, _ = small_world
    path = write_amlworld(store, tmp_path / "W_Trans.csv")
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:5] == ["Timestamp", "From Bank", "Account", "To Bank", "Account"]
    flagged = sum(r[-1] == "1" for r in rows[1:])
    assert 0 < flagged < len(rows) - 1
    assert main(["ingest", str(path), "--data-dir", str(tmp_path / "s"), "-q"]) == 0
    back = Store(tmp_path / "s")
    tx = back.read(schema.TRANSACTIONS)
    assert len(tx) == len(rows) - 1  # nothing quarantined, nothing merged
    labels = back.read(schema.LABELS)
    assert len(labels) == flagged and labels["account_key"].isna().all()
    y = account_labels(labels, back.read(schema.ACCOUNTS)["account_key"], transactions=tx)
    assert 0 < y.sum() < len(y)


def test_amlsim_folder_reads_back(small_world, tmp_path: Path) -> None:
    store, _ = small_world
    folder = write_amlsim(store, tmp_path / "sim")
    assert main(["ingest", str(folder / "transactions.csv"), "--format", "amlsim",
                 "--data-dir", str(tmp_path / "s"), "-q"]) == 0  # fmt: skip
    back = Store(tmp_path / "s")
    n = len(store.read(schema.TRANSACTIONS))
    assert len(back.read(schema.TRANSACTIONS)) == n
    assert len(back.read(schema.LABELS)) > 0


@pytest.mark.parametrize("fmt", ["amlsim", "amlworld"])
def test_train_and_evaluate_run_unchanged_on_research_data(
    small_world, tmp_path: Path, fmt: str
) -> None:
    """The commands an analyst runs on generated data run as they are on an AMLSim folder
    and on an AMLworld file: ingest, train, evaluate with the model."""
    store, _ = small_world
    if fmt == "amlsim":
        path = write_amlsim(store, tmp_path / "sim") / "transactions.csv"
        flag, yes = "is_sar", "true"
    else:
        path = write_amlworld(store, tmp_path / "W_Trans.csv")
        flag, yes = "Is Laundering", "1"
    data = ["--data-dir", str(tmp_path / "s")]
    assert main(["ingest", str(path), "--format", fmt, *data]) == 0
    assert main(["train", *data, "--models", str(tmp_path / "m")]) == 0
    out = tmp_path / "methods.csv"
    ev = ["evaluate", *data, "--model", str(tmp_path / "m" / "account_risk")]
    assert main([*ev, "--methods-output", str(out)]) == 0
    table = pd.read_csv(out)
    txn = table[table["level"] == "transaction"].set_index("method")
    # research labels are per transaction: every flagged transaction is a positive
    with open(path, encoding="utf-8") as fh:
        sar = sum(r[flag].lower() == yes for r in csv.DictReader(fh))
    assert (txn["positives"] == sar).all() and sar > 0
    acc = table[table["level"] == "account"].set_index("method")
    assert acc.loc["ML", "pr_auc"] > acc.loc["ML", "positives"] / len(
        Store(tmp_path / "s").read(schema.ACCOUNTS)
    )  # better than chance
