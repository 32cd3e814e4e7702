"""The jobs page: who sees it, a manual run now or queued (through the declared job), the broker
away, the date range, the recent runs."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from jobs.models import JobRun

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2025, 6, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def cases(make_case):
    made = [make_case(filed_on=dt.date(2024, 1, 5)), make_case(filed_on=dt.date(2024, 10, 2))]
    made += [make_case(filed_on=dt.date(2025, 5, 1)) for _ in range(3)]
    return made


def test_jobs_page_runs_daily_tracking_for_a_date(client, tracker, clerk, cases):
    client.force_login(clerk)
    assert client.get(reverse("jobs:jobs")).status_code == 403
    client.force_login(tracker)
    assert client.get(reverse("jobs:jobs")).status_code == 200
    response = client.post(reverse("jobs:jobs"), {"job": "track_daily", "as_of": "2025-06-10", "now": "on"})
    assert response.status_code == 302
    assert JobRun.objects.filter(job="track_daily", as_of=dt.date(2025, 6, 10), outcome="success").exists()
    response = client.post(reverse("jobs:jobs"), {"job": "track_daily", "as_of": "2030-01-01", "now": "on"})
    assert response.status_code == 200 and response.context["form"].errors


def test_jobs_page_queues_the_task_on_the_broker(client, tracker, broker_queue, django_capture_on_commit_callbacks):
    import json

    client.force_login(tracker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("jobs:jobs"), {"job": "track_daily", "as_of": "2025-06-10"})
    assert response.status_code == 302
    messages = [json.loads(raw) for raw in broker_queue.lrange("celery", 0, -1)]
    assert [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages] == [
        ("alerts.tasks.track_daily_task", "['2025-06-10']")
    ]
    assert not JobRun.objects.filter(outcome="waiting").exists()


def test_jobs_page_records_the_job_when_the_broker_is_away(
    client, tracker, broker_away, broker_queue, django_capture_on_commit_callbacks
):
    client.force_login(tracker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("jobs:jobs"), {"job": "track_daily", "as_of": "2025-06-10"})
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 200
    waiting = JobRun.objects.get(outcome="waiting")
    assert (waiting.job, waiting.as_of, waiting.counts) == (
        "track_daily",
        dt.date(2025, 6, 10),
        {"task": "alerts.tasks.track_daily_task", "args": ["2025-06-10"]},
    )
    assert waiting.trigger == f"web:{tracker.username}"
    body = response.content.decode()
    assert "queue" in body.lower() or "队列" in body


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_jobs_page_refuses_a_date_outside_the_range_and_starts_nothing(
    client, tracker, cases, broker_queue, django_capture_on_commit_callbacks, day
):
    client.force_login(tracker)
    for job in ("track_daily", "dispatch_weekly", "build_bulletin"):
        for now in ("on", ""):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(reverse("jobs:jobs"), {"job": job, "as_of": day, "now": now})
            assert response.status_code == 200, (job, now, response.status_code)
            assert "as_of" in response.context["form"].errors
            assert "1900-01-01" in response.content.decode()  # the message says the range
    assert not JobRun.objects.exists()
    assert broker_queue.llen("celery") == 0


def test_jobs_page_shows_every_kind_of_counts(client, tracker):
    from django.utils import timezone

    JobRun.objects.create(
        job="dispatch_weekly",
        as_of=dt.date(2025, 6, 9),
        started_at=timezone.now(),
        finished_at=timezone.now(),
        outcome="success",
        counts={"items": 3, "lists": 1, "weeks_built": ["2025-06-09"]},
    )
    client.force_login(tracker)
    body = client.get(reverse("jobs:jobs")).content.decode()
    assert "items=3" in body
