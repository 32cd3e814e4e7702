"""The jobs page shows each job's next real run: the next time beat starts it and it does its work.

Beat fires the weekly dispatch and the monthly bulletin every morning, and they build only on their
day (their declared `due` rules: alerts/schedule_days.py, reports/schedule_days.py), so their next run
is the first firing on such a day; the other jobs' is their next firing. Beat's entries are matched to
the declared jobs by exact task name. Times are Asia/Shanghai, to the minute of the cron entry.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from django_celery_beat.models import PeriodicTask

from alerts.models import Job as AlertJob
from cases.models import Court
from jobs import registry
from jobs.models import JobOutcome, JobRun
from jobs.schedules import _crontab, default_schedules, install_schedules
from jobs.selectors import job_states, next_runs
from reports.models import Bulletin
from reports.models import Job as ReportJob
from reports.periods import Period

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def at(day: dt.date, hour: int, minute: int = 0, *, tick: bool = False):
    return time_machine.travel(local(day, hour, minute), tick=tick)


class Job(AlertJob, ReportJob):
    """Every job name these tests use."""


def built(job: str, as_of: dt.date) -> JobRun:
    """A successful run of `job` for `as_of`; for the bulletin, the bulletin it built (what is judged)."""
    moment = local(as_of, 8)
    if job == Job.BUILD_BULLETIN:
        period = str(Period.containing(as_of))
        Bulletin.objects.create(court=Court.default(), period=period, as_of=as_of, built_at=moment)
    return JobRun.objects.create(
        job=job, as_of=as_of, started_at=moment, finished_at=moment, outcome=JobOutcome.SUCCESS, trigger="beat"
    )


@pytest.fixture
def schedules(db):
    install_schedules()


def test_a_seven_o_clock_job_shows_seven_o_clock_with_the_clock_running(schedules):
    """The page used to add celery's remaining time (counted from celery's own, later "now") to its
    own "now": a few milliseconds short of 07:00, shown as 06:59."""
    with at(D(2025, 6, 10), 6, tick=True):
        runs = next_runs()
    assert runs[Job.TRACK_DAILY] == local(D(2025, 6, 10), 7)
    assert runs[Job.SNAPSHOT_FIGURES] == local(D(2025, 6, 10), 7, 30)
    assert runs[Job.CHECK_DAILY_RUN] == local(D(2025, 6, 10), 10)
    assert runs[Job.DELIVER_NOTIFICATIONS] == local(D(2025, 6, 10), 10, 30)


def test_an_old_last_run_does_not_make_the_next_run_now(schedules):
    """Beat stopped a week ago: the entry's last_run_at is old, the next run is still 07:00."""
    PeriodicTask.objects.filter(name="track-daily").update(last_run_at=local(D(2025, 6, 3), 7))
    with at(D(2025, 6, 10), 6, 15, tick=True):
        assert next_runs()[Job.TRACK_DAILY] == local(D(2025, 6, 10), 7)
    with at(D(2025, 6, 10), 7, 0):  # 07:00 itself is this run, not the next one
        assert next_runs()[Job.TRACK_DAILY] == local(D(2025, 6, 11), 7)


def test_friday_before_a_monday_holiday(schedules, court):
    """Friday 3 April 2026; Monday 6 April is Tomb-sweeping Day: the week's dispatch is built on
    Tuesday the 7th. March's bulletin is built, so the next is May's, after the May Day holiday."""
    built(Job.DISPATCH_WEEKLY, D(2026, 3, 30))
    built(Job.BUILD_BULLETIN, D(2026, 3, 31))
    with at(D(2026, 4, 3), 9):
        runs = next_runs()
    assert runs[Job.DISPATCH_WEEKLY] == local(D(2026, 4, 7), 8)
    assert runs[Job.BUILD_BULLETIN] == local(D(2026, 5, 6), 8)
    assert runs[Job.TRACK_DAILY] == local(D(2026, 4, 4), 7)  # daily tracking runs every day
    assert runs[Job.CHECK_DAILY_RUN] == local(D(2026, 4, 3), 10)


def test_a_month_end_before_the_national_day_holiday(schedules, court):
    """Wednesday 30 September 2026, holiday 1–7 October: the September bulletin and the dispatch of
    the week of Monday 5 October are both built on Thursday the 8th."""
    built(Job.DISPATCH_WEEKLY, D(2026, 9, 28))
    built(Job.BUILD_BULLETIN, D(2026, 8, 31))
    with at(D(2026, 9, 30), 9):
        runs = next_runs()
    assert runs[Job.BUILD_BULLETIN] == local(D(2026, 10, 8), 8)
    assert runs[Job.DISPATCH_WEEKLY] == local(D(2026, 10, 8), 8)
    assert runs[Job.TRACK_DAILY] == local(D(2026, 10, 1), 7)


def test_spring_festival_builds_two_weeks_on_one_tuesday(schedules, court):
    built(Job.DISPATCH_WEEKLY, D(2026, 2, 9))
    built(Job.BUILD_BULLETIN, D(2026, 1, 31))
    with at(D(2026, 2, 13), 18):
        assert next_runs()[Job.DISPATCH_WEEKLY] == local(D(2026, 2, 24), 8)


