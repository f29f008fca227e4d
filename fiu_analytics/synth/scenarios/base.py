"""What a scenario is, how it is registered, and the context it writes through.

A scenario is a function ``f(ctx: ScenarioContext) -> None`` registered with
:func:`scenario`. It recruits accounts from the normal population (criminals and victims have
ordinary lives too) or creates new ones, marks each account's role, and emits transactions with
a stage. Everything it emits is labelled with its scenario id and typology.

Example::

    @scenario("GEN-01", indicators=["GEN-01"], description="Cash split under the threshold")
    def structuring(ctx):
        acct = ctx.recruit("regular", role="structurer", core=True)
        for day in range(5):
            ctx.txn(acct, acct, day, ctx.rng.uniform(8000, 9900), "cash_deposit",
                    stage="placement")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fiu_analytics.synth.events import Events
from fiu_analytics.synth.world import World

DAY_US = 86_400 * 1_000_000


@dataclass(frozen=True)
class ScenarioSpec:
    typology: str
    func: Callable[[ScenarioContext], None]
    indicators: tuple[str, ...]
    description: str
    duration_days: int


SCENARIOS: dict[str, ScenarioSpec] = {}


def scenario(
    typology: str, indicators: list[str], description: str, duration_days: int = 60
) -> Callable[[Callable[[ScenarioContext], None]], Callable[[ScenarioContext], None]]:
    """Register a scenario generator for ``typology`` (a code such as HTSE, NX-04, fan_in)."""

    def deco(func: Callable[[ScenarioContext], None]) -> Callable[[ScenarioContext], None]:
        if typology in SCENARIOS:
            raise ValueError(f"scenario for typology '{typology}' registered twice")
        SCENARIOS[typology] = ScenarioSpec(
            typology, func, tuple(indicators), description, duration_days
        )
        return func

    return deco


@dataclass
class ScenarioContext:
    """Where a scenario writes: accounts with roles and labelled transactions."""

    world: World
    rng: np.random.Generator
    scenario_id: str
    typology: str
    start_us: int
    events: Events
    txn_labels: list[tuple[str, str, str]]
    roles: list[tuple[str, str, int, str, bool]] = field(default_factory=list)

    # -- accounts -------------------------------------------------------------------------
    def role(self, account: int, role: str, core: bool = False) -> int:
        """Record the role of ``account`` in this scenario; return the account."""
        self.roles.append((self.scenario_id, self.typology, int(account), role, core))
        return account

    def recruit(
        self, profile: str = "regular", role: str = "participant", core: bool = False
    ) -> int:
        """An existing person account of ``profile`` not used by another scenario."""
        used: set[int] = self.world.rel.setdefault("used", set())
        persons = self.world.rel["persons"]
        prof = self.world.rel["person_profile"]
        pool = persons[prof == profile]
        for _ in range(200):
            a = int(self.rng.choice(pool))
            if a not in used:
                used.add(a)
                return self.role(a, role, core)
        raise RuntimeError(f"population too small to recruit another '{profile}' account")

    def new_person(
        self,
        role: str,
        core: bool = False,
        country: str | None = None,
        name: str | None = None,
        profile: str = "scenario_only",
        **party: Any,
    ) -> int:
        """A new person account used only by this scenario."""
        a = self.world.add_person_account(profile, country=country, name=name, **party)
        return self.role(a, role, core)

    def new_entity(
        self,
        kind: str,
        role: str,
        core: bool = False,
        country: str | None = None,
        name: str | None = None,
        institution: int | None = None,
        **party: Any,
    ) -> int:
        """A new entity account (front company, NPO, exchange house ...) for this scenario."""
        a = self.world.add_entity_account(
            kind, "scenario_only", country=country, name=name, institution=institution, **party
        )
        return self.role(a, role, core)

    def party_of(self, account: int) -> dict[str, Any]:
        """The mutable party record that owns ``account`` (to share phones, addresses ...)."""
        return self.world.parties[self.world.acc_party[account]]

    def country(self, account: int) -> str:
        return self.world.acc_country[account]

    def city(self, account: int) -> str:
        return self.world.acc_city[account]

    # -- time and transactions ----------------------------------------------------------------
    def t(self, day: float, hour: float | None = None) -> int:
        """Timestamp (us) ``day`` days after the scenario start, at ``hour`` (random if None)."""
        h = float(self.rng.uniform(8, 20)) if hour is None else hour
        return int(
            self.start_us
            + int(day) * DAY_US
            + h * 3600 * 1_000_000
            + self.rng.integers(0, 3_600_000_000 // 60)
        )

    def txn(
        self,
        src: int,
        dst: int,
        day: float,
        amount: float,
        channel: str,
        stage: str,
        hour: float | None = None,
        **strings: Any,
    ) -> None:
        """Emit one labelled transaction. Countries default to the accounts' countries."""
        strings.setdefault("src_country", self.country(src))
        strings.setdefault("dst_country", self.country(dst))
        label = len(self.txn_labels)
        self.txn_labels.append((self.scenario_id, self.typology, stage))
        self.events.add(
            src, dst, self.t(day, hour), round(float(amount), 2), channel, label=label, **strings
        )
