"""gunicorn settings for Zhengwu behind nginx (see docs/deploy.md).

Sync workers, one per core: the views are short database round trips, and ASGI measured 5–6×
slower on this workload (DESIGN.md §2).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "sync"
# A slow PDF or Excel export is the longest request; anything beyond this is stuck, not slow.
timeout = 60
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak in a library cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
wsgi_app = "config.wsgi:application"
accesslog = "-"
# Path without the query string and no Referer: query strings may carry personal data (a 身份证 or
# phone number put in a link, a progress query code). %(U)s is the path, %(L)s the request time in seconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(L)s'
errorlog = "-"
loglevel = "warning"
# nginx sets X-Real-IP; only the local proxy is trusted for forwarded headers.
forwarded_allow_ips = "127.0.0.1"
