"""Entity resolution at ingest: one account per institution + number, one party per person.

Accounts: the same institution + account number (or the same IBAN) is one account, whoever
reports it. Sides with a party but no account get a pseudo-account keyed on the party.

Parties, in order (the first rule that applies decides, and the rule is recorded):
persons on an identity document, then normalised name + birth date; entities on registration
number, then normalised name + country. A person with neither document nor birth date is not
merged with anyone on name alone (too many false merges): it is keyed on name + account.
Party ids are derived from the winning key, so re-ingesting a file yields the same ids.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd

from fiu_analytics.ingest.records import AccountRecord, PartyRecord

_PUNCT = re.compile(r"[^\w\s]")


def normalise_name(name: str) -> str:
    """Casefolded, accent-free, punctuation-free, tokens sorted: 'Doe, John' == 'john DOE'."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(sorted(_PUNCT.sub(" ", text).split()))


def normalise_document(doc: str) -> str:
    return re.sub(r"[\s\-./]", "", doc).upper()


@lru_cache(maxsize=1 << 16, typed=True)
def party_keys(
    person: bool,
    name: str,
    id_document: str | None,
    birth_date: Any,
    country: str | None,
    account_ref: str,
) -> list[tuple[str, str]]:
    """The match keys of a party, strongest first, as (rule, key).

    A function of the reported values only (cached: a reporter names the same customer in
    transaction after transaction, and normalising a name is the costly part). Callers must
    not change the list."""
    norm = normalise_name(name)
    keys: list[tuple[str, str]] = []
    if person:
        if id_document:
            keys.append(("id_document", normalise_document(id_document)))
        if birth_date and norm:
            keys.append(("name+birth_date", f"{norm}|{birth_date}"))
    else:
        if id_document:
            keys.append(("registration", normalise_document(id_document)))
        if norm and country:
            keys.append(("name+country", f"{norm}|{country}"))
    keys.append(("name+account", f"{norm}|{account_ref}"))
    return keys


def _pid(key: str) -> str:
    return "P" + hashlib.sha1(key.encode()).hexdigest()[:15].upper()


