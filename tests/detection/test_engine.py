"""Running the catalog's indicators: shared caches are released after a run, notes kept."""

from __future__ import annotations

import pandas as pd

from fiu_analytics.detection import detect, load_catalog
from fiu_analytics.detection.engine import RUN_NOTES, run_indicators
from fiu_analytics.detection.inputs import load_detection_input
from fiu_analytics.store import Store
from tests.conftest import REPO

SAMPLE = Store(REPO / "sample_data" / "store")
CATALOG = [t for t in load_catalog(REPO / "typologies") if t.id != "TY-ML-ACCOUNT"]


def test_a_run_releases_what_its_indicators_cached_and_keeps_what_was_there() -> None:
    data = load_detection_input(SAMPLE)
    data.cache["mine"] = object()
    kept = run_indicators(data, CATALOG, keep_cache=True)
    shared = set(data.cache) - {"mine"}
    assert "money_movements" in shared and "arrays" in shared  # what indicators share
    data.cache.clear()
    data.cache["mine"] = "notebook's own"
    released = run_indicators(data, CATALOG)
    assert set(data.cache) - set(RUN_NOTES) == {"mine"}
    assert data.cache["mine"] == "notebook's own"
    # the results do not depend on it
    assert kept.keys() == released.keys()
    for k in kept:
        pd.testing.assert_frame_equal(kept[k], released[k])


def test_run_notes_survive_the_release() -> None:
    data = load_detection_input(SAMPLE)
    # the model typology without a model writes a warning for the run's summary
    catalog = load_catalog(REPO / "typologies")
    alerts = detect(data, catalog)
    assert len(alerts) > 0
    assert any("model" in w for w in data.cache.get("warnings", []))
    assert "money_movements" not in data.cache
