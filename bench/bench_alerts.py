"""Benchmark of the escalation engine's jobs on a large database.

Run by hand against a *copy* of a seeded database (it truncates the alerts tables and closes
cases to simulate a day's churn):

    createdb -h 127.0.0.1 -U postgres -T courtflow_bench alerts_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alerts_bench DEBUG=1 python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alerts_bench DEBUG=1 python bench/bench_alerts.py

It times, in one process as a worker would run them (each through `run_job`: lock, JobRun, one
transaction):

* daily tracking, first run over a database without alerts;
* daily tracking on the three next days, each after a day's churn (CHURN cases closed);
* one hand-written SQL statement finding the same crossings, timed just before each run; the
  same statement finds none after it (a check that the job did what the statement describes);
* the weekly dispatch as of the following Monday, and the week after (with follow-ups);
* the process's peak memory (ru_maxrss).
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courtflow.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from alerts import tracking  # noqa: E402
from alerts.jobs import run_dispatch_weekly, run_track_daily  # noqa: E402
from cases.models import Court  # noqa: E402

FIRST = dt.date(2026, 11, 2)  # a Monday; the week after next still lies before today
MONDAY = FIRST + dt.timedelta(days=7)
CHURN = int(os.environ.get("BENCH_CHURN", "300"))

# The crossings of a day in one statement: every open case whose level on :d is not the level
# and line of its active alert (new crossings, level changes) plus active alerts of cases no
# longer open. Written by hand from the rule in cases/ageing.py.
CROSSINGS_SQL = """
WITH levels AS (
    SELECT c.id,
           CASE WHEN c.line_15m < %(d)s THEN 'over_15m'
                WHEN c.line_15m <= %(w)s THEN 'approaching_15m'
                WHEN c.line_6m < %(d)s THEN 'over_6m'
                ELSE 'approaching_6m' END AS level,
           CASE WHEN c.line_15m <= %(w)s THEN c.line_15m ELSE c.line_6m END AS line
      FROM cases_case c
     WHERE c.filed_on <= %(d)s AND (c.closed_on IS NULL OR c.closed_on > %(d)s) AND c.line_6m <= %(w)s
), active AS (
    SELECT case_id, level, line_date FROM alerts_alert
     WHERE resolved_on IS NULL AND NOT superseded AND kind = 'ageing'
)
SELECT count(*) FROM levels l FULL JOIN active a ON a.case_id = l.id
 WHERE l.id IS NULL OR a.case_id IS NULL OR a.level <> l.level OR a.line_date <> l.line
