"""Screening of parties against designated persons and entities (SAN-01).

:func:`screen` matches party names to listed names (normalised, transliteration-aware, fuzzy,
blocked for speed) and corroborates hits with birth date, nationality and documents;
:func:`normalise_name` is the matching key of one name.
"""

from fiu_analytics.screening.matcher import HIT_COLUMNS, screen
from fiu_analytics.screening.normalise import name_tokens, normalise_name, split_listed_name

__all__ = ["HIT_COLUMNS", "name_tokens", "normalise_name", "screen", "split_listed_name"]