def test_a_run_not_yet_built_is_the_next_morning(schedules, court):
    """The dispatch day's run failed (or the worker was down): the next morning's firing builds it,
    even on a Saturday, as alerts.schedule_days.mondays_due_between says."""
    built(Job.BUILD_BULLETIN, D(2026, 3, 31))
    with at(D(2026, 4, 3), 9):
        runs = next_runs()
    assert runs[Job.DISPATCH_WEEKLY] == local(D(2026, 4, 4), 8)
    assert runs[Job.BUILD_BULLETIN] == local(D(2026, 5, 6), 8)
    with at(D(2026, 3, 30), 7):  # on the dispatch day itself, before the firing
        assert next_runs()[Job.DISPATCH_WEEKLY] == local(D(2026, 3, 30), 8)


def test_an_entry_edited_to_mondays_only_skips_a_week_whose_monday_is_a_holiday(schedules, court):
    built(Job.DISPATCH_WEEKLY, D(2026, 3, 30))
    PeriodicTask.objects.filter(name="dispatch-weekly").update(crontab=_crontab("30 9 * * 1"))
    with at(D(2026, 4, 3), 9):
        # Monday the 6th is a holiday (no build); the week's dispatch day, Tuesday, has no firing.
        assert next_runs()[Job.DISPATCH_WEEKLY] == local(D(2026, 4, 13), 9, 30)


def test_a_job_switched_off_has_no_next_run(db, client, officer):
    schedules = default_schedules()
    install_schedules(schedules)
    schedules["dispatch-weekly"]["cron"] = None  # COURTFLOW_SCHEDULE_DISPATCH_WEEKLY=off
    install_schedules(schedules)
    PeriodicTask.objects.filter(name="check-daily-run").update(enabled=False)  # unticked in the admin
    PeriodicTask.objects.filter(name="snapshot-figures").update(expires=local(D(2025, 6, 1), 0))
    with at(D(2025, 6, 10), 9):
        runs = next_runs()
        client.force_login(officer)
        with translation.override("en"):
            body = client.get(reverse("jobs:jobs"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert Job.DISPATCH_WEEKLY not in runs and Job.CHECK_DAILY_RUN not in runs and Job.SNAPSHOT_FIGURES not in runs
    assert Job.PUBLISH_BULLETIN not in runs  # started by a person, never by beat
    assert set(runs) == {Job.TRACK_DAILY, Job.BUILD_BULLETIN, Job.DELIVER_NOTIFICATIONS}
    assert body.count("not scheduled") == 4


def test_entries_are_matched_to_jobs_by_task_not_by_name(schedules):
    """An entry whose name mentions a job but runs another task is that other task's."""
    PeriodicTask.objects.filter(name="check-daily-run").update(enabled=False)
    PeriodicTask.objects.create(
        name="build_bulletin reminder",
        task="alerts.tasks.check_daily_run_task",
        crontab=_crontab("15 6 * * *"),
    )
    with at(D(2025, 6, 10), 6):
        runs = next_runs()
    assert runs[Job.CHECK_DAILY_RUN] == local(D(2025, 6, 10), 6, 15)
    assert runs[Job.BUILD_BULLETIN] != local(D(2025, 6, 10), 6, 15)


def test_every_installed_task_is_a_declared_job_or_housekeeping():
    housekeeping = {
        "alerts.tasks.requeue_waiting_task",
        "cases.tasks.delete_stale_uploads_task",
        "reports.tasks.return_stalled_publications_task",
    }
    tasks = {entry["task"] for entry in default_schedules().values()}
    scheduled_jobs = {job.task for job in registry.listed() if job.schedule}
    assert tasks - housekeeping == scheduled_jobs
    assert {job.task for job in registry.all_jobs() if job.housekeeping} == housekeeping


def test_an_entry_is_matched_by_its_exact_task_only(schedules):
    """An admin's entry whose task merely contains a job's task path is no run of that job."""
    PeriodicTask.objects.filter(name="track-daily").update(enabled=False)
    PeriodicTask.objects.create(
        name="track daily, retried", task="alerts.tasks.track_daily_task_retry", crontab=_crontab("15 6 * * *")
    )
    with at(D(2025, 6, 10), 6):
        assert Job.TRACK_DAILY not in next_runs()


def test_the_jobs_page_and_the_home_panel_show_the_next_runs(schedules, client, officer):
    built(Job.DISPATCH_WEEKLY, D(2026, 3, 30))
    built(Job.BUILD_BULLETIN, D(2026, 3, 31))
    client.force_login(officer)
    with at(D(2026, 4, 3), 9, tick=True):
        jobs_page = client.get(reverse("jobs:jobs"), HTTP_ACCEPT_LANGUAGE="en")
        home = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    rows = {state.job: state.next_run for state in jobs_page.context["latest"]}
    assert rows[Job.DISPATCH_WEEKLY] == local(D(2026, 4, 7), 8)
    body = jobs_page.content.decode()
    assert "2026-04-07 Tue 08:00" in body and "2026-04-04 Sat 07:00" in body and "06:59" not in body
    home_body = home.content.decode()
    assert "04-07 08:00" in home_body and "05-06 08:00" in home_body


def test_the_selector_runs_a_fixed_number_of_queries(schedules, court, django_assert_num_queries):
    for monday in (D(2026, 3, 16), D(2026, 3, 23), D(2026, 3, 30)):
        built(Job.DISPATCH_WEEKLY, monday)
    with at(D(2026, 4, 3), 9):
        # the entries; the calendar and built weeks for the dispatch; the same for the bulletin
        with django_assert_num_queries(5):
            next_runs()
        with django_assert_num_queries(6):  # and the last run of each job
            states = job_states()
    assert [state.job for state in states] == [
        "track_daily",
        "dispatch_weekly",
        "build_bulletin",
        "deliver_notifications",
        "check_daily_run",
        "snapshot_figures",
        "publish_bulletin",
    ]
