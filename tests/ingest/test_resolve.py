"""Party match keys: the same values give the same keys, whatever the caller."""

from __future__ import annotations

from datetime import date

import pandas as pd

from fiu_analytics.ingest.records import PartyRecord
from fiu_analytics.ingest.resolve import Resolver, party_keys


def test_party_keys_strongest_first_and_normalised() -> None:
    keys = party_keys(True, "LOPEZ, Ána", "p-123", date(1990, 1, 2), None, "BANKA/1")
    assert keys == [
        ("id_document", "P123"),
        ("name+birth_date", "ana lopez|1990-01-02"),
        ("name+account", "ana lopez|BANKA/1"),
    ]
    assert party_keys(False, "Acme Ltd.", "HRB 1", None, "DE", "") == [
        ("registration", "HRB1"),
        ("name+country", "acme ltd|DE"),
        ("name+account", "acme ltd|"),
    ]


def test_cached_keys_keep_the_type_of_the_values() -> None:
    # equal values of different types print differently in the key: the cache must not mix
    # them up
    a = party_keys(True, "Ana", None, date(1990, 1, 2), None, "")
    b = party_keys(True, "Ana", None, pd.Timestamp("1990-01-02"), None, "")
    assert a[0] == ("name+birth_date", "ana|1990-01-02")
    assert b[0] == ("name+birth_date", "ana|1990-01-02 00:00:00")


def test_resolver_uses_the_account_then_the_reporters_own_id() -> None:
    r = Resolver()
    p = PartyRecord("person", "Ana Lopez", key_hint="CUST-9")
    assert r._keys(p, "BANKA/1")[-1] == ("name+account", "ana lopez|BANKA/1")
    assert r._keys(p, None)[-1] == ("name+account", "ana lopez|CUST-9")
    first = r.party(p, None, "f.xml", "/report/activity")
    assert r.party(PartyRecord("person", "LOPEZ ana", key_hint="CUST-9"), None, "f", "x") == first
