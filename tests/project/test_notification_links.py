"""Every notification the jobs write links to a page that exists and that its recipient may open."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import resolve

from alerts import jobs
from alerts.models import Notification
from cases import demo

TODAY = dt.date(2026, 11, 23)  # a Monday


@pytest.mark.django_db
def test_notification_links_open_for_their_recipients(client):
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        demo.seed(400, seed_value=3, today=TODAY)
        jobs.run_track_daily(TODAY - dt.timedelta(days=8))
        jobs.run_track_daily(TODAY)
        jobs.run_dispatch_weekly(TODAY)
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"alert_raised", "dispatch_ready", "urging"} <= kinds, kinds
    checked = 0
    for kind in kinds:
        for note in Notification.objects.filter(kind=kind).select_related("recipient")[:3]:
            resolve(note.link)  # raises Resolver404 for a link to nowhere
            client.force_login(note.recipient)
            assert client.get(note.link).status_code == 200, (kind, note.link, note.recipient)
            checked += 1
    assert checked >= 3
