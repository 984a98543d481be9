"""Per-item-type warning thresholds for the case clocks (黄牌预警阈值).

The work calendar asks `case_warning_rule` (registered in `workcalendar.clocks.WARNING_RULE_PROVIDERS`)
for the rule of a `case.legal` / `case.promised` clock whenever it computes the clock's schedule:
at start, on every suspend / resume / extension / completion, and when a calendar change or a
threshold change recomputes open clocks. One query per computation.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Subquery

from zhengwu.cases.models import Case
from zhengwu.supervision.models import WarningThreshold
from zhengwu.workcalendar.models import Unit

HOUR_UNITS = (Unit.WORKING_HOURS, Unit.HOURS)


def rule_of(row: WarningThreshold, unit: str = Unit.WORKING_DAYS) -> dict[str, Any]:
    """The clock-rule dict of a threshold row (`before` in the clock's unit, `fraction` 0–1)."""
    # A "days before" figure means nothing on an hour clock; there only the percentage applies.
    before = None if unit in HOUR_UNITS else row.before_days
    return {"before": before, "fraction": None if row.used_percent is None else row.used_percent / 100,
            "source": f"按事项类型“{row.get_item_type_display()}”的预警阈值 v{row.version}"}


def case_warning_rule(*, kind: str, unit: str, owner_id: str) -> dict[str, Any] | None:
    """The threshold of the case's 事项类型 for this clock, or None (the per-kind setting applies)."""
    if not owner_id.isdigit():
        return None
    item_type = Case.objects.filter(pk=int(owner_id)).values("item_version__item_type")[:1]
    row = WarningThreshold.objects.filter(clock_kind=kind, item_type=Subquery(item_type)).first()
    return rule_of(row, unit) if row is not None else None


def thresholds_by_key() -> dict[tuple[str, str], WarningThreshold]:
    return {(t.item_type, t.clock_kind): t for t in WarningThreshold.objects.all()}
