"""The parser of each format name (imports a reader only when asked for it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from fiu_analytics.errors import InputFormatError
from fiu_analytics.ingest.records import Record, TxnChunk

__all__ = ["Parser", "parser_for"]

Parser = Callable[[Path], Iterator[Record | TxnChunk]]


def parser_for(fmt: str, mapping: Path | None = None) -> Parser:
    """The record parser of a format name."""
    if fmt == "goaml":
        from fiu_analytics.ingest.goaml import GoamlMapping, parse_goaml

        m = GoamlMapping.load(mapping) if mapping else None
        return lambda p: parse_goaml(p, m, share_sides=True)
    if fmt == "pacs008":
        from fiu_analytics.ingest.pacs008 import parse_pacs008

        return parse_pacs008
    if fmt in ("csv", "amlworld", "fiu_csv"):
        from fiu_analytics.ingest.tabular import CsvMapping, builtin_mapping
        from fiu_analytics.ingest.tabular_fast import read_csv_chunks

        if mapping is not None:
            cm = CsvMapping.load(mapping)
        elif fmt in ("amlworld", "fiu_csv"):
            cm = builtin_mapping(fmt)
        else:
            raise InputFormatError(
                "(csv)",
                "a CSV file of unknown layout needs --mapping (a column-mapping YAML; "
                "see fiu_analytics/data/mappings/example.yaml)",
            )
        return lambda p: read_csv_chunks(p, cm)
    if fmt == "amlsim":
        from fiu_analytics.ingest.tabular import parse_amlsim

        return parse_amlsim
    raise InputFormatError(
        "(format)",
        f"unknown format '{fmt}'; expected goaml, pacs008, csv, amlworld, amlsim or un_list",
    )
