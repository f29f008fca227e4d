"""The catalog loader is a linter: bad typology files fail with file and field named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fiu_analytics.detection import load_catalog, parse_typology
from fiu_analytics.errors import TypologyError
from tests.conftest import REPO

GOOD = yaml.safe_load((REPO / "typologies" / "structuring.yaml").read_text())


def test_shipped_catalog_is_valid_and_ids_unique() -> None:
    catalog = load_catalog(REPO / "typologies")
    assert {t.id for t in catalog} >= {"TY-STRUCTURING", "TY-FAN-IN"}
    for t in catalog:
        assert t.references and t.falsepositives and t.description.startswith("Detects")


@pytest.mark.parametrize(("change", "message"), [
    ({"status": "beta"}, "status 'beta'"),
    ({"description": "Finds things"}, "must start with 'Detects'"),
    ({"references": []}, "'references' must be a non-empty list"),
    ({"threshold": 1.5}, "threshold 1.5"),
    ({"indicators": [{"id": "HT-99"}]}, "unknown indicator 'HT-99'"),
    ({"indicators": [{"id": "GEN-01", "params": {"window_days": -1}}]}, "'window_days' got -1"),
    ({"indicators": [{"id": "GEN-01", "weight": 0}]}, "weight 0"),
])
def test_linter_names_file_and_field(change: dict, message: str) -> None:
    doc = {**GOOD, **change}
    with pytest.raises(TypologyError, match=r"x\.yaml") as err:
        parse_typology(doc, "x.yaml")
    assert message in str(err.value)


def test_missing_header_fields_are_listed() -> None:
    doc = {k: v for k, v in GOOD.items() if k not in ("falsepositives", "level")}
    with pytest.raises(TypologyError, match=r"missing required field\(s\) \['falsepositives', "
                                            r"'level'\]"):
        parse_typology(doc, "x.yaml")


def test_profile_overrides_parameters_without_editing_files(tmp_path: Path) -> None:
    base = {t.id: t for t in load_catalog(REPO / "typologies")}
    eu = {t.id: t for t in load_catalog(REPO / "typologies", profile="eu")}
    assert base["TY-STRUCTURING"].indicators[0].params["threshold"] == 10000
    assert eu["TY-STRUCTURING"].indicators[0].params["threshold"] == 10800
    (tmp_path / "profiles").mkdir()
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(GOOD))
    (tmp_path / "profiles" / "bad.yaml").write_text("TY-STRUCTURING: {GEN-01: {min_count: 1}}")
    with pytest.raises(TypologyError, match="'min_count' got 1; expected >= 2"):
        load_catalog(tmp_path, profile="bad")


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(GOOD))
    with pytest.raises(TypologyError, match="already used"):
        load_catalog(tmp_path)
