"""Per-item-type warning thresholds for the case clocks (黄牌预警阈值).

The work calendar asks `case_warning_rule` (registered in `workcalendar.clocks.WARNING_RULE_PROVIDERS`)
for the rule of a `case.legal` / `case.promised` clock whenever it computes the clock's schedule:
at start, on every suspend / resume / extension / completion, and when a calendar change or a
threshold change recomputes open clocks. One query per case and transaction (~45 µs on SQLite here).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection

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


@cache
def _lookup_sql() -> str:
    from zhengwu.catalog.models import ServiceItemVersion as version

    return (f"SELECT t.clock_kind, t.id, t.item_type, t.before_days, t.used_percent, t.version "
            f"FROM {WarningThreshold._meta.db_table} t "
            f"JOIN {version._meta.db_table} v ON v.item_type = t.item_type "
            f"JOIN {Case._meta.db_table} c ON c.item_version_id = v.id "
            "WHERE c.id = %s")


def _rows_of_case(case_id: int) -> dict[str, tuple]:
    """The thresholds of the case's 事项类型 by clock kind, read once per transaction and case: a
    call that starts the legal and the promised clock asks twice."""
    blocks = connection.atomic_blocks
    memo = getattr(connection, "_zhengwu_thresholds", None)
    if blocks and memo is not None and memo[0] is blocks[0] and memo[1] == case_id:
        return memo[2]
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(), [case_id])
        rows = {row[0]: row for row in cursor.fetchall()}
    connection._zhengwu_thresholds = (blocks[0] if blocks else None, case_id, rows)  # type: ignore[attr-defined]
    return rows


def forget() -> None:
    """Drop the per-transaction memo: a threshold changed in this transaction."""
    connection._zhengwu_thresholds = None  # type: ignore[attr-defined]


def case_warning_rule(*, kind: str, unit: str, owner_id: str) -> dict[str, Any] | None:
    """The threshold of the case's 事项类型 for this clock, or None (the per-kind setting applies)."""
    if not owner_id.isdigit():
        return None
    # Runs on every schedule computation of a case clock (clock_start, suspend, resume, complete …):
    # one indexed join as plain SQL: the same lookup through the ORM measured ~1.8 ms per call here,
    # this ~45 µs (SQLite, 2 cores).
    found = _rows_of_case(int(owner_id)).get(kind)
    if found is None:
        return None
    row = WarningThreshold(id=found[1], item_type=found[2], clock_kind=found[0], before_days=found[3],
                           used_percent=found[4], version=found[5])
    return rule_of(row, unit)


def thresholds_by_key() -> dict[tuple[str, str], WarningThreshold]:
    return {(t.item_type, t.clock_kind): t for t in WarningThreshold.objects.all()}
