"""The columnar CSV reader stores exactly what the record reader would have stored."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fiu_analytics.ingest import tabular_fast
from fiu_analytics.ingest.pipeline import FileReport, Ingestor
from fiu_analytics.ingest.records import TxnChunk
from fiu_analytics.ingest.tabular import CsvMapping, parse_csv
from fiu_analytics.ingest.tabular_fast import read_csv_chunks
from fiu_analytics.store import Store
from tests.ingest.test_tabular import AMLWORLD_HEADER, _amlworld, _mapping

TABLES = ("transactions", "txn_reports", "quarantine", "accounts", "parties", "labels")


def _store(tmp: Path, path: Path, m: CsvMapping, reader: Callable) -> tuple[tuple, dict]:
    store = Store(tmp)
    fr = FileReport(str(path), "csv")
    Ingestor(store)._ingest_file(path, lambda p: reader(p, m), fr)
    tables = {}
    for t in TABLES:
        df = store.read(t).drop(columns=["batch_id"]).astype(str)
        tables[t] = df.sort_values(list(df.columns)).reset_index(drop=True)
    return (fr.read, fr.stored, fr.quarantined, fr.duplicates, fr.linked_reports), tables


def assert_same_as_record_reader(tmp: Path, path: Path, m: CsvMapping) -> tuple:
    counts, slow = _store(tmp / "slow", path, m, parse_csv)
    fast_counts, fast = _store(tmp / "fast", path, m, read_csv_chunks)
    assert fast_counts == counts
    for t in TABLES:
        pd.testing.assert_frame_equal(fast[t], slow[t], obj=t)
    return counts


def test_amlworld_labels_and_rejections(tmp_path: Path) -> None:
    counts = assert_same_as_record_reader(
        tmp_path, _amlworld(tmp_path), CsvMapping.load("amlworld")
    )
    assert counts[:3] == (6, 5, 1)  # four transactions and a label stored, a bad date


def test_amlworld_bad_cells(tmp_path: Path) -> None:
    path = tmp_path / "aw.csv"
    path.write_text(
        AMLWORLD_HEADER + "\n2022/09/01 00:20,1,A,2,B,1,Euro,-3,Dinar,Telegraph,maybe\n"
        "2022/09/01 00:21,1,A,2,B,1,Euro,3,Euro,Wire,0\n"
    )
    assert assert_same_as_record_reader(tmp_path, path, CsvMapping.load("amlworld"))[:3] == (
        2,
        1,
        1,
    )


def test_european_export_cp1252_and_local_time(tmp_path: Path) -> None:
    header = (
        "Booking ID;Booked at;Amount;Ccy;Type;Our account;Holder;Holder type;Counterparty bank;"
        "Counterparty account;Counterparty name;Counterparty country;Reference;MCC;Alert case"
    )
    rows = [
        "B1;31.03.2024 14:05;1.234,56;Euro;SEPA;4711;Müller GmbH;company;COBADEFFXXX;"
        "DE89 3704 0044 0532 0130 00;Anna Schmidt;de;Miete März;;",
        "B2;01.04.2024 09:00;50,00;€;Card;4711;Hans Müller;;;;Café Zentral;DE;;5812;CASE-9",
        "B3;01.04.2024 09:00;50,00;EUR;Telepathy;4711;Hans Müller;;;;;;;;",
        # a daylight-saving fold and gap in Europe/Berlin: left to the record reader
        "B4;27.10.2024 02:30;10,00;EUR;SEPA;4711;Hans Müller;;;;;;;;",
        "B5;31.03.2024 02:30;10,00;EUR;SEPA;4711;Hans Müller;;;;;;;;",
    ]
    path = tmp_path / "export.csv"
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("cp1252"))
    counts = assert_same_as_record_reader(tmp_path, path, CsvMapping.load("example"))
    assert counts[0] == 6


def test_physical_lines_blank_lines_field_counts_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(
        b"id,ts,amt,from,to,memo\n"
        b"1,2024-01-01,10,A,B,plain\n"
        b"\n"
        b'2,2024-01-02,20,A,B,"two\nline memo"\n'
        b"3,2024-01-03,30,A,B\n"
        b"4,2024-01-04,40,A,B,caf\xe9\n"
        b"5,2024-01-05,50,A,B,ok,,\n"
        b"6,2024-01-06,60,A,B,ok\n"
        b"7,2024-01-07T10:00:00+02:00,70,A,B,\x1ctrimmed by the record reader\x1c\n"
    )
    counts = assert_same_as_record_reader(tmp_path, path, _mapping(narrative="memo"))
    assert counts[:3] == (7, 5, 2)


def test_headerless_and_gzip(tmp_path: Path) -> None:
    fields = {
        "timestamp": {"position": 2},
        "amount": {"position": 3},
        "currency": {"constant": "USD"},
        "channel": {"constant": "cash_deposit"},
        "src_account": {"position": 1},
        "dst_account": {"position": 1},
    }
    m = CsvMapping.from_dict({"header": False, "fields": fields}, "h.yaml")
    path = tmp_path / "h.csv.gz"
    path.write_bytes(gzip.compress(b"A1,2024-01-01,5,extra\nA2,2024-01-02,6\nA3\n"))
    assert assert_same_as_record_reader(tmp_path, path, m)[:3] == (3, 2, 1)


def test_plain_blocks_are_read_by_arrow(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    rows = [f"T{i},2025-01-0{1 + i % 9}T10:00:00Z,{i}.5,B/{i % 3},B/9" for i in range(50)]
    path.write_text("id,ts,amt,from,to\n" + "\n".join(rows) + "\n")
    items = list(read_csv_chunks(path, _mapping()))
    assert len(items) == 1 and isinstance(items[0], TxnChunk) and len(items[0]) == 50
    assert items[0].locator[0].as_py() == "line 2" and items[0].locator[49].as_py() == "line 51"


_CELL = st.sampled_from(
    [
        "2024-01-05T10:00:00Z",
        "2024-01-05",
        "2024-02-30",
        "",
        " 12.50 ",
        "-1",
        "1e3",
        "abc",
        "A",
        '"quoted, with comma"',
        '"two\nlines"',
        "x,y",
        "\u00e9",
        "B/7",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(_CELL, min_size=4, max_size=6), max_size=30),
    blank=st.booleans(),
    block=st.sampled_from([64, 200, 1 << 20]),
)
def test_any_file_reads_the_same(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], blank: bool, block: int
) -> None:
    tmp = tmp_path_factory.mktemp("eq")
    lines = ["id,ts,amt,from,to"]
    for i, cells in enumerate(rows):
        lines.append(",".join([f"R{i}", *cells]))
        if blank and i % 7 == 3:
            lines.append("")
    path = tmp / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    old = tabular_fast.BLOCK_BYTES
    tabular_fast.BLOCK_BYTES = block
    try:
        assert_same_as_record_reader(tmp, path, _mapping())
    finally:
        tabular_fast.BLOCK_BYTES = old


def test_implausible_years_are_quarantined_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "aw.csv"
    path.write_text(
        AMLWORLD_HEADER + "\n1850/09/01 00:20,1,A,2,B,3,Euro,3,Euro,Wire,0\n"
        "9999/09/01 00:21,1,A,2,B,3,Euro,3,Euro,Wire,0\n"
        "2022/09/01 00:22,1,A,2,B,3,Euro,3,Euro,Wire,0\n"
    )
    counts = assert_same_as_record_reader(tmp_path, path, CsvMapping.load("amlworld"))
    assert counts[:3] == (3, 1, 2)
    q = Store(tmp_path / "fast").read("quarantine")
    assert set(q["field"]) == {"timestamp"}
    assert q["reason"].str.contains("outside 1900-2099").all()
    assert sorted(q["value"].str[:4]) == ["1850", "9999"]


def test_header_found_beyond_the_first_bytes(tmp_path: Path) -> None:
    # the header is read from a prefix of the first block; a header that does not fit in it
    # (after many blank lines, with a quoted line break near the cut, or very long) still
    # reads the same as with the record reader
    rows = "\n".join(
        f"T{i},2025-01-0{1 + i % 9}T10:00:00Z,{i}.5,USD,wire,B/{i},B/{i + 1},BNK1"
        for i in range(50)
    )
    pad = tabular_fast._HEADER_PREFIX
    cases = {
        "blank_lines": "\n" * (pad + 10)
        + "txn_id,timestamp,amount,currency,channel,src,dst,reporter\n",
        "quoted_break": "\n" * (pad - 50)  # the cut falls inside the quoted name
        + 'txn_id,timestamp,amount,currency,channel,src,"d\ns\nt",reporter\n',
        "long": "txn_id,timestamp,amount,currency,channel,src,dst," + '"' + "r" * (2 * pad) + '"\n',
    }
    for name, header in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(header + rows + "\n", encoding="utf-8")
        cols = header.strip("\n").split(",")
        mapping = CsvMapping.from_dict(
            {
                "name": "t",
                "timestamp_format": "ISO8601",
                "fields": {
                    "txn_ref": "txn_id",
                    "timestamp": "timestamp",
                    "amount": "amount",
                    "currency": "currency",
                    "channel": "channel",
                    "src_account_id": "src",
                    "dst_account_id": cols[6].strip('"'),
                    "reporter_id": cols[7].strip('"'),
                },
            }
        )
        counts = assert_same_as_record_reader(tmp_path / name, path, mapping)
        assert counts[:2] == (50, 50), name
