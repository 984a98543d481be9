"""Cross-app fixtures: the case fixtures of zhengwu/cases/tests re-exported, plus one real object of
every kind a URL can name (a published item, an accepted case, a licence, a supervision order)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date

import pytest

from zhengwu.cases.tests.conftest import (  # noqa: F401  (fixtures re-exported)
    SH,
    _fresh_cache,
    accepted,
    clock,
    full_materials,
    item,
    outbox,
    person,
    submitted,
    work_calendar,
)

MINISTRY_USCC = "11100000000013338W"
PERSON_ID = "11010519491231002X"


@dataclass
class World:
    item: object
    case: object
    certificate: object
    order: object
    record: object
    centre: object
    department: object
    window: object


@pytest.fixture
def world(accepted, item, clerk, supervisor, county_centre, dept_market, window_market):  # noqa: F811
    from zhengwu.licences import services as licence_services
    from zhengwu.supervision import services as supervision_services
    from zhengwu.supervision.services import Hit

    licence_type = licence_services.licence_type_create(actor=clerk, code=MINISTRY_USCC + "009", name="食品经营许可证",
                                                        ministry="国家市场监督管理总局")
    certificate = licence_services.licence_issue(
        actor=clerk, licence_type=licence_type, issuer=dept_market, holder_name="张三丰", holder_id_type="id_card",
        holder_id_number=PERSON_ID, number="JY13301050012345", content={"经营场所": "清溪县解放路 1 号"},
        valid_from=date(2026, 3, 2), valid_until=date(2031, 3, 1), source="清溪2026030001")
    rule = supervision_services._rule("A03")
    (record,) = supervision_services._records_create(actor="test", rule=rule, hits=[Hit(
        subject=f"case:{accepted.case_no}", department_id=dept_market.pk,
        occurred_at=dt.datetime(2026, 3, 2, 9, tzinfo=SH), description="不予许可未说明理由")])
    order = supervision_services.order_issue(actor=supervisor, department=dept_market, record_ids=[record.pk],
                                             content="请说明原因并整改", reply_days=3)
    return World(item=item, case=accepted, certificate=certificate, order=order, record=record, centre=county_centre,
                 department=dept_market, window=window_market)
