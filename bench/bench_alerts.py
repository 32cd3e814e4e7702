"""Benchmark of the escalation engine's jobs on a large database.

Run by hand against a *copy* of a seeded database (it truncates the alerts tables and closes
cases to simulate a day's churn):

    createdb -h 127.0.0.1 -U postgres -T courtflow_bench alerts_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alerts_bench DEBUG=1 python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alerts_bench DEBUG=1 python bench/bench_alerts.py

It times, in one process as a worker would run them (each through `run_job`: lock, JobRun, one
transaction), all on the same database in the same run:

* one hand-written INSERT … SELECT writing the alerts the first run raises (ageing alerts with the
  lower levels recorded as superseded, and time-limit alerts), its foreign keys checked at once,
  rolled back (median of 3; the table is vacuumed empty again after each);
* daily tracking, first run over a database without alerts (the URL configuration and the
  modules a worker has loaded after its first task are loaded before it);
* daily tracking on the three next days, each after a day's churn (CHURN cases closed), both
  parts of the job timed apart;
* two hand-written statements timed just before each of those runs: the ageing crossings (every
  open case whose level is not the level and line of its active alert, and active alerts of
  cases no longer open; it finds none after the run, a check that the job did what it describes),
  and the time-limit statement (every open case whose stored deadline is within 30 days or whose
  clock is stopped);
* the daily job's peak memory: the process's ru_maxrss after the daily runs, and how far the
  runs raised it above the process before them;
* the weekly dispatch as of the following Monday, and the week after (with follow-ups);
* three more days after the seeded running periods began (`seed_demo --today`), when the
  stopped clocks' deadlines move every day, if that date is not in the future;

then prints the figures and their ratios against the goals.
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

from django.db import connection, transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from alerts import tracking  # noqa: E402
from alerts.jobs import run_dispatch_weekly, run_track_daily  # noqa: E402
from cases.models import Court  # noqa: E402
from limits import services as limits_services  # noqa: E402

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


# The time-limit statement: every open case whose stored deadline is within 30 days or whose
# clock is stopped (what the time-limit part of the job has to look at). Written by hand.
DEADLINES_SQL = """
SELECT count(*) FROM cases_case c
 WHERE c.filed_on <= %(d)s AND (c.closed_on IS NULL OR c.closed_on > %(d)s) AND c.limit_raw IS NOT NULL
   AND (c.deadline <= %(d30)s OR c.limit_paused_from IS NOT NULL)
"""

# What the first run writes into the alerts table, as one INSERT … SELECT written by hand from the
# two rules (cases/ageing.py, cases/limits.py): every case at an ageing level gets the alert of its
# level and, superseded, those of the lower levels; every open case at a time-limit level whose
# clock runs gets the alert of that level, its deadline as the line.
FIRST_RUN_SQL = """
INSERT INTO alerts_alert (case_id, kind, level, line_date, raised_on, superseded, resolution, escalation_step)
WITH ageing AS (
    SELECT c.id, c.line_6m, c.line_15m,
           CASE WHEN c.line_15m < %(d)s THEN 4 WHEN c.line_15m <= %(w)s THEN 3
                WHEN c.line_6m < %(d)s THEN 2 ELSE 1 END AS rank
      FROM cases_case c
     WHERE c.filed_on <= %(d)s AND (c.closed_on IS NULL OR c.closed_on > %(d)s) AND c.line_6m <= %(w)s
), clocks AS (
    SELECT c.id,
           CASE WHEN c.limit_paused_from IS NULL THEN c.deadline
                ELSE COALESCE((SELECT min(wd.day) FROM {workingday} wd
                                WHERE wd.is_working
                                  AND wd.day >= c.limit_raw + GREATEST(%(d)s - c.limit_paused_from + 1, 0)),
                              c.limit_raw + GREATEST(%(d)s - c.limit_paused_from + 1, 0)) END AS deadline
      FROM cases_case c
     WHERE c.filed_on <= %(d)s AND (c.closed_on IS NULL OR c.closed_on > %(d)s) AND c.limit_raw IS NOT NULL
       AND (c.deadline <= %(d30)s OR c.limit_paused_from IS NOT NULL)
       AND (c.limit_paused_from IS NULL OR c.limit_paused_from > %(d)s)
)
SELECT a.id, 'ageing', l.level, CASE WHEN l.rank <= 2 THEN a.line_6m ELSE a.line_15m END, %(d)s,
       l.rank < a.rank, '', 0
  FROM ageing a
  JOIN (VALUES (1, 'approaching_6m'), (2, 'over_6m'), (3, 'approaching_15m'), (4, 'over_15m')) AS l (rank, level)
    ON l.rank <= a.rank
