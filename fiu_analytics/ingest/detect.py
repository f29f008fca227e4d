"""Recognise an input file's format by its content, never by its name.

:func:`sniff_format` reads only the first few kilobytes (gzip-compressed files are decompressed
transparently, recognised by their magic bytes) and returns one of:

``goaml``     XML whose root element is ``report`` (UNODC goAML)
``pacs008``   XML carrying an ISO 20022 pacs.008 ``Document``, with or without a business
              application header (``AppHdr``) or a wrapping envelope
``un_list``   XML whose root element is ``CONSOLIDATED_LIST`` (UN Security Council list)
``amlworld``  delimited text whose header starts ``Timestamp,From Bank,Account,To Bank,Account``
``amlsim``    delimited text whose header holds ``tran_id``, ``orig_acct`` and ``bene_acct``, or
              a folder holding such a ``transactions.csv``
``csv``       any other delimited text with a header row

or ``None`` when it recognises none of them (binary data, unknown XML, free text).

Example::

    >>> sniff_format("HI-Small_Trans.csv")
    'amlworld'
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path
from typing import IO

__all__ = ["FORMATS", "open_binary", "sniff_format"]

FORMATS: tuple[str, ...] = ("goaml", "pacs008", "un_list", "amlworld", "amlsim", "fiu_csv", "csv")
_FIU_CSV_COLUMNS = frozenset(
    {"txn_id", "timestamp", "amount", "currency", "channel", "src_account", "dst_account"}
)
"""Everything :func:`sniff_format` can answer, besides ``None``."""

SNIFF_BYTES = 16 * 1024
"""How much of a file is read to recognise it: enough for an XML prolog, a business
application header and the start of the document, or a CSV header and a few rows."""

_GZIP_MAGIC = b"\x1f\x8b"
_AMLWORLD_HEADER = ("timestamp", "from bank", "account", "to bank", "account")
_AMLSIM_COLUMNS = {"tran_id", "orig_acct", "bene_acct"}
_DELIMITERS = ",;\t|"
_NUMBER = re.compile(r"[-+]?[\d.,:/ ]+")
_PACS008_NS = "urn:iso:std:iso:20022:tech:xsd:pacs.008."
# The prolog before the root element: declaration, comments, processing instructions, DOCTYPE.
_PROLOG = re.compile(
    r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)", re.DOTALL | re.IGNORECASE
)
_ROOT = re.compile(r"\s*<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_MSG_DEF = re.compile(r"<(?:\w+:)?MsgDefIdr>\s*pacs\.008\.", re.IGNORECASE)


def open_binary(path: str | Path) -> IO[bytes]:
    """Open ``path`` for reading bytes, decompressing it on the fly if it is gzip."""
    fh: IO[bytes] = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    try:
        magic = fh.read(2)
        fh.seek(0)
    except OSError:
        fh.close()
        raise
    if magic == _GZIP_MAGIC:
        fh.close()
        return gzip.open(path, "rb")
    return fh


def _head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    with open(path, "rb") as raw:
        magic = raw.read(2)
        raw.seek(0)
        if magic == _GZIP_MAGIC:
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                try:
                    return gz.read(size)
                except (OSError, EOFError):  # truncated or corrupt stream
                    return b""
        return raw.read(size)


def _decode(head: bytes) -> str | None:
    """The text of ``head``, or None if it does not look like text."""
    if b"\x00" in head:
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                return head.decode("utf-16")
            except UnicodeDecodeError:
                return None
        return None
    text = head.decode("utf-8-sig", errors="replace")
    # a cut in the middle of a multi-byte character at the end is not a reason to give up
    bad = text.count("\ufffd")
    return None if bad > max(8, len(text) // 100) else text


def _xml_format(text: str) -> str | None:
    pos = 0
    while True:
        m = _PROLOG.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    root = _ROOT.match(text, pos)
    if not root:
        return None
    name = root.group(2)
    if name == "report":
        return "goaml"
    if name == "CONSOLIDATED_LIST":
        return "un_list"
    if _PACS008_NS in text or _MSG_DEF.search(text):
        return "pacs008"
    return None


def _header_cells(text: str, complete: bool) -> list[str] | None:
    """The header cells if ``text`` reads as delimited text with a header, else None.

    ``complete`` says whether ``text`` is the whole file (else its last line may be cut)."""
    lines = text.splitlines()
    if not complete:
        lines = lines[:-1]
    lines = [ln for ln in lines if ln.strip()][:6]
    if not lines:
        return None
    first = lines[0]
    counts = {d: first.count(d) for d in _DELIMITERS}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        return None
    try:
        rows = list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return None
    cells = [c.strip() for c in rows[0]]
    # a header names its columns: mostly non-empty, short cells that are not numbers
    named = [c for c in cells if c and len(c) <= 80 and not _NUMBER.fullmatch(c)]
    if len(named) < max(2, len(cells) // 2):
        return None
    # the next lines (quoted line breaks aside) have as many fields
    if any(len(r) != len(rows[0]) for r in rows[1:]):
        return None
    return cells


def _csv_format(text: str, complete: bool) -> str | None:
    cells = _header_cells(text, complete)
    if cells is None:
        return None
    low = [c.casefold() for c in cells]
    if tuple(low[:5]) == _AMLWORLD_HEADER:
        return "amlworld"
    if set(low) >= _AMLSIM_COLUMNS:
        return "amlsim"
    if set(low) >= _FIU_CSV_COLUMNS:
        return "fiu_csv"  # this project's own CSV export
    return "csv"


def sniff_format(path: str | Path) -> str | None:
    """The format of the file (or AMLSim output folder) at ``path``, judged by its content.

    Returns one of :data:`FORMATS` or ``None``; reads at most :data:`SNIFF_BYTES` of the file
    (after gzip decompression). Raises :class:`OSError` if the path cannot be read.
    """
    p = Path(path)
    if p.is_dir():
        tx = p / "transactions.csv"
        if tx.is_file() and sniff_format(tx) == "amlsim":
            return "amlsim"
        return None
    head = _head(p)
    text = _decode(head)
    if text is None:
        return None
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return _xml_format(stripped)
    return _csv_format(stripped, complete=len(head) < SNIFF_BYTES)
