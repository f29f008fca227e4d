"""Reader for goAML XML reports (UNODC): transaction reports and activity reports, 4.x and 5.x.

:func:`parse_goaml` streams one report file into :class:`~fiu_analytics.ingest.records.TxnRecord`
(one per ``transaction``), :class:`~fiu_analytics.ingest.records.PartyRecord` (one per
``activity/report_parties/report_party``) and :class:`~fiu_analytics.ingest.records.Rejected`
(a transaction that cannot be read, with its XPath, field, value and what was expected).

The file is read with :func:`lxml.etree.iterparse` under a hardened parser (no entity expansion,
no DTD loading, no network, no huge-tree mode); a document whose DTD declares entities (billion
laughs, external entities such as ``file:///etc/passwd``) is refused before anything in it is
read. Each transaction is turned into a record and cleared with the elements before it as soon
as it ends, so memory stays flat on a multi-gigabyte report.

What is read, and how:

- Report header: ``rentity_id`` is the reporter, ``entity_reference`` the report id (else
  ``rentity_id/submission_date``), ``currency_code_local`` the currency of every
  ``amount_local`` (else the mapping's ``currency_code_local``).
- Channel: ``transmode_code`` through the per-FIU :class:`GoamlMapping`; when it is missing or
  not in the mapping, the channel the funds codes imply (``from_funds_code``, ``to_funds_code``).
- Sides: ``t_from``/``t_from_my_client`` and ``t_to``/``t_to_my_client``, each with an account
  (owner from ``t_entity`` or the primary ``signatory``), a person or an entity; a person or
  entity without an account becomes ``AccountRecord(institution=None, number=None, owner=...)``
  so the pipeline keys a pseudo-account on the party. ``t_conductor`` is the conductor.
- ``involved_parties/party`` go to ``extra_parties``; a transaction with involved parties only
  cannot be oriented and is rejected.
- Amounts: ``amount_local`` in the local currency; foreign-currency blocks are not used (the
  pipeline converts from the local currency).
- Element names are compared without namespace and without the ``_my_client`` suffix
  (``t_person_my_client`` is read as ``t_person``), which covers the 4.x and 5.x schemas; unknown
  elements (5.x sanctions, devices, social media ...) are ignored.
- Times without a time zone are taken as UTC. A malformed birth or opening date is left empty
  rather than rejecting the whole transaction; a malformed transaction date is rejected.

Example::

    >>> for rec in parse_goaml("BNK01/2025-01-EFT.xml"):
    ...     if isinstance(rec, Rejected):
    ...         print(rec.message())
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from fiu_analytics import schema
from fiu_analytics.errors import ConfigError, InputFormatError
from fiu_analytics.ingest.detect import open_binary
from fiu_analytics.ingest.records import (
    AccountRecord,
    PartyRecord,
    Record,
    Rejected,
    TxnRecord,
)
from fiu_analytics.ingest.xml_safety import PARSER_OPTIONS, refuse_dtd, syntax_error

__all__ = ["GoamlMapping", "parse_goaml"]

MAPPING_FILE = "goaml_default_mapping.yaml"
_CASH = frozenset({"cash_deposit", "cash_withdrawal"})

# -- the per-FIU code-list mapping --------------------------------------------------------------


@dataclass(frozen=True)
class GoamlMapping:
    """A per-FIU mapping of goAML codes onto the canonical channels of ``schema.CHANNELS``.

    ``transmode`` maps ``transmode_code`` to a channel; ``funds_from``/``funds_to`` map a funds
    code to the channel it implies on the from or the to side (None: it implies none).
    """

    transmode: dict[str, str]
    funds_from: dict[str, str | None]
    funds_to: dict[str, str | None]
    currency_code_local: str | None = None
    source: str = MAPPING_FILE

    @classmethod
    def load(cls, path: str | Path | None = None) -> GoamlMapping:
        """The mapping in the YAML file ``path``, or the packaged default when None.

        Raises :class:`~fiu_analytics.errors.ConfigError` naming the file and the key when the
        file cannot be read or maps a code onto something that is not a canonical channel.
        """
        if path is None:
            return _default_mapping()
        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text("utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read goAML mapping file {p}: {exc}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"goAML mapping file {p} is not valid YAML: {exc}") from None
        return cls.from_dict(data, str(p))

    @classmethod
    def from_dict(cls, data: Any, source: str = "mapping") -> GoamlMapping:
        """A mapping from the parsed YAML document ``data`` (``source`` names it in errors)."""
        if not isinstance(data, dict):
            raise ConfigError(
                f"goAML mapping {source}: expected a YAML mapping with keys 'transmode_code' "
                f"and 'funds_code', got {type(data).__name__}"
            )
        transmode = {
            code: _channel_of(entry, "channel", f"transmode_code.{code}", source, required=True)
            for code, entry in _section(data, "transmode_code", source).items()
        }
        funds = _section(data, "funds_code", source)
        funds_from = {
            code: _channel_of(entry, "from_channel", f"funds_code.{code}", source)
            for code, entry in funds.items()
        }
        funds_to = {
            code: _channel_of(entry, "to_channel", f"funds_code.{code}", source)
            for code, entry in funds.items()
        }
        local = data.get("currency_code_local")
        if local is not None and not (isinstance(local, str) and re.fullmatch(r"[A-Z]{3}", local)):
            raise ConfigError(
                f"goAML mapping {source}: key 'currency_code_local' is {local!r}; expected an "
                "ISO 4217 code such as USD"
            )
        return cls(transmode, funds_from, funds_to, local, source)

    def channel(
        self, transmode: str | None, from_funds: str | None, to_funds: str | None
    ) -> str | None:
        """The canonical channel of a transaction, or None when its codes imply none."""
        if transmode is not None and transmode in self.transmode:
            return self.transmode[transmode]
        a = self.funds_from.get(from_funds) if from_funds else None
        b = self.funds_to.get(to_funds) if to_funds else None
        if a and b and a != b:
            # cash only says how money entered or left; the other side says how it moved
            if a in _CASH and b not in _CASH:
                return b
            if b in _CASH and a not in _CASH:
                return a
        return a or b


def _section(data: dict[Any, Any], key: str, source: str) -> dict[str, Any]:
    section = data.get(key)
    if not isinstance(section, dict) or not section:
        raise ConfigError(
            f"goAML mapping {source}: key '{key}' is missing or empty; expected a mapping of "
            "codes to entries"
        )
    out: dict[str, Any] = {}
    for code, entry in section.items():
        if isinstance(code, bool) or code is None:
            raise ConfigError(
                f"goAML mapping {source}: key '{key}' has code {code!r}, which YAML read as "
                f"{type(code).__name__}; quote the code (e.g. '\"{code}\"')"
            )
        if not isinstance(entry, dict):
            raise ConfigError(
                f"goAML mapping {source}: key '{key}.{code}' is {entry!r}; expected a mapping "
                "such as {channel: wire, description: ...}"
            )
        out[str(code).strip()] = entry
    return out


def _channel_of(
    entry: dict[str, Any], name: str, where: str, source: str, required: bool = False
) -> str | None:
    value = entry.get(name)
    if value is None and not required:
        return None
    if value not in schema.CHANNELS:
        raise ConfigError(
            f"goAML mapping {source}: key '{where}.{name}' is {value!r}; expected one of "
            f"{list(schema.CHANNELS)}"
        )
    return str(value)


@cache
def _default_mapping() -> GoamlMapping:
    text = resources.files("fiu_analytics.data").joinpath(MAPPING_FILE).read_text("utf-8")
    return GoamlMapping.from_dict(yaml.safe_load(text), MAPPING_FILE)


# -- XML helpers --------------------------------------------------------------------------------

_PARSER_OPTIONS = PARSER_OPTIONS
_HEADER_TAGS = (
    "rentity_id",
    "report_code",
    "entity_reference",
    "fiu_ref_number",
    "submission_date",
    "currency_code_local",
)
# report_indicators (after the transactions) are skipped for now: no record type holds them
_EVENT_TAGS = [f"{{*}}{t}" for t in ("report", "transaction", "activity", *_HEADER_TAGS)]
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")
_WS = re.compile(r"\s+")
# goAML `business` is free text; these words name the canonical entity kinds (first match wins)
_BUSINESS_KINDS = (
    ("hawala", "hawala"),
    ("informal value", "hawala"),
    ("exchange house", "exchange_house"),
    ("money service", "msb"),
    ("remittance", "msb"),
    ("non-profit", "npo"),
    ("nonprofit", "npo"),
    ("charit", "npo"),
    ("cash-intensive", "cash_business"),
    ("cash intensive", "cash_business"),
    ("employer", "employer"),
    ("utility", "utility"),
    ("rental", "landlord"),
    ("landlord", "landlord"),
    ("merchant", "merchant"),
    ("company", "company"),
)
# the fiu-analytics exporter writes fields goAML has no element for into `comments`
_COMMENT_KEYS = ("merchant", "mcc", "purpose_code")


_NAMES: dict[object, str] = {}


def _name(tag: object) -> str:
    """Local name without namespace and without the ``_my_client`` suffix ('' for comments,
    processing instructions and entity references, whose tag is not a string)."""
    name = _NAMES.get(tag)
    if name is not None:
        return name
    name = ""
    if isinstance(tag, str):
        name = tag.rpartition("}")[2] if tag[:1] == "{" else tag
        name = name.removesuffix("_my_client")
    if len(_NAMES) < 4096:  # a file can only make the cache so large
        _NAMES[tag] = name
    return name


def _children(el: etree._Element | None) -> dict[str, etree._Element]:
    """Children by normalised name; the first of repeated names wins."""
    out: dict[str, etree._Element] = {}
    if el is None:
        return out
    for child in el:
        name = _NAMES.get(child.tag) or _name(child.tag)
        if name and name not in out:
            out[name] = child
    return out


def _text(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    text = el.text.strip()
    return text or None


def _clean(el: etree._Element | None) -> str | None:
    """Text with runs of whitespace collapsed (names, addresses, narratives)."""
    text = _text(el)
    return _WS.sub(" ", text) if text else None


def _datetime(raw: str | None) -> datetime | None:
    """UTC datetime of an ISO 8601 date or date-time; UTC is assumed without a time zone."""
    if not raw:
        return None
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _date(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).date()
    except ValueError:
        return None


# -- parties and accounts -----------------------------------------------------------------------


def _phone(k: dict[str, etree._Element]) -> str | None:
    for phone in k.get("phones", ()):
        if _name(phone.tag) != "phone":
            continue
        number = _text(_children(phone).get("tph_number"))
        if number:
            return number
    return None


def _address(k: dict[str, etree._Element]) -> tuple[str | None, str | None]:
    """First address as ``"address, city, CC"``, and its country code."""
    for addr in k.get("addresses", ()):
        if _name(addr.tag) != "address":
            continue
        a = _children(addr)
        country = _text(a.get("country_code"))
        parts = [p for p in (_clean(a.get("address")), _clean(a.get("city")), country) if p]
        if parts:
            return ", ".join(parts), country
    return None, None


def _id_document(k: dict[str, etree._Element]) -> str | None:
    """Passport, else national id, else SSN, else a 5.x ``identification``; type-prefixed."""
    for tag in ("passport_number", "id_number", "ssn"):
        number = _text(k.get(tag))
        if number:
            return f"{'passport' if tag == 'passport_number' else tag}:{number}"
    ident = _children(k.get("identification"))
    number = _text(ident.get("number"))
    if number:
        return f"{_text(ident.get('type')) or 'identification'}:{number}"
    return None


def _person(el: etree._Element) -> PartyRecord:
    k = _children(el)
    names = [_clean(k.get(t)) for t in ("first_name", "middle_name", "last_name")]
    name = " ".join(n for n in names if n) or _clean(k.get("alias")) or ""
    address, address_country = _address(k)
    return PartyRecord(
        party_type="person",
        name=name,
        birth_date=_date(_text(k.get("birthdate"))),
        nationality=_text(k.get("nationality1")),
        country=_text(k.get("residence")) or address_country,
        id_document=_id_document(k),
        phone=_phone(k),
        address=address,
    )


def _entity_kind(business: str | None) -> str | None:
    if not business:
        return None
    text = business.casefold()
    if text in schema.ENTITY_KINDS:
        return text
    return next((kind for word, kind in _BUSINESS_KINDS if word in text), None)


def _entity(el: etree._Element) -> PartyRecord:
    k = _children(el)
    address, address_country = _address(k)
    return PartyRecord(
        party_type="entity",
        name=_clean(k.get("name")) or _clean(k.get("commercial_name")) or "",
        country=_text(k.get("incorporation_country_code")) or address_country,
        entity_kind=_entity_kind(_clean(k.get("business"))),
        id_document=_text(k.get("incorporation_number")),
        phone=_phone(k),
        address=address,
    )


def _owner(el: etree._Element, k: dict[str, etree._Element]) -> PartyRecord | None:
    """Account owner: the entity, else the primary signatory (else the first one)."""
    if "t_entity" in k:
        return _entity(k["t_entity"])
    signatories = [_children(c) for c in el if _name(c.tag) == "signatory"]
    primary = next(
        (s for s in signatories if (_text(s.get("is_primary")) or "").lower() in ("true", "1")),
        signatories[0] if signatories else {},
    )
    person = primary.get("t_person", primary.get("person"))
    if person is not None:
        return _person(person)
    if "t_person" in k:
        return _person(k["t_person"])
    return None


def _account(el: etree._Element) -> AccountRecord:
    k = _children(el)
    return AccountRecord(
        institution=_text(k.get("institution_code"))
        or _text(k.get("swift"))
        or _clean(k.get("institution_name")),
        number=_text(k.get("account")),
        iban=_text(k.get("iban")),
        owner=_owner(el, k),
        opened_at=_datetime(_text(k.get("opened"))),
    )


def _party_holder(k: dict[str, etree._Element]) -> tuple[AccountRecord | None, str]:
    """The account of a side or party: an account element, else a person or entity as the
    owner of a pseudo-account; and the element it came from ('' when none)."""
    if "account" in k:
        return _account(k["account"]), "account"
    if "person" in k:
        return AccountRecord(institution=None, number=None, owner=_person(k["person"])), "person"
    if "entity" in k:
        return AccountRecord(institution=None, number=None, owner=_entity(k["entity"])), "entity"
    return None, ""


@dataclass
class _Side:
    account: AccountRecord | None
    funds_code: str | None
    country: str | None
    conductor: PartyRecord | None


def _side(el: etree._Element, prefix: str) -> _Side:
    """One side of a transfer; ``from_account`` etc. are read without their ``from_`` prefix."""
    cut = len(prefix) + 1
    k = {
        (name[cut:] if name.startswith(f"{prefix}_") else name): child
        for name, child in _children(el).items()
    }
    account, _ = _party_holder(k)
    conductor = _person(k["t_conductor"]) if "t_conductor" in k else None
    return _Side(account, _text(k.get("funds_code")), _text(k.get("country")), conductor)


def _dup(obj: Any) -> Any:
    """A shallow copy of a record (faster than :func:`copy.copy` for plain dataclasses)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


