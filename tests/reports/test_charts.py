"""The dashboards' SVG geometry (reports.charts): pure functions, no database."""

import datetime as dt

from reports.charts import bar_chart, division_chart, hbar_chart, line_chart, overview_charts
from reports.selectors import Figures, Overview, ScopeFigures, TrendPoint


def test_bars_scale_to_the_tallest_and_stand_on_the_base():
    chart = bar_chart([("0-3", 10), ("3-6", 5), ("6-12", 0), ("12-15", 2), ("15-18", 1), ("18+", 0)])
    assert (chart["width"], chart["height"], chart["left"], chart["top"]) == (560, 200, 40, 10)
    # Plot: 502 wide (560 - 40 - 18), 154 high (200 - 28 - 18); base at 18 + 154.
    assert chart["base"] == 172
    first, second, third = chart["bars"][:3]
    assert first == {"x": 52.5, "y": 18.0, "w": 58.6, "h": 154.0, "label": "0-3", "value": 10, "cx": 81.8, "key": False}
    assert (second["y"], second["h"]) == (95.0, 77.0)
    assert (third["y"], third["h"]) == (172.0, 0.0)
    for bar in chart["bars"]:
        assert round(bar["y"] + bar["h"], 1) == chart["base"]
    # The bands from the fifth on (over 15 months) are the key ones.
    assert [b["key"] for b in chart["bars"]] == [False, False, False, False, True, True]


def test_bars_of_nothing_do_not_divide_by_zero():
    assert bar_chart([])["bars"] == []
    chart = bar_chart([("0-3", 0)])
    assert chart["top"] == 1 and chart["bars"][0]["h"] == 0.0


def test_trend_lines_run_from_the_left_axis_to_the_right_end():
    points = [
        TrendPoint(dt.date(2025, 3, 31), 4, 1),
        TrendPoint(dt.date(2025, 4, 30), 8, 2),
        TrendPoint(dt.date(2025, 5, 31), 0, 0),
    ]
    chart = line_chart(points)
    # Plot: 486 wide (560 - 48 - 10 - 16), 162 high (200 - 28 - 10); top is the highest over-6 count.
    assert (chart["top"], chart["base"], chart["left"]) == (8, 172, 48)
    assert chart["six"] == "48.0,91.0 291.0,10.0 534.0,172.0"
    assert chart["fifteen"] == "48.0,151.8 291.0,131.5 534.0,172.0"
    assert chart["ticks"] == [
        {"x": 48.0, "label": "25-03"},
        {"x": 291.0, "label": "25-04"},
        {"x": 534.0, "label": "25-05"},
    ]
    assert chart["points"] == points


def test_a_trend_of_one_point_or_none():
    assert line_chart([])["six"] == "" and line_chart([])["ticks"] == []
    chart = line_chart([TrendPoint(dt.date(2025, 5, 31), 3, 1)])
    assert chart["six"] == "48.0,10.0" and chart["top"] == 3


def test_division_bars_are_proportional_to_the_largest():
    chart = hbar_chart([("民一庭", 10, 4), ("刑事审判庭", 5, 0)])
    # Plot: 410 wide (560 - 110 - 40), a row every 22 units.
    assert chart == {
        "width": 560,
        "height": 52,
        "x0": 110,
        "bars": [
            {"y": 4, "name": "民一庭", "w6": 410.0, "w15": 164.0, "six": 10, "fifteen": 4, "tx": 524.0},
            {"y": 26, "name": "刑事审判庭", "w6": 205.0, "w15": 0.0, "six": 5, "fifteen": 0, "tx": 319.0},
        ],
    }
    assert hbar_chart([]) == {"width": 560, "height": 8, "bars": [], "x0": 110}


def test_the_dashboard_charts_read_an_overview(division):
    total = Figures(band_0_3=3, band_6_12=2, band_18_plus=1, over_6m=3, over_15m=1)
    trend = [TrendPoint(dt.date(2025, 5, 31), 3, 1)]
    overview = Overview(
        as_of=dt.date(2025, 6, 10),
        total=total,
        rows=[ScopeFigures(figures=total, division=division), ScopeFigures(figures=Figures(), handler_id=7)],
        trend=trend,
        baseline=None,
    )
    charts = overview_charts(overview)
    assert charts["age_chart"] == bar_chart(
        [("0-3", 3), ("3-6", 0), ("6-12", 2), ("12-15", 0), ("15-18", 0), ("18+", 1)]
    )
    assert charts["trend_chart"] == line_chart(trend)
    # Rows without a division (a handler's) are not drawn.
    assert division_chart(overview) == hbar_chart([(division.name, 3, 1)])
