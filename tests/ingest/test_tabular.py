"""CSV readers: mappings, AMLworld, AMLSim, the example and export mappings, line accounting."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fiu_analytics.errors import ConfigError, InputFormatError
from fiu_analytics.ingest import tabular
from fiu_analytics.ingest.records import LabelRecord, Rejected, TxnRecord
from fiu_analytics.ingest.tabular import (
    BUILTIN_MAPPINGS,
    CsvMapping,
    builtin_mapping,
    parse_amlsim,
    parse_csv,
)
from fiu_analytics.schema import CHANNELS

AMLWORLD_HEADER = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering"
)


def _kinds(records: list) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in records:
        out[type(r).__name__] = out.get(type(r).__name__, 0) + 1
    return out


# -- built-in mappings ----------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILTIN_MAPPINGS)
def test_builtin_mappings_load_and_use_canonical_channels(name: str) -> None:
    m = CsvMapping.load(name)
    assert m.fields
    assert set(m.channel_map.values()) <= set(CHANNELS)
    assert builtin_mapping(name) == m


def test_amlworld_maps_every_payment_format_and_currency() -> None:
    m = builtin_mapping("amlworld")
    formats = ["Cheque", "Credit Card", "ACH", "Cash", "Reinvestment", "Wire", "Bitcoin"]
    assert {f: m.channel_map[f.casefold()] for f in formats} == {
        "Cheque": "cheque",
        "Credit Card": "card",
        "ACH": "wire",
        "Cash": "cash_deposit",
        "Reinvestment": "internal",
        "Wire": "wire",
        "Bitcoin": "crypto",
    }
    names = [
        "US Dollar", "Euro", "Bitcoin", "Yuan", "Rupee", "Yen", "UK Pound", "Ruble",
        "Canadian Dollar", "Australian Dollar", "Swiss Franc", "Brazil Real", "Mexican Peso",
        "Saudi Riyal", "Shekel",
    ]  # fmt: skip
    codes = [m.currency_map[n.casefold()] for n in names]
    assert codes == [
        "USD", "EUR", "XBT", "CNY", "INR", "JPY", "GBP", "RUB", "CAD", "AUD", "CHF", "BRL",
        "MXN", "SAR", "ILS",
    ]  # fmt: skip


# -- AMLworld -------------------------------------------------------------------------------


def _amlworld(tmp_path: Path) -> Path:
    path = tmp_path / "HI-Small_Trans.csv"
    path.write_text(
        AMLWORLD_HEADER
        + "\n"
        + "2022/09/01 00:20,010,8000EBD30,010,8000EBD30,3697.34,US Dollar,3697.34,US Dollar,"
        "Reinvestment,0\n"
        + "2022/09/01 00:20,03208,8000F4580,001,8000F5340,0.01,US Dollar,0.01,US Dollar,"
        "Cheque,0\n"
        + "2022/09/01 00:02,0134266,80F5A0A20,0208,80DCE5B60,1000.00,Euro,1100.20,US Dollar,"
        "ACH,1\n"
        + "2022/09/31 00:20,03208,8000F4580,001,8000F5340,5.00,Yen,5.00,Yen,Cash,0\n"
        + "2022/09/02 10:11,0211,8A1,0070,8B2,0.004,Bitcoin,0.004,Bitcoin,Bitcoin,0\n"
    )
    return path


def test_amlworld_rows_labels_and_rejections(tmp_path: Path) -> None:
    path = _amlworld(tmp_path)
    recs = list(parse_csv(path, "amlworld"))
    assert _kinds(recs) == {"TxnRecord": 4, "LabelRecord": 1, "Rejected": 1}
    txns = [r for r in recs if isinstance(r, TxnRecord)]
    assert [t.locator for t in txns] == ["line 2", "line 3", "line 4", "line 6"]
    assert [t.txn_ref for t in txns] == ["AMLW-2", "AMLW-3", "AMLW-4", "AMLW-6"]
    reinvest, cheque, ach, btc = txns
    assert reinvest.channel == "internal" and cheque.channel == "cheque"
    assert ach.channel == "wire" and btc.channel == "crypto"
    # the paid side: 1100.20 USD, not the 1000 EUR received
    assert (ach.amount, ach.currency) == (1100.20, "USD")
    assert (btc.amount, btc.currency) == (0.004, "XBT")
    assert ach.timestamp == datetime(2022, 9, 1, 0, 2, tzinfo=UTC)
    # the repeated "Account" header: from and to accounts come from their own positions
    assert ach.src is not None and ach.dst is not None
    assert ach.src.account_id == "0134266/80F5A0A20"
    assert ach.dst.account_id == "0208/80DCE5B60"
    assert ach.reporter_id == "AMLWORLD" and ach.report_id == "HI-Small_Trans.csv"
    label = next(r for r in recs if isinstance(r, LabelRecord))
    assert (label.scenario_id, label.typology, label.txn_ref, label.locator) == (
        "AMLWORLD-4",
        "amlworld_laundering",
        "AMLW-4",
        "line 4",
    )
    assert recs[recs.index(ach) + 1] is label  # a label follows its transaction
    bad = next(r for r in recs if isinstance(r, Rejected))
    assert bad.locator == "line 5"
    assert (bad.field, bad.value) == ("Timestamp", "2022/09/31 00:20")
    assert "%Y/%m/%d %H:%M" in bad.reason


def test_amlworld_bad_cells_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "aw.csv"
    path.write_text(
        AMLWORLD_HEADER + "\n2022/09/01 00:20,1,A,2,B,1,Euro,-3,Dinar,Telegraph,maybe\n"
    )
    (bad,) = list(parse_csv(path, "amlworld"))
    assert isinstance(bad, Rejected)
    assert (bad.field, bad.value) == ("Amount Paid", "-3")
    for text in ("Dinar", "Telegraph", "maybe"):
        assert text in bad.reason


# -- AMLSim ---------------------------------------------------------------------------------


def _amlsim_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "amlsim"
    folder.mkdir()
    (folder / "transactions.csv").write_text(
        "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id\n"
        "1,10,11,TRANSFER,120.5,2017-01-01T00:00:00Z,False,-1\n"
        "2,11,12,TRANSFER,9800.0,2017-01-03T00:00:00Z,True,7\n"
        "3,12,10,CASH-OUT,50,5,False,-1\n"
        "4,10,12,GIFTCARD,10,2017-01-05T00:00:00Z,False,-1\n"
        "5,10,12,TRANSFER,oops,2017-01-05T00:00:00Z,False,-1\n"
    )
    (folder / "accounts.csv").write_text(
        "acct_id,dsply_nm,type,acct_stat,acct_rptng_crncy,branch_id,open_dt,close_dt,"
        "initial_deposit,tx_behavior_id,bank_id,first_name,last_name,country\n"
        "10,C_10,I,A,USD,1,0,1000000,100,1,bank_a,Jane,Roe,US\n"
        "11,C_11,O,A,USD,1,0,1000000,100,1,bank_b,,,MX\n"
        "12,C_12,I,A,USD,1,0,1000000,100,1,bank_a,Juan,Perez,MX\n"
    )
    (folder / "alert_accounts.csv").write_text(
        "alert_id,alert_type,acct_id,acct_name,is_sar,model_id,schedule_id,bank_id\n"
        "7,fan_out,11,11,True,1,2,bank_b\n"
        "7,fan_out,12,12,True,1,2,bank_a\n"
    )
    (folder / "sar_accounts.csv").write_text(
        "ALERT_ID,ACCOUNT_ID,CUSTOMER_ID,EVENT_DATE,ALERT_TYPE,ACCOUNT_TYPE,IS_SAR\n"
        "7,11,C_11,20170103,fan_out,COMPANY,YES\n"
        "8,10,C_10,20170104,cycle,INDIVIDUAL,NO\n"
    )
    return folder


def test_amlsim_folder(tmp_path: Path) -> None:
    folder = _amlsim_folder(tmp_path)
    recs = list(parse_amlsim(folder))
    assert _kinds(recs) == {"TxnRecord": 4, "LabelRecord": 2, "Rejected": 1}
    txns = {r.txn_ref: r for r in recs if isinstance(r, TxnRecord)}
    t1, t2, t3, t4 = txns["1"], txns["2"], txns["3"], txns["4"]
    assert t1.src is not None and t1.dst is not None
    assert t1.src.account_id == "BANK_A/10" and t1.dst.account_id == "BANK_B/11"
    assert t1.src.owner is not None and t1.src.owner.name == "Jane Roe"
    assert t1.src.owner.party_type == "person"
    assert t1.dst.owner is not None and t1.dst.owner.party_type == "entity"  # type O
    assert (t1.src_country, t1.dst_country) == ("US", "MX")
    assert (t1.currency, t1.channel, t1.reporter_id) == ("USD", "wire", "AMLSIM")
    assert t3.channel == "cash_withdrawal"
    assert t3.timestamp == datetime(2017, 1, 6, tzinfo=UTC)  # day 5 after 2017-01-01
    assert t4.channel == "other"  # unknown tx_type
    txn_label = next(r for r in recs if isinstance(r, LabelRecord) and r.txn_ref)
    assert (txn_label.scenario_id, txn_label.typology, txn_label.txn_ref) == (
        "AMLSIM-alert-7",
        "fan_out",
        "2",
    )
    assert t2.amount == 9800.0
    sar = next(r for r in recs if isinstance(r, LabelRecord) and r.account)
    assert sar.role == "sar" and sar.scenario_id == "AMLSIM-alert-7"
    assert sar.account is not None and sar.account.account_id == "BANK_B/11"
    assert sar.locator == "line 2" and sar.source_file.endswith("sar_accounts.csv")
    bad = next(r for r in recs if isinstance(r, Rejected))
    assert (bad.locator, bad.field, bad.value) == ("line 6", "base_amt", "oops")


def test_amlsim_transactions_file_alone_other_layout(tmp_path: Path) -> None:
    folder = tmp_path / "sim"
    folder.mkdir()
    tx = folder / "transactions.csv"
    tx.write_text(
        "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_fraud,alert_id,curr\n"
        "1,A,B,WIRE,10,3,true,-1,EUR\n"
    )
    (folder / "accounts.csv").write_text(
        "ACCOUNT_ID,CUSTOMER_ID,INIT_BALANCE,COUNTRY,ACCOUNT_TYPE,IS_SAR,BANK_ID\n"
        "A,C1,100,DE,INDIVIDUAL,false,bank\n"
    )
    recs = list(parse_amlsim(tx, base_date=datetime(2020, 1, 1).date()))
    assert _kinds(recs) == {"TxnRecord": 1, "LabelRecord": 1}
    t, label = recs
    assert t.currency == "EUR"  # the file's own currency column
    assert t.timestamp == datetime(2020, 1, 4, tzinfo=UTC)
    assert t.src.account_id == "BANK/A" and t.src_country == "DE"
    assert t.dst.account_id == "AMLSIM/B"  # not in accounts.csv
    assert label.scenario_id == "AMLSIM-txn-1" and label.typology == "amlsim_sar"


def test_amlsim_without_transactions(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match=r"transactions\.csv"):
        list(parse_amlsim(tmp_path))


# -- the example mapping and the project's own export ---------------------------------------


def test_example_mapping_reads_a_european_bank_export(tmp_path: Path) -> None:
    header = (
        "Booking ID;Booked at;Amount;Ccy;Type;Our account;Holder;Holder type;Counterparty bank;"
        "Counterparty account;Counterparty name;Counterparty country;Reference;MCC;Alert case"
    )
    rows = [
        "B1;31.03.2024 14:05;1.234,56;Euro;SEPA;4711;Müller GmbH;company;COBADEFFXXX;"
        "DE89 3704 0044 0532 0130 00;Anna Schmidt;de;Miete März;;",
        "B2;01.04.2024 09:00;50,00;€;Card;4711;Hans Müller;;;;Café Zentral;DE;;5812;CASE-9",
        "B3;01.04.2024 09:00;50,00;EUR;Telepathy;4711;Hans Müller;;;;;;;;",
    ]
    path = tmp_path / "export.csv"
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("cp1252"))
    recs = list(parse_csv(path, CsvMapping.load("example")))
    assert _kinds(recs) == {"TxnRecord": 2, "LabelRecord": 1, "Rejected": 1}
    b1, b2, label, b3 = recs
    assert (b1.amount, b1.currency, b1.channel) == (1234.56, "EUR", "wire")
    assert b1.timestamp == datetime(2024, 3, 31, 12, 5, tzinfo=UTC)  # CEST is UTC+2
    assert b2.timestamp == datetime(2024, 4, 1, 7, 0, tzinfo=UTC)
    assert b1.src is not None and b1.src.owner is not None
    assert (b1.src.owner.name, b1.src.owner.party_type) == ("Müller GmbH", "entity")
    assert b1.src.account_id == "EXBKDEFFXXX/4711"
    assert b1.dst is not None and b1.dst.account_id == "DE89370400440532013000"
    assert b1.dst_country == "DE" and b1.narrative == "Miete März"
    assert b2.currency == "EUR" and b2.channel == "card" and b2.mcc == "5812"
    assert b2.src.owner.party_type == "person"  # guessed from the name
    assert (label.scenario_id, label.typology, label.txn_ref) == ("CASE-9", "analyst_case", "B2")
    assert isinstance(b3, Rejected) and (b3.field, b3.value) == ("Type", "Telepathy")
    assert b3.locator == "line 4"


def test_fiu_csv_mapping_reads_the_project_export(tmp_path: Path) -> None:
    path = tmp_path / "transactions.csv.gz"
    text = (
        "txn_id,timestamp,amount,currency,amount_base,channel,src_account,dst_account,"
        "src_country,dst_country,city,mcc,merchant,narrative,purpose_code,conductor_party_id,"
        "reporter_id,report_id\n"
        "T1,2025-01-01T00:09:16.858895Z,120.0,USD,120.0,cash_deposit,BANK1/0001,BANK1/0001,"
        "US,US,Laredo,,,,,,BANK1,R1\n"
        "T2,2025-01-02T10:00:00Z,80.0,EUR,86.0,wire,BANK1/0001,DE89370400440532013000,"
        "US,DE,,,,rent,SALA,,BANK1,R1;R2\n"
    )
    path.write_bytes(gzip.compress(text.encode()))
    t1, t2 = list(parse_csv(path, "fiu_csv"))
    assert t1.src.account_id == "BANK1/0001" and t1.dst.account_id == "BANK1/0001"
    assert t1.timestamp == datetime(2025, 1, 1, 0, 9, 16, 858895, tzinfo=UTC)
    assert (t1.channel, t1.city, t1.txn_ref) == ("cash_deposit", "Laredo", "T1")
    assert t2.dst.iban == "DE89370400440532013000"
    assert (t2.purpose_code, t2.report_id) == ("SALA", "R1;R2")


# -- mapping and file errors ----------------------------------------------------------------


def _mapping(**fields: object) -> CsvMapping:
    base: dict[str, object] = {
        "txn_ref": "id",
        "timestamp": "ts",
        "amount": "amt",
        "currency": {"constant": "USD"},
        "channel": {"constant": "wire"},
        "src_account": "from",
        "dst_account": "to",
    }
    base.update(fields)
    return CsvMapping.from_dict({"name": "t", "fields": base}, "t.yaml")


def test_missing_required_column_names_column_and_mapping(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,ts,from,to\n1,2024-01-01,A,B\n")
    with pytest.raises(InputFormatError) as info:
        list(parse_csv(path, _mapping()))
    message = str(info.value)
    assert "'amt'" in message and "t.yaml" in message and str(path) in message


def test_missing_required_column_of_a_builtin_mapping(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Timestamp,From Bank,Account,To Bank,Account,Amount Paid\n")
    with pytest.raises(InputFormatError, match="builtin:amlworld"):
        list(parse_csv(path, "amlworld"))


def test_repeated_header_needs_a_position(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,ts,amt,from,to,from\n")
    with pytest.raises(InputFormatError, match="appears 2 times"):
        list(parse_csv(path, _mapping()))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"fields": {"timestamp": "a", "amount": "b", "currency": "c"}}, "channel"),
        (
            {
                "fields": {
                    "timestamp": "a",
                    "amount": "b",
                    "currency": "c",
                    "channel": "d",
                    "colour": "e",
                }
            },
            "colour",
        ),
        (
            {
                "fields": {"timestamp": "a", "amount": "b", "currency": "c", "channel": "d"},
                "channel_map": {"Wire": "telegraph"},
            },
            "telegraph",
        ),
        (
            {
                "fields": {"timestamp": "a", "amount": "b", "currency": "c", "channel": "d"},
                "timezone": "Mars/Olympus",
            },
            "timezone",
        ),
        (
            {
                "fields": {
                    "timestamp": "a",
                    "amount": "b",
                    "currency": "c",
                    "channel": "d",
                    "label_flag": "f",
                }
            },
            "label_typology",
        ),
        (
            {
                "fields": {
                    "timestamp": "a",
                    "amount": {"column": "b", "constant": "1"},
                    "currency": "c",
                    "channel": "d",
                }
            },
            "exactly one source",
        ),
        (
            {
                "fields": {"timestamp": "a", "amount": "b", "currency": "c", "channel": "d"},
                "delimter": ";",
            },
            "delimter",
        ),
    ],
)
def test_invalid_mappings_raise_config_error(data: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        CsvMapping.from_dict(data, "bad.yaml")


def test_mapping_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read mapping file"):
        CsvMapping.load(tmp_path / "none.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("fields: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        CsvMapping.load(broken)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("")
    with pytest.raises(InputFormatError, match="empty file"):
        list(parse_csv(path, _mapping()))


# -- line accounting ------------------------------------------------------------------------


def test_physical_lines_blank_lines_field_counts_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(
        b"id,ts,amt,from,to,memo\n"
        b"1,2024-01-01,10,A,B,plain\n"
        b"\n"
        b'2,2024-01-02,20,A,B,"two\nline memo"\n'
        b"3,2024-01-03,30,A,B\n"
        b"4,2024-01-04,40,A,B,caf\xe9\n"
        b"5,2024-01-05,50,A,B,ok,,\n"
        b"6,2024-01-06,60,A,B,ok\n"
    )
    recs = list(parse_csv(path, _mapping(narrative="memo")))
    assert [(type(r).__name__, r.locator) for r in recs] == [
        ("TxnRecord", "line 2"),
        ("TxnRecord", "line 4"),
        ("Rejected", "line 6"),  # five fields
        ("Rejected", "line 7"),  # not UTF-8
        ("TxnRecord", "line 8"),  # trailing empty fields are tolerated
        ("TxnRecord", "line 9"),
    ]
    assert recs[1].narrative == "two\nline memo"
    assert "expected 6 fields" in recs[2].reason
    assert recs[3].field == "memo" and "utf-8" in recs[3].reason


def test_chunks_keep_order_and_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "CHUNK_ROWS", 3)
    path = _amlworld(tmp_path)
    small = [(type(r).__name__, r.locator) for r in parse_csv(path, "amlworld")]
    monkeypatch.setattr(tabular, "CHUNK_ROWS", 5000)
    assert small == [(type(r).__name__, r.locator) for r in parse_csv(path, "amlworld")]


_GOOD = st.builds(
    lambda d, a, acc: ("good", f"2024-01-{d:02d}T10:00:00", f"{a:.2f}", f"A{acc}"),
    st.integers(1, 28),
    st.floats(0, 1e9, allow_nan=False),
    st.integers(0, 99),
)
_BAD = st.sampled_from(
    [
        ("bad", "2024-13-01", "1", "A1"),  # date
        ("bad", "2024-01-01", "-1", "A1"),  # negative amount
        ("bad", "2024-01-01", "abc", "A1"),  # not a number
        ("bad", "", "1", "A1"),  # empty timestamp
        ("short", "2024-01-01", "1", None),  # a field missing
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.one_of(_GOOD, _BAD), max_size=40), chunk=st.sampled_from([1, 7, 5000]))
def test_every_data_line_yields_exactly_one_record(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple], chunk: int
) -> None:
    path = tmp_path_factory.mktemp("prop") / "x.csv"
    lines = ["id,ts,amt,from,to"]
    for i, (_, ts, amt, acc) in enumerate(rows):
        lines.append(f"{i},{ts},{amt},{acc},B" if acc else f"{i},{ts},{amt},B")
    path.write_text("\n".join(lines) + "\n")
    old = tabular.CHUNK_ROWS
    tabular.CHUNK_ROWS = chunk
    try:
        recs = list(parse_csv(path, _mapping()))
    finally:
        tabular.CHUNK_ROWS = old
    assert len(recs) == len(rows)  # no labels in this mapping
    assert [r.locator for r in recs] == [f"line {i + 2}" for i in range(len(rows))]
    expected = ["TxnRecord" if kind == "good" else "Rejected" for kind, *_ in rows]
    assert [type(r).__name__ for r in recs] == expected


def test_headerless_file_with_positions(tmp_path: Path) -> None:
    fields = {
        "timestamp": {"position": 2},
        "amount": {"position": 3},
        "currency": {"constant": "USD"},
        "channel": {"constant": "cash_deposit"},
        "src_account": {"position": 1},
        "dst_account": {"position": 1},
    }
    m = CsvMapping.from_dict({"header": False, "fields": fields}, "h.yaml")
    path = tmp_path / "h.csv"
    path.write_text("A1,2024-01-01,5,extra\nA2,2024-01-02,6\nA3\n")
    recs = list(parse_csv(path, m))
    assert [(type(r).__name__, r.locator) for r in recs] == [
        ("TxnRecord", "line 1"),
        ("TxnRecord", "line 2"),
        ("Rejected", "line 3"),
    ]
    assert recs[0].src.account_id == "UNKNOWN/A1" and recs[0].channel == "cash_deposit"
    with pytest.raises(ConfigError, match="position"):
        CsvMapping.from_dict({"header": False, "fields": {**fields, "narrative": "memo"}}, "h")
