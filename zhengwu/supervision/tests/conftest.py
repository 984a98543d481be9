"""Supervision fixtures: the case fixtures of zhengwu/cases/tests plus a case accepted just before
the 2026 National Day holiday, and helpers to write offending records directly (as a legacy import
would), since the case services refuse to create most of them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from zhengwu.cases import services as case_services
from zhengwu.cases.tests.conftest import (  # noqa: F401  (fixtures re-exported)
    SH,
    START,
    accepted,
    awaiting_decision,
    clock,
    full_materials,
    immediate_item,
    item,
    outbox,
    person,
    submitted,
    work_calendar,
)
from zhengwu.catalog.tests.factories import published_item
from zhengwu.org.models import Position

# Friday 2026-09-18: Sun 09-20 is a 调休 working day, 09-25..27 and 10-01..07 are off, Sat 10-10 works.
HOLIDAY_START = dt.datetime(2026, 9, 18, 9, 0, tzinfo=SH)


@pytest.fixture
def holiday_clock(db):
    with time_machine.travel(HOLIDAY_START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def holiday_case(holiday_clock, work_calendar, dept_market, window_market, applicant, clerk,  # noqa: F811
                 leader):
    drug = published_item(dept_market, name="药品零售经营许可", legal_limit_value=20, promised_limit_value=10,
                          themes=[], steps=[{"order": 1, "name": "审查", "role": Position.REVIEWER, "budget_days": 5}])
    drug.windows.add(window_market)
    case = case_services.case_submit(actor=applicant, item_id=drug.pk, applicant=person(),
                                     materials=full_materials(drug), idempotency_key="holiday-1")
    return case_services.case_accept(actor=clerk, case_no=case.case_no)


def at(y, m, d, h=9, mi=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=SH)
