"""Sending a job from a page while the broker is away: recorded as waiting, sent once it is back."""

import datetime as dt
import json

import pytest

from jobs.models import JobRun
from jobs.queueing import requeue_waiting, send_job
from jobs.registry import UnknownJob

pytestmark = pytest.mark.django_db


def test_waiting_jobs_are_sent_once_when_the_broker_returns(broker_queue):
    now = dt.datetime(2025, 6, 10, 1, 0, tzinfo=dt.UTC)
    JobRun.objects.create(
        job="track_daily",
        as_of=dt.date(2025, 6, 10),
        started_at=now,
        finished_at=now,
        outcome="waiting",
        counts={"task": "alerts.tasks.track_daily_task", "args": ["2025-06-10"]},
    )
    assert requeue_waiting() == {"sent": 1, "still_waiting": 0}
    assert requeue_waiting() == {"sent": 0, "still_waiting": 0}
    assert JobRun.objects.get().outcome == "resent"
    messages = [json.loads(raw) for raw in broker_queue.lrange("celery", 0, -1)]
    assert [m["headers"]["task"] for m in messages] == ["alerts.tasks.track_daily_task"]


def test_a_job_no_app_declares_is_refused_before_anything_is_sent(broker_queue):
    with pytest.raises(UnknownJob):
        send_job("alerts.tasks.track_daily_task", [], job="track_dialy", as_of=dt.date(2025, 6, 10), trigger="test")
    assert broker_queue.llen("celery") == 0 and not JobRun.objects.exists()
