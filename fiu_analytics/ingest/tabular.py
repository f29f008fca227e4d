"""Delimited-text (CSV) readers driven by a column-mapping file, and the research formats.

A :class:`CsvMapping` (a YAML file) says which column of a CSV holds which canonical field
(``timestamp``, ``amount``, ``src_account`` ...), or which constant or template fills it, how
timestamps are written, how the file's channel and currency values map onto the canonical
ones, and which rows carry labels. ``fiu_analytics/data/mappings/example.yaml`` documents every
key; the built-in mappings are ``amlworld`` (IBM AMLworld), ``amlsim`` (IBM AMLSim
``transactions.csv``) and ``fiu_csv`` (this project's own CSV export).

:func:`parse_csv` streams a file with the :mod:`csv` module (memory stays flat in the file's
size; gzip is read transparently) and yields, for every data line, exactly one
:class:`~fiu_analytics.ingest.records.TxnRecord` or one
:class:`~fiu_analytics.ingest.records.Rejected` (naming the first bad cell's column and value,
and every other problem of the line), followed by a
:class:`~fiu_analytics.ingest.records.LabelRecord` when the line is labelled. Locators are
``line N``: the 1-based physical line where the row starts (the header is line 1). Blank lines
are skipped.

:func:`parse_amlsim` reads an AMLSim output folder: ``transactions.csv`` through the ``amlsim``
mapping, enriched from ``accounts.csv`` (bank, holder name and type, country, currency),
``alert_accounts.csv`` (the alert type of each alert, used as the label's typology) and
``sar_accounts.csv`` (account labels with role ``sar``).

Research data has no reporter: AMLworld rows get ``txn_ref`` ``AMLW-<line>`` and reporter
``AMLWORLD``; AMLworld has no transaction ids, so removing duplicates across files relies on
the content fingerprint (time, amount, currency, accounts), not on ``txn_ref``.

Example::

    >>> mapping = CsvMapping.load("amlworld")          # a built-in name or a YAML path
    >>> records = list(parse_csv("HI-Small_Trans.csv", mapping))
"""

from __future__ import annotations

import csv
import io
import math
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from fiu_analytics.errors import ConfigError, InputFormatError
from fiu_analytics.ingest.detect import open_binary
from fiu_analytics.ingest.pacs008 import party_type_from_name
from fiu_analytics.ingest.records import (
    AccountRecord,
    LabelRecord,
    PartyRecord,
    Record,
    Rejected,
    TxnRecord,
)
from fiu_analytics.schema import CHANNELS

__all__ = [
    "BUILTIN_MAPPINGS",
    "FIELDS",
    "REQUIRED_FIELDS",
    "CsvMapping",
    "FieldRef",
    "builtin_mapping",
    "parse_amlsim",
    "parse_csv",
]

FIELDS: dict[str, str] = {
    "txn_ref": "the reporter's transaction number",
    "timestamp": "when it happened (see timestamp_format, timezone, timestamp_numeric)",
    "amount": "amount in the original currency, >= 0",
    "currency": "ISO 4217 code, or a name mapped through currency_map",
    "channel": "canonical channel, or a value mapped through channel_map",
    "src_institution": "paying institution code (BIC, bank id)",
    "src_account": "paying account number at src_institution",
    "src_iban": "paying IBAN",
    "src_account_id": "paying account as one id: INSTITUTION/number, or an IBAN",
    "src_name": "paying account holder's name",
    "src_party_type": "person or entity (also individual/company, I/O ...); guessed if unmapped",
    "src_party_id": "the reporter's id of the paying party",
    "src_country": "ISO 3166 alpha-2 country of the paying side",
    "dst_institution": "receiving institution code",
    "dst_account": "receiving account number at dst_institution",
    "dst_iban": "receiving IBAN",
    "dst_account_id": "receiving account as one id: INSTITUTION/number, or an IBAN",
    "dst_name": "receiving account holder's name",
    "dst_party_type": "person or entity",
    "dst_party_id": "the reporter's id of the receiving party",
    "dst_country": "ISO 3166 alpha-2 country of the receiving side",
    "city": "city where it happened",
    "mcc": "merchant category code, four digits",
    "merchant": "merchant name",
    "narrative": "free text",
    "purpose_code": "ISO 20022 purpose code",
    "reporter_id": "reporting institution",
    "report_id": "report the row came from",
    "label_flag": "the row is labelled when this cell is one of label_true_values",
    "label_scenario_id": "label scenario id (a template such as CASE-{line} helps)",
    "label_typology": "label typology",
    "label_role": "label role",
}
"""Canonical fields a mapping can fill, with what each means."""

REQUIRED_FIELDS: tuple[str, ...] = ("timestamp", "amount", "currency", "channel")
"""Fields every mapping must fill (from a column or a constant)."""

BUILTIN_MAPPINGS: tuple[str, ...] = ("amlworld", "amlsim", "fiu_csv", "example")
"""Mappings shipped in ``fiu_analytics/data/mappings/``."""

_MAPPING_KEYS = {
    "name",
    "description",
    "delimiter",
    "quotechar",
    "encoding",
    "header",
    "timestamp_format",
    "timezone",
    "timestamp_numeric",
    "decimal",
    "thousands",
    "fields",
    "channel_map",
    "channel_default",
    "currency_map",
    "label_true_values",
    "label_false_values",
}
_REF_KEYS = {"column", "position", "constant", "template", "default", "optional"}
_TEMPLATE_SPECIAL = {"line", "file", "stem"}
_UNITS = {"milliseconds": 0.001, "seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": 86400.0}
_PARTY_TYPES = {
    "person": "person",
    "individual": "person",
    "natural": "person",
    "i": "person",
    "p": "person",
    "entity": "entity",
    "company": "entity",
    "organisation": "entity",
    "organization": "entity",
    "legal": "entity",
    "business": "entity",
    "o": "entity",
    "c": "entity",
    "e": "entity",
}
_NUMERIC = re.compile(r"[-+]?\d+(?:\.\d+)?")
_CCY = re.compile(r"[A-Z]{3}")
_CTRY = re.compile(r"[A-Z]{2}")
_MCC = re.compile(r"\d{4}")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_BREAK = re.compile(r"\r\n|\r|\n")
_TS_CACHE_MAX = 100_000


