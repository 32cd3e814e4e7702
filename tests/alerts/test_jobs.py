"""Running alerts' jobs: failures roll back and are reported, concurrent runs add nothing twice,
the 10:00 check and the commands. The machinery itself (lock, schedules, registry) is tests/jobs."""

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from alerts.jobs import check_daily_run, run_dispatch_weekly, run_track_daily
from alerts.models import (
    Alert,
    DispatchItem,
    DispatchList,
    Notification,
    NotificationKind,
    UrgingNotice,
)
from alerts.tracking import track_daily
from cases.ageing import level_on
from cases.models import Case
from jobs.models import JobOutcome, JobRun
from tests.alerts.conftest import at, track

D = dt.date
ROOT = Path(__file__).resolve().parents[2]


def failing_trigger(table, condition="true", action="RAISE EXCEPTION 'refused by test trigger'"):
    """A real database failure in the middle of a job: a trigger refusing some inserts."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger AS $$
            BEGIN IF {condition} THEN {action}; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS test_refuse ON {table};
            CREATE TRIGGER test_refuse BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION test_refuse();
            """
        )


def drop_trigger(table):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS test_refuse ON {table}")


def test_a_failing_daily_run_leaves_nothing_and_tells_the_officer(org):
    org.case(D(2024, 3, 15))
    # Alerts are written (step 5) before the notifications (step 7) fail.
    failing_trigger("alerts_notification", "NEW.kind = 'alert_raised'")
    with at(D(2024, 9, 16)), pytest.raises(Exception, match="refused by test trigger"):
        run_track_daily(D(2024, 9, 16))
    assert not Alert.objects.exists()
    run = JobRun.objects.get()
    assert run.outcome == JobOutcome.FAILED and "refused by test trigger" in run.error
    failed = Notification.objects.get(kind=NotificationKind.JOB_FAILED)
    assert failed.recipient == org.officer

    drop_trigger("alerts_notification")
    with at(D(2024, 9, 16)):
        assert run_track_daily(D(2024, 9, 16)).outcome == JobOutcome.SUCCESS
    assert Alert.objects.filter(superseded=False).count() == 1


def test_a_failing_weekly_run_leaves_no_half_built_list(org):
    org.case(D(2024, 3, 15))
    track(D(2024, 9, 16))
    failing_trigger("alerts_urgingnotice")  # lists and items are written before the notices
    with at(D(2024, 9, 23), 8), pytest.raises(Exception, match="refused"):
        run_dispatch_weekly(D(2024, 9, 23))
    assert not DispatchList.objects.exists() and not DispatchItem.objects.exists()
    drop_trigger("alerts_urgingnotice")
    with at(D(2024, 9, 23), 8):
        assert run_dispatch_weekly(D(2024, 9, 23)).counts["weeks_built"] == ["2024-09-23"]
    assert UrgingNotice.objects.count() == 1


@pytest.mark.slow
def test_a_killed_weekly_run_leaves_nothing_and_the_rerun_completes(tx_org):
    """SIGKILL the command while it is inside its transaction (held there by a slow trigger)."""
    monday = D(2026, 11, 23)
    for day in (1, 2, 3):
        tx_org.case(D(2026, 3, day))
    track(D(2026, 11, 16))
    failing_trigger("alerts_urgingnotice", action="PERFORM pg_sleep(60)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "courtflow.test_settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        # Let the server notice the dead client during pg_sleep and roll back at once.
        "PGOPTIONS": "-c client_connection_check_interval=100",
    }
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "dispatch_weekly", "--as-of", monday.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until it sleeps inside the notices' INSERT
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("the command never reached the urging notices")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    drop_trigger("alerts_urgingnotice")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the server rolls the dead session back
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")
            if not cursor.fetchone()[0]:
                break
        time.sleep(0.2)
    assert not DispatchList.objects.exists() and not DispatchItem.objects.exists()
    assert JobRun.objects.get().outcome == JobOutcome.RUNNING  # its record could not be closed

    run = run_dispatch_weekly(monday)
    assert run.outcome == JobOutcome.SUCCESS and run.counts["items"] == 3
    abandoned = JobRun.objects.exclude(pk=run.pk).get()
    assert abandoned.outcome == JobOutcome.FAILED and abandoned.finished_at is not None


