from django.db import migrations, models


def _checks_now(apps, schema_editor):
    """PostgreSQL refuses CREATE INDEX on a table with deferred foreign-key checks pending, which a
    transaction that wrote case rows before migrating has (the move-migration test): run them now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _checks_deferred(apps, schema_editor):
    """Back to the foreign keys' own timing (all of them are DEFERRABLE INITIALLY DEFERRED)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_time_limits_move_to_limits"),
    ]

    operations = [
        migrations.RunPython(_checks_now, _checks_deferred, elidable=True),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("closed_on__isnull", True)),
                fields=["deadline"],
                include=("id", "court", "filed_on", "closed_on", "limit_raw", "limit_paused_from", "limit_nominal"),
                name="case_open_deadline",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("closed_on__isnull", True), ("limit_paused_from__isnull", False)),
                fields=["limit_paused_from"],
                include=("id", "court", "filed_on", "closed_on", "limit_raw", "deadline", "limit_nominal"),
                name="case_open_paused",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("closed_on__isnull", True)),
                fields=["limit_nominal"],
                include=(
                    "id",
                    "court",
                    "filed_on",
                    "closed_on",
                    "limit_raw",
                    "limit_paused_from",
                    "deadline",
                    "limit_excluded_days",
                ),
                name="case_open_nominal",
            ),
        ),
        migrations.RunPython(_checks_deferred, _checks_now, elidable=True),
    ]
