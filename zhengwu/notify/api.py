"""In-app notices (站内消息) of the signed-in user at /api/v1/notices."""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router, Schema
from ninja.security import django_auth

from zhengwu.notify.selectors import notice_list_for, notice_unread_count
from zhengwu.notify.services import notice_mark_read

router = Router(tags=["站内消息"], auth=django_auth)


class NoticeOut(Schema):
    id: int
    template: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


class NoticePage(Schema):
    unread: int
    results: list[NoticeOut]


@router.get("", response=NoticePage, summary="我的站内消息")
def notice_list(request, unread_only: bool = False, limit: int = Query(50, ge=1, le=200)):
    notices = list(notice_list_for(user=request.user, unread_only=unread_only)[:limit])
    return {"unread": notice_unread_count(user=request.user), "results": notices}


@router.post("/{notice_id}/read", response=NoticeOut, summary="标记为已读")
def notice_read(request, notice_id: int):
    return notice_mark_read(actor=request.user, notice_id=notice_id)
