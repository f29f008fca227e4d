"""Ingest: readers that turn report files into rows of the canonical tables.

Parsers (:func:`parse_goaml`, :func:`parse_pacs008`, :func:`parse_csv`, :func:`parse_amlsim`)
stream format-neutral records (:mod:`.records`); :class:`Ingestor` resolves, converts, removes
duplicates and writes them to the store, one atomic batch per file, quarantining what it cannot
store. :func:`read_un_list` reads the UN Consolidated List into the ``designations`` table.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# names load their module on first use: a parse process imports only the reader it runs
_WHERE = {
    "sniff_format": "detect",
    "FxTable": "fx",
    "GoamlMapping": "goaml",
    "parse_goaml": "goaml",
    "parse_pacs008": "pacs008",
    "FileReport": "pipeline",
    "Ingestor": "pipeline",
    "IngestReport": "pipeline",
    "CsvMapping": "tabular",
    "builtin_mapping": "tabular",
    "parse_amlsim": "tabular",
    "parse_csv": "tabular",
    "read_un_list": "un_list",
}

if TYPE_CHECKING:
    from fiu_analytics.ingest.detect import sniff_format
    from fiu_analytics.ingest.fx import FxTable
    from fiu_analytics.ingest.goaml import GoamlMapping, parse_goaml
    from fiu_analytics.ingest.pacs008 import parse_pacs008
    from fiu_analytics.ingest.pipeline import FileReport, Ingestor, IngestReport
    from fiu_analytics.ingest.tabular import CsvMapping, builtin_mapping, parse_amlsim, parse_csv
    from fiu_analytics.ingest.un_list import read_un_list


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(f"fiu_analytics.ingest.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fiu_analytics.ingest' has no attribute {name!r}")


__all__ = [
    "CsvMapping",
    "FileReport",
    "FxTable",
    "GoamlMapping",
    "IngestReport",
    "Ingestor",
    "builtin_mapping",
    "parse_amlsim",
    "parse_csv",
    "parse_goaml",
    "parse_pacs008",
    "read_un_list",
    "sniff_format",
]
