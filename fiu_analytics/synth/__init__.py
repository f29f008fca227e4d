"""The synthetic generator: a world of normal behaviour with injected, labelled scenarios.

Public face::

    from fiu_analytics.synth import SynthConfig, generate
    generate(SynthConfig.preset("sample", seed=1), Store("data"))
"""

from fiu_analytics.synth.generator import GenerationResult, SynthConfig, build_world, generate
from fiu_analytics.synth.scenarios import SCENARIOS

__all__ = ["SCENARIOS", "GenerationResult", "SynthConfig", "build_world", "generate"]