class _Sides:
    """Sides already read in this file, by content.

    A reporter repeats the same side (its customer's account with full KYC, the same
    counterparty) in transaction after transaction; reading it once and then finding it by a
    digest of its serialisation is several times faster than walking its fifty-odd elements
    again. Callers get copies, so no two records share an object, unless ``share``: then the
    records of the same side share its objects (ingest, which never changes a record, then
    resolves a side once per chunk rather than once per transaction).
    """

    def __init__(self, size: int = 16_384, share: bool = False) -> None:
        self.size = size
        self.share = share
        self._seen: dict[bytes, _Side] = {}

    def read(self, el: etree._Element, prefix: str) -> _Side:
        key = hashlib.blake2b(etree.tostring(el, with_tail=False), digest_size=16).digest()
        side = self._seen.get(key)
        if side is None:
            if len(self._seen) >= self.size:
                self._seen.clear()
            side = self._seen[key] = _side(el, prefix)
        if self.share:
            return side
        account = side.account
        if account is not None:
            account = _dup(account)
            if account.owner is not None:
                account.owner = _dup(account.owner)
        conductor = _dup(side.conductor) if side.conductor is not None else None
        return _Side(account, side.funds_code, side.country, conductor)


def _involved(el: etree._Element | None) -> list[PartyRecord]:
    parties = []
    for party in el if el is not None else ():
        if _name(party.tag) != "party":
            continue
        holder, _ = _party_holder(_children(party))
        if holder is not None and holder.owner is not None:
            parties.append(holder.owner)
    return parties


