"""The case picture: an aggregated money flow drawn left to right, readable at a glance.

Boxes are accounts (the subject highlighted), arrows are aggregated payments labelled with the
total, the number of payments and the date range. Layout is :func:`~.layout.flow_layout`, so
the same graph always gives the same picture. Beyond ``max_nodes`` accounts the least involved
ones are combined into one "+N more" box whose arrows carry their totals; labels that find no
free place are left out (and the picture says how many).

Shapes are drawn by matplotlib (a :class:`~matplotlib.figure.Figure` without pyplot: no global
state, nothing to close) and text by Pillow onto the rendered image: matplotlib lays out and
renders glyphs one by one in Python, about ten times slower, and a case picture holds a few
thousand glyphs.
"""

from __future__ import annotations

import os
import textwrap
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from typing import BinaryIO

import networkx as nx
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from PIL import Image, ImageDraw, ImageFont

from fiu_analytics.errors import ConfigError
from fiu_analytics.graph import _geometry as geo
from fiu_analytics.graph.layout import flow_layout

MORE = "MORE"
"""Node id of the box that combines the accounts left out of the picture."""

DPI = 100
_ROW_H = 0.54  # inches between rows of a column
_COL_GAP = 4.4  # inches between columns
_MARGIN_X = 1.3
_BOTTOM = 1.25
_GAP = 0.03  # inches between a box and an arrow end
_NODE_PT = (9.0, 9.5)  # points: account box, subject box
_LABEL_PT = 8.0
_DATE_KEYS = ("first_date", "last_date", "evidence_first_date", "evidence_last_date")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_EVIDENCE = "#b03a2e"
_CONTEXT = "#8a8a8a"
_STYLE = {  # kind -> (face, edge, line width, line style)
    "subject": ("#fbd9cf", _EVIDENCE, 2.2, "solid"),
    "evidence": ("#dce9f6", "#2e6da4", 1.2, "solid"),
    "account": ("#f3f3f3", "#9a9a9a", 1.0, "solid"),
    "cash": ("#e2f2de", "#3c8d40", 1.2, "solid"),
    "more": ("#fff6d2", "#b59b2b", 1.2, "dashed"),
}
_LEGEND = (
    ("subject", "subject"),
    ("evidence", "account in the evidence"),
    ("account", "other counterparty"),
    ("cash", "cash"),
)


_MERGE_DATES = (
    ("first_time", min),
    ("first_date", min),
    ("evidence_first_date", min),
    ("last_time", max),
    ("last_date", max),
    ("evidence_last_date", max),
)


def _involvement(graph: nx.DiGraph, n: Hashable) -> tuple[float, float]:
    ev = tot = 0.0
    for _, _, d in graph.in_edges(n, data=True):
        ev += d.get("evidence_total", 0.0)
        tot += d.get("total", 0.0)
    for _, _, d in graph.out_edges(n, data=True):
        ev += d.get("evidence_total", 0.0)
        tot += d.get("total", 0.0)
    return ev, tot


def picture_graph(graph: nx.DiGraph, subject: Hashable, max_nodes: int = 40) -> nx.DiGraph:
    """``graph`` cut to at most ``max_nodes`` boxes: the rest combined into one ``MORE`` node.

    Kept first: the subject, cash nodes, then accounts by evidence amount they take part in,
    then by total amount, then id. The ``MORE`` node's ``hidden`` attribute counts the accounts
    it stands for; payments among hidden accounts are dropped (counted in ``hidden_edges``).
    """
    if max_nodes < 2:
        raise ConfigError(f"parameter 'max_nodes' must be >= 2; got {max_nodes!r}")
    if graph.number_of_nodes() <= max_nodes:
        return graph.copy()

    def rank(n: Hashable) -> tuple:
        ev, tot = _involvement(graph, n)
        return (n != subject, graph.nodes[n].get("kind") != "cash", -ev, -tot, str(n))

    order = sorted(graph.nodes, key=rank)
    keep = set(order[: max_nodes - 1])
    hidden = len(order) - len(keep)
    out = nx.DiGraph()
    out.graph.update(graph.graph)
    out.add_nodes_from((n, graph.nodes[n]) for n in order if n in keep)
    out.add_node(MORE, kind="more", label=f"+{hidden} more accounts", hidden=hidden)
    dropped = 0
    for u, v, d in graph.edges(data=True):
        a, b = (u if u in keep else MORE), (v if v in keep else MORE)
        if a == MORE and b == MORE:
            dropped += 1
            continue
        if (a != u or b != v) and out.has_edge(a, b):
            e = out.edges[a, b]
            for k in ("total", "count", "evidence_total", "evidence_count", "accounts"):
                e[k] = e.get(k, 0) + d.get(k, 1 if k == "accounts" else 0)
            for k, pick in _MERGE_DATES:
                vals = [x for x in (e.get(k), d.get(k)) if x is not None]
                if vals:
                    e[k] = pick(vals)
        else:
            out.add_edge(a, b, **dict(d), accounts=1)
    out.nodes[MORE]["hidden_edges"] = dropped
    return out


