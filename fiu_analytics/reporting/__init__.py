"""Reporting: what analysts take away from a run.

- :func:`write_case_package`: one folder per alert (alert.json, evidence.csv, subgraph.graphml,
  flow.png), readable by its owner only.
- :func:`write_run_report`: one self-contained HTML page for the run (inline CSS, pictures
  embedded), which can be mailed as it is.
"""

from fiu_analytics.reporting.case import (
    CASE_FILES,
    EVIDENCE_COLUMNS,
    alert_record,
    evidence_frame,
    parse_indicators,
    write_case_package,
)
from fiu_analytics.reporting.html import run_report_html, write_run_report

__all__ = [
    "CASE_FILES",
    "EVIDENCE_COLUMNS",
    "alert_record",
    "evidence_frame",
    "parse_indicators",
    "run_report_html",
    "write_case_package",
    "write_run_report",
]
