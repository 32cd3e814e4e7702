"""One run end to end: beat's message on Redis, a real Celery worker, the test database."""

import datetime as dt

import pytest
from celery import Celery

from alerts.models import Alert, DispatchList, Job
from jobs.models import JobOutcome, JobRun
from tests.celery_helpers import celery_worker, wait_for

BROKER = "redis://127.0.0.1:6379/1"


@pytest.mark.slow
def test_daily_and_weekly_jobs_through_a_real_worker(tx_org, tmp_path):
    for day in (1, 2, 3):
        tx_org.case(dt.date(2026, 3, day))
    # Celery lets the CELERY_BROKER_URL environment variable (set by the test settings) win over a
    # broker given in code, so the connection is named explicitly.
    sender = Celery()
    broker = sender.connection_for_write(BROKER)
    try:
        with celery_worker(tmp_path, broker=BROKER) as worker:
            sender.send_task(
                "alerts.tasks.track_daily_task", kwargs={"as_of": "2026-11-16"}, queue=worker.queue, connection=broker
            )
            sender.send_task(
                "alerts.tasks.dispatch_weekly_task",
                kwargs={"as_of": "2026-11-23"},
                queue=worker.queue,
                connection=broker,
            )
            done = wait_for(
                lambda: JobRun.objects.filter(job=Job.DISPATCH_WEEKLY).exclude(outcome=JobOutcome.RUNNING).exists()
            )
            assert done, worker.output()
        output = worker.output(1_000_000)
    finally:
        broker.release()
        sender.close()
    runs = dict(JobRun.objects.values_list("job", "outcome"))
    expected = {"clock_upkeep": JobOutcome.SUCCESS, Job.TRACK_DAILY: JobOutcome.SUCCESS}  # the upkeep runs first
    assert runs == {**expected, Job.DISPATCH_WEEKLY: JobOutcome.SUCCESS}, output[-3000:]
    assert JobRun.objects.get(job=Job.TRACK_DAILY).trigger.startswith("task:")
    assert Alert.objects.filter(superseded=False, level="over_6m").count() == 3
    assert DispatchList.objects.get().items.count() == 3
    assert "succeeded" in output
