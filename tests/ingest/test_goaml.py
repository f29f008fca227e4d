"""goAML XML reader: hand-written reports for every side variant and every rejection, hostile
XML, a round trip through the synthetic generator's goAML export, and flat memory."""

from __future__ import annotations

import itertools
import os
import threading
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from lxml import etree

from fiu_analytics import schema
from fiu_analytics.errors import ConfigError, InputFormatError
from fiu_analytics.ingest.goaml import GoamlMapping, parse_goaml
from fiu_analytics.ingest.records import PartyRecord, Rejected, TxnRecord
from fiu_analytics.store import Store
from fiu_analytics.synth import SynthConfig, generate
from fiu_analytics.synth.export import export_sinks

HEADER = """
  <rentity_id>1001</rentity_id>
  <rentity_branch>Head office</rentity_branch>
  <submission_code>E</submission_code>
  <report_code>EFT</report_code>
  <entity_reference>BNK01-EFT-202501</entity_reference>
  <submission_date>2025-02-15T10:00:00</submission_date>
  <currency_code_local>USD</currency_code_local>
  <reporting_person><first_name>Alex</first_name><last_name>Whitfield</last_name>
  </reporting_person>
  <location><address>100 Main Street</address><city>New York</city>
    <country_code>US</country_code></location>
  <reason>Funds transfers of 2025-01.</reason>
  <action>None.</action>
"""

KYC_PERSON = """
  <first_name>Amanda</first_name><middle_name>Jo</middle_name><last_name>Wright</last_name>
  <birthdate>1973-03-10T00:00:00</birthdate>
  <ssn>123-45-6789</ssn><id_number>ID-77</id_number><passport_number>P683</passport_number>
  <passport_country>US</passport_country>
  <nationality1>US</nationality1><residence>CA</residence>
  <phones><phone><tph_contact_type>P</tph_contact_type><tph_communication_type>M
    </tph_communication_type><tph_number>+19871085716</tph_number></phone></phones>
  <addresses><address><address_type>H</address_type><address>5488 Riverside St</address>
    <city>Phoenix</city><country_code>US</country_code></address></addresses>
  <occupation>Nurse</occupation>
"""

# 1: t_from_my_client + account owned by an entity (t_entity), to an account with signatories
TXN_ENTITY_ACCOUNT = """
<transaction>
  <transactionnumber>T-1</transactionnumber>
  <internal_ref_number>BNK01-1</internal_ref_number>
  <transaction_location>El Paso</transaction_location>
  <transaction_description>Invoice   4711
    payment</transaction_description>
  <date_transaction>2025-01-02T11:14:06</date_transaction>
  <value_date>2025-01-02T00:00:00</value_date>
  <transmode_code>A</transmode_code>
  <amount_local>1250.50</amount_local>
  <t_from_my_client>
    <from_funds_code>A</from_funds_code>
    <from_account>
      <institution_name>First National Bank</institution_name>
      <institution_code>BNK01</institution_code>
      <account>1000010779</account>
      <currency_code>USD</currency_code>
      <t_entity>
        <name>Horizon Laundromat Co</name>
        <incorporation_number>REG-US-8654183</incorporation_number>
        <business>Cash-intensive retail business</business>
        <phones><phone><tph_number>+1 555 0199</tph_number></phone></phones>
        <addresses><address><address>5515 Atlas St</address><city>Miami</city>
          <country_code>US</country_code></address></addresses>
        <incorporation_country_code>US</incorporation_country_code>
        <director_id><first_name>Dan</first_name><last_name>Ray</last_name></director_id>
      </t_entity>
      <opened>2018-05-23T00:00:00</opened>
      <status_code>A</status_code>
    </from_account>
    <from_country>US</from_country>
  </t_from_my_client>
  <t_to>
    <to_funds_code>A</to_funds_code>
    <to_account>
      <institution_name>Bank of RO</institution_name>
      <swift>BRDEROBU</swift>
      <account>1000002330</account>
      <iban>RO49 AAAA 1B31 0075 9384 0000</iban>
      <signatory><is_primary>false</is_primary>
        <t_person><first_name>Ion</first_name><last_name>Popa</last_name></t_person></signatory>
      <signatory><is_primary>true</is_primary>
        <t_person><first_name>Edward</first_name><last_name>Khan</last_name></t_person></signatory>
    </to_account>
    <to_country>RO</to_country>
  </t_to>
  <goods_services><item_type>X</item_type></goods_services>
  <comments>merchant=Acme Store; mcc=5411; purpose_code=GDDS</comments>
</transaction>
"""

