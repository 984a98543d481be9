"""Sweeper handlers for the case clocks, registered in zhengwu/workcalendar/handlers.py.

Each runs inside the sweeper's claim transaction and calls a case service; the warning and
overdue events are also written to the audit log for supervision.
"""

from __future__ import annotations

from zhengwu.cases import services
from zhengwu.workcalendar.handlers import audit_only


def _case_id(clock) -> int:
    return int(clock.owner_id)


def on_acceptance_clock(clock, event) -> None:
    # 行政许可法 §32(4): no one-time notice within 5 WD ⇒ accepted from the day of receipt.
    audit_only(clock, event)
    if event.kind == "overdue":
        services.case_deem_accept(case_id=_case_id(clock))


def on_correction_clock(clock, event) -> None:
    audit_only(clock, event)
    if event.kind == "overdue":
        services.case_correction_lapse(case_id=_case_id(clock))


def on_promised_clock(clock, event) -> None:
    # 超时默许: only items whose policy enables it; the service checks and otherwise does nothing.
    audit_only(clock, event)
    if event.kind == "overdue":
        services.case_deem_approve(case_id=_case_id(clock))


def on_certificate_clock(clock, event) -> None:
    # 行政许可法 §44: a deemed approval's certificate that could not be made at once is retried.
    services.case_certificate_retry(case_id=_case_id(clock))