UNION ALL
SELECT k.id, 'time_limit',
       CASE WHEN k.deadline < %(d)s THEN 'limit_overdue' WHEN k.deadline <= %(d7)s THEN 'limit_7'
            WHEN k.deadline <= %(d15)s THEN 'limit_15' ELSE 'limit_30' END,
       k.deadline, %(d)s, false, '', 0
  FROM clocks k
 WHERE k.deadline <= %(d30)s
ON CONFLICT DO NOTHING
"""


# The same alerts and, in the same statement, the notifications the first run writes for them:
# one per alert raised and owner (handler, the division's effective head, its vice-president),
# keyed per alert; superseded alerts notify nobody.
FIRST_RUN_WITH_NOTIFICATIONS_SQL = """
WITH alerts AS (
    {insert} RETURNING id, case_id, kind, level, superseded
), owners (kind, level, role, before, after) AS (VALUES {owners})
INSERT INTO alerts_notification
       (recipient_id, kind, key, subject, body, link, alert_id, case_id, created_on, created_at)
SELECT r.recipient, 'alert_raised', 'alert:' || a.id || ':raised', o.before || c.case_number || o.after, '',
       '/cases/' || c.id || '/', a.id, c.id, %(d)s, now()
  FROM alerts a
  JOIN owners o ON o.kind = a.kind AND o.level = a.level
  JOIN cases_case c ON c.id = a.case_id
  JOIN cases_division v ON v.id = c.division_id
 CROSS JOIN LATERAL (
       SELECT CASE o.role WHEN 'handler' THEN c.handler_id
                          WHEN 'head' THEN CASE WHEN v.acting_head_id IS NOT NULL AND v.acting_from <= %(d)s
                                                     AND v.acting_until >= %(d)s
                                                THEN v.acting_head_id ELSE v.head_id END
                          ELSE v.vice_president_id END AS recipient) r
 WHERE NOT a.superseded AND r.recipient IS NOT NULL
ON CONFLICT DO NOTHING
"""


def _owners() -> tuple[str, dict]:
    """The VALUES list of (kind, level, role, subject before and after the case number) of both
    families, from the job's own tables of owners and subjects, and its parameters."""
    from alerts import limits as limit_alerts
    from alerts.models import AlertKind
    from alerts.notifications import split_subject

    rows, params = [], {}
    for kind, owners, subjects in (
        (AlertKind.AGEING, tracking.OWNERS, tracking.RAISED_SUBJECTS),
        (AlertKind.TIME_LIMIT, limit_alerts.OWNERS, limit_alerts.SUBJECTS),
    ):
        for level, roles in owners.items():
            before, after = split_subject(subjects[level]())
            for role in roles:
                n = len(rows)
                rows.append(f"(%(k{n})s, %(l{n})s, %(r{n})s, %(b{n})s, %(a{n})s)")
                params.update({f"k{n}": kind, f"l{n}": level, f"r{n}": role, f"b{n}": before, f"a{n}": after})
    return ", ".join(rows), params


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


# The daily job's second part, the statutory time limits (审限), timed apart: the time-limit alerts
# (alerts.limits.track_limits) and the clocks' upkeep (limits.services.daily_limits_job: stopped
# clocks' deadlines, hidden-overrun check), whether the upkeep runs inside them or as a job of its
# own that `run_job` runs before daily tracking. LIMITS_SECONDS gets one figure per daily run.
LIMITS_SECONDS: list[float] = []
_track_limits = tracking.track_limits
_daily_limits_job = limits_services.daily_limits_job
_upkeep = {"seconds": 0.0, "inside": False}


def _timed_track_limits(as_of):
    start, _upkeep["inside"] = time.perf_counter(), True
    try:
        return _track_limits(as_of)
    finally:
        _upkeep["inside"] = False
        LIMITS_SECONDS.append(time.perf_counter() - start + _upkeep["seconds"])
        _upkeep["seconds"] = 0.0


def _timed_daily_limits_job(as_of=None):
    start = time.perf_counter()
    try:
        return _daily_limits_job(as_of)
    finally:
        if not _upkeep["inside"]:  # a run of its own, before daily tracking: added to the next run's part
            _upkeep["seconds"] += time.perf_counter() - start