# 2: t_from with a person and no account (walk-in cash), conductor, to my client with signatory
TXN_PERSON_CONDUCTOR = f"""
<transaction>
  <transactionnumber>T-2</transactionnumber>
  <date_transaction>2025-01-03T08:46:01+02:00</date_transaction>
  <transmode_code>K</transmode_code>
  <amount_local>3747.04</amount_local>
  <t_from>
    <from_funds_code>K</from_funds_code>
    <t_conductor>{KYC_PERSON.replace("Amanda", "Ngozi").replace("Wright", "Baker")}
    </t_conductor>
    <from_person><first_name>Amanda</first_name><last_name>Wright</last_name></from_person>
    <from_country>US</from_country>
  </t_from>
  <t_to_my_client>
    <to_funds_code>A</to_funds_code>
    <to_account>
      <institution_name>First National Bank</institution_name>
      <institution_code>BNK01</institution_code>
      <account>1000005476</account>
      <signatory><is_primary>true</is_primary><t_person>{KYC_PERSON}</t_person></signatory>
      <opened>2014-02-22</opened>
    </to_account>
    <to_country>US</to_country>
  </t_to_my_client>
</transaction>
"""

# 3: to an entity without an account, with a foreign-currency block on both sides
TXN_TO_ENTITY_FOREIGN = """
<transaction>
  <transactionnumber>T-3</transactionnumber>
  <date_transaction>2025-01-04</date_transaction>
  <transmode_code>R</transmode_code>
  <amount_local>500</amount_local>
  <t_from_my_client>
    <from_funds_code>A</from_funds_code>
    <from_foreign_currency>
      <foreign_currency_code>EUR</foreign_currency_code>
      <foreign_amount>460.00</foreign_amount>
      <foreign_exchange_rate>0.92</foreign_exchange_rate>
    </from_foreign_currency>
    <from_account><institution_code>BNK01</institution_code><account>1000001800</account>
    </from_account>
    <from_country>US</from_country>
  </t_from_my_client>
  <t_to>
    <to_funds_code>R</to_funds_code>
    <to_foreign_currency>
      <foreign_currency_code>PHP</foreign_currency_code>
      <foreign_amount>not a number</foreign_amount>
    </to_foreign_currency>
    <to_entity><name>Manila Remit Corp</name><business>Money service business</business>
    </to_entity>
    <to_country>PH</to_country>
  </t_to>
</transaction>
"""


def _txn(
    ref: str,
    body: str,
    transmode: str | None = "A",
    date_: str = "2025-01-05T10:00:00",
    amount: str = "100.00",
    ff: str = "A",
    tf: str = "A",
) -> str:
    """A minimal account-to-account transaction; ``body`` replaces its sides when given."""
    mode = f"<transmode_code>{transmode}</transmode_code>" if transmode is not None else ""
    sides = (
        body
        or f"""
      <t_from_my_client><from_funds_code>{ff}</from_funds_code>
        <from_account><institution_code>BNK01</institution_code><account>A1</account>
        </from_account><from_country>US</from_country></t_from_my_client>
      <t_to><to_funds_code>{tf}</to_funds_code>
        <to_account><institution_code>BNK02</institution_code><account>B2</account>
        </to_account><to_country>US</to_country></t_to>"""
    )
    number = f"<transactionnumber>{ref}</transactionnumber>" if ref else ""
    return f"""
<transaction>{number}
  <date_transaction>{date_}</date_transaction>{mode}
  <amount_local>{amount}</amount_local>{sides}
</transaction>"""


INVOLVED = """
  <involved_parties>
    <party><role>B</role><person><first_name>Rana</first_name><last_name>Aziz</last_name>
      </person><significance>5</significance></party>
    <party><role>C</role><entity_my_client><name>Oasis Trading LLC</name>
      <incorporation_number>AE-99</incorporation_number></entity_my_client></party>
    <party><role>D</role><account><institution_code>BNK09</institution_code>
      <account>9</account><t_entity><name>Shell Co</name></t_entity></account></party>
  </involved_parties>"""


def _report(body: str, header: str = HEADER, root: str = "report") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>{header}{body}\n'
        "<report_indicators><indicator>RT-EFT</indicator><indicator>X</indicator>"
        f"</report_indicators>\n</{root}>\n"
    )


