"""/healthz: database, broker, workers and the last runs of the jobs, for monitoring.

200 when the database answers; the body says what else is wrong (broker unreachable, no worker
answering, a job overdue) with status "degraded", so a monitor can alert on it without the web
being taken out of service. docs/operations.md explains each part.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jobs import selectors as job_selectors


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}


def _broker() -> dict:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        return {"ok": True, "transport": "filesystem"}
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return {"ok": True, "transport": "redis"}
    except Exception as exc:
        return {"ok": False, "transport": "redis", "error": exc.__class__.__name__}


# How long /healthz waits for workers to answer a ping through the broker. A worker busy with a
# long task still answers: its main process handles control messages, the pool runs the task.
WORKER_PING_TIMEOUT = 1.0


def _worker(broker_ok: bool) -> dict:
    if not broker_ok:
        return {"ok": False, "workers": 0}
    from courtflow.celery import app

    try:
        replies = app.control.ping(timeout=WORKER_PING_TIMEOUT)
    except Exception as exc:
        return {"ok": False, "workers": 0, "error": exc.__class__.__name__}
    return {"ok": bool(replies), "workers": len(replies)}


@never_cache
@require_GET
def healthz(request):
    database = _database()
    broker = _broker()
    body = {
        "status": "ok",
        "time": timezone.localtime().isoformat(),
        "database": database,
        "broker": broker,
        "worker": _worker(broker["ok"]),
    }
    if not database["ok"]:
        body["status"] = "unavailable"
        return JsonResponse(body, status=503)
    overdue = False
    try:
        # The last run of each declared job, and whether one is overdue (the daily tracking's last
        # run older than yesterday): jobs.selectors.health.
        body["jobs"], overdue = job_selectors.health()
    except Exception as exc:
        body["jobs"] = {"error": exc.__class__.__name__}
    if not body["broker"]["ok"] or not body["worker"]["ok"] or overdue:
        body["status"] = "degraded"
    return JsonResponse(body, status=200)
