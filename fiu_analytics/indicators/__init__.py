"""Indicators: a registry of pure, vectorised functions (see :mod:`.base` for the contract).

Importing this package registers every indicator in :data:`INDICATORS`: each module of the
package is imported, so adding an indicator means adding a module (or a function to one).
"""

import importlib
import pkgutil

from fiu_analytics.indicators.base import (
    INDICATORS,
    RESULT_COLUMNS,
    DetectionInput,
    IndicatorSpec,
    Param,
    get_indicator,
    indicator,
)

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod != "base" and not _mod.startswith("_"):
        importlib.import_module(f"{__name__}.{_mod}")

__all__ = [
    "INDICATORS",
    "RESULT_COLUMNS",
    "DetectionInput",
    "IndicatorSpec",
    "Param",
    "get_indicator",
    "indicator",
]
