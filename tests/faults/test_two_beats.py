"""Two beat processes started by mistake both send the same job for the same date; the job
lock and the unique constraints still give one run's worth of work per job and date."""

import datetime as dt

from .conftest import local_today, wait_until

SCHEDULE = """
import datetime as dt
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, PeriodicTask
PeriodicTask.objects.all().delete()
at = ClockedSchedule.objects.create(clocked_time=timezone.now() + dt.timedelta(seconds={delay}))
PeriodicTask.objects.create(name="track-daily-test", task="alerts.tasks.track_daily_task", clocked=at,
                            one_off=True, kwargs='{{"as_of": "{today}"}}')
PeriodicTask.objects.create(name="bulletin-test", task="reports.tasks.build_bulletin_task", clocked=at,
                            one_off=True, kwargs='{{"period": "{period}"}}')
"""


def test_two_beats_still_one_run_per_job_and_date(instance, celery_processes):
    today = local_today()
    period = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    for name in ("w1", "w2"):
        celery_processes("worker", instance.env, name).wait_ready()
    # Both beats load the entry before it is due, as two beats started together would.
    instance.manage("shell", "-c", SCHEDULE.format(delay=25, today=today.isoformat(), period=period))
    beats = [celery_processes("beat", instance.env, name) for name in ("b1", "b2")]

    def both_sent() -> bool:
        return all(b.output.count("Sending due task") >= 2 for b in beats)

    assert wait_until(both_sent, timeout=60), [b.output[-2000:] for b in beats]
    for beat in beats:
        beat.stop()
    assert wait_until(
        lambda: instance.count("jobs_jobrun", "outcome <> 'running' AND job IN ('track_daily', 'build_bulletin')") == 4,
        timeout=90,
    )

    # Daily tracking: one run did the work; the other skipped on the lock or found nothing to do.
    runs = instance.sql(
        f"SELECT outcome, counts->>'raised' FROM jobs_jobrun WHERE job = 'track_daily' AND as_of = '{today}' "
        "ORDER BY (counts->>'raised')::int DESC NULLS LAST"
    ).splitlines()
    assert runs[0].split("|")[0] == "success" and int(runs[0].split("|")[1]) > 0, runs
    assert runs[1] in ("skipped|", "success|0"), runs
    assert (
        instance.sql(
            "SELECT count(*) FROM (SELECT case_id, level, line_date FROM alerts_alert "
            "GROUP BY 1, 2, 3 HAVING count(*) > 1) d"
        )
        == "0"
    )
    assert (
        instance.sql(
            "SELECT count(*) FROM (SELECT recipient_id, key FROM alerts_notification "
            "GROUP BY 1, 2 HAVING count(*) > 1) d"
        )
        == "0"
    )

    # The bulletin: one bulletin for the month, each case listed once.
    assert instance.count("reports_bulletin", f"period = '{period}'") == 1
    assert instance.count("reports_bulletinitem") > 0
    assert (
        instance.sql(
            "SELECT count(*) FROM (SELECT bulletin_id, case_id FROM reports_bulletinitem "
            "GROUP BY 1, 2 HAVING count(*) > 1) d"
        )
        == "0"
    )
    bulletin_runs = instance.sql("SELECT outcome FROM jobs_jobrun WHERE job = 'build_bulletin'").splitlines()
    assert sorted(bulletin_runs) in (["skipped", "success"], ["success", "success"]), bulletin_runs
