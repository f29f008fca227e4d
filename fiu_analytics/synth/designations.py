"""A synthetic designated-persons list in the UN Security Council Consolidated List format.

Every name is fictional (see :mod:`fiu_analytics.synth.names`). Each record has Good and Low
quality aliases and transliteration variants; scenario parties that deal with designated
parties use *another* variant of the listed name, so that screening has to match spellings, not
strings. The list is written as UN XML (:func:`write_un_xml`) and as rows of the
``designations`` table (:func:`designations_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from fiu_analytics.synth import names

REGIMES = [("Al-Qaida", "QD"), ("Al-Shabaab", "SO"), ("Taliban", "TA")]


@dataclass
class DesignatedRecord:
    reference_number: str
    dataid: str
    record_type: str  # individual or entity
    list_type: str
    name_parts: list[str]
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (name, quality)
    birth_date: str | None = None  # YYYY-MM-DD
    birth_year_range: tuple[int, int] | None = None
    nationality: str | None = None  # country name as the UN writes it
    nationality_code: str | None = None
    document: str | None = None
    listed_on: str = "2015-01-01"
    comments: str = ""
    # the spelling a scenario party uses (a variant not identical to any listed name)
    variant: str = ""

    @property
    def primary_name(self) -> str:
        return " ".join(self.name_parts)


def build_designated_list(
    rng: np.random.Generator, n_individuals: int = 24, n_entities: int = 8
) -> list[DesignatedRecord]:
    """Fictional list records; deterministic for the generator's ``rng``."""
    out: list[DesignatedRecord] = []
    nat = [
        ("Syrian Arab Republic", "SY"),
        ("Iraq", "IQ"),
        ("Somalia", "SO"),
        ("Afghanistan", "AF"),
        ("Yemen", "YE"),
        ("Nigeria", "NG"),
    ]
    for i in range(n_individuals):
        regime, prefix = REGIMES[i % len(REGIMES)]
        g = names.TRANSLIT_GROUPS[int(rng.integers(len(names.TRANSLIT_GROUPS)))]
        g2 = names.TRANSLIT_GROUPS[int(rng.integers(len(names.TRANSLIT_GROUPS)))]
        family = names.DESIGNATED_FAMILY[i % len(names.DESIGNATED_FAMILY)]
        listed_given, father = g[0], g2[0]
        parts = [listed_given.upper(), father.upper(), f"AL-{family.upper()}"]
        spelled = [v for v in g if v != listed_given]
        alias_good = f"{rng.choice(spelled)} {father} al-{family}"
        alias_low = str(rng.choice(names.NOM_DE_GUERRE))
        nationality, code = nat[int(rng.integers(len(nat)))]
        year = int(rng.integers(1965, 1995))
        exact = rng.random() < 0.6
        rec = DesignatedRecord(
            reference_number=f"{prefix}i.{900 + i:03d}",
            dataid=str(7_000_000 + i),
            record_type="individual",
            list_type=regime,
            name_parts=parts,
            aliases=[(alias_good, "Good"), (alias_low, "Low")],
            birth_date=f"{year}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
            if exact
            else None,
            birth_year_range=None if exact else (year - 2, year + 2),
            nationality=nationality,
            nationality_code=code,
            document=f"Passport:{code}{int(rng.integers(10**6, 10**7))}",
            listed_on=f"{int(rng.integers(2012, 2024))}-{int(rng.integers(1, 13)):02d}-15",
            comments="Fictional record for synthetic data. Not a real listing.",
        )
        # the party in transactions: yet another spelling, a prefix variant, other token order
        given_var = str(rng.choice(g[1:])) if len(g) > 1 else listed_given
        fam_var = names.prefix_variant(family, rng)
        rec.variant = (
            f"{fam_var} {given_var} {father}"
            if rng.random() < 0.3
            else f"{given_var} {father} {fam_var}"
        )
        out.append(rec)
    for j in range(n_entities):
        regime, prefix = REGIMES[j % len(REGIMES)]
        w = names.DESIGNATED_ENTITY_WORDS[j % len(names.DESIGNATED_ENTITY_WORDS)]
        kind = ["Charitable Foundation", "Exchange Company", "Relief Committee", "Trading Hawala"][
            j % 4
        ]
        primary = f"{w.upper()} {kind.upper()}"
        nationality, code = nat[int(rng.integers(len(nat)))]
        rec = DesignatedRecord(
            reference_number=f"{prefix}e.{900 + j:03d}",
            dataid=str(7_100_000 + j),
            record_type="entity",
            list_type=regime,
            name_parts=[primary],
            aliases=[(f"Al-{w} {kind}", "Good"), (f"{w} Org", "Low")],
            nationality=nationality,
            nationality_code=code,
            listed_on=f"{int(rng.integers(2012, 2024))}-06-01",
            comments=f"Fictional record. Associated with {out[j].reference_number}.",
        )
        rec.variant = f"Al {w.title()} {kind}"
        out.append(rec)
    return out