@dataclass(frozen=True)
class FieldRef:
    """Where a canonical field's value comes from.

    Exactly one of ``column`` (names, the first present in the header wins), ``position``
    (1-based; with ``column`` too, the header at that position must carry that name),
    ``constant`` or ``template`` (``str.format`` text with ``{line}``, ``{file}``, ``{stem}``
    or a column name). ``default`` fills empty cells and, with ``optional``, a
    column that is absent; ``optional`` lets the column be absent (the field is then empty).
    """

    column: tuple[str, ...] = ()
    position: int | None = None
    constant: str | None = None
    template: str | None = None
    default: str | None = None
    optional: bool = False

    def describe(self) -> str:
        if self.constant is not None:
            return f"constant {self.constant!r}"
        if self.template is not None:
            return f"template {self.template!r}"
        names = " or ".join(repr(c) for c in self.column)
        pos = f" at position {self.position}" if self.position else ""
        return f"column {names}{pos}" if names else f"position {self.position}"


def _as_str(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _field_ref(name: str, spec: object, where: str) -> FieldRef:
    if isinstance(spec, str):
        return FieldRef(column=(spec,))
    if isinstance(spec, list) and spec and all(isinstance(s, str) for s in spec):
        return FieldRef(column=tuple(spec))
    if not isinstance(spec, dict):
        raise ConfigError(
            f"{where}: field '{name}' is {spec!r}; expected a column name, a list of "
            "alternative column names, or a mapping with column/position/constant/template"
        )
    unknown = set(spec) - _REF_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: field '{name}' has unknown keys {sorted(unknown)}; "
            f"expected some of {sorted(_REF_KEYS)}"
        )
    column = spec.get("column")
    columns: tuple[str, ...]
    if column is None:
        columns = ()
    elif isinstance(column, list):
        columns = tuple(_as_str(c) for c in column)
    else:
        columns = (_as_str(column),)
    position = spec.get("position")
    if position is not None and (not isinstance(position, int) or position < 1):
        raise ConfigError(
            f"{where}: field '{name}' position is {position!r}; expected an integer >= 1"
        )
    constant = spec.get("constant")
    template = spec.get("template")
    sources = sum(x is not None for x in (constant, template)) + bool(columns or position)
    if sources != 1:
        raise ConfigError(
            f"{where}: field '{name}' must have exactly one source (column and/or position, "
            f"constant, or template); got {spec!r}"
        )
    default = spec.get("default")
    return FieldRef(
        column=columns,
        position=position,
        constant=None if constant is None else _as_str(constant),
        template=None if template is None else str(template),
        default=None if default is None else _as_str(default),
        optional=bool(spec.get("optional", False)),
    )


