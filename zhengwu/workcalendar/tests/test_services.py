import json
from datetime import date, datetime
from pathlib import Path

import holidays
import pytest
from django.utils import timezone

from zhengwu.core.audit import audit_verify
from zhengwu.core.errors import Conflict, NotFound, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.org.models import Region
from zhengwu.workcalendar.models import (
    CalendarDay,
    CalendarRevision,
    CalendarYear,
    Clock,
    ClockRecalculation,
    RegionalDayOff,
    Unit,
)
from zhengwu.workcalendar.services import (
    calendar_day_delete,
    calendar_day_set,
    calendar_import_holiday_cn,
    calendar_seed_from_chinesecalendar,
    calendar_year_set,
    clock_start,
    regional_day_off_add,
    regional_day_off_remove,
)
from zhengwu.workcalendar.workdays import add_working_days, explain_working_days, is_working_day

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
TZ = timezone.get_default_timezone()


def _load(name):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _snapshot():
    rev = CalendarRevision.objects.filter(pk=1).values_list("counter", "token").first()
    return (rev, CalendarDay.objects.count(), list(CalendarYear.objects.values_list("year", "version")),
            AuditEvent.objects.count())


def test_seed_covers_every_chinesecalendar_year_and_is_idempotent(db):
    change = calendar_seed_from_chinesecalendar(actor="test")
    assert change.years_created == list(range(2004, 2027))
    assert CalendarYear.objects.filter(published=True).count() == 23
    assert CalendarDay.objects.get(date=date(2025, 10, 1)).name == "国庆节"
    assert CalendarDay.objects.get(date=date(2025, 9, 28)).is_off_day is False
    before = _snapshot()
    again = calendar_seed_from_chinesecalendar(actor="test")
    assert not again.changed and again.days_created == again.days_updated == again.days_deleted == 0
    assert _snapshot() == before
    assert audit_verify()[1] == []


def test_seed_refuses_years_the_package_does_not_cover(db):
    with pytest.raises(ValidationFailed) as err:
        calendar_seed_from_chinesecalendar(actor="test", years=[2026, 2031])
    assert "2031" in err.value.message_zh
    assert CalendarDay.objects.count() == 0


def test_seed_repairs_a_drifted_day_but_leaves_imported_years_alone(db):
    calendar_import_holiday_cn(actor="test", payload=_load("holiday-cn-2026.json"))
    calendar_seed_from_chinesecalendar(actor="test", years=[2025])
    CalendarDay.objects.filter(date=date(2025, 10, 1)).update(name="改错的名字")
    change = calendar_seed_from_chinesecalendar(actor="test", years=[2025, 2026])
    assert change.days_updated == 1 and change.years_skipped == [2026]
    assert CalendarDay.objects.get(date=date(2025, 10, 1)).name == "国庆节"
    assert CalendarYear.objects.get(year=2026).source == "holiday-cn"


def test_chinesecalendar_agrees_with_the_holidays_package_for_2025_2026(db):
    calendar_seed_from_chinesecalendar(actor="test", years=[2025, 2026])
    ours_off = {d for d in CalendarDay.objects.filter(is_off_day=True, date__year__in=[2025, 2026])
                .values_list("date", flat=True) if d.weekday() < 5}
    theirs = holidays.China(years=[2025, 2026])
    theirs_off = {d for d in theirs if d.weekday() < 5}
    assert ours_off == theirs_off and len(ours_off) == 18 + 19
    ours_makeup = set(CalendarDay.objects.filter(is_off_day=False, date__year__in=[2025, 2026])
                      .values_list("date", flat=True))
    substituted = set()
    for n in theirs.values():
        if "substituted from" in n:
            month, day, year = n.rsplit("from ", 1)[1].rstrip(")").split("/")
            substituted.add(date(int(year), int(month), int(day)))
    assert ours_makeup == substituted and len(ours_makeup) == 11


