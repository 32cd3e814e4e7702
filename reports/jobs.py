"""The jobs of the reports app, declared for the job machinery (jobs.registry): the monthly
bulletin, its publishing, the dashboards' daily figures, and the return of stalled publications."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from jobs.models import JobRun
from jobs.registry import Job as Declared
from jobs.registry import Schedule, register

from . import services
from .models import Job
from .periods import Period
from .schedule_days import bulletins_due_between


def run_bulletin_for(as_of: dt.date, *, trigger: str = "", wait: bool = False) -> JobRun:
    """The bulletin of the month containing `as_of`, built now (the jobs page's manual run)."""
    run, _result = services.run_bulletin_job(Period.containing(as_of), trigger=trigger, wait=wait)
    return run


def bulletin_task_args(as_of: dt.date) -> list:
    """The bulletin task's arguments for the month containing `as_of`: ["YYYY-MM"]."""
    return [str(Period.containing(as_of))]


register(
    Declared(
        name=Job.BUILD_BULLETIN,
        label=_("Monthly bulletin"),
        task="reports.tasks.build_bulletin_task",
        # Daily: the task builds on the month's first working day (reports/schedule_days.py).
        schedule=Schedule("build-bulletin", "0 8 * * *", expires=23 * 3600),
        due=bulletins_due_between,
        run=run_bulletin_for,
        queue_args=bulletin_task_args,
        order=30,
    )
)
register(
    Declared(
        name=Job.SNAPSHOT_FIGURES,
        label=_("Dashboard figures"),
        task="reports.tasks.snapshot_figures_task",
        # The dashboards' figures of the day, after daily tracking (pages read them, not the cases).
        schedule=Schedule("snapshot-figures", "30 7 * * *", expires=23 * 3600),
        order=60,
    )
)
register(
    Declared(
        # Started by a person (reports.services.start_publishing), never by beat.
        name=Job.PUBLISH_BULLETIN,
        label=_("Bulletin publishing"),
        task=services.PUBLISH_TASK,
        order=70,
    )
)
# Bulletins still "publishing" after every attempt of their worker was lost: back to draft, and the
# officer who started publishing is told (reports.services.return_stalled_publications). Two minutes
# after requeue-waiting, which sends publications that waited for the broker.
register(
    Declared(
        name="return_stalled_publications",
        task="reports.tasks.return_stalled_publications_task",
        schedule=Schedule("return-stalled-publications", "2-59/5 * * * *", expires=4 * 60),
        housekeeping=True,
    )
)