def _str_map(raw: object, key: str, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: '{key}' must be a mapping of file value -> canonical value")
    return {_as_str(k).strip().casefold(): _as_str(v).strip() for k, v in raw.items()}


@dataclass(frozen=True)
class CsvMapping:
    """How to read one CSV layout. Load one with :meth:`load`; see ``mappings/example.yaml``."""

    name: str
    fields: dict[str, FieldRef]
    source: str = "<in memory>"
    description: str = ""
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    header: bool = True
    timestamp_format: str = "ISO8601"
    timezone: str = "UTC"
    timestamp_numeric: tuple[datetime, float] | None = None  # (origin, seconds per unit)
    decimal: str = "."
    thousands: str = ""
    channel_map: dict[str, str] = field(default_factory=dict)  # casefolded file value -> channel
    channel_default: str | None = None
    currency_map: dict[str, str] = field(default_factory=dict)  # casefolded value -> ISO code
    label_true_values: frozenset[str] = frozenset({"1", "true", "yes", "y", "t"})
    label_false_values: frozenset[str] = frozenset({"0", "false", "no", "n", "f", ""})

    @classmethod
    def builtin(cls, name: str) -> CsvMapping:
        """A mapping shipped with the package: one of :data:`BUILTIN_MAPPINGS`."""
        if name not in BUILTIN_MAPPINGS:
            raise ConfigError(
                f"unknown built-in mapping {name!r}; expected one of {list(BUILTIN_MAPPINGS)}"
            )
        ref = resources.files("fiu_analytics.data").joinpath("mappings", f"{name}.yaml")
        return cls.from_dict(yaml.safe_load(ref.read_text(encoding="utf-8")), f"builtin:{name}")

    @classmethod
    def load(cls, path_or_name: str | Path) -> CsvMapping:
        """Read a mapping YAML file, or a built-in mapping by name (``amlworld`` ...).

        Raises :class:`~fiu_analytics.errors.ConfigError` naming the file, the key and what
        was expected if the mapping is invalid.
        """
        p = Path(path_or_name)
        if not p.exists() and str(path_or_name) in BUILTIN_MAPPINGS:
            return cls.builtin(str(path_or_name))
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                f"cannot read mapping file {p}: {exc}; give a YAML path or one of "
                f"{list(BUILTIN_MAPPINGS)}"
            ) from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"mapping file {p} is not valid YAML: {exc}") from None
        return cls.from_dict(data, str(p))

    @classmethod
    def from_dict(cls, data: object, source: str = "<in memory>") -> CsvMapping:
        """Build and check a mapping from its YAML content."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a YAML mapping with a 'fields' key")
        unknown = set(data) - _MAPPING_KEYS
        if unknown:
            raise ConfigError(
                f"{source}: unknown keys {sorted(unknown)}; expected some of "
                f"{sorted(_MAPPING_KEYS)}"
            )
        raw_fields = data.get("fields")
        if not isinstance(raw_fields, dict) or not raw_fields:
            raise ConfigError(f"{source}: 'fields' must map canonical fields to columns")
        bad = sorted(set(raw_fields) - set(FIELDS))
        if bad:
            raise ConfigError(f"{source}: unknown fields {bad}; expected some of {list(FIELDS)}")
        fields = {k: _field_ref(k, v, source) for k, v in raw_fields.items()}
        missing = [f for f in REQUIRED_FIELDS if f not in fields]
        if missing:
            raise ConfigError(
                f"{source}: required fields {missing} are not mapped; every mapping must fill "
                f"{list(REQUIRED_FIELDS)} from a column or a constant"
            )
        labelled = "label_flag" in fields or "label_scenario_id" in fields
        if labelled and ("label_typology" not in fields or "txn_ref" not in fields):
            raise ConfigError(
                f"{source}: labels need 'label_typology' and 'txn_ref' mapped too (a label "
                "names its typology and points at its transaction)"
            )
        channel_map = _str_map(data.get("channel_map"), "channel_map", source)
        channel_default = data.get("channel_default")
        for value in [*channel_map.values(), *([channel_default] if channel_default else [])]:
            if value not in CHANNELS:
                raise ConfigError(
                    f"{source}: channel {value!r} in channel_map/channel_default is not "
                    f"canonical; expected one of {list(CHANNELS)}"
                )
        const_channel = fields["channel"].constant
        if (
            const_channel is not None
            and const_channel not in CHANNELS
            and const_channel.casefold() not in channel_map
        ):
            raise ConfigError(
                f"{source}: constant channel {const_channel!r} is not one of {list(CHANNELS)}"
            )
        currency_map = {
            k: v.upper()
            for k, v in _str_map(data.get("currency_map"), "currency_map", source).items()
        }
        for k, v in currency_map.items():
            if not _CCY.fullmatch(v):
                raise ConfigError(
                    f"{source}: currency_map maps {k!r} to {v!r}; expected a three-letter code"
                )
        timezone = str(data.get("timezone", "UTC"))
        _zone(timezone, source)
        numeric = data.get("timestamp_numeric")
        numeric_spec = None
        if numeric is not None:
            numeric_spec = _numeric_spec(numeric, source)
        delimiter = _as_str(data.get("delimiter", ","))
        if delimiter in ("\\t", "tab"):
            delimiter = "\t"
        if len(delimiter) != 1:
            raise ConfigError(f"{source}: delimiter {delimiter!r} must be one character")
        header = bool(data.get("header", True))
        if not header:
            named = [k for k, r in fields.items() if r.column and r.position is None]
            if named:
                raise ConfigError(f"{source}: header is false, so fields {named} need a 'position'")
        kwargs: dict[str, Any] = {}
        for key in ("label_true_values", "label_false_values"):
            if key in data:
                values = data[key]
                if not isinstance(values, list):
                    raise ConfigError(f"{source}: '{key}' must be a list of cell values")
                kwargs[key] = frozenset(_as_str(v).strip().casefold() for v in values)
        try:
            "x".encode(str(data.get("encoding", "utf-8")))
        except LookupError:
            raise ConfigError(
                f"{source}: unknown encoding {data.get('encoding')!r}; expected e.g. utf-8, "
                "latin-1, cp1252"
            ) from None
        return cls(
            name=str(data.get("name", Path(source).stem)),
            fields=fields,
            source=source,
            description=str(data.get("description", "")),
            delimiter=delimiter,
            quotechar=_as_str(data.get("quotechar", '"')),
            encoding=str(data.get("encoding", "utf-8")),
            header=header,
            timestamp_format=str(data.get("timestamp_format", "ISO8601")),
            timezone=timezone,
            timestamp_numeric=numeric_spec,
            decimal=_as_str(data.get("decimal", ".")),
            thousands=_as_str(data.get("thousands", "") or ""),
            channel_map=channel_map,
            channel_default=channel_default,
            currency_map=currency_map,
            **kwargs,
        )


def builtin_mapping(name: str) -> CsvMapping:
    """A mapping shipped with the package, by name: one of :data:`BUILTIN_MAPPINGS`."""
    return CsvMapping.builtin(name)


def _zone(name: str, source: str) -> tzinfo:
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{source}: unknown timezone {name!r}; expected an IANA name such as UTC or "
            "Europe/Berlin"
        ) from None


def _numeric_spec(spec: object, source: str) -> tuple[datetime, float]:
    if not isinstance(spec, dict) or set(spec) - {"origin", "unit"}:
        raise ConfigError(
            f"{source}: timestamp_numeric must be {{origin: YYYY-MM-DD, unit: days|hours|"
            f"minutes|seconds|milliseconds}}; got {spec!r}"
        )
    unit = str(spec.get("unit", "seconds"))
    if unit not in _UNITS:
        raise ConfigError(f"{source}: timestamp_numeric unit {unit!r}; expected one of {_UNITS}")
    origin_raw = spec.get("origin", "1970-01-01")
    try:
        if isinstance(origin_raw, datetime):
            origin = origin_raw
        elif isinstance(origin_raw, date):
            origin = datetime.combine(origin_raw, datetime.min.time())
        else:
            origin = datetime.fromisoformat(str(origin_raw))
    except ValueError:
        raise ConfigError(
            f"{source}: timestamp_numeric origin {origin_raw!r} is not an ISO date"
        ) from None
    origin = origin.replace(tzinfo=UTC) if origin.tzinfo is None else origin.astimezone(UTC)
    return origin, _UNITS[unit]


# -- reading --------------------------------------------------------------------------------

CHUNK_ROWS = 5_000
"""Rows converted together, column by column; memory stays flat whatever the file's size."""