def designations_frame(records: list[DesignatedRecord]) -> pd.DataFrame:
    """Rows of the ``designations`` table: one per name (primary, then aliases)."""
    rows = []
    for r in records:
        births = r.birth_date or (
            f"{r.birth_year_range[0]}-{r.birth_year_range[1]}" if r.birth_year_range else None
        )
        base = {
            "reference_number": r.reference_number,
            "dataid": r.dataid,
            "list_type": r.list_type,
            "record_type": r.record_type,
            "birth_dates": births,
            "nationalities": r.nationality,
            "documents": r.document,
            "listed_on": r.listed_on,
            "comments": r.comments,
        }
        rows.append({**base, "name": r.primary_name, "name_kind": "primary", "alias_quality": None})
        for alias, quality in r.aliases:
            rows.append({**base, "name": alias, "name_kind": "alias", "alias_quality": quality})
    return pd.DataFrame(rows)


def write_un_xml(records: list[DesignatedRecord], path: Path, generated: str) -> None:
    """Write the records as a UN Consolidated List XML file (the real list's element names)."""
    root = etree.Element("CONSOLIDATED_LIST", dateGenerated=generated)
    root.addprevious(
        etree.Comment(
            " SYNTHETIC list generated by fiu-analytics: fictional "
            "names, never for screening real customers. "
        )
    )
    inds = etree.SubElement(root, "INDIVIDUALS")
    ents = etree.SubElement(root, "ENTITIES")

    def sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        el = etree.SubElement(parent, tag)
        if text is not None:
            el.text = text
        return el

    for r in records:
        ind = r.record_type == "individual"
        el = sub(inds if ind else ents, "INDIVIDUAL" if ind else "ENTITY")
        sub(el, "DATAID", r.dataid)
        sub(el, "VERSIONNUM", "1")
        for tag, part in zip(
            ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"], r.name_parts, strict=False
        ):
            sub(el, tag, part)
        sub(el, "UN_LIST_TYPE", r.list_type)
        sub(el, "REFERENCE_NUMBER", r.reference_number)
        sub(el, "LISTED_ON", r.listed_on)
        sub(el, "COMMENTS1", r.comments)
        if ind and r.nationality:
            sub(sub(el, "NATIONALITY"), "VALUE", r.nationality)
        sub(sub(el, "LIST_TYPE"), "VALUE", "UN List")
        for alias, quality in r.aliases:
            a = sub(el, "INDIVIDUAL_ALIAS" if ind else "ENTITY_ALIAS")
            sub(a, "QUALITY", quality)
            sub(a, "ALIAS_NAME", alias)
        addr = sub(el, "INDIVIDUAL_ADDRESS" if ind else "ENTITY_ADDRESS")
        if r.nationality:
            sub(addr, "COUNTRY", r.nationality)
        if ind:
            dob = sub(el, "INDIVIDUAL_DATE_OF_BIRTH")
            if r.birth_date:
                sub(dob, "TYPE_OF_DATE", "EXACT")
                sub(dob, "DATE", r.birth_date)
            elif r.birth_year_range:
                sub(dob, "TYPE_OF_DATE", "BETWEEN")
                sub(dob, "FROM_YEAR", str(r.birth_year_range[0]))
                sub(dob, "TO_YEAR", str(r.birth_year_range[1]))
            sub(el, "INDIVIDUAL_PLACE_OF_BIRTH")
            if r.document:
                doc_type, number = r.document.split(":", 1)
                d = sub(el, "INDIVIDUAL_DOCUMENT")
                sub(d, "TYPE_OF_DOCUMENT", doc_type)
                sub(d, "NUMBER", number)
    path.parent.mkdir(parents=True, exist_ok=True)
    etree.ElementTree(root).write(
        str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
