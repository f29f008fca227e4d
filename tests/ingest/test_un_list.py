"""The UN Consolidated List reader on the real 2018 excerpt, hostile XML and the synthetic list."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fiu_analytics import schema
from fiu_analytics.errors import FiuError, InputFormatError
from fiu_analytics.ingest import read_un_list
from fiu_analytics.synth.designations import (
    build_designated_list,
    designations_frame,
    write_un_xml,
)
from tests.conftest import SHARED_SAMPLES

UN_DIR = SHARED_SAMPLES / "un_sanctions"
EXCERPT = UN_DIR / "un_consolidated_excerpt_2018-10-29.xml"
XSD = UN_DIR / "sc-sanctions.xsd"


@pytest.fixture(scope="module")
def excerpt() -> tuple[pd.DataFrame, list[str]]:
    return read_un_list(EXCERPT)


def names_of(frame: pd.DataFrame, ref: str, kind: str | None = None, quality: str | None = None):
    rows = frame[frame["reference_number"] == ref]
    if kind:
        rows = rows[rows["name_kind"] == kind]
    if quality:
        rows = rows[rows["alias_quality"] == quality]
    return list(rows["name"])


def test_excerpt_has_8_individuals_and_10_entities(excerpt) -> None:
    frame, warnings = excerpt
    records = frame.drop_duplicates("reference_number")
    assert records["record_type"].value_counts().to_dict() == {"individual": 8, "entity": 10}
    assert warnings == []


def test_frame_conforms_to_the_designations_table(excerpt) -> None:
    frame, _ = excerpt
    assert list(frame.columns) == [c for c in schema.DESIGNATIONS.names if c != "batch_id"]
    stored = schema.validate(frame.assign(batch_id="b1"), schema.DESIGNATIONS)
    assert len(stored) == len(frame)
    assert not frame.duplicated(["reference_number", "name"]).any()  # the table's key


def test_no_empty_names_and_whitespace_is_normalised(excerpt) -> None:
    frame, _ = excerpt
    assert frame["name"].str.len().min() > 0
    assert not frame["name"].str.contains(r"^\s|\s$|\s{2,}|\n", regex=True).any()
    # stray spaces in FIRST_NAME..FOURTH_NAME ("NAZMI ", " KHALIL") and in aliases
    assert names_of(frame, "QDi.400", "primary") == ["IYAD NAZMI SALIH KHALIL"]
    assert "Ayyad Nazmi Salih Khalil" in names_of(frame, "QDi.400", "alias")
    # a name broken over two lines in the XML
    assert names_of(frame, "QDe.153", "primary") == [
        "HANIFA MONEY EXCHANGE OFFICE (BRANCH LOCATED IN ALBU KAMAL, SYRIAN ARAB REPUBLIC)"
    ]


def test_empty_alias_placeholders_are_skipped(excerpt) -> None:
    frame, _ = excerpt
    # CFi.009 (Joseph Kony) carries eleven empty INDIVIDUAL_ALIAS elements before its aliases
    aliases = frame[(frame["reference_number"] == "CFi.009") & (frame["name_kind"] == "alias")]
    assert sorted(aliases["name"]) == [
        "Josef Kony",
        "Joseph Rao Kony",
        "Kony",
        "Le Messie sanglant",
    ]
    assert aliases["alias_quality"].tolist().count("Low") == 1


def test_qdi299_keeps_its_low_quality_aliases(excerpt) -> None:
    frame, _ = excerpt
    low = names_of(frame, "QDi.299", "alias", "Low")
    assert "Dr. Ibrahim" in low
    assert "أبو دعاء" in low
    # the alias that carries other spellings in parentheses is kept as listed
    assert any(
        "(Abu Bakr al-Baghdadi al-Husayni al-Quraishi; Abu Bakr al-Baghdadi)" in n for n in low
    )
    good = names_of(frame, "QDi.299", "alias", "Good")
    assert good == ["Dr. Ibrahim ‘Awwad Ibrahim ’Ali al-Badri al-Samarrai’"]  # quotes as listed
    assert names_of(frame, "QDi.299", "original_script") == [
        "إبراهيم عواد إبراهيم علي البدري السامرائي"
    ]


def test_isil_appears_as_aliases_of_qde115(excerpt) -> None:
    frame, _ = excerpt
    aliases = names_of(frame, "QDe.115", "alias")
    assert "Islamic State in Iraq and the Levant" in aliases
    assert "Islamic State of Iraq" in aliases
    assert names_of(frame, "QDe.115", "primary") == ["AL-QAIDA IN IRAQ"]
    # entity aliases are graded "a.k.a." on the list: recorded as Good
    qualities = frame.loc[frame["reference_number"] == "QDe.115", "alias_quality"].dropna()
    assert set(qualities) == {"Good"}


def test_al_shabaab_is_listed_under_the_somalia_regime(excerpt) -> None:
    frame, _ = excerpt
    row = frame[(frame["reference_number"] == "SOe.001") & (frame["name_kind"] == "primary")]
    assert row["name"].tolist() == ["AL-SHABAAB"]
    assert row["list_type"].tolist() == ["Somalia"]
    assert "AL-SHABAB" in names_of(frame, "SOe.001", "alias")


def test_dates_of_birth_in_every_form(excerpt) -> None:
    frame, _ = excerpt
    births = frame.drop_duplicates("reference_number").set_index("reference_number")["birth_dates"]
    assert births["QDi.299"] == "1971"  # TYPE_OF_DATE EXACT with a YEAR only
    assert births["QDi.361"] == "1979"  # APPROXIMATELY
    assert births["QDi.363"] == "1974-11-24"
    # several dates, plus years from notes such as "August 1961"
    kony = births["CFi.009"].split(";")
    assert {"1959", "1960", "1961", "1963", "1964-09-18", "1965", "1961-01-01"} == set(kony)
    assert pd.isna(births["QDe.115"])


def test_nationalities_documents_listing_dates_and_comments(excerpt) -> None:
    frame, _ = excerpt
    first = frame.drop_duplicates("reference_number").set_index("reference_number")
    assert first.loc["QDi.363", "nationalities"] == "Russian Federation"
    assert "Passport:K475336" in first.loc["QDi.346", "documents"].split(";")
    assert "National Identification Number:28940000602" in first.loc["QDi.346", "documents"]
    assert first.loc["QDi.299", "dataid"] == "2975516"
    assert first.loc["QDi.299", "listed_on"] == date(2011, 10, 5)
    # "2015-03-27-04:00" on the list: a date with a time-zone suffix
    assert first.loc["TAe.014", "listed_on"] == date(2015, 3, 27)
    assert "(QDe.115)" in first.loc["QDi.361", "comments"]  # cross-references are kept


def test_xsd_validation_adds_warnings_never_rejects(tmp_path: Path) -> None:
    frame, warnings = read_un_list(EXCERPT, xsd=XSD)
    assert warnings == []  # the excerpt validates
    records = build_designated_list(np.random.default_rng(1))
    path = tmp_path / "synthetic.xml"
    write_un_xml(records, path, generated="2025-01-01T00:00:00Z")
    frame, warnings = read_un_list(path, xsd=XSD)  # no SORT_KEY elements etc.: invalid
    assert warnings and all("does not validate" in w or "XSD" in w for w in warnings)
    assert frame["reference_number"].nunique() == len(records)


def test_between_dates_and_a_round_trip_of_the_synthetic_list(tmp_path: Path) -> None:
    records = build_designated_list(np.random.default_rng(1))
    path = tmp_path / "designated.xml"
    write_un_xml(records, path, generated="2025-01-01T00:00:00Z")
    frame, warnings = read_un_list(path)
    assert warnings == []
    expected = designations_frame(records)
    # the UN format has NATIONALITY for individuals only: the writer puts an entity's country
    # in ENTITY_ADDRESS, which the designations table does not carry
    expected.loc[expected["record_type"] == "entity", "nationalities"] = None
    cols = ["reference_number", "name", "name_kind", "alias_quality", "birth_dates"]
    cols += ["nationalities", "documents", "dataid", "list_type", "record_type", "comments"]

    def canonical(df: pd.DataFrame) -> pd.DataFrame:
        out = df[cols].astype(object).where(df[cols].notna(), None)
        out["listed_on"] = pd.to_datetime(df["listed_on"]).dt.date.to_numpy()
        return out.sort_values(["reference_number", "name"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(canonical(frame), canonical(expected))
    ranges = [r for r in records if r.birth_year_range]
    assert ranges  # BETWEEN FROM_YEAR/TO_YEAR dates are in the file
    births = frame.drop_duplicates("reference_number").set_index("reference_number")["birth_dates"]
    for r in ranges:
        assert births[r.reference_number] == f"{r.birth_year_range[0]}-{r.birth_year_range[1]}"


def write(tmp_path: Path, text: str, name: str = "list.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


RECORD = (
    "<INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>{first}</FIRST_NAME>"
    "<SECOND_NAME>{second}</SECOND_NAME><UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>"
    "<REFERENCE_NUMBER>QDi.001</REFERENCE_NUMBER>{dob}</INDIVIDUAL></INDIVIDUALS>"
)


def test_between_and_approximate_dates_in_one_record(tmp_path: Path) -> None:
    dob = (
        "<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1968"
        "</FROM_YEAR><TO_YEAR>1972</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>"
        "<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><YEAR>1975</YEAR>"
        "</INDIVIDUAL_DATE_OF_BIRTH>"
    )
    body = RECORD.format(first="ABU", second="TALHA", dob=dob)
    frame, _ = read_un_list(write(tmp_path, f"<CONSOLIDATED_LIST>{body}</CONSOLIDATED_LIST>"))
    assert frame["birth_dates"].tolist() == ["1968-1972;1975"]
    assert frame["name"].tolist() == ["ABU TALHA"]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE CONSOLIDATED_LIST [
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
<CONSOLIDATED_LIST>{body}</CONSOLIDATED_LIST>
"""


