"""Geometry of the case picture, in inches: curved arrows, routing and label placement.

Arrows are matplotlib's ``arc3`` curves (quadratic Beziers bending by ``rad``). Everything here
is plain numpy on a few dozen boxes, so placing a picture's labels costs milliseconds.
"""

from __future__ import annotations

import numpy as np
from matplotlib.path import Path

Rect = tuple[float, float, float, float]
Spot = tuple[float, float, str, str]


def quad(p0: np.ndarray, p2: np.ndarray, rad: float, t: float) -> np.ndarray:
    """Point at ``t`` on matplotlib's arc3 curve from p0 to p2."""
    c = control(p0, p2, rad)
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * c + t**2 * p2


def control(p0: np.ndarray, p2: np.ndarray, rad: float) -> np.ndarray:
    d = p2 - p0
    return (p0 + p2) / 2 + rad * np.array([d[1], -d[0]])


def visible_span(
    p0: np.ndarray, p2: np.ndarray, rad: float, half0: np.ndarray, half2: np.ndarray
) -> tuple[float, float]:
    """Curve parameters where the arc leaves the first box and enters the second.

    Computed here on a sampled curve rather than by matplotlib's patch clipping, which costs
    tens of milliseconds per arrow.
    """
    t = np.linspace(0.0, 1.0, 241)
    c = control(p0, p2, rad)
    pts = (1 - t)[:, None] ** 2 * p0 + (2 * (1 - t) * t)[:, None] * c + (t**2)[:, None] * p2
    out0 = np.flatnonzero(np.any(np.abs(pts - p0) > half0, axis=1))
    out2 = np.flatnonzero(np.any(np.abs(pts - p2) > half2, axis=1))
    if not len(out0) or not len(out2) or out0[0] >= out2[-1]:
        return 0.45, 0.55  # overlapping boxes: a short stub in the middle
    return float(t[out0[0]]), float(t[out2[-1]])


def t_at_x(p0: np.ndarray, p2: np.ndarray, rad: float, x: float, t0: float, t1: float) -> float:
    """Curve parameter in ``[t0, t1]`` whose point is nearest to the vertical line at ``x``."""
    t = np.linspace(t0, t1, 121)
    c = control(p0, p2, rad)
    xs = (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * c[0] + t**2 * p2[0]
    return float(t[np.argmin(np.abs(xs - x))])


def route(p0: np.ndarray, p2: np.ndarray, rad: float, boxes: np.ndarray, i0: int, i2: int) -> float:
    """Curvature for an arrow from p0 to p2 that passes through no other box, if one is found.

    Tries ``rad`` first, then curves bending ever more to either side; the least obstructed
    wins otherwise. ``boxes`` are ``(x0, y0, x1, y1)`` rows; ``i0`` and ``i2`` the ends' rows.
    """
    others = np.delete(boxes, [i0, i2], axis=0)
    if not len(others):
        return rad
    t = np.linspace(0.04, 0.96, 72)[:, None]
    best, best_hits = rad, np.inf
    for r in (rad, *(rad + s * k for k in (0.1, 0.2, 0.3, 0.45, 0.6, 0.8) for s in (1, -1))):
        c = control(p0, p2, r)
        pts = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * c + t**2 * p2
        inside = (
            (pts[:, None, 0] > others[None, :, 0])
            & (pts[:, None, 0] < others[None, :, 2])
            & (pts[:, None, 1] > others[None, :, 1])
            & (pts[:, None, 1] < others[None, :, 3])
        )
        hits = int(inside.sum())
        if hits == 0:
            return float(r)
        if hits < best_hits:
            best, best_hits = float(r), hits
    return best


def label_spots(
    p0: np.ndarray,
    p2: np.ndarray,
    rad: float,
    t0: float,
    t1: float,
    prefer: tuple[str, float] | None,
) -> list[tuple[float, float, str, str]]:
    """Candidate label anchors ``(x, y, ha, va)`` along an arrow, best first.

    ``prefer``: ``("start" | "end", side)`` puts the label first right beside the box at that
    end of the arrow (the end where arrows fan out and are far apart), on the side of the
    arrow away from it; ``side`` is +1 for a rightward arrow. ``("arc", _)`` puts it beside
    the outermost point of an arc within a column. Then come points along the visible arrow,
    from the middle outwards.
    """
    spots: list[tuple[float, float, str, str]] = []
    if prefer is not None and prefer[0] == "arc":
        x, y = quad(p0, p2, rad, 0.5)
        if x > p0[0]:
            spots.append((x + 0.06, y, "left", "center"))
        else:
            spots.append((x - 0.06, y, "right", "center"))
    elif prefer is not None:
        end, side = prefer
        port, other = (p0, p2) if end == "start" else (p2, p0)
        towards = 1.0 if end == "start" else -1.0
        ha = "left" if side * towards > 0 else "right"
        x = port[0] + side * towards * 0.1
        # above an arrow that leaves downwards, below one that leaves upwards
        if other[1] <= port[1]:
            spots.append((x, port[1] + 0.03, ha, "bottom"))
        else:
            spots.append((x, port[1] - 0.03, ha, "top"))
    for f in (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.14, 0.86):
        x, y = quad(p0, p2, rad, t0 + f * (t1 - t0))
        spots.append((float(x), float(y), "center", "center"))
    return [(float(x), float(y), ha, va) for x, y, ha, va in spots]


def free_spot(
    spots: list[tuple[float, float, str, str]],
    size: tuple[float, float],
    occupied: list[tuple[float, float, float, float]],
    bounds: tuple[float, float],
) -> tuple[float, float, str, str, tuple[float, float, float, float], float]:
    """The first spot whose label box overlaps nothing placed, else the least overlapping;
    with the overlapping area (0 for a free spot)."""
    w, h = size
    taken = np.asarray(occupied, dtype=float).reshape(-1, 4)
    best, best_overlap = None, np.inf
    for x, y, ha, va in spots:
        x0 = x if ha == "left" else x - w if ha == "right" else x - w / 2
        y0 = y if va == "bottom" else y - h if va == "top" else y - h / 2
        rect = (x0, y0, x0 + w, y0 + h)
        ox = np.clip(np.minimum(rect[2], taken[:, 2]) - np.maximum(rect[0], taken[:, 0]), 0, None)
        oy = np.clip(np.minimum(rect[3], taken[:, 3]) - np.maximum(rect[1], taken[:, 1]), 0, None)
        overlap = float((ox * oy).sum())
        if rect[0] < 0 or rect[2] > bounds[0] or rect[1] < 0 or rect[3] > bounds[1]:
            overlap += w * h
        if overlap < best_overlap - 1e-9:
            best, best_overlap = (x, y, ha, va, rect), overlap
            if overlap == 0:
                break
    assert best is not None
    return (*best, best_overlap)


def sub_curve(p0: np.ndarray, p2: np.ndarray, rad: float, t0: float, t1: float) -> Path:
    """The part ``[t0, t1]`` of the arc3 curve from p0 to p2, as a quadratic Bezier path."""
    c = control(p0, p2, rad)

    def blossom(a: float, b: float) -> np.ndarray:
        return (1 - a) * (1 - b) * p0 + ((1 - a) * b + a * (1 - b)) * c + a * b * p2

    verts = [blossom(t0, t0), blossom(t0, t1), blossom(t1, t1)]
    return Path(verts, [Path.MOVETO, Path.CURVE3, Path.CURVE3])
