"""黄牌/红牌 revocation, 申诉 and the supervisor's ruling; 问责记录 from the department page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from zhengwu.core.errors import Conflict, NotFound, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.notify.models import Notice
from zhengwu.supervision import services
from zhengwu.supervision.models import AccountabilityRecord, AppealStatus, Card, CardAppeal
from zhengwu.supervision.services import Hit
from zhengwu.supervision.tests.conftest import SH
from zhengwu.workcalendar.models import Clock


@pytest.fixture
def record(dept_market, work_calendar, clock):
    (row,) = services._records_create(actor="test", rule=services.rule_get("A07"), hits=[Hit(
        subject="case:card", department_id=dept_market.pk, occurred_at=dt.datetime(2026, 3, 2, 9, tzinfo=SH),
        description="先办后补：登记晚于决定")])
    return row


@pytest.fixture
def card(record, supervisor, dept_market):
    return services.card_issue(actor=supervisor, colour="yellow", department=dept_market, reason="三月先办后补 1 件",
                               record_ids=[record.pk])


def _client(user, password):
    client = Client()
    assert client.login(username=user.username, password=password)
    return client


def test_a_supervisor_revokes_a_card_once(card, supervisor, leader):
    with pytest.raises(NotFound):
        services.card_revoke(actor=leader, card_id=card.pk, reason="部门自行撤销")
    services.card_revoke(actor=supervisor, card_id=card.pk, reason="系误出具")
    card.refresh_from_db()
    assert card.is_revoked and card.revoked_by_id == supervisor.pk and card.revoke_reason == "系误出具"
    assert AuditEvent.objects.filter(action="supervision.card_revoke", object_id=str(card.pk)).count() == 1
    with pytest.raises(Conflict):
        services.card_revoke(actor=supervisor, card_id=card.pk, reason="再次撤销")
    with pytest.raises(Conflict):
        services.card_appeal_submit(actor=leader, card_id=card.pk, grounds="已撤销仍申诉")


def test_an_upheld_appeal_revokes_the_card_and_stops_the_ruling_clock(card, supervisor, leader, outsider,
                                                                        django_capture_on_commit_callbacks):
    with pytest.raises(NotFound):
        services.card_appeal_submit(actor=outsider, card_id=card.pk, grounds="不相干")
    with django_capture_on_commit_callbacks(execute=True):
        appeal = services.card_appeal_submit(actor=leader, card_id=card.pk, grounds="该件系系统故障补录，非先办后补")
    # 30 days from Mon 03-02 (not counted) end on Wed 04-01, a working day.
    assert appeal.ruling_due_at == dt.datetime(2026, 4, 2, 0, 0, tzinfo=SH)
    assert Notice.objects.filter(template="supervision.card_appealed", recipient=supervisor).exists()
    clock = Clock.objects.get(kind="supervision.card_appeal", owner_id=str(appeal.pk))
    assert clock.status == Clock.Status.RUNNING
    with pytest.raises(Conflict):
        services.card_revoke(actor=supervisor, card_id=card.pk, reason="绕过申诉")
    with pytest.raises(Conflict):
        services.card_appeal_submit(actor=leader, card_id=card.pk, grounds="再申诉一次")
    with pytest.raises(NotFound):
        services.card_appeal_rule(actor=leader, appeal_id=appeal.pk, upheld=True, ruling="自己裁决")
    ruled = services.card_appeal_rule(actor=supervisor, appeal_id=appeal.pk, upheld=True, ruling="经核实系系统故障")
    assert ruled.status == AppealStatus.UPHELD and ruled.ruled_by_id == supervisor.pk
    card.refresh_from_db()
    assert card.is_revoked and card.revoke_reason == "申诉成立：经核实系系统故障"
    clock.refresh_from_db()
    assert clock.status == Clock.Status.COMPLETED
    audit = AuditEvent.objects.get(action="supervision.card_appeal_rule")
    assert audit.data["upheld"] is True and audit.data["on_time"] is True
    with pytest.raises(Conflict):
        services.card_appeal_rule(actor=supervisor, appeal_id=appeal.pk, upheld=False, ruling="改判")


def test_a_rejected_appeal_keeps_the_card_and_the_carded_person_may_appeal(record, supervisor, dept_market, clerk):
    own = services.card_issue(actor=supervisor, colour="red", department=dept_market, user=clerk, reason="先办后补")
    appeal = services.card_appeal_submit(actor=clerk, card_id=own.pk, grounds="当日系统停机，次日补录")
    services.card_appeal_rule(actor=supervisor, appeal_id=appeal.pk, upheld=False, ruling="停机记录不支持该说法")
    own.refresh_from_db()
    assert not own.is_revoked and CardAppeal.objects.get(pk=appeal.pk).status == AppealStatus.REJECTED


def test_the_appeal_period_is_thirty_days(card, leader, clock):
    clock.move_to(dt.datetime(2026, 4, 2, 9, 0, tzinfo=SH))
    with pytest.raises(ValidationFailed) as err:
        services.card_appeal_submit(actor=leader, card_id=card.pk, grounds="逾期申诉")
    assert "2026-04-01" in err.value.message_zh
    with pytest.raises(ValidationFailed):
        services.card_appeal_submit(actor=leader, card_id=card.pk, grounds="  ")


def test_appeal_on_the_last_day_is_accepted(card, leader, clock):
    clock.move_to(dt.datetime(2026, 4, 1, 17, 0, tzinfo=SH))
    assert services.card_appeal_submit(actor=leader, card_id=card.pk, grounds="最后一日申诉").status == "pending"


def test_cards_appeals_and_accountability_through_the_department_page(card, record, supervisor, leader, outsider,
                                                                      persona_password, dept_market):
    page_url = f"/supervision/departments/{dept_market.pk}/"
    boss = _client(supervisor, persona_password)
    body = boss.get(page_url).content.decode()
    assert card.number in body and "作出问责记录" in body and record.number in body
    # Accountability without evidence is refused with the reason on the page.
    refused = boss.post(f"{page_url}accountability/", {"kind": "criticism", "reason": "超期"})
    assert "error" in refused["Location"] and "证据" in boss.get(refused["Location"]).content.decode()
    ok = boss.post(f"{page_url}accountability/", {"kind": "criticism", "reason": "三月先办后补，通报批评",
                                                  "record_ids": [str(record.pk)]})
    assert ok.status_code == 302 and "error" not in ok["Location"]
    row = AccountabilityRecord.objects.get()
    assert row.kind == "criticism" and list(row.records.all()) == [record]
    # The department sees the card and the record, appeals; the supervisor rules; the page shows it all.
    dept = _client(leader, persona_password)
    body = dept.get(page_url).content.decode()
    assert "通报批评" in body and "提出申诉" in body and "作出问责记录" not in body
    dept.post(f"{page_url}cards/{card.pk}/appeal/", {"grounds": "已整改完毕"})
    assert "待裁决" in boss.get(page_url).content.decode()
    boss.post(f"{page_url}cards/{card.pk}/rule/", {"upheld": "0", "ruling": "事实清楚，维持黄牌"})
    body = dept.get(page_url).content.decode()
    assert "申诉不成立（维持）" in body and "事实清楚，维持黄牌" in body and "提出申诉" not in body
    assert not Card.objects.get(pk=card.pk).is_revoked
    # Another card, revoked from the page.
    other = services.card_issue(actor=supervisor, colour="red", department=dept_market, reason="误发")
    boss.post(f"{page_url}cards/{other.pk}/revoke/", {"reason": "对象错误"})
    assert "已撤销" in dept.get(page_url).content.decode()
    # Outsiders: 404 on the page and on every action.
    stranger = _client(outsider, persona_password)
    assert stranger.get(page_url).status_code == 404
    assert stranger.post(f"{page_url}cards/{card.pk}/appeal/", {"grounds": "x"}).status_code == 404
    assert stranger.post(f"{page_url}accountability/", {"kind": "criticism", "reason": "x"}).status_code == 404
