"""Reader for ISO 20022 pacs.008 FI-to-FI customer credit transfers (versions .07 to .13).

A file may hold a bare ``Document``, a ``Document`` after a business application header
(``AppHdr``, head.001) inside any wrapping element (``<message>``, ``<Envelope>`` ...), or
several such pairs in one envelope. Elements are matched on their local names, so every
version's namespace (and a missing one) is read the same way; a ``Document`` in a namespace other
than pacs.008.001.07 to .13 is read anyway, with a warning in the log.

The file is streamed with :func:`lxml.etree.iterparse` under a hardened parser (no entity
expansion, no DTD loading, no network, no huge-tree mode); each ``CdtTrfTxInf`` is turned into
one record as soon as it ends and then cleared, so memory stays flat. A pacs.008 message never
has a DOCTYPE: a file that declares one (the vehicle of entity-expansion and external-entity
attacks) is refused before any entity could be used.

Each ``CdtTrfTxInf`` gives one :class:`~fiu_analytics.ingest.records.TxnRecord` (channel
``wire``) or, when its amount, currency or date cannot be used, one
:class:`~fiu_analytics.ingest.records.Rejected`. Choices worth knowing:

- ``txn_ref``: ``UETR:<uetr>`` (globally unique), else ``E2E:<debtor agent BIC>/<EndToEndId>``
  (set by the debtor, kept along the whole chain; ``NOTPROVIDED`` is ignored), else
  ``TXID:<instructing agent BIC>/<TxId>``, else ``INSTR:<instructing agent BIC>/<InstrId>``.
  Scoping the last three by an agent keeps two banks' ``INV-1`` apart while the same transfer
  reported by two agents in the chain still gets the same reference.
- ``timestamp`` (UTC): the interbank settlement date (the transaction's, else the group's); at
  midnight unless the acceptance time ``AccptncDtTm`` falls on that day, then that time. Without
  a settlement date: ``AccptncDtTm``, then the group's ``CreDtTm``. Date-times without an offset
  are read as UTC (ISO 20022 leaves them in the sender's local time, which the file does not
  state). The first of these fields that is present must be valid, or the transfer is rejected.
- A missing debtor (or creditor) name or account is kept, not rejected: on a cross-border
  transfer it is a terrorism-financing red flag in itself. The account's ``owner`` is then None.
- Countries: the party's ``PstlAdr/Ctry`` (else ``CtryOfRes``), else the country letters of its
  agent's BIC (characters 5-6), else of its IBAN. Accounts carry the country of the institution.
- ``reporter_id``: the ``AppHdr`` sender BIC (``Fr``), else the instructing agent's BIC;
  ``report_id``: the group header ``MsgId``, else the ``AppHdr`` ``BizMsgIdr``.
- ``UltmtDbtr``, ``InitgPty`` and ``UltmtCdtr`` become ``extra_parties``. An instructed amount in
  another currency than the settlement amount (``InstdAmt``, ``XchgRate``) is noted at the end of
  the narrative, ``[instructed 4500.00 EUR, rate 1.1]``; malformed values there are ignored.

Locators are XPath-like paths with 1-based indexes:
``/message/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]`` (an index is shown on ``CdtTrfTxInf``
always and on any other step when it is above 1).

Example::

    >>> for rec in parse_pacs008("pacs.008.001.08.xml"):
    ...     print(rec.txn_ref, rec.amount, rec.currency)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from fiu_analytics.errors import InputFormatError
from fiu_analytics.ingest.detect import open_binary
from fiu_analytics.ingest.records import (
    AccountRecord,
    PartyRecord,
    Record,
    Rejected,
    TxnRecord,
)
from fiu_analytics.ingest.xml_safety import parser_options, refuse_dtd, syntax_error

__all__ = ["SUPPORTED_VERSIONS", "parse_pacs008", "party_type_from_name"]

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS: tuple[int, ...] = tuple(range(7, 14))
"""pacs.008.001.NN versions this reader is written and tested for."""

_NS = re.compile(r"urn:iso:std:iso:20022:tech:xsd:pacs\.008\.001\.(\d+)$")
_AMOUNT = re.compile(r"\d+(?:\.\d+)?")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_CCY = re.compile(r"[A-Z]{3}")
_CTRY = re.compile(r"[A-Z]{2}")
_BIC = re.compile(r"[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_IBAN = re.compile(r"([A-Z]{2})\d{2}[A-Z0-9]{10,30}")
_NOT_PROVIDED = "NOTPROVIDED"
# Words that mark a legal person when a party carries no OrgId/PrvtId to say which it is.
_LEGAL_FORM_WORDS = (
    "ltd limited llc llp inc incorporated corp corporation co company plc gmbh ag kg sa sas "
    "sarl srl spa bv nv oy aps sl pty pte bhd fze fzco foundation trust association "
    "charity ngo bank exchange holding holdings group partners enterprises trading services "
    "international fund society institute church mosque ministries relief"
)
_LEGAL_FORMS = frozenset(_LEGAL_FORM_WORDS.split())


def party_type_from_name(name: str | None) -> str:
    """``entity`` if the name carries a legal-form or organisation word, else ``person``.

    Only a fallback for sources that do not say which a party is.

    >>> party_type_from_name("Al Noor Relief Foundation"), party_type_from_name("JOHN DOE")
    ('entity', 'person')
    """
    if not name:
        return "person"
    words = re.split(r"[^a-z0-9]+", name.casefold())
    return "entity" if any(w in _LEGAL_FORMS for w in words) else "person"


def _parser_options() -> dict[str, object]:
    """Options of every parse: nothing is expanded, loaded or fetched."""
    return parser_options()


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


# An element read into a flat dict: local-name path below it ("Dbtr/PstlAdr/Ctry") -> the texts
# of the elements at that path, in document order. Containers map to an empty list, so that
# presence can be tested; the Ccy attribute of amounts is kept as "<path>@Ccy". One walk per
# transaction is about four times faster than one namespace-agnostic lookup per field.
_Flat = dict[str, list[str | None]]
_CCY_PATHS = frozenset({"IntrBkSttlmAmt", "InstdAmt"})


def _flatten(el: etree._Element, prefix: str = "", out: _Flat | None = None) -> _Flat:
    if out is None:
        out = {}
    for child in el:
        name = prefix + child.tag.rpartition("}")[2]
        if len(child):
            out.setdefault(name, [])
            _flatten(child, name + "/", out)
            continue
        out.setdefault(name, []).append(child.text)
        if name in _CCY_PATHS:
            out.setdefault(f"{name}@Ccy", []).append(child.get("Ccy"))
    return out


def _clean(text: str | None) -> str | None:
    if not text:
        return None
    return " ".join(text.split()) or None


def _text(f: _Flat, path: str) -> str | None:
    """Whitespace-collapsed text of the first element at ``path``, None if absent or empty."""
    values = f.get(path)
    return _clean(values[0]) if values else None


def _all_text(f: _Flat, path: str) -> list[str]:
    return [t for v in f.get(path, ()) if (t := _clean(v))]


def _country(code: str | None) -> str | None:
    if not code:
        return None
    code = code.strip().upper()
    return code if _CTRY.fullmatch(code) else None


def _bic_country(bic: str | None) -> str | None:
    m = _BIC.fullmatch(bic or "")
    return m.group(1) if m else None


def _iban_country(iban: str | None) -> str | None:
    m = _IBAN.fullmatch((iban or "").replace(" ", "").upper())
    return m.group(1) if m else None


def _agent_code(f: _Flat, agent: str) -> str | None:
    """An institution code for an agent: BIC, else clearing member id, LEI or other id."""
    fin = f"{agent}/FinInstnId/"
    bic = _text(f, fin + "BICFI") or _text(f, fin + "BIC")
    if bic:
        return bic.upper()
    return _text(f, fin + "ClrSysMmbId/MmbId") or _text(f, fin + "LEI") or _text(f, fin + "Othr/Id")


def _datetime(text: str) -> datetime:
    """An ISO 20022 ISODateTime as an aware UTC datetime (no offset: read as UTC)."""
    dt = datetime.fromisoformat(text)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _address(f: _Flat, adr: str) -> str | None:
    if adr not in f:
        return None
    lines = _all_text(f, adr + "/AdrLine")
    if not lines:
        street = " ".join(t for t in (_text(f, adr + "/StrtNm"), _text(f, adr + "/BldgNb")) if t)
        town = " ".join(t for t in (_text(f, adr + "/PstCd"), _text(f, adr + "/TwnNm")) if t)
        lines = [t for t in (street, town) if t]
    country = _text(f, adr + "/Ctry")
    if country:
        lines.append(country)
    return ", ".join(lines) or None


def _identifier(f: _Flat, base: str) -> str | None:
    """The first usable identifier of an ``OrgId``/``PrvtId``, as ``scheme:value``."""
    direct = _text(f, base + "/AnyBIC") or _text(f, base + "/LEI")
    if direct:
        return direct
    value = _text(f, base + "/Othr/Id")
    if not value:
        return None
    ids = f.get(base + "/Othr/Id", [])
    schemes = f.get(base + "/Othr/SchmeNm/Cd") or f.get(base + "/Othr/SchmeNm/Prtry") or []
    # several Othr: a scheme pairs with the id only if every Othr names one
    scheme = _clean(schemes[0]) if schemes and len(schemes) == len(ids) else None
    return f"{scheme}:{value}" if scheme else value


def _party(f: _Flat, el: str) -> tuple[PartyRecord | None, str | None]:
    """A party element (``Dbtr``, ``UltmtCdtr`` ...) as a record (None without a name) and
    its country."""
    if el not in f:
        return None, None
    country = _country(_text(f, el + "/PstlAdr/Ctry")) or _country(_text(f, el + "/CtryOfRes"))
    name = _text(f, el + "/Nm")
    if not name:
        return None, country
    org, prvt = el + "/Id/OrgId", el + "/Id/PrvtId"
    if org in f:
        party_type, id_base = "entity", org
    elif prvt in f:
        party_type, id_base = "person", prvt
    else:
        party_type, id_base = party_type_from_name(name), None
    birth = None
    birth_text = _text(f, prvt + "/DtAndPlcOfBirth/BirthDt")
    if birth_text:
        try:
            birth = date.fromisoformat(birth_text)
        except ValueError:
            birth = None
    phone = _text(f, el + "/CtctDtls/PhneNb") or _text(f, el + "/CtctDtls/MobNb")
    return (
        PartyRecord(
            party_type=party_type,
            name=name,
            birth_date=birth,
            country=country,
            id_document=_identifier(f, id_base) if id_base else None,
            phone=phone,
            address=_address(f, el + "/PstlAdr"),
        ),
        country,
    )


def _account(
    f: _Flat, acct: str, institution: str | None, owner: PartyRecord | None
) -> AccountRecord | None:
    iban = _text(f, acct + "/Id/IBAN")
    number = _text(f, acct + "/Id/Othr/Id")
    if not number and not iban:
        proxy = _text(f, acct + "/Prxy/Id")
        number = f"proxy:{proxy}" if proxy else None
    if not (institution or iban or number or owner):
        return None
    return AccountRecord(
        institution=institution,
        number=number,
        iban=iban.replace(" ", "").upper() if iban else None,
        country=_bic_country(institution) or _iban_country(iban),
        owner=owner,
    )


class _Problem(NamedTuple):
    """Why a transfer cannot be used: the field, the value received and what was expected."""

    field: str
    value: str | None
    reason: str


class _Context:
    """What the headers around a transaction say: sender, message id, group dates."""

    def __init__(self) -> None:
        self.sender: str | None = None  # AppHdr Fr BIC
        self.biz_msg_id: str | None = None
        self.msg_id: str | None = None
        self.created: str | None = None
        self.settlement_date: str | None = None
        self.instructing_agent: str | None = None

    def read_app_header(self, el: etree._Element) -> None:
        f = _flatten(el)
        self.sender = _agent_code(f, "Fr/FIId") or _text(f, "Fr/OrgId/Id/OrgId/AnyBIC")
        self.biz_msg_id = _text(f, "BizMsgIdr")

    def read_group_header(self, el: etree._Element) -> None:
        f = _flatten(el)
        self.msg_id = _text(f, "MsgId")
        self.created = _text(f, "CreDtTm")
        self.settlement_date = _text(f, "IntrBkSttlmDt")
        self.instructing_agent = _agent_code(f, "InstgAgt")


def _date(text: str) -> date | None:
    """An ISODate (``2024-05-31``, optionally with a zone suffix) or the date of a date-time."""
    m = _DATE.fullmatch(text)
    try:
        return date.fromisoformat(m.group(1)) if m else _datetime(text).date()
    except ValueError:
        return None


def _timestamp(f: _Flat, ctx: _Context) -> datetime | _Problem:
    """The transfer's UTC time, or the problem that makes it unusable."""
    settle = _text(f, "IntrBkSttlmDt")
    settle_field = "IntrBkSttlmDt"
    if settle is None and ctx.settlement_date:
        settle, settle_field = ctx.settlement_date, "GrpHdr/IntrBkSttlmDt"
    accepted = _text(f, "AccptncDtTm")
    accepted_dt = None
    if accepted is not None:
        try:
            accepted_dt = _datetime(accepted)
        except ValueError:
            if settle is None:
                return _Problem("AccptncDtTm", accepted, "expected an ISO 8601 date-time")
    if settle is not None:
        day = _date(settle)
        if day is None:
            return _Problem(settle_field, settle, "expected an ISO 8601 date such as 2024-05-31")
        if accepted_dt is not None and accepted_dt.date() == day:
            return accepted_dt
        return datetime.combine(day, time(0), tzinfo=UTC)
    if accepted_dt is not None:
        return accepted_dt
    if ctx.created is not None:
        try:
            return _datetime(ctx.created)
        except ValueError:
            return _Problem("GrpHdr/CreDtTm", ctx.created, "expected an ISO 8601 date-time")
    return _Problem(
        "IntrBkSttlmDt",
        None,
        "missing: no settlement date, acceptance time (AccptncDtTm) or group creation time "
        "(GrpHdr/CreDtTm)",
    )