def _together(n, target):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def body():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def _crowd(org, n=60):
    for i in range(n):
        org.case(D(2023, 1, 1) + dt.timedelta(days=10 * i))  # every level, and normal ones


def test_two_concurrent_daily_runs_add_nothing_twice(tx_org):
    _crowd(tx_org)
    with at(D(2024, 9, 16)):
        runs, errors = _together(2, lambda: run_track_daily(D(2024, 9, 16)))
    assert errors == []
    assert sorted(r.outcome for r in runs) in (["skipped", "success"], ["success", "success"])
    alerts = Alert.objects.count()
    notes = Notification.objects.count()
    with at(D(2024, 9, 16)):
        assert run_track_daily(D(2024, 9, 16)).counts["raised"] == 0
    assert (Alert.objects.count(), Notification.objects.count()) == (alerts, notes)
    alerting = [c for c in Case.objects.all() if level_on(c.filed_on, None, D(2024, 9, 16)) != "normal"]
    assert 0 < len(alerting) < 60
    assert Alert.objects.filter(superseded=False).count() == len(alerting)


def test_concurrent_runs_past_the_lock_are_kept_apart_by_the_constraints(tx_org):
    """Even without the lock (two processes on a broken setup), the unique constraints hold."""
    _crowd(tx_org)

    def unlocked():
        with transaction.atomic():
            return track_daily(D(2024, 9, 16))

    with at(D(2024, 9, 16)):
        results, errors = _together(2, unlocked)
    assert errors == []
    assert sum(r["raised"] for r in results) == Alert.objects.filter(superseded=False).count()
    keys = list(Notification.objects.values_list("recipient_id", "key"))
    assert len(keys) == len(set(keys))


def test_two_concurrent_weekly_runs_build_one_list(tx_org):
    _crowd(tx_org)
    track(D(2024, 9, 16))
    with at(D(2024, 9, 23), 8):
        runs, errors = _together(2, lambda: run_dispatch_weekly(D(2024, 9, 23)))
    assert errors == []
    assert DispatchList.objects.count() == 1
    items = list(DispatchItem.objects.values_list("case_id", flat=True))
    assert len(items) == len(set(items)) > 0


def test_no_daily_run_by_ten_tells_the_officer_once(org):
    with at(D(2024, 9, 16), 10):
        assert check_daily_run(D(2024, 9, 16)) == {"daily_run_found": False}
        check_daily_run(D(2024, 9, 16))
    missing = Notification.objects.filter(kind=NotificationKind.DAILY_RUN_MISSING)
    assert list(missing.values_list("recipient", flat=True)) == [org.officer.pk]

    with at(D(2024, 9, 17), 7):
        run_track_daily(D(2024, 9, 17))
    with at(D(2024, 9, 17), 10):
        assert check_daily_run(D(2024, 9, 17)) == {"daily_run_found": True}
    assert missing.count() == 1


def test_commands_print_one_line(org):
    org.case(D(2024, 3, 15))
    out = io.StringIO()
    with at(D(2024, 9, 23), 8):
        call_command("track_daily", stdout=out)
        call_command("dispatch_weekly", stdout=out)
        call_command("dispatch_weekly", "--as-of", "2024-09-23", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("track_daily 2024-09-23: success: ") and "raised 1" in lines[0]
    assert lines[1].startswith("dispatch_weekly 2024-09-23: success: ") and "weeks_built 2024-09-23" in lines[1]
    assert "weeks_built -" in lines[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--as-of", "2024-13-01"], "YYYY-MM-DD"), (["--as-of", "2024-09-24"], "Monday")],
)
def test_command_refuses_bad_dates(org, args, message):
    from django.core.management.base import CommandError
    from django.utils import translation

    with at(D(2024, 9, 25)), translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("dispatch_weekly", *args)
