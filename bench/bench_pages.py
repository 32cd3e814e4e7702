"""Page speed of the staff UI at scale: every dashboard and list page, server time, p50/p95.

Runs the real Django stack in-process (middleware, sessions, templates, the database) through
the test client, so the time is the server's time without a network. Needs a private copy of
the 1,000,000-case demo database (`seed_demo --cases 1000000 --seed 1 --today 2026-11-27`):

    createdb -h 127.0.0.1 -U postgres -T courtflow_bench ui_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ui_bench DEBUG=1 python manage.py migrate
    psql -h 127.0.0.1 -U postgres ui_bench -c "VACUUM ANALYZE"   # as autovacuum would have by now
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ui_bench DEBUG=1 python bench/bench_pages.py
    dropdb -h 127.0.0.1 -U postgres ui_bench

The first run prepares what the pages read, as the jobs would have written it (daily tracking,
this week's dispatch, last month's bulletin, figure snapshots of today and the last 12 month ends)
and prints how long each took. DEBUG=1 only spares the static-file manifest; the script turns
DEBUG off before the first request, so queries are not logged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courtflow.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from alerts import jobs  # noqa: E402
from alerts.dispatch import monday_of  # noqa: E402
from alerts.models import Alert, DispatchList, Job  # noqa: E402
from cases.models import Case, Division, User  # noqa: E402
from jobs.models import JobRun  # noqa: E402
from reports import services  # noqa: E402
from reports.models import Bulletin, FigureSnapshot  # noqa: E402
from reports.periods import Period, trend_dates  # noqa: E402


def timed(label: str, fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"prepare {label}: {time.perf_counter() - start:.1f} s", flush=True)
    return result


def prepare(today: dt.date) -> None:
    if not JobRun.objects.filter(job=Job.TRACK_DAILY, as_of=today, outcome="success").exists():
        timed(f"track_daily {today}", jobs.run_track_daily, today, wait=True)
    monday = monday_of(today)
    if not DispatchList.objects.filter(as_of=monday).exists():
        timed(f"dispatch_weekly {monday}", jobs.run_dispatch_weekly, monday, wait=True)
    period = Period.last_month(today)
    if not Bulletin.objects.filter(period=str(period)).exists():
        timed(f"bulletin {period}", services.run_bulletin_job, period, wait=True)
    days = [d for d in [*trend_dates(today), today] if not FigureSnapshot.objects.filter(as_of=d).exists()]
    if days:
        timed(f"figure snapshots ({len(days)} days)", services.backfill_snapshots, days)


def measure(client: Client, url: str, runs: int) -> tuple[float, float, int, int]:
    response = client.get(url, secure=True, HTTP_HOST="localhost")  # warm: roles, caches, plans
    status = response.status_code
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url, secure=True, HTTP_HOST="localhost")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url, secure=True, HTTP_HOST="localhost")
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[max(int(len(times) * 0.95) - 1, 0)]
    return statistics.median(times), p95, queries, status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--today", default="2026-11-27", help="The seed's today (default 2026-11-27).")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", default="", help="Measure only pages whose label contains this text.")
    args = parser.parse_args()
    today = dt.date.fromisoformat(args.today)
    print(f"cases: {Case.objects.count():,}; active alerts: {Alert.objects.filter(resolved_on__isnull=True).count():,}")
    prepare(today)

    settings.DEBUG = False  # no query log while measuring
    # As the server does once the application is loaded (courtflow/wsgi.py).
    get_resolver().url_patterns  # noqa: B018
    gc.freeze()
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "clerk-civil-1-1",
                "judge-civil-1-1",
                "head-civil-1",
                "tracker1",
                "president",
                "head-enforcement",
            ]
        )
    }
    civil = Division.objects.get(code="civil-1")
    judge = users["judge-civil-1-1"]
    old_case = Case.objects.filter(handler=judge, closed_on__isnull=True).order_by("filed_on").first()
    bulletin = Bulletin.objects.order_by("-period").first()
    dispatch = DispatchList.objects.filter(division=civil).order_by("-as_of").first()
    number = old_case.case_number.replace("（", "(").replace("）", ")")

    drill = f"/cases/?division={civil.pk}&handler={judge.pk}&over=6&sort=filed_on"
    pages = [
        ("clerk", "home (clerk)", "/"),
        ("clerk", "case list, division default", "/cases/"),
        ("clerk", "case list, page 20", "/cases/?page=20"),
        ("clerk", "case search, number in half-width brackets", f"/cases/?q={number}"),
        ("clerk", "case search, party", "/cases/?q=宏达商贸&status=all"),
        ("clerk", "case list, over 6 months oldest first", "/cases/?over=6&sort=filed_on"),
        ("clerk", "case page", f"/cases/{old_case.pk}/"),
        ("handler", "home (handler)", "/"),
        ("handler", "my cases, level over 6 months", "/cases/?mine=on&level=over_6m"),
        ("handler", "plans (handler)", "/alerts/plans/"),
        ("handler", "inbox", "/alerts/inbox/"),
        ("head", "home (division head)", "/"),
        ("head", "plans (head)", "/alerts/plans/"),
        ("head", "daily tracking list (division head)", "/alerts/tracking/"),
        ("head", "dispatch list page", f"/alerts/dispatch/{dispatch.pk}/" if dispatch else "/alerts/dispatch/"),
        ("head", "division figures", f"/reports/divisions/{civil.pk}/"),
        ("head-enforcement", "case list, enforcement division", "/cases/"),
        ("tracker", "home (tracking officer)", "/"),
        ("tracker", "daily tracking list", "/alerts/tracking/"),
        ("tracker", "case list, whole court", "/cases/"),
        ("tracker", "case list, whole court, level over 15 months", "/cases/?level=over_15m"),
        ("tracker", "jobs", "/reports/jobs/"),
        ("tracker", "bulletin list", "/reports/bulletins/"),
        ("tracker", "bulletin page", f"/reports/bulletins/{bulletin.pk}/"),
        ("tracker", "bulletin page, list page 10", f"/reports/bulletins/{bulletin.pk}/?page=10"),
        ("president", "court overview", "/reports/overview/"),
        ("president", "division drill-down", f"/reports/divisions/{civil.pk}/"),
        ("president", "handler drill-down (cases)", drill),
    ]
    who = {
        "clerk": "clerk-civil-1-1",
        "handler": "judge-civil-1-1",
        "head": "head-civil-1",
        "tracker": "tracker1",
        "president": "president",
        "head-enforcement": "head-enforcement",
    }
    clients: dict[str, Client] = {}
    print(f"{'page':55} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    worst = 0.0
    for role, label, url in pages:
        if args.only and args.only not in label:
            continue
        if role not in clients:
            clients[role] = Client()
            clients[role].force_login(users[who[role]])
        p50, p95, queries, status = measure(clients[role], url, args.runs)
        worst = max(worst, p95)
        flag = "" if status == 200 else f"  (HTTP {status})"
        print(f"{label:55} {p50:8.1f} {p95:8.1f} {queries:8d}{flag}", flush=True)
    print(f"worst p95: {worst:.1f} ms over {args.runs} runs per page")


if __name__ == "__main__":
    main()
