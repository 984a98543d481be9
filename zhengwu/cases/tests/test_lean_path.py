"""The statements a case transition issues: the hot path stays lean (bench/bench_cases.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengwu.cases import services

pytestmark = pytest.mark.django_db


def _tables(ctx) -> str:
    return "\n".join(q["sql"] for q in ctx.captured_queries)


def test_a_review_step_reads_the_catalog_from_the_process_cache(accepted, reviewer):
    with CaptureQueriesContext(connection) as ctx:
        services.case_step_pass(actor=reviewer, case_no=accepted.case_no, opinion="符合")
    sql = _tables(ctx)
    # The published version, its steps and the department's posts: no ORM joins of the wide rows.
    assert "catalog_serviceitemversion" not in sql and "catalog_processstep" not in sql
    assert "catalog_serviceitem" not in sql


def test_a_review_step_stays_within_its_statement_budget(accepted, reviewer):
    with CaptureQueriesContext(connection) as ctx:
        services.case_step_pass(actor=reviewer, case_no=accepted.case_no, opinion="符合")
    statements = [q["sql"] for q in ctx.captured_queries
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT"))]
    # Lock the case (with department and applicant), the actor's posts, the last step record, the
    # new step record, the case update, its event, and the audit chain head read, append, update.
    assert len(statements) <= 9, "\n".join(statements)
    assert sum("core_audithead" in s for s in statements) == 2
    if connection.vendor == "postgresql":
        # The lock statement also takes the audit lane's head, so the end of the call is one
        # statement; when the last step ended is read right after it, in its round trip. SQLite
        # reads them when needed.
        assert "FOR UPDATE OF c" in statements[0] and "core_audithead" in statements[0], statements[0]
        assert "SKIP LOCKED" in statements[0]
        assert "cases_casesteprecord" in statements[1] and "case_no" in statements[1], statements[:3]
        assert not any("cases_casesteprecord WHERE case_id = %s" in s for s in statements)


def test_a_transition_commits_once_as_production_runs_it(submitted, clerk, settings,
                                                         django_capture_on_commit_callbacks):
    # Production: PDFs and SMS/e-mail wait in their queues for the clock process, so nothing is
    # written after the commit (a second commit per call, and a message lost in a crash).
    settings.ZHENGWU_DOCUMENTS_DEFERRED = True
    settings.ZHENGWU_NOTIFY_DEFERRED = True
    with django_capture_on_commit_callbacks() as callbacks:
        services.case_accept(actor=clerk, case_no=submitted.case_no)
    assert callbacks == []
    from zhengwu.notify.models import Notice, Outgoing

    assert Notice.objects.filter(template="case.accepted").count() == 1
    assert Outgoing.objects.filter(template="case.accepted", channel="sms").count() == 1


def test_an_acceptance_sees_a_calendar_change_made_by_another_process(submitted, clerk):
    # The calendar revision is read in the lock's round trip, not only when the recheck interval ends.
    import datetime as dt
    import time

    from django.db.models import F

    from zhengwu.cases.tests.conftest import clock_of
    from zhengwu.workcalendar import workdays
    from zhengwu.workcalendar.models import CalendarDay, CalendarRevision

    days = submitted.item_version.legal_limit_value
    before = workdays.add_working_days(dt.date(2026, 3, 2), days)  # the index is warm
    CalendarDay.objects.update_or_create(date=dt.date(2026, 3, 3), defaults={"is_off_day": True, "name": "测试假日"})
    CalendarRevision.objects.filter(pk=1).update(counter=F("counter") + 1, token="other-process")
    workdays._state["next_check"] = time.monotonic() + 3600  # the periodic recheck is far off
    case = services.case_accept(actor=clerk, case_no=submitted.case_no)
    legal = clock_of(case, "case.legal")
    # 2026-03-03 no longer counts: the deadline is one working day later.
    assert legal.budget_value == days and legal.due_date == workdays.next_working_day(before) != before


def test_each_step_record_starts_when_the_one_before_ended(accepted, reviewer, chief_representative, clock):
    # The end of the last step is read with the case lock on PostgreSQL, by itself on SQLite.
    from zhengwu.cases.models import CaseStepRecord

    clock.shift(7200)
    services.case_step_pass(actor=reviewer, case_no=accepted.case_no, opinion="符合")
    clock.shift(10800)
    services.case_step_pass(actor=chief_representative, case_no=accepted.case_no, opinion="同意")
    first, second = CaseStepRecord.objects.filter(case=accepted).order_by("id")
    assert first.started_at == accepted.accepted_at and first.ended_at > first.started_at
    assert second.started_at == first.ended_at and second.ended_at > second.started_at