@dataclass(frozen=True)
class _Source:
    """Where one field's values come from in one file."""

    kind: str  # column | constant | line (text before and after the line number) | template
    index: int = -1
    value: str | None = None  # the constant, the default of a column's empty cells, or prefix
    suffix: str = ""
    render: Callable[[list[str], int], str] | None = None  # template


@dataclass
class _Plan:
    """A mapping resolved against one file's header."""

    sources: dict[str, _Source]  # mapped fields only
    names: dict[str, str]  # field -> column name as in the file, or the field itself
    width: int


def _resolve_column(
    ref: FieldRef, fname: str, header: list[str] | None, m: CsvMapping, src: str
) -> int | None:
    """0-based index of the field's column, None if optional and absent."""
    if header is None:
        assert ref.position is not None
        return ref.position - 1
    folded = [h.strip().casefold() for h in header]
    if ref.position is not None:
        idx = ref.position - 1
        if idx >= len(header):
            raise InputFormatError(
                src,
                f"field '{fname}' is mapped by {m.source} to {ref.describe()}, but the header "
                f"has only {len(header)} columns: {header}",
                "line 1",
            )
        if ref.column and folded[idx] not in {c.strip().casefold() for c in ref.column}:
            raise InputFormatError(
                src,
                f"field '{fname}' is mapped by {m.source} to {ref.describe()}, but that "
                f"column is {header[idx]!r}",
                "line 1",
            )
        return idx
    for name in ref.column:
        exact = [i for i, h in enumerate(header) if h == name]
        hits = exact or [i for i, h in enumerate(folded) if h == name.strip().casefold()]
        if len(hits) > 1:
            raise InputFormatError(
                src,
                f"column {name!r} (field '{fname}' in {m.source}) appears {len(hits)} times, "
                f"at positions {[h + 1 for h in hits]}; give the field a 'position'",
                "line 1",
            )
        if hits:
            return hits[0]
    if ref.optional or ref.default is not None:
        return None
    raise InputFormatError(
        src,
        f"column {' or '.join(repr(c) for c in ref.column)} for field '{fname}' is missing; "
        f"the mapping {m.source} expects it. Header: {header}",
        "line 1",
    )


def _template(
    template: str, fname: str, header: list[str] | None, m: CsvMapping, src: str
) -> _Source:
    p = Path(src)
    static = {"file": p.name, "stem": p.name.split(".")[0]}
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ConfigError(f"{m.source}: template {template!r} of '{fname}': {exc}") from None
    columns: dict[str, int] = {}
    for name in names:
        if name in _TEMPLATE_SPECIAL:
            continue
        idx = _resolve_column(FieldRef(column=(name,)), fname, header, m, src) if header else None
        if idx is None:
            raise ConfigError(
                f"{m.source}: template {template!r} of '{fname}' names {name!r}, which is "
                f"neither a column nor one of {sorted(_TEMPLATE_SPECIAL)}"
            )
        columns[name] = idx

    if not columns and "line" not in names:  # {file}, {stem}: the same on every row
        return _Source("constant", value=template.format_map(static))
    if names == ["line"] and template.count("{") == template.count("}") == 1:
        # the common case, e.g. AMLW-{line}: no format call per row
        pre, _, post = template.partition("{line}")
        return _Source("line", value=pre, suffix=post)

    def render(row: list[str], line: int) -> str:
        values: dict[str, object] = {**static, "line": line}
        for name, idx in columns.items():
            values[name] = row[idx].strip()
        return template.format_map(values)

    return _Source("template", render=render)


def _plan(m: CsvMapping, header: list[str] | None, src: str) -> _Plan:
    sources: dict[str, _Source] = {}
    names: dict[str, str] = {}
    for fname, ref in m.fields.items():
        names[fname] = fname
        if ref.constant is not None:
            sources[fname] = _Source("constant", value=ref.constant)
        elif ref.template is not None:
            sources[fname] = _template(ref.template, fname, header, m, src)
        else:
            idx = _resolve_column(ref, fname, header, m, src)
            if idx is None:
                if ref.default is not None:
                    sources[fname] = _Source("constant", value=ref.default)
                continue
            sources[fname] = _Source("column", index=idx, value=ref.default)
            names[fname] = header[idx].strip() if header else f"column {idx + 1}"
    width = len(header) if header else max((r.position or 0) for r in m.fields.values())
    return _Plan(sources, names, width)


def _values(
    source: _Source | None, cols: list[tuple[str, ...]], rows: list[list[str]], lines: list[int]
) -> list[Any] | None:
    """One field's raw values for a chunk (None for empty cells), or None if unmapped."""
    if source is None:
        return None
    if source.kind == "column":
        values = list(map(str.strip, cols[source.index]))
        if "" in values:
            default = source.value
            values = [v or default for v in values]
        return values
    if source.kind == "constant":
        return [source.value] * len(rows)
    if source.kind == "line":
        pre, post = source.value, source.suffix
        return [f"{pre}{n}{post}" for n in lines]
    assert source.render is not None
    render = source.render
    return [render(r, n) for r, n in zip(rows, lines, strict=True)]


_Bad = dict[int, list[tuple[str, str | None, str]]]
_FAIL = object()


