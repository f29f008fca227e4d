"""Name normalisation for screening: the matching key of a name, never shown as the name.

Steps, in order: diacritics removed (Unicode NFKD, combining marks dropped), casefolded,
apostrophes and quote variants deleted (``Qa'ida``, ``Qa’ida`` and ``Qaida`` agree), other
punctuation turned into spaces, then per token: the Arabic article (``al``, ``el`` ... written
apart or with a hyphen), honorifics (Dr., Haji, Mullah ...) and English function words are
dropped, compound given names are joined (``Abd al-Rahman`` -> ``abdulrahman``) and each token
is replaced by its canonical transliteration (``Muhamad`` and ``Mohammed`` -> ``muhammad``).
The tables live in ``fiu_analytics/data/transliteration.yaml``.

Example::

    >>> name_tokens("Dr. Mohamed el-Badri")
    ('muhammad', 'badri')
    >>> name_tokens("Badri, Muhammad AL-")
    ('badri', 'muhammad')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

__all__ = ["Transliteration", "name_tokens", "normalise_name", "split_listed_name"]

# Deleted inside words: apostrophes, quote marks and the ayn/hamza letters of transliteration.
_QUOTES = "'\"`´‘’‚‛“”„‟‹›«»′″ʹʺʻʼʽʾʿˈ"
# Letters NFKD does not decompose.
_FOLD = {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
_ASCII_TABLE = str.maketrans(
    {
        **{c: None for c in _QUOTES if c.isascii()},
        **{c: " " for c in "!#$%&()*+,-./:;<=>?@[\\]^_{|}~"},
    }
)
_TABLE = str.maketrans(
    {**{c: None for c in _QUOTES}, **_FOLD, **{c: " " for c in "!#$%&()*+,-./:;<=>?@[\\]^_{|}~"}}
)
_NON_WORD = re.compile(r"[^\w\s]+|_")
_PAREN = re.compile(r"\(([^()]*)\)")


@dataclass(frozen=True)
class Transliteration:
    """The normalisation tables (see ``data/transliteration.yaml``)."""

    version: str
    canonical: dict[str, str]
    compound_prefixes: frozenset[str]
    dropped: frozenset[str]

    @classmethod
    def from_mapping(cls, data: dict) -> Transliteration:
        canonical: dict[str, str] = {}
        for key, variants in (data.get("names") or {}).items():
            for v in [key, *variants]:
                canonical[str(v).casefold()] = str(key).casefold()
        dropped = {
            str(w).casefold()
            for part in ("articles", "honorifics", "stopwords")
            for w in data.get(part) or ()
        }
        return cls(
            version=str(data.get("version", "")),
            canonical=canonical,
            compound_prefixes=frozenset(str(p) for p in data.get("compound_prefixes") or ()),
            dropped=frozenset(dropped),
        )


@cache
def default_transliteration() -> Transliteration:
    """The packaged tables."""
    text = resources.files("fiu_analytics.data").joinpath("transliteration.yaml").read_text("utf-8")
    return Transliteration.from_mapping(yaml.safe_load(text))


def _plain(name: str) -> str:
    """Casefolded, without diacritics, quotes or punctuation."""
    if name.isascii():
        return name.casefold().translate(_ASCII_TABLE)
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold().translate(_TABLE)
    return _NON_WORD.sub(" ", text)


def name_tokens(name: str, table: Transliteration | None = None) -> tuple[str, ...]:
    """Canonical tokens of ``name`` in their written order (empty for an empty name)."""
    t = table or default_transliteration()
    words = _plain(str(name)).split()
    if t.dropped.isdisjoint(words) and t.compound_prefixes.isdisjoint(words):
        return tuple(map(t.canonical.get, words, words))  # the common case, no rewriting
    words = [w for w in words if w not in t.dropped]
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in t.compound_prefixes and i + 1 < len(words):
            word = "abdul" + words[i + 1]
            i += 1
        out.append(t.canonical.get(word, word))
        i += 1
    return tuple(out)


def normalise_name(name: str, table: Transliteration | None = None) -> str:
    """The matching key of ``name``: canonical tokens, sorted, joined by one space.

    Token order does not matter ("Badri Muhammad" and "Muhammad al-Badri" give one key).
    """
    return " ".join(sorted(name_tokens(name, table)))


def split_listed_name(name: str) -> list[str]:
    """A listed name and the alternatives the list writes inside it, in parentheses.

    The UN list often packs spellings into one alias:
    ``"أبو بكر البغدادي (Abu Bakr al-Baghdadi; Abu Bakr al-Baghdadi al-Husayni)"`` gives the
    whole string, the part outside the parentheses and each ';'-separated alternative.
    """
    parts = [name]
    if "(" in name:
        outside = _PAREN.sub(" ", name)
        while _PAREN.search(outside):  # nested parentheses
            outside = _PAREN.sub(" ", outside)
        parts.append(outside.replace("(", " ").replace(")", " "))
        inner = name[name.index("(") + 1 : name.rindex(")")] if ")" in name else ""
        parts.extend(re.split(r"[;()]", inner))
    seen: dict[str, None] = {}
    for p in parts:
        p = " ".join(p.split())
        if p:
            seen.setdefault(p, None)
    return list(seen)
