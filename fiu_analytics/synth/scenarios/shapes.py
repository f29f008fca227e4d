"""Classic layering shapes: fan-in, fan-out, cycle, scatter-gather, gather-scatter, bipartite,
stack. Each scenario keeps amounts and timing plausible rather than perfectly regular."""

from __future__ import annotations

from fiu_analytics.synth.scenarios.base import ScenarioContext, scenario


@scenario("fan_in", indicators=["fan_in"],
          description="Many unrelated accounts pay one collector within days.", duration_days=20)
def fan_in(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    hub = ctx.recruit("regular", role="collector", core=True)
    for _ in range(int(rng.integers(12, 25))):
        src = ctx.recruit("regular", role="sender")
        ctx.txn(src, hub, float(rng.integers(0, 10)), float(rng.uniform(900, 2900)), "wire",
                "layering")
