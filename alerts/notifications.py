"""Notifications: rows in each person's in-app inbox, then at most one email digest per person per
day, delivered by a separate step.

Writing and delivering are apart (healthchecks' Flip → sendalerts): a job only writes rows, keyed
so that a rerun writes nothing new; `deliver_notifications` claims digests with conditional UPDATEs,
so two delivery workers never send the same email twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from cases.models import Case, User
from cases.permissions import effective_head_expression
from cases.roles import Role

from .models import Alert, EmailDigest, Notification, NotificationKind
from .sql import insert_select

log = logging.getLogger(__name__)

# A claimed digest not marked sent after this long is taken to have failed and is tried again.
CLAIM_TIMEOUT = dt.timedelta(minutes=15)
MAX_ATTEMPTS = 5
# How many lines one digest lists before "and N more".
DIGEST_LINES = 50


def notify(
    recipients: Iterable[User | int | None],
    *,
    kind: str,
    key: str,
    subject: str,
    body: str = "",
    link: str = "",
    alert: Alert | None = None,
    case: Case | None = None,
    on: dt.date | None = None,
) -> None:
    """Write one notification per recipient; a recipient who already has `key` gets nothing new."""
    on = on or timezone.localdate()
    now = timezone.now()
    ids = {r if isinstance(r, int) else r.pk for r in recipients if r is not None}
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=rid,
                kind=kind,
                key=key,
                subject=str(subject)[:300],
                body=str(body),
                link=link,
                alert=alert,
                case=case,
                created_on=on,
                created_at=now,
            )
            for rid in sorted(ids)
        ],
        ignore_conflicts=True,
    )


def tracking_officers() -> QuerySet[User]:
    """Who hears about the jobs' health: the tracking officers (审管办专人), else the admins."""
    officers = (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name=Role.TRACKING_OFFICER) | Q(tracked_divisions__isnull=False))
        .distinct()
    )
    if officers.exists():
        return officers
    return User.objects.filter(is_active=True, is_superuser=True)


def notify_tracking_officers(*, kind: str, key: str, subject: str, body: str = "", on: dt.date | None = None) -> None:
    notify(tracking_officers(), kind=kind, key=key, subject=subject, body=body, link=reverse("jobs:jobs"), on=on)


# --- alerts' notifications, set-based (the daily job's ageing and time-limit parts) ------------


def split_subject(template: str, **values: Any) -> tuple[str, str]:
    """Split a translated "… %(number)s …" subject around the case number, for SQL concatenation."""
    marker = "\x00"
    before, after = (template % {**values, "number": marker}).split(marker)
    return before, after


_NOTIFICATION_FIELDS = [
    "recipient",
    "kind",
    "key",
    "subject",
    "body",
    "link",
    "alert",
    "case",
    "created_on",
    "created_at",
]


def insert_alert_notifications(
    alerts: QuerySet[Alert], recipient, *, kind: str, key_suffix: str, subject: tuple[str, str], as_of: dt.date
) -> int:
    """INSERT … SELECT one notification per alert for `recipient` (an expression or a user id)."""
    before, after = subject
    rows = (
        alerts.annotate(
            n_recipient=recipient,
            n_kind=Value(kind),
            n_key=Concat(Value("alert:"), Cast("pk", CharField()), Value(f":{key_suffix}"), output_field=CharField()),
            n_subject=Concat(Value(before), F("case__case_number"), Value(after), output_field=CharField()),
            n_body=Value(""),
            n_link=Concat(Value("/cases/"), Cast("case_id", CharField()), Value("/"), output_field=CharField()),
            n_created_on=Value(as_of),
            n_created_at=Value(timezone.now()),
        )
        .filter(n_recipient__isnull=False)
        .values_list(
            "n_recipient",
            "n_kind",
            "n_key",
            "n_subject",
            "n_body",
            "n_link",
            "pk",
            "case_id",
            "n_created_on",
            "n_created_at",
        )
    )
    return insert_select(Notification, _NOTIFICATION_FIELDS, rows)


