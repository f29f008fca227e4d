"""pacs.008 reader: the real prowide sample, generated .08 and .13 variants, hostile XML."""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from fiu_analytics.errors import InputFormatError
from fiu_analytics.ingest.pacs008 import parse_pacs008, party_type_from_name
from fiu_analytics.ingest.records import Rejected, TxnRecord
from tests.conftest import SHARED_SAMPLES

PROWIDE = SHARED_SAMPLES / "iso20022" / "prowide_pacs.008.001.07.xml"


# -- fixture builder ------------------------------------------------------------------------


@dataclass
class Tx:
    """One CdtTrfTxInf to write; None leaves an element out."""

    e2e: str = "INV-2024-001"
    tx_id: str | None = "TX-1"
    uetr: str | None = None
    amount: str = "1500.00"
    ccy: str | None = "EUR"
    settlement_date: str | None = "2024-05-31"
    accepted: str | None = None
    instructed: tuple[str, str] | None = None  # (amount, currency)
    rate: str | None = None
    debtor_name: str | None = "Anna Muster"
    debtor_country: str | None = "DE"
    debtor_org: bool = False
    debtor_iban: str | None = "DE89370400440532013000"
    debtor_bic: str | None = "COBADEFFXXX"
    creditor_name: str | None = "Hassan Trading LLC"
    creditor_country: str | None = "TR"
    creditor_account: str | None = "000123456"
    creditor_bic: str | None = "AKBKTRISXXX"
    ultimate_debtor: str | None = None
    initiating_party: str | None = None
    ultimate_creditor: str | None = None
    purpose: str | None = None
    remittance: list[str] = field(default_factory=list)


def _sub(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrib: str):
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib)
    if text is not None:
        el.text = text
    return el


def _party(parent, ns, tag, name, country=None, org=False):
    p = _sub(parent, ns, tag)
    if name is not None:
        _sub(p, ns, "Nm", name)
    if country is not None:
        _sub(_sub(p, ns, "PstlAdr"), ns, "Ctry", country)
    if org:
        other = _sub(_sub(_sub(p, ns, "Id"), ns, "OrgId"), ns, "Othr")
        _sub(other, ns, "Id", "HRB 12345")
        _sub(_sub(other, ns, "SchmeNm"), ns, "Cd", "COID")
    return p


def _agent(parent, ns, tag, bic):
    _sub(_sub(_sub(parent, ns, tag), ns, "FinInstnId"), ns, "BICFI", bic)


