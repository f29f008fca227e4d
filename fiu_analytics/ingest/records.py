"""What parsers produce: format-neutral records, before resolution and storage.

Every parser (goAML, pacs.008, CSV mappings, research formats) turns its input into a stream of
:class:`TxnRecord` (a transfer with both sides), :class:`PartyRecord` (activity reports carry
parties without transactions), :class:`LabelRecord` (research data ships labels) and
:class:`Rejected` (a record that could not be read, with where and why). Parsers never touch
the store; :mod:`fiu_analytics.ingest.pipeline` resolves accounts and parties, converts
currencies, removes duplicates and writes.

``locator`` says where a record came from in its file, precisely enough for an analyst to find
it: a line number (``line 17``) or an XPath (``/report/transaction[3]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class PartyRecord:
    """A person or entity as reported. ``key_hint`` is the reporter's own id, if any."""

    party_type: str  # person | entity
    name: str
    birth_date: date | None = None
    nationality: str | None = None
    country: str | None = None
    entity_kind: str | None = None
    id_document: str | None = None  # passport/id number, or registration number for entities
    phone: str | None = None
    address: str | None = None
    device_id: str | None = None
    key_hint: str | None = None
    source_file: str | None = None  # set for parties reported on their own (activity reports)
    locator: str | None = None


@dataclass
class AccountRecord:
    """An account side of a transfer. ``institution`` + ``number`` (or ``iban``) is its key."""

    institution: str | None
    number: str | None = None
    iban: str | None = None
    country: str | None = None
    owner: PartyRecord | None = None
    opened_at: datetime | None = None
    account_type: str | None = None

    @property
    def account_id(self) -> str | None:
        """Canonical id: the IBAN if known, else ``institution/number``."""
        if self.iban:
            return self.iban.replace(" ", "").upper()
        if self.number:
            return f"{(self.institution or 'UNKNOWN').strip().upper()}/{self.number.strip()}"
        return None


@dataclass
class TxnRecord:
    """One reported transfer. ``src``/``dst`` may be a party without an account (walk-in cash,
    an unbanked beneficiary); ingest then keys a pseudo-account on the party."""

    source_file: str
    locator: str
    reporter_id: str | None
    report_id: str | None
    txn_ref: str | None  # reporter's transaction number
    timestamp: datetime | None
    amount: float | None
    currency: str | None
    channel: str | None
    src: AccountRecord | None
    dst: AccountRecord | None
    src_country: str | None = None
    dst_country: str | None = None
    city: str | None = None
    mcc: str | None = None
    merchant: str | None = None
    narrative: str | None = None
    purpose_code: str | None = None
    conductor: PartyRecord | None = None
    extra_parties: list[PartyRecord] = field(default_factory=list)


@dataclass
class LabelRecord:
    """Ground truth shipped with research data (AMLworld ``Is Laundering``, AMLSim SARs)."""

    source_file: str
    locator: str
    scenario_id: str
    typology: str
    txn_ref: str | None = None
    account: AccountRecord | None = None
    role: str | None = None


@dataclass
class Rejected:
    """A record that could not be read: where, which field, which value, and what was expected."""

    source_file: str
    locator: str
    field: str | None
    value: str | None
    reason: str

    def message(self) -> str:
        what = f" field '{self.field}' value {self.value!r}:" if self.field else ""
        return f"{self.source_file} at {self.locator}:{what} {self.reason}"


Record = TxnRecord | PartyRecord | LabelRecord | Rejected


TXN_TEXT_FIELDS = (
    "reporter_id",
    "report_id",
    "txn_ref",
    "src_country",
    "dst_country",
    "city",
    "mcc",
    "merchant",
    "narrative",
    "purpose_code",
)
"""The free-text fields of a transaction record, carried column-wise in a :class:`TxnChunk`."""


@dataclass
class TxnChunk:
    """Transactions of one file, column by column: what the fast readers hand the pipeline.

    Row ``i`` pays from ``accounts[src[i]]`` to ``accounts[dst[i]]`` (``-1``: the side names
    nothing). Sides that repeat share one :class:`AccountRecord`, so resolution runs once per
    distinct side, not once per row. String columns are lists or Arrow arrays with None for an
    empty value; ``text`` holds the optional ones (``reporter_id``, ``report_id``, ``txn_ref``,
    ``src_country``, ``dst_country``, ``city``, ``mcc``, ``merchant``, ``narrative``,
    ``purpose_code``); a missing key means empty throughout. ``timestamp`` is UTC
    ``datetime64[us]`` (NaT when missing), ``amount`` float64 (NaN when missing). Records must
    not be shared with other chunks' rows that the pipeline may change: it never changes them.
    """

    source_file: str
    locator: Any  # list[str] or pa.Array
    timestamp: Any  # np.ndarray datetime64[us]
    amount: Any  # np.ndarray float64
    currency: Any
    channel: Any
    src: Any  # np.ndarray int64
    dst: Any  # np.ndarray int64
    accounts: list[AccountRecord]
    text: dict[str, Any] = field(default_factory=dict)
    conductor: list[PartyRecord | None] | None = None
    extra_parties: list[list[PartyRecord]] | None = None
    labelled: bool = False  # labels may refer to these rows' txn_ref

    def __len__(self) -> int:
        return len(self.amount)
