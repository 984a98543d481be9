from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from zhengwu.core.models import Heartbeat

SWEEPER = "clock_sweeper"


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers and operators: database reachable, sweeper beating."""
    body: dict = {"status": "ok", "time": timezone.now().isoformat()}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        body["database"] = {"status": "ok", "vendor": connection.vendor}
    except Exception as exc:  # any driver error means the database is down for us
        body["database"] = {"status": "error", "error": exc.__class__.__name__}
        body["status"] = "error"
        return JsonResponse(body, status=503)

    beat = Heartbeat.objects.filter(name=SWEEPER).first()
    stale_after = settings.ZHENGWU["SWEEPER_STALE_AFTER_SECONDS"]
    if beat is None:
        body["sweeper"] = {"status": "never_started"}
        body["status"] = "degraded"
    else:
        age = (timezone.now() - beat.beat_at).total_seconds()
        state = "ok" if age <= stale_after else "stale"
        body["sweeper"] = {"status": state, "last_beat": beat.beat_at.isoformat(), "age_seconds": round(age, 1),
                           "pid": beat.pid, "last_tick": beat.info}
        if state != "ok":
            body["status"] = "degraded"
    # SMS and e-mail the clock process has not sent: a stuck gateway or sender shows here.
    from zhengwu.notify.models import Outgoing

    oldest = Outgoing.objects.order_by("id").values_list("created_at", flat=True).first()
    if oldest is None:
        body["notify_outbox"] = {"status": "ok", "oldest_age_seconds": 0}
    else:
        age = (timezone.now() - oldest).total_seconds()
        late = age > stale_after
        body["notify_outbox"] = {"status": "late" if late else "ok", "oldest_age_seconds": round(age, 1)}
        if late:
            body["status"] = "degraded"
    return JsonResponse(body, status=200)
