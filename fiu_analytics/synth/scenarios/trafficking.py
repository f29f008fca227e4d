"""Trafficking scenarios: HTSE, HTFL, MS, KFR (NX-01) and NX-06 (victim accounts as mules)."""

from __future__ import annotations

from fiu_analytics.synth.scenarios.base import ScenarioContext, scenario


@scenario("HTSE", indicators=["HT-01", "HT-02", "HT-06", "HT-07", "HT-08", "HT-12", "HT-13"],
          description="Controller advertises victims, collects their night-time earnings and "
                      "cash deposited in several cities, and sweeps their accounts.",
          duration_days=45)
def htse(ctx: ScenarioContext) -> None:
    rng = ctx.rng
    controller = ctx.recruit("regular", role="controller", core=True)
    cparty = ctx.party_of(controller)
    victims = []
    for _ in range(int(rng.integers(3, 6))):
        v = ctx.new_person("victim", address=cparty["address"], phone=cparty["phone"],
                           country=None)
        # victims' accounts are opened recently, often by the controller (HT-12, HT-13)
        ctx.world.acc_opened[v] = ctx.world.start
        ctx.party_of(v)["device_id"] = cparty["device_id"]
        victims.append(v)
    persons = ctx.world.rel["persons"]
    ad_site = ctx.world.rel["merchants"][ctx.world.rel["merchant_mcc"] == "7311"][0]
    hotels = ctx.world.rel["merchants"][ctx.world.rel["merchant_mcc"] == "7011"]
    cities = ["Las Vegas", "Houston", "Dallas", "Atlanta", "Miami", "Phoenix"]
    for day in range(45):
        if day % 3 == 0:
            ctx.txn(controller, ad_site, day, float(rng.choice([3, 12, 24, 48])), "card",
                    "expenses", hour=float(rng.uniform(21, 23.9)), mcc="7311",
                    merchant="Online Classifieds")
        if day % 4 == 1:
            ctx.txn(controller, int(rng.choice(hotels)), day, float(rng.uniform(90, 180)), "card",
                    "expenses", mcc="7011", merchant="Travel Hotel Group",
                    city=str(rng.choice(cities)))
        for v in victims:
            for _ in range(int(rng.poisson(1.3))):
                buyer = int(rng.choice(persons))
                ctx.txn(buyer, v, day, float(rng.uniform(100, 800)), "mobile_money",
                        "exploitation_income", hour=float(rng.uniform(22, 27.5) % 24))
            if day % 5 == 2:
                ctx.txn(v, v, day, float(rng.uniform(200, 800)), "cash_deposit", "placement",
                        hour=float(rng.uniform(0, 4)), city=str(rng.choice(cities)),
                        conductor=ctx.world.acc_party[controller])
            if day % 2 == 1:
                ctx.txn(v, controller, day, float(rng.uniform(500, 1500)), "mobile_money",
                        "collection", hour=float(rng.uniform(9, 12)))
