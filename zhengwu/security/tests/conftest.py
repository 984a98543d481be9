# The case fixtures (seeded calendar, a published item) for the backup test, from the cases app.
from zhengwu.cases.tests.conftest import _fresh_cache, clock, item, outbox, work_calendar  # noqa: F401