def test_import_of_the_state_council_files_matches_the_rules(db):
    change = calendar_import_holiday_cn(actor="test", payload=[_load("holiday-cn-2025.json"),
                                                               _load("holiday-cn-2026.json")])
    assert change.years_created == [2025, 2026]
    assert add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 10)
    assert add_working_days(date(2026, 9, 18), 10) == date(2026, 10, 9)
    day = CalendarDay.objects.get(date=date(2026, 2, 14))
    assert day.is_off_day is False and day.source_url.endswith("content_7047091.htm")
    year = CalendarYear.objects.get(year=2026)
    assert year.published and year.papers == ["https://www.gov.cn/zhengce/content/202511/content_7047091.htm"]
    before = _snapshot()
    assert not calendar_import_holiday_cn(actor="test", payload=_load("holiday-cn-2026.json")).changed
    assert _snapshot() == before


def test_import_replaces_a_year_and_bumps_its_version(db):
    calendar_seed_from_chinesecalendar(actor="test", years=[2025])
    v = CalendarYear.objects.get(year=2025).version
    change = calendar_import_holiday_cn(actor="test", payload=_load("holiday-cn-2025.json"))
    # chinesecalendar names 10-06 中秋节 and lists 05-31 as 端午节 too: names differ, dates agree.
    assert change.days_created == 0 and change.days_deleted == 0 and change.days_updated > 0
    assert CalendarYear.objects.get(year=2025).version == v + 1
    assert CalendarYear.objects.get(year=2025).source == "holiday-cn"


def test_a_bad_file_is_refused_whole_with_every_error(db):
    good = _load("holiday-cn-2025.json")
    bad = _load("holiday-cn-2026.json")
    bad["days"][0]["date"] = "2026-02-30"
    bad["days"][1]["isOffDay"] = "yes"
    bad["days"].append({"name": "", "date": "2030-01-01", "isOffDay": True})
    before = _snapshot()
    with pytest.raises(ValidationFailed) as err:
        calendar_import_holiday_cn(actor="test", payload=[good, bad])
    fields = [d["field"] for d in err.value.details]
    assert "文件2.days[1].date" in fields and "文件2.days[2].isOffDay" in fields
    assert any(f.endswith(".name") for f in fields) and len(err.value.details) == 4
    assert "未做任何修改" in err.value.message_zh
    assert _snapshot() == before


@pytest.mark.parametrize("payload", ["not json", "[]", '{"year": "2025", "days": []}', '{"year": 2025}'])
def test_malformed_documents_are_refused(db, payload):
    with pytest.raises(ValidationFailed):
        calendar_import_holiday_cn(actor="test", payload=payload)
    assert CalendarYear.objects.count() == 0


def test_an_empty_file_marks_the_year_unpublished_and_deadlines_warn(db):
    calendar_import_holiday_cn(actor="test", payload=[_load("holiday-cn-2026.json"), _load("holiday-cn-2027.json")])
    assert CalendarYear.objects.get(year=2027).published is False
    assert explain_working_days(date(2026, 12, 20), 20).warnings[0].startswith("2027 年放假安排尚未发布")
    assert explain_working_days(date(2026, 3, 2), 20).warnings == []


def test_an_empty_file_cannot_erase_a_published_year(db):
    calendar_import_holiday_cn(actor="test", payload=_load("holiday-cn-2025.json"))
    with pytest.raises(ValidationFailed):
        calendar_import_holiday_cn(actor="test", payload={"year": 2025, "papers": [], "days": []})
    assert CalendarDay.objects.filter(date__year=2025).count() > 30


def test_day_set_validates_input(work_calendar):
    with pytest.raises(ValidationFailed):
        calendar_day_set(actor="test", day=date(2025, 11, 3), is_off_day=True, name="  ")
    with pytest.raises(ValidationFailed):  # a Monday cannot be a make-up working day
        calendar_day_set(actor="test", day=date(2025, 11, 3), is_off_day=False, name="调休")
    with pytest.raises(NotFound):
        calendar_day_delete(actor="test", day=date(2025, 11, 3))