"""


def _trace(execute, sql, params, many, context):
    """With BENCH_TRACE=1, print every statement slower than half a second."""
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        seconds = time.perf_counter() - start
        if seconds > 0.5:
            print(f"      {seconds:6.2f} s  {sql[:140]}", flush=True)


def timed(label, fn):
    start = time.perf_counter()
    if os.environ.get("BENCH_TRACE"):
        with connection.execute_wrapper(_trace):
            result = fn()
    else:
        result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<48} {seconds:8.2f} s", flush=True)
    return seconds, result


# The daily job's second part, the statutory time limits (审限), timed apart: the statement above
# is about the ageing part only.
LIMITS_SECONDS: list[float] = []
_track_limits = tracking.track_limits


def _timed_track_limits(as_of):
    start = time.perf_counter()
    try:
        return _track_limits(as_of)
    finally:
        LIMITS_SECONDS.append(time.perf_counter() - start)


tracking.track_limits = _timed_track_limits


def crossings(day: dt.date, window: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(CROSSINGS_SQL, {"d": day, "w": day + dt.timedelta(days=window)})
        return cursor.fetchone()[0]


def main() -> None:
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or name == "courtflow_bench":
        sys.exit("Run this on a PostgreSQL copy of the benchmark database, never on courtflow_bench itself.")
    window = Court.objects.get().warning_window_days
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE alerts_alert, alerts_notification, alerts_emaildigest, alerts_dispatchlist, "
            "alerts_dispatchitem, alerts_urgingnotice, jobs_jobrun CASCADE"
        )
        cursor.execute("SELECT count(*) FROM cases_case")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM cases_case WHERE closed_on IS NULL")
        open_cases = cursor.fetchone()[0]
    print(f"database {name}: {total:,} cases, {open_cases:,} open; warning window {window} days")

    first_s, first = timed(f"track_daily first run ({FIRST})", lambda: run_track_daily(FIRST))
    print("   ", first.outcome, first.counts)

    # Three ordinary days, each after a day's churn (some long-pending cases close, set-based as
    # an import would), the hand-written statement timed just before each run. The median of each
    # is reported: the machine is shared, single timings jump.
    daily_times, ageing_times, sql_times, lefts = [], [], [], []
    for offset in (1, 2, 3):
        day = FIRST + dt.timedelta(days=offset)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE cases_case SET status = 'closed', closed_on = %s, closure_method = 'judgment',
                       updated_at = now()
                 WHERE id IN (SELECT case_id FROM alerts_alert WHERE resolved_on IS NULL AND NOT superseded
                              ORDER BY case_id LIMIT %s)
                """,
                [day, CHURN],
            )
        sql_s, found = timed(f"hand-written crossings statement ({day})", lambda d=day: crossings(d, window))
        daily_s, daily = timed(f"track_daily normal day ({day}, {CHURN} closed)", lambda d=day: run_track_daily(d))
        left = crossings(day, window)
        print(f"    crossings found: {found}, left after the run: {left}; {daily.outcome} {daily.counts}")
        print(f"    of which the time-limit part {LIMITS_SECONDS[-1]:.2f} s")
        daily_times.append(daily_s)
        ageing_times.append(daily_s - LIMITS_SECONDS[-1])
        sql_times.append(sql_s)
        lefts.append(left)
    daily_s, sql_s = statistics.median(daily_times), statistics.median(sql_times)
    ageing_s, limits_s = statistics.median(ageing_times), statistics.median(LIMITS_SECONDS[-3:])
    last_day = FIRST + dt.timedelta(days=3)
    rerun_s, _rerun = timed(f"track_daily rerun ({last_day})", lambda: run_track_daily(last_day))

    for day in range(4, 8):
        run_track_daily(FIRST + dt.timedelta(days=day))
    weekly_s, weekly = timed(f"dispatch_weekly ({MONDAY})", lambda: run_dispatch_weekly(MONDAY))
    print("   ", weekly.outcome, weekly.counts)

    # The next week: every item of the first list is followed up (closed, plan filed, still open).
    second = MONDAY + dt.timedelta(days=7)
    for day in range(1, 8):
        run_track_daily(MONDAY + dt.timedelta(days=day))
    second_s, second_run = timed(f"dispatch_weekly, next week ({second})", lambda: run_dispatch_weekly(second))
    print("   ", second_run.outcome, second_run.counts)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print("| measure | figure | target |")
    print("| --- | ---: | ---: |")
    print(f"| track_daily, first run ({first.counts.get('raised', 0):,} alerts raised) | {first_s:.2f} s | ≤ 60 s |")
    print(f"| track_daily, normal day (median of 3; {CHURN} closed a day) | {daily_s:.2f} s | ≤ 10 s |")
    print(f"| track_daily, rerun of the same day | {rerun_s:.2f} s | — |")
    print(f"| hand-written crossings statement (median of 3; {max(lefts)} left after the runs) | {sql_s:.2f} s | — |")
    print(f"| of which the ageing part / the time-limit part | {ageing_s:.2f} s / {limits_s:.2f} s | — |")
    print(f"| ratio ageing part / statement | {ageing_s / sql_s:.1f}× | ≤ 3× |")
    print(f"| dispatch_weekly ({weekly.counts.get('items', 0):,} items) | {weekly_s:.2f} s | ≤ 15 s |")
    items = second_run.counts.get("items", 0)
    print(f"| dispatch_weekly, next week with follow-ups ({items:,} items) | {second_s:.2f} s | ≤ 15 s |")
    print(f"| peak memory (ru_maxrss) | {peak_mb:.0f} MB | ≤ 300 MB |")


if __name__ == "__main__":
    main()
