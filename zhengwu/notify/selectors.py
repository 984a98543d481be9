from __future__ import annotations

from django.db.models import QuerySet

from zhengwu.notify.models import Notice


def notice_list_for(*, user, unread_only: bool = False) -> QuerySet[Notice]:
    qs = Notice.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def notice_unread_count(*, user) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()
