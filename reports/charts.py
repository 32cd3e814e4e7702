"""Server-drawn SVG charts of the dashboards: pure functions from figures to coordinates.

No query and no request here: each function takes the figures a selector read (reports.selectors)
and returns the numbers the chart templates (templates/reports/charts/) draw. Coordinates are in
the SVG's own units (its viewBox), rounded to one decimal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Point(Protocol):
    """A month end of a trend (reports.selectors.TrendPoint)."""

    as_of: Any
    over_6m: int
    over_15m: int


def bar_chart(pairs: Sequence[tuple[str, int]], width: int = 560, height: int = 200) -> dict[str, Any]:
    """Vertical bars for (label, value) pairs, e.g. the age distribution; the bars from the fifth
    on (over 12 months) are the key ones."""
    top = max([v for _label, v in pairs] + [1])
    left, bottom, pad = 40, 28, 18  # room for the value above the tallest bar
    plot_w, plot_h = width - left - pad, height - bottom - pad
    step = plot_w / max(len(pairs), 1)
    bars = []
    for i, (label, value) in enumerate(pairs):
        h = plot_h * value / top
        bars.append(
            {
                "x": round(left + i * step + step * 0.15, 1),
                "y": round(pad + plot_h - h, 1),
                "w": round(step * 0.7, 1),
                "h": round(h, 1),
                "label": label,
                "value": value,
                "cx": round(left + i * step + step / 2, 1),
                "key": i >= 4,
            }
        )
    return {"width": width, "height": height, "bars": bars, "base": pad + plot_h, "left": left, "top": top}


def line_chart(points: Sequence[Point], width: int = 560, height: int = 200) -> dict[str, Any]:
    """Two lines (over 6 and over 15 months) over month ends, scaled to the highest over-6 count."""
    left, bottom, pad = 48, 28, 10
    plot_w, plot_h = width - left - pad - 16, height - bottom - pad  # room for the last month label
    top = max([p.over_6m for p in points] + [1])
    n = max(len(points) - 1, 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return round(left + plot_w * i / n, 1), round(pad + plot_h - plot_h * v / top, 1)

    six = " ".join(f"{x},{y}" for x, y in (xy(i, p.over_6m) for i, p in enumerate(points)))
    fifteen = " ".join(f"{x},{y}" for x, y in (xy(i, p.over_15m) for i, p in enumerate(points)))
    ticks = [{"x": xy(i, 0)[0], "label": p.as_of.strftime("%y-%m")} for i, p in enumerate(points)]
    return {
        "width": width,
        "height": height,
        "six": six,
        "fifteen": fifteen,
        "ticks": ticks,
        "base": pad + plot_h,
        "left": left,
        "top": top,
        "points": points,
    }


def hbar_chart(rows: Sequence[tuple[str, int, int]], width: int = 560) -> dict[str, Any]:
    """Horizontal bars per division: (name, over 6 months, of which over 15 months)."""
    top = max([r[1] for r in rows] + [1])
    label_w, pad, row_h = 110, 40, 22
    plot_w = width - label_w - pad
    bars = []
    for i, (name, six, fifteen) in enumerate(rows):
        bars.append(
            {
                "y": i * row_h + 4,
                "name": name,
                "w6": round(plot_w * six / top, 1),
                "w15": round(plot_w * fifteen / top, 1),
                "six": six,
                "fifteen": fifteen,
                "tx": round(label_w + plot_w * six / top + 4, 1),
            }
        )
    return {"width": width, "height": len(rows) * row_h + 8, "bars": bars, "x0": label_w}


def overview_charts(overview) -> dict[str, Any]:
    """The charts of a dashboard (reports.selectors.Overview): its total's age distribution and its trend."""
    return {
        "age_chart": bar_chart(list(overview.total.age_distribution)),
        "trend_chart": line_chart(overview.trend),
    }


def division_chart(overview) -> dict[str, Any]:
    """The court overview's bars per division: over 6 months, of which over 15."""
    return hbar_chart([(r.division.name, r.figures.over_6m, r.figures.over_15m) for r in overview.rows if r.division])