def _amount(f: _Flat, name: str) -> tuple[float, str] | _Problem:
    """(amount, currency) of an amount element such as ``IntrBkSttlmAmt``, or the problem."""
    if name not in f:
        return _Problem(name, None, "missing")
    text = _text(f, name)
    if text is None or not _AMOUNT.fullmatch(text):
        return _Problem(name, text, "expected a non-negative decimal amount such as 1500.00")
    raw_ccy = (f.get(f"{name}@Ccy") or [None])[0]
    ccy = (raw_ccy or "").strip().upper()
    if not _CCY.fullmatch(ccy):
        return _Problem(f"{name}@Ccy", raw_ccy, "expected an ISO 4217 currency code such as USD")
    return float(text), ccy


def _txn_ref(f: _Flat, debtor_agent: str | None, instg: str | None) -> str | None:
    uetr = _text(f, "PmtId/UETR")
    if uetr:
        return f"UETR:{uetr.lower()}"
    e2e = _text(f, "PmtId/EndToEndId")
    if e2e and e2e.upper() != _NOT_PROVIDED:
        return f"E2E:{debtor_agent or 'UNKNOWN'}/{e2e}"
    tx_id = _text(f, "PmtId/TxId")
    if tx_id:
        return f"TXID:{instg or 'UNKNOWN'}/{tx_id}"
    instr = _text(f, "PmtId/InstrId")
    return f"INSTR:{instg or 'UNKNOWN'}/{instr}" if instr else None


