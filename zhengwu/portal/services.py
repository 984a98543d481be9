"""Writes of the portal itself.

`guide_view_count` is page statistics, like core's heartbeat: it is not audited, because an
audit event per anonymous page view would flood the chain without telling anyone anything.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from zhengwu.catalog.models import ServiceItem
from zhengwu.portal.models import GuideViewDay


def guide_view_count(*, actor, item: ServiceItem) -> None:
    day = timezone.localdate()
    # One UPDATE on its own (autocommit) on every view but the day's first: no BEGIN and COMMIT
    # round trips on the busiest public page.
    if GuideViewDay.objects.filter(item=item, day=day).update(views=F("views") + 1):
        return
    try:
        # Two first views of the day may race; the loser's insert fails and it increments instead.
        with transaction.atomic():
            GuideViewDay.objects.create(item=item, day=day, views=1)
    except IntegrityError:
        GuideViewDay.objects.filter(item=item, day=day).update(views=F("views") + 1)