tracking.track_limits = _timed_track_limits
limits_services.daily_limits_job = _timed_daily_limits_job


def crossings(day: dt.date, window: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(CROSSINGS_SQL, {"d": day, "w": day + dt.timedelta(days=window)})
        return cursor.fetchone()[0]


def _days(day: dt.date, window: int) -> dict:
    plus = {f"d{n}": day + dt.timedelta(days=n) for n in (7, 15, 30)}
    return {"d": day, "w": day + dt.timedelta(days=window), **plus}


def near_deadlines(day: dt.date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(DEADLINES_SQL, _days(day, 0))
        return cursor.fetchone()[0]


def first_run_statement(day: dt.date, window: int, notifications: bool = False) -> int:
    """The first run's INSERT … SELECT (with its notifications: one statement writing both), its
    foreign keys checked by the statement, rolled back. Returns the rows it wrote (notifications
    when asked for, else alerts)."""
    from limits.models import WorkingDay

    rows = 0
    sql, params = FIRST_RUN_SQL.replace("{workingday}", WorkingDay._meta.db_table), _days(day, window)
    if notifications:
        owners, owner_params = _owners()
        sql = FIRST_RUN_WITH_NOTIFICATIONS_SQL.format(
            insert=sql.strip(),
            owners=owners,
        )
        params = {**params, **owner_params}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL jit = off")  # as in the jobs
            cursor.execute(sql, params)
            rows = cursor.rowcount
            raise _Rollback
    except _Rollback:
        pass
    return rows


def vacuum_alerts() -> None:
    """The rolled-back rows out of the alert tables (the job then finds them as the statement did)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM alerts_alert, alerts_notification")


class _Rollback(Exception):
    pass


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def churn(day: dt.date) -> None:
    """A day's churn: CHURN long-pending cases close, set-based as an import would."""
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


def normal_days(days: list[dt.date], window: int) -> dict:
    """Churn, the two hand-written statements, then the job, for each day; the figures of each."""
    out: dict = {"daily": [], "ageing": [], "limits": [], "crossings": [], "deadlines": [], "left": []}
    for day in days:
        churn(day)
        sql_s, found = timed(f"hand-written ageing crossings statement ({day})", lambda d=day: crossings(d, window))
        near_s, near = timed(f"hand-written deadline statement ({day})", lambda d=day: near_deadlines(d))
        daily_s, daily = timed(f"track_daily normal day ({day}, {CHURN} closed)", lambda d=day: run_track_daily(d))
        left = crossings(day, window)
        print(f"    crossings found: {found}, left after the run: {left}; cases near their deadline: {near:,}")
        print(f"    {daily.outcome} {daily.counts}")
        print(f"    of which the time-limit part {LIMITS_SECONDS[-1]:.2f} s")
        out["daily"].append(daily_s)
        out["ageing"].append(daily_s - LIMITS_SECONDS[-1])
        out["limits"].append(LIMITS_SECONDS[-1])
        out["crossings"].append(sql_s)
        out["deadlines"].append(near_s)
        out["left"].append(left)
    return {key: (values if key == "left" else statistics.median(values)) for key, values in out.items()}


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
        cursor.execute("SELECT min(limit_paused_from) FROM cases_case WHERE closed_on IS NULL")
        periods_from = cursor.fetchone()[0]
    print(f"database {name}: {total:,} cases, {open_cases:,} open; warning window {window} days")
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    # What a worker has loaded after its first task: the URL configuration (links in notifications).
    reverse("jobs:jobs")

    # The first run's INSERT … SELECT, three times on the empty tables; then with its notifications.
    statement_times, statement_rows, full_times, full_rows = [], 0, [], 0
    for attempt in (1, 2, 3):
        seconds, statement_rows = timed(
            f"hand-written first-run INSERT … SELECT ({attempt})", lambda: first_run_statement(FIRST, window)
        )
        statement_times.append(seconds)
        vacuum_alerts()
    for attempt in (1, 2, 3):
        seconds, full_rows = timed(
            f"the same with its notifications ({attempt})", lambda: first_run_statement(FIRST, window, True)
        )
        full_times.append(seconds)
        vacuum_alerts()
    statement_s, full_s = statistics.median(statement_times), statistics.median(full_times)

    rss_before = rss_mb()
    first_s, first = timed(f"track_daily first run ({FIRST})", lambda: run_track_daily(FIRST))
    print("   ", first.outcome, first.counts)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM alerts_alert WHERE raised_on = %s", [FIRST])
        first_rows = cursor.fetchone()[0]
    print(f"    alerts written by the first run: {first_rows:,}; by the statement: {statement_rows:,}")

    # Three ordinary days. The median of each figure is reported: the machine is shared.
    days = normal_days([FIRST + dt.timedelta(days=offset) for offset in (1, 2, 3)], window)
    last_day = FIRST + dt.timedelta(days=3)
    rerun_s, _rerun = timed(f"track_daily rerun ({last_day})", lambda: run_track_daily(last_day))
    rss_daily = rss_mb()

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

    # Days on which the seeded running periods stop clocks: their stored deadlines move every day.
    stopped = None
    if periods_from is not None and periods_from + dt.timedelta(days=3) <= timezone.localdate():
        catch_up_s, _catch_up = timed(
            f"track_daily catching up to {periods_from}", lambda: run_track_daily(periods_from)
        )
        stopped = normal_days([periods_from + dt.timedelta(days=offset) for offset in (1, 2, 3)], window)

    peak_mb = rss_mb()
    statements_s = days["crossings"] + days["deadlines"]
    notifications = first.counts.get("notifications", 0) + first.counts.get("limits_notifications", 0)
    print()
    print("| measure | figure | goal |")
    print("| --- | ---: | ---: |")
    row(f"hand-written first-run INSERT … SELECT ({statement_rows:,} alerts; median of 3)", f"{statement_s:.2f} s")
    row(
        f"track_daily, first run ({first_rows:,} alerts, {notifications:,} notifications)", f"{first_s:.2f} s", "≤ 60 s"
    )
    row("ratio first run / its INSERT … SELECT", f"{first_s / statement_s:.1f}×", "≤ 3×")
    row(f"the INSERT … SELECT with its notifications ({full_rows:,} notifications; median of 3)", f"{full_s:.2f} s")
    row("ratio first run / the INSERT … SELECT with its notifications", f"{first_s / full_s:.1f}×")
    row(f"track_daily, normal day (median of 3; {CHURN} closed a day)", f"{days['daily']:.2f} s", "≤ 10 s")
    row("of which the ageing part / the time-limit part", f"{days['ageing']:.2f} s / {days['limits']:.2f} s")
    left = max(days["left"])
    row(
        f"hand-written ageing crossings statement (median of 3; {left} left after the runs)",
        f"{days['crossings']:.2f} s",
    )
    row("hand-written deadline statement (median of 3)", f"{days['deadlines']:.2f} s")
    row("ratio normal day / the two statements", f"{days['daily'] / statements_s:.1f}×", "≤ 3×")
    row("ratio ageing part / ageing statement", f"{days['ageing'] / days['crossings']:.1f}×")
    row("ratio time-limit part / deadline statement", f"{days['limits'] / days['deadlines']:.1f}×")
    row("track_daily, rerun of the same day", f"{rerun_s:.2f} s")
    row(
        "peak memory of the daily runs (ru_maxrss), and the runs' own increase",
        f"{rss_daily:.0f} MB (+{rss_daily - rss_before:.0f} MB)",
        "≤ 150 MB",
    )
    row(f"dispatch_weekly ({weekly.counts.get('items', 0):,} items)", f"{weekly_s:.2f} s", "≤ 15 s")
    items = second_run.counts.get("items", 0)
    row(f"dispatch_weekly, next week with follow-ups ({items:,} items)", f"{second_s:.2f} s", "≤ 15 s")
    if stopped is not None:
        both = stopped["crossings"] + stopped["deadlines"]
        row(f"track_daily catching up to {periods_from}", f"{catch_up_s:.2f} s")
        row("normal day with the seeded periods running (median of 3)", f"{stopped['daily']:.2f} s")
        row("of which the ageing part / the time-limit part", f"{stopped['ageing']:.2f} s / {stopped['limits']:.2f} s")
        row("the two statements on those days", f"{stopped['crossings']:.2f} s + {stopped['deadlines']:.2f} s")
        row("ratio normal day / the two statements, periods running", f"{stopped['daily'] / both:.1f}×")
    row("peak memory of the process (ru_maxrss), whole benchmark", f"{peak_mb:.0f} MB")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def row(label: str, figure: str, goal: str = "") -> None:
    print(f"| {label} | {figure} | {goal} |")


if __name__ == "__main__":
    main()
