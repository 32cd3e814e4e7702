"""One run end to end: beat's message on Redis, a real Celery worker, the test database."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection

from alerts.models import Alert, DispatchList, Job, JobOutcome, JobRun

ROOT = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/1"


def wait_for(predicate, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.mark.slow
def test_daily_and_weekly_jobs_through_a_real_worker(tx_org, tmp_path):
    for day in (1, 2, 3):
        tx_org.case(dt.date(2026, 3, day))
    queue = f"alerts-e2e-{uuid.uuid4().hex[:8]}"  # our own queue: other suites share the server
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "courtflow.test_settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "CELERY_BROKER_URL": BROKER,
    }
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "courtflow", "worker", "--pool", "solo", "-Q", queue, "-l", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    # Celery lets the CELERY_BROKER_URL environment variable (set by the test settings) win over a
    # broker given in code, so the connection is named explicitly.
    sender = Celery()
    broker = sender.connection_for_write(BROKER)
    try:
        # On Redis a message sent before the worker has bound its queue would be dropped.
        assert wait_for(lambda: "ready." in log.read_text(), 60), log.read_text()[-3000:]
        sender.send_task(
            "alerts.tasks.track_daily_task", kwargs={"as_of": "2026-11-16"}, queue=queue, connection=broker
        )
        sender.send_task(
            "alerts.tasks.dispatch_weekly_task", kwargs={"as_of": "2026-11-23"}, queue=queue, connection=broker
        )
        done = wait_for(
            lambda: JobRun.objects.filter(job=Job.DISPATCH_WEEKLY).exclude(outcome=JobOutcome.RUNNING).exists()
        )
        assert done, log.read_text()[-4000:]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        broker.release()
        sender.close()
        client = redis.Redis.from_url(BROKER)
        for key in client.scan_iter(f"*{queue}*"):  # our queue and its bindings
            client.delete(key)
    output = log.read_text()
    runs = dict(JobRun.objects.values_list("job", "outcome"))
    assert runs == {Job.TRACK_DAILY: JobOutcome.SUCCESS, Job.DISPATCH_WEEKLY: JobOutcome.SUCCESS}, output[-3000:]
    assert JobRun.objects.get(job=Job.TRACK_DAILY).trigger.startswith("task:")
    assert Alert.objects.filter(superseded=False, level="over_6m").count() == 3
    assert DispatchList.objects.get().items.count() == 3
    assert "succeeded" in output