def _fx_note(f: _Flat, currency: str) -> str | None:
    """A note on an instructed amount in another currency; malformed values are ignored."""
    if "InstdAmt" not in f:
        return None
    parsed = _amount(f, "InstdAmt")
    if isinstance(parsed, _Problem) or parsed[1] == currency:
        return None
    rate = _text(f, "XchgRate")
    try:
        rate_part = f", rate {float(rate):g}" if rate else ""
    except ValueError:
        rate_part = ""
    return f"[instructed {parsed[0]:.2f} {parsed[1]}{rate_part}]"


def _narrative(f: _Flat, fx: str | None) -> str | None:
    parts = _all_text(f, "RmtInf/Ustrd") + _all_text(f, "RmtInf/Strd/AddtlRmtInf")
    if fx:
        parts.append(fx)
    return " ".join(parts) or None


def _transaction(el: etree._Element, src: str, locator: str, ctx: _Context) -> Record:
    f = _flatten(el)
    parsed = _amount(f, "IntrBkSttlmAmt")
    if isinstance(parsed, _Problem):
        return Rejected(src, locator, parsed.field, parsed.value, parsed.reason)
    amount, currency = parsed
    timestamp = _timestamp(f, ctx)
    if isinstance(timestamp, _Problem):
        return Rejected(src, locator, timestamp.field, timestamp.value, timestamp.reason)

    debtor_agent = _agent_code(f, "DbtrAgt")
    creditor_agent = _agent_code(f, "CdtrAgt")
    instg = _agent_code(f, "InstgAgt") or ctx.instructing_agent
    debtor, debtor_country = _party(f, "Dbtr")
    creditor, creditor_country = _party(f, "Cdtr")
    src_acct = _account(f, "DbtrAcct", debtor_agent, debtor)
    dst_acct = _account(f, "CdtrAcct", creditor_agent, creditor)
    extra = [p for name in ("UltmtDbtr", "InitgPty", "UltmtCdtr") if (p := _party(f, name)[0])]
    purpose = _text(f, "Purp/Cd") or _text(f, "Purp/Prtry")
    return TxnRecord(
        source_file=src,
        locator=locator,
        reporter_id=ctx.sender or instg,
        report_id=ctx.msg_id or ctx.biz_msg_id,
        txn_ref=_txn_ref(f, debtor_agent, instg),
        timestamp=timestamp,
        amount=amount,
        currency=currency,
        channel="wire",
        src=src_acct,
        dst=dst_acct,
        src_country=debtor_country or (src_acct.country if src_acct else None),
        dst_country=creditor_country or (dst_acct.country if dst_acct else None),
        narrative=_narrative(f, _fx_note(f, currency)),
        purpose_code=purpose.upper() if purpose else None,
        extra_parties=extra,
    )


