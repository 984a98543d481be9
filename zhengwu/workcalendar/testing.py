"""Helpers for any app's tests that need the real work calendar.

    from zhengwu.workcalendar.testing import seed_calendar

    @pytest.fixture
    def work_calendar(db):
        return seed_calendar()
"""

from __future__ import annotations

from collections.abc import Iterable

from zhengwu.workcalendar import workdays
from zhengwu.workcalendar.services import CalendarChange, calendar_seed_from_chinesecalendar


def seed_calendar(years: Iterable[int] | None = None) -> CalendarChange:
    """Load chinesecalendar's years (all by default) into the test database and reset the cache."""
    change = calendar_seed_from_chinesecalendar(actor="test", years=years)
    workdays.invalidate()
    return change
