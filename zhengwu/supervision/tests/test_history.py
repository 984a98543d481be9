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
