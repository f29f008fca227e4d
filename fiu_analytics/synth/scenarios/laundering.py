"""Laundering mechanics shared by all typologies: structuring (GEN-01), funnel (GEN-02) and
pass-through (GEN-03)."""

from __future__ import annotations

from fiu_analytics.synth.scenarios.base import ScenarioContext, scenario


@scenario("GEN-01", indicators=["GEN-01"],
          description="Cash deposits split just under the 10,000 reporting threshold across "
                      "days and branches.", duration_days=30)
def structuring(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    acct = ctx.recruit("regular", role="structurer", core=True)
    day = 0
    for _ in range(int(rng.integers(4, 8))):
        day += int(rng.integers(1, 3))
        ctx.txn(acct, acct, day, float(rng.uniform(8200, 9950)), "cash_deposit", "placement",
                city=ctx.world.city(ctx.world.home))
    ctx.txn(acct, ctx.new_person("beneficiary", country="MX"), day + 2,
            float(rng.uniform(30000, 45000)), "wire", "layering")
