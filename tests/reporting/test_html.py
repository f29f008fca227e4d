"""The run report: one self-contained page that parses, names every typology, embeds pictures."""

from __future__ import annotations

import base64
import re
import stat
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from fiu_analytics import evaluation, schema
from fiu_analytics.detection.alerts import alert_table
from fiu_analytics.reporting import write_case_package, write_run_report
from fiu_analytics.store import Store
from tests.graph.sample_run import SAMPLE_STORE, SampleRun

TOP_N = 3


class _Page(HTMLParser):
    """Tags with their attributes, and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> tuple[str, _Page]:
    html = path.read_text("utf-8")
    page = _Page()
    page.feed(html)
    page.close()
    return html, page


def _summary(sample: SampleRun) -> dict:
    data, alerts = sample.data, sample.alerts
    return {
        "period_start": f"{data.period_start:%Y-%m-%d}",
        "period_end": f"{data.period_end:%Y-%m-%d}",
        "transactions": len(data.transactions),
        "alerts": len(alerts),
        "alerts_per_typology": {k: int(v) for k, v in alerts.groupby("typology_id").size().items()},
        "alerts_csv": "alerts.csv",
    }


@pytest.fixture(scope="module")
def report(
    sample: SampleRun, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("run")
    data = sample.data
    table = alert_table(sample.alerts, data.transactions, data.accounts)
    cases = {
        row.alert_id: write_case_package(row, data, out / "cases")
        for _, row in table.head(TOP_N).iterrows()
    }
    labels = Store(SAMPLE_STORE).read(schema.LABELS)
    recall = evaluation.scenario_recall(sample.alerts, labels, sample.catalog)
    path = write_run_report(_summary(sample), table, out, cases, recall, top_n=TOP_N)
    return path, table


def test_report_parses_and_names_every_typology(report) -> None:
    path, table = report
    assert path.name == "report.html"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _, page = _parse(path)
    text = " ".join(page.text)
    assert [t for t, _ in page.tags][:2] == ["html", "head"]
    for tid, title in table[["typology_id", "typology_title"]].drop_duplicates().values:
        assert tid in text and title in text
    assert "Evaluation against labels" in text and "GEN-01" in text
    assert f"{len(table):,}" in text  # the alert count card
    for alert_id in table.head(TOP_N)["alert_id"]:
        assert alert_id in text


def test_pictures_are_embedded_png_data(report) -> None:
    path, _ = report
    _, page = _parse(path)
    images = [a["src"] for t, a in page.tags if t == "img"]
    assert len(images) == TOP_N
    for src in images:
        assert src is not None and src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_is_self_contained(report) -> None:
    path, _ = report
    html, page = _parse(path)
    assert re.search(r"https?://", html) is None
    assert not [t for t, _ in page.tags if t in ("script", "link", "iframe", "object")]
    for _, attrs in page.tags:
        for name in ("src", "href", "action"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:"), (name, value)
    assert "@import" not in html and "url(" not in html


def test_report_without_alerts_still_renders(tmp_path) -> None:
    summary = {
        "period_start": "2025-01-01",
        "period_end": "2025-02-01",
        "transactions": 10,
        "alerts": 0,
        "alerts_per_typology": {},
    }
    path = write_run_report(summary, pd.DataFrame(), tmp_path)
    html, page = _parse(path)
    assert "No alerts in this run." in " ".join(page.text)
    assert "2025-01-01 to 2025-01-31" in html
