"""Name normalisation: transliteration, prefixes, honorifics, diacritics, quotes, token order."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from fiu_analytics.screening import name_tokens, normalise_name, split_listed_name
from fiu_analytics.synth import names


def test_transliteration_table_is_well_formed() -> None:
    text = resources.files("fiu_analytics.data").joinpath("transliteration.yaml").read_text()
    data = yaml.safe_load(text)
    assert data["version"]
    owner: dict[str, str] = {}
    for canonical, variants in data["names"].items():
        for v in variants:
            assert owner.setdefault(v, canonical) == canonical, f"{v} under two keys"
    # the pairs the screening rule names are in the table
    for group in (
        ["Mohammed", "Muhammad", "Mohamad", "Mohamed", "Muhamad"],
        ["Yusuf", "Youssef"],
        ["Abdulrahman", "Abd al-Rahman", "Abdel Rahman", "Abdurrahman"],
        ["Hussein", "Husayn"],
        ["Omar", "Umar"],
        ["Khalid", "Khaled"],
        ["Ibrahim", "Ebrahim"],
        ["Suleiman", "Sulayman"],
        ["Abdullah", "Abdallah"],
        ["Mustafa", "Mostafa"],
    ):
        assert len({normalise_name(v) for v in group}) == 1, group


@pytest.mark.parametrize("group", names.TRANSLIT_GROUPS, ids=lambda g: g[0])
def test_every_synthetic_spelling_group_has_one_key(group: list[str]) -> None:
    assert len({normalise_name(v) for v in group}) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Muhamad al-Badri", "Mohammed el-Badri"),  # transliteration and article
        ("Mohammed Al Badri", "Mohammed Badri"),  # article written apart, or not at all
        ("al-Badri Mohammed", "Mohammed el-Badri"),  # token order
        ("Dr. Mohammed al-Badri", "Mohammed al-Badri"),  # honorific
        ("Haji Basir Hawala", "BASIR HAWALA"),  # honorific, case
        ("Qa'idat al-Jihad", "Qa’idat al Jihad"),  # quote variants
        ("Jama'atu Ahlis Sunna", "Jamaatu Ahlis Sunna"),
        ("Mūḥammad Ibrāhīm", "Muhammad Ibrahim"),  # diacritics
        ("Ḥusayn ʿAbd al-Raḥmān", "Hussein Abdulrahman"),
        ("Islamic State of Iraq and the Levant", "ISLAMIC STATE IN IRAQ & THE LEVANT"),
        ("Al Kawthar Co.", "Al-Kawthar Company"),
    ],
)
def test_spellings_share_a_key(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)


def test_tokens_keep_their_order_and_drop_what_is_not_a_name() -> None:
    assert name_tokens("Dr. Mohamed el-Badri") == ("muhammad", "badri")
    assert name_tokens("Abd al-Malik Muhammad") == ("abdulmalik", "muhammad")
    assert name_tokens("") == ()
    assert name_tokens("  (-) ") == ()
    # Arabic script stays; hamza carriers fold like Latin diacritics (إياد and اياد agree)
    assert name_tokens("إياد نظمي صالح خليل") == ("اياد", "نظمي", "صالح", "خليل")


def test_ordinary_names_keep_distinct_keys() -> None:
    keys = {normalise_name(f"{g} {f}") for g in names.LATIN_GIVEN for f in names.LATIN_FAMILY}
    assert len(keys) == len(set(names.LATIN_GIVEN)) * len(set(names.LATIN_FAMILY))


def test_listed_name_alternatives_in_parentheses() -> None:
    alias = "أبو بكر البغدادي (Abu Bakr al-Baghdadi al-Husayni; Abu Bakr al-Baghdadi)"
    parts = split_listed_name(alias)
    assert parts[0] == alias
    assert "أبو بكر البغدادي" in parts
    assert "Abu Bakr al-Baghdadi" in parts
    assert "Abu Bakr al-Baghdadi al-Husayni" in parts
    assert split_listed_name("Boko Haram") == ["Boko Haram"]
