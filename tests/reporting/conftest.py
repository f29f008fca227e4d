from __future__ import annotations

import pytest

from tests.graph.sample_run import SampleRun, sample_run


@pytest.fixture(scope="session")
def sample() -> SampleRun:
    run = sample_run()
    if run.alerts.empty:
        pytest.fail("the sample store raised no alert; graph and report tests need some")
    return run
