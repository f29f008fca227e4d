"""Fuzzing the readers: damaged input is read or refused with our own error, never a crash.

Each reader gets valid sample files mutated by hypothesis (bytes flipped, the file cut short,
elements or lines deleted or repeated, field values replaced by random text). Every run must
either succeed, with the ingest counts adding up (read = stored + quarantined + duplicates),
or raise :class:`~fiu_analytics.errors.FiuError` naming the file. Any other exception fails.

The normal test run tries ``FIU_FUZZ_EXAMPLES`` (default 40) mutations per reader; a longer
hunt is ``FIU_FUZZ_EXAMPLES=2000 pytest tests/ingest/test_fuzz.py``.
"""

from __future__ import annotations

import copy
import gzip
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from fiu_analytics.errors import FiuError
from fiu_analytics.ingest import Ingestor
from fiu_analytics.ingest.goaml import parse_goaml
from fiu_analytics.ingest.pacs008 import parse_pacs008
from fiu_analytics.ingest.pipeline import FileReport
from fiu_analytics.ingest.tabular import CsvMapping, parse_csv
from fiu_analytics.ingest.tabular_fast import read_csv_chunks
from fiu_analytics.ingest.un_list import read_un_list
from fiu_analytics.store import Store
from tests.conftest import REPO, SHARED_SAMPLES

EXAMPLES = int(os.environ.get("FIU_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 100,  # the normal run is reproducible; long hunts explore
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# -- samples --------------------------------------------------------------------------------


def _small_goaml() -> bytes:
    """The sample CTR report cut to its header and first four transactions."""
    raw = gzip.decompress(
        (REPO / "sample_data/reports/goaml/BNK01/2025-01-CTR.xml.gz").read_bytes()
    )
    root = etree.fromstring(raw)
    txns = [el for el in root if el.tag == "transaction"]
    for el in txns[4:]:
        root.remove(el)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


SAMPLES: dict[str, bytes] = {
    "goaml": _small_goaml(),
    "goaml_activity": gzip.decompress(
        (REPO / "sample_data/reports/goaml/BNK01/activity-SAR.xml.gz").read_bytes()
    ),
    "pacs008": (SHARED_SAMPLES / "iso20022" / "prowide_pacs.008.001.07.xml").read_bytes(),
    "un_list": (SHARED_SAMPLES / "un_sanctions" / "un_consolidated_excerpt_2018-10-29.xml")
    .read_bytes()
    .replace(b"\r\n", b"\n"),
    "csv": b"\n".join(
        gzip.decompress((REPO / "sample_data/reports/transactions.csv.gz").read_bytes()).split(
            b"\n"
        )[:25]
    )
    + b"\n",
    "amlworld": (
        b"Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
        b"Amount Paid,Payment Currency,Payment Format,Is Laundering\n"
        b"2022/09/01 00:20,010,8000EBD30,010,8000EBD30,3697.34,US Dollar,3697.34,US Dollar,"
        b"Reinvestment,0\n"
        b"2022/09/01 00:02,0134266,80F5A0A20,0208,80DCE5B60,1000.00,Euro,1100.20,US Dollar,"
        b"ACH,1\n"
        b"2022/09/02 10:11,0211,8A1,0070,8B2,0.004,Bitcoin,0.004,Bitcoin,Bitcoin,0\n"
    ),
}


# -- mutations ------------------------------------------------------------------------------


@st.composite
def _bytes_mutation(draw: st.DrawFn, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["flip", "truncate", "splice"]))
    buf = bytearray(data)
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(buf) - 1))
            buf[i] ^= draw(st.integers(1, 255))
    elif kind == "truncate":
        del buf[draw(st.integers(0, len(buf) - 1)) :]
    else:
        i = draw(st.integers(0, len(buf)))
        buf[i:i] = draw(st.binary(min_size=1, max_size=40))
    return bytes(buf)


@st.composite
def _xml_mutation(draw: st.DrawFn, data: bytes) -> bytes:
    root = etree.fromstring(data)
    elements = list(root.iter())
    el = elements[draw(st.integers(0, len(elements) - 1))]
    kind = draw(st.sampled_from(["delete", "duplicate", "text", "text"]))
    parent = el.getparent()
    if kind == "delete" and parent is not None:
        parent.remove(el)
    elif kind == "duplicate" and parent is not None:
        parent.insert(parent.index(el), copy.deepcopy(el))
    else:
        el.text = draw(
            st.one_of(
                st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30),
                st.sampled_from(["", "-1", "1e400", "0001-01-01", "9999-12-31T23:59:59", "NaN"]),
            )
        )
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


