"""goAML and pacs.008 parsed in child processes: the same store as parsing in-process."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from fiu_analytics import schema
from fiu_analytics.errors import InputFormatError
from fiu_analytics.ingest import Ingestor
from fiu_analytics.ingest.parse_worker import ParseWorker, RecordGroup, grouped
from fiu_analytics.ingest.records import Rejected, TxnChunk, TxnRecord
from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate
from fiu_analytics.synth.export import export_sinks
from tests.conftest import SHARED_SAMPLES

PACS = SHARED_SAMPLES / "iso20022" / "prowide_pacs.008.001.07.xml"
TABLES = (
    schema.TRANSACTIONS,
    schema.TXN_REPORTS,
    schema.ACCOUNTS,
    schema.PARTIES,
    schema.PARTY_MATCHES,
    schema.QUARANTINE,
)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A generated world's goAML files, with a malformed report, a CSV and a pacs.008 among
    them (so that files the parse processes do not read, and one that fails, interleave)."""
    root = tmp_path_factory.mktemp("gen")
    sinks, close = export_sinks(root / "reports", ["goaml"])
    generate(
        SynthConfig(seed=8, n_persons=200, days=45, scenarios_per_typology=0),
        Store(root / "truth"),
        sinks=sinks,
    )
    close()
    files = sorted((root / "reports" / "goaml").rglob("*.xml"))
    broken = root / "broken.xml"
    broken.write_text("<report><rentity_id>1</rentity_id><transaction><transactionnumber>")
    csv = root / "one.csv"
    csv.write_text(
        "txn_id,timestamp,amount,currency,channel,src_account,dst_account,reporter_id\n"
        "A1,2025-01-03T10:00:00Z,1,USD,wire,B/1,B/2,B\n"
    )
    return [*files[:3], broken, csv, PACS, *files[3:]]


def _tables(store: Store) -> dict[str, pd.DataFrame]:
    out = {}
    for t in TABLES:
        df = store.read(t).drop(columns=["batch_id"], errors="ignore")
        out[t] = df.sort_values(list(df.columns)[:4]).reset_index(drop=True)
    return out


def test_parse_processes_store_exactly_what_in_process_parsing_stores(
    reports: list[Path], tmp_path: Path
) -> None:
    runs = {}
    for mode in (False, True):
        store = Store(tmp_path / f"s-{mode}")
        rep = Ingestor(store, parse_process=mode).ingest(reports)
        runs[mode] = (store, rep)
    (a, rep_a), (b, rep_b) = runs[False], runs[True]
    assert rep_a.table().drop(columns="batch_id").equals(rep_b.table().drop(columns="batch_id"))
    errors = {Path(f.path).name: f.error for f in rep_b.files if f.error}
    assert set(errors) == {"broken.xml"} and "line" in errors["broken.xml"]
    assert sum(f.stored for f in rep_b.files) > 1000
    ta, tb = _tables(a), _tables(b)
    for t in TABLES:
        pd.testing.assert_frame_equal(ta[t], tb[t], obj=t)


def test_a_file_that_fails_in_a_parse_process_fails_alone(
    reports: list[Path], tmp_path: Path
) -> None:
    files = [reports[0], reports[3], reports[1]]  # good, broken, good
    store = Store(tmp_path / "s")
    rep = Ingestor(store, parse_process=True).ingest(files)
    assert [f.error is None for f in rep.files] == [True, False, True]
    bad = rep.files[1].error
    assert "broken.xml" in bad and "not well-formed XML" in bad and "line 1" in bad
    assert len(store.batches()) == 2


def test_grouped_keeps_order_and_size() -> None:
    from datetime import UTC, datetime

    from fiu_analytics.ingest.records import AccountRecord

    a = AccountRecord(institution="B", number="1")

    def txn(i: int) -> TxnRecord:
        return TxnRecord(
            source_file="f",
            locator=f"r{i}",
            reporter_id="B",
            report_id="R",
            txn_ref=f"T{i}",
            timestamp=datetime(2025, 1, 1, tzinfo=UTC),
            amount=float(i),
            currency="USD",
            channel="wire",
            src=a,
            dst=a,
        )

    items = [txn(0), Rejected("f", "r1", "x", None, "bad"), txn(2), txn(3), txn(4)]
    groups = list(grouped(items, "f", 3))
    assert [len(g) for g in groups] == [3, 2]
    assert all(isinstance(g, RecordGroup) for g in groups)
    first, second = groups
    assert first.chunk is not None and list(first.chunk.amount) == [0.0, 2.0]
    assert [r.locator for r in first.others] == ["r1"]
    assert second.chunk is not None and second.chunk.locator.to_pylist() == ["r3", "r4"]
    # a columnar reader's chunk passes through, after the records before it
    chunk = groups[1].chunk
    assert isinstance(chunk, TxnChunk)
    out = list(grouped([txn(9), chunk], "f", 100))
    assert isinstance(out[0], RecordGroup) and out[1] is chunk


def test_skipping_and_closing_early_cancel_the_rest(reports: list[Path]) -> None:
    goaml = sorted(
        (p for p in reports if p.parent.parent.name == "goaml"), key=lambda p: -p.stat().st_size
    )
    files = [(p, "goaml", None) for p in goaml[:4]]
    with ParseWorker(files, size=20, processes=2) as w:
        it = w.items(goaml[0])
        assert isinstance(next(it), RecordGroup)
        # the child parses on while the ingest is busy: groups wait in the ingest's queue
        child = w.children[w.owner[0]]
        deadline = time.monotonic() + 20
        while child.inbox.qsize() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.inbox.qsize() >= 2
        it.close()  # the rest of file 0 is cancelled and drained
        assert not w.handles(goaml[0])
        # file 1 is skipped: asking for file 2 cancels it
        got = list(w.items(goaml[2]))
        assert len(got) >= 2 and all(len(g) <= 20 for g in got)
        assert not w.handles(goaml[1])
        assert sum(len(g) for g in w.items(goaml[3])) > 0


def test_a_parse_process_that_dies_is_an_error_not_a_hang(reports: list[Path]) -> None:
    goaml = [p for p in reports if p.parent.parent.name == "goaml"]
    with ParseWorker([(goaml[0], "goaml", None)], size=10) as w:
        it = w.items(goaml[0])
        next(it)
        w.children[0].proc.kill()
        with pytest.raises(RuntimeError, match="parse process ended unexpectedly"):
            for _ in it:
                pass


def test_input_errors_survive_the_process_boundary() -> None:
    exc = InputFormatError("a.xml", "not well-formed XML: oops", "line 3, column 1")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is InputFormatError and str(back) == str(exc)
    assert (back.path, back.message, back.position) == ("a.xml", exc.message, exc.position)


def test_a_script_without_a_main_guard_ingests_with_parse_processes(
    reports: list[Path], tmp_path: Path
) -> None:
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            from fiu_analytics.ingest import Ingestor
            from fiu_analytics.store import Store
            rep = Ingestor(Store(Path({str(tmp_path / "s")!r})), parse_process=True).ingest(
                [Path({str(reports[0])!r}), Path({str(reports[1])!r})])
            print(rep.ok, sum(f.stored for f in rep.files))
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    ok, stored = out.stdout.split()
    assert ok == "True" and int(stored) > 0
