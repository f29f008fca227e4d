"""Injected scenarios: one registered generator per typology code.

Importing this package registers every scenario in :data:`SCENARIOS` (typology code ->
:class:`ScenarioSpec`). Modules group scenarios by family.
"""

from fiu_analytics.synth.scenarios import (  # noqa: F401  (registration side effect)
    laundering,
    shapes,
    terrorism,
    trafficking,
)
from fiu_analytics.synth.scenarios.base import (
    SCENARIOS,
    ScenarioContext,
    ScenarioSpec,
    scenario,
)

__all__ = ["SCENARIOS", "ScenarioContext", "ScenarioSpec", "scenario"]
