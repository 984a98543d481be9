"""Staff pages: the deadline calculator (期限计算器)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhengwu.core.errors import DomainError
from zhengwu.workcalendar import selectors, workdays
from zhengwu.workcalendar.forms import DeadlineForm
from zhengwu.workcalendar.permissions import can_use_deadline_calculator


@login_required
@require_GET
def deadline(request):
    """GET form → due date + explanation table. Read only, so a bookmarkable GET."""
    if not can_use_deadline_calculator.test(request.user):
        return render(request, "workcalendar/deadline.html", {"forbidden": True}, status=403)
    form = DeadlineForm(request.GET or None)
    result = None
    status = 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            region = selectors.region_by_code(data["region"])
            if data["unit"] == "calendar_days":
                result = workdays.explain_calendar_days(data["start"], data["n"], region)
            else:
                result = workdays.explain_working_days(data["start"], data["n"], region)
        except DomainError as exc:
            form.add_error("region" if exc.field == "region" else None, exc.message_zh)
            status = 422
    elif form.is_bound:
        status = 400
    context = {"form": form, "result": result,
               "due_weekday": workdays.weekday_zh(result.due) if result else ""}
    template = "workcalendar/_deadline_result.html" if request.htmx else "workcalendar/deadline.html"
    return render(request, template, context, status=status)
