"""Sweeper handlers of the supervision app, registered in zhengwu/workcalendar/handlers.py.

Each runs inside the sweeper's claim transaction; the ClockEvent unique constraint makes each
warning fire once, and `services.record_clock_event` records it (W01 / W02) and notifies.
"""

from __future__ import annotations

from zhengwu.supervision import services
from zhengwu.workcalendar.handlers import audit_only


def on_case_clock(clock, event) -> None:
    """case.legal / case.certificate: record the yellow or red warning."""
    audit_only(clock, event)
    services.record_clock_event(clock=clock, event=event)


def on_case_certificate_clock(clock, event) -> None:
    """case.certificate: the cases app retries a deferred certificate first, then the record."""
    from zhengwu.cases.clock_handlers import on_certificate_clock

    on_certificate_clock(clock, event)
    on_case_clock(clock, event)


def on_case_promised_clock(clock, event) -> None:
    """case.promised: the cases app's own handler (超时默许) first, then the supervision record."""
    from zhengwu.cases.clock_handlers import on_promised_clock

    on_promised_clock(clock, event)
    services.record_clock_event(clock=clock, event=event)


def on_order_clock(clock, event) -> None:
    """督办单 reply period: warn the department, go red when unanswered."""
    audit_only(clock, event)
    services.record_clock_event(clock=clock, event=event)
