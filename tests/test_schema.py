"""The schema module validates frames and reports every failing cell at once."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from fiu_analytics import schema
from fiu_analytics.errors import SchemaError


def _txn(**over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "txn_id": "T1",
        "timestamp": "2025-01-02T10:00:00Z",
        "amount": 100.0,
        "currency": "USD",
        "amount_base": 100.0,
        "channel": "wire",
        "src_account_key": 1,
        "dst_account_key": 2,
        "src_country": "US",
        "dst_country": "SY",
        "batch_id": "b1",
    }
    row.update(over)
    return row


def test_valid_frame_converts_to_canonical_arrow() -> None:
    table = schema.to_arrow(
        pd.DataFrame([_txn(), _txn(txn_id="T2", mcc="5411")]), schema.TRANSACTIONS
    )
    assert table.schema.equals(schema.TRANSACTIONS.arrow_schema, check_metadata=False)
    assert table.column("timestamp").type == pa.timestamp("us", tz="UTC")
    assert table.column("mcc").to_pylist() == [None, "5411"]


def test_every_failing_row_is_reported_at_once() -> None:
    frame = pd.DataFrame(
        [
            _txn(),
            _txn(txn_id="T2", amount=-5.0),
            _txn(txn_id="T3", channel="teleport"),
            _txn(txn_id="T4", currency="usd", src_country="Syria"),
            _txn(txn_id=None, timestamp="not a date"),
        ]
    )
    with pytest.raises(SchemaError) as err:
        schema.validate(frame, schema.TRANSACTIONS, source="reports/x.csv")
    f = err.value.failures
    got = {(r.row, r.field) for r in f.itertuples()}
    assert got == {
        (1, "amount"),
        (2, "channel"),
        (3, "currency"),
        (3, "src_country"),
        (4, "txn_id"),
        (4, "timestamp"),
    }
    msg = str(err.value)
    assert "reports/x.csv" in msg and "teleport" in msg and "6 schema violation" in msg
    assert "not one of" in msg


def test_missing_required_and_unknown_columns_are_errors() -> None:
    frame = pd.DataFrame([_txn()]).drop(columns=["amount"]).assign(colour="red")
    with pytest.raises(SchemaError) as err:
        schema.validate(frame, schema.TRANSACTIONS)
    problems = dict(zip(err.value.failures["field"], err.value.failures["problem"], strict=True))
    assert problems["amount"] == "required column is missing"
    assert problems["colour"].startswith("unknown column")


def test_data_dictionary_lists_every_column_and_is_current() -> None:
    md = schema.data_dictionary_markdown()
    for table in schema.TABLES.values():
        assert f"## {table.name}" in md
        for col in table.columns:
            assert f"`{col.name}`" in md
    from tests.conftest import REPO

    on_disk = (REPO / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert on_disk == md, (
        "docs/data-dictionary.md is stale: run `fiu schema > docs/data-dictionary.md`"
    )
