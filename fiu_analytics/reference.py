"""Reference data shipped with the package (country risk tags, code lists).

Lists such as risk-tagged countries are parameters: indicators read them from here (or from a
jurisdiction's replacement file), never from code.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def country_reference() -> dict[str, Any]:
    """The packaged country reference data (risk tags, cities, currencies)."""
    text = resources.files("fiu_analytics.data").joinpath("countries.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def countries_with(tag: str, reference: dict[str, Any] | None = None) -> list[str]:
    """Country codes carrying a risk tag (``conflict_adjacent``, ``tip_source`` ...)."""
    ref = reference or country_reference()
    return [c for c, d in ref["countries"].items() if tag in d["tags"]]