def _free(el: etree._Element) -> None:
    """Release an element that has been read, and the siblings read before it."""
    el.clear(keep_tail=True)
    parent = el.getparent()
    while parent is not None and el.getprevious() is not None:
        del parent[0]


def _check_prolog(root: etree._Element, src: str) -> None:
    refuse_dtd(root, src, "a pacs.008 message", any_doctype=True)


def _check_namespace(el: etree._Element, src: str) -> None:
    ns = etree.QName(el).namespace
    if ns is None:
        return
    m = _NS.match(ns)
    if m is None:
        log.warning(
            "%s line %s: Document namespace %s is not pacs.008; read anyway by local element names",
            src,
            el.sourceline,
            ns,
        )
    elif int(m.group(1)) not in SUPPORTED_VERSIONS:
        log.warning(
            "%s line %s: pacs.008.001.%s is outside the supported versions .07 to .13; read anyway",
            src,
            el.sourceline,
            m.group(1),
        )


_NS_FIU = "{urn:fiu-analytics:ingest}"
_IDX = f"{_NS_FIU}idx"  # an element's 1-based index among its same-named siblings
_TAGS = ("{*}AppHdr", "{*}Document", "{*}FIToFICstmrCdtTrf", "{*}GrpHdr", "{*}CdtTrfTxInf")
"""The only elements the parser reports events for; everything else is read from them."""