def _document(ns: str, txs: list[Tx], msg_id: str = "MSG-1", instructing: str = "COBADEFFXXX"):
    doc = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    root = _sub(doc, ns, "FIToFICstmrCdtTrf")
    grp = _sub(root, ns, "GrpHdr")
    _sub(grp, ns, "MsgId", msg_id)
    _sub(grp, ns, "CreDtTm", "2024-05-30T09:15:00+02:00")
    _sub(grp, ns, "NbOfTxs", str(len(txs)))
    _sub(_sub(grp, ns, "SttlmInf"), ns, "SttlmMtd", "INDA")
    _agent(grp, ns, "InstgAgt", instructing)
    for t in txs:
        tx = _sub(root, ns, "CdtTrfTxInf")
        pmt = _sub(tx, ns, "PmtId")
        _sub(pmt, ns, "InstrId", "INSTR-1")
        _sub(pmt, ns, "EndToEndId", t.e2e)
        if t.tx_id:
            _sub(pmt, ns, "TxId", t.tx_id)
        if t.uetr:
            _sub(pmt, ns, "UETR", t.uetr)
        attrib = {"Ccy": t.ccy} if t.ccy is not None else {}
        _sub(tx, ns, "IntrBkSttlmAmt", t.amount, **attrib)
        if t.settlement_date:
            _sub(tx, ns, "IntrBkSttlmDt", t.settlement_date)
        if t.accepted:
            _sub(tx, ns, "AccptncDtTm", t.accepted)
        if t.instructed:
            _sub(tx, ns, "InstdAmt", t.instructed[0], Ccy=t.instructed[1])
        if t.rate:
            _sub(tx, ns, "XchgRate", t.rate)
        _sub(tx, ns, "ChrgBr", "SHAR")
        if t.ultimate_debtor:
            _party(tx, ns, "UltmtDbtr", t.ultimate_debtor)
        if t.initiating_party:
            _party(tx, ns, "InitgPty", t.initiating_party)
        _party(tx, ns, "Dbtr", t.debtor_name, t.debtor_country, t.debtor_org)
        if t.debtor_iban:
            _sub(_sub(_sub(tx, ns, "DbtrAcct"), ns, "Id"), ns, "IBAN", t.debtor_iban)
        if t.debtor_bic:
            _agent(tx, ns, "DbtrAgt", t.debtor_bic)
        if t.creditor_bic:
            _agent(tx, ns, "CdtrAgt", t.creditor_bic)
        _party(tx, ns, "Cdtr", t.creditor_name, t.creditor_country)
        if t.creditor_account:
            other = _sub(_sub(_sub(tx, ns, "CdtrAcct"), ns, "Id"), ns, "Othr")
            _sub(other, ns, "Id", t.creditor_account)
        if t.ultimate_creditor:
            _party(tx, ns, "UltmtCdtr", t.ultimate_creditor)
        if t.purpose:
            _sub(_sub(tx, ns, "Purp"), ns, "Cd", t.purpose)
        if t.remittance:
            rmt = _sub(tx, ns, "RmtInf")
            for line in t.remittance:
                _sub(rmt, ns, "Ustrd", line)
    return doc


def _app_header(sender: str, biz_id: str) -> etree._Element:
    ns = "urn:iso:std:iso:20022:tech:xsd:head.001.001.02"
    hdr = etree.Element(f"{{{ns}}}AppHdr", nsmap={None: ns})
    fr = _sub(_sub(_sub(hdr, ns, "Fr"), ns, "FIId"), ns, "FinInstnId")
    _sub(fr, ns, "BICFI", sender)
    _sub(hdr, ns, "BizMsgIdr", biz_id)
    _sub(hdr, ns, "MsgDefIdr", "pacs.008.001.08")
    return hdr


