"""The one exception hierarchy of fiu-analytics.

Every error a user can cause with bad input derives from :class:`FiuError`, and its message
names what was wrong (file, record, field, value) and what was expected. The command line
catches :class:`FiuError` and prints the message without a traceback.
"""

from __future__ import annotations

from typing import Any


class FiuError(Exception):
    """Base class of every error fiu-analytics raises on purpose."""


class ConfigError(FiuError):
    """A configuration value, option or parameter is missing or invalid."""


class SchemaError(FiuError):
    """A frame does not match its canonical table schema.

    ``failures`` is a DataFrame with one row per failing cell: ``row``, ``field``, ``value``,
    ``problem``. The message lists the first few; all are kept on the exception.
    """

    def __init__(self, table: str, failures: Any, source: str | None = None) -> None:
        self.table = table
        self.failures = failures
        self.source = source
        n = len(failures)
        where = f" in {source}" if source else ""
        head = failures.head(10).to_dict("records")
        lines = [
            f"  row {f['row']}: field '{f['field']}' value {f['value']!r}: {f['problem']}"
            for f in head
        ]
        more = f"\n  ... and {n - len(head)} more" if n > len(head) else ""
        super().__init__(
            f"{n} schema violation(s) for table '{table}'{where}:\n" + "\n".join(lines) + more
        )


class StoreError(FiuError):
    """The store is missing, corrupt or was asked for something it does not hold."""


class TypologyError(FiuError):
    """A typology file is invalid (unknown indicator, bad parameter, missing header field)."""


class InputFormatError(FiuError):
    """An input file cannot be read in the format asked for."""

    def __init__(self, path: str, message: str, position: str | None = None) -> None:
        self.path = path
        self.message = message
        self.position = position
        where = f"{path}" + (f" at {position}" if position else "")
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:  # pickles whole (a parse process raises these)
        return (type(self), (self.path, self.message, self.position))


class ModelError(FiuError, ValueError):
    """A saved model cannot be used here: missing, corrupt, or made with other features or
    library versions than this installation computes."""
