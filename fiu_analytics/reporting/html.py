"""The run report: one self-contained HTML page that can be mailed as it is.

Inline CSS, pictures embedded as base64 ``data:`` URIs, no scripts and no external resources
(no fonts, no CDN, no links out). Every value is HTML-escaped. The page has the run summary,
alerts per typology, the top alerts with their reasons and pictures, a compact table of all
alerts and, when given, the evaluation against labels.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from fiu_analytics import __version__
from fiu_analytics.reporting._files import private_dir, private_open
from fiu_analytics.reporting.case import evidence_ids, parse_indicators

MAX_TABLE_ROWS = 500
"""Rows of the all-alerts table; the alert CSV has every alert."""

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:0;
 color:#1f2328;background:#f6f7f9;font-size:14px;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 28px 40px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;padding-bottom:4px;
 border-bottom:2px solid #e4e7eb}h3{font-size:16px;margin:0 0 8px}
.meta{color:#57606a;margin:0 0 18px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1 1 150px;border:1px solid #d8dee4;border-radius:8px;padding:10px 14px;
 background:#fbfcfd}
.card .n{font-size:22px;font-weight:600}
.card .l{color:#57606a;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}
th,td{border-bottom:1px solid #e4e7eb;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}tr:nth-child(even) td{background:#fafbfc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-family:"DejaVu Sans Mono",Consolas,monospace;font-size:12px;background:#f0f2f5;
 padding:1px 4px;border-radius:4px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
 color:#fff;background:#6e7781;vertical-align:middle}
.b-low{background:#3b6fb6}.b-medium{background:#b7791f}.b-high{background:#d4570f}
.b-critical{background:#b42318}.b-informational{background:#6e7781}
.alert{border:1px solid #d8dee4;border-radius:8px;padding:14px 16px;margin:14px 0;
 break-inside:avoid}
.facts{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:2px 14px;
 margin:6px 0 8px;font-size:13px}.facts dt{color:#57606a}.facts dd{margin:0}
ul.why{margin:4px 0 10px 18px;padding:0}ul.why li{margin:2px 0}
figure{margin:8px 0 0}figure img{max-width:100%;height:auto;border:1px solid #e4e7eb}
figcaption{color:#57606a;font-size:12px}
.bar{display:inline-block;height:9px;background:#3b6fb6;border-radius:2px;vertical-align:middle;
 margin-right:6px}
.muted{color:#6e7781}footer{margin-top:36px;color:#6e7781;font-size:12px}
"""


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _fmt(value: Any, digits: int = 2) -> str:
    """A cell value as escaped text: thousands separators, '–' for missing."""
    if _is_missing(value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and "int" in str(value.dtype)):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return escape(str(value))


def _num(value: Any) -> bool:
    return (
        not isinstance(value, bool) and isinstance(value, (int, float)) and not _is_missing(value)
    )


def _day_before(value: Any) -> str:
    try:
        return f"{pd.Timestamp(value) - pd.Timedelta(days=1):%Y-%m-%d}"
    except (TypeError, ValueError):
        return str(value)


def _badge(level: Any) -> str:
    if _is_missing(level) or not str(level):
        return ""
    lv = escape(str(level))
    return f'<span class="badge b-{lv}">{lv}</span>'


