from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_open_division_lines_index"),
    ]

    operations = [
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
    ]
