"""The demo history generator: plausible shares, bulk and idempotent."""

from __future__ import annotations

import datetime as dt

from zhengwu.cases.models import Case, Decision, Rating
from zhengwu.supervision.bulletin import Period, bulletin_compute
from zhengwu.supervision.history import history_generate
from zhengwu.workcalendar.models import Clock


def test_twelve_months_with_plausible_shares_and_idempotent(item, immediate_item, clerk, chief_representative,
                                                            section_head, django_assert_max_num_queries):
    item.windows.add(clerk.posts.get().window)
    today = dt.date(2026, 11, 20)
    with django_assert_max_num_queries(400):  # bulk: a few queries per month, not per case
        n = history_generate(per_year=1200, today=today)
    assert n == 1200 == Case.objects.count()
    months = {c.received_at.astimezone().strftime("%Y-%m")  # type: ignore[union-attr]
              for c in Case.objects.only("received_at")}
    assert len(months) == 12 and min(months) == "2025-11" and max(months) == "2026-10"
    decided = Decision.objects.count()
    assert 0.90 * n < decided < n
    assert 0.01 < Decision.objects.filter(outcome="deny").count() / decided < 0.08
    assert 0.3 < Rating.objects.count() / decided < 0.6
    assert Clock.objects.filter(kind="case.legal").count() == Case.objects.exclude(accepted_at=None).count()
    b = bulletin_compute(Period.month(2026, 6), min_sample=0)
    total = b.total.values
    assert 0.8 < total["on_time_promised_rate"] < 0.99  # some late, most on time
    assert total["satisfaction_rate"] > 0.9
    assert history_generate(per_year=1200, today=today) == 0
    assert Case.objects.count() == 1200


def test_the_history_gets_the_records_the_live_system_would_have_made(item, immediate_item, clerk,
                                                                      chief_representative, section_head):
    from django.utils import timezone

    from zhengwu.supervision.history import history_supervision_record
    from zhengwu.supervision.models import Complaint, SupervisionRecord
    from zhengwu.workcalendar.models import ClockEvent

    item.windows.add(clerk.posts.get().window)
    history_generate(per_year=1200, today=dt.date(2026, 11, 20))
    now = timezone.now()
    made = history_supervision_record(now=now)
    clocks = Clock.objects.filter(note="历史办件导入", kind__in=["case.legal", "case.promised"])
    late = [c for c in clocks if c.due_at is not None and c.due_at <= min(c.ended_at or now, now)]
    warned = [c for c in clocks if c.warn_at is not None and c.warn_at <= min(c.ended_at or now, now)]
    assert made["W02"] == len(late) > 0 and made["W01"] == len(warned) > made["W02"]
    red = SupervisionRecord.objects.filter(rule_code="W02")
    assert red.count() == len(late)
    sample = red.order_by("pk").first()
    assert sample is not None and sample.clock_id is not None
    assert sample.occurred_at == Clock.objects.get(pk=sample.clock_id).due_at  # recorded at the due moment
    assert made["complaints"] == Complaint.objects.count() >= 1
    # A second run and a later sweep record nothing again.
    again = history_supervision_record(now=now)
    assert again["W01"] == again["W02"] == 0 and "complaints" not in again
    assert SupervisionRecord.objects.filter(rule_code__in=["W01", "W02"]).count() == len(late) + len(warned)
    from zhengwu.workcalendar.sweeper import sweep_once

    open_passed = [c for c in late + warned if c.ended_at is None]
    assert sweep_once(now=now).errors == 0  # the open clocks' passed moments fire now…
    assert ClockEvent.objects.count() >= len({c.pk for c in open_passed})
    # …and find their records already made (same subject as the sweeper's).
    assert SupervisionRecord.objects.filter(rule_code__in=["W01", "W02"]).count() == len(late) + len(warned)


def test_cases_still_under_review_stand_at_their_first_step(item, immediate_item, clerk, chief_representative,
                                                            section_head):
    item.windows.add(clerk.posts.get().window)
    history_generate(per_year=1200, today=dt.date(2026, 11, 2))  # October's late cases are still open
    in_review = list(Case.objects.filter(status="accepted").select_related("current_step", "item_version"))
    assert in_review
    for case in in_review:
        first = min(case.item_version.steps.all(), key=lambda s: (s.order, s.pk))
        assert case.current_step == first