def _convert(
    values: list[Any],
    convert: Callable[[str], Any],
    name: str,
    reason: str,
    bad: _Bad,
    required: bool = False,
) -> list[Any]:
    """``convert`` applied once per distinct value; failures (and empty required values) go to
    ``bad`` by row position, with the column ``name`` and ``reason``."""
    lookup: dict[Any, Any] = {}
    failed = False
    for v in set(values):
        if v is None:
            lookup[None] = None
            failed = failed or required
            continue
        try:
            lookup[v] = convert(v)
        except (ValueError, OverflowError):
            lookup[v] = _FAIL
            failed = True
    out = list(map(lookup.__getitem__, values))
    if failed:
        for k, v in enumerate(out):
            if v is _FAIL:
                bad.setdefault(k, []).append((name, values[k], reason))
                out[k] = None
            elif v is None and required:
                bad.setdefault(k, []).append((name, None, f"{reason}; the cell is empty"))
    return out


def _convert_amounts(
    values: list[Any],
    parse: Callable[[str], float],
    plain: bool,
    name: str,
    reason: str,
    bad: _Bad,
) -> list[Any]:
    """Amounts of a chunk: one C-level pass when every cell is a plain valid number."""
    if plain and None not in values:
        try:
            out = list(map(float, values))
        except ValueError:
            pass
        else:
            if all(map(math.isfinite, out)) and (not out or min(out) >= 0):
                return out
    result: list[Any] = []
    for k, v in enumerate(values):
        if v is None:
            bad.setdefault(k, []).append((name, None, f"{reason}; the cell is empty"))
            result.append(None)
            continue
        try:
            result.append(parse(v))
        except (ValueError, OverflowError):
            bad.setdefault(k, []).append((name, v, reason))
            result.append(None)
    return result


def _timestamp_parser(m: CsvMapping) -> Callable[[str], datetime]:
    zone = _zone(m.timezone, m.source)
    fmt = m.timestamp_format
    iso = fmt.upper() == "ISO8601"
    numeric = m.timestamp_numeric
    cache: dict[str, datetime] = {}  # research data repeats timestamps (AMLworld: minutes)

    def parse(raw: str) -> datetime:
        dt = cache.get(raw)
        if dt is not None:
            return dt
        if numeric is not None and _NUMERIC.fullmatch(raw):
            dt = numeric[0] + timedelta(seconds=float(raw) * numeric[1])
        else:
            dt = datetime.fromisoformat(raw) if iso else datetime.strptime(raw, fmt)
            dt = dt.replace(tzinfo=zone) if dt.tzinfo is None else dt
            dt = dt.astimezone(UTC)
        if len(cache) >= _TS_CACHE_MAX:
            cache.clear()
        cache[raw] = dt
        return dt

    return parse


def _amount_parser(m: CsvMapping) -> Callable[[str], float]:
    thousands, decimal = m.thousands, m.decimal

    def parse(raw: str) -> float:
        s = raw.replace(thousands, "") if thousands else raw
        if decimal != ".":
            s = s.replace(decimal, ".")
        value = float(s)
        if not math.isfinite(value) or value < 0:
            raise ValueError(raw)
        return value

    return parse


def _mapped_parser(
    mapping: dict[str, str], check: Callable[[str], str | None]
) -> Callable[[str], str]:
    """A converter through a value map (keys case-folded), then ``check`` (None = invalid)."""

    def parse(raw: str) -> str:
        value = mapping.get(raw.casefold()) or check(raw)
        if value is None:
            raise ValueError(raw)
        return value

    return parse


