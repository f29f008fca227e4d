"""Shared fixtures: a small generated world in a temporary store, built once per session.

Prefect runs against a fresh temporary home per test session (parallel processes on one SQLite
database race its migrations), with telemetry off.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_PREFECT_HOME = tempfile.mkdtemp(prefix="fiu-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# property tests draw the same examples on every run, so a test run is reproducible and CI
# never fails on a newly drawn example; FIU_HYPOTHESIS_EXPLORE=1 explores new ones (and keeps
# what it finds in .hypothesis/ to replay)
settings.register_profile("fiu", derandomize=not os.environ.get("FIU_HYPOTHESIS_EXPLORE"))
settings.load_profile("fiu")

from fiu_analytics.store import Store  # noqa: E402
from fiu_analytics.synth import GenerationResult, SynthConfig, generate  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_SAMPLES = REPO.parent / "shared" / "samples"


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, GenerationResult]:
    """A generated world (sample preset, fixed seed) with every scenario type."""
    root = tmp_path_factory.mktemp("world")
    store = Store(root / "store")
    result = generate(SynthConfig.preset("sample", seed=11), store,
                      list_path=root / "designated.xml")
    return store, result
