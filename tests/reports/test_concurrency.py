"""Two runs of the bulletin job at once (threads, each with its own PostgreSQL connection)."""

from __future__ import annotations

import datetime as dt
import threading

from django.db import connection

from jobs.models import JobOutcome, JobRun
from reports import services
from reports.models import Bulletin, BulletinFigure, BulletinItem, FigureScope, Job
from reports.periods import Period

D = dt.date


def test_two_concurrent_builds_leave_one_complete_bulletin(transactional_db, org):
    for n in range(40):
        org.case(D(2023, 6, 1) + dt.timedelta(days=n * 9), judge=["civil-a", "enf-b"][n % 2])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            services.run_bulletin_job(Period(2025, 2), trigger="thread")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    bulletin = Bulletin.objects.get()
    items = BulletinItem.objects.filter(bulletin=bulletin)
    assert items.count() == items.values("case").distinct().count() > 0
    assert BulletinFigure.objects.filter(bulletin=bulletin, scope=FigureScope.COURT).get().listed == items.count()
    outcomes = sorted(JobRun.objects.filter(job=Job.BUILD_BULLETIN).values_list("outcome", flat=True))
    # Either the second waited out the first's lock and was skipped, or it came after and rebuilt.
    assert outcomes in (
        [JobOutcome.SKIPPED, JobOutcome.SUCCESS],
        [JobOutcome.SUCCESS, JobOutcome.SUCCESS],
    )