def _write(tmp_path: Path, text: str, name: str = "report.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def fixture_report(tmp_path: Path) -> SimpleNamespace:
    body = "".join(
        [
            TXN_ENTITY_ACCOUNT,
            TXN_PERSON_CONDUCTOR,
            TXN_TO_ENTITY_FOREIGN,
            _txn("T-4", "", transmode="XX", ff="A", tf="V"),  # unmapped: funds code to V
            _txn("T-5", "", transmode=None, ff="K", tf="A"),  # missing: funds code from K
            _txn("T-6", "", transmode="XX"),  # unmapped, funds codes say nothing
            _txn("T-7", "", date_="31/01/2025"),
            _txn("T-8", "", amount="-12.00"),
            _txn("", ""),  # no transactionnumber
            _txn("T-10", INVOLVED),  # involved parties only
            _txn("T-11", "").replace("</transaction>", INVOLVED + "\n</transaction>"),
            _txn("T-12", "", amount="12,50"),
        ]
    )
    path = _write(tmp_path, _report(body))
    recs = list(parse_goaml(path))
    return SimpleNamespace(path=path, recs=recs, by_loc={r.locator: r for r in recs})


def _at(fx: SimpleNamespace, n: int) -> TxnRecord | Rejected:
    return fx.by_loc[f"/report/transaction[{n}]"]


def test_every_transaction_yields_one_record_in_document_order(
    fixture_report: SimpleNamespace,
) -> None:
    recs = fixture_report.recs
    assert [r.locator for r in recs] == [f"/report/transaction[{i}]" for i in range(1, 13)]
    assert all(r.source_file == str(fixture_report.path) for r in recs)
    kinds = [type(r).__name__[0] for r in recs]
    assert "".join(kinds) == "TTTTTRRRRRTR"


def test_header_and_transaction_fields(fixture_report: SimpleNamespace) -> None:
    t = _at(fixture_report, 1)
    assert isinstance(t, TxnRecord)
    assert (t.reporter_id, t.report_id, t.txn_ref) == ("1001", "BNK01-EFT-202501", "T-1")
    assert t.timestamp == datetime(2025, 1, 2, 11, 14, 6, tzinfo=UTC)
    assert (t.amount, t.currency, t.channel) == (1250.5, "USD", "wire")
    assert (t.city, t.narrative) == ("El Paso", "Invoice 4711 payment")
    assert (t.src_country, t.dst_country) == ("US", "RO")
    assert (t.merchant, t.mcc, t.purpose_code) == ("Acme Store", "5411", "GDDS")
    assert t.conductor is None and t.extra_parties == []


def test_from_my_client_account_owned_by_an_entity(fixture_report: SimpleNamespace) -> None:
    src = _at(fixture_report, 1).src
    assert (src.institution, src.number, src.account_id) == (
        "BNK01",
        "1000010779",
        "BNK01/1000010779",
    )
    assert src.opened_at == datetime(2018, 5, 23, tzinfo=UTC)
    assert src.owner == PartyRecord(
        party_type="entity",
        name="Horizon Laundromat Co",
        country="US",
        entity_kind="cash_business",
        id_document="REG-US-8654183",
        phone="+1 555 0199",
        address="5515 Atlas St, Miami, US",
    )


def test_to_account_swift_iban_and_primary_signatory(fixture_report: SimpleNamespace) -> None:
    dst = _at(fixture_report, 1).dst
    assert (dst.institution, dst.number) == ("BRDEROBU", "1000002330")
    assert dst.account_id == "RO49AAAA1B31007593840000"
    assert dst.owner is not None and dst.owner.name == "Edward Khan"
    assert dst.owner.party_type == "person"


def test_from_person_without_account_and_conductor(fixture_report: SimpleNamespace) -> None:
    t = _at(fixture_report, 2)
    assert isinstance(t, TxnRecord)
    assert t.channel == "cash_deposit"
    # a time zone is honoured: 08:46 at +02:00 is 06:46 UTC
    assert t.timestamp == datetime(2025, 1, 3, 6, 46, 1, tzinfo=UTC)
    assert t.report_id == "BNK01-EFT-202501"
    assert (t.src.institution, t.src.number, t.src.account_id) == (None, None, None)
    assert t.src.owner == PartyRecord(party_type="person", name="Amanda Wright")
    assert t.conductor is not None
    assert t.conductor.name == "Ngozi Jo Baker"
    assert t.conductor.birth_date == date(1973, 3, 10)


def test_to_my_client_signatory_with_full_kyc(fixture_report: SimpleNamespace) -> None:
    dst = _at(fixture_report, 2).dst
    assert dst.account_id == "BNK01/1000005476"
    assert dst.opened_at == datetime(2014, 2, 22, tzinfo=UTC)
    assert dst.owner == PartyRecord(
        party_type="person",
        name="Amanda Jo Wright",
        birth_date=date(1973, 3, 10),
        nationality="US",
        country="CA",  # residence, not the address country
        id_document="passport:P683",  # passport before id_number before ssn
        phone="+19871085716",
        address="5488 Riverside St, Phoenix, US",
    )


def test_to_entity_without_account_and_foreign_currency(fixture_report: SimpleNamespace) -> None:
    t = _at(fixture_report, 3)
    assert isinstance(t, TxnRecord)
    # the local amount is kept in the local currency; foreign blocks do not change it
    assert (t.amount, t.currency, t.channel) == (500.0, "USD", "msb_remittance")
    assert t.timestamp == datetime(2025, 1, 4, tzinfo=UTC)
    assert t.src.owner is None and t.src.account_id == "BNK01/1000001800"
    assert (t.dst.institution, t.dst.number) == (None, None)
    assert t.dst.owner == PartyRecord(
        party_type="entity", name="Manila Remit Corp", entity_kind="msb"
    )
    assert t.dst_country == "PH"


def test_unmapped_or_missing_transmode_falls_back_to_funds_codes(
    fixture_report: SimpleNamespace,
) -> None:
    assert _at(fixture_report, 4).channel == "crypto"  # XX unmapped, to funds code V
    assert _at(fixture_report, 5).channel == "cash_deposit"  # no transmode, from funds K
    r = _at(fixture_report, 6)
    assert isinstance(r, Rejected)
    assert (r.field, r.value) == ("transmode_code", "XX")
    assert "goaml_default_mapping.yaml" in r.reason and "'A'" in r.reason and "'Z'" in r.reason


@pytest.mark.parametrize(
    ("n", "field", "value", "expected"),
    [
        (7, "date_transaction", "31/01/2025", "ISO 8601"),
        (8, "amount_local", "-12.00", "zero or more"),
        (9, "transactionnumber", None, "transaction number"),
        (10, "involved_parties", "3 parties", "direction"),
        (12, "amount_local", "12,50", "decimal number"),
    ],
)
def test_bad_values_are_rejected_with_locator_field_and_expectation(
    fixture_report: SimpleNamespace, n: int, field: str, value: str | None, expected: str
) -> None:
    r = _at(fixture_report, n)
    assert isinstance(r, Rejected)
    assert (r.field, r.value) == (field, value)
    assert expected in r.reason
    msg = r.message()
    assert str(fixture_report.path) in msg and f"/report/transaction[{n}]" in msg


def test_involved_parties_go_to_extra_parties(fixture_report: SimpleNamespace) -> None:
    t = _at(fixture_report, 11)
    assert isinstance(t, TxnRecord)
    assert [(p.party_type, p.name) for p in t.extra_parties] == [
        ("person", "Rana Aziz"),
        ("entity", "Oasis Trading LLC"),
        ("entity", "Shell Co"),
    ]
    assert t.extra_parties[1].id_document == "AE-99"


def test_records_share_no_objects(tmp_path: Path) -> None:
    # the same side twice: read once, but each record gets its own objects
    recs = list(parse_goaml(_write(tmp_path, _report(TXN_ENTITY_ACCOUNT * 2))))
    a, b = recs
    assert a.src == b.src and a.src is not b.src and a.src.owner is not b.src.owner
    a.src.owner.name = "changed"
    assert b.src.owner.name == "Horizon Laundromat Co"


def test_a_side_without_a_party_or_a_missing_side_is_rejected(tmp_path: Path) -> None:
    no_party = """<t_from><from_funds_code>A</from_funds_code><from_country>US</from_country>
      </t_from><t_to><to_person><first_name>A</first_name></to_person></t_to>"""
    no_to = """<t_from><from_person><first_name>A</first_name></from_person></t_from>"""
    recs = list(parse_goaml(_write(tmp_path, _report(_txn("T1", no_party) + _txn("T2", no_to)))))
    assert [(r.field, r.value) for r in recs] == [("from_account", None), ("t_to", None)]
    assert "from_person" in recs[0].reason and "t_to_my_client" in recs[1].reason


def test_a_transaction_outside_report_is_reported_not_silently_dropped(tmp_path: Path) -> None:
    body = f"<transactions>{_txn('T1', '')}</transactions>{_txn('T2', '')}"
    first, second = parse_goaml(_write(tmp_path, _report(body)))
    assert isinstance(first, Rejected) and first.locator.startswith("line ")
    assert "<transaction> inside <transactions>" in first.reason
    assert isinstance(second, TxnRecord) and second.locator == "/report/transaction[1]"


def test_goaml_5_names_namespaces_and_unknown_elements(tmp_path: Path) -> None:
    """5.x: ``_my_client`` element variants, ``identification``, sanctions and other new
    elements (ignored), a namespace, no entity_reference (report id from the header)."""
    header = """<rentity_id>77</rentity_id><report_code>STR</report_code>
      <submission_date>2025-03-01T09:00:00Z</submission_date>
      <currency_code_local>KES</currency_code_local>"""
    body = """
    <transaction>
      <transactionnumber>K-1</transactionnumber>
      <date_transaction>2025-02-27T23:30:00.250-05:00</date_transaction>
      <transmode_code>M</transmode_code>
      <amount_local>2500</amount_local>
      <t_from_my_client>
        <from_funds_code>E</from_funds_code>
        <from_person_my_client>
          <first_name>Wanjiru</first_name><last_name>Otieno</last_name>
          <identification><type>NID</type><number>3344</number>
            <issuing_country>KE</issuing_country></identification>
          <sanctions><sanction><provider>UN</provider></sanction></sanctions>
          <social_media><platform>x</platform></social_media>
          <addresses><address><address>Moi Ave 1</address><country_code>KE</country_code>
          </address></addresses>
        </from_person_my_client>
        <from_country>KE</from_country>
      </t_from_my_client>
      <t_to>
        <to_funds_code>E</to_funds_code>
        <to_account_my_client><institution_name>Safari Wallet</institution_name>
          <account>0722000111</account><crypto_address>bc1q</crypto_address>
          <signatory><t_person_my_client><first_name>Ali</first_name>
            <last_name>Hassan</last_name></t_person_my_client></signatory>
        </to_account_my_client>
        <to_country>KE</to_country>
      </t_to>
      <devices><device><id>abc</id></device></devices>
    </transaction>"""
    text = _report(body, header).replace("<report>", '<report xmlns="http://goaml.unodc.org">')
    (t,) = parse_goaml(_write(tmp_path, text))
    assert isinstance(t, TxnRecord)
    assert (t.reporter_id, t.report_id, t.currency) == ("77", "77/2025-03-01T09:00:00Z", "KES")
    assert t.timestamp == datetime(2025, 2, 28, 4, 30, 0, 250000, tzinfo=UTC)
    assert t.channel == "mobile_money"
    assert t.src.owner.name == "Wanjiru Otieno"
    assert t.src.owner.id_document == "NID:3344"
    assert t.src.owner.country == "KE" and t.src.owner.address == "Moi Ave 1, KE"
    assert (t.dst.institution, t.dst.number) == ("Safari Wallet", "0722000111")
    assert t.dst.owner.name == "Ali Hassan"


def test_activity_report_yields_one_party_per_report_party(tmp_path: Path) -> None:
    body = f"""
    <activity><report_parties>
      <report_party><person>{KYC_PERSON}</person><significance>7</significance>
        <reason>Deposited cash for others.</reason></report_party>
      <report_party><entity><name>Hope Relief Foundation</name>
        <business>Non-profit organisation</business>
        <incorporation_country_code>SO</incorporation_country_code></entity></report_party>
      <report_party><account><institution_code>BNK01</institution_code>
        <account>1000005476</account>
        <signatory><t_person><first_name>Amanda</first_name><last_name>Wright</last_name>
        </t_person></signatory></account></report_party>
      <report_party><account><institution_code>BNK01</institution_code>
        <account>42</account></account></report_party>
    </report_parties></activity>"""
    recs = list(parse_goaml(_write(tmp_path, _report(body, HEADER.replace("EFT", "SAR")))))
    # PartyRecord has no locator field; only the rejection says where it is
    person, entity, owner, bad = recs
    assert bad.locator == "/report/activity/report_parties/report_party[4]"
    assert isinstance(person, PartyRecord) and person.name == "Amanda Jo Wright"
    assert person.id_document == "passport:P683"
    assert (entity.party_type, entity.entity_kind, entity.country) == ("entity", "npo", "SO")
    # an account party is read as its owner, keyed to the account
    assert (owner.name, owner.key_hint) == ("Amanda Wright", "BNK01/1000005476")
    assert isinstance(bad, Rejected)
    assert (bad.field, bad.value) == ("account", "BNK01/42")
    assert "owner" in bad.reason


def test_malformed_xml_names_file_line_and_column(tmp_path: Path) -> None:
    text = _report(TXN_ENTITY_ACCOUNT + TXN_ENTITY_ACCOUNT).replace(
        "<transactionnumber>T-1</transactionnumber>\n  <internal_ref_number>BNK01-1",
        "<transactionnumber>T-1</transactionnumber>\n  <internal_ref_number BNK01-1",
    )
    path = _write(tmp_path, text)
    bad_line = text.splitlines().index("  <internal_ref_number BNK01-1</internal_ref_number>") + 1
    with pytest.raises(InputFormatError, match=rf"line {bad_line}, column \d+") as exc:
        list(parse_goaml(path))
    assert str(path) in str(exc.value)


def test_records_stream_before_a_late_syntax_error(tmp_path: Path) -> None:
    # the error comes after some 2 MB of good transactions, far more than libxml2 reads at
    # once, so records must arrive before the parser reaches it
    good = TXN_ENTITY_ACCOUNT * 1000
    text = _report(good + TXN_ENTITY_ACCOUNT.replace("</t_to>", "</t_to_x>", 1))
    assert len(good) > 1 << 20
    it = parse_goaml(_write(tmp_path, text))
    assert next(it).txn_ref == "T-1"
    with pytest.raises(InputFormatError, match="not well-formed"):
        for _ in it:
            pass


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not well-formed"),
        ("<report><transaction>", "not well-formed"),
        ("<reports><report/></reports>", "<reports>, not a goAML <report>"),
        ("<?xml version='1.0'?><!-- nothing -->\n<x/>", "no goAML <report>"),
    ],
)
def test_not_a_goaml_report(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputFormatError, match=message):
        list(parse_goaml(_write(tmp_path, text)))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match=r"nope\.xml"):
        list(parse_goaml(tmp_path / "nope.xml"))


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE report [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<report><rentity_id>&lol9;</rentity_id>
<transaction><transactionnumber>&lol9;</transactionnumber></transaction></report>
"""


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="entities") as exc:
        list(parse_goaml(_write(tmp_path, BILLION_LAUGHS)))
    assert "lollollol" not in str(exc.value)


def test_an_undefined_entity_is_a_syntax_error_not_a_dtd_refusal(tmp_path: Path) -> None:
    text = _report(TXN_ENTITY_ACCOUNT).replace("<transaction>", "<transaction>&nbsp;", 1)
    with pytest.raises(InputFormatError, match="not well-formed") as exc:
        list(parse_goaml(_write(tmp_path, text)))
    assert "DOCTYPE" not in str(exc.value)


def _parse_in_thread(path: Path) -> tuple[threading.Thread, dict[str, object]]:
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["records"] = list(parse_goaml(path))
        except Exception as exc:  # the test inspects it
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=10)
    return thread, out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("where", ["internal", "external_dtd"])
def test_external_entities_are_never_read(tmp_path: Path, where: str) -> None:
    """The entity points at a named pipe with no writer: reading it would block, so a parse
    that returns proves the file was never opened; the secret file must not leak either."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    body = (
        "<report><rentity_id>&fifo;</rentity_id><transaction>"
        "<transactionnumber>T1</transactionnumber>"
        "<transaction_description>&secret;</transaction_description></transaction></report>"
    )
    entities = (
        f'<!ENTITY fifo SYSTEM "file://{fifo}">\n<!ENTITY secret SYSTEM "{secret.as_uri()}">\n'
    )
    if where == "internal":
        doctype = f"<!DOCTYPE report [\n{entities}]>"
    else:
        (tmp_path / "evil.dtd").write_text(entities, encoding="utf-8")
        doctype = f'<!DOCTYPE report SYSTEM "{(tmp_path / "evil.dtd").as_uri()}">'
    path = _write(tmp_path, f'<?xml version="1.0"?>\n{doctype}\n{body}\n')
    thread, out = _parse_in_thread(path)
    if thread.is_alive():  # unblock the reader before failing
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        thread.join(timeout=5)
        pytest.fail("the parser opened the external entity")
    if where == "internal":
        assert isinstance(out.get("error"), InputFormatError)
        assert "TOPSECRET" not in str(out["error"])
    else:  # the external DTD is not loaded: the entity stays unexpanded
        (r,) = out["records"]
        assert isinstance(r, Rejected)
        assert "TOPSECRET" not in repr(r)


