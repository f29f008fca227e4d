"""The synthetic world: parties, accounts, institutions and who deals with whom.

Accounts are addressed by an internal index while the world is built; :meth:`World.finalize`
draws a random permutation so that the public ``account_key`` and the account numbers carry no
trace of which accounts were added by a scenario (ids must not leak labels).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fiu_analytics.reference import countries_with, country_reference
from fiu_analytics.synth import names

__all__ = ["Institution", "World", "countries_with", "country_reference"]


@dataclass
class Institution:
    code: str
    name: str
    country: str
    kind: str  # bank, msb, foreign_bank
    reporting: bool


@dataclass
class World:
    """Mutable builder of the population; scenario code adds parties and accounts here."""

    rng: np.random.Generator
    start: pd.Timestamp
    home: str = "US"
    institutions: list[Institution] = field(default_factory=list)
    parties: list[dict[str, Any]] = field(default_factory=list)
    # account columns, by internal index
    acc_party: list[int] = field(default_factory=list)
    acc_inst: list[int] = field(default_factory=list)
    acc_country: list[str] = field(default_factory=list)
    acc_type: list[str] = field(default_factory=list)
    acc_profile: list[str] = field(default_factory=list)
    acc_city: list[str] = field(default_factory=list)
    acc_opened: list[pd.Timestamp] = field(default_factory=list)
    hard_negative: dict[str, str] = field(default_factory=dict)
    # relationships used by normal behaviour, filled by the population builder
    rel: dict[str, Any] = field(default_factory=dict)
    account_key: np.ndarray | None = None
    account_id: np.ndarray | None = None

    # -- building -----------------------------------------------------------------------
    def institution(self, kind: str = "bank", country: str | None = None) -> int:
        """Index of a random institution of ``kind`` (a foreign bank in ``country``)."""
        if kind == "foreign_bank":
            country = country or "GB"
            for i, inst in enumerate(self.institutions):
                if inst.kind == kind and inst.country == country:
                    return i
            self.institutions.append(
                Institution(f"FB{country}01", f"Bank of {country}", country, kind, False)
            )
            return len(self.institutions) - 1
        idx = [i for i, inst in enumerate(self.institutions) if inst.kind == kind]
        return int(self.rng.choice(idx))

    def city(self, country: str) -> str:
        return str(self.rng.choice(country_reference()["countries"][country]["cities"]))

    def add_party(
        self,
        party_type: str,
        name: str,
        country: str,
        entity_kind: str | None = None,
        birth_date: Any = None,
        nationality: str | None = None,
        phone: str | None = None,
        address: str | None = None,
        device_id: str | None = None,
        id_document: str | None = None,
    ) -> int:
        n = len(self.parties)
        if party_type == "person":
            if birth_date is None:
                birth_date = (
                    self.start - pd.Timedelta(days=int(self.rng.integers(19 * 365, 70 * 365)))
                ).date()
            nationality = nationality or country
            phone = phone or f"+1{self.rng.integers(200_000_0000, 999_999_9999)}"
            id_document = id_document or f"P{self.rng.integers(10**7, 10**8)}"
        else:
            id_document = id_document or f"REG-{country}-{self.rng.integers(10**6, 10**7)}"
        self.parties.append(
            {
                "party_type": party_type,
                "name": name,
                "birth_date": birth_date,
                "nationality": nationality if party_type == "person" else None,
                "country": country,
                "entity_kind": entity_kind,
                "id_document": id_document,
                "phone": phone,
                "address": address
                or f"{self.rng.integers(1, 9999)} {self.rng.choice(names.COMPANY_WORDS)} "
                f"St, {self.city(country)}, {country}",
                "device_id": device_id
                or (
                    f"D{self.rng.integers(10**9, 10**10):x}"
                    if party_type == "person" and country == self.home
                    else None
                ),
            }
        )
        return n

    def add_account(
        self,
        party: int,
        profile: str,
        institution: int | None = None,
        account_type: str = "current",
        city: str | None = None,
        opened_days_before: int | None = None,
    ) -> int:
        inst = institution if institution is not None else self.institution("bank")
        country = self.institutions[inst].country
        n = len(self.acc_party)
        self.acc_party.append(party)
        self.acc_inst.append(inst)
        self.acc_country.append(country)
        self.acc_type.append(account_type)
        self.acc_profile.append(profile)
        self.acc_city.append(city or self.city(country))
        days = (
            opened_days_before
            if opened_days_before is not None
            else int(self.rng.integers(30, 15 * 365))
        )
        self.acc_opened.append(self.start - pd.Timedelta(days=days))
        return n

    def add_person_account(
        self,
        profile: str = "regular",
        country: str | None = None,
        name: str | None = None,
        **party: Any,
    ) -> int:
        country = country or self.home
        pname = name or str(names.person_names(self.rng, 1)[0])
        p = self.add_party("person", pname, country, **party)
        if country == self.home:
            return self.add_account(p, profile)
        return self.add_account(p, profile, self.institution("foreign_bank", country))

    def add_entity_account(
        self,
        kind: str,
        profile: str,
        country: str | None = None,
        name: str | None = None,
        institution: int | None = None,
        **party: Any,
    ) -> int:
        country = country or self.home
        p = self.add_party(
            "entity", name or names.company_name(self.rng, kind), country, entity_kind=kind, **party
        )
        if institution is None:
            institution = (
                self.institution("bank")
                if country == self.home
                else self.institution("foreign_bank", country)
            )
        return self.add_account(p, profile, institution, account_type="business")

    @property
    def n_accounts(self) -> int:
        return len(self.acc_party)

    def accounts_with_profile(self, profile: str) -> np.ndarray:
        return np.flatnonzero(np.asarray(self.acc_profile) == profile)

    # -- freezing -----------------------------------------------------------------------
    def finalize(self) -> None:
        """Assign public account keys and numbers by a random permutation."""
        n = self.n_accounts
        perm = self.rng.permutation(n)
        self.account_key = perm.astype(np.int64) + 1
        numbers = self.rng.choice(np.arange(10**9, 10**9 + 50 * n + 1000), n, replace=False)
        inst_codes = np.array([self.institutions[i].code for i in self.acc_inst])
        self.account_id = np.char.add(np.char.add(inst_codes.astype(str), "/"), numbers.astype(str))
        self.party_ids = np.array(
            [f"PTY{k:08d}" for k in (self.rng.permutation(len(self.parties)) + 1)]
        )

    def parties_frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.parties)
        df.insert(0, "party_id", self.party_ids)
        return df

    def accounts_frame(self) -> pd.DataFrame:
        assert self.account_key is not None and self.account_id is not None
        return pd.DataFrame(
            {
                "account_key": self.account_key,
                "account_id": self.account_id,
                "owner_party_id": self.party_ids[np.asarray(self.acc_party)],
                "institution": [self.institutions[i].code for i in self.acc_inst],
                "country": self.acc_country,
                "opened_at": pd.to_datetime(self.acc_opened, utc=True),
                "account_type": self.acc_type,
            }
        ).sort_values("account_key", ignore_index=True)

    def profiles_frame(self) -> pd.DataFrame:
        assert self.account_key is not None
        prof = np.asarray(self.acc_profile)
        return pd.DataFrame(
            {
                "account_key": self.account_key,
                "profile": prof,
                "hard_negative_for": [self.hard_negative.get(p) for p in prof],
            }
        ).sort_values("account_key", ignore_index=True)
