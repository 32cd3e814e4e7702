"""A worker SIGKILLed in the middle of daily tracking and of the monthly bulletin: nothing of the
half-done run is kept (one transaction), and the next run completes the work.

To kill the worker at a known point, the test holds a table lock that the job needs part-way
(after it has written other rows in its transaction), waits until the worker's query is
blocked on it, then kills the worker.
"""

import datetime as dt
import os
import signal

import psycopg2

from . import services
from .conftest import local_today, send_task, wait_until


def hold_lock(instance, statement: str):
    conn = psycopg2.connect(host="127.0.0.1", port=services.PG_PORT, user="postgres", dbname=instance.name)
    conn.cursor().execute(statement)  # psycopg2 opened a transaction: the lock is held until rollback
    return conn


def blocked_backend(instance) -> int | None:
    pid = instance.sql(
        f"SELECT pid FROM pg_stat_activity WHERE datname = '{instance.name}' AND wait_event_type = 'Lock' LIMIT 1"
    )
    return int(pid) if pid else None


def kill_while_blocked(instance, worker, lock_statement: str, task: str, **kwargs) -> None:
    conn = hold_lock(instance, lock_statement)
    try:
        send_task(instance, task, **kwargs)
        assert wait_until(lambda: blocked_backend(instance) is not None, timeout=60), worker.output[-3000:]
        backend = blocked_backend(instance)
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait(10)
    finally:
        conn.rollback()
        conn.close()
    # PostgreSQL notices the dead client when it next talks to it, rolls back and frees the job lock.
    assert wait_until(lambda: not instance.sql(f"SELECT 1 FROM pg_stat_activity WHERE pid = {backend}"), 30)


def test_worker_killed_during_daily_tracking(instance, celery_processes):
    today = local_today().isoformat()
    worker = celery_processes("worker", instance.env, "doomed")
    worker.wait_ready()
    kill_while_blocked(
        instance,
        worker,
        "LOCK TABLE alerts_notification IN SHARE MODE",  # step 7: after the alerts are written
        "alerts.tasks.track_daily_task",
        as_of=today,
    )
    assert instance.count("alerts_alert") == 0
    assert instance.count("alerts_notification") == 0
    assert instance.sql("SELECT outcome FROM jobs_jobrun WHERE job = 'track_daily'") == "running"

    rerun = celery_processes("worker", instance.env, "rerun")
    rerun.wait_ready()
    send_task(instance, "alerts.tasks.track_daily_task", as_of=today)
    assert wait_until(
        lambda: instance.count("jobs_jobrun", "job = 'track_daily' AND outcome = 'success'") == 1, timeout=90
    ), rerun.output[-3000:]
    counts = instance.sql(
        "SELECT counts->>'raised', counts->>'notifications' FROM jobs_jobrun "
        "WHERE job = 'track_daily' AND outcome = 'success'"
    ).split("|")
    assert int(counts[0]) > 0 and int(counts[1]) > 0
    assert instance.count("alerts_alert") >= int(counts[0])
    assert instance.count("alerts_notification") >= int(counts[1])
    # The killed run is closed as abandoned, not left "running" forever.
    assert instance.count("jobs_jobrun", "outcome = 'running'") == 0
    assert instance.count("jobs_jobrun", "job = 'track_daily' AND outcome = 'failed'") == 1


def test_worker_killed_during_the_monthly_bulletin(instance, celery_processes):
    today = local_today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    worker = celery_processes("worker", instance.env, "doomed")
    worker.wait_ready()
    kill_while_blocked(
        instance,
        worker,
        "LOCK TABLE reports_bulletinfigure IN SHARE MODE",  # after the bulletin row is written
        "reports.tasks.build_bulletin_task",
        period=last_month,
    )
    assert instance.count("reports_bulletin") == 0
    assert instance.count("reports_bulletinitem") == 0
    assert instance.count("reports_bulletinfigure") == 0

    # Beat's next run (no period given) builds every month missed.
    rerun = celery_processes("worker", instance.env, "rerun")
    rerun.wait_ready()
    send_task(instance, "reports.tasks.build_bulletin_task")
    assert wait_until(
        lambda: instance.count("jobs_jobrun", "job = 'build_bulletin' AND outcome = 'success'") >= 1, timeout=90
    ), rerun.output[-3000:]
    assert instance.count("reports_bulletin", f"period = '{last_month}'") == 1
    bulletin = instance.sql(f"SELECT id FROM reports_bulletin WHERE period = '{last_month}'")
    expected = instance.count("cases_case", f"filed_on < '{today.replace(day=1)}'::date - interval '6 months'")
    assert instance.count("reports_bulletinitem", f"bulletin_id = {bulletin}") > 0
    assert instance.count("reports_bulletinitem", f"bulletin_id = {bulletin}") <= expected
    assert instance.count("reports_bulletinfigure", f"bulletin_id = {bulletin}") > 0
    assert instance.count("jobs_jobrun", "outcome = 'running'") == 0
