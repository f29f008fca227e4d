"""Typologies as versioned YAML data: loading and checking the catalog.

A typology file (Sigma-style header, Tazama-style weighted score)::

    id: TY-STRUCT                     # never changes
    version: 1.0.0                    # changes whenever the logic does
    title: Structuring of cash deposits below the reporting threshold
    status: experimental              # experimental | test | stable | deprecated
    description: Detects ...          # starts with "Detects"
    references: [FIN-14, FIN-20]      # source keys from docs/domain.md, required
    falsepositives: [Cash-intensive businesses ...]   # required
    level: medium                     # informational | low | medium | high | critical
    subject: account
    labels: [GEN-01]                  # ground-truth typology codes it is meant to find
    related_labels: [NX-04]           # scenarios that also contain this behaviour (optional)
    indicators:
      - id: GEN-01
        weight: 1.0
        params: {threshold: 10000}
    threshold: 0.5                    # alert when the weighted score reaches it

Parameters can be overridden per jurisdiction profile (``profiles/<name>.yaml`` under the
catalog folder: ``{typology id: {indicator id: {param: value}}}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fiu_analytics.errors import TypologyError
from fiu_analytics.indicators import get_indicator

STATUSES = ("experimental", "test", "stable", "deprecated")
LEVELS = ("informational", "low", "medium", "high", "critical")
REQUIRED = (
    "id",
    "version",
    "title",
    "status",
    "description",
    "references",
    "falsepositives",
    "level",
    "subject",
    "indicators",
    "threshold",
)


@dataclass(frozen=True)
class IndicatorUse:
    id: str
    weight: float
    params: dict[str, Any]


@dataclass(frozen=True)
class Typology:
    id: str
    version: str
    title: str
    status: str
    description: str
    references: tuple[str, ...]
    falsepositives: tuple[str, ...]
    level: str
    subject: str
    indicators: tuple[IndicatorUse, ...]
    threshold: float
    labels: tuple[str, ...] = ()
    related_labels: tuple[str, ...] = ()
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def parse_typology(doc: Any, where: str) -> Typology:
    """Check one typology document and return it; errors name the file and field."""
    if not isinstance(doc, dict):
        raise TypologyError(f"{where}: expected a mapping at top level, got {type(doc).__name__}")
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise TypologyError(f"{where}: missing required field(s) {missing}")
    if doc["status"] not in STATUSES:
        raise TypologyError(f"{where}: status {doc['status']!r}; expected one of {STATUSES}")
    if doc["level"] not in LEVELS:
        raise TypologyError(f"{where}: level {doc['level']!r}; expected one of {LEVELS}")
    if doc["subject"] != "account":
        raise TypologyError(f"{where}: subject {doc['subject']!r}; expected 'account'")
    if not str(doc["description"]).startswith("Detects"):
        raise TypologyError(f"{where}: description must start with 'Detects'")
    for k in ("references", "falsepositives"):
        if not isinstance(doc[k], list) or not doc[k]:
            raise TypologyError(f"{where}: '{k}' must be a non-empty list")
    thr = doc["threshold"]
    if not isinstance(thr, (int, float)) or not 0 < thr <= 1:
        raise TypologyError(f"{where}: threshold {thr!r}; expected a number in (0, 1]")
    uses = []
    if not isinstance(doc["indicators"], list) or not doc["indicators"]:
        raise TypologyError(f"{where}: 'indicators' must be a non-empty list")
    for i, u in enumerate(doc["indicators"]):
        at = f"{where}: indicators[{i}]"
        if not isinstance(u, dict) or "id" not in u:
            raise TypologyError(f"{at}: expected a mapping with an 'id'")
        try:
            spec = get_indicator(u["id"])
        except TypologyError as exc:
            raise TypologyError(f"{at}: {exc}") from None
        weight = u.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or weight <= 0:
            raise TypologyError(f"{at}: weight {weight!r}; expected a positive number")
        params = u.get("params") or {}
        spec.resolve(params, where=at)
        uses.append(IndicatorUse(u["id"], float(weight), dict(params)))
    known = set(REQUIRED) | {"labels", "related_labels"}
    return Typology(
        id=str(doc["id"]),
        version=str(doc["version"]),
        title=str(doc["title"]),
        status=doc["status"],
        description=str(doc["description"]),
        references=tuple(map(str, doc["references"])),
        falsepositives=tuple(map(str, doc["falsepositives"])),
        level=doc["level"],
        subject=doc["subject"],
        indicators=tuple(uses),
        threshold=float(thr),
        labels=tuple(map(str, doc.get("labels", []))),
        related_labels=tuple(map(str, doc.get("related_labels", []))),
        path=where,
        extra={k: v for k, v in doc.items() if k not in known},
    )


def load_typology(path: Path) -> Typology:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TypologyError(f"{path}: not valid YAML ({exc})") from exc
    return parse_typology(doc, str(path))


def load_catalog(
    folder: Path, profile: str | None = None, include_deprecated: bool = False
) -> list[Typology]:
    """All typologies in ``folder`` (``*.yaml``, not ``profiles/`` or ``deprecated/``), with a
    jurisdiction profile's parameter overrides applied. Ids must be unique."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TypologyError(f"{folder}: typology folder not found")
    out: dict[str, Typology] = {}
    for p in sorted(folder.glob("*.yaml")):
        t = load_typology(p)
        if t.id in out:
            raise TypologyError(f"{p}: id {t.id} already used by {out[t.id].path}")
        if t.status == "deprecated" and not include_deprecated:
            continue
        out[t.id] = t
    if profile:
        out = apply_profile(out, folder / "profiles" / f"{profile}.yaml")
    return list(out.values())


def apply_profile(catalog: dict[str, Typology], path: Path) -> dict[str, Typology]:
    """Overlay a jurisdiction profile's parameters on the catalog."""
    if not path.exists():
        raise TypologyError(f"{path}: jurisdiction profile not found")
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    result = dict(catalog)
    for tid, per_ind in doc.items():
        if tid not in catalog:
            raise TypologyError(f"{path}: unknown typology id '{tid}'")
        t = catalog[tid]
        uses = []
        for u in t.indicators:
            params = {**u.params, **(per_ind or {}).get(u.id, {})}
            get_indicator(u.id).resolve(params, where=f"{path}: {tid}.{u.id}")
            uses.append(IndicatorUse(u.id, u.weight, params))
        result[tid] = Typology(**{**t.__dict__, "indicators": tuple(uses)})
    return result
