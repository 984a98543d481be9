"""Per-item-type yellow thresholds (黄牌预警阈值) on the case clocks, driven through the sweeper."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from zhengwu.cases import services as case_services
from zhengwu.catalog.codes import ItemType
from zhengwu.catalog.tests.factories import published_item
from zhengwu.core.errors import PermissionDenied, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.org.models import Position
from zhengwu.supervision.models import SupervisionRecord
from zhengwu.supervision.services import warning_threshold_clear, warning_threshold_set
from zhengwu.supervision.tests.conftest import SH, at, full_materials, person
from zhengwu.workcalendar.models import ClockRecalculation
from zhengwu.workcalendar.services import clock_explain
from zhengwu.workcalendar.sweeper import sweep_once


def _yellow(case, kind="case.promised"):
    return SupervisionRecord.objects.filter(case=case, rule_code="W01", evidence__clock_kind=kind)


def _midnight(y, m, d) -> dt.datetime:
    return dt.datetime(y, m, d, 0, 0, tzinfo=SH)


@pytest.fixture
def confirmation_case(holiday_case, dept_market, window_market, applicant, clerk):
    """A 行政确认 case accepted at the same moment as holiday_case (a 行政许可, 10 WD promised)."""
    item = published_item(dept_market, name="户籍信息确认", item_type=ItemType.CONFIRMATION, legal_limit_value=20,
                          promised_limit_value=10, themes=[],
                          steps=[{"order": 1, "name": "审查", "role": Position.REVIEWER, "budget_days": 5}])
    item.windows.add(window_market)
    case = case_services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                     materials=full_materials(item), idempotency_key="confirm-1")
    return case_services.case_accept(actor=clerk, case_no=case.case_no)


def test_an_item_type_with_its_own_threshold_turns_yellow_at_its_moment(holiday_case, holiday_clock, supervisor,
                                                                        dept_market, window_market, applicant,
                                                                        clerk):
    # 行政确认, promised clock: yellow 5 WD before the deadline (the default is 2 WD or 80 %).
    warning_threshold_set(actor=supervisor, item_type=ItemType.CONFIRMATION, clock_kind="case.promised",
                          before_days=5, used_percent=None, note="确认类事项提前预警")
    item = published_item(dept_market, name="户籍信息确认", item_type=ItemType.CONFIRMATION, legal_limit_value=20,
                          promised_limit_value=10, themes=[],
                          steps=[{"order": 1, "name": "审查", "role": Position.REVIEWER, "budget_days": 5}])
    item.windows.add(window_market)
    case = case_services.case_submit(actor=applicant, item_id=item.pk, applicant=person(),
                                     materials=full_materials(item), idempotency_key="confirm-2")
    case = case_services.case_accept(actor=clerk, case_no=case.case_no)
    own = case_services.case_clock(case, case_services.CLOCK_PROMISED)
    default = case_services.case_clock(holiday_case, case_services.CLOCK_PROMISED)
    assert own is not None and default is not None
    # Both due Fri 10-09 (10 WD from Fri 09-18 across 国庆); the 5th working day is Thu 09-24.
    assert str(own.due_date) == str(default.due_date) == "2026-10-09"
    assert own.warn_at == _midnight(2026, 9, 24)
    assert default.warn_at == _midnight(2026, 9, 30)
    assert any("按事项类型“行政确认”的预警阈值 v1" in line for line in clock_explain(own))
    holiday_clock.move_to(at(2026, 9, 23, 23, 0))
    sweep_once()
    assert not _yellow(case).exists()
    holiday_clock.move_to(at(2026, 9, 24, 8, 0))
    sweep_once()
    assert _yellow(case).count() == 1
    assert not _yellow(holiday_case).exists()  # the 行政许可 keeps the default
    # The legal clock of the same item type has no row of its own: default (80 % of 20 WD).
    assert not _yellow(case, "case.legal").exists()
    holiday_clock.move_to(at(2026, 9, 30, 8, 0))
    sweep_once()
    assert _yellow(holiday_case).count() == 1 and _yellow(case).count() == 1


def test_changing_the_table_recomputes_open_clocks(holiday_case, confirmation_case, holiday_clock, supervisor):
    promised = case_services.case_clock(holiday_case, case_services.CLOCK_PROMISED)
    other = case_services.case_clock(confirmation_case, case_services.CLOCK_PROMISED)
    assert promised is not None and other is not None
    assert promised.warn_at == other.warn_at == _midnight(2026, 9, 30)
    # 行政许可 promised: yellow once 30 % is used → floor(3) + 1 = 4th working day, Wed 09-23.
    row, moved = warning_threshold_set(actor=supervisor, item_type=ItemType.LICENSING, clock_kind="case.promised",
                                       before_days=None, used_percent=30)
    assert moved == 1 and row.version == 1
    promised.refresh_from_db()
    other.refresh_from_db()
    assert promised.warn_at == _midnight(2026, 9, 23) and promised.next_event_at == _midnight(2026, 9, 23)
    assert other.warn_at == _midnight(2026, 9, 30)  # another item type is untouched
    recalc = ClockRecalculation.objects.get(clock=promised)
    assert "预警阈值调整" in recalc.reason
    audit = AuditEvent.objects.get(action="supervision.threshold_set")
    assert audit.data["clocks_recomputed"] == 1 and audit.data["after"]["used_percent"] == 30
    holiday_clock.move_to(at(2026, 9, 23, 9, 0))
    sweep_once()
    assert _yellow(holiday_case).count() == 1 and not _yellow(confirmation_case).exists()
    # Back to the default: the clock moves back; the yellow already shown is neither undone nor repeated.
    assert warning_threshold_clear(actor=supervisor, item_type=ItemType.LICENSING, clock_kind="case.promised") == 1
    promised.refresh_from_db()
    assert promised.warn_at == _midnight(2026, 9, 30)
    assert AuditEvent.objects.filter(action="supervision.threshold_clear").count() == 1
    holiday_clock.move_to(at(2026, 9, 30, 9, 0))
    sweep_once()
    assert _yellow(holiday_case).count() == 1


def test_a_second_edit_bumps_the_version_and_the_legal_clock_is_separate(holiday_case, holiday_clock, supervisor):
    warning_threshold_set(actor=supervisor, item_type=ItemType.LICENSING, clock_kind="case.legal",
                          before_days=10, used_percent=None)
    row, _ = warning_threshold_set(actor=supervisor, item_type=ItemType.LICENSING, clock_kind="case.legal",
                                   before_days=8, used_percent=50)
    assert row.version == 2
    legal = case_services.case_clock(holiday_case, case_services.CLOCK_LEGAL)
    promised = case_services.case_clock(holiday_case, case_services.CLOCK_PROMISED)
    assert legal is not None and promised is not None
    # Legal: 20 WD due Thu 10-22; 8 before → 12th WD (Mon 10-12); 50 % → 11th WD, the 调休 Saturday 10-10:
    # the earlier wins.
    assert legal.warn_at == _midnight(2026, 10, 10)
    assert promised.warn_at == _midnight(2026, 9, 30)


@pytest.mark.parametrize(("before", "percent"), [(None, None), (61, None), (None, 0), (None, 101), (True, None)])
def test_bad_thresholds_are_refused(supervisor, before, percent, db):
    with pytest.raises(ValidationFailed):
        warning_threshold_set(actor=supervisor, item_type=ItemType.LICENSING, clock_kind="case.promised",
                              before_days=before, used_percent=percent)


def test_only_supervisors_set_thresholds(leader, supervisor, db):
    with pytest.raises(PermissionDenied):
        warning_threshold_set(actor=leader, item_type=ItemType.LICENSING, clock_kind="case.promised",
                              before_days=3, used_percent=None)
    with pytest.raises(ValidationFailed):
        warning_threshold_set(actor=supervisor, item_type="99", clock_kind="case.promised", before_days=3,
                              used_percent=None)
    with pytest.raises(ValidationFailed):
        warning_threshold_set(actor=supervisor, item_type=ItemType.LICENSING, clock_kind="case.correction",
                              before_days=3, used_percent=None)


def test_the_threshold_page(supervisor, leader, applicant, persona_password, dept_market):
    client = Client()
    assert client.login(username=supervisor.username, password=persona_password)
    page = client.get("/supervision/thresholds/")
    body = page.content.decode()
    assert page.status_code == 200 and "行政许可" in body and "公共服务" in body and "默认" in body
    saved = client.post("/supervision/thresholds/save/", {"item_type": "01", "clock_kind": "case.legal",
                                                          "before_days": "4", "used_percent": "", "note": "试行"})
    assert saved.status_code == 302 and "done" in saved["Location"]
    body = client.get("/supervision/thresholds/").content.decode()
    assert "单独设置 v1" in body and "试行" in body
    bad = client.post("/supervision/thresholds/save/", {"item_type": "01", "clock_kind": "case.legal",
                                                        "before_days": "x"})
    assert "error" in bad["Location"]
    dept_user = Client()
    assert dept_user.login(username=leader.username, password=persona_password)
    read_only = dept_user.get("/supervision/thresholds/")
    assert read_only.status_code == 200 and "恢复默认" not in read_only.content.decode()
    refused = dept_user.post("/supervision/thresholds/save/", {"item_type": "01", "clock_kind": "case.legal",
                                                               "action": "clear"})
    assert "error" in refused["Location"]
    citizen = Client()
    assert citizen.login(username=applicant.username, password=persona_password)
    assert citizen.get("/supervision/thresholds/").status_code == 404


def test_the_rule_wording_follows_thresholds_and_follow_ups(db):
    import importlib

    from django.apps import apps

    from zhengwu.supervision.models import SupervisionRule
    from zhengwu.supervision.services import rule_get

    assert "预警阈值" in rule_get("W01").description and "回访整改晚于期限" in rule_get("A10").description
    # An install that still has the old wording gets the new one as a new version; a reworded rule is kept.
    migration = importlib.import_module("zhengwu.supervision.migrations.0006_rule_wording")
    SupervisionRule.objects.filter(code="W01").update(description=migration.OLD["W01"], version=1)
    SupervisionRule.objects.filter(code="A10").update(description="本中心自定的说明", version=3)
    migration.reword(apps, None)
    w01, a10 = rule_get("W01"), rule_get("A10")
    assert w01.version == 2 and "预警阈值" in w01.description
    assert a10.version == 3 and a10.description == "本中心自定的说明"