def _clock(user, start, n=20, region=None):
    return clock_start(actor="test", owner=user, kind="case.legal", budget_value=n, budget_unit=Unit.WORKING_DAYS,
                       started_at=start, region=region)


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(username="owner", password="x-Secret-123")


def test_a_new_day_off_moves_open_clocks_and_records_why(work_calendar, owner, time_machine):
    time_machine.move_to(datetime(2025, 11, 5, 10, 0, tzinfo=TZ))
    inside = _clock(owner, datetime(2025, 11, 3, 9, 0, tzinfo=TZ))
    assert inside.due_date == date(2025, 12, 1)
    finished_before = _clock(owner, datetime(2025, 10, 9, 9, 0, tzinfo=TZ), n=1)
    version = inside.calendar_version
    change = calendar_day_set(actor="test", day=date(2025, 11, 10), is_off_day=True, name="示例停工日",
                              source_url="https://example.gov.cn/notice")
    assert change.clocks_recalculated == 1
    inside.refresh_from_db()
    assert inside.due_date == date(2025, 12, 2) and inside.calendar_version > version
    rec = ClockRecalculation.objects.get(clock=inside)
    assert rec.old_due_at is not None and rec.new_due_at is not None and "示例停工日" in rec.reason
    assert timezone.localtime(rec.old_due_at).date() == date(2025, 12, 2)  # 24:00 of 12-01
    assert timezone.localtime(rec.new_due_at).date() == date(2025, 12, 3)
    assert AuditEvent.objects.filter(action="clock.recalculate", object_id=str(inside.pk)).count() == 1
    finished_before.refresh_from_db()
    assert not ClockRecalculation.objects.filter(clock=finished_before).exists()
    calendar_day_delete(actor="test", day=date(2025, 11, 10))
    inside.refresh_from_db()
    assert inside.due_date == date(2025, 12, 1)
    assert ClockRecalculation.objects.filter(clock=inside).count() == 2


def test_unpublishing_a_year_warns_without_moving_deadlines(work_calendar):
    calendar_year_set(actor="test", year=2026, published=False)
    assert explain_working_days(date(2026, 3, 2), 5).warnings
    assert add_working_days(date(2026, 9, 18), 10) == date(2026, 10, 9)


@pytest.fixture
def regions(db):
    province = Region.objects.create(code="150000", name="内蒙古自治区", level=Region.Level.PROVINCE)
    city = Region.objects.create(code="150100", name="呼和浩特市", level=Region.Level.PREFECTURE, parent=province)
    county = Region.objects.create(code="150121", name="土默特左旗", level=Region.Level.COUNTY, parent=city)
    other = Region.objects.create(code="110000", name="北京市", level=Region.Level.PROVINCE)
    return province, city, county, other


def test_a_regional_day_off_applies_to_the_region_and_below_only(work_calendar, regions, owner, time_machine):
    province, city, county, other = regions
    time_machine.move_to(datetime(2025, 11, 5, 10, 0, tzinfo=TZ))
    local = _clock(owner, datetime(2025, 11, 3, 9, 0, tzinfo=TZ), region=county)
    elsewhere = _clock(owner, datetime(2025, 11, 3, 9, 0, tzinfo=TZ), region=other)
    row = regional_day_off_add(actor="test", region=city, day=date(2025, 11, 4), name="地方纪念日")
    assert not is_working_day(date(2025, 11, 4), county) and not is_working_day(date(2025, 11, 4), city)
    assert is_working_day(date(2025, 11, 4)) and is_working_day(date(2025, 11, 4), province)
    assert is_working_day(date(2025, 11, 4), other)
    exp = explain_working_days(date(2025, 11, 3), 1, county)
    assert exp.due == date(2025, 11, 5)
    assert any("地方假日：地方纪念日" in line for line in exp.lines)
    local.refresh_from_db()
    elsewhere.refresh_from_db()
    assert local.due_date == date(2025, 12, 2) and elsewhere.due_date == date(2025, 12, 1)
    with pytest.raises(Conflict):
        regional_day_off_add(actor="test", region=city, day=date(2025, 11, 4), name="重复")
    regional_day_off_remove(actor="test", day_off=row)
    assert is_working_day(date(2025, 11, 4), county)
    assert not RegionalDayOff.objects.exists()
    local.refresh_from_db()
    assert local.due_date == date(2025, 12, 1)
    assert Clock.objects.count() == 2