@st.composite
def _csv_mutation(draw: st.DrawFn, data: bytes) -> bytes:
    lines = data.decode("utf-8").split("\n")
    kind = draw(st.sampled_from(["cell", "cell", "delete", "duplicate"]))
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    else:
        cells = lines[i].split(",")
        j = draw(st.integers(0, len(cells) - 1))
        cells[j] = draw(
            st.one_of(
                st.text(max_size=20),
                st.sampled_from(['"', '""', '"a\nb"', "-0", "inf", "1e999", "2025-02-30", ""]),
            )
        )
        lines[i] = ",".join(cells)
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def mutations(sample: str) -> st.SearchStrategy[bytes]:
    data = SAMPLES[sample]
    structured = _csv_mutation(data) if sample in ("csv", "amlworld") else _xml_mutation(data)
    return st.one_of(_bytes_mutation(data), structured)


# -- the contract ---------------------------------------------------------------------------


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def _read_or_refuse(path: Path, read: Callable[[Path], Any]) -> Any:
    """The reader's output, or None when it refused the file with our own error."""
    try:
        out = read(path)
        return list(out) if not isinstance(out, tuple) else out
    except FiuError as exc:
        assert str(path) in str(exc), f"error does not name the file: {exc}"
        return None


def _ingest_balanced(tmp: Path, path: Path, parse: Callable[[Path], Any]) -> None:
    """Ingest through the pipeline: committed with counts that add up, or refused."""
    store = Store(tmp / "store")
    fr = FileReport(str(path), "fuzz")
    try:
        Ingestor(store)._ingest_file(path, parse, fr)
    except FiuError as exc:
        assert str(path) in str(exc), f"error does not name the file: {exc}"
        assert len(store.batches()) == 0  # nothing of a refused file is stored
        return
    assert fr.balanced, fr
    (batch,) = store.batches()
    counts = batch["counts"]
    assert counts["read"] == counts["stored"] + counts["quarantined"] + counts["duplicates"]


@FUZZ
@given(data=st.one_of(mutations("goaml"), mutations("goaml_activity")))
def test_goaml_survives_damage(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("goaml")
    path = _write(tmp, "r.xml", data)
    if _read_or_refuse(path, parse_goaml) is not None:
        _ingest_balanced(tmp, path, parse_goaml)


@FUZZ
@given(data=mutations("pacs008"))
def test_pacs008_survives_damage(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("pacs")
    path = _write(tmp, "p.xml", data)
    if _read_or_refuse(path, parse_pacs008) is not None:
        _ingest_balanced(tmp, path, parse_pacs008)


@FUZZ
@given(data=st.one_of(mutations("csv"), mutations("amlworld")), which=st.booleans())
def test_csv_survives_damage(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, which: bool
) -> None:
    tmp = tmp_path_factory.mktemp("csv")
    mapping = CsvMapping.load("fiu_csv" if which else "amlworld")
    path = _write(tmp, "t.csv", data)
    if _read_or_refuse(path, lambda p: parse_csv(p, mapping)) is not None:
        _ingest_balanced(tmp, path, lambda p: read_csv_chunks(p, mapping))
    else:  # the columnar reader refuses what the record reader refuses
        assert _read_or_refuse(path, lambda p: read_csv_chunks(p, mapping)) is None


@FUZZ
@given(data=mutations("un_list"))
def test_un_list_survives_damage(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("un")
    path = _write(tmp, "l.xml", data)
    got = _read_or_refuse(path, read_un_list)
    if got is not None:
        frame, warnings = got
        assert isinstance(warnings, list)
        rep = Ingestor(Store(tmp / "store")).ingest([path], fmt="un_list")
        (f,) = rep.files
        assert f.error is None and f.balanced, f
        assert f.read == len(frame)


def test_samples_are_valid(tmp_path: Path) -> None:
    """The unmutated samples read cleanly, so the fuzzing starts from valid input."""
    for name, parse in (
        ("goaml", parse_goaml),
        ("goaml_activity", parse_goaml),
        ("pacs008", parse_pacs008),
        ("csv", lambda p: parse_csv(p, "fiu_csv")),
        ("amlworld", lambda p: parse_csv(p, "amlworld")),
    ):
        path = _write(tmp_path, name, SAMPLES[name])
        records = list(parse(path))
        assert records and not any(type(r).__name__ == "Rejected" for r in records), name
    frame, _ = read_un_list(_write(tmp_path, "un.xml", SAMPLES["un_list"]))
    assert len(frame) > 10
