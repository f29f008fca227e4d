"""The sample store scored once per test session: what tests of graphs and reports read."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from fiu_analytics.detection import Typology, detect, load_catalog
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.indicators import DetectionInput
from fiu_analytics.store import Store
from tests.conftest import REPO

SAMPLE_STORE = REPO / "sample_data" / "store"


@dataclass(frozen=True)
class SampleRun:
    data: DetectionInput
    catalog: tuple[Typology, ...]
    alerts: pd.DataFrame

    def top_alerts(self, n: int = 3, per_typology: int = 6) -> pd.DataFrame:
        """The ``n`` best alerts plus the best of other typologies, ``per_typology`` in all."""
        firsts = self.alerts.drop_duplicates("typology_id")
        rows = pd.concat([self.alerts.head(n), firsts]).drop_duplicates("alert_id")
        return rows.head(max(n, per_typology)).reset_index(drop=True)


@lru_cache(maxsize=1)
def sample_run() -> SampleRun:
    data = load_detection_input(Store(SAMPLE_STORE))
    catalog = tuple(load_catalog(REPO / "typologies"))
    return SampleRun(data, catalog, detect(data, catalog))