@dataclass
class Resolver:
    """Holds the store's known accounts and parties; assigns keys and ids to new ones."""

    account_keys: dict[str, int] = field(default_factory=dict)
    account_id_of: dict[int, str] = field(default_factory=dict)
    next_key: int = 1
    party_index: dict[str, str] = field(default_factory=dict)  # match key -> party_id
    known_parties: set[str] = field(default_factory=set)
    new_accounts: list[dict[str, Any]] = field(default_factory=list)
    new_parties: list[dict[str, Any]] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)
    _logged: set[tuple[str, str, str]] = field(default_factory=set)
    # undo log of the batch being written: what to forget if it does not commit
    _undo_index: list[str] = field(default_factory=list)
    _undo_logged: list[tuple[str, str, str]] = field(default_factory=list)
    _batch_next_key: int = 1

    @classmethod
    def from_store_tables(
        cls, accounts: pd.DataFrame, parties: pd.DataFrame, matches: pd.DataFrame
    ) -> Resolver:
        r = cls()
        if len(accounts):
            r.account_keys = dict(
                zip(accounts["account_id"], accounts["account_key"].astype(int), strict=True)
            )
            r.next_key = int(accounts["account_key"].max()) + 1
            r.account_id_of = {v: k for k, v in r.account_keys.items()}
        r.known_parties = set(parties["party_id"]) if len(parties) else set()
        if len(parties):
            acct_of = (
                accounts.dropna(subset=["owner_party_id"])
                .groupby("owner_party_id")["account_id"]
                .apply(list)
                .to_dict()
                if len(accounts)
                else {}
            )
            for row in parties.itertuples(index=False):
                bd = row.birth_date if pd.notna(row.birth_date) else None
                rec = PartyRecord(
                    row.party_type,
                    row.name,
                    birth_date=bd,
                    country=row.country if pd.notna(row.country) else None,
                    id_document=row.id_document if pd.notna(row.id_document) else None,
                )
                for acct in acct_of.get(row.party_id, [None]):
                    for rule, key in r._keys(rec, acct):
                        r.party_index.setdefault(f"{rule}|{key}", row.party_id)
        if len(matches):
            for pid, rule, key in zip(
                matches["party_id"], matches["matched_on"], matches["match_key"], strict=True
            ):
                r.party_index.setdefault(f"{rule}|{key}", pid)
        return r

    def start_batch(self) -> None:
        """Start collecting a batch's new accounts, parties and matches (and its undo log)."""
        self.new_accounts, self.new_parties, self.matches = [], [], []
        self._undo_index, self._undo_logged = [], []
        self._batch_next_key = self.next_key

    def rollback(self) -> None:
        """Forget everything learnt since :meth:`start_batch` (the batch did not commit).

        Costs what the batch added, not the size of the state: an undo log, no copies."""
        for a in self.new_accounts:
            self.account_keys.pop(a["account_id"], None)
            self.account_id_of.pop(a["account_key"], None)
        for p in self.new_parties:
            self.known_parties.discard(p["party_id"])
        for k in self._undo_index:
            self.party_index.pop(k, None)
        for key in self._undo_logged:
            self._logged.discard(key)
        self.next_key = self._batch_next_key
        self.start_batch()

    # -- parties ----------------------------------------------------------------------------
    def _keys(self, p: PartyRecord, account_id: str | None) -> list[tuple[str, str]]:
        return party_keys(
            p.party_type == "person",
            p.name or "",
            p.id_document,
            p.birth_date,
            p.country,
            account_id or p.key_hint or "",
        )

    def party(self, p: PartyRecord, account_id: str | None, source: str, locator: str) -> str:
        """The party id for a reported party, creating it if new; records why it matched."""
        keys = self._keys(p, account_id)
        pid = None
        rule = "new"
        key = keys[0][1]
        for r, k in keys:
            hit = self.party_index.get(f"{r}|{k}")
            if hit is not None:
                pid, rule, key = hit, r, k
                break
        if pid is None and _pid(f"{keys[0][0]}|{keys[0][1]}") in self.known_parties:
            # ids derive from the first key, so a re-ingested record finds its own party
            pid, rule = _pid(f"{keys[0][0]}|{keys[0][1]}"), keys[0][0]
        if pid is None:
            pid = _pid(f"{keys[0][0]}|{keys[0][1]}")
            self.new_parties.append(
                {
                    "party_id": pid,
                    "party_type": p.party_type
                    if p.party_type in ("person", "entity")
                    else "person",
                    "name": p.name or "(unknown)",
                    "birth_date": p.birth_date,
                    "nationality": p.nationality,
                    "country": p.country,
                    "entity_kind": p.entity_kind,
                    "id_document": p.id_document,
                    "phone": p.phone,
                    "address": p.address,
                    "device_id": p.device_id,
                }
            )
            self.known_parties.add(pid)
        # every key of this record now points at the party, so later records can match on any
        index = self.party_index
        for r, k in keys:
            kk = f"{r}|{k}"
            if kk not in index:
                index[kk] = pid
                self._undo_index.append(kk)
        log_key = (pid, rule, source)
        if log_key not in self._logged:
            self._logged.add(log_key)
            self._undo_logged.append(log_key)
            self.matches.append(
                {
                    "party_id": pid,
                    "matched_on": rule,
                    "match_key": key,
                    "source_file": source,
                    "locator": locator,
                }
            )
        return pid

    # -- accounts ---------------------------------------------------------------------------
    def account(
        self, a: AccountRecord, side_country: str | None, source: str, locator: str
    ) -> int | None:
        """Account key for a side; None when the side names neither account nor party."""
        owner_id = None
        account_id = a.account_id
        if a.owner is not None and (a.owner.name or a.owner.id_document):
            owner_id = self.party(a.owner, account_id, source, locator)
        if account_id is None:
            if owner_id is None:
                return None
            account_id = f"PARTY/{owner_id}"
        key = self.account_keys.get(account_id)
        if key is None:
            key = self.next_key
            self.next_key += 1
            self.account_keys[account_id] = key
            self.account_id_of[key] = account_id
            country = a.country or side_country
            self.new_accounts.append(
                {
                    "account_key": key,
                    "account_id": account_id,
                    "owner_party_id": owner_id,
                    "institution": (a.institution or "UNKNOWN").strip().upper() or "UNKNOWN",
                    "country": country if country and re.fullmatch(r"[A-Z]{2}", country) else None,
                    "opened_at": a.opened_at,
                    "account_type": a.account_type
                    if a.account_type
                    else ("external" if account_id.startswith("PARTY/") else None),
                }
            )
        return key
