"""Reader for the UN Security Council Consolidated List XML (the ``designations`` table).

The list is streamed with :func:`lxml.etree.iterparse` under a hardened parser: no entity
expansion, no DTD loading, no network, no huge-tree mode. A document that declares entities
(billion laughs, external entities such as ``file:///etc/passwd``) is refused before any of
them could be used. Each ``INDIVIDUAL`` and ``ENTITY`` element is turned into one row per name
and cleared as soon as it has been read, so memory stays flat on the full list.

Known traps of the real file (see ``shared/samples/ORIGIN.md``) are handled here: empty alias
placeholders are skipped, several and year-only dates of birth are kept, stray spaces and line
breaks inside names are collapsed, entity aliases graded ``a.k.a.`` are recorded as ``Good``
(the list does not grade entity aliases), listing dates carrying a time-zone suffix
(``2015-03-27-04:00``) are cut to the date, and records that do not validate against the XSD
are read anyway (validation only adds warnings).

Example::

    >>> frame, warnings = read_un_list("consolidated.xml")
    >>> frame.loc[frame["reference_number"] == "QDe.115", ["name", "name_kind"]]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from lxml import etree

from fiu_analytics import schema
from fiu_analytics.errors import InputFormatError
from fiu_analytics.ingest.xml_safety import parser_options, refuse_dtd, syntax_error

__all__ = ["DESIGNATIONS_COLUMNS", "read_un_list"]

_TABLE = schema.Table(
    name=schema.DESIGNATIONS.name,
    description=schema.DESIGNATIONS.description,
    columns=tuple(c for c in schema.DESIGNATIONS.columns if c.name != "batch_id"),
    key=schema.DESIGNATIONS.key,
)
DESIGNATIONS_COLUMNS: list[str] = _TABLE.names
"""Columns of the frame :func:`read_un_list` returns: ``schema.DESIGNATIONS`` minus
``batch_id`` (the store adds it when the frame is written)."""

_RECORD_TAGS = {"INDIVIDUAL": "individual", "ENTITY": "entity"}
_NAME_TAGS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
# QUALITY values on the list and what the designations table records for them.
_QUALITY = {"good": "Good", "low": "Low", "a.k.a.": "Good", "aka": "Good", "f.k.a.": "Good"}
_WS = re.compile(r"\s+")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_YEAR = re.compile(r"\b(1[89]\d{2}|20\d{2})\b")


def _parser_options() -> dict[str, object]:
    """Options of every parse of a list file: nothing is expanded, loaded or fetched."""
    return parser_options()


def _clean(text: str | None) -> str:
    """Whitespace collapsed and trimmed (names on the list carry stray spaces and newlines)."""
    return _WS.sub(" ", text).strip() if text else ""


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


@dataclass
class _Record:
    """Fields of one list record, gathered from its element."""

    line: int
    record_type: str
    fields: dict[str, str] = field(default_factory=dict)
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (name, raw quality)
    births: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)


def _children(el: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    for child in el:
        name = _local(child.tag)
        if name:
            yield name, child


def _text_of(el: etree._Element, tag: str) -> str:
    for name, child in _children(el):
        if name == tag:
            return _clean(child.text)
    return ""


def _birth_dates(el: etree._Element) -> list[str]:
    """'YYYY-MM-DD', 'YYYY' or 'YYYY-YYYY' from one INDIVIDUAL_DATE_OF_BIRTH element."""
    date = _text_of(el, "DATE")
    year = _text_of(el, "YEAR")
    lo, hi = _text_of(el, "FROM_YEAR"), _text_of(el, "TO_YEAR")
    m = _DATE.match(date)
    if m:
        return [m.group(1)]
    if lo and hi:
        return [f"{lo}-{hi}"]
    if year or lo or hi:
        return [year or lo or hi]
    # only a NOTE such as "August 1961": keep its year
    return _YEAR.findall(_text_of(el, "NOTE"))


def _document(el: etree._Element) -> str | None:
    kind = _text_of(el, "TYPE_OF_DOCUMENT").rstrip(":").replace(":", " ").strip()
    number = _text_of(el, "NUMBER").replace(";", ",")
    if not number:
        return None
    return f"{kind or 'Document'}:{number}"


def _read_record(el: etree._Element, record_type: str) -> _Record:
    rec = _Record(line=el.sourceline or 0, record_type=record_type)
    for name, child in _children(el):
        if name in ("INDIVIDUAL_ALIAS", "ENTITY_ALIAS"):
            alias = _text_of(child, "ALIAS_NAME")
            if alias:  # the real list carries empty alias placeholders
                rec.aliases.append((alias, _text_of(child, "QUALITY")))
        elif name == "INDIVIDUAL_DATE_OF_BIRTH":
            rec.births.extend(_birth_dates(child))
        elif name == "NATIONALITY":
            rec.nationalities.extend(
                _clean(v.text) for n, v in _children(child) if n == "VALUE" and _clean(v.text)
            )
        elif name == "INDIVIDUAL_DOCUMENT":
            doc = _document(child)
            if doc:
                rec.documents.append(doc)
        elif len(child) == 0:
            rec.fields[name] = _clean(child.text)
    return rec


def _rows(rec: _Record, path: str, warnings: list[str]) -> list[dict[str, object]]:
    """One row per distinct name of the record (primary, aliases, original script)."""
    where = f"{path}: line {rec.line}"
    ref = rec.fields.get("REFERENCE_NUMBER", "")
    if not ref:
        warnings.append(f"{where}: {rec.record_type} without REFERENCE_NUMBER skipped")
        return []
    if rec.fields.get("DELISTED_ON"):
        warnings.append(f"{where}: {ref} delisted on {rec.fields['DELISTED_ON']}; skipped")
        return []
    listed_raw = rec.fields.get("LISTED_ON", "")
    listed = _DATE.match(listed_raw)
    if listed_raw and not listed:
        warnings.append(f"{where}: {ref} LISTED_ON {listed_raw!r} is not a date; left empty")
    base: dict[str, object] = {
        "reference_number": ref,
        "dataid": rec.fields.get("DATAID") or None,
        "list_type": rec.fields.get("UN_LIST_TYPE") or None,
        "record_type": rec.record_type,
        "birth_dates": ";".join(dict.fromkeys(rec.births)) or None,
        "nationalities": ";".join(dict.fromkeys(rec.nationalities)) or None,
        "documents": ";".join(dict.fromkeys(rec.documents)) or None,
        "listed_on": listed.group(1) if listed else None,
        "comments": rec.fields.get("COMMENTS1") or None,
    }
    names: list[tuple[str, str, str | None]] = []
    primary = _clean(" ".join(rec.fields.get(t, "") for t in _NAME_TAGS))
    if primary:
        names.append((primary, "primary", None))
    else:
        warnings.append(f"{where}: {ref} has no FIRST_NAME..FOURTH_NAME")
    for alias, raw_quality in rec.aliases:
        quality = _QUALITY.get(raw_quality.casefold())
        if quality is None:
            warnings.append(
                f"{where}: {ref} alias {alias!r} has QUALITY {raw_quality!r}; expected Good, "
                "Low or a.k.a.; quality left empty"
            )
        names.append((alias, "alias", quality))
    original = rec.fields.get("NAME_ORIGINAL_SCRIPT", "")
    if original:
        names.append((original, "original_script", None))
    seen: set[str] = set()
    rows = []
    for name, kind, quality in names:
        if name in seen:  # the key is (reference_number, name): first (strongest) kind wins
            continue
        seen.add(name)
        rows.append({**base, "name": name, "name_kind": kind, "alias_quality": quality})
    return rows


def _check_prolog(root: etree._Element, path: str) -> None:
    """Refuse documents that declare entities; the UN list has no DTD."""
    refuse_dtd(root, path, "a UN Consolidated List")
    if _local(root.tag) != "CONSOLIDATED_LIST":
        raise InputFormatError(
            path,
            f"root element is <{_local(root.tag)}>; expected <CONSOLIDATED_LIST>",
            f"line {root.sourceline}",
        )


def _xsd_warnings(path: str, xsd: str | Path) -> list[str]:
    """Validation problems against the UN XSD, as warnings (the real list fails it at times)."""
    try:
        schema_doc = etree.parse(str(xsd), etree.XMLParser(**_parser_options()))
        validator = etree.XMLSchema(schema_doc)
        doc = etree.parse(path, etree.XMLParser(**_parser_options()))
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        return [f"{path}: XSD validation against {xsd} not run: {exc}"]
    if validator.validate(doc):
        return []
    errors = list(validator.error_log)
    out = [f"{path}: line {e.line}: does not validate against {xsd}: {e.message}" for e in errors]
    if len(out) > 50:
        out = [*out[:50], f"{path}: ... and {len(out) - 50} more XSD problems"]
    return out


def read_un_list(path: str | Path, xsd: str | Path | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Read a UN Consolidated List XML file into rows of the ``designations`` table.

    Returns ``(frame, warnings)``: the frame has the columns of ``schema.DESIGNATIONS`` except
    ``batch_id``, one row per name of each record: the primary name (``FIRST_NAME`` ..
    ``FOURTH_NAME`` joined), each non-empty alias with its quality and the name in original
    script. Dates of birth are ``YYYY-MM-DD``, ``YYYY`` or ``YYYY-YYYY``, ';'-separated;
    documents ``type:number``. ``warnings`` lists what was skipped or doubtful, with line
    numbers. If ``xsd`` is given the file is also validated against it; problems become
    warnings, never errors.

    Raises :class:`~fiu_analytics.errors.InputFormatError` naming the file and line if the file
    cannot be read, is not well-formed XML, is not a Consolidated List or declares entities.
    """
    src = str(path)
    warnings: list[str] = []
    rows: list[dict[str, object]] = []
    root: etree._Element | None = None
    try:
        context = etree.iterparse(src, events=("start", "end"), **_parser_options())
        for event, el in context:
            if root is None:
                root = el
                _check_prolog(root, src)
            if event != "end":
                continue
            record_type = _RECORD_TAGS.get(_local(el.tag))
            if record_type is None:
                continue
            rows.extend(_rows(_read_record(el, record_type), src, warnings))
            # free what has been read: the element and the siblings before it
            el.clear(keep_tail=True)
            parent = el.getparent()
            while parent is not None and el.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, src, "a UN Consolidated List") from None
    except OSError as exc:
        raise InputFormatError(src, f"cannot read the file: {exc}") from None
    if root is None:
        raise InputFormatError(src, "empty document; expected <CONSOLIDATED_LIST>")
    if not rows:
        warnings.append(f"{src}: no INDIVIDUAL or ENTITY records found")
    if xsd is not None:
        warnings.extend(_xsd_warnings(src, xsd))
    frame = pd.DataFrame(rows, columns=DESIGNATIONS_COLUMNS)
    return schema.validate(frame, _TABLE, source=src), warnings
