"""Copy every cases.LimitAlert row into alerts.Alert (kind time_limit, the deadline in line_date),
keeping the raised, resolved, acknowledged and escalation fields, and re-point the notifications
already written for them ("limit:<old id>:raised|escalated", no alert) at the new rows, keyed as
every alert notification is ("alert:<new id>:…"), so that a rerun of the daily job for the same
date still finds them written. Set-based: one INSERT … SELECT and two UPDATEs per key suffix.

Runs before cases 0008_delete_limitalert drops the old table. Reversible: the reverse copies the
time-limit alerts back, restores the notifications' keys and deletes the copies.
"""

from django.db import migrations
from django.db.models import CharField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from common.sql import insert_select

TIME_LIMIT = "time_limit"
SUFFIXES = ("raised", "escalated")
COPIED = ["raised_on", "resolved_on", "resolution", "acknowledged_by_id", "acknowledged_at", "escalation_step"]


def _key(prefix: str, id_expression, suffix: str) -> Concat:
    return Concat(Value(prefix), Cast(id_expression, CharField()), Value(f":{suffix}"), output_field=CharField())


def copy_limit_alerts(apps, schema_editor) -> None:
    db = schema_editor.connection.alias
    LimitAlert = apps.get_model("cases", "LimitAlert")
    Alert = apps.get_model("alerts", "Alert")
    Notification = apps.get_model("alerts", "Notification")

    rows = (
        LimitAlert.objects.using(db)
        .filter(pk__isnull=False)  # insert_select wants a WHERE clause (SQLite's upsert parsing)
        .annotate(a_kind=Value(TIME_LIMIT), a_superseded=Value(False))
        .values_list("case_id", "a_kind", "level", "deadline", "a_superseded", *COPIED, "escalated_on")
    )
    fields = ["case", "kind", "level", "line_date", "superseded", *COPIED, "escalated_on"]
    insert_select(Alert, [f.removesuffix("_id") for f in fields], rows)

    for suffix in SUFFIXES:
        # The copy of the limit alert whose old key the notification carries: same case, level
        # and deadline (unique in both tables).
        old = LimitAlert.objects.using(db).annotate(old_key=_key("limit:", "pk", suffix))
        copy = Alert.objects.using(db).filter(kind=TIME_LIMIT, case_id=OuterRef("case_id"))
        copy = copy.filter(
            Exists(
                old.filter(
                    old_key=OuterRef(OuterRef("key")),
                    case_id=OuterRef("case_id"),
                    level=OuterRef("level"),
                    deadline=OuterRef("line_date"),
                )
            )
        )
        theirs = Notification.objects.using(db).filter(key__startswith="limit:", key__endswith=f":{suffix}")
        theirs.filter(alert__isnull=True).update(alert_id=Subquery(copy.values("pk")[:1]))
        theirs.filter(alert__isnull=False).update(key=_key("alert:", "alert_id", suffix))


def copy_back(apps, schema_editor) -> None:
    db = schema_editor.connection.alias
    LimitAlert = apps.get_model("cases", "LimitAlert")
    Alert = apps.get_model("alerts", "Alert")
    Notification = apps.get_model("alerts", "Notification")

    copies = Alert.objects.using(db).filter(kind=TIME_LIMIT)
    rows = copies.values_list("case_id", "level", "line_date", *COPIED, "escalated_on")
    fields = ["case", "level", "deadline", *COPIED, "escalated_on"]
    insert_select(LimitAlert, [f.removesuffix("_id") for f in fields], rows)

    for suffix in SUFFIXES:
        original = LimitAlert.objects.using(db).filter(
            Exists(
                Alert.objects.using(db).filter(
                    pk=OuterRef(OuterRef("alert_id")),
                    case_id=OuterRef("case_id"),
                    level=OuterRef("level"),
                    line_date=OuterRef("deadline"),
                )
            )
        )
        Notification.objects.using(db).filter(
            key__startswith="alert:", key__endswith=f":{suffix}", alert__in=copies.values("pk")
        ).update(key=_key("limit:", Subquery(original.values("pk")[:1]), suffix), alert=None)
    copies.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0007_alert_kind_time_limit_levels"),
        ("cases", "0007_limit_alerts"),
    ]
    run_before = [("cases", "0008_delete_limitalert")]

    operations = [migrations.RunPython(copy_limit_alerts, copy_back)]
