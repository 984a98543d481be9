"""Writes of the portal itself.

`guide_view_count` is page statistics, like core's heartbeat: it is not audited, because an
audit event per anonymous page view would flood the chain without telling anyone anything.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter
from datetime import date
from typing import cast

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Field
from django.utils import timezone

from zhengwu.catalog.models import ServiceItem
from zhengwu.portal.models import GuideViewDay

logger = logging.getLogger(__name__)

# Views counted in this process and not yet written, per (item id, day). Written together, in one
# statement, once settings.ZHENGWU_GUIDE_VIEW_FLUSH_SECONDS have passed since the last write (10 by
# default; 0 = every view at once, as in test mode) and when the process exits: an UPDATE per view
# was a third of a cached guide page's CPU time in issue 5's load test. A worker killed outright
# loses at most those seconds of its counts, which only rank 热门事项 on the home page.
_pending: Counter[tuple[int, date]] = Counter()
_pending_lock = threading.Lock()
_last_flush = time.monotonic()


def _flush_seconds() -> float:
    return float(getattr(settings, "ZHENGWU_GUIDE_VIEW_FLUSH_SECONDS", 0 if settings.ZHENGWU_ENV == "test" else 10))


def guide_view_count(*, actor, item: ServiceItem) -> None:
    key = (item.pk, timezone.localdate())
    if _flush_seconds() <= 0:
        _write({key: 1})
        return
    with _pending_lock:
        _pending[key] += 1
    if time.monotonic() - _last_flush >= _flush_seconds():
        guide_view_flush()


def guide_view_flush() -> None:
    """Write the views counted in this process so far."""
    global _last_flush
    with _pending_lock:
        counts = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    if counts:
        _write(counts)


_ROWS_PER_STATEMENT = 300  # 900 parameters: within every SQLite build's limit


def _write(counts: dict[tuple[int, date], int]) -> None:
    rows = sorted(counts.items())
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        _upsert(rows[start:start + _ROWS_PER_STATEMENT])


def _upsert(rows: list[tuple[tuple[int, date], int]]) -> None:
    # One upsert for the whole batch (PostgreSQL and SQLite ≥ 3.24 share the syntax): concurrent
    # first views of a day meet in the unique constraint, not in a lost row.
    meta = GuideViewDay._meta
    table = connection.ops.quote_name(meta.db_table)
    item, day, views = (connection.ops.quote_name(cast(Field, meta.get_field(name)).column)
                        for name in ("item", "day", "views"))
    sql = (f"INSERT INTO {table} ({item}, {day}, {views}) VALUES {', '.join(['(%s, %s, %s)'] * len(rows))} "
           f"ON CONFLICT ({item}, {day}) DO UPDATE SET {views} = {table}.{views} + EXCLUDED.{views}")
    params = [value for (item_id, on), n in rows for value in (item_id, connection.ops.adapt_datefield_value(on), n)]
    if connection.in_atomic_block:
        # Inside a caller's transaction (tests): a failure there is the caller's to see.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    try:
        # On its own the statement commits by itself: no BEGIN and COMMIT round trips.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        # An item deleted since its view was counted: statistics are not worth failing a page for.
        logger.warning("guide view counts not written (%d items, %d views): %s", len(rows),
                       sum(n for _key, n in rows), exc)


@atexit.register
def _flush_at_exit() -> None:
    try:
        guide_view_flush()
    except Exception:  # the process is going away: the log is all there is to tell
        logger.warning("guide view counts lost at exit", exc_info=True)
