"""Detection: the typology catalog, scoring and alerts."""

from fiu_analytics.detection.engine import alert_id, detect
from fiu_analytics.detection.typology import Typology, load_catalog, load_typology, parse_typology

__all__ = ["Typology", "alert_id", "detect", "load_catalog", "load_typology", "parse_typology"]