def _comment_fields(text: str | None) -> dict[str, str]:
    """``merchant=...; mcc=...; purpose_code=...`` as the fiu-analytics exporter writes it;
    any other comment yields nothing."""
    if not text:
        return {}
    out: dict[str, str] = {}
    for part in text.split("; "):
        key, sep, value = part.partition("=")
        if not sep or key not in _COMMENT_KEYS or key in out or not value:
            return {}
        out[key] = value
    return out


# -- records --------------------------------------------------------------------------------------


@dataclass
class _Header:
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def reporter_id(self) -> str | None:
        return self.fields.get("rentity_id")

    @property
    def report_id(self) -> str | None:
        ref = self.fields.get("entity_reference") or self.fields.get("fiu_ref_number")
        if ref:
            return ref
        rentity, submitted = self.fields.get("rentity_id"), self.fields.get("submission_date")
        return f"{rentity}/{submitted}" if rentity and submitted else None


def _transaction(
    el: etree._Element,
    locator: str,
    header: _Header,
    mapping: GoamlMapping,
    side_cache: _Sides,
    src: str,
) -> Record:
    def rejected(name: str, value: str | None, reason: str) -> Rejected:
        return Rejected(src, locator, name, value, reason)

    k = _children(el)
    ref = _text(k.get("transactionnumber"))
    if not ref:
        return rejected(
            "transactionnumber", ref, "missing; expected the reporter's transaction number"
        )
    raw_date = _text(k.get("date_transaction"))
    timestamp = _datetime(raw_date)
    if timestamp is None:
        return rejected(
            "date_transaction",
            raw_date,
            "expected an ISO 8601 date or date-time such as 2025-01-31T14:05:00 (UTC is "
            "assumed without a time zone)",
        )
    raw_amount = _text(k.get("amount_local"))
    if raw_amount is None or not _DECIMAL.fullmatch(raw_amount):
        return rejected("amount_local", raw_amount, "expected a decimal number such as 1250.00")
    amount = float(raw_amount)
    if amount < 0:
        return rejected("amount_local", raw_amount, "negative; expected an amount of zero or more")

    from_el, to_el = k.get("t_from"), k.get("t_to")
    extra = _involved(k.get("involved_parties"))
    if from_el is None and to_el is None and "involved_parties" in k:
        return rejected(
            "involved_parties",
            f"{len(extra)} parties",
            "a multi-party transaction without t_from/t_to: the direction of the transfer "
            "cannot be determined; expected a from side (t_from or t_from_my_client) and a to "
            "side (t_to or t_to_my_client)",
        )
    sides = []
    for side_el, prefix in ((from_el, "from"), (to_el, "to")):
        wrapper = f"t_{prefix}"
        if side_el is None:
            return rejected(wrapper, None, f"missing; expected {wrapper} or {wrapper}_my_client")
        side = side_cache.read(side_el, prefix)
        if side.account is None:
            return rejected(
                f"{prefix}_account",
                None,
                f"{_name(side_el.tag)} names no party; expected one of {prefix}_account, "
                f"{prefix}_person or {prefix}_entity",
            )
        sides.append(side)
    src_side, dst_side = sides

    transmode = _text(k.get("transmode_code"))
    channel = mapping.channel(transmode, src_side.funds_code, dst_side.funds_code)
    if channel is None:
        return rejected(
            "transmode_code",
            transmode,
            f"{'missing' if transmode is None else 'not in the goAML mapping'} "
            f"{mapping.source}, and the funds codes (from {src_side.funds_code!r}, to "
            f"{dst_side.funds_code!r}) imply no channel; expected one of the transmode codes "
            f"{sorted(mapping.transmode)}",
        )
    comments = _comment_fields(_clean(k.get("comments")))
    # foreign-currency blocks are not read: amount_local is authoritative and the pipeline
    # converts it from the local currency
    return TxnRecord(
        source_file=src,
        locator=locator,
        reporter_id=header.reporter_id,
        report_id=header.report_id,
        txn_ref=ref,
        timestamp=timestamp,
        amount=amount,
        currency=header.fields.get("currency_code_local") or mapping.currency_code_local,
        channel=channel,
        src=src_side.account,
        dst=dst_side.account,
        src_country=src_side.country,
        dst_country=dst_side.country,
        city=_clean(k.get("transaction_location")),
        mcc=comments.get("mcc"),
        merchant=comments.get("merchant"),
        narrative=_clean(k.get("transaction_description")),
        purpose_code=comments.get("purpose_code"),
        conductor=src_side.conductor or dst_side.conductor,
        extra_parties=extra,
    )


