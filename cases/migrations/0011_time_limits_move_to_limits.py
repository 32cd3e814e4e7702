"""The statutory clock's models now belong to the `limits` app (limits.0001 renamed their
tables and moved their content types). Here, in state only: the case's rule points there and
the models leave `cases`. Nothing changes in the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_open_division_lines_index"),
        ("limits", "0001_initial"),
        # The audit trail's copy of the case points at the rule's new home first.
        ("audit", "0005_alter_historicalcase_limit_rule"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="case",
                    name="limit_rule",
                    field=models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="limits.limitrule",
                        verbose_name="time-limit rule",
                    ),
                ),
                migrations.DeleteModel(name="ExtensionStep"),
                migrations.DeleteModel(name="HiddenOverrunFlag"),
                migrations.DeleteModel(name="Extension"),
                migrations.DeleteModel(name="ExcludedPeriod"),
                migrations.DeleteModel(name="WorkingDayOverride"),
                migrations.DeleteModel(name="WorkingDay"),
                migrations.DeleteModel(name="LimitRule"),
            ],
        ),
    ]
