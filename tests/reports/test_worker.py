"""Publishing end to end: the officer presses publish, the job goes to Redis, a real Celery
worker renders and stores the PDF in the test database's bulletin."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import signal
from contextlib import contextmanager

import psycopg2
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from alerts.models import Notification, NotificationKind
from jobs.locks import advisory_key
from jobs.models import JobRun
from reports import services
from reports.models import Bulletin, BulletinStatus
from reports.periods import Period
from tests.celery_helpers import celery_worker, default_queue, wait_for

D = dt.date


@pytest.mark.slow
def test_publishing_through_a_real_worker(transactional_db, org, client, settings, tmp_path):
    org.case(D(2024, 6, 1), judge="civil-a")
    org.case(D(2023, 10, 15), judge="enf-a")
    bulletin = services.build_bulletin(Period(2025, 2)).bulletin
    # The worker stores the PDF under its media folder; the test reads the same one.
    var = tmp_path / "var"
    settings.MEDIA_ROOT = var / "media"
    client.force_login(org.officer)
    with (
        celery_worker(tmp_path, broker=settings.CELERY_BROKER_URL, env={"COURTFLOW_VAR_DIR": str(var)}) as worker,
        default_queue(worker.queue),
    ):
        # Outside a test transaction: the claim commits and the job is sent within the request.
        response = client.post(reverse("reports:bulletin_publish", args=[bulletin.pk]))
        assert response.status_code == 302
        assert Bulletin.objects.get().status in (BulletinStatus.PUBLISHING, BulletinStatus.PUBLISHED)
        done = wait_for(lambda: Bulletin.objects.get().status != BulletinStatus.PUBLISHING, 120)
        assert done, worker.output()
        output = worker.output(1_000_000)
    bulletin = Bulletin.objects.get()
    assert bulletin.status == BulletinStatus.PUBLISHED, (bulletin.publish_error, output[-3000:])
    assert bulletin.title.endswith("年第1期") and bulletin.publishing_by == org.officer
    with bulletin.pdf.open("rb") as fh:
        data = fh.read()
    assert data[:4] == b"%PDF" and hashlib.sha256(data).hexdigest() == bulletin.pdf_sha256
    assert Notification.objects.filter(kind=NotificationKind.BULLETIN).count() == 2
    assert not JobRun.objects.filter(outcome="waiting").exists()  # it was queued, not left waiting
    assert f"{services.PUBLISH_TASK}[" in output and "succeeded" in output


@pytest.mark.slow
def test_a_prefork_pool_process_renders_a_long_bulletin_in_worker_processes(transactional_db, org, settings, tmp_path):
    """Celery's prefork pool processes are daemonic, and multiprocessing refuses to start children
    there; the PDF's worker processes are plain subprocesses, so a pool process starts them."""
    for i in range(7):
        org.case(D(2024, 1, 1) + dt.timedelta(days=9 * i), judge=("civil-a", "enf-a")[i % 2])
    bulletin = services.build_bulletin(Period(2025, 2)).bulletin
    var = tmp_path / "var"
    settings.MEDIA_ROOT = var / "media"
    env = {"COURTFLOW_VAR_DIR": str(var), "BULLETIN_PDF_CHUNK_ROWS": "2", "BULLETIN_PDF_PROCESSES": "2"}
    with (
        celery_worker(tmp_path, broker=settings.CELERY_BROKER_URL, env=env, pool="prefork") as worker,
        default_queue(worker.queue),
    ):
        services.start_publishing(bulletin, org.officer)  # outside a transaction: sent at once
        done = wait_for(lambda: Bulletin.objects.get().status != BulletinStatus.PUBLISHING, 120)
        output = worker.output(1_000_000)
    assert done, output[-4000:]
    bulletin = Bulletin.objects.get()
    assert bulletin.status == BulletinStatus.PUBLISHED, (bulletin.publish_error, output[-4000:])
    assert "rendering the PDF of 7 listed cases in parts of 2, 2 worker processes" in output
    with bulletin.pdf.open("rb") as fh:
        pages = PdfReader(io.BytesIO(fh.read())).pages
    # Front matter, key warnings ("None."), four parts of the list: numbered on across them all.
    assert len(pages) >= 6
    for n, page in enumerate(pages, start=1):
        assert page.extract_text().rstrip().endswith(f"2025-02 · {n}"), n


# --- a pool process killed while it publishes ---------------------------------------------------
#
# The worker runs the prefork pool with one pool process, as in production. To kill that process
# at a known point of the task, the test holds the bulletin-numbering lock (an advisory lock) from
# its own connection: the task waits for it (polling, holding nothing), the test kills the pool
# process with SIGKILL, as the kernel's OOM killer would. The worker itself lives on.


@contextmanager
def numbering_lock_held():
    """Hold the lock publish_bulletin takes first, from a connection of the test's own."""
    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=connection.settings_dict["NAME"])
    conn.autocommit = True
    conn.cursor().execute("SELECT pg_advisory_lock(%s)", [advisory_key(services.NUMBERING_LOCK)])
    try:
        yield
    finally:
        conn.close()  # frees the lock