def _activity(el: etree._Element, locator: str, src: str) -> list[Record]:
    """One PartyRecord per report party; an account party is read as its owner, with the
    account id as ``key_hint`` so that resolution can tie it to the account."""
    out: list[Record] = []
    n = 0
    for parties in el:
        if _name(parties.tag) != "report_parties":
            continue
        for party in parties:
            if _name(party.tag) != "report_party":
                continue
            n += 1
            where = f"{locator}/report_parties/report_party[{n}]"
            holder, kind = _party_holder(_children(party))
            if holder is not None and holder.owner is not None:
                owner = holder.owner
                if kind == "account":
                    owner.key_hint = holder.account_id
                out.append(owner)
            else:
                value = holder.account_id if holder is not None else None
                expected = (
                    "an owner (t_entity or signatory)" if kind else "person, entity or account"
                )
                out.append(
                    Rejected(src, where, kind or "report_party", value, f"expected {expected}")
                )
    return out


def _check_document(root: etree._Element, src: str) -> None:
    refuse_dtd(root, src, "a goAML report")
    if _name(root.tag) != "report":
        raise InputFormatError(
            src,
            f"root element is <{root.tag}>, not a goAML <report>",
            f"line {root.sourceline}",
        )


def parse_goaml(
    path: str | Path, mapping: GoamlMapping | None = None, share_sides: bool = False
) -> Iterator[Record]:
    """Stream the records of one goAML report file.

    Yields a :class:`TxnRecord` per readable ``transaction``, a :class:`PartyRecord` per
    activity-report party and a :class:`Rejected` per transaction or party that cannot be read
    (missing ``transactionnumber``, unparseable date, negative or non-numeric amount, unknown
    channel, a side without a party). Locators are XPaths such as ``/report/transaction[17]``.
    ``mapping`` defaults to the packaged goAML mapping (:meth:`GoamlMapping.load`). Each record
    has objects of its own, unless ``share_sides``: then records with the same side (same
    account, same KYC) share its :class:`AccountRecord` and :class:`PartyRecord` objects, which
    the caller must not change (ingest does this to resolve a side once, not once per record).

    Raises :class:`~fiu_analytics.errors.InputFormatError` naming the file and line when the
    file cannot be read, is not well-formed XML, is not a goAML report or declares entities.

    Example::

        >>> txns = [r for r in parse_goaml("2025-01-EFT.xml") if isinstance(r, TxnRecord)]
    """
    src = str(path)
    m = mapping if mapping is not None else GoamlMapping.load()
    header = _Header()
    side_cache = _Sides(share=share_sides)
    root: etree._Element | None = None
    n_txn = n_act = 0
    fh = None
    try:
        fh = open_binary(src)  # gzip-compressed reports are read transparently
        context = etree.iterparse(fh, events=("start", "end"), tag=_EVENT_TAGS, **_PARSER_OPTIONS)
        for event, el in context:
            if root is None:
                root = el.getroottree().getroot()
                _check_document(root, src)
            if event != "end" or el is root:
                continue
            name = _name(el.tag)
            parent = el.getparent()
            records: list[Record]
            if parent is not root:
                if name not in ("transaction", "activity"):
                    continue  # a header tag name inside something else: not the header
                records = [
                    Rejected(
                        src,
                        f"line {el.sourceline}",
                        None,
                        None,
                        f"<{name}> inside <{_name(parent.tag)}> skipped; goAML puts it "
                        "directly under <report>",
                    )
                ]
            elif name == "transaction":
                n_txn += 1
                records = [
                    _transaction(el, f"/report/transaction[{n_txn}]", header, m, side_cache, src)
                ]
            elif name == "activity":
                n_act += 1
                where = "/report/activity" + (f"[{n_act}]" if n_act > 1 else "")
                records = _activity(el, where, src)
            else:
                text = _text(el)
                if text is not None:
                    header.fields.setdefault(name, text)
                records = []
            # free what has been read: the element and every sibling before it
            el.clear(keep_tail=False)
            while el.getprevious() is not None:
                del parent[0]
            yield from records
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, src, "a goAML report") from None
    except OSError as exc:
        raise InputFormatError(src, f"cannot read the file: {exc}") from None
    finally:
        if fh is not None:
            fh.close()
    if root is None:
        raise InputFormatError(src, "no goAML <report> element found")