def test_billion_laughs_is_refused_without_expansion(tmp_path: Path) -> None:
    body = RECORD.format(first="&lol9;", second="X", dob="")
    path = write(tmp_path, BILLION_LAUGHS.format(body=body))
    with pytest.raises(InputFormatError) as info:
        read_un_list(path)
    message = str(info.value)
    assert str(path) in message and "line 1" in message
    assert "lollol" not in message


def external_entity(target: str, body: str) -> str:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY xxe SYSTEM "{target}">]>\n'
        f"<CONSOLIDATED_LIST>{body}</CONSOLIDATED_LIST>\n"
    )


def test_external_entity_is_refused_without_reading_the_file(tmp_path: Path) -> None:
    body = RECORD.format(first="&xxe;", second="X", dob="")
    path = write(tmp_path, external_entity("file:///etc/passwd", body))
    with pytest.raises(InputFormatError) as info:
        read_un_list(path)
    assert "root:" not in str(info.value)
    # a secret next to the list: its content must appear nowhere
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    path = write(tmp_path, external_entity(secret.as_uri(), body), "list2.xml")
    with pytest.raises(FiuError) as info:
        read_un_list(path)
    assert "TOP-SECRET-CONTENT" not in str(info.value)


def test_malformed_file_names_file_and_line(tmp_path: Path) -> None:
    body = RECORD.format(first="ABU", second="TALHA", dob="")
    broken = "<CONSOLIDATED_LIST>\n" + body.replace("</FIRST_NAME>", "</FIRST>", 1) + "\n"
    path = write(tmp_path, broken)
    with pytest.raises(InputFormatError) as info:
        read_un_list(path)
    assert str(path) in str(info.value)
    assert "line 2" in str(info.value)
    truncated = write(tmp_path, EXCERPT.read_text(encoding="utf-8")[:5000], "cut.xml")
    with pytest.raises(InputFormatError, match=r"cut\.xml at line \d+"):
        read_un_list(truncated)


def test_other_documents_and_missing_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="expected <CONSOLIDATED_LIST>"):
        read_un_list(write(tmp_path, "<Document><x/></Document>"))
    with pytest.raises(InputFormatError, match="cannot read"):
        read_un_list(tmp_path / "missing.xml")


def test_record_without_reference_number_is_a_warning(tmp_path: Path) -> None:
    body = RECORD.format(first="ABU", second="TALHA", dob="").replace(
        "<REFERENCE_NUMBER>QDi.001</REFERENCE_NUMBER>", ""
    )
    frame, warnings = read_un_list(
        write(tmp_path, f"<CONSOLIDATED_LIST>{body}</CONSOLIDATED_LIST>")
    )
    assert frame.empty
    assert any("without REFERENCE_NUMBER" in w and "line 1" in w for w in warnings)