def lock_waiters() -> set[int]:
    """Backends of a publishing task waiting for the numbering lock (their last query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query LIKE 'SELECT pg_try_advisory_lock%%'"
        )
        return {pid for (pid,) in cursor.fetchall()}


def kill_the_pool_process_while_it_publishes(worker, seen: set[int]) -> int:
    """Once a new pool process waits in the task, SIGKILL it; returns its pid."""
    assert wait_for(lambda: lock_waiters() - seen, 90), worker.output()
    seen |= lock_waiters()
    [process] = worker.pool_processes()
    os.kill(process, signal.SIGKILL)
    assert wait_for(lambda: process not in worker.pool_processes(), 30)
    return process


@pytest.mark.slow
def test_a_killed_pool_process_is_replaced_and_the_bulletin_published(transactional_db, org, settings, tmp_path):
    org.case(D(2024, 6, 1), judge="civil-a")
    bulletin = services.build_bulletin(Period(2025, 2)).bulletin
    var = tmp_path / "var"
    settings.MEDIA_ROOT = var / "media"
    env = {"COURTFLOW_VAR_DIR": str(var)}
    with (
        celery_worker(tmp_path, broker=settings.CELERY_BROKER_URL, env=env, pool="prefork") as worker,
        default_queue(worker.queue),
    ):
        with numbering_lock_held():
            services.start_publishing(bulletin, org.officer)  # outside a transaction: sent at once
            killed = kill_the_pool_process_while_it_publishes(worker, set())
            assert Bulletin.objects.get().status == BulletinStatus.PUBLISHING
        # Celery saw the pool process die (WorkerLostError) and sent the task again; a new pool
        # process publishes it.
        done = wait_for(lambda: Bulletin.objects.get().status != BulletinStatus.PUBLISHING, 120)
        output = worker.output(1_000_000)
    assert done, output[-4000:]
    bulletin = Bulletin.objects.get()
    assert bulletin.status == BulletinStatus.PUBLISHED, (bulletin.publish_error, output[-4000:])
    assert bulletin.title.endswith("年第1期") and bulletin.publish_error == ""
    with bulletin.pdf.open("rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == bulletin.pdf_sha256
    task = re.search(rf"Task {services.PUBLISH_TASK}\[([0-9a-f-]+)\] received", output).group(1)
    assert f"Process 'ForkPoolWorker-1' pid:{killed} exited with 'signal 9 (SIGKILL)'" in output
    assert f"Task {services.PUBLISH_TASK}[{task}] retry: Retry in 10s: WorkerLostError(" in output
    assert re.search(rf"ForkPoolWorker-2\] Task {services.PUBLISH_TASK}\[{task}\] succeeded in .*年第1期", output)


@pytest.mark.slow
def test_a_publication_that_kills_every_attempt_goes_back_to_draft(transactional_db, org, settings, tmp_path):
    org.case(D(2024, 6, 1), judge="civil-a")
    bulletin = services.build_bulletin(Period(2025, 2)).bulletin
    env = {"COURTFLOW_VAR_DIR": str(tmp_path / "var")}
    with (
        celery_worker(tmp_path, broker=settings.CELERY_BROKER_URL, env=env, pool="prefork") as worker,
        default_queue(worker.queue),
        numbering_lock_held(),
    ):
        services.start_publishing(bulletin, org.officer)
        seen: set[int] = set()
        for _attempt in range(services.PUBLISH_ATTEMPTS):
            kill_the_pool_process_while_it_publishes(worker, seen)
        # No attempt is left: the message is acknowledged as failed and not sent again.
        assert wait_for(lambda: "Task handler raised error: WorkerLostError" in worker.output(1_000_000), 30)
        assert not wait_for(lambda: lock_waiters() - seen, 15)
        output = worker.output(1_000_000)
    attempts = services.PUBLISH_ATTEMPTS
    assert output.count(f"Task {services.PUBLISH_TASK}[") == attempts + (attempts - 1), output[-4000:]
    assert output.count(" received") == attempts and output.count("exited with 'signal 9 (SIGKILL)'") == attempts
    assert output.count("retry: Retry in 10s: WorkerLostError(") == attempts - 1
    lost = f"WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL) Job: {attempts - 1}.')"
    assert f"Task handler raised error: {lost}" in output
    assert Bulletin.objects.get().status == BulletinStatus.PUBLISHING
    # The beat task's check, once the publication is older than any render can take, puts it back.
    later = timezone.now() + services.PUBLISH_STALE_AFTER + dt.timedelta(seconds=1)
    with translation.override("en"):
        assert services.return_stalled_publications(now=later) == [bulletin]
    bulletin = Bulletin.objects.get()
    assert bulletin.status == BulletinStatus.DRAFT
    assert bulletin.publish_error == (
        "The worker rendering this bulletin was lost (stopped or killed) and nothing has rendered it for "
        "30 minutes. Publish it again."
    )
    notice = Notification.objects.get(recipient=org.officer, kind=NotificationKind.BULLETIN)
    assert notice.subject == "The bulletin for 2025-02 was not published: the worker rendering it was lost"
