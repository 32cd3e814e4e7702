"""Publishing end to end: the officer presses publish, the job goes to Redis, a real Celery
worker renders and stores the PDF in the test database's bulletin."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.urls import reverse

from alerts.models import JobRun, Notification, NotificationKind
from reports import services
from reports.models import Bulletin, BulletinStatus
from tests.celery_helpers import celery_worker, default_queue, wait_for

D = dt.date


@pytest.mark.slow
def test_publishing_through_a_real_worker(transactional_db, org, client, settings, tmp_path):
    org.case(D(2024, 6, 1), judge="civil-a")
    org.case(D(2023, 10, 15), judge="enf-a")
    bulletin = services.build_bulletin("2025-02").bulletin
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