def _table(frame: pd.DataFrame, bars: tuple[str, ...] = ()) -> str:
    """An HTML table of ``frame``; columns named in ``bars`` (shares in [0, 1]) get a bar."""
    head = "".join(
        f'<th class="num">{escape(str(c))}</th>'
        if len(frame) and all(_num(v) or _is_missing(v) for v in frame[c])
        else f"<th>{escape(str(c))}</th>"
        for c in frame.columns
    )
    rows = []
    for rec in frame.to_dict("records"):
        cells = []
        for c, v in rec.items():
            if c in bars and _num(v):
                pct = max(0.0, min(1.0, float(v))) * 100
                cells.append(
                    f'<td class="num"><span class="bar" style="width:{pct * 0.6:.0f}px"></span>'
                    f"{pct:.0f}%</td>"
                )
            elif _num(v):
                cells.append(f'<td class="num">{_fmt(v)}</td>')
            else:
                cells.append(f"<td>{_fmt(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _ranked(alert_table: pd.DataFrame) -> pd.DataFrame:
    if alert_table.empty:
        return alert_table
    if "rank" in alert_table.columns:
        return alert_table.sort_values("rank", kind="stable").reset_index(drop=True)
    out = alert_table.sort_values(
        ["score", "alert_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    return out.assign(rank=range(1, len(out) + 1))


def _per_typology(summary: Mapping[str, Any], alerts: pd.DataFrame) -> pd.DataFrame:
    counts = dict(summary.get("alerts_per_typology") or {})
    rows = []
    groups = dict(tuple(alerts.groupby("typology_id", sort=True))) if len(alerts) else {}
    for tid in sorted(set(counts) | set(groups)):
        g = groups.get(tid)
        row: dict[str, Any] = {"typology": tid}
        if g is not None:
            row["title"] = g["typology_title"].iloc[0] if "typology_title" in g else None
            row["level"] = g["level"].iloc[0] if "level" in g else None
            row["alerts"] = len(g)
            row["subjects"] = int(g["subject_account_key"].nunique())
            row["top score"] = float(g["score"].max())
            if "total_amount" in g:
                row["evidence total"] = float(g["total_amount"].sum())
        else:
            row["alerts"] = int(counts[tid])
        rows.append(row)
    return pd.DataFrame(rows)


def _image_tag(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _alert_section(row: Mapping[str, Any], case_dir: Path | None) -> str:
    rank = row.get("rank")
    version = "" if _is_missing(row.get("typology_version")) else row.get("typology_version")
    title = row.get("typology_title")
    head = f"#{_fmt(rank)} · {escape(str(row.get('typology_id', '')))} {escape(str(version))}"
    if not _is_missing(title):
        head += f" — {escape(str(title))}"
    score = row.get("score")
    n_ev = row.get("evidence_txn_count")
    if _is_missing(n_ev):
        n_ev = len(evidence_ids(row.get("evidence_txn_ids")))
    facts = [
        ("Alert", f"<code>{escape(str(row.get('alert_id', '')))}</code>"),
        ("Subject", f"<code>{_fmt(row.get('subject', row.get('subject_account_key')))}</code>"),
        ("Score", _fmt(score)),
        ("Evidence", f"{_fmt(int(n_ev))} transactions"),
    ]
    if "total_amount" in row:
        facts.append(("Evidence total", _fmt(row.get("total_amount"))))
    if "counterparties" in row:
        facts.append(("Counterparties", _fmt(row.get("counterparties"))))
    if "countries" in row:
        facts.append(("Countries", _fmt(row.get("countries")) or "–"))
    if "status" in row:
        facts.append(("Status", _fmt(row.get("status"))))
    if not _is_missing(row.get("path")) and str(row.get("path")):
        facts.append(("Path", _fmt(row.get("path"))))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    reasons = []
    for ind in parse_indicators(row.get("indicators")):
        value = ind["value"]
        shown = f" = {value:g}" if isinstance(value, float) else ""
        reasons.append(
            f"<li><code>{escape(ind['id'])}</code>{escape(shown)}: {escape(ind['reason'])}</li>"
        )
    why = f'<ul class="why">{"".join(reasons)}</ul>' if reasons else ""
    picture = '<p class="muted">No case package for this alert.</p>'
    if case_dir is not None:
        png = Path(case_dir) / "flow.png"
        if png.is_file():
            alert_id = escape(str(row.get("alert_id", "")))
            picture = (
                f"<figure>{_image_tag(png, f'Money flow of alert {alert_id}')}"
                f"<figcaption>Money flow around the subject. Case package: "
                f"<code>{alert_id}/</code> (alert.json, evidence.csv, subgraph.graphml, "
                f"flow.png).</figcaption></figure>"
            )
    return (
        f'<section class="alert"><h3>{head} {_badge(row.get("level"))}</h3>'
        f'<dl class="facts">{dl}</dl><div><strong>Why</strong>{why}</div>{picture}</section>'
    )


def run_report_html(
    summary: Mapping[str, Any],
    alert_table: pd.DataFrame,
    case_dirs: Mapping[str, Path] | None = None,
    evaluation: pd.DataFrame | None = None,
    *,
    top_n: int = 10,
    title: str = "FIU monitoring run",
) -> str:
    """The run report as one HTML string (see :func:`write_run_report`)."""
    case_dirs = dict(case_dirs or {})
    alerts = _ranked(alert_table)
    start, end = summary.get("period_start"), summary.get("period_end")
    period = f"{start} to {_day_before(end)}" if start and end else "–"
    n_alerts = int(summary.get("alerts", len(alerts)) or 0)
    per_typ = _per_typology(summary, alerts)
    cards = [
        ("Period", escape(period)),
        ("Transactions scored", _fmt(summary.get("transactions"))),
        ("Alerts", _fmt(n_alerts)),
        ("Typologies alerting", _fmt(int((per_typ.get("alerts", pd.Series()) > 0).sum()))),
        ("Case packages", _fmt(len(case_dirs))),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)} {escape(period)}</title><style>{_CSS}</style></head>",
        "<body><main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Scored period {escape(period)} (UTC, last day included).</p>',
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="n">{v}</div><div class="l">{k}</div></div>'
            for k, v in cards
        )
        + "</div>",
        "<h2>Alerts per typology</h2>",
        _table(per_typ) if len(per_typ) else '<p class="muted">No alerts in this run.</p>',
    ]
    if len(alerts):
        top = alerts.head(top_n)
        parts.append(f"<h2>Top {len(top)} alerts</h2>")
        parts.append(
            '<p class="meta">Ranked by score. Each picture shows the money flow around the '
            "subject: red arrows are evidence, amounts in the base currency.</p>"
        )
        for rec in top.to_dict("records"):
            parts.append(_alert_section(rec, case_dirs.get(str(rec.get("alert_id")))))
        cols = [
            c
            for c in (
                "rank",
                "alert_id",
                "typology_id",
                "level",
                "subject",
                "score",
                "evidence_txn_count",
                "total_amount",
                "countries",
                "status",
            )
            if c in alerts.columns
        ]
        shown = alerts[cols].head(MAX_TABLE_ROWS)
        parts.append("<h2>All alerts</h2>")
        if len(alerts) > MAX_TABLE_ROWS:
            parts.append(
                f'<p class="meta">First {MAX_TABLE_ROWS} of {len(alerts)}; every alert is in '
                "the alert CSV.</p>"
            )
        parts.append(_table(shown))
    if evaluation is None and summary.get("recall"):
        evaluation = pd.DataFrame(list(summary["recall"]))
    if evaluation is not None and len(evaluation):
        bars = tuple(c for c in evaluation.columns if str(c).startswith(("recall", "precision")))
        parts += [
            "<h2>Evaluation against labels</h2>",
            '<p class="meta">A labelled scenario counts as found when an alert names one of its '
            "core accounts.</p>",
            _table(evaluation, bars=bars),
        ]
    details = {
        k: v
        for k, v in summary.items()
        if k not in ("period_start", "period_end", "transactions", "alerts")
        and not isinstance(v, (list, dict, tuple))
    }
    if details:
        parts.append("<h2>Run details</h2>")
        parts.append(
            _table(
                pd.DataFrame({"item": list(details), "value": [str(v) for v in details.values()]})
            )
        )
    parts.append(
        f"<footer>fiu-analytics {escape(__version__)}. Confidential: this report names accounts; "
        "handle it as FIU case material.</footer></main></body></html>"
    )
    return "\n".join(parts) + "\n"


def write_run_report(
    summary: Mapping[str, Any],
    alert_table: pd.DataFrame,
    out_dir: str | Path,
    case_dirs: Mapping[str, Path] | None = None,
    evaluation: pd.DataFrame | None = None,
    *,
    top_n: int = 10,
    title: str = "FIU monitoring run",
) -> Path:
    """Write ``out_dir/report.html`` (0o600) and return its path.

    ``summary`` is the monitoring flow's summary (``period_start``, ``period_end`` exclusive,
    ``transactions``, ``alerts``, ``alerts_per_typology`` and optionally ``recall``, used as
    the evaluation when ``evaluation`` is None); ``alert_table`` the alert CSV table (or the
    alerts frame); ``case_dirs`` maps alert ids to case package folders, whose ``flow.png`` is
    embedded for the ``top_n`` alerts.
    """
    out = private_dir(Path(out_dir))
    path = out / "report.html"
    html_text = run_report_html(
        summary, alert_table, case_dirs, evaluation, top_n=top_n, title=title
    )
    with private_open(path) as fh:
        fh.write(html_text)
    return path
