"""Saving and loading models with a model card.

A saved model is a folder: ``model.joblib`` (the fitted estimator) and ``card.json`` (what
it was trained on and how well it did): kind, data (store, period, accounts, positives),
feature version and names, parameters, threshold for the analyst's alert budget, metrics, and
the versions of Python, scikit-learn, numpy, pandas and fiu-analytics. Loading checks the
card against this installation first: a model made with other features or another
scikit-learn release is refused with a message that says what differs, never unpickled
blindly into wrong scores.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib

from fiu_analytics.errors import ModelError
from fiu_analytics.features import FEATURE_VERSION

CARD = "card.json"
MODEL = "model.joblib"


def library_versions() -> dict[str, str]:
    """Versions that decide whether a saved model can be loaded and trusted here."""
    out = {"python": platform.python_version()}
    for dist in ("scikit-learn", "numpy", "pandas", "fiu-analytics"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
            out[dist] = "unknown"
    return out


@dataclass
class ModelCard:
    """What a model is, what it was trained on, and how well it did."""

    name: str
    kind: str  # "supervised" or "anomaly"
    features: list[str]
    feature_version: str = FEATURE_VERSION
    params: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    threshold: float | None = None
    budget: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=library_versions)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_markdown(self) -> str:
        """The card as a short Markdown page (written beside the JSON)."""
        lines = [f"# Model card: {self.name}", "", f"- kind: {self.kind}"]
        lines += [f"- created: {self.created}", f"- feature version: {self.feature_version}"]
        lines += [f"- features ({len(self.features)}): {', '.join(self.features)}"]
        if self.threshold is not None:
            lines.append(f"- alert threshold: {self.threshold:.4f} (budget {self.budget})")
        lines += ["", "## Data"] + [f"- {k}: {v}" for k, v in self.data.items()]
        lines += ["", "## Parameters"] + [f"- {k}: {v}" for k, v in self.params.items()]
        lines += ["", "## Metrics"] + [f"- {k}: {v}" for k, v in self.metrics.items()]
        lines += ["", "## Versions"] + [f"- {k}: {v}" for k, v in self.versions.items()]
        return "\n".join(lines) + "\n"


def save_model(model: Any, card: ModelCard, folder: str | Path) -> Path:
    """Write ``model`` and its ``card`` into ``folder`` (created); returns the folder."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out / MODEL)
    (out / CARD).write_text(json.dumps(asdict(card), indent=2, default=str), encoding="utf-8")
    (out / "card.md").write_text(card.to_markdown(), encoding="utf-8")
    return out


def read_card(folder: str | Path) -> ModelCard:
    """The card of a saved model (no model is loaded)."""
    path = Path(folder) / CARD
    if not path.exists():
        raise ModelError(f"{folder}: no saved model here (expected {CARD} and {MODEL})")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return ModelCard(**raw)
    except (ValueError, TypeError) as exc:
        raise ModelError(f"{path}: not a valid model card: {exc}") from None


def _minor(v: str) -> str:
    return ".".join(v.split(".")[:2])


def check_compatible(card: ModelCard, folder: str | Path = "") -> None:
    """Refuse a card whose features or scikit-learn release differ from this installation."""
    here = library_versions()
    problems = []
    if card.feature_version != FEATURE_VERSION:
        problems.append(
            f"features version {card.feature_version} (this installation computes "
            f"{FEATURE_VERSION})"
        )
    made = card.versions.get("scikit-learn", "unknown")
    if _minor(made) != _minor(here["scikit-learn"]):
        problems.append(f"scikit-learn {made} (installed: {here['scikit-learn']})")
    if problems:
        raise ModelError(
            f"{folder or card.name}: model '{card.name}' was made with "
            + " and ".join(problems)
            + "; retrain it here with `fiu train`"
        )


def load_model(folder: str | Path) -> tuple[Any, ModelCard]:
    """Load a saved model after checking its card; returns ``(model, card)``."""
    card = read_card(folder)
    check_compatible(card, folder)
    try:
        model = joblib.load(Path(folder) / MODEL)
    except Exception as exc:  # a truncated or foreign file: say which and why
        raise ModelError(f"{Path(folder) / MODEL}: cannot load the model: {exc}") from None
    names = list(getattr(model, "feature_names_in_", []))
    if names and names != list(card.features):
        raise ModelError(
            f"{folder}: the model's features differ from its card's; the folder was altered"
        )
    return model, card


def load_models(folder: str | Path | None) -> dict[str, tuple[Any, ModelCard]]:
    """Every saved model under ``folder`` (the folder itself, or its subfolders holding a
    card), keyed by the card's name; ``{}`` for None."""
    if folder is None:
        return {}
    root = Path(folder)
    if not root.is_dir():
        raise ModelError(f"{root}: no models folder here (train one with `fiu train`)")
    dirs = [root] if (root / CARD).exists() else sorted(p.parent for p in root.glob(f"*/{CARD}"))
    if not dirs:
        raise ModelError(f"{root}: no saved model (no {CARD} here or in a subfolder)")
    out = {}
    for d in dirs:
        model, card = load_model(d)
        out[card.name] = (model, card)
    return out
