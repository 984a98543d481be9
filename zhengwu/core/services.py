from __future__ import annotations

import os
import socket
from typing import Any

from django.utils import timezone

from zhengwu.core.models import Heartbeat


def heartbeat_beat(*, name: str, info: dict[str, Any] | None = None, started_at=None) -> Heartbeat:
    """Record that a background process is alive. Not audited: it is liveness, not a business write."""
    now = timezone.now()
    beat, created = Heartbeat.objects.update_or_create(
        name=name,
        defaults={"beat_at": now, "pid": os.getpid(), "host": socket.gethostname()[:100], "info": info or {}},
        create_defaults={"beat_at": now, "started_at": started_at or now, "pid": os.getpid(),
                         "host": socket.gethostname()[:100], "info": info or {}},
    )
    if started_at is not None and not created and beat.started_at != started_at:
        Heartbeat.objects.filter(pk=beat.pk).update(started_at=started_at)
    return beat
