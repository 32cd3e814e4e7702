"""The inbox and the daily email digest: one email per person per day, never twice."""

import datetime as dt
import threading

import time_machine
from django.core import mail
from django.db import connection

from alerts.models import EmailDigest, Notification
from alerts.notifications import deliver_notifications, notify
from alerts.services import mark_notifications_read
from tests.alerts.conftest import at, track

D = dt.date


def deliver(day, hour=10):
    with at(day, hour):
        return deliver_notifications(day)


def test_one_email_per_person_per_day(org):
    for day in (1, 2, 3):
        org.case(D(2024, 3, day))  # three cases over 6 months: handler and head hear of each
    track(D(2024, 9, 16))
    assert Notification.objects.filter(recipient=org.handler).count() == 3

    counts = deliver(D(2024, 9, 16))
    assert counts["sent"] == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["civil-1-head@court.example", "civil-1-judge@court.example"]
    handler_mail = next(m for m in mail.outbox if m.to == ["civil-1-judge@court.example"])
    assert handler_mail.body.count("黔0281") == 3

    assert deliver(D(2024, 9, 16), hour=11)["sent"] == 0  # a second run the same day sends nothing
    org.case(D(2024, 3, 4))
    track(D(2024, 9, 17))
    notify([org.handler], kind="urging", key="later-that-day", subject="Later the same day", on=D(2024, 9, 16))
    assert deliver(D(2024, 9, 16), hour=15)["sent"] == 0  # at most one email a day
    assert len(mail.outbox) == 2

    deliver(D(2024, 9, 17))
    assert len(mail.outbox) == 4
    assert EmailDigest.objects.filter(recipient=org.handler).count() == 2
    assert not Notification.objects.filter(recipient=org.handler, digest__isnull=True).exists()


def test_people_without_an_address_keep_their_inbox(org):
    org.handler.email = ""
    org.handler.save()
    org.case(D(2024, 3, 20))  # approaching 6 months: the handler alone
    track(D(2024, 9, 16))
    deliver(D(2024, 9, 16))
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=org.handler, read_at__isnull=True).count() == 1
    with at(D(2024, 9, 16), 12):
        assert mark_notifications_read(org.handler) == 1
        assert mark_notifications_read(org.head) == 0


def test_a_failed_send_is_recorded_and_retried(org, settings):
    org.case(D(2024, 3, 20))
    track(D(2024, 9, 16))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    assert deliver(D(2024, 9, 16))["failed"] == 1
    digest = EmailDigest.objects.get()
    assert digest.sent_at is None and digest.error and digest.attempts == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(digest.claimed_at + dt.timedelta(minutes=5), tick=False):
        assert deliver_notifications(D(2024, 9, 16))["sent"] == 0  # the claim still holds
    with time_machine.travel(digest.claimed_at + dt.timedelta(minutes=20), tick=False):
        assert deliver_notifications(D(2024, 9, 16))["sent"] == 1  # a stale claim is retried
    digest.refresh_from_db()
    assert digest.sent_at is not None and digest.attempts == 2 and digest.error == ""
    assert len(mail.outbox) == 1


def test_two_delivery_workers_send_each_digest_once(tx_org):
    for day in (1, 2):
        tx_org.case(D(2024, 3, day))
    track(D(2024, 9, 16))
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            deliver(D(2024, 9, 16))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m.to[0] for m in mail.outbox) == ["civil-1-head@court.example", "civil-1-judge@court.example"]
    assert EmailDigest.objects.filter(sent_at__isnull=False).count() == 2


def test_time_limit_alerts_reach_the_same_digest(org):
    """A case over 6 months and over its statutory limit on the same day: one email for the
    handler, naming both."""
    from limits import services as limits_services

    case = org.case(D(2024, 3, 15))
    limits_services.recompute_clock(case, today=D(2026, 11, 27))  # deadline 18 Sep 2024
    track(D(2024, 9, 19))
    deliver(D(2024, 9, 19))
    (handler_mail,) = [m for m in mail.outbox if m.to == ["civil-1-judge@court.example"]]
    assert "超6个月" in handler_mail.body and "已超法定审限" in handler_mail.body
    time_limit = Notification.objects.get(recipient=org.handler, alert__kind="time_limit")
    assert time_limit.digest_id is not None and time_limit.key == f"alert:{time_limit.alert_id}:raised"
