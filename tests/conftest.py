"""Shared fixtures: a small generated world in a temporary store, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate

REPO = Path(__file__).resolve().parents[1]
SHARED_SAMPLES = REPO.parent / "shared" / "samples"


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, object]:
    """A generated world (sample preset, fixed seed) with every scenario type."""
    root = tmp_path_factory.mktemp("world")
    store = Store(root / "store")
    result = generate(SynthConfig.preset("sample", seed=11), store,
                      list_path=root / "designated.xml")
    return store, result