def test_finishing_a_running_clock_keeps_the_deadline_a_full_recomputation_gives(work_calendar, owner,
                                                                               time_machine):
    from zhengwu.workcalendar.services import clock_complete, clock_resume, clock_schedule, clock_suspend

    time_machine.move_to(datetime(2025, 11, 5, 10, 0, tzinfo=TZ))
    plain = _clock(owner, datetime(2025, 11, 3, 9, 0, tzinfo=TZ))
    paused = _clock(owner, datetime(2025, 11, 3, 9, 0, tzinfo=TZ))
    clock_suspend(actor="test", clock=paused, reason="correction")
    time_machine.move_to(datetime(2025, 11, 12, 10, 0, tzinfo=TZ))
    clock_resume(actor="test", clock=paused)
    time_machine.move_to(datetime(2025, 11, 20, 10, 0, tzinfo=TZ))
    for clock in (plain, paused):
        clock.refresh_from_db()
        before = (clock.due_at, clock.due_date)
        clock_complete(actor="test", clock=clock)
        clock.refresh_from_db()
        recomputed = clock_schedule(clock)
        assert (clock.due_at, clock.due_date) == before == (recomputed.due_at, recomputed.due_date)
        assert clock.status == Clock.Status.COMPLETED and clock.next_event_at is None
    # Finished while suspended: the deadline is recomputed as if it had resumed at that moment.
    held = _clock(owner, datetime(2025, 11, 20, 9, 0, tzinfo=TZ))
    due = held.due_date
    clock_suspend(actor="test", clock=held, reason="correction")
    time_machine.move_to(datetime(2025, 11, 27, 10, 0, tzinfo=TZ))
    clock_complete(actor="test", clock=held)
    held.refresh_from_db()
    assert held.due_date > due and held.due_date == clock_schedule(held).due_date


def test_an_owners_open_clocks_are_locked_with_their_segments_in_one_statement(work_calendar, owner, time_machine,
                                                                               django_user_model):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from zhengwu.workcalendar.services import clock_complete, clock_suspend, clocks_locked_of

    time_machine.move_to(datetime(2025, 11, 5, 10, 0, tzinfo=TZ))
    running = _clock(owner, datetime(2025, 11, 3, 9, 0, tzinfo=TZ))
    paused = clock_start(actor="test", owner=owner, kind="case.promised", budget_value=5,
                         budget_unit=Unit.WORKING_DAYS, started_at=datetime(2025, 11, 3, 9, 0, tzinfo=TZ))
    clock_suspend(actor="test", clock=paused, reason="correction")
    done = _clock(owner, datetime(2025, 11, 3, 9, 0, tzinfo=TZ))
    clock_complete(actor="test", clock=done)
    _clock(django_user_model.objects.create_user(username="other", password="x-Secret-123"),
           datetime(2025, 11, 3, 9, 0, tzinfo=TZ))
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        found = clocks_locked_of(owner)
        segments = {c.pk: [(s.kind, s.ended_at is None) for s in c.segments.all()] for c in found}
    assert [c.pk for c in found] == [running.pk, paused.pk]  # open ones of this owner, oldest first
    assert segments == {running.pk: [("running", True)], paused.pk: [("running", False), ("suspended", True)]}
    assert len([q for q in ctx.captured_queries if q["sql"].startswith("SELECT")]) == 1
    assert found[1].status == Clock.Status.SUSPENDED and found[0].due_at == running.due_at
    with transaction.atomic():
        assert [c.pk for c in clocks_locked_of(owner, ["case.promised"])] == [paused.pk]
        assert clocks_locked_of(owner, []) == []


