"""Settings and URLconf for bench/load_test.py only (never used by the product): the project's settings
with the progress-query limits lifted (50 clients share one loopback address), and the project's
URLs plus /bench/bare, a bare JSON endpoint doing one indexed SELECT, the baseline of the run."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_app"
ZHENGWU_PROGRESS_QUERY_RATE = "100000000/s"
# As in production (test mode turns it off): guide pages and the site's centre cached per process.
ZHENGWU_PUBLIC_CACHE_SECONDS = 300
# As in production (test mode writes each at once): guide views counted per process, written every 10 s.
ZHENGWU_GUIDE_VIEW_FLUSH_SECONDS = 10
# As in production (test mode writes them inside the issuing transaction): a notice's PDF is written
# by the clock process, which bench/load_test.py runs beside gunicorn (zhengwu/documents/jobs.py).
ZHENGWU_DOCUMENTS_DEFERRED = True
# As in production: SMS and e-mail wait in the outbox written with the business change and are sent
# by that clock process, not inside the request (zhengwu/notify/services.py).
ZHENGWU_NOTIFY_DEFERRED = True
# The rate-limit middleware stays on, as in production, so its cost is part of the figures; only
# the progress group's limit is lifted.
ZHENGWU_RATE_LIMITS = {
    **ZHENGWU_RATE_LIMITS,  # noqa: F405
    "enabled": True,
    "groups": [{**group, "limit": 10**9} if group["name"] == "progress" else group
               for group in ZHENGWU_RATE_LIMITS["groups"]],  # type: ignore[attr-defined]  # noqa: F405
}


def _bare(request):
    from django.http import JsonResponse

    from zhengwu.cases.models import Case

    row = Case.objects.filter(case_no=request.GET.get("case_no", "")).values("status").first()
    return JsonResponse({"status": row["status"] if row else None})


def __getattr__(name):
    # Built on first use: Django imports settings before the apps are ready; URLs need the apps.
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("bench/bare", _bare), path("", include("config.urls"))]
    raise AttributeError(name)
