"""Case fixtures on top of the root personas: a seeded calendar, a published item of the market
department, and helpers to drive a case through its life."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader

from zhengwu.cases import services
from zhengwu.cases.models import ApplicantType, IdType
from zhengwu.cases.services import ApplicantInput, MaterialInput
from zhengwu.catalog.codes import CaseKind, SpecialProcedureKind
from zhengwu.catalog.tests.factories import published_item
from zhengwu.notify.backends import LocmemBackend
from zhengwu.org.models import Position
from zhengwu.workcalendar.testing import seed_calendar

SH = ZoneInfo("Asia/Shanghai")
# Monday 2026-03-02 09:00: a working week with no holiday near it.
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ID_PERSON = "11010519491231002X"
USCC_ORG = "91610800064834709T"


@pytest.fixture
def clock(db):
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


@pytest.fixture
def work_calendar(db):
    return seed_calendar([2025, 2026])


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The progress-query throttle counts in the cache; each test starts from zero.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.ZHENGWU_NOTIFY_BACKENDS = {"sms": "zhengwu.notify.backends.LocmemBackend",
                                        "email": "zhengwu.notify.backends.LocmemBackend"}
    LocmemBackend.outbox = []
    return LocmemBackend.outbox


def _spec_steps():
    return [
        {"order": 1, "name": "审查", "role": Position.REVIEWER, "budget_days": 2},
        {"order": 2, "name": "决定", "role": Position.CHIEF_REPRESENTATIVE, "budget_days": 1},
    ]


@pytest.fixture
def item(clock, work_calendar, dept_market, window_market):
    return published_item(dept_market, steps=_spec_steps(), themes=[],
                          fees=[{"order": 1, "name": "工本费", "standard": "10元/证", "basis": "价格主管部门文件",
                                 "amount_kind": "fixed", "amount_min": Decimal("10.00")}],
                          fee_required=True, fee_basis="价格主管部门文件",
                          special_procedures=[{"kind": SpecialProcedureKind.EXPERT_REVIEW, "duration_value": 10}])


@pytest.fixture
def immediate_item(clock, work_calendar, dept_market):
    return published_item(dept_market, name="个体工商户名称登记", case_kind=CaseKind.IMMEDIATE, promised_limit_value=0, themes=[],
                          steps=[{"order": 1, "name": "审核", "role": Position.CLERK, "budget_days": 0}])


def person(**kw) -> ApplicantInput:
    data = {"applicant_type": ApplicantType.PERSON, "name": "张三", "id_type": IdType.ID_CARD,
            "id_number": ID_PERSON, "phone": "13912345678", "address": "清溪县城关镇人民路1号"}
    data.update(kw)
    return ApplicantInput(**data)


def full_materials(item) -> list[MaterialInput]:
    return [MaterialInput(requirement_id=r.pk, content=PDF, filename=f"{r.name}.pdf")
            for r in item.current_version.materials.all()]


@pytest.fixture
def submitted(item, applicant):
    return services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                materials=full_materials(item), idempotency_key="k-1")


@pytest.fixture
def accepted(submitted, clerk):
    return services.case_accept(actor=clerk, case_no=submitted.case_no)


@pytest.fixture
def awaiting_decision(accepted, reviewer, chief_representative):
    services.case_step_pass(actor=reviewer, case_no=accepted.case_no, opinion="材料齐全，符合条件")
    return services.case_step_pass(actor=chief_representative, case_no=accepted.case_no, opinion="拟准予")


def pdf_text(field) -> str:
    field.open("rb")
    try:
        reader = PdfReader(io.BytesIO(field.read()))
    finally:
        field.close()
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "").replace(" ", "")


def clock_of(case, kind: str):
    """The case's latest clock of a kind; a test that expects one fails clearly when it is missing."""
    found = services.case_clock(case, kind)
    assert found is not None, f"no {kind} clock"
    return found


def moment(value: dt.datetime | None) -> dt.datetime:
    assert value is not None
    return value