def write_pacs008(
    path: Path,
    txs: list[Tx],
    version: int = 8,
    msg_id: str = "MSG-1",
    app_header: tuple[str, str] | None = None,
) -> Path:
    """Write a pacs.008.001.<version> Document (bare, or after an AppHdr in <message>)."""
    ns = f"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.{version:02d}"
    doc = _document(ns, txs, msg_id)
    if app_header is None:
        tree = etree.ElementTree(doc)
    else:
        message = etree.Element("message")
        message.append(_app_header(*app_header))
        message.append(doc)
        tree = etree.ElementTree(message)
    tree.write(str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return path


def _records(path: Path) -> list:
    return list(parse_pacs008(path))


# -- the real sample ------------------------------------------------------------------------


def test_real_prowide_sample_is_read_unchanged() -> None:
    before = PROWIDE.read_bytes()
    recs = _records(PROWIDE)
    assert PROWIDE.read_bytes() == before
    assert len(recs) == 1
    (t,) = recs
    assert isinstance(t, TxnRecord)
    assert t.locator == "/message/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]"
    assert (t.amount, t.currency, t.channel) == (5000.0, "USD", "wire")
    assert t.timestamp == datetime(2018, 7, 31, tzinfo=UTC)  # settlement date
    assert t.reporter_id == "MLCOUS33XXX"  # the AppHdr sender
    assert t.report_id == "823823423"  # GrpHdr/MsgId
    assert t.txn_ref == "E2E:ITUSUSP1XXX/223423423"
    assert t.src is not None and t.src.owner is not None
    assert t.src.owner.name == "JOHN DOE"
    assert t.src.owner.party_type == "person"
    assert t.src.owner.country == "AR"
    assert "Buenos Aires" in (t.src.owner.address or "")
    assert t.src.institution == "ITUSUSP1XXX"
    assert (t.src_country, t.dst_country) == ("AR", "US")  # debtor's address, creditor's agent
    assert t.dst is not None and t.dst.institution == "USTBUS31XXX"
    assert t.dst.owner is not None and t.dst.owner.name == "Mike Smith"
    # the sample carries neither a purpose code nor remittance information
    assert t.purpose_code is None and t.narrative is None
    assert t.extra_parties == []


# -- generated variants ---------------------------------------------------------------------


@pytest.mark.parametrize("version", [8, 13])
def test_generated_version_without_app_header(tmp_path: Path, version: int) -> None:
    txs = [
        Tx(
            uetr="3F2A6F0E-8D5B-4C1E-9F7A-2B1C0D9E8F71",
            purpose="char",
            remittance=["DONATION FOR", "ORPHANS"],
            ultimate_debtor="Al Noor Relief Foundation",
            debtor_org=True,
            debtor_name="Muster Holding GmbH",
        ),
        Tx(e2e="NOTPROVIDED", tx_id="TX-2", amount="250", ccy="USD", creditor_account=None),
        Tx(e2e="E2E-3", amount="99.5", ultimate_creditor="Omar K.", initiating_party="Payroll Co"),
    ]
    path = write_pacs008(tmp_path / f"p{version}.xml", txs, version=version, msg_id="BATCH-7")
    recs = _records(path)
    assert [type(r) for r in recs] == [TxnRecord] * 3
    assert [r.locator for r in recs] == [
        f"/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[{i}]" for i in (1, 2, 3)
    ]
    first, second, third = recs
    assert all(r.reporter_id == "COBADEFFXXX" for r in recs)  # the instructing agent
    assert all(r.report_id == "BATCH-7" for r in recs)
    assert first.txn_ref == "UETR:3f2a6f0e-8d5b-4c1e-9f7a-2b1c0d9e8f71"
    assert second.txn_ref == "TXID:COBADEFFXXX/TX-2"  # NOTPROVIDED is no reference
    assert third.txn_ref == "E2E:COBADEFFXXX/E2E-3"
    assert first.purpose_code == "CHAR"
    assert first.narrative == "DONATION FOR ORPHANS"
    assert [p.name for p in first.extra_parties] == ["Al Noor Relief Foundation"]
    assert first.extra_parties[0].party_type == "entity"
    assert first.src is not None and first.src.owner is not None
    assert first.src.owner.party_type == "entity"  # OrgId
    assert first.src.owner.id_document == "COID:HRB 12345"
    assert first.src.account_id == "DE89370400440532013000"
    assert first.dst is not None and first.dst.account_id == "AKBKTRISXXX/000123456"
    assert (first.src_country, first.dst_country) == ("DE", "TR")
    assert first.timestamp == datetime(2024, 5, 31, tzinfo=UTC)
    assert (second.amount, second.currency) == (250.0, "USD")
    assert second.dst is not None and second.dst.number is None
    assert {p.name for p in third.extra_parties} == {"Omar K.", "Payroll Co"}


def test_missing_debtor_name_and_account_on_cross_border_transfer_is_kept(
    tmp_path: Path,
) -> None:
    path = write_pacs008(
        tmp_path / "anon.xml",
        [Tx(debtor_name=None, debtor_iban=None, debtor_country="AE", creditor_country="SO")],
    )
    (t,) = _records(path)
    assert isinstance(t, TxnRecord)  # a TF red flag, never a reason to reject
    assert t.src is not None
    assert t.src.owner is None
    assert t.src.account_id is None
    assert t.src.institution == "COBADEFFXXX"
    assert (t.src_country, t.dst_country) == ("AE", "SO")


def test_debtor_without_anything_but_the_amount_is_kept(tmp_path: Path) -> None:
    path = write_pacs008(
        tmp_path / "bare.xml",
        [Tx(debtor_name=None, debtor_iban=None, debtor_bic=None, debtor_country=None)],
    )
    (t,) = _records(path)
    assert isinstance(t, TxnRecord)
    assert t.src is None and t.src_country is None
    assert t.amount == 1500.0


@pytest.mark.parametrize(
    ("tx", "field", "value"),
    [
        (Tx(amount="12,50"), "IntrBkSttlmAmt", "12,50"),
        (Tx(amount="-5"), "IntrBkSttlmAmt", "-5"),
        (Tx(ccy="euro"), "IntrBkSttlmAmt@Ccy", "euro"),
        (Tx(ccy=None), "IntrBkSttlmAmt@Ccy", None),
        (Tx(settlement_date="31/05/2024"), "IntrBkSttlmDt", "31/05/2024"),
    ],
)
def test_unusable_amount_currency_or_date_is_rejected_with_locator(
    tmp_path: Path, tx: Tx, field: str, value: str | None
) -> None:
    path = write_pacs008(tmp_path / "bad.xml", [Tx(), tx, Tx()])
    recs = _records(path)
    assert [type(r) for r in recs] == [TxnRecord, Rejected, TxnRecord]
    bad = recs[1]
    assert bad.locator == "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]"
    assert (bad.field, bad.value) == (field, value)
    assert bad.reason
    assert "CdtTrfTxInf[2]" in bad.message()


def test_timestamp_takes_acceptance_time_on_the_settlement_day(tmp_path: Path) -> None:
    path = write_pacs008(
        tmp_path / "t.xml",
        [
            Tx(accepted="2024-05-31T14:03:10+02:00"),
            Tx(accepted="2024-05-29T08:00:00"),  # another day: the settlement date wins
            Tx(settlement_date=None, accepted="2024-06-01T23:30:00Z"),
        ],
    )
    a, b, c = _records(path)
    assert a.timestamp == datetime(2024, 5, 31, 12, 3, 10, tzinfo=UTC)
    assert b.timestamp == datetime(2024, 5, 31, tzinfo=UTC)
    assert c.timestamp == datetime(2024, 6, 1, 23, 30, tzinfo=UTC)


def test_group_creation_time_is_the_last_resort(tmp_path: Path) -> None:
    path = write_pacs008(tmp_path / "t.xml", [Tx(settlement_date=None)])
    (t,) = _records(path)
    assert t.timestamp == datetime(2024, 5, 30, 7, 15, tzinfo=UTC)


def test_instructed_amount_in_another_currency_is_noted(tmp_path: Path) -> None:
    path = write_pacs008(
        tmp_path / "fx.xml",
        [
            Tx(ccy="USD", amount="1100", instructed=("1000", "EUR"), rate="1.1", remittance=["x"]),
            Tx(instructed=("oops", "EUR"), rate="n/a"),  # tolerated, ignored
        ],
    )
    a, b = _records(path)
    assert a.narrative == "x [instructed 1000.00 EUR, rate 1.1]"
    assert isinstance(b, TxnRecord) and b.narrative is None


def test_app_header_and_several_documents_in_one_envelope(tmp_path: Path) -> None:
    ns8 = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"
    envelope = etree.Element("Envelope")
    envelope.append(_app_header("BANKGB2LXXX", "BIZ-1"))
    envelope.append(_document(ns8, [Tx(), Tx(e2e="E2")], msg_id="M1"))
    envelope.append(_app_header("BANKFRPPXXX", "BIZ-2"))
    envelope.append(_document(ns8, [Tx(e2e="E3")], msg_id="M2"))
    envelope.append(_document(ns8, [Tx(e2e="E4")], msg_id="M3"))  # no header of its own
    path = tmp_path / "env.xml"
    etree.ElementTree(envelope).write(str(path))
    recs = _records(path)
    assert [r.locator for r in recs] == [
        "/Envelope/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]",
        "/Envelope/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]",
        "/Envelope/Document[2]/FIToFICstmrCdtTrf/CdtTrfTxInf[1]",
        "/Envelope/Document[3]/FIToFICstmrCdtTrf/CdtTrfTxInf[1]",
    ]
    assert [r.reporter_id for r in recs] == [
        "BANKGB2LXXX",
        "BANKGB2LXXX",
        "BANKFRPPXXX",
        "COBADEFFXXX",  # no AppHdr: the instructing agent
    ]
    assert [r.report_id for r in recs] == ["M1", "M1", "M2", "M3"]


def test_app_header_wrapped_generated_file_and_gzip(tmp_path: Path) -> None:
    path = write_pacs008(tmp_path / "w.xml", [Tx()], version=13, app_header=("SNDRUS33XXX", "B"))
    gz = tmp_path / "w.xml.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    for p in (path, gz):
        (t,) = _records(p)
        assert t.reporter_id == "SNDRUS33XXX"
        assert t.locator == "/message/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]"


def test_namespace_outside_supported_versions_is_read_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_pacs008(tmp_path / "old.xml", [Tx()], version=2)
    with caplog.at_level(logging.WARNING):
        recs = _records(path)
    assert len(recs) == 1 and isinstance(recs[0], TxnRecord)
    assert "pacs.008.001.02" in caplog.text


def test_streaming_clears_elements(tmp_path: Path) -> None:
    txs = [Tx(e2e=f"E{i}", remittance=["x" * 200]) for i in range(3000)]
    path = write_pacs008(tmp_path / "big.xml", txs)
    count = 0
    for rec in parse_pacs008(path):
        assert isinstance(rec, TxnRecord)
        count += 1
    assert count == 3000


# -- hostile and broken input ----------------------------------------------------------------

_BOMB = """<?xml version="1.0"?>
<!DOCTYPE Document [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>
<GrpHdr><MsgId>M</MsgId><CreDtTm>2024-01-01T00:00:00</CreDtTm></GrpHdr>
<CdtTrfTxInf><PmtId><EndToEndId>X</EndToEndId></PmtId>
<IntrBkSttlmAmt Ccy="USD">1</IntrBkSttlmAmt><Dbtr><Nm>&e;</Nm></Dbtr></CdtTrfTxInf>
</FIToFICstmrCdtTrf></Document>
"""


def test_entity_bomb_is_refused_without_expansion(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml"
    path.write_text(_BOMB)
    with pytest.raises(InputFormatError, match="DOCTYPE") as info:
        _records(path)
    assert str(path) in str(info.value)


def test_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xml = _BOMB.split("<!DOCTYPE")[0] + (
        f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        + _BOMB.split("]>\n", 1)[1].replace("&e;", "&xxe;")
    )
    path = tmp_path / "xxe.xml"
    path.write_text(xml)
    with pytest.raises(InputFormatError) as info:
        _records(path)
    assert "TOP-SECRET-CONTENT" not in str(info.value)


def test_malformed_xml_names_file_and_line(tmp_path: Path) -> None:
    path = write_pacs008(tmp_path / "m.xml", [Tx()])
    text = path.read_text().replace("</GrpHdr>", "</GrpHdrX>")
    path.write_text(text)
    with pytest.raises(InputFormatError, match=r"not well-formed XML") as info:
        _records(path)
    assert str(path) in str(info.value)
    assert info.value.position is not None and info.value.position.startswith("line ")


def test_other_xml_is_not_pacs008(tmp_path: Path) -> None:
    path = tmp_path / "goaml.xml"
    path.write_text("<report><rentity_id>1</rentity_id></report>")
    with pytest.raises(InputFormatError, match=r"no pacs\.008 FIToFICstmrCdtTrf"):
        _records(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="cannot read"):
        _records(tmp_path / "nope.xml")


def test_party_type_from_name() -> None:
    assert party_type_from_name("Al Noor Relief Foundation") == "entity"
    assert party_type_from_name("ACME Trading Ltd.") == "entity"
    assert party_type_from_name("JOHN DOE") == "person"
    assert party_type_from_name(None) == "person"
