"""The weekly dispatch moves off non-working days: the beat fires its task daily and it builds on the
first working day of its week, as of its Monday (the bulletin's days: tests/reports/test_schedule_days.py)."""

import datetime as dt

import pytest

from alerts.models import Job
from alerts.schedule_days import weekly_dispatch_day
from alerts.tasks import dispatch_weekly_task
from jobs.models import JobOutcome, JobRun
from tests.alerts.conftest import at

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.mark.parametrize(
    ("monday", "day"),
    [
        (D(2025, 10, 6), D(2025, 10, 9)),  # National Day holiday 1–8 Oct 2025
        (D(2026, 2, 16), D(2026, 2, 24)),  # Spring Festival 2026 covers two Mondays …
        (D(2026, 2, 23), D(2026, 2, 24)),  # … both lists are built on Tuesday the 24th
        (D(2025, 9, 29), D(2025, 9, 29)),  # an ordinary Monday
    ],
)
def test_weekly_dispatch_day(monday, day):
    assert weekly_dispatch_day(monday) == day


def dispatch_runs():
    return list(
        JobRun.objects.filter(job=Job.DISPATCH_WEEKLY).order_by("as_of").values_list("as_of", "outcome", "started_at")
    )


def test_dispatch_waits_for_the_first_working_day_and_builds_as_of_monday(org):
    for day in (D(2025, 10, 6), D(2025, 10, 7), D(2025, 10, 8)):
        with at(day, 8):
            assert dispatch_weekly_task.run() == "not a dispatch day"
    assert dispatch_runs() == []
    with at(D(2025, 10, 9), 8):
        assert dispatch_weekly_task.run() == "success"
    [(as_of, outcome, _started)] = dispatch_runs()
    assert (as_of, outcome) == (D(2025, 10, 6), JobOutcome.SUCCESS)
    with at(D(2025, 10, 10), 8):  # built already: the next mornings do nothing
        assert dispatch_weekly_task.run() == "not a dispatch day"
    assert len(dispatch_runs()) == 1


def test_spring_festival_builds_both_weeks_on_the_first_working_day(org):
    with at(D(2026, 2, 23), 8):
        assert dispatch_weekly_task.run() == "not a dispatch day"
    with at(D(2026, 2, 24), 8):
        assert dispatch_weekly_task.run() == "success, success"
    assert [row[:2] for row in dispatch_runs()] == [
        (D(2026, 2, 16), JobOutcome.SUCCESS),
        (D(2026, 2, 23), JobOutcome.SUCCESS),
    ]


def test_a_missed_dispatch_day_is_built_the_next_morning(org):
    with at(D(2025, 9, 30), 8):  # the worker was down on Monday the 29th
        assert dispatch_weekly_task.run() == "success"
    assert [row[:2] for row in dispatch_runs()] == [(D(2025, 9, 29), JobOutcome.SUCCESS)]


def test_an_explicit_date_runs_at_once(org):
    with at(D(2025, 10, 6), 8):
        assert dispatch_weekly_task.run(as_of="2025-10-06") == "success"