def _pattern_parser(pattern: re.Pattern[str]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        up = raw.upper()
        if not pattern.fullmatch(up):
            raise ValueError(raw)
        return up

    return parse


def _split_account_id(value: str) -> tuple[str | None, str | None, str | None]:
    """(institution, number, iban) of an ``INSTITUTION/number`` id or an IBAN."""
    if "/" in value:
        inst, _, number = value.partition("/")
        return inst.strip() or None, number.strip() or None, None
    compact = value.replace(" ", "").upper()
    if _IBAN.fullmatch(compact):
        return None, None, compact
    return None, value, None


def _rejected(src: str, locator: str, problems: list[tuple[str, str | None, str]]) -> Rejected:
    """The first problem of a row as field and value; every other one in the reason."""
    name, value, reason = problems[0]
    more = "; ".join(f"{n} {v!r}: {r}" for n, v, r in problems[1:])
    return Rejected(src, locator, name, value, f"{reason}; also {more}" if more else reason)


def _open_rows(path: str | Path, m: CsvMapping) -> tuple[Any, Any]:
    utf8 = m.encoding.replace("_", "-").lower() in ("utf-8", "utf8")
    raw = open_binary(path)
    text = io.TextIOWrapper(
        raw, encoding="utf-8-sig" if utf8 else m.encoding, errors="surrogateescape", newline=""
    )
    return text, csv.reader(text, delimiter=m.delimiter, quotechar=m.quotechar)


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_csv(path: str | Path, mapping: CsvMapping | str | Path) -> Iterator[Record]:
    """Stream a delimited text file as records, read through ``mapping``.

    ``mapping`` is a :class:`CsvMapping`, a mapping YAML path or a built-in name. Every data
    line yields exactly one :class:`TxnRecord` or :class:`Rejected` (locator ``line N``), then a
    :class:`LabelRecord` if the line is labelled and was read.

    Raises :class:`~fiu_analytics.errors.InputFormatError` naming the file (and the column and
    the mapping) if the file cannot be read, is empty, or lacks a column the mapping needs.
    """
    m = mapping if isinstance(mapping, CsvMapping) else CsvMapping.load(mapping)
    src = str(path)
    try:
        text, rows = _open_rows(path, m)
    except OSError as exc:
        raise InputFormatError(src, f"cannot read the file: {exc}") from None
    with text:
        try:
            yield from _records(src, rows, m)
        except csv.Error as exc:
            raise InputFormatError(
                src, f"not readable as delimited text: {exc}", f"line {rows.line_num}"
            ) from None
        except (OSError, EOFError) as exc:
            raise InputFormatError(src, f"cannot read the file: {exc}") from None


def _records(src: str, rows: Any, m: CsvMapping) -> Iterator[Record]:
    header: list[str] | None = None
    if m.header:
        for row in rows:
            if row:
                header = row
                break
        if header is None:
            raise InputFormatError(src, "empty file; expected a header line", "line 1")
        if _has_surrogates("".join(header)):
            raise InputFormatError(
                src, f"the header is not valid {m.encoding}; set 'encoding' in {m.source}", "line 1"
            )
    convert = _Converter(src, m, _plan(m, header, src), header)
    for chunk, lines in _chunks(rows):
        yield from convert(chunk, lines)


def _chunks(rows: Any) -> Iterator[tuple[list[list[str]], list[int]]]:
    """Chunks of non-blank rows with the physical line where each starts."""
    while True:
        before = rows.line_num
        chunk = list(islice(rows, CHUNK_ROWS))
        if not chunk:
            return
        if rows.line_num - before == len(chunk):  # one line per row: the common case
            lines = list(range(before + 1, before + 1 + len(chunk)))
        else:  # quoted fields with line breaks: count them
            lines = []
            n = before
            for row in chunk:
                lines.append(n + 1)
                n += 1 + sum(len(_BREAK.findall(c)) for c in row)
        if [] in chunk:  # blank lines
            kept = [(r, n) for r, n in zip(chunk, lines, strict=True) if r]
            chunk, lines = [r for r, _ in kept], [n for _, n in kept]
            if not chunk:
                continue
        yield chunk, lines


class _Converter:
    """Turns chunks of rows into records, converting column by column."""

    def __init__(self, src: str, m: CsvMapping, plan: _Plan, header: list[str] | None) -> None:
        self.src, self.m, self.plan, self.header = src, m, plan, header
        self.parse_ts = _timestamp_parser(m)
        self.parse_amount = _amount_parser(m)
        self.plain_amounts = not m.thousands and m.decimal == "."
        self.parse_currency = _mapped_parser(
            m.currency_map, lambda raw: raw.upper() if _CCY.fullmatch(raw.upper()) else None
        )
        channel_default = m.channel_default

        def canonical(raw: str) -> str | None:
            key = raw.casefold()
            return key if key in CHANNELS else channel_default

        self.parse_channel = _mapped_parser(m.channel_map, canonical)
        true_values, false_values = m.label_true_values, m.label_false_values

        def flag(raw: str) -> bool:
            key = raw.casefold()
            if key in true_values:
                return True
            if key in false_values:
                return False
            raise ValueError(raw)

        party_type = _mapped_parser(_PARTY_TYPES, lambda raw: None)
        party_reason = f"expected one of {sorted(_PARTY_TYPES)}"
        self.checks: dict[str, tuple[Callable[[str], Any], str]] = {
            "src_country": (_pattern_parser(_CTRY), "expected an ISO 3166 alpha-2 code"),
            "dst_country": (_pattern_parser(_CTRY), "expected an ISO 3166 alpha-2 code"),
            "mcc": (_pattern_parser(_MCC), "expected four digits"),
            "src_party_type": (party_type, party_reason),
            "dst_party_type": (party_type, party_reason),
            "label_flag": (flag, f"expected one of {sorted(true_values | false_values)}"),
        }
        self.stem = Path(src).name.split(".")[0]

    def _pre_rejected(self, rows: list[list[str]], lines: list[int]) -> dict[int, Rejected]:
        """Rows that cannot be read at all: wrong field count, or not valid in the encoding."""
        width, delim = self.plan.width, self.m.delimiter
        out: dict[int, Rejected] = {}
        strict = self.header is not None
        if set(map(len, rows)) != {width}:
            for k, row in enumerate(rows):
                n = len(row)
                # more fields are fine when empty (a trailing delimiter), or without a header
                extra_ok = n > width and not (strict and any(c.strip() for c in row[width:]))
                if n != width and not extra_ok:
                    out[k] = Rejected(
                        self.src,
                        f"line {lines[k]}",
                        None,
                        delim.join(row)[:200],
                        f"expected {width} fields separated by {delim!r}, found {n}",
                    )
        if _has_surrogates("\x1f".join("\x1f".join(r) for r in rows)):
            for k, row in enumerate(rows):
                bad = next((i for i, c in enumerate(row) if _has_surrogates(c)), None)
                if bad is None or k in out:
                    continue
                column = self.header[bad] if self.header and bad < len(self.header) else None
                out[k] = Rejected(
                    self.src,
                    f"line {lines[k]}",
                    column or f"column {bad + 1}",
                    row[bad].encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
                    f"not valid {self.m.encoding} text; set 'encoding' in {self.m.source}",
                )
        return out

    def __call__(self, rows: list[list[str]], lines: list[int]) -> Iterator[Record]:
        src, m, names, sources = self.src, self.m, self.plan.names, self.plan.sources
        width = self.plan.width
        pre = self._pre_rejected(rows, lines)
        if pre:  # keep the columns aligned: unreadable rows become empty rows, rejected anyway
            blank = [""] * width
            rows = [blank if k in pre else r for k, r in enumerate(rows)]
        cols = list(zip(*rows, strict=False))[:width]
        n = len(rows)
        nones: list[Any] = [None] * n

        def raw(fname: str) -> list[Any]:
            values = _values(sources.get(fname), cols, rows, lines)
            return nones if values is None else values

        bad: _Bad = {}
        ts = _convert(
            raw("timestamp"),
            self.parse_ts,
            names["timestamp"],
            f"timestamp: expected format {m.timestamp_format}",
            bad,
            required=True,
        )
        amount = _convert_amounts(
            raw("amount"),
            self.parse_amount,
            self.plain_amounts,
            names["amount"],
            f"amount: expected a non-negative number (decimal {m.decimal!r})",
            bad,
        )
        currency = _convert(
            raw("currency"),
            self.parse_currency,
            names["currency"],
            f"currency: expected an ISO 4217 code or a name in currency_map of {m.source}",
            bad,
            required=True,
        )
        channel = _convert(
            raw("channel"),
            self.parse_channel,
            names["channel"],
            f"channel: not in channel_map of {m.source} and not one of {list(CHANNELS)}",
            bad,
            required=True,
        )
        opt: dict[str, list[Any]] = {}
        for fname in FIELDS:
            if fname in REQUIRED_FIELDS:
                continue
            if fname not in sources:
                opt[fname] = nones
            elif fname in self.checks:
                parse, reason = self.checks[fname]
                opt[fname] = _convert(raw(fname), parse, names[fname], f"{fname}: {reason}", bad)
            else:
                opt[fname] = raw(fname)
        src_accounts = _accounts(opt, "src", nones)
        dst_accounts = _accounts(opt, "dst", nones)
        skip = pre.keys() | bad.keys()
        flags = opt["label_flag"] if "label_flag" in sources else None
        labelled = flags is not None or "label_scenario_id" in sources
        scenario, typology, role = (
            opt["label_scenario_id"],
            opt["label_typology"],
            opt["label_role"],
        )
        columns = zip(
            lines,
            opt["txn_ref"],
            ts,
            amount,
            currency,
            channel,
            src_accounts,
            dst_accounts,
            opt["src_country"],
            opt["dst_country"],
            opt["reporter_id"],
            opt["report_id"],
            opt["city"],
            opt["mcc"],
            opt["merchant"],
            opt["narrative"],
            opt["purpose_code"],
            strict=True,
        )
        for k, (
            line,
            ref,
            t,
            a,
            c,
            ch,
            sa,
            da,
            sc,
            dc,
            rep,
            rid,
            city,
            mcc,
            mer,
            nar,
            pur,
        ) in enumerate(columns):
            if skip and k in skip:
                yield pre[k] if k in pre else _rejected(src, f"line {line}", bad[k])
                continue
            locator = f"line {line}"
            yield TxnRecord(
                source_file=src,
                locator=locator,
                reporter_id=rep,
                report_id=rid,
                txn_ref=ref,
                timestamp=t,
                amount=a,
                currency=c,
                channel=ch,
                src=sa,
                dst=da,
                src_country=sc,
                dst_country=dc,
                city=city,
                mcc=mcc,
                merchant=mer,
                narrative=nar,
                purpose_code=pur,
            )
            if not labelled:
                continue
            if flags is not None:
                if not flags[k]:
                    continue
                scenario_id = scenario[k] or f"{self.stem}-line-{line}"
            elif scenario[k] is None:
                continue
            else:
                scenario_id = scenario[k]
            yield LabelRecord(
                source_file=src,
                locator=locator,
                scenario_id=scenario_id,
                typology=typology[k] or "unspecified",
                txn_ref=ref,
                role=role[k],
            )


def _accounts(opt: dict[str, list[Any]], side: str, nones: list[Any]) -> list[Any]:
    """The account records of one side for a chunk (None where nothing identifies one)."""
    inst, number, iban = opt[f"{side}_institution"], opt[f"{side}_account"], opt[f"{side}_iban"]
    ids, names = opt[f"{side}_account_id"], opt[f"{side}_name"]
    if ids is nones and names is nones and iban is nones:  # institution + number only
        return [
            None if i is None and a is None else AccountRecord(institution=i, number=a)
            for i, a in zip(inst, number, strict=True)
        ]
    types, party_ids = opt[f"{side}_party_type"], opt[f"{side}_party_id"]
    out: list[Any] = []
    for i, a, b, acct_id, name, ptype, pid in zip(
        inst, number, iban, ids, names, types, party_ids, strict=True
    ):
        owner = None
        if name is not None:
            owner = PartyRecord(
                party_type=ptype or party_type_from_name(name), name=name, key_hint=pid
            )
        if acct_id is not None:
            i2, a2, b2 = _split_account_id(acct_id)
            i, a, b = i or i2, a or a2, b or b2
        if i is None and a is None and b is None and owner is None:
            out.append(None)
        else:
            out.append(AccountRecord(institution=i, number=a, iban=b, owner=owner))
    return out


# -- AMLSim ---------------------------------------------------------------------------------


@dataclass
class _SimAccount:
    """What AMLSim's accounts.csv says about one account."""

    bank: str | None
    owner: PartyRecord | None
    country: str | None
    currency: str | None


def _dict_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row keyed by case-folded header) of a small side file of an AMLSim folder."""
    text, rows = _open_rows(path, CsvMapping.builtin("amlsim"))
    with text:
        header: list[str] | None = None
        last = 0
        for row in rows:
            line, last = last + 1, rows.line_num
            if not row:
                continue
            if header is None:
                header = [h.strip().casefold() for h in row]
                continue
            yield line, {h: v.strip() for h, v in zip(header, row, strict=False)}


def _pick(row: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = row.get(name)
        if value:
            return value
    return None


def _amlsim_accounts(path: Path) -> dict[str, _SimAccount]:
    accounts: dict[str, _SimAccount] = {}
    for _, row in _dict_rows(path):
        acct = _pick(row, "acct_id", "account_id")
        if acct is None:
            continue
        person_name = " ".join(n for n in (row.get("first_name"), row.get("last_name")) if n)
        name = person_name or _pick(row, "dsply_nm", "acct_name", "name")
        country = (_pick(row, "country") or "").upper()
        currency = (_pick(row, "acct_rptng_crncy", "currency", "curr") or "").upper()
        owner = None
        if name:
            raw_type = (_pick(row, "type", "account_type", "acct_type") or "").casefold()
            party_type = _PARTY_TYPES.get(raw_type) or party_type_from_name(name)
            if raw_type in ("individual", "i"):
                party_type = "person"
            owner = PartyRecord(
                party_type=party_type,
                name=name,
                country=country if _CTRY.fullmatch(country) else None,
                key_hint=_pick(row, "customer_id", "cust_id"),
            )
        accounts[acct] = _SimAccount(
            bank=_pick(row, "bank_id"),
            owner=owner,
            country=country if _CTRY.fullmatch(country) else None,
            currency=currency if _CCY.fullmatch(currency) else None,
        )
    return accounts


def _amlsim_alert_types(path: Path) -> dict[str, str]:
    types: dict[str, str] = {}
    for _, row in _dict_rows(path):
        alert, kind = _pick(row, "alert_id"), _pick(row, "alert_type", "reason")
        if alert and kind:
            types.setdefault(alert, kind)
    return types


def _amlsim_enrich(rec: TxnRecord, accounts: dict[str, _SimAccount], own_currency: bool) -> None:
    """Fill bank, holder and country from accounts.csv (the record is ours, just built)."""
    for side in ("src", "dst"):
        acct: AccountRecord | None = getattr(rec, side)
        info = accounts.get(acct.number or "") if acct else None
        if acct is None or info is None:
            continue
        acct.institution = info.bank or acct.institution
        acct.owner = info.owner
        acct.country = info.country
        if info.country:
            setattr(rec, f"{side}_country", info.country)
        if side == "src" and not own_currency and info.currency:
            rec.currency = info.currency


def _amlsim_sar_labels(
    path: Path, accounts: dict[str, _SimAccount], alert_types: dict[str, str], bank: str
) -> Iterator[Record]:
    src = str(path)
    for line, row in _dict_rows(path):
        acct = _pick(row, "account_id", "acct_id")
        alert = _pick(row, "alert_id")
        if acct is None or alert is None:
            field_name = "ACCOUNT_ID" if acct is None else "ALERT_ID"
            yield Rejected(src, f"line {line}", field_name, None, f"{field_name} is empty")
            continue
        if (_pick(row, "is_sar") or "yes").casefold() in ("no", "false", "0"):
            continue  # a false alert, not a SAR
        info = accounts.get(acct)
        yield LabelRecord(
            source_file=src,
            locator=f"line {line}",
            scenario_id=f"AMLSIM-alert-{alert}",
            typology=_pick(row, "alert_type") or alert_types.get(alert) or "amlsim_sar",
            account=AccountRecord(
                institution=(info.bank if info else None) or bank,
                number=acct,
                country=info.country if info else None,
                owner=info.owner if info else None,
            ),
            role="sar",
        )


def parse_amlsim(path: str | Path, base_date: date | None = None) -> Iterator[Record]:
    """Stream an IBM AMLSim output folder (or its ``transactions.csv``) as records.

    ``transactions.csv`` is read through the built-in ``amlsim`` mapping (currency USD unless
    a ``curr``/``currency`` column or the paying account's ``acct_rptng_crncy`` says otherwise;
    integer timestamps count days from ``base_date``, by default AMLSim's 2017-01-01).
    Accounts take their bank (``bank_id``, else ``AMLSIM``), holder and country from
    ``accounts.csv`` when present; ``acct_id`` and ``ACCOUNT_ID`` layouts are both read. A SAR
    transaction yields a :class:`LabelRecord` ``AMLSIM-alert-<alert_id>`` whose typology is the
    alert type from ``alert_accounts.csv`` (else ``amlsim_sar``); each SAR row of
    ``sar_accounts.csv`` yields an account label with role ``sar``.
    """
    p = Path(path)
    folder, tx = (p, p / "transactions.csv") if p.is_dir() else (p.parent, p)
    if not tx.is_file():
        raise InputFormatError(
            str(p), "no transactions.csv; expected an AMLSim output folder or its transactions.csv"
        )
    mapping = CsvMapping.builtin("amlsim")
    if base_date is not None:
        origin = datetime.combine(base_date, datetime.min.time(), tzinfo=UTC)
        mapping = replace(mapping, timestamp_numeric=(origin, _UNITS["days"]))
    bank = mapping.fields["src_institution"].constant or "AMLSIM"
    try:
        accounts = (
            _amlsim_accounts(folder / "accounts.csv") if (folder / "accounts.csv").is_file() else {}
        )
        alerts = folder / "alert_accounts.csv"
        alert_types = _amlsim_alert_types(alerts) if alerts.is_file() else {}
        text, rows = _open_rows(tx, mapping)
        with text:
            first = next((r for r in rows if r), [])
    except (OSError, csv.Error) as exc:
        raise InputFormatError(str(folder), f"cannot read the AMLSim files: {exc}") from None
    own_currency = bool({"curr", "currency"} & {c.strip().casefold() for c in first})
    for rec in parse_csv(tx, mapping):
        if isinstance(rec, TxnRecord):
            _amlsim_enrich(rec, accounts, own_currency)
        elif isinstance(rec, LabelRecord):
            alert = rec.scenario_id.removeprefix("AMLSIM-alert-")
            if alert in ("", "-1"):  # flagged without an alert: the transaction is the case
                rec.scenario_id = f"AMLSIM-txn-{rec.txn_ref}"
            rec.typology = alert_types.get(alert, rec.typology)
        yield rec
    sar = folder / "sar_accounts.csv"
    if sar.is_file():
        yield from _amlsim_sar_labels(sar, accounts, alert_types, bank)