def _money(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def _day(iso: str, with_year: bool) -> str:
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    month = _MONTHS[d.month - 1]  # not %b: that follows the locale
    return f"{d.day} {month} {d.year}" if with_year else f"{d.day} {month}"


def _dates(first: str, last: str, year: str | None = None) -> str:
    """``17 Jan → 22 Mar``; the year is written only when it is not ``year``."""
    with_year = year is None or first[:4] != year or last[:4] != year
    if first == last:
        return _day(first, with_year)
    return f"{_day(first, with_year)} → {_day(last, with_year)}"


def edge_caption(data: dict, currency: str = "", year: str | None = None) -> str:
    """Total · number of payments · first → last day; a second line for the evidence part.

    ``currency`` is appended to totals when given (the picture states it once instead);
    ``year`` is left out of dates in that year (the picture states it once).
    """
    cur = f" {currency}" if currency else ""
    n = int(data.get("count", 0))
    total = _money(float(data.get("total", 0.0)))
    first, last = str(data.get("first_date", "")), str(data.get("last_date", ""))
    lines = [f"{total}{cur} · {n}× · {_dates(first, last, year)}"]
    k = int(data.get("evidence_count", 0))
    if 0 < k < n:
        ev_first = str(data.get("evidence_first_date", ""))
        ev_last = str(data.get("evidence_last_date", ""))
        ev_total = _money(float(data.get("evidence_total", 0.0)))
        lines.append(f"evidence {ev_total}{cur} · {k}× · {_dates(ev_first, ev_last, year)}")
    return "\n".join(lines)


def _node_kind(d: dict) -> str:
    if d.get("is_subject"):
        return "subject"
    kind = d.get("kind", "account")
    if kind == "account" and d.get("is_evidence"):
        return "evidence"
    return kind


def _node_text(n: Hashable, d: dict) -> str:
    kind = d.get("kind", "account")
    if kind != "account":
        return str(d.get("label", n))
    lines = [str(d.get("account_id", n))]
    if d.get("owner_name"):
        lines.append(str(d["owner_name"])[:28])
    sub = " · ".join(str(d[k]) for k in ("owner_party_id", "country") if d.get(k))
    if sub:
        lines.append(sub)
    if d.get("is_subject"):
        lines.insert(0, "SUBJECT")
    return "\n".join(lines)


_FONTS = threading.local()  # FreeType faces are not safe to share between threads


def _font(size: float, bold: bool) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (shipped with matplotlib, so always there) at ``size`` points."""
    cache = _FONTS.__dict__.setdefault("fonts", {})
    if (size, bold) not in cache:
        weight = "bold" if bold else "normal"
        path = font_manager.findfont(
            font_manager.FontProperties(family="DejaVu Sans", weight=weight)
        )
        cache[size, bold] = ImageFont.truetype(path, size=max(1, round(size * DPI / 72)))
    return cache[size, bold]


def _spacing(size: float) -> int:
    return max(1, round(size * DPI / 72 * 0.2))


@dataclass(frozen=True)
class TextItem:
    """A text drawn onto the rendered picture; position in inches from the bottom left."""

    x: float
    y: float
    text: str
    size: float
    bold: bool = False
    color: str = "#000000"
    ha: str = "left"
    va: str = "center"
    background: bool = False


def _text_size(text: str, size: float, bold: bool = False) -> tuple[float, float]:
    """Width and height of ``text`` in inches."""
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))
    x0, y0, x1, y1 = draw.multiline_textbbox(
        (0, 0), text, font=_font(size, bold), spacing=_spacing(size)
    )
    return (x1 - x0) / DPI, (y1 - y0) / DPI


@dataclass
class FlowPicture:
    """A drawn money flow: the shapes as a matplotlib Figure, the texts to put on top.

    :meth:`to_image` renders both; :meth:`save_png` writes a PNG. In a notebook the picture
    shows itself (``_repr_png_``).
    """

    figure: Figure
    texts: list[TextItem] = field(default_factory=list)
    unlabelled: int = 0
    """Arrows whose label found no free place."""

    def to_image(self) -> Image.Image:
        canvas = FigureCanvasAgg(self.figure)
        canvas.draw()
        width, height = canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw")
        image = image.convert("RGB")
        draw = ImageDraw.Draw(image)
        for t in self.texts:
            font, spacing = _font(t.size, t.bold), _spacing(t.size)
            x0, y0, x1, y1 = draw.multiline_textbbox(
                (0, 0), t.text, font=font, spacing=spacing, align=t.ha
            )
            w, h = x1 - x0, y1 - y0
            px = t.x * DPI - {"left": 0, "center": w / 2, "right": w}[t.ha]
            py = (height - t.y * DPI) - {"top": 0, "center": h / 2, "bottom": h}[t.va]
            if t.background:
                draw.rounded_rectangle(
                    (px - 3, py - 2, px + w + 3, py + h + 2), radius=3, fill="white"
                )
            draw.multiline_text(
                (round(px - x0), round(py - y0)),
                t.text,
                font=font,
                fill=t.color,
                spacing=spacing,
                align=t.ha,
            )
        return image

    def save_png(self, target: str | os.PathLike[str] | BinaryIO, colors: int = 128) -> None:
        """Write a palette PNG: flat fills and anti-aliased text need few colours, and the file
        is about four times smaller than RGB, which matters in a mailed report. Equal pictures
        give equal bytes."""
        image = self.to_image().quantize(colors, method=Image.Quantize.FASTOCTREE)
        image.save(target, format="PNG", compress_level=6)

    def _repr_png_(self) -> bytes:
        buf = BytesIO()
        self.save_png(buf)
        return buf.getvalue()


def money_flow_picture(
    graph: nx.DiGraph,
    subject: Hashable | None = None,
    *,
    title: str = "",
    subtitle: str = "",
    max_nodes: int = 40,
    currency: str = "USD",
) -> FlowPicture:
    """Draw an aggregated money flow (:func:`~.subgraph.aggregated_flow_graph`).

    ``subject`` defaults to the graph's ``subject`` attribute. Evidence payments are red,
    other payments grey; arrow width grows with the total.

    Example::

        >>> money_flow_picture(agg, title="TY-FAN-IN").save_png("flow.png")
    """
    subject = graph.graph.get("subject") if subject is None else subject
    if subject not in graph:
        raise ConfigError(f"subject {subject!r} is not a node of the graph to draw")
    g = picture_graph(graph, subject, max_nodes)
    pos_cr = flow_layout(g, subject)
    n_cols = max(c for c, _ in pos_cr.values()) + 1
    col_size = [0] * n_cols
    for c, _ in pos_cr.values():
        col_size[c] += 1

    width = max(13.0, 2 * _MARGIN_X + 1.6 + (n_cols - 1) * _COL_GAP)
    sub_lines = [
        line
        for part in subtitle.splitlines()
        for line in textwrap.wrap(part, int((width - 0.5) * 11.5)) or [""]
    ]
    top = (0.75 if title else 0.3) + 0.17 * len(sub_lines) + 0.35
    height = max(6.0, top + _BOTTOM + max(col_size) * _ROW_H + 0.2)
    x0 = (width - (n_cols - 1) * _COL_GAP) / 2
    y_mid = _BOTTOM + (height - top - _BOTTOM) / 2
    xy = {
        n: np.array([x0 + c * _COL_GAP, y_mid + ((col_size[c] - 1) / 2 - r) * _ROW_H])
        for n, (c, r) in pos_cr.items()
    }

    fig = Figure(figsize=(width, height), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    picture = FlowPicture(fig)
    texts = picture.texts

    # Boxes of a column share its widest width, so arrows end on one vertical line per side
    # and never run through a wider neighbour.
    node_text = {n: (_node_text(n, d), _node_kind(d)) for n, d in g.nodes(data=True)}
    sizes = {
        n: _text_size(text, _NODE_PT[kind == "subject"], kind in ("subject", "more"))
        for n, (text, kind) in node_text.items()
    }
    col_half = [0.0] * n_cols
    for n, (c, _) in pos_cr.items():
        col_half[c] = max(col_half[c], sizes[n][0] / 2 + 0.08)
    half: dict[Hashable, np.ndarray] = {}
    for n, (text, kind) in node_text.items():
        face, edge, lw, ls = _STYLE[kind]
        w, h = 2 * col_half[pos_cr[n][0]], sizes[n][1] + 0.12
        half[n] = np.array([w / 2, h / 2])
        ax.add_artist(
            FancyBboxPatch(
                (xy[n][0] - w / 2, xy[n][1] - h / 2),
                w,
                h,
                boxstyle="round,pad=0,rounding_size=0.06",
                facecolor=face,
                edgecolor=edge,
                linewidth=lw,
                linestyle=ls,
                zorder=4,
            )
        )
        size = _NODE_PT[kind == "subject"]
        texts.append(TextItem(*xy[n], text, size, kind in ("subject", "more"), ha="center"))

    years = {str(d.get(k, ""))[:4] for _, _, d in g.edges(data=True) for k in _DATE_KEYS}
    years.discard("")
    year = years.pop() if len(years) == 1 else None
    totals = [d.get("total", 0.0) for _, _, d in g.edges(data=True)]
    biggest = max(totals, default=1.0) or 1.0
    occupied: list[geo.Rect] = [
        (p[0] - h[0] - 0.03, p[1] - h[1] - 0.03, p[0] + h[0] + 0.03, p[1] + h[1] + 0.03)
        for p, h in ((xy[n], half[n]) for n in half)
    ]
    idx = {n: i for i, n in enumerate(half)}
    boxes = np.asarray(occupied, dtype=float)
    jobs = []
    for u, v, d in sorted(g.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        evidence = d.get("evidence_count", 0) > 0
        if u == v:
            spot = (xy[u][0] + half[u][0] + 0.08, xy[u][1], "left", "center")
            jobs.append((u, v, d, evidence, [spot]))
            continue
        (cu, _), (cv, _) = pos_cr[u], pos_cr[v]
        prefer: tuple[str, float] | None
        if cu == cv:
            # Round the side of the column, clear of the boxes in between.
            a, b = xy[u], xy[v]
            rad = 2 * (col_half[cu] + 0.35) / (abs(b[1] - a[1]) or 1.0)
            t0, t1 = geo.visible_span(a, b, rad, half[u] + _GAP, half[v] + _GAP)
            prefer = ("arc", 0.0)
        else:
            # From the side of one box to the facing side of the other: the corridor between
            # two columns holds no box, so arrows between neighbouring columns cross none.
            side = 1.0 if cv > cu else -1.0
            a = xy[u] + np.array([side * (half[u][0] + _GAP), 0.0])
            b = xy[v] - np.array([side * (half[v][0] + _GAP), 0.0])
            rad = 0.12 if g.has_edge(v, u) else 0.0
            if abs(cv - cu) > 1:
                rad = geo.route(a, b, rad, boxes, idx[u], idx[v])
            t0, t1 = 0.0, 1.0
            if col_size[cu] > col_size[cv]:
                prefer = ("start", side)
            elif col_size[cu] < col_size[cv]:
                prefer = ("end", side)
            else:
                prefer = None
        lw = 0.8 + 3.2 * np.sqrt(d.get("total", 0.0) / biggest)
        ax.add_artist(
            FancyArrowPatch(
                path=geo.sub_curve(a, b, rad, t0, t1),
                arrowstyle="-|>",
                mutation_scale=11 + 2 * lw,
                linewidth=lw,
                color=_EVIDENCE if evidence else _CONTEXT,
                alpha=0.9 if evidence else 0.7,
                zorder=2 if evidence else 1,
            )
        )
        jobs.append((u, v, d, evidence, geo.label_spots(a, b, rad, t0, t1, prefer)))

    # Evidence labels first, then the largest flows: they get the best spots.
    jobs.sort(key=lambda j: (not j[3], -j[2].get("total", 0.0), str(j[0]), str(j[1])))
    for u, v, d, evidence, spots in jobs:
        caption = edge_caption(d, year=year)
        if u == v:
            caption = "↻ " + caption.replace("\n", "\n   ")
        w, h = _text_size(caption, _LABEL_PT)
        x, y, ha, va, rect, overlap = geo.free_spot(
            spots, (w + 0.08, h + 0.06), occupied, (width, height)
        )
        if overlap > 0:  # no room: a label on top of others helps nobody
            picture.unlabelled += 1
            continue
        color = "#5a1a12" if evidence else "#333333"
        # the spot's anchor is the padded box's; the text sits 0.04 in inside it
        inset = {"left": 0.04, "right": -0.04, "center": 0.0}[ha]
        lift = {"bottom": 0.03, "top": -0.03, "center": 0.0}[va]
        texts.append(TextItem(x + inset, y + lift, caption, _LABEL_PT, False, color, ha, va, True))
        occupied.append(rect)

    _decorate(picture, g, graph, title, sub_lines, year, currency, max_nodes, (width, height))
    return picture


def _decorate(
    picture: FlowPicture,
    g: nx.DiGraph,
    graph: nx.DiGraph,
    title: str,
    sub_lines: list[str],
    year: str | None,
    currency: str,
    max_nodes: int,
    size: tuple[float, float],
) -> None:
    """Title, subtitle, legend and the notes that say what the picture leaves out."""
    width, height = size
    texts, fig = picture.texts, picture.figure
    if title:
        texts.append(TextItem(0.25, height - 0.28, title, 13, True, va="top"))
    if sub_lines:
        y = height - (0.68 if title else 0.25)
        texts.append(TextItem(0.25, y, "\n".join(sub_lines), 9.5, color="#333333", va="top"))

    items: list[tuple[str, str, str]] = [(k, label, "box") for k, label in _LEGEND]
    if MORE in g:
        items.append(("more", "accounts combined", "box"))
    items += [(_EVIDENCE, "evidence payments", "line"), (_CONTEXT, "other payments", "line")]
    x, y = 0.3, 0.72
    for key, label, shape in items:
        if shape == "box":
            face, edge, _, ls = _STYLE[key]
            fig.add_artist(
                Rectangle(
                    (x / width, (y - 0.06) / height),
                    0.22 / width,
                    0.12 / height,
                    transform=fig.transFigure,
                    facecolor=face,
                    edgecolor=edge,
                    linestyle=ls,
                )
            )
        else:
            fig.add_artist(
                FancyArrowPatch(
                    (x / width, y / height),
                    ((x + 0.3) / width, y / height),
                    transform=fig.transFigure,
                    arrowstyle="-",
                    color=key,
                    linewidth=2.5,
                )
            )
        texts.append(TextItem(x + 0.38, y, label, 8.5))
        x += 0.38 + _text_size(label, 8.5)[0] + 0.3

    notes = [
        f"Arrows: total in {currency} · number of payments × · first → last day"
        + (f" (all in {year})" if year else "")
        + ". Money flows left to right; within a column, earliest arrival on top.",
    ]
    if MORE in g:
        notes.append(
            f"+{g.nodes[MORE]['hidden']} more accounts are combined into one box "
            f"(picture limited to {max_nodes} boxes); every account is in subgraph.graphml."
        )
    elif graph.graph.get("truncated"):
        notes.append(str(graph.graph.get("note", "")))
    if picture.unlabelled:
        notes.append(
            f"{picture.unlabelled} arrows are not labelled where arrows are too dense (evidence "
            "and the largest flows are labelled first); every total is in subgraph.graphml."
        )
    wrap = int((width - 0.5) * 14)
    text = "\n".join(textwrap.fill(s, wrap) for s in notes)
    texts.append(TextItem(0.25, 0.15, text, 8, color="#444444", va="bottom"))
