"""fiu-analytics: find money flows from human trafficking that finance terrorism.

The library core (frames in, frames out) lives in subpackages: :mod:`fiu_analytics.schema`
(canonical tables), :mod:`fiu_analytics.store` (partitioned Parquet), :mod:`fiu_analytics.synth`
(synthetic generator), :mod:`fiu_analytics.indicators`, :mod:`fiu_analytics.detection` and
:mod:`fiu_analytics.evaluation`. Prefect flows live outside the library, in ``pipelines``.
"""

__version__ = "0.1.0"
