"""The registry: each app declares its own jobs, discovered at start-up; a job's name is a plain
string (no migration to add one); jobs declared to run before another run first; failures are told
to whoever registered; the jobs page starts a job through its declaration."""

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from jobs import registry
from jobs.models import JobOutcome, JobRun
from jobs.registry import Job, Schedule
from jobs.runs import run_job

D = dt.date


def recorded(name: str, work=lambda: {"done": 1}):
    """A `run` for a test job: `work` under run_job, for a date."""

    def run(as_of, *, trigger="", wait=False):
        return run_job(name, as_of, work, trigger=trigger, wait=wait)

    return run


def test_each_app_declares_its_own_jobs_in_their_order():
    listed = registry.listed()
    assert [job.name for job in listed] == [
        "track_daily",
        "dispatch_weekly",
        "build_bulletin",
        "deliver_notifications",
        "check_daily_run",
        "snapshot_figures",
        "publish_bulletin",
    ]
    # Each is declared by the app whose task runs it.
    assert {job.name: job.task.split(".")[0] for job in listed} == {
        "track_daily": "alerts",
        "dispatch_weekly": "alerts",
        "build_bulletin": "reports",
        "deliver_notifications": "alerts",
        "check_daily_run": "alerts",
        "snapshot_figures": "reports",
        "publish_bulletin": "reports",
    }
    assert [job.name for job in registry.runnable()] == ["track_daily", "dispatch_weekly", "build_bulletin"]
    assert {job.name for job in registry.all_jobs() if job.housekeeping} == {
        "requeue_waiting",
        "return_stalled_publications",
        "delete_stale_uploads",
    }


def test_labels_come_from_the_declarations():
    with translation.override("en"):
        assert JobRun(job="build_bulletin").job_label == "Monthly bulletin"
        assert JobRun(job="no_longer_declared").job_label == "no_longer_declared"
    with translation.override("zh-hans"):
        assert JobRun(job="track_daily").job_label == "日跟踪"


def test_a_new_job_needs_no_migration(db, declare):
    declare(Job(name="test_new_job", label="A new job", task="tests.new_job_task"))
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())  # exits 1 on a change
    assert JobRun._meta.get_field("job").choices is None


def test_an_undeclared_job_is_refused(db):
    with pytest.raises(registry.UnknownJob):
        run_job("track_dialy", D(2025, 6, 10), lambda: None)
    assert not JobRun.objects.exists()


def test_declarations_are_checked(declare):
    declare(Job(name="test_a", label="A", task="tests.a_task", schedule=Schedule("test-a", "0 1 * * *")))
    with pytest.raises(ImproperlyConfigured, match="Two jobs"):
        registry.register(Job(name="test_a", label="A again"))
    with pytest.raises(ImproperlyConfigured, match="same task"):
        registry.register(Job(name="test_b", label="B", task="tests.a_task"))
    with pytest.raises(ImproperlyConfigured, match="beat entry"):
        registry.register(Job(name="test_b", label="B", task="tests.b_task", schedule=Schedule("test-a", "0 2 * * *")))
    with pytest.raises(ImproperlyConfigured, match="needs a label"):
        registry.register(Job(name="test_b"))
    with pytest.raises(ImproperlyConfigured, match="1 to 30 characters"):
        registry.register(Job(name="x" * 31, label="Too long"))
    declare(Job(name="test_c", label="C", run=recorded("test_c"), before=("test_nothing",)))
    with pytest.raises(ImproperlyConfigured, match="which no app declares"):
        registry.check()
    registry.unregister("test_c")
    declare(Job(name="test_d", label="D", run=recorded("test_d"), before=("test_e",)))
    declare(Job(name="test_e", label="E", run=recorded("test_e"), before=("test_d",)))
    with pytest.raises(ImproperlyConfigured, match="before each other"):
        registry.check()


def test_a_job_declared_before_another_runs_first_for_the_same_date(db, declare):
    """How a job that must precede daily tracking is declared (a clock upkeep, say): `before`."""
    done = []
    declare(
        Job(name="test_later", label="Later", run=recorded("test_later", lambda: done.append("later") or {}), order=1)
    )
    declare(
        Job(
            name="test_second",
            label="Second",
            run=recorded("test_second", lambda: done.append("second") or {}),
            before=("test_later",),
            order=20,
        )
    )
    declare(
        Job(
            name="test_first",
            label="First",
            run=recorded("test_first", lambda: done.append("first") or {}),
            before=("test_later",),
            order=10,
        )
    )
    registry.check()
    run = registry.get("test_later").run(D(2025, 6, 10), trigger="beat")
    assert done == ["first", "second", "later"] and run.outcome == JobOutcome.SUCCESS
    runs = JobRun.objects.order_by("id").values_list("job", "as_of", "outcome", "trigger")
    assert list(runs) == [
        ("test_first", D(2025, 6, 10), "success", "beat"),
        ("test_second", D(2025, 6, 10), "success", "beat"),
        ("test_later", D(2025, 6, 10), "success", "beat"),
    ]


def test_a_failed_earlier_job_stops_the_later_one(db, declare):
    def broken():
        raise RuntimeError("clocks broken")

    declare(Job(name="test_later", label="Later", run=recorded("test_later")))
    declare(Job(name="test_earlier", label="Earlier", run=recorded("test_earlier", broken), before=("test_later",)))
    with pytest.raises(RuntimeError, match="clocks broken"):
        registry.get("test_later").run(D(2025, 6, 10))
    assert list(JobRun.objects.values_list("job", "outcome")) == [("test_earlier", "failed")]


def test_daily_tracking_has_nothing_to_run_before_it_yet():
    """The clock upkeep still runs inside daily tracking (alerts.limits.track_limits), as before."""
    assert registry.runs_before("track_daily") == []


def test_a_failure_is_told_to_every_hook_and_a_broken_hook_hides_nothing(db, declare, monkeypatch):
    told = []

    def broken_hook(run):
        raise RuntimeError("mail server away")

    monkeypatch.setattr(registry, "_failure_hooks", [broken_hook, told.append])

    def work():
        raise ValueError("bad data")

    declare(Job(name="test_failing", label="Failing"))
    with pytest.raises(ValueError, match="bad data"):
        run_job("test_failing", D(2025, 6, 10), work)
    run = JobRun.objects.get()
    assert run.outcome == JobOutcome.FAILED and run.error == "ValueError: bad data"
    assert told == [run]  # the broken hook is logged; the next is still told, the job's error raised


def test_the_jobs_page_starts_a_job_through_its_declaration(
    client, officer, declare, broker_queue, django_capture_on_commit_callbacks
):
    """A job any app declares is offered and run, now or queued with its own task arguments; the page
    knows nothing of it beforehand."""
    declare(
        Job(
            name="test_page_job",
            label="Test page job",
            task="tests.page_job_task",
            run=recorded("test_page_job"),
            queue_args=lambda as_of: [as_of.isoformat(), "extra"],
        )
    )
    client.force_login(officer)
    page = client.get(reverse("jobs:jobs"))
    assert ("test_page_job", "Test page job") in page.context["form"].fields["job"].choices
    response = client.post(reverse("jobs:jobs"), {"job": "test_page_job", "as_of": "2025-06-10", "now": "on"})
    assert response.status_code == 302
    assert JobRun.objects.get(job="test_page_job").trigger == "web:officer"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("jobs:jobs"), {"job": "test_page_job", "as_of": "2025-06-10"})
    messages = [json.loads(raw) for raw in broker_queue.lrange("celery", 0, -1)]
    assert [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages] == [
        ("tests.page_job_task", "['2025-06-10', 'extra']")
    ]