def _number(el: etree._Element, name: str) -> None:
    """Give an element its index among the same-named siblings before it (which may already
    have been freed, so the count is kept on the parent)."""
    parent = el.getparent()
    if parent is None:
        el.set(_IDX, "1")
        return
    key = f"{_NS_FIU}n-{name}"
    n = str(int(parent.get(key, "0")) + 1)
    parent.set(key, n)
    el.set(_IDX, n)


def _locator(el: etree._Element) -> str:
    """``/message/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]``: indexes on the transaction
    always, elsewhere when above 1."""
    steps = []
    node: etree._Element | None = el
    while node is not None:
        name = _local(node.tag)
        idx = node.get(_IDX)
        if idx is None:  # a wrapper the parser reports no events for: wrappers are never freed
            idx = str(1 + sum(1 for s in node.itersiblings(preceding=True) if s.tag == node.tag))
            node.set(_IDX, idx)
        steps.append(f"{name}[{idx}]" if idx != "1" or node is el else name)
        node = node.getparent()
    return "/" + "/".join(reversed(steps))


def parse_pacs008(path: str | Path) -> Iterator[Record]:
    """Stream the credit transfers of a pacs.008 file as records.

    Yields one :class:`TxnRecord` per ``CdtTrfTxInf`` (or a :class:`Rejected` saying which field
    and value made it unusable). gzip-compressed files are read transparently.

    Raises :class:`~fiu_analytics.errors.InputFormatError` naming the file and line if it cannot
    be read, is not well-formed XML, declares a DOCTYPE or holds no ``FIToFICstmrCdtTrf``.
    """
    src = str(path)
    ctx = _Context()
    transfers = 0
    checked = False
    root_name = ""
    try:
        with open_binary(path) as fh:
            context = etree.iterparse(fh, events=("start", "end"), tag=_TAGS, **_parser_options())
            for event, el in context:
                if not checked:
                    _check_prolog(el, src)
                    checked = True
                name = _local(el.tag)
                if event == "start":
                    _number(el, name)
                    if name == "Document":
                        _check_namespace(el, src)
                    elif name == "FIToFICstmrCdtTrf":
                        transfers += 1
                    continue
                parent = el.getparent()
                in_transfer = parent is not None and _local(parent.tag) == "FIToFICstmrCdtTrf"
                if name == "CdtTrfTxInf" and in_transfer:
                    yield _transaction(el, src, _locator(el), ctx)
                    _free(el)
                elif name == "GrpHdr" and in_transfer:
                    ctx.read_group_header(el)
                    _free(el)
                elif name == "AppHdr":
                    ctx.read_app_header(el)
                    _free(el)
                elif name == "Document":
                    ctx = _Context()  # the next Document brings its own headers
                    _free(el)
            root = context.root
            if root is not None:
                if not checked:
                    _check_prolog(root, src)
                root_name = _local(root.tag)
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, src, "a pacs.008 message") from None
    except OSError as exc:
        raise InputFormatError(src, f"cannot read the file: {exc}") from None
    if transfers == 0:
        raise InputFormatError(
            src,
            f"no pacs.008 FIToFICstmrCdtTrf found (root element <{root_name}>); expected a "
            "pacs.008 Document, bare or after an AppHdr in a wrapping element",
        )
