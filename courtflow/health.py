"""/healthz: database, broker, workers and the last runs of the jobs, for monitoring.

200 when the database answers; the body says what else is wrong (broker unreachable, no worker
answering, a job overdue) with status "degraded", so a monitor can alert on it without the web
being taken out of service. docs/operations.md explains each part.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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


def _jobs() -> dict:
    from alerts.models import Job, JobRun

    out = {}
    for job in Job.values:  # a handful of jobs: one small indexed query each
        run = JobRun.objects.filter(job=job).order_by("-started_at").first()
        if run is not None:
            out[job] = {
                "as_of": run.as_of.isoformat(),
                "outcome": run.outcome,
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            }
    return out


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
    try:
        body["jobs"] = _jobs()
    except Exception as exc:
        body["jobs"] = {"error": exc.__class__.__name__}
    today = timezone.localdate()
    daily = body["jobs"].get("track_daily") if isinstance(body["jobs"], dict) else None
    if not body["broker"]["ok"] or not body["worker"]["ok"]:
        body["status"] = "degraded"
    if daily and daily.get("as_of") and dt.date.fromisoformat(daily["as_of"]) < today - dt.timedelta(days=1):
        body["status"] = "degraded"
    return JsonResponse(body, status=200)
