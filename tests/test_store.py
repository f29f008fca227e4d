"""The store writes batches atomically and reads only the partitions a range needs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fiu_analytics import schema
from fiu_analytics.errors import StoreError
from fiu_analytics.store import Store


def _txns(days: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "txn_id": [f"T{i}" for i in range(len(days))],
            "timestamp": pd.to_datetime(days, utc=True, format="ISO8601"),
            "amount": 10.0,
            "currency": "USD",
            "amount_base": 10.0,
            "channel": "wire",
            "src_account_key": 1,
            "dst_account_key": 2,
        }
    )


def test_month_partitions_and_range_read(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    with store.batch("test") as b:
        b.write(
            schema.TRANSACTIONS,
            _txns(["2025-01-05", "2025-01-31T23:59:59", "2025-02-01", "2025-03-15", "2025-04-01"]),
        )
    months = sorted(p.parent.name for p in store.files(schema.TRANSACTIONS))
    assert months == ["month=2025-01", "month=2025-02", "month=2025-03", "month=2025-04"]
    feb_mar = store.files(schema.TRANSACTIONS, "2025-02-01", "2025-04-01")
    assert sorted(p.parent.name for p in feb_mar) == ["month=2025-02", "month=2025-03"]
    got = store.read_transactions("2025-01-31", "2025-03-01")
    assert list(got["txn_id"]) == ["T1", "T2"]
    assert str(got["timestamp"].dt.tz) == "UTC"


def test_scan_yields_every_committed_row_in_bounded_batches(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    assert list(store.scan(schema.TRANSACTIONS, ["txn_id"])) == []
    days = [f"2025-0{1 + i % 3}-1{i % 9}" for i in range(50)]
    for part in (days[:20], days[20:]):
        with store.batch("test") as b:
            b.write(
                schema.TRANSACTIONS,
                _txns(part).assign(txn_id=lambda d, p=part: [f"{p[0]}-{i}" for i in range(len(d))]),
            )
    batches = list(store.scan(schema.TRANSACTIONS, ["txn_id", "amount"], batch_rows=7))
    assert all(b.num_rows <= 7 for b in batches) and batches[0].schema.names == ["txn_id", "amount"]
    got = sorted(x for b in batches for x in b.column("txn_id").to_pylist())
    assert got == sorted(store.read_transactions()["txn_id"])


def test_partition_pruning_never_opens_other_months(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    with store.batch("test") as b:
        b.write(schema.TRANSACTIONS, _txns(["2025-01-05", "2025-02-10", "2025-03-15"]))
    # corrupt January: a read of February must not touch it
    (jan,) = store.files(schema.TRANSACTIONS, "2025-01-01", "2025-02-01")
    jan.write_bytes(b"not parquet")
    assert list(store.read_transactions("2025-02-01", "2025-03-01")["txn_id"]) == ["T1"]
    with pytest.raises(Exception, match=r"(?i)parquet|magic|invalid"):
        store.read_transactions("2025-01-01", "2025-03-01")


def test_failed_batch_leaves_previous_state_readable(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    with store.batch("first") as b:
        b.write(schema.TRANSACTIONS, _txns(["2025-01-05"]))
    with pytest.raises(RuntimeError), store.batch("second") as b:
        b.write(schema.TRANSACTIONS, _txns(["2025-01-06", "2025-02-01"]))
        raise RuntimeError("crash mid-batch")
    assert len(store.batches()) == 1
    assert len(store.read_transactions()) == 1
    assert not list((tmp_path / "s" / ".staging").glob("*/**/*.parquet"))


def test_crash_between_file_move_and_manifest_is_invisible(tmp_path: Path, monkeypatch) -> None:
    store = Store(tmp_path / "s")
    with store.batch("first") as b:
        b.write(schema.TRANSACTIONS, _txns(["2025-01-05"]))
    import fiu_analytics.store as store_mod

    def die(path: Path, text: str) -> None:
        raise OSError("power cut before the manifest was replaced")

    monkeypatch.setattr(store_mod, "_fsync_write", die)
    with pytest.raises(OSError), store.batch("second") as b:
        b.write(schema.TRANSACTIONS, _txns(["2025-01-06", "2025-01-07"]))
    monkeypatch.undo()
    # files were moved into tables/ but the manifest does not list them: still one row
    assert len(list((tmp_path / "s" / "tables").rglob("*.parquet"))) == 2
    assert len(store.read_transactions()) == 1
    removed = store.vacuum()
    assert len(removed) == 1 and len(store.read_transactions()) == 1


def test_manifest_records_rows_and_is_valid_json(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    with store.batch("gen") as b:
        b.write(schema.TRANSACTIONS, _txns(["2025-01-05", "2025-02-05"]))
        b.counts = {"stored": 2, "quarantined": 0, "duplicates": 0}
    m = json.loads((tmp_path / "s" / "manifest.json").read_text())
    (batch,) = m["batches"]
    assert batch["rows"] == {"transactions": 2}
    assert batch["counts"]["stored"] == 2
    assert (tmp_path / "s").stat().st_mode & 0o077 == 0


def test_corrupt_manifest_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "manifest.json").write_text("{oops")
    with pytest.raises(StoreError, match=r"manifest\.json: manifest is not valid JSON"):
        Store(tmp_path / "s").batches()


def test_invalid_rows_are_rejected_before_anything_is_written(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    bad = _txns(["2025-01-05"]).assign(channel="teleport")
    with pytest.raises(Exception, match="teleport"), store.batch("bad") as b:
        b.write(schema.TRANSACTIONS, bad)
    assert store.batches() == []