def test_finishing_an_owners_clocks_together_matches_finishing_them_one_by_one(work_calendar, owner, time_machine,
                                                                              django_user_model):
    from django.db import transaction

    from zhengwu.workcalendar.services import (
        clock_complete,
        clock_suspend,
        clocks_finish,
        clocks_locked_of,
    )

    other = django_user_model.objects.create_user(username="other", password="x-Secret-123")
    time_machine.move_to(datetime(2025, 11, 5, 10, 0, tzinfo=TZ), tick=False)
    pairs = []
    for who in (owner, other):
        a, b = _clock(who, datetime(2025, 11, 3, 9, 0, tzinfo=TZ)), _clock(who, datetime(2025, 11, 4, 9, 0, tzinfo=TZ))
        clock_suspend(actor="test", clock=b, reason="correction")  # finished while suspended: recomputed
        pairs.append((a, b))
    time_machine.move_to(datetime(2025, 11, 20, 10, 0, tzinfo=TZ), tick=False)
    with transaction.atomic():
        together = clocks_finish(actor="test", clocks=clocks_locked_of(owner), complete=True)
    for clock in pairs[1]:
        clock.refresh_from_db()
        clock_complete(actor="test", clock=clock)
    fields = ("status", "ended_at", "due_at", "due_date", "next_event_at", "next_event_kind")
    for mine, theirs in zip(pairs[0], pairs[1], strict=True):
        mine.refresh_from_db()
        theirs.refresh_from_db()
        assert [getattr(mine, f) for f in fields] == [getattr(theirs, f) for f in fields]
        assert mine.status == Clock.Status.COMPLETED
        assert [(s.kind, s.ended_at) for s in mine.segments.order_by("started_at", "id")] == \
            [(s.kind, s.ended_at) for s in theirs.segments.order_by("started_at", "id")]
    assert {c.pk for c in together} == {c.pk for c in pairs[0]}
    assert audit_verify()[1] == []
    assert AuditEvent.objects.filter(action="clock.complete").count() == 4


def test_clocks_started_together_are_the_clocks_started_one_by_one(work_calendar, owner, time_machine):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhengwu.workcalendar.models import Clock, ClockSegment
    from zhengwu.workcalendar.services import clock_start, clocks_start

    time_machine.move_to(datetime(2025, 11, 5, 10, 0, tzinfo=TZ), tick=False)
    at = datetime(2025, 11, 3, 9, 0, tzinfo=TZ)
    budgets = [("case.legal", 20, Unit.WORKING_DAYS, "法定"), ("case.promised", 5, Unit.WORKING_DAYS, "承诺")]
    with CaptureQueriesContext(connection) as ctx:
        together = clocks_start(actor="test", owner=owner, budgets=budgets, started_at=at)
    inserts = [q["sql"] for q in ctx.captured_queries if "INSERT INTO" in q["sql"] and "workcalendar_clock" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(inserts) == 1, inserts  # both clocks and both segments
    alone = [clock_start(actor="test", owner=owner, kind=kind, budget_value=n, budget_unit=unit, started_at=at,
                         note=note) for kind, n, unit, note in budgets]
    fields = ["kind", "budget_value", "status", "due_at", "due_date", "warn_at", "next_event_at", "note", "started_at"]
    for a, b in zip(together, alone, strict=True):
        stored = Clock.objects.get(pk=a.pk)
        assert [getattr(stored, f) for f in fields] == [getattr(b, f) for f in fields] == [getattr(a, f) for f in fields]
        assert list(ClockSegment.objects.filter(clock=stored).values_list("kind", "started_at", "ended_at")) == \
            [(ClockSegment.Kind.RUNNING, at, None)]
    assert AuditEvent.objects.filter(action="clock.start").count() == 4
    with pytest.raises(ValidationFailed):
        clocks_start(actor="test", owner=owner, budgets=[budgets[0], budgets[0]], started_at=at)
