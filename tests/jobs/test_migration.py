"""JobRun and JobLock moved from alerts to jobs without losing a row: the tables are renamed, not
copied, and their content types (with the permissions and admin log entries on them) move along."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("alerts", "0009_job_publish_bulletin"), ("jobs", None)]

RUNS = [
    {
        "job": "track_daily",
        "as_of": dt.date(2025, 6, 10),
        "started_at": dt.datetime(2025, 6, 9, 23, 0, tzinfo=dt.UTC),
        "finished_at": dt.datetime(2025, 6, 9, 23, 1, 2, tzinfo=dt.UTC),
        "outcome": "success",
        "counts": {"raised": 3, "weeks_built": ["2025-06-09"]},
        "error": "",
        "trigger": "task:0f1e",
    },
    {
        "job": "build_bulletin",
        "as_of": dt.date(2025, 5, 31),
        "started_at": dt.datetime(2025, 6, 3, 0, 0, tzinfo=dt.UTC),
        "finished_at": None,
        "outcome": "running",
        "counts": {},
        "error": "",
        "trigger": "command",
    },
    {
        "job": "publish_bulletin",
        "as_of": dt.date(2025, 5, 31),
        "started_at": dt.datetime(2025, 6, 4, 1, 0, tzinfo=dt.UTC),
        "finished_at": dt.datetime(2025, 6, 4, 1, 0, tzinfo=dt.UTC),
        "outcome": "waiting",
        "counts": {"task": "reports.tasks.publish_bulletin_task", "args": [7, 3]},
        "error": "OperationalError: broker away",
        "trigger": "web:officer",
    },
]
LOCKS = [
    {"name": "track_daily", "holder": "a1b2", "expires_at": dt.datetime(2025, 6, 10, 0, 0, tzinfo=dt.UTC)},
    {"name": "bulletin_numbering", "holder": "", "expires_at": None},
]


def tables() -> set[str]:
    return set(connection.introspection.table_names())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_every_run_lock_content_type_and_permission():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    assert {"alerts_jobrun", "alerts_joblock"} <= tables() and "jobs_jobrun" not in tables()

    # The models as the applied migrations have them: JobRun and JobLock of alerts.
    old = MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps
    OldRun, OldLock = old.get_model("alerts", "JobRun"), old.get_model("alerts", "JobLock")
    ContentType, Permission = old.get_model("contenttypes", "ContentType"), old.get_model("auth", "Permission")
    ids = [OldRun.objects.create(**fields).pk for fields in RUNS]
    for fields in LOCKS:
        OldLock.objects.create(**fields)
    run_type, _created = ContentType.objects.get_or_create(app_label="alerts", model="jobrun")
    ContentType.objects.filter(app_label="jobs").delete()  # as in a database from before the move
    permission, _created = Permission.objects.get_or_create(
        content_type=run_type, codename="view_jobrun", defaults={"name": "Can view job run"}
    )

    executor = MigrationExecutor(connection)  # a fresh loader: the graph as applied now
    executor.migrate(executor.loader.graph.leaf_nodes())

    from django.contrib.auth.models import Permission as CurrentPermission
    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    from jobs.models import JobLock, JobRun

    assert {"jobs_jobrun", "jobs_joblock"} <= tables()
    assert not {"alerts_jobrun", "alerts_joblock"} & tables()
    fields = list(RUNS[0])
    assert list(JobRun.objects.order_by("id").values("id", *fields)) == [
        {"id": pk, **run} for pk, run in zip(ids, RUNS, strict=True)
    ]
    assert sorted(JobLock.objects.values("name", "holder", "expires_at"), key=lambda lock: lock["name"]) == sorted(
        LOCKS, key=lambda lock: lock["name"]
    )
    CurrentContentType.objects.clear_cache()
    moved = CurrentContentType.objects.get(pk=run_type.pk)
    assert (moved.app_label, moved.model) == ("jobs", "jobrun")
    assert CurrentPermission.objects.get(pk=permission.pk).content_type_id == run_type.pk
    assert not CurrentContentType.objects.filter(app_label="alerts", model__in=["jobrun", "joblock"]).exists()
    # New rows continue the same ids.
    later = JobRun.objects.create(
        job="track_daily", as_of=dt.date(2025, 6, 11), started_at=dt.datetime(2025, 6, 10, 23, 0, tzinfo=dt.UTC)
    )
    assert later.pk > max(ids)
