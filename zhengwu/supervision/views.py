"""Supervision pages: parse → one selector or service → render. Login required everywhere; what a
user may not see is a 404 (department users see only their own units)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from zhengwu.core.errors import DomainError, NotFound, ValidationFailed
from zhengwu.supervision import charts, selectors, services
from zhengwu.supervision.bulletin import (
    COLUMNS,
    DEFINITIONS,
    LABELS,
    LEVEL_LABELS,
    ON_SITE_TARGET,
    TREND_KEYS,
    Period,
    fmt,
)
from zhengwu.supervision.models import AccountabilityKind
from zhengwu.supervision.permissions import can_supervise, is_supervisor
from zhengwu.workcalendar.services import STATE_LABELS


def _period(request) -> Period:
    month = request.GET.get("month")
    if month:
        try:
            return Period.parse_month(month)
        except DomainError:
            raise Http404("月份格式应为 YYYY-MM") from None
    today = timezone.localdate()
    last = today.replace(day=1) - dt.timedelta(days=1)
    return Period.month(last.year, last.month)


def _table(rows, keys=COLUMNS):
    return [{"rank": r.rank, "name": r.name, "unit_id": r.unit_id, "small": r.small_sample,
             "cells": [(fmt(k, r.values.get(k)), k == "on_site_rate" and "on_site_rate" in r.flags) for k in keys]}
            for r in rows]


@login_required
def dashboard(request, department_id: int | None = None):
    try:
        data = selectors.dashboard_for(user=request.user, department_id=department_id)
    except NotFound:
        raise Http404 from None
    if not data["departments"]:
        raise Http404
    period = _period(request)
    bulletin = selectors.bulletin_for(user=request.user, period=period)
    dept_rows = bulletin.levels["department"]
    ranking_chart = charts.bar_chart([(r.name, r.values["on_time_promised_rate"]) for r in dept_rows[:15]],
                                     title=f"{period.label} 按时办结率（承诺）")
    trend_chart = charts.line_chart([(f"{m:%m}月", n) for m, n in data["trend"]], title="近十二个月收件量")
    windows = [r for r in bulletin.levels["window"]]
    trend = selectors.trend_for(user=request.user, period=period, department_id=department_id)
    kpi_chart = charts.multi_line_chart(
        [f"{p.month:%y.%m}" for p in trend],
        [(LABELS[k], colour, [p.values[k] for p in trend])
         for k, colour in zip(TREND_KEYS, ("#2e86c1", "#e67e22", "#27ae60"), strict=True)],
        title=f"近十二个月效能趋势（至{period.label}）", target=("现场办结率目标 90%", ON_SITE_TARGET))
    return render(request, "supervision/dashboard.html", {
        "data": data, "period": period, "state_labels": STATE_LABELS,
        "ranking_chart": mark_safe(ranking_chart), "trend_chart": mark_safe(trend_chart),  # our own escaped SVG
        "kpi_chart": mark_safe(kpi_chart),
        "trend_labels": [LABELS[k] for k in TREND_KEYS],
        "trend_rows": [(p.month, [fmt(k, p.values[k]) for k in TREND_KEYS]) for p in trend],
        "dept_table": _table(dept_rows, ["completed", "on_time_promised_rate", "satisfaction_rate", "red",
                                         "anomalies"]),
        "window_table": _table(windows, ["received", "completed", "on_site_rate", "on_time_promised_rate"]),
        "labels": [LABELS[k] for k in ("completed", "on_time_promised_rate", "satisfaction_rate", "red", "anomalies")],
        "window_labels": [LABELS[k] for k in ("received", "completed", "on_site_rate", "on_time_promised_rate")],
        "department_id": department_id,
        "cards": selectors.cards_and_accountability_for(user=request.user, department_id=department_id)
        if department_id else None,
        "can_card": department_id is not None and can_supervise(request.user, data["departments"][0]),
        "accountability_kinds": AccountabilityKind.choices,
        "error": request.GET.get("error", ""),
    })


@login_required
def bulletin_page(request):
    period = _period(request)
    bulletin = selectors.bulletin_for(user=request.user, period=period)
    if not bulletin.levels["department"] and not selectors.supervised_scope(request.user, what="bulletin")[0].exists():
        raise Http404
    levels = [(LEVEL_LABELS[level], _table(rows)) for level, rows in bulletin.levels.items()]
    dept = bulletin.levels["department"]
    svg = [charts.bar_chart([(r.name, r.values["on_time_promised_rate"]) for r in dept], title="按时办结率（承诺）"),
           charts.bar_chart([(r.name, r.values["on_site_rate"]) for r in dept if r.values["on_site_rate"] is not None],
                            title="现场办结率（红线 90%）", target=ON_SITE_TARGET),
           charts.bar_chart([(r.name, r.values["satisfaction_rate"]) for r in dept
                             if r.values["satisfaction_rate"] is not None], title="测评满意率")]
    return render(request, "supervision/bulletin.html", {
        "period": period, "bulletin": bulletin, "levels": levels, "labels": [LABELS[k] for k in COLUMNS],
        "charts": [mark_safe(s) for s in svg],
        "definitions": DEFINITIONS, "total": [(LABELS[k], fmt(k, bulletin.total.values.get(k))) for k in COLUMNS],
        "month": f"{period.start:%Y-%m}"})


@login_required
def bulletin_download(request, fmt_name: str):
    from zhengwu.supervision.exports import bulletin_pdf, bulletin_xlsx

    if fmt_name not in ("xlsx", "pdf"):
        raise Http404
    period = _period(request)
    if not selectors.supervised_scope(request.user, what="bulletin export")[0].exists():
        raise Http404
    bulletin = selectors.bulletin_for(user=request.user, period=period)
    if fmt_name == "xlsx":
        body, ctype = bulletin_xlsx(bulletin), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, ctype = bulletin_pdf(bulletin), "application/pdf"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f"attachment; filename=bulletin-{period.start:%Y-%m}.{fmt_name}"
    return response


@login_required
def screen(request):
    """Hall big screen: the key figures, refreshing itself every minute."""
    data = selectors.dashboard_for(user=request.user)
    if not data["departments"]:
        raise Http404
    return render(request, "supervision/screen.html", {"data": data, "now": timezone.localtime()})


@login_required
def records(request):
    rows = selectors.record_list_visible_to(user=request.user)[:200]
    return render(request, "supervision/records.html", {
        "records": rows, "rules": selectors.rule_list(), "supervisor": is_supervisor(request.user),
        "error": request.GET.get("error", "")})


def _back(name: str, error: str = "", **kwargs):
    from urllib.parse import urlencode

    from django.urls import reverse

    url = reverse(name, kwargs=kwargs)
    return redirect(f"{url}?{urlencode({'error': error})}" if error else url)


@login_required
@require_POST
def order_create(request):
    """Issue a 督办单 about the ticked records (all of one department)."""
    ids = [int(x) for x in request.POST.getlist("record_ids") if x.isdigit()]
    try:
        first = selectors.record_list_visible_to(user=request.user).filter(pk__in=ids).first()
        if first is None:
            raise ValidationFailed("请至少选择一条监察记录", "select at least one record")
        department = selectors.department_get_visible_to(user=request.user, department_id=first.department_id)
        days = request.POST.get("reply_days", "")
        order = services.order_issue(actor=request.user, department=department, record_ids=ids,
                                     content=request.POST.get("content", ""),
                                     reply_days=int(days) if days.isdigit() else 0)
    except DomainError as exc:
        return _back("supervision:records", exc.message_zh)
    return redirect("supervision:order", order_id=order.pk)


@login_required
@require_POST
def rule_toggle(request, code: str):
    try:
        rule = next((r for r in selectors.rule_list() if r.code == code), None)
        if rule is None:
            raise Http404
        services.rule_update(actor=request.user, code=code, enabled=not rule.enabled)
    except DomainError as exc:
        return _back("supervision:records", exc.message_zh)
    return redirect("supervision:records")


@login_required
def orders(request):
    return render(request, "supervision/orders.html", {"orders": selectors.order_list_visible_to(user=request.user)})


@login_required
def order_detail(request, order_id: int):
    try:
        order = selectors.order_get_visible_to(user=request.user, order_id=order_id)
    except NotFound:
        raise Http404 from None
    return render(request, "supervision/order.html", {
        "order": order, "supervisor": can_supervise(request.user, order.department),
        "error": request.GET.get("error", "")})


@login_required
@require_POST
def order_act(request, order_id: int, action: str):
    post = request.POST
    try:
        if action == "reply":
            services.order_reply(actor=request.user, order_id=order_id, explanation=post.get("explanation", ""),
                                 rectification=post.get("rectification", ""))
        elif action == "accept":
            services.order_accept(actor=request.user, order_id=order_id, note=post.get("note", ""))
        elif action == "return":
            services.order_return(actor=request.user, order_id=order_id, note=post.get("note", ""))
        else:
            raise Http404
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        from urllib.parse import urlencode

        return redirect(f"/supervision/orders/{order_id}/?{urlencode({'error': exc.message_zh})}")
    return redirect("supervision:order", order_id=order_id)


@login_required
def window_cases(request, window_id: int):
    try:
        window, rows = selectors.window_cases_for(user=request.user, window_id=window_id)
    except NotFound:
        raise Http404 from None
    return render(request, "supervision/window.html", {"window": window, "rows": rows, "labels": STATE_LABELS})


@login_required
@require_POST
def card_create(request, department_id: int):
    """黄牌 / 红牌 to the department, or to one of its windows or staff (by username)."""
    from django.contrib.auth import get_user_model

    try:
        department = selectors.department_get_visible_to(user=request.user, department_id=department_id)
        window = department.windows.filter(pk=request.POST.get("window_id") or 0).first()
        username = request.POST.get("username", "").strip()
        person = get_user_model().objects.filter(username=username).first() if username else None
        if username and person is None:
            raise ValidationFailed("该人员不存在", "no such person", field="username")
        services.card_issue(actor=request.user, colour=request.POST.get("colour", ""), department=department,
                            reason=request.POST.get("reason", ""), window=window, user=person)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return _back("supervision:department", exc.message_zh, department_id=department_id)
    return redirect("supervision:department", department_id=department_id)


def _int_or_none(value: str, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailed("请填写整数", f"{field} must be an integer", field=field)
    return int(value)


@login_required
def thresholds(request):
    """预警阈值: every 事项类型 × 法定/承诺 clock; supervisors set or clear a row."""
    try:
        rows = selectors.threshold_table_for(user=request.user)
    except NotFound:
        raise Http404 from None
    return render(request, "supervision/thresholds.html", {
        "rows": rows, "supervisor": is_supervisor(request.user), "error": request.GET.get("error", ""),
        "done": request.GET.get("done", "")})


@login_required
@require_POST
def threshold_save(request):
    from urllib.parse import urlencode

    from django.urls import reverse

    post = request.POST
    try:
        if post.get("action") == "clear":
            moved = services.warning_threshold_clear(actor=request.user, item_type=post.get("item_type", ""),
                                                     clock_kind=post.get("clock_kind", ""))
        else:
            _, moved = services.warning_threshold_set(
                actor=request.user, item_type=post.get("item_type", ""), clock_kind=post.get("clock_kind", ""),
                before_days=_int_or_none(post.get("before_days", ""), "before_days"),
                used_percent=_int_or_none(post.get("used_percent", ""), "used_percent"), note=post.get("note", ""))
    except NotFound as exc:
        return _back("supervision:thresholds", exc.message_zh)
    except DomainError as exc:
        return _back("supervision:thresholds", exc.message_zh)
    done = f"已保存，重新计算在办时钟 {moved} 个"
    return redirect(f"{reverse('supervision:thresholds')}?{urlencode({'done': done})}")


@login_required
def ratings(request):
    """差评回访整改: the dissatisfied ratings of the user's departments and their follow-up state."""
    if not selectors.supervised_scope(request.user, what="bad ratings page")[0].exists():
        raise Http404
    return render(request, "supervision/ratings.html", {"rows": selectors.bad_rating_list_visible_to(user=request.user)})


