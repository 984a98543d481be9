"""The twelve-month trend (按时办结率, 现场办结率, 满意率): the bulletin's own figures, month by month."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from zhengwu.supervision import charts
from zhengwu.supervision.bulletin import TREND_KEYS, Period, bulletin_compute, trend_compute
from zhengwu.supervision.history import history_generate


@pytest.fixture
def history(item, immediate_item, clerk, chief_representative, section_head):
    item.windows.add(clerk.posts.get().window)
    history_generate(per_year=1200, today=dt.date(2026, 11, 20))


def test_each_month_equals_that_months_bulletin(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # two GROUP BY month queries, whatever the number of months
        points = trend_compute(Period.month(2026, 10))
    assert [p.month for p in points][:2] == [dt.date(2025, 11, 1), dt.date(2025, 12, 1)]
    assert points[-1].month == dt.date(2026, 10, 1) and len(points) == 12
    for point in points:
        total = bulletin_compute(Period.month(point.month.year, point.month.month), min_sample=0).total.values
        for key in TREND_KEYS:
            assert point.values[key] == pytest.approx(total[key]), (point.month, key)
    assert all(p.values["on_time_promised_rate"] is not None for p in points)
    june = points[7].values["on_time_promised_rate"]
    assert june is not None and 0.8 < june < 0.99


def test_months_without_data_are_gaps_not_zeros(history):
    points = trend_compute(Period.month(2027, 3), months=12)
    assert points[-1].values == {"on_time_promised_rate": None, "on_site_rate": None, "satisfaction_rate": None}
    svg = charts.multi_line_chart([f"{p.month:%m}" for p in points],
                                  [("按时", "#000", [p.values["on_time_promised_rate"] for p in points])],
                                  title="趋势")
    # Data through 2026-10 only: one run of points, no line dropping to 0 % for the empty months.
    assert svg.count("<polyline") == 1 and svg.count("<circle") == sum(
        p.values["on_time_promised_rate"] is not None for p in points)


def test_a_series_with_a_hole_is_drawn_in_two_pieces():
    svg = charts.multi_line_chart(["1", "2", "3", "4", "5"], [("满意率", "#0a0", [0.9, 0.95, None, 0.8, 0.85])],
                                  title="满意率", target=("目标 90%", 0.9))
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 4 and "目标 90%" in svg
    # The axis starts at the 10 % step below the lowest value (80 % → 70 %), labelled, not at 0 %.
    assert ">70%</text>" in svg and ">0%</text>" not in svg and ">100%</text>" in svg


def test_the_dashboard_shows_the_trend(history, supervisor, persona_password):
    client = Client()
    assert client.login(username=supervisor.username, password=persona_password)
    body = client.get("/supervision/?month=2026-10").content.decode()
    assert "近十二个月效能趋势（至2026年10月）" in body
    assert "2025-11" in body and "2026-10" in body
    for label in ("按时办结率（承诺）", "现场办结率", "测评满意率"):
        assert label in body
    assert "<script" not in body.split('id="trend"')[1].split("</details>")[0]  # server-side SVG, no JS