def notify_alert_owners(
    alerts: QuerySet[Alert], *, role: str, kind: str, key_suffix: str, subject: tuple[str, str], as_of: dt.date
) -> int:
    """One notification per alert (either family) for the person holding `role` for its case:
    handler, head (the effective head on `as_of`) or vice_president."""
    if role == "handler":
        recipient = F("case__handler_id")
    elif role == "head":
        recipient = effective_head_expression(as_of, prefix="case__division__")
    elif role == "vice_president":
        recipient = F("case__division__vice_president_id")
    else:
        raise ValueError(role)
    return insert_alert_notifications(alerts, recipient, kind=kind, key_suffix=key_suffix, subject=subject, as_of=as_of)


def notify_raised(
    raised: QuerySet[Alert], *, owners: dict[str, tuple[str, ...]], subjects: dict[str, Callable[[], str]], as_of
) -> int:
    """The "raised" notifications of either family: for each level, one per alert raised and per
    owning role (`owners`: level -> roles), with the level's translated subject. Returns how many."""
    written = 0
    for level, roles in owners.items():
        subject = split_subject(subjects[level]())
        for role in roles:
            written += notify_alert_owners(
                raised.filter(level=level),
                role=role,
                kind=NotificationKind.ALERT_RAISED,
                key_suffix="raised",
                subject=subject,
                as_of=as_of,
            )
    return written


# --- delivery ----------------------------------------------------------------------------


def _open_digests(today: dt.date) -> int:
    """Open today's digest for everyone with undelivered notifications, an address and none yet today."""
    undelivered = Notification.objects.filter(recipient=OuterRef("pk"), digest__isnull=True)
    has_digest = EmailDigest.objects.filter(recipient=OuterRef("pk"), day=today)
    people = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(Exists(undelivered))
        .exclude(Exists(has_digest))
        .values_list("pk", "email")
    )
    digests = [EmailDigest(recipient_id=pk, day=today, email=email) for pk, email in people]
    # Two delivery runs may both get here: the unique (recipient, day) keeps one digest.
    EmailDigest.objects.bulk_create(digests, ignore_conflicts=True)
    return len(digests)


def _attach(today: dt.date) -> int:
    """Gather each person's undelivered notifications into today's digest, while it is unclaimed."""
    open_digest = EmailDigest.objects.filter(
        recipient=OuterRef("recipient"), day=today, claimed_at__isnull=True, sent_at__isnull=True
    )
    return (
        Notification.objects.filter(digest__isnull=True)
        .filter(Exists(open_digest))
        .update(digest=Subquery(open_digest.values("pk")[:1]))
    )


def _claim(digest_id: int, now: dt.datetime) -> bool:
    """Claim a digest for sending; True only for the one worker whose UPDATE changed the row."""
    claimed = (
        EmailDigest.objects.filter(pk=digest_id, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    return claimed == 1


def _send(digest: EmailDigest) -> None:
    items = list(digest.notifications.order_by("created_at", "id")[: DIGEST_LINES + 1])
    total = digest.notifications.count()
    subject = ngettext("CourtFlow: %(count)d new notification", "CourtFlow: %(count)d new notifications", total) % {
        "count": total
    }
    body = render_to_string(
        "alerts/digest_email.txt",
        {"digest": digest, "items": items[:DIGEST_LINES], "more": max(total - DIGEST_LINES, 0)},
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [digest.email], fail_silently=False)


def deliver_notifications(today: dt.date | None = None) -> dict[str, int]:
    """Email today's digests. Safe to run often and from several workers at once."""
    today = today or timezone.localdate()
    with transaction.atomic():
        opened = _open_digests(today)
        attached = _attach(today)
    sent = failed = 0
    pending = EmailDigest.objects.filter(day=today, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS).values_list(
        "pk", flat=True
    )
    for digest_id in list(pending):
        now = timezone.now()
        if not _claim(digest_id, now):
            continue
        digest = EmailDigest.objects.select_related("recipient").get(pk=digest_id)
        if not digest.notifications.exists():
            EmailDigest.objects.filter(pk=digest_id).update(sent_at=now, error="")
            continue
        try:
            _send(digest)
        except Exception as exc:  # noqa: BLE001 - any transport error: record it, retry on a later run
            log.warning("digest %s to %s failed: %s", digest_id, digest.email, exc)
            EmailDigest.objects.filter(pk=digest_id).update(error=str(exc)[:2000])
            failed += 1
        else:
            EmailDigest.objects.filter(pk=digest_id).update(sent_at=timezone.now(), error="")
            sent += 1
    return {"digests_opened": opened, "notifications_attached": attached, "sent": sent, "failed": failed}
