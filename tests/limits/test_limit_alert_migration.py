"""The data migration that moved time-limit alerts from cases.LimitAlert into alerts.Alert.

The suite has no harness for migrating a database back and forth, so the migration's functions
are run directly, on the models as they were between alerts 0007 and cases 0008 (the old table
created inside the test's transaction, which rolls it back)."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from alerts.models import Alert, Notification
from tests.factories import CaseFactory, UserFactory

D = dt.date
pytestmark = pytest.mark.django_db
migration = importlib.import_module("alerts.migrations.0008_copy_limit_alerts")


@pytest.fixture
def old_apps():
    """The app registry before the copy, with the cases_limitalert table back in the database."""
    state = MigrationLoader(connection).project_state(("alerts", "0007_alert_kind_time_limit_levels"))
    apps = state.apps
    with connection.schema_editor() as editor:
        editor.create_model(apps.get_model("cases", "LimitAlert"))
    return apps


def test_every_limit_alert_is_copied_and_its_notifications_follow(old_apps, court):
    LimitAlert = old_apps.get_model("cases", "LimitAlert")
    handler = UserFactory(username="lj", court=court, roles=["handler"])
    head = UserFactory(username="lh", court=court, roles=["division_head"])
    case, other = CaseFactory(court=court), CaseFactory(court=court)
    ageing = Alert.objects.create(case=case, level="over_6m", line_date=case.line_6m, raised_on=D(2024, 9, 16))
    seen = timezone.now()
    resolved = LimitAlert.objects.create(
        case_id=case.pk,
        level="limit_7",
        deadline=D(2024, 9, 18),
        raised_on=D(2024, 9, 11),
        resolved_on=D(2024, 9, 19),
        resolution="level_changed",
        acknowledged_by_id=head.pk,
        acknowledged_at=seen,
    )
    overdue = LimitAlert.objects.create(
        case_id=case.pk,
        level="limit_overdue",
        deadline=D(2024, 9, 18),
        raised_on=D(2024, 9, 19),
        escalation_step=1,
        escalated_on=D(2024, 9, 26),
    )
    LimitAlert.objects.create(case_id=other.pk, level="limit_30", deadline=D(2024, 10, 30), raised_on=D(2024, 9, 30))
    now = timezone.now()
    for recipient, limit_alert, suffix in ((handler, resolved, "raised"), (head, overdue, "escalated")):
        Notification.objects.create(
            recipient=recipient,
            kind="alert_raised" if suffix == "raised" else "alert_escalated",
            key=f"limit:{limit_alert.pk}:{suffix}",
            subject="…",
            case=case,
            created_on=limit_alert.raised_on,
            created_at=now,
        )
    hidden = Notification.objects.create(
        recipient=head,
        kind="alert_raised",
        key="hidden-overruns:2024-09-19",
        subject="…",
        created_on=D(2024, 9, 19),
        created_at=now,
    )

    migration.copy_limit_alerts(old_apps, SimpleNamespace(connection=connection))

    copies = Alert.objects.time_limit()
    assert sorted(
        copies.values_list(
            "case_id",
            "level",
            "line_date",
            "raised_on",
            "resolved_on",
            "resolution",
            "acknowledged_by_id",
            "escalation_step",
            "escalated_on",
            "superseded",
        )
    ) == sorted(
        [
            (
                case.pk,
                "limit_7",
                D(2024, 9, 18),
                D(2024, 9, 11),
                D(2024, 9, 19),
                "level_changed",
                head.pk,
                0,
                None,
                False,
            ),
            (case.pk, "limit_overdue", D(2024, 9, 18), D(2024, 9, 19), None, "", None, 1, D(2024, 9, 26), False),
            (other.pk, "limit_30", D(2024, 10, 30), D(2024, 9, 30), None, "", None, 0, None, False),
        ]
    )
    assert copies.get(level="limit_7").acknowledged_at == seen
    assert Alert.objects.ageing().get() == ageing  # untouched, and active beside the time-limit one
    # Notifications point at the copies, keyed as every alert notification is (a rerun of the
    # daily job for the same date finds them written).
    new_7, new_overdue = copies.get(level="limit_7"), copies.get(level="limit_overdue")
    assert sorted(Notification.objects.exclude(pk=hidden.pk).values_list("recipient_id", "key", "alert_id")) == sorted(
        [
            (handler.pk, f"alert:{new_7.pk}:raised", new_7.pk),
            (head.pk, f"alert:{new_overdue.pk}:escalated", new_overdue.pk),
        ]
    )
    hidden.refresh_from_db()
    assert (hidden.key, hidden.alert_id) == ("hidden-overruns:2024-09-19", None)

    # Run again: nothing more.
    migration.copy_limit_alerts(old_apps, SimpleNamespace(connection=connection))
    assert copies.count() == 3

    # The reverse puts them back where they were.
    LimitAlert.objects.all().delete()
    migration.copy_back(old_apps, SimpleNamespace(connection=connection))
    assert not Alert.objects.time_limit().exists() and Alert.objects.ageing().get() == ageing
    back = {a.level: a for a in LimitAlert.objects.all()}
    assert (back["limit_7"].acknowledged_by_id, back["limit_overdue"].escalated_on) == (head.pk, D(2024, 9, 26))
    assert sorted(Notification.objects.exclude(pk=hidden.pk).values_list("key", "alert_id")) == sorted(
        [(f"limit:{back['limit_7'].pk}:raised", None), (f"limit:{back['limit_overdue'].pk}:escalated", None)]
    )