# -- the mapping ------------------------------------------------------------------------------


def test_default_mapping_covers_every_channel() -> None:
    m = GoamlMapping.load()
    assert set(m.transmode.values()) == set(schema.CHANNELS)
    assert m.currency_code_local == "USD"
    assert (m.funds_from["K"], m.funds_to["K"], m.funds_from["A"]) == (
        "cash_deposit",
        "cash_withdrawal",
        None,
    )
    # cash on one side and a transfer channel on the other: the transfer channel
    assert m.channel(None, "K", "R") == "msb_remittance"
    assert m.channel("ZZ", None, None) is None


def test_custom_mapping_is_applied(tmp_path: Path) -> None:
    yaml_text = """
transmode_code:
  "01": {channel: hawala}
  02: {channel: wire}
funds_code:
  CSH: {from_channel: cash_deposit, to_channel: cash_withdrawal}
"""
    path = tmp_path / "fiu.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    m = GoamlMapping.load(path)
    assert m.transmode == {"01": "hawala", "2": "wire"}
    report = _report(_txn("T1", "", transmode="01") + _txn("T2", "", transmode="K", ff="CSH"))
    recs = list(parse_goaml(_write(tmp_path, report), m))
    assert [r.channel for r in recs] == ["hawala", "cash_deposit"]


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        ("transmode_code: {A: {channel: wires}}\nfunds_code: {A: {}}", "transmode_code.A.channel"),
        ("transmode_code: {A: {description: x}}\nfunds_code: {A: {}}", "transmode_code.A.channel"),
        (
            "transmode_code: {A: {channel: wire}}\nfunds_code: {K: {from_channel: cash}}",
            "funds_code.K.from_channel",
        ),
        ("transmode_code: {A: {channel: wire}}", "funds_code"),
        ("transmode_code: {A: wire}\nfunds_code: {A: {}}", "transmode_code.A"),
        ("transmode_code: {yes: {channel: wire}}\nfunds_code: {A: {}}", "quote the code"),
        ("- a list", "expected a YAML mapping"),
        (
            "currency_code_local: dollars\ntransmode_code: {A: {channel: wire}}\n"
            "funds_code: {A: {}}",
            "currency_code_local",
        ),
        ("transmode_code: [", "not valid YAML"),
    ],
)
def test_invalid_mapping_names_file_and_key(tmp_path: Path, yaml_text: str, key: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        GoamlMapping.load(path)
    assert str(path) in str(exc.value) and key in str(exc.value)


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read goAML mapping file"):
        GoamlMapping.load(tmp_path / "missing.yaml")


# -- round trip through the generator's export ----------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("goaml")
    store = Store(root / "store")
    sinks, close = export_sinks(root / "out", ["goaml"])
    # one GEN-01 scenario: with no scenario at all the generator fails to concatenate an empty
    # scenario table (float columns) with the normal one
    cfg = SynthConfig(
        seed=5, n_persons=250, days=50, scenarios_per_typology=0, scenario_mix={"GEN-01": 1}
    )
    generate(cfg, store, sinks=sinks)
    files = [Path(p) for p in close()["goaml"] if p.endswith(".xml")]
    txns = store.read(schema.TRANSACTIONS)
    accounts = store.read(schema.ACCOUNTS).set_index("account_key")
    txns["src_account"] = accounts.loc[txns["src_account_key"], "account_id"].to_numpy()
    txns["dst_account"] = accounts.loc[txns["dst_account_key"], "account_id"].to_numpy()
    recs = [r for f in files for r in parse_goaml(f)]
    return SimpleNamespace(files=files, txns=txns.set_index("txn_id"), recs=recs)


def test_generated_reports_parse_completely(generated: SimpleNamespace) -> None:
    recs, txns = generated.recs, generated.txns
    assert not [r.message() for r in recs if isinstance(r, Rejected)][:5]
    parsed = [r for r in recs if isinstance(r, TxnRecord)]
    assert len(parsed) >= len(txns) > 1000
    assert {r.txn_ref for r in parsed} == set(txns.index)
    assert any(isinstance(r, PartyRecord) for r in recs), "no activity report parsed"
    got = pd.DataFrame(
        {
            "txn_id": [r.txn_ref for r in parsed],
            "amount": [r.amount for r in parsed],
            "channel": [r.channel for r in parsed],
            "timestamp": [r.timestamp for r in parsed],
            "src_account": [r.src.account_id for r in parsed],
            "dst_account": [r.dst.account_id for r in parsed],
            "src_owner": [r.src.owner is not None for r in parsed],
            "dst_owner": [r.dst.owner is not None for r in parsed],
            "conductor": [r.conductor is not None for r in parsed],
            "ok": [bool(r.currency == "USD" and r.reporter_id and r.report_id) for r in parsed],
        }
    ).merge(txns, left_on="txn_id", right_index=True, suffixes=("", "_stored"))
    assert got["ok"].all()
    assert (got["amount"] == got["amount_stored"].round(2)).all()
    assert (got["channel"] == got["channel_stored"]).all()
    assert (got["timestamp"] == got["timestamp_stored"].dt.floor("s")).all()
    for side in ("src", "dst"):
        # every side is an account of the store's transaction, or a party without account
        has = got[f"{side}_account"].notna()
        assert (got.loc[has, f"{side}_account"] == got.loc[has, f"{side}_account_stored"]).all()
        assert got.loc[~has, f"{side}_owner"].all()
    assert got["conductor"].any()
    assert got.loc[got["conductor"], "conductor_party_id"].notna().all()


# -- memory --------------------------------------------------------------------------------


def _rss() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


SMALL_TXN = (
    "<transaction><transactionnumber>T</transactionnumber>"
    "<date_transaction>2025-01-01T10:00:00</date_transaction><transmode_code>A</transmode_code>"
    "<amount_local>10.00</amount_local><t_from_my_client><from_funds_code>A</from_funds_code>"
    "<from_account><institution_code>BNK01</institution_code><account>1</account>"
    "<t_entity><name>X</name></t_entity></from_account><from_country>US</from_country>"
    "</t_from_my_client><t_to><to_funds_code>A</to_funds_code><to_person><first_name>A"
    "</first_name><last_name>B</last_name></to_person><to_country>US</to_country></t_to>"
    "</transaction>"
)


@pytest.mark.slow
def test_memory_stays_flat_on_a_large_report(tmp_path: Path) -> None:
    """100,000 transactions (57 MB; an uncleared tree would take some 400 MB). Python
    allocations are traced over the first 20,000 records (tracemalloc slows the parse about
    fivefold); the resident set, which also sees libxml2's tree, is watched over all of them."""
    n, traced = 100_000, 20_000
    path = tmp_path / "large.xml"
    txn = etree.fromstring(SMALL_TXN)
    number = txn.find("transactionnumber")
    with etree.xmlfile(str(path), encoding="utf-8") as xf, xf.element("report"):
        for tag, text in (("rentity_id", "1001"), ("currency_code_local", "USD")):
            el = etree.Element(tag)
            el.text = text
            xf.write(el)
        for i in range(n):
            number.text = f"T{i}"
            xf.write(txn)
    records = parse_goaml(path)
    rss_before = _rss()
    tracemalloc.start()
    try:
        count = sum(1 for _ in itertools.islice(records, traced))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"tracemalloc peak {peak / 2**20:.1f} MB"
    rss_peak = rss_before or 0
    rec = None
    for rec in records:  # noqa: B007 - the last record is checked below
        count += 1
        if count % 20_000 == 0:
            rss_peak = max(rss_peak, _rss() or 0)
    assert count == n and isinstance(rec, TxnRecord) and rec.txn_ref == f"T{n - 1}"
    if rss_before is not None:
        grown = (rss_peak - rss_before) / 2**20
        assert grown < 100, f"resident set grew by {grown:.0f} MB"


def test_shared_sides_are_one_object_and_store_the_same_rows(tmp_path: Path) -> None:
    from fiu_analytics import schema
    from fiu_analytics.ingest.pipeline import FileReport, Ingestor
    from fiu_analytics.store import Store

    path = _write(tmp_path, _report(TXN_ENTITY_ACCOUNT * 3))
    shared = list(parse_goaml(path, share_sides=True))
    assert shared[0].src is shared[1].src is shared[2].src  # read once, one object
    assert shared[0].src == next(iter(parse_goaml(path))).src

    def stored(share: bool) -> dict[str, object]:
        store = Store(tmp_path / f"s{share}")
        fr = FileReport(str(path), "goaml")
        Ingestor(store)._ingest_file(path, lambda p: parse_goaml(p, share_sides=share), fr)
        tables = {}
        for t in (schema.TRANSACTIONS, schema.TXN_REPORTS, schema.ACCOUNTS, schema.PARTIES):
            tables[t.name] = store.read(t).drop(columns=["batch_id"]).to_dict("list")
        return {"counts": (fr.read, fr.stored, fr.duplicates), **tables}

    assert stored(True) == stored(False)
