"""Indicators: a registry of pure, vectorised functions (see :mod:`.base` for the contract).

Importing this package registers every indicator in :data:`INDICATORS`.
"""

from fiu_analytics.indicators import fan, structuring  # noqa: F401  (registration)
from fiu_analytics.indicators.base import (
    INDICATORS,
    RESULT_COLUMNS,
    DetectionInput,
    IndicatorSpec,
    Param,
    get_indicator,
    indicator,
)

__all__ = [
    "INDICATORS",
    "RESULT_COLUMNS",
    "DetectionInput",
    "IndicatorSpec",
    "Param",
    "get_indicator",
    "indicator",
]
