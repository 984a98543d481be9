import pytest

from zhengwu.workcalendar import workdays
from zhengwu.workcalendar.testing import seed_calendar


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    # Each test's database starts empty: never reuse an index built from another test's data.
    workdays.invalidate()
    yield
    workdays.invalidate()


@pytest.fixture
def work_calendar(db):
    return seed_calendar()