@login_required
def rating_follow_up(request, rating_id: int):
    from zhengwu.supervision.models import ContactMethod
    from zhengwu.supervision.permissions import can_follow_up

    try:
        row = selectors.bad_rating_get_visible_to(user=request.user, rating_id=rating_id)
    except NotFound:
        raise Http404 from None
    error = ""
    if request.method == "POST":
        try:
            services.rating_follow_up_record(
                actor=request.user, rating_id=rating_id, contact_method=request.POST.get("contact_method", ""),
                explanation=request.POST.get("explanation", ""), rectification=request.POST.get("rectification", ""))
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            error = exc.message_zh
        else:
            return redirect("supervision:rating", rating_id=rating_id)
    return render(request, "supervision/rating.html", {
        "row": row, "methods": ContactMethod.choices, "error": error, "post": request.POST,
        "can_record": can_follow_up(request.user, row["case"].department)}, status=422 if error else 200)


def _ids(values) -> list[int]:
    return [int(x) for x in values if x.isdigit()]


@login_required
@require_POST
def accountability_create(request, department_id: int):
    """问责记录 from the department page, citing ticked 监察记录 and / or 督办单 as evidence."""
    from django.contrib.auth import get_user_model

    post = request.POST
    try:
        department = selectors.department_get_visible_to(user=request.user, department_id=department_id)
        username = post.get("username", "").strip()
        person = get_user_model().objects.filter(username=username).first() if username else None
        if username and person is None:
            raise ValidationFailed("该人员不存在", "no such person", field="username")
        services.accountability_record(actor=request.user, kind=post.get("kind", ""), department=department,
                                       reason=post.get("reason", ""), user=person,
                                       record_ids=_ids(post.getlist("record_ids")),
                                       order_ids=_ids(post.getlist("order_ids")))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return _back("supervision:department", exc.message_zh, department_id=department_id)
    return redirect("supervision:department", department_id=department_id)


@login_required
@require_POST
def card_act(request, department_id: int, card_id: int, action: str):
    """撤销 a card (supervisor), 申诉 against it (the department or the carded person), or rule on the appeal."""
    from zhengwu.supervision.models import CardAppeal

    post = request.POST
    try:
        selectors.department_get_visible_to(user=request.user, department_id=department_id)
        if action == "revoke":
            services.card_revoke(actor=request.user, card_id=card_id, reason=post.get("reason", ""))
        elif action == "appeal":
            services.card_appeal_submit(actor=request.user, card_id=card_id, grounds=post.get("grounds", ""))
        elif action == "rule":
            appeal = CardAppeal.objects.filter(card_id=card_id, card__department_id=department_id).first()
            if appeal is None:
                raise NotFound("申诉不存在", "no such appeal")
            services.card_appeal_rule(actor=request.user, appeal_id=appeal.pk, upheld=post.get("upheld") == "1",
                                      ruling=post.get("ruling", ""))
        else:
            raise Http404
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return _back("supervision:department", exc.message_zh, department_id=department_id)
    return redirect("supervision:department", department_id=department_id)
