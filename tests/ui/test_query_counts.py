"""Each page's query count does not grow with the rows it shows."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alerts import services as alert_services
from alerts.models import Alert, DispatchItem, DispatchList, Notification
from reports import services as report_services
from reports.models import Bulletin
from reports.periods import Period

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2025, 6, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        yield


def add_rows(make_case, handler, head, division, n):
    dl = DispatchList.objects.filter(division=division).first() or DispatchList.objects.create(
        division=division,
        week_start=dt.date(2025, 6, 2),
        week_end=dt.date(2025, 6, 8),
        as_of=dt.date(2025, 6, 9),
        head=head,
        built_at=timezone.now(),
    )
    for _ in range(n):
        case = make_case(filed_on=dt.date(2024, 9, 1))
        Alert.objects.create(case=case, level="over_6m", line_date=case.line_6m, raised_on=dt.date(2025, 3, 2))
        alert_services.file_plan(
            handler, case, reason="parties", expected_close_on=dt.date(2025, 9, 1), steps="调解", submit=True
        )
        DispatchItem.objects.create(
            dispatch_list=dl, case=case, handler=handler, level="over_6m", over_15m=False, filed_on=case.filed_on
        )
        Notification.objects.create(
            recipient=handler,
            kind="alert_raised",
            key=f"k{case.pk}",
            subject=case.case_number,
            created_at=timezone.now(),
            created_on=dt.date(2025, 6, 10),
        )
    Bulletin.objects.all().delete()
    report_services.build_bulletin(Period(2025, 5))
    report_services.snapshot_figures(dt.date(2025, 6, 10))
    return dl


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_rows(client, make_case, handler, head, tracker, division):
    dl = add_rows(make_case, handler, head, division, 2)
    pages = {
        handler: ["/", reverse("cases:list"), reverse("alerts:plans"), reverse("alerts:inbox")],
        head: [
            "/",
            reverse("alerts:plans"),
            reverse("alerts:dispatch_detail", args=[dl.pk]),
            reverse("cases:reassign"),
        ],
        tracker: [
            "/",
            reverse("alerts:tracking"),
            reverse("reports:bulletin_list"),
            reverse("jobs:jobs"),
            reverse("reports:overview"),
            reverse("reports:division", args=[division.pk]),
        ],
    }
    before = {}
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            count(client, url)  # warm per-process caches (content types, sessions)
            before[(user.pk, url)] = count(client, url)
    add_rows(make_case, handler, head, division, 12)
    bulletin = Bulletin.objects.get()
    client.force_login(tracker)
    small = count(client, reverse("reports:bulletin", args=[bulletin.pk]))
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            count(client, url)
            assert count(client, url) == before[(user.pk, url)], url
    assert small < 20
