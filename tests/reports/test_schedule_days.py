"""The monthly bulletin moves off non-working days: the beat fires its task daily and it builds on the
first working day of the month, as of last month's last day; which bulletins are due is one rule
(reports.schedule_days), read by the task and the jobs page alike."""

import datetime as dt

import pytest

from jobs.models import JobRun
from reports.models import Job
from reports.schedule_days import bulletin_day
from reports.tasks import build_bulletin_task
from tests.alerts.conftest import at

pytestmark = pytest.mark.django_db
D = dt.date


def test_bulletin_day_follows_holidays_and_make_up_working_days():
    assert bulletin_day(D(2026, 1, 20)) == D(2026, 1, 4)  # New Year 1–3 Jan; Sunday 4 Jan is a make-up day
    assert bulletin_day(D(2025, 3, 10)) == D(2025, 3, 3)  # 1 March 2025 is a Saturday
    assert bulletin_day(D(2025, 10, 31)) == D(2025, 10, 9)  # National Day
    assert bulletin_day(D(2025, 12, 1)) == D(2025, 12, 1)


def test_bulletin_waits_for_the_first_working_day_after_new_year(org):
    for day in (D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3)):
        with at(day, 8):
            assert build_bulletin_task.run() == []
    assert not JobRun.objects.filter(job=Job.BUILD_BULLETIN).exists()
    with at(D(2026, 1, 4), 8):  # a Sunday, but a make-up working day
        assert build_bulletin_task.run() == ["2025-12-31: success"]
    with at(D(2026, 1, 5), 8):
        assert build_bulletin_task.run() == []
    assert JobRun.objects.filter(job=Job.BUILD_BULLETIN).count() == 1
