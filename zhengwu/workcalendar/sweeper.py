"""The clock sweeper (DESIGN.md §3): one durable loop, safe to run as several processes."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from zhengwu.core.services import heartbeat_beat
from zhengwu.workcalendar.models import Clock
from zhengwu.workcalendar.services import clock_fire_due_events

log = logging.getLogger(__name__)
HEARTBEAT_NAME = "clock_sweeper"
BATCH = 500


@dataclass
class TickResult:
    candidates: int = 0
    claimed: int = 0
    lost: int = 0
    fired: int = 0
    errors: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def as_info(self) -> dict:
        return {"candidates": self.candidates, "claimed": self.claimed, "lost": self.lost, "fired": self.fired,
                "errors": self.errors, "by_kind": self.by_kind, "pid": os.getpid()}


def sweep_once(*, now: datetime | None = None, batch: int = BATCH, stop: threading.Event | None = None) -> TickResult:
    """One tick: fire every event due by `now`, found through the index on next_event_at."""
    now = now or timezone.now()
    result = TickResult()
    while True:
        due = list(Clock.objects.filter(next_event_at__lte=now).order_by("next_event_at", "pk")
                   .values_list("pk", "next_event_at")[:batch])
        result.candidates += len(due)
        progressed = False
        for pk, at in due:
            if at is None:
                continue
            try:
                events = clock_fire_due_events(clock_id=pk, claimed_at=at, now=now)
            except Exception:
                # One failing handler must not stop the other clocks; the claim rolled back, so
                # the clock is retried at the next tick.
                log.exception("clock %s: handler failed", pk)
                result.errors += 1
                continue
            progressed = True
            if events is None:
                result.lost += 1  # another sweeper process claimed it first
                continue
            result.claimed += 1
            for event in events:
                result.fired += 1
                result.by_kind[event.kind] = result.by_kind.get(event.kind, 0) + 1
        if len(due) < batch or not progressed or (stop is not None and stop.is_set()):
            return result


def _render_documents(stop: threading.Event) -> int:
    from zhengwu.documents.jobs import documents_render_pending

    written = 0
    while not stop.is_set():
        done = documents_render_pending(limit=50)
        written += done
        if done < 50:
            return written
    return written


def _send_notices() -> int:
    from zhengwu.notify.services import notify_outgoing_send

    try:
        return notify_outgoing_send()
    except Exception:  # a broken gateway configuration must not stop the clocks
        log.exception("sending waiting notices failed")
        return 0


def _wait_sending(stop: threading.Event, interval: float) -> bool:
    """Wait until the next tick, sending waiting SMS and e-mails every few seconds meanwhile (the
    outbox of zhengwu.notify); True when asked to stop."""
    poll = max(0.2, float(getattr(settings, "ZHENGWU_NOTIFY_POLL_SECONDS", 2.0)))
    deadline = time.monotonic() + interval
    while True:
        _send_notices()
        left = deadline - time.monotonic()
        if left <= 0:
            return stop.is_set()
        if stop.wait(min(poll, left)):
            return True


def run_forever(*, interval: float | None = None, once: bool = False, stdout=None) -> int:
    """Tick every `interval` seconds until SIGTERM / SIGINT; the current tick always finishes."""
    interval = float(interval or settings.ZHENGWU["SWEEPER_INTERVAL_SECONDS"])
    stop = threading.Event()
    started = timezone.now()
    ticks = 0

    def _stop(signum, frame):
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            if not connection.in_atomic_block:
                # Drop a connection the database closed while we slept (restart, idle timeout).
                close_old_connections()
            begun = time.monotonic()
            result = sweep_once(stop=stop)
            ticks += 1
            # The same process writes the PDFs of 文书 issued since the last tick (zhengwu.documents.jobs).
            documents = _render_documents(stop)
            info = {**result.as_info(), "documents": documents,
                    "tick_ms": round((time.monotonic() - begun) * 1000, 1), "ticks": ticks}
            heartbeat_beat(name=HEARTBEAT_NAME, info=info, started_at=started)
            if stdout is not None and (result.fired or result.errors or once):
                stdout.write(f"时钟清扫：候选 {result.candidates}，认领 {result.claimed}，被其他进程认领 {result.lost}，"
                             f"触发 {result.fired}，错误 {result.errors}")
                stdout.flush()
            if once or _wait_sending(stop, interval):
                return ticks
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
