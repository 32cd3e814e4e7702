"""Publishing a bulletin in the background: the claim, the task, failure, the broker away, a lost
worker, and what is refused while a bulletin is publishing."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from alerts.models import Notification, NotificationKind
from jobs.models import JobOutcome, JobRun
from jobs.queueing import requeue_waiting
from reports import services
from reports.models import Bulletin, BulletinStatus
from reports.periods import Period
from reports.tasks import publish_bulletin_task
from tests.factories import UserFactory

D = dt.date
START = dt.datetime(2025, 3, 3, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def draft(org):
    org.case(D(2024, 6, 1), judge="civil-a")
    org.case(D(2023, 10, 15), judge="enf-a")
    return services.build_bulletin(Period(2025, 2)).bulletin


def _messages(broker_queue):
    return [json.loads(raw) for raw in broker_queue.lrange("celery", 0, -1)]


def test_start_marks_publishing_and_queues_one_job(org, draft, broker_queue, django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        started = services.start_publishing(draft, org.officer, trigger="test")
        # A double click: refused, nothing more queued.
        with pytest.raises(ValidationError) as refused:
            services.start_publishing(draft, org.officer, trigger="test")
    assert list(refused.value.message_dict) == ["status"]
    bulletin = Bulletin.objects.get()
    assert started.bulletin.status == bulletin.status == BulletinStatus.PUBLISHING
    assert (bulletin.publishing_by, bulletin.publishing_started_at) == (org.officer, START)
    assert bulletin.issue_number is None and not bulletin.pdf_sha256
    messages = _messages(broker_queue)
    assert [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages] == [
        (services.PUBLISH_TASK, f"[{draft.pk}, {org.officer.pk}]")
    ]
    assert started.sent.queued and started.sent.waiting_run is None
    assert not JobRun.objects.exists()


def test_only_the_tracking_officer_starts_publishing(org, draft):
    for user in (org.heads["civil"], org.president):
        with pytest.raises(PermissionDenied):
            services.start_publishing(draft, user)
    assert Bulletin.objects.get().status == BulletinStatus.DRAFT


def test_two_officers_at_once_start_one_publication(transactional_db, org, draft, broker_queue):
    second = UserFactory(username="officer2", court=org.court, division=None, roles=["tracking_officer"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def press(user):
        try:
            barrier.wait()
            services.start_publishing(Bulletin.objects.get(pk=draft.pk), user)
            outcomes.append("started")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    # Each thread has its own connection in autocommit: the claim commits, and the job is sent, at once.
    threads = [threading.Thread(target=press, args=(user,)) for user in (org.officer, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["refused", "started"]
    assert Bulletin.objects.get().status == BulletinStatus.PUBLISHING
    assert [m["headers"]["task"] for m in _messages(broker_queue)] == [services.PUBLISH_TASK]


def test_the_task_publishes_what_was_started_once(org, draft):
    with time_machine.travel(START, tick=False):
        services.start_publishing(draft, org.officer)
        assert publish_bulletin_task.run(draft.pk, org.officer.pk) == "2025年第1期"
    bulletin = Bulletin.objects.get()
    assert bulletin.is_published and bulletin.published_by == org.officer
    assert bulletin.pdf.read()[:4] == b"%PDF" and len(bulletin.pdf_sha256) == 64
    assert Notification.objects.filter(kind=NotificationKind.BULLETIN).count() == 2
    # The message delivered again (a worker lost after publishing): nothing changes.
    assert publish_bulletin_task.run(draft.pk, org.officer.pk) == "not publishing: nothing to do"
    assert Bulletin.objects.get().pdf_sha256 == bulletin.pdf_sha256
    assert Notification.objects.filter(kind=NotificationKind.BULLETIN).count() == 2
    with pytest.raises(ValidationError):
        services.start_publishing(bulletin, org.officer)


def test_a_failed_render_puts_the_bulletin_back_to_draft_with_the_error(org, draft, settings, tmp_path):
    services.start_publishing(draft, org.officer)
    # Storage that cannot be written (a file where the media folder should be): a real failure.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.MEDIA_ROOT = blocked
    with pytest.raises(OSError):
        publish_bulletin_task.run(draft.pk, org.officer.pk)
    bulletin = Bulletin.objects.get()
    assert bulletin.status == BulletinStatus.DRAFT
    assert bulletin.issue_number is None and not bulletin.pdf_sha256
    assert "Error" in bulletin.publish_error and str(blocked) in bulletin.publish_error
    assert not Notification.objects.filter(kind=NotificationKind.BULLETIN).exists()

    # Tried again once the storage is back: published, and the error is gone.
    settings.MEDIA_ROOT = tmp_path / "media"
    services.start_publishing(bulletin, org.officer)
    assert Bulletin.objects.get().publish_error == ""
    publish_bulletin_task.run(draft.pk, org.officer.pk)
    bulletin = Bulletin.objects.get()
    assert bulletin.is_published and bulletin.publish_error == ""
    # The audit trail has every step, the claims and the return to draft included.
    steps = list(bulletin.history.order_by("history_date", "history_id").values_list("status", flat=True))
    assert steps[-4:] == ["publishing", "draft", "publishing", "published"]
    assert bulletin.history.filter(status="draft").exclude(publish_error="").exists()


def test_the_soft_time_limit_puts_the_bulletin_back_to_draft(org, draft, monkeypatch):
    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded("SoftTimeLimitExceeded()")

    # The limit hits while WeasyPrint renders (minutes on a big bulletin and a busy server).
    monkeypatch.setattr("reports.exports.bulletin_pdf", too_slow)
    services.start_publishing(draft, org.officer)
    with pytest.raises(SoftTimeLimitExceeded):
        publish_bulletin_task.run(draft.pk, org.officer.pk)
    bulletin = Bulletin.objects.get()
    assert bulletin.status == BulletinStatus.DRAFT and "SoftTimeLimitExceeded" in bulletin.publish_error


def test_broker_away_records_a_waiting_job_sent_once_it_is_back(
    org, draft, broker_away, broker_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        started = services.start_publishing(draft, org.officer, trigger="web:officer")
    assert Bulletin.objects.get().status == BulletinStatus.PUBLISHING
    waiting = JobRun.objects.get()
    assert started.sent.waiting_run == waiting
    assert (waiting.job, waiting.outcome, waiting.as_of, waiting.trigger) == (
        services.PUBLISH_JOB,
        JobOutcome.WAITING,
        D(2025, 2, 28),
        "web:officer",
    )
    assert waiting.counts == {"task": services.PUBLISH_TASK, "args": [draft.pk, org.officer.pk]}
    # Still away: the beat's requeue leaves it waiting.
    assert requeue_waiting() == {"sent": 0, "still_waiting": 1}
    # Redis is back: sent once, then the worker publishes.
    broker_away()
    assert requeue_waiting() == {"sent": 1, "still_waiting": 0}
    assert requeue_waiting() == {"sent": 0, "still_waiting": 0}
    assert [m["headers"]["task"] for m in _messages(broker_queue)] == [services.PUBLISH_TASK]
    assert publish_bulletin_task.run(*waiting.counts["args"]) == Bulletin.objects.get().title != "draft"


def test_a_publication_that_lost_its_worker_may_be_started_again(org, draft):
    with time_machine.travel(START, tick=False):
        services.start_publishing(draft, org.officer)
    # The worker was killed mid-render: no task will finish it. Before the task's time limit has
    # surely passed, pressing publish again is refused (a worker may still be rendering) ...
    with time_machine.travel(START + dt.timedelta(minutes=29), tick=False):
        assert not services.publishing_stalled(Bulletin.objects.get())
        with pytest.raises(ValidationError):
            services.start_publishing(draft, org.officer)
    # ... after it, the page offers publishing again and the claim succeeds.
    later = START + services.PUBLISH_STALE_AFTER + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert services.publishing_stalled(Bulletin.objects.get())
        services.start_publishing(draft, org.officer)
        assert Bulletin.objects.get().publishing_started_at == later
        assert publish_bulletin_task.run(draft.pk, org.officer.pk) == "2025年第1期"
    assert dt.timedelta(seconds=publish_bulletin_task.time_limit) < services.PUBLISH_STALE_AFTER


def test_a_redelivered_message_finishes_a_publication_whose_worker_was_lost(org, draft):
    # acks_late: the message of a worker lost mid-run comes back (after Redis' visibility
    # timeout); the bulletin is still publishing, so the redelivery publishes it.
    services.start_publishing(draft, org.officer)
    assert publish_bulletin_task.acks_late
    with time_machine.travel(START + dt.timedelta(minutes=45), tick=False):
        assert publish_bulletin_task.run(draft.pk, org.officer.pk) == "2025年第1期"


def test_no_rebuild_and_no_sign_off_while_publishing(org, draft):
    items = sorted(draft.items.values_list("case_id", flat=True))
    services.start_publishing(draft, org.officer)
    org.case(D(2024, 5, 1), judge="civil-b")  # would be listed by a rebuild
    result = services.build_bulletin(Period(2025, 2))
    assert result.outcome == "publishing" and "being published" in result.describe()
    run, _result = services.run_bulletin_job(Period(2025, 2), trigger="test")
    assert run.outcome == JobOutcome.SUCCESS and run.counts["outcome"] == "publishing"
    assert sorted(Bulletin.objects.get().items.values_list("case_id", flat=True)) == items
    with pytest.raises(ValidationError):
        services.sign_off_bulletin(Bulletin.objects.get(), org.civil, org.heads["civil"])


def test_the_database_refuses_publishing_without_who_and_when(org, draft):
    with pytest.raises(IntegrityError), transaction.atomic():
        Bulletin.objects.filter(pk=draft.pk).update(status=BulletinStatus.PUBLISHING)


# --- every attempt lost: back to draft -------------------------------------------------------
# (tests/reports/test_worker.py kills real pool processes; these check the beat task's rule.)

STALE = START + services.PUBLISH_STALE_AFTER + dt.timedelta(seconds=1)
LOST = "生成本通报的后台进程已中断（被停止或终止），30 分钟内没有进程继续生成。请重新发布。"


def test_a_stalled_publication_goes_back_to_draft_with_the_reason_and_a_notice(org, draft):
    with time_machine.travel(START, tick=False):
        services.start_publishing(draft, org.officer)
    # Within the time a render may take, nothing changes.
    with time_machine.travel(START + dt.timedelta(minutes=29), tick=False):
        assert services.return_stalled_publications() == []
    assert Bulletin.objects.get().status == BulletinStatus.PUBLISHING
    # After it: back to draft, and told, in the court's language (a worker has no request).
    with time_machine.travel(STALE, tick=False), translation.override("zh-hans"):
        assert services.return_stalled_publications() == [draft]
        assert services.return_stalled_publications() == []  # once
    bulletin = Bulletin.objects.get()
    assert (bulletin.status, bulletin.publish_error) == (BulletinStatus.DRAFT, LOST)
    assert (bulletin.publishing_by, bulletin.publishing_started_at) == (org.officer, START)
    notice = Notification.objects.get(kind=NotificationKind.BULLETIN)
    assert notice.recipient == org.officer
    assert notice.subject == "2025-02 月通报未能发布：生成通报的后台进程已中断"
    assert notice.body == "通报已恢复为草稿，请打开通报重新发布。"
    assert notice.link == f"/reports/bulletins/{draft.pk}/"
    # The audit trail has the return to draft (time-travelled dates: in the order written).
    assert list(bulletin.history.order_by("-history_id").values_list("status", "publish_error")[:2]) == [
        ("draft", LOST),
        ("publishing", ""),
    ]
    # A late delivery of the task changes nothing; publishing again works and clears the error.
    assert publish_bulletin_task.run(draft.pk, org.officer.pk) == "not publishing: nothing to do"
    with time_machine.travel(STALE + dt.timedelta(minutes=10), tick=False):
        services.start_publishing(bulletin, org.officer)
        assert publish_bulletin_task.run(draft.pk, org.officer.pk) == "2025年第1期"
    assert Bulletin.objects.get().publish_error == ""


def test_the_lost_message_is_in_english_for_an_english_court(org, draft, settings):
    with time_machine.travel(START, tick=False):
        services.start_publishing(draft, org.officer)
    with time_machine.travel(STALE, tick=False), translation.override("en"):
        services.return_stalled_publications()
    assert Bulletin.objects.get().publish_error == (
        "The worker rendering this bulletin was lost (stopped or killed) and nothing has rendered it for "
        "30 minutes. Publish it again."
    )


def test_a_delivery_that_waited_while_the_bulletin_went_back_to_draft_publishes_nothing(org, draft):
    with time_machine.travel(START, tick=False):
        services.start_publishing(draft, org.officer)
    in_hand = Bulletin.objects.get()  # what the task read before it locked the row
    with time_machine.travel(STALE, tick=False), translation.override("zh-hans"):
        services.return_stalled_publications()
    result = services.publish_bulletin(in_hand, org.officer, only_if_publishing=True)
    bulletin = Bulletin.objects.get()
    assert result.status == bulletin.status == BulletinStatus.DRAFT
    assert bulletin.issue_number is None and bulletin.publish_error == LOST


def test_a_publication_waiting_for_the_broker_is_left_to_the_requeue(
    org, draft, broker_away, broker_queue, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.start_publishing(draft, org.officer)
    assert JobRun.objects.get().outcome == JobOutcome.WAITING
    with time_machine.travel(STALE, tick=False):
        assert services.return_stalled_publications() == []
    assert Bulletin.objects.get().status == BulletinStatus.PUBLISHING


def test_a_publication_being_rendered_is_left_alone(transactional_db, org, draft):
    """A render holds the bulletin's row locked (publish_bulletin's transaction): SKIP LOCKED."""
    with time_machine.travel(START, tick=False):
        services.start_publishing(draft, org.officer)
    locked, release = threading.Event(), threading.Event()

    def render() -> None:
        try:
            with transaction.atomic():
                Bulletin.objects.select_for_update().get(pk=draft.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=render)
    thread.start()
    try:
        assert locked.wait(30)
        with time_machine.travel(STALE, tick=False):
            assert services.return_stalled_publications() == []
    finally:
        release.set()
        thread.join()
    with time_machine.travel(STALE, tick=False):
        assert services.return_stalled_publications() == [draft]


def test_the_check_is_on_the_beat_schedule_and_publishing_is_retried_when_its_process_dies():
    from jobs.schedules import default_schedules
    from reports.tasks import return_stalled_publications_task

    entry = default_schedules()["return-stalled-publications"]
    assert entry["task"] == return_stalled_publications_task.name
    assert entry["cron"] == "2-59/5 * * * *" and entry["expires"] < 5 * 60
    assert publish_bulletin_task.acks_late and publish_bulletin_task.retry_on_worker_lost
    assert publish_bulletin_task.max_retries == services.PUBLISH_ATTEMPTS - 1
