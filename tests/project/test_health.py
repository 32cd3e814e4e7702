import datetime as dt

import pytest
from django.utils import timezone

from jobs.models import JobRun
from tests.celery_helpers import celery_worker


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_database_broker_worker_and_jobs(client, settings, tmp_path):
    JobRun.objects.create(
        job="track_daily",
        as_of=timezone.localdate(),
        started_at=timezone.now(),
        finished_at=timezone.now(),
        outcome="success",
    )
    with celery_worker(tmp_path, broker=settings.CELERY_BROKER_URL):
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"ok": True, "vendor": "postgresql"}
    assert body["broker"]["ok"] is True and body["broker"]["transport"] == "redis"
    assert body["worker"]["ok"] is True and body["worker"]["workers"] >= 1
    assert body["jobs"]["track_daily"]["outcome"] == "success"
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_healthz_is_degraded_when_no_worker_answers(client):
    JobRun.objects.create(
        job="track_daily",
        as_of=timezone.localdate(),
        started_at=timezone.now(),
        finished_at=timezone.now(),
        outcome="success",
    )
    body = client.get("/healthz").json()
    assert body["worker"] == {"ok": False, "workers": 0}
    assert body["status"] == "degraded"


@pytest.mark.django_db
def test_healthz_is_degraded_when_daily_tracking_is_late(client):
    long_ago = timezone.localdate() - dt.timedelta(days=3)
    JobRun.objects.create(
        job="track_daily", as_of=long_ago, started_at=timezone.now(), finished_at=timezone.now(), outcome="success"
    )
    assert client.get("/healthz").json()["status"] == "degraded"


@pytest.mark.django_db
def test_healthz_is_degraded_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    body = client.get("/healthz").json()
    assert body["broker"]["ok"] is False and body["status"] == "degraded"
    assert body["worker"] == {"ok": False, "workers": 0}
