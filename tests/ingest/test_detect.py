"""Format sniffing by content: real samples, research headers, gzip, and what is not ours."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from fiu_analytics.ingest.detect import FORMATS, open_binary, sniff_format
from tests.conftest import SHARED_SAMPLES

PROWIDE = SHARED_SAMPLES / "iso20022" / "prowide_pacs.008.001.07.xml"
UN_LIST = SHARED_SAMPLES / "un_sanctions" / "un_consolidated_excerpt_2018-10-29.xml"

AMLWORLD = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering\n"
    "2022/09/01 00:20,010,8000EBD30,010,8000EBD30,3697.34,US Dollar,3697.34,US Dollar,"
    "Reinvestment,0\n"
)
AMLSIM = (
    "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id\n"
    "1,10,11,TRANSFER,120.5,2017-01-01T00:00:00Z,False,-1\n"
)


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_real_samples() -> None:
    assert sniff_format(PROWIDE) == "pacs008"  # <message> wrapper with an AppHdr first
    assert sniff_format(UN_LIST) == "un_list"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '<?xml version="1.0" encoding="UTF-8"?>\n<report><rentity_id>1</rentity_id></report>',
            "goaml",
        ),
        ("<!-- a comment -->\n<report/>", "goaml"),
        (
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.13"><FIToFICstmrCdtTrf/>'
            "</Document>",
            "pacs008",
        ),
        (
            '<Envelope><AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">'
            '<MsgDefIdr>pacs.008.001.08</MsgDefIdr></AppHdr><Document xmlns="urn:iso:std:iso:'
            '20022:tech:xsd:pacs.008.001.08"/></Envelope>',
            "pacs008",
        ),
        ('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.009.001.08"/>', None),
        ('<?xml version="1.0"?><CONSOLIDATED_LIST dateGenerated="x"/>', "un_list"),
        ("<html><body>hello</body></html>", None),
        (AMLWORLD, "amlworld"),
        (AMLWORLD.replace(",", ", "), "amlworld"),
        (AMLSIM, "amlsim"),
        (AMLSIM.upper(), "amlsim"),
        ("date;amount;iban\n2024-01-01;10,5;DE89\n", "csv"),
        ("a\tb\tc\n1\t2\t3\n", "csv"),
        ("Dear analyst, here are the files.\nRegards\n", None),
        ("1,2,3\n4,5,6\n", None),  # no header
        ("", None),
    ],
)
def test_formats_by_content(tmp_path: Path, content: str, expected: str | None) -> None:
    # the name says nothing: every file is called data.bin
    assert sniff_format(_write(tmp_path, "data.bin", content)) == expected
    assert expected is None or expected in FORMATS


def test_binary_is_not_recognised(tmp_path: Path) -> None:
    assert sniff_format(_write(tmp_path, "x.csv", bytes(range(256)) * 10)) is None


def test_gzip_is_read_transparently(tmp_path: Path) -> None:
    gz = _write(tmp_path, "x.csv", gzip.compress(AMLWORLD.encode()))
    assert sniff_format(gz) == "amlworld"
    gz_xml = _write(tmp_path, "y", gzip.compress(PROWIDE.read_bytes()))
    assert sniff_format(gz_xml) == "pacs008"
    with open_binary(gz) as fh:
        assert fh.read().decode() == AMLWORLD


def test_truncated_gzip_is_not_recognised(tmp_path: Path) -> None:
    data = gzip.compress(AMLWORLD.encode() * 50)
    assert sniff_format(_write(tmp_path, "t.gz", data[:12])) is None


def test_amlsim_folder(tmp_path: Path) -> None:
    folder = tmp_path / "sim"
    folder.mkdir()
    assert sniff_format(folder) is None
    _write(folder, "transactions.csv", AMLSIM)
    assert sniff_format(folder) == "amlsim"


def test_only_the_head_is_read(tmp_path: Path) -> None:
    # a huge tail that is not CSV at all does not change the answer
    path = _write(tmp_path, "big.csv", AMLWORLD + "x" * 1_000_000 + "\x00" * 1000)
    assert sniff_format(path) == "amlworld"


def test_bom_and_utf16(tmp_path: Path) -> None:
    assert sniff_format(_write(tmp_path, "a", "\ufeff" + AMLSIM)) == "amlsim"
    assert sniff_format(_write(tmp_path, "b", AMLSIM.encode("utf-16"))) == "amlsim"
