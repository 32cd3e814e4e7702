import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0010_jobs_move_to_the_jobs_app"),
        ("cases", "0010_open_division_lines_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="LimitTrackingState",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="cases.case",
                    ),
                ),
                ("court_id", models.BigIntegerField()),
                ("level", models.CharField(blank=True, max_length=20)),
                ("deadline", models.DateField()),
                ("stopped", models.BooleanField(default=False)),
                ("candidate", models.BooleanField(default=False)),
            ],
            options={
                "db_table": "alerts_limit_tracking_state",
                "managed": False,
            },
        ),
    ]
