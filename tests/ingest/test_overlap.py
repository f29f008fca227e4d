"""Read-ahead and ordered writes: same items, same order, failures where they happened."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from fiu_analytics import schema
from fiu_analytics.ingest.overlap import OrderedWrites, read_ahead
from fiu_analytics.ingest.pipeline import FileReport, Ingestor
from fiu_analytics.ingest.records import AccountRecord, TxnRecord
from fiu_analytics.store import Store


@pytest.mark.parametrize("batch", [1, 3, 100])
def test_read_ahead_yields_every_item_in_order(batch: int) -> None:
    assert list(read_ahead(iter(range(1000)), depth=2, batch=batch)) == list(range(1000))
    assert list(read_ahead(iter([]), batch=batch)) == []


def test_read_ahead_raises_where_the_producer_failed() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("bad block")

    got = []
    with pytest.raises(ValueError, match="bad block"):
        for x in read_ahead(items()):
            got.append(x)
    assert got == [1, 2]


def test_read_ahead_runs_in_another_thread_and_stops_when_the_consumer_does() -> None:
    threads: set[str] = set()
    closed = threading.Event()

    def items() -> Iterator[int]:
        try:
            for i in range(10_000):
                threads.add(threading.current_thread().name)
                yield i
        finally:
            closed.set()

    gen = read_ahead(items(), depth=1)
    assert next(gen) == 0
    gen.close()  # the consumer gives up early
    assert closed.wait(5)  # the producer was stopped and its source closed
    assert threading.current_thread().name not in threads


def test_read_ahead_never_groups_whole_blocks() -> None:
    # blocks of rows (a columnar reader's chunks) are each a slot of their own: grouping 256
    # of them would parse a whole file before the first block is converted
    produced: list[int] = []

    def blocks() -> Iterator[list[int]]:
        for i in range(20):
            produced.append(i)
            yield [i] * 3

    gen = read_ahead(blocks(), depth=1, batch=256, whole=lambda b: isinstance(b, list))
    assert next(gen) == [0, 0, 0]
    time.sleep(0.2)  # the producer runs ahead as far as the queue lets it
    assert len(produced) <= 3
    assert [b[0] for b in gen] == list(range(1, 20))


def test_ordered_writes_keep_order_bound_the_backlog_and_report_failures() -> None:
    done: list[int] = []
    running = [0]
    most = [0]

    def write(i: int) -> None:
        running[0] += 1
        most[0] = max(most[0], running[0])
        time.sleep(0.001)
        done.append(i)
        running[0] -= 1

    w = OrderedWrites(depth=2)
    for i in range(50):
        w.submit(write, i)
        assert len(w._pending) <= 2
    w.wait()
    w.close()
    assert done == list(range(50)) and most[0] == 1  # one at a time, in order

    def fail(i: int) -> None:
        if i == 3:
            raise OSError("disk full")
        done.append(i)

    done.clear()
    w = OrderedWrites(depth=10)
    for i in range(6):
        w.submit(fail, i)
    with pytest.raises(OSError, match="disk full"):
        w.wait()
    w.close()
    assert done == [0, 1, 2, 4, 5]  # the calls after the failure still ran, in order


def _txn(i: int) -> TxnRecord:
    return TxnRecord(
        "x.src",
        f"rec {i}",
        "BANKA",
        "R1",
        f"T{i}",
        None if i == 3 else datetime(2025, 1, 2),  # no date: quarantined
        10.0,
        "USD",
        "wire",
        AccountRecord("BANKA", "1"),
        AccountRecord("BANKB", "2"),
    )


def test_a_file_failing_after_writes_were_handed_over_adds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fiu_analytics.ingest import pipeline

    monkeypatch.setattr(pipeline, "CHUNK", 2)  # several chunks, so writes are in flight

    def parser(_p: Path) -> Iterator[TxnRecord]:
        for i in range(10):
            yield _txn(i)
        raise RuntimeError("reader broke")

    store = Store(tmp_path / "s")
    ing = Ingestor(store)
    fr = FileReport("x.src", "test")
    with pytest.raises(RuntimeError, match="reader broke"):
        ing._ingest_file(Path("x.src"), parser, fr)
    assert store.batches() == [] and store.read_transactions().empty
    assert not any((tmp_path / "s" / ".staging").glob("*/*"))  # staging cleaned up
    assert fr.stored == fr.quarantined == 0

    # the same records without the failure: stored in order, counts add up
    fr = FileReport("x.src", "test")
    ing._ingest_file(Path("x.src"), lambda _p: iter([_txn(i) for i in range(10)]), fr)
    assert (fr.read, fr.stored, fr.quarantined) == (10, 9, 1)
    assert sorted(store.read(schema.TXN_REPORTS)["txn_ref"]) == sorted(
        f"T{i}" for i in range(10) if i != 3
    )
