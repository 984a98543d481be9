from __future__ import annotations

from django import forms

from zhengwu.workcalendar.api import MAX_DAYS


class DeadlineForm(forms.Form):
    """Shape only (400-level): dates and ranges; the calendar rules live in workdays."""

    UNIT_CHOICES = [("working_days", "工作日"), ("calendar_days", "自然日（末日遇休息日顺延）")]

    start = forms.DateField(label="起算日（当日不计入）", widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"required": "请填写起算日", "invalid": "请填写有效日期，如 2025-09-26"})
    n = forms.IntegerField(label="期限天数", min_value=0, max_value=MAX_DAYS,
                           error_messages={"required": "请填写天数", "invalid": "请填写整数",
                                           "min_value": "天数不能为负数",
                                           "max_value": f"天数不能超过 {MAX_DAYS}"})
    unit = forms.ChoiceField(label="单位", choices=UNIT_CHOICES, initial="working_days")
    region = forms.CharField(label="行政区划代码（可选，计入地方假日）", required=False, max_length=12)
