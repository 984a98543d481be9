"""督办单 on the shared clock, yellow/red cards and accountability records."""

from __future__ import annotations

import datetime as dt

import pytest

from zhengwu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.supervision import services
from zhengwu.supervision.models import Card, SupervisionRecord
from zhengwu.supervision.services import Hit
from zhengwu.supervision.states import OrderStatus
from zhengwu.supervision.tests.conftest import SH
from zhengwu.workcalendar.sweeper import sweep_once


@pytest.fixture
def record(dept_market, work_calendar, clock):
    rule = services.rule_get("A03")
    (row,) = services._records_create(actor="test", rule=rule, hits=[Hit(
        subject="case:x", department_id=dept_market.pk, occurred_at=dt.datetime(2026, 3, 2, 9, tzinfo=SH),
        description="不予许可未说明理由")])
    return row


def test_order_lifecycle_issue_reply_return_reply_accept(record, supervisor, section_head, leader, dept_market):
    order = services.order_issue(actor=supervisor, department=dept_market, record_ids=[record.pk],
                                 content="请说明不予许可未说明理由的原因并整改", reply_days=3)
    assert order.number.startswith("DB2026") and order.status == OrderStatus.ISSUED
    # 3 WD from Mon 03-02 → Thu 03-05, 24:00.
    assert order.reply_due_at == dt.datetime(2026, 3, 6, 0, 0, tzinfo=SH)
    record.refresh_from_db()
    assert record.status == SupervisionRecord.Status.ORDERED
    services.order_reply(actor=section_head, order_id=order.pk, explanation="经办人疏忽", rectification="已补充理由并培训")
    order = services.order_return(actor=supervisor, order_id=order.pk, note="整改措施不具体")
    assert order.status == OrderStatus.RETURNED
    order = services.order_reply(actor=leader, order_id=order.pk, explanation="经办人疏忽",
                                 rectification="建立不予许可审核清单")
    order = services.order_accept(actor=supervisor, order_id=order.pk, note="同意")
    assert order.status == OrderStatus.ACCEPTED and order.closed_at is not None
    record.refresh_from_db()
    assert record.status == SupervisionRecord.Status.CLOSED
    assert list(order.events.values_list("action", flat=True)) == ["issue", "reply", "return", "reply", "accept"]
    with pytest.raises(Conflict):
        services.order_accept(actor=supervisor, order_id=order.pk)


def test_unanswered_order_warns_and_goes_red(record, supervisor, dept_market, clock):
    order = services.order_issue(actor=supervisor, department=dept_market, record_ids=[record.pk],
                                 content="请说明情况", reply_days=3)
    clock.move_to(dt.datetime(2026, 3, 6, 9, tzinfo=SH))
    sweep_once()
    kinds = set(SupervisionRecord.objects.filter(object_type="supervision.supervisionorder",
                                                 object_id=str(order.pk)).values_list("rule_code", flat=True))
    assert kinds == {"W01", "W02"}


def test_outsiders_cannot_reply_and_clerks_cannot_issue(record, supervisor, outsider, clerk, dept_market):
    with pytest.raises(PermissionDenied):
        services.order_issue(actor=clerk, department=dept_market, record_ids=[record.pk], content="x", reply_days=3)
    order = services.order_issue(actor=supervisor, department=dept_market, record_ids=[record.pk],
                                 content="请说明", reply_days=3)
    with pytest.raises(NotFound):
        services.order_reply(actor=outsider, order_id=order.pk, explanation="x", rectification="y")
    with pytest.raises(NotFound):
        services.order_reply(actor=clerk, order_id=order.pk, explanation="x", rectification="y")


def test_order_needs_records_of_that_department(record, supervisor, dept_land):
    with pytest.raises(ValidationFailed):
        services.order_issue(actor=supervisor, department=dept_land, record_ids=[record.pk], content="x",
                             reply_days=3)
    with pytest.raises(ValidationFailed):
        services.order_issue(actor=supervisor, department=dept_land, record_ids=[], content="x", reply_days=3)


def test_cards_to_department_window_and_staff(record, supervisor, dept_market, window_market, clerk):
    services.card_issue(actor=supervisor, colour="yellow", department=dept_market, reason="月度超期 3 件",
                        record_ids=[record.pk])
    services.card_issue(actor=supervisor, colour="red", department=dept_market, window=window_market,
                        reason="窗口多次违规收费")
    card = services.card_issue(actor=supervisor, colour="red", department=dept_market, user=clerk, reason="先办后补")
    assert card.target == Card.Target.STAFF
    assert sorted(Card.objects.values_list("target", flat=True)) == ["department", "staff", "window"]
    assert AuditEvent.objects.filter(action="supervision.card_issue").count() == 3
    with pytest.raises(ValidationFailed):
        services.card_issue(actor=supervisor, colour="blue", department=dept_market, reason="x")


def test_accountability_needs_evidence(record, supervisor, dept_market, clerk):
    with pytest.raises(ValidationFailed):
        services.accountability_record(actor=supervisor, kind="admonition", department=dept_market, user=clerk,
                                       reason="多次超期")
    row = services.accountability_record(actor=supervisor, kind="admonition", department=dept_market, user=clerk,
                                         reason="多次超期", record_ids=[record.pk])
    assert row.get_kind_display() == "诫勉谈话" and list(row.records.all()) == [record]
